// The runner is checked, not trusted: before a cell's first run stage, a tiny
// program built by the cell's own toolchain for the cell's arch runs under the
// cell's runner. It prints a line with a fresh nonce and exits 42, and in a
// second run kills itself with SIGSEGV. A runner that does not reproduce both
// (runs nothing and exits 0, crashes itself, prints nothing, loses the exit
// code or the signal) cannot vouch for any verdict: the cell is `error`.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ArchSpec, ToolchainSpec } from '../matrix/types.js';
import { cflagsFor, compilerName, ldflagsFor, linkerFor } from '../toolchains/toolchain.js';
import { runCommand, type CommandResult } from '../runtime/command.js';
import type { ProcessGroupRegistry } from '../runtime/process-groups.js';
import { clip, firstErrorLine, lastLine, qemuTargetSignal } from '../formats/first-error.js';
import { wrapCommand, type Runner } from './runner.js';

export const CANARY_SOURCE = `/* matrix runner canary: known output, known exit code, known crash. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "print") == 0) {
        printf("matrix-canary %s\\n", argv[2]);
        fflush(stdout);
        return 42;
    }
    if (argc == 2 && strcmp(argv[1], "crash") == 0) {
        printf("matrix-canary crashing\\n");
        fflush(stdout);
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        return 3;
    }
    return 2;
}
`;

export const CANARY_EXIT_CODE = 42;

export interface CanaryBuild {
  ok: boolean;
  path: string;
  /** Why it could not be built (the compiler's first error). */
  error?: string;
  command: string[];
}

/** The compiler command that builds the canary exactly as the cell's toolchain would. */
export function canaryCompileCommand(toolchain: ToolchainSpec, arch: ArchSpec, source: string, output: string): string[] {
  const linker = linkerFor(toolchain, arch);
  return [
    compilerName(toolchain, arch),
    ...(toolchain.kind === 'llvm' ? [`--target=${arch.triple}`] : []),
    ...cflagsFor(toolchain, arch),
    '-O1',
    '-o', output, source,
    ...ldflagsFor(toolchain, arch),
    ...(linker ? [`-fuse-ld=${linker}`] : []),
  ];
}

interface CanaryDeps {
  cacheDir: string;
  compilerVersion: string;
  signal: AbortSignal;
  registry: ProcessGroupRegistry;
}

/**
 * Builds (or reuses) the canary of one arch/toolchain. Cached like any build:
 * keyed by the compile command, the compiler's version and the source.
 */
export async function buildCanary(toolchain: ToolchainSpec, arch: ArchSpec, deps: CanaryDeps): Promise<CanaryBuild> {
  const dir = join(deps.cacheDir, 'canary', `${arch.name}-${toolchain.name}`);
  const source = join(dir, 'canary.c');
  const output = join(dir, 'canary');
  const command = canaryCompileCommand(toolchain, arch, source, output);
  const key = createHash('sha256').update(JSON.stringify({ command, version: deps.compilerVersion, source: CANARY_SOURCE })).digest('hex');
  const keyFile = join(dir, 'key');
  if (existsSync(output) && readKey(keyFile) === key) return { ok: true, path: output, command };
  await mkdir(dir, { recursive: true });
  await rm(output, { force: true });
  await writeFile(source, CANARY_SOURCE);
  const r = await runCommand({
    file: command[0]!,
    args: command.slice(1),
    cwd: dir,
    timeoutMs: 120_000,
    logPath: join(dir, 'build.log'),
    signal: deps.signal,
    registry: deps.registry,
  });
  if (r.exitCode !== 0 || r.signal || r.timedOut || r.canceled || !existsSync(output)) {
    const why = r.spawnError ?? firstErrorLine(r.output) ?? lastLine(r.output) ?? `exit code ${r.exitCode}`;
    return { ok: false, path: output, command, error: clip(why) };
  }
  const tmp = `${keyFile}.${process.pid}.tmp`;
  await writeFile(tmp, key);
  await rename(tmp, keyFile);
  return { ok: true, path: output, command };
}

function readKey(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export interface RunnerCheck {
  ok: boolean;
  /** The run was stopped during the check: no evidence either way. */
  interrupted?: boolean;
  /** What the runner did wrong, with what it printed (the evidence). */
  evidence?: string;
  /** The commands that were run, for the report. */
  commands: string[];
  durationMs: number;
}

interface RunDeps {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  registry: ProcessGroupRegistry;
  logDir: string;
}

/** Runs the canary twice under the runner: once to print and exit 42, once to crash with SIGSEGV. */
export async function checkRunner(runner: Runner, canary: string, deps: RunDeps): Promise<RunnerCheck> {
  const nonce = randomBytes(6).toString('hex');
  const run = (args: string[], name: string): Promise<CommandResult> => {
    const argv = wrapCommand(runner, canary, args);
    return runCommand({
      file: argv[0]!,
      args: argv.slice(1),
      cwd: deps.cwd,
      env: deps.env,
      timeoutMs: deps.timeoutMs,
      logPath: join(deps.logDir, `${name}.log`),
      signal: deps.signal,
      registry: deps.registry,
    });
  };
  const printed = await run(['print', nonce], 'runner-check.print');
  const crashed = printed.canceled ? printed : await run(['crash'], 'runner-check.crash');
  const commands = [printed.command, ...(crashed === printed ? [] : [crashed.command])];
  const durationMs = printed.durationMs + (crashed === printed ? 0 : crashed.durationMs);
  if (printed.canceled || crashed.canceled) return { ok: false, interrupted: true, evidence: 'interrupted (run canceled)', commands, durationMs };
  const evidence = judgePrint(printed, nonce) ?? judgeCrash(crashed);
  return evidence ? { ok: false, evidence, commands, durationMs } : { ok: true, commands, durationMs };
}

function shown(r: CommandResult): string {
  const out = r.output.trim();
  const end = r.timedOut ? 'timed out' : r.spawnError ? `could not start: ${r.spawnError}` : r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`;
  return `${end}; output ${out ? JSON.stringify(clip(out.split('\n').slice(0, 3).join(' | '), 160)) : 'empty'}`;
}

function judgePrint(r: CommandResult, nonce: string): string | undefined {
  if (r.canceled) return 'interrupted (run canceled)';
  const want = `matrix-canary ${nonce}`;
  const printedIt = r.stdout.split('\n').some((l) => l.replace(/\r$/, '') === want);
  if (!printedIt) return `the runner did not run the canary program: expected it to print "${want}" and exit ${CANARY_EXIT_CODE}, got ${shown(r)}`;
  if (r.signal || r.exitCode !== CANARY_EXIT_CODE) return `the runner loses the program's exit status: the canary exits ${CANARY_EXIT_CODE}, got ${shown(r)}`;
  return undefined;
}

function judgeCrash(r: CommandResult): string | undefined {
  if (r.canceled) return 'interrupted (run canceled)';
  const signal = r.signal ?? (r.exitCode !== 0 ? qemuTargetSignal(r.output) : undefined);
  const started = r.output.includes('matrix-canary crashing');
  if (!started) return `the runner did not run the crashing canary: expected "matrix-canary crashing" then SIGSEGV, got ${shown(r)}`;
  if (signal !== 'SIGSEGV') return `the runner does not report a crash: the canary raises SIGSEGV, got ${shown(r)}`;
  return undefined;
}
