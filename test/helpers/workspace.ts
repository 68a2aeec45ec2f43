// A throw-away copy of the fixture targets with its own matrix.yaml, cache and
// reports, and a way to run the real CLI (dist/, built by `npm test`) on it.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const FIXTURE_TARGETS = join(REPO, 'test/fixtures/targets');

export interface Workspace {
  dir: string;
  matrixFile: string;
  reportsDir: string;
  writeMatrix(yaml: string): void;
  cleanup(): void;
}

export function makeWorkspace(prefix = 'matrix-test-'): Workspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(FIXTURE_TARGETS, join(dir, 'targets'), { recursive: true });
  const ws: Workspace = {
    dir,
    matrixFile: join(dir, 'matrix.yaml'),
    reportsDir: join(dir, 'reports'),
    writeMatrix(yaml) {
      writeFileSync(ws.matrixFile, yaml);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ws;
}

/** Architectures for fixture matrices: x86_64 natively, aarch64 under real qemu. */
export const ARCHES_YAML = `
architectures:
  x86_64:
    triple: x86_64-linux-gnu
    debian: amd64
    qemu: qemu-x86_64
    native_on: [x86_64]
    bits: 64
    endian: little
    family: x86
  aarch64:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: qemu-aarch64
    native_on: [aarch64]
`;

export const TOOLCHAINS_YAML = `
toolchains:
  gcc:
    kind: gcc
    cmake_toolchain: ${join(REPO, 'toolchains/gcc.cmake')}
    packages: ["gcc-{triple}", "libc6-dev-{debian}-cross"]
  llvm:
    kind: llvm
    cmake_toolchain: ${join(REPO, 'toolchains/llvm.cmake')}
    linker: lld
    packages: [clang, lld, "gcc-{triple}", "libc6-dev-{debian}-cross"]
`;

/** The TAP stage most fixture targets run. */
export const TAP_STAGE = `      - name: tests
        run: [bin/prog]
        format: tap
`;

/** A fixture matrix: x86_64 and aarch64, gcc and llvm, the given `targets:` entries. */
export function fixtureMatrix(targets: string): string {
  return `version: 1\n${ARCHES_YAML}\n${TOOLCHAINS_YAML}\ntargets:\n${targets}`;
}

/** A make-built fixture target with one run stage. */
export function makeTarget(name: string, stage: string): string {
  return `
  ${name}:
    build: make
    source: targets/${name}
    stages:
${stage}`;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/matrix.js'), ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

export function readStatus(ws: Workspace): { complete: boolean; cells: { id: string; arch: string; toolchain: string; target: string; status: string; stage?: string; signal?: string; firstError?: string; reason?: string; install?: string; cached: boolean; reproducer: string; stages: { name: string; status: string; command?: string; log?: string; logTruncated?: boolean }[] }[]; summary: Record<string, number> } {
  return JSON.parse(readFileSync(join(ws.reportsDir, 'status.json'), 'utf8'));
}

/** PIDs of live processes whose command line mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
