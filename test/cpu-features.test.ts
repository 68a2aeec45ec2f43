// A CPU variant's run must prove it ran on the variant's CPU: the JIT core's
// jitcore_cpu prints what it detected at run time (HWCAP, cpuid) and the path
// it took, and the cpu-features stage checks that against the variant's
// needs and lacks. A real run: aarch64 ARMv8.0 and ARMv8.1 (LSE) under qemu,
// two clang versions, and an x86_64 variant whose claim is false, which must fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeWorkspace, readStatus, REPO, runCli, type Workspace } from './helpers/workspace.js';

const MATRIX = `version: 1
defaults: { timeout: 120, retries: 0, second_opinion: false }
architectures:
  aarch64:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: qemu-aarch64
    native_on: [aarch64]
    bits: 64
    endian: little
    family: arm
    variants:
      armv8-0: { cflags: [-march=armv8-a], cpu: cortex-a53, lacks: [atomics] }
      armv8-1-lse: { cflags: [-march=armv8.1-a], cpu: cortex-a76, needs: [atomics] }
  x86_64:
    triple: x86_64-linux-gnu
    debian: amd64
    qemu: qemu-x86_64
    native_on: [x86_64]
    bits: 64
    endian: little
    family: x86
    variants:
      # A false claim: qemu's "max" CPU has SSE2. The stage must catch it.
      no-sse2: { cpu: max, lacks: [sse2] }
toolchains:
  llvm:
    kind: llvm
    cmake_toolchain: ${join(REPO, 'toolchains/llvm.cmake')}
    allow_outside: true
    linker: lld
    packages: ["clang{suffix}", "lld{suffix}", "gcc-{triple}", "libc6-dev-{debian}-cross"]
    versions: [15]
targets:
  native:
    build: cmake
    source: ${join(REPO, 'native')}
    allow_outside: true
    stages:
      - name: cpu-features
        run: [bin/jitcore_cpu, --tap, --expect, "{cpu_needs}", --lacks, "{cpu_lacks}"]
        format: tap
        builds: [jitcore_cpu]
profiles:
  variants: { versions: true, variants: true, architectures: [aarch64-armv8-0, aarch64-armv8-1-lse, x86_64-no-sse2] }
`;

interface Cell {
  id: string;
  status: string;
  stage?: string;
  runner: string;
  reproducer: string;
  versions: { compiler?: string };
  axes?: { arch: string; variant?: string; toolchain: string; version?: string; cpu?: string; runnerNote?: string };
  stages: { name: string; status: string; command?: string; log?: string; tests?: { name: string; ok: boolean }[] }[];
}

describe('cpu-features: each variant proves the CPU it ran on', () => {
  let ws: Workspace;
  let cells: Cell[];
  beforeAll(async () => {
    ws = makeWorkspace();
    ws.writeMatrix(MATRIX);
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--profile', 'variants'], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    expect(r.stderr).not.toMatch(/internal error/);
    cells = readStatus(ws).cells as unknown as Cell[];
  }, 600_000);
  afterAll(() => ws?.cleanup());
  const cell = (id: string): Cell => cells.find((c) => c.id === id)!;
  const log = (c: Cell): string => readFileSync(join(ws.reportsDir, c.stages.find((s) => s.name === 'cpu-features')!.log!), 'utf8');

  it('names every cell by arch variant and toolchain version, each with the compiler it printed', () => {
    expect(cells.map((c) => [c.id, c.status])).toEqual([
      ['native-aarch64-armv8-0-llvm', 'pass'], ['native-aarch64-armv8-0-llvm-15', 'pass'],
      ['native-aarch64-armv8-1-lse-llvm', 'pass'], ['native-aarch64-armv8-1-lse-llvm-15', 'pass'],
      ['native-x86_64-no-sse2-llvm', 'fail'], ['native-x86_64-no-sse2-llvm-15', 'fail'],
    ]);
    expect(cell('native-aarch64-armv8-0-llvm').versions.compiler).toMatch(/clang version 14\./);
    expect(cell('native-aarch64-armv8-0-llvm-15').versions.compiler).toMatch(/clang version 15\./);
    expect(cell('native-aarch64-armv8-1-lse-llvm-15').axes).toEqual({ arch: 'aarch64', variant: 'armv8-1-lse', toolchain: 'llvm', version: '15', cpu: 'cortex-a76' });
  });

  it("runs each variant under its qemu CPU, as the reproducer shows", () => {
    expect(cell('native-aarch64-armv8-0-llvm').reproducer).toContain("qemu-aarch64 -cpu cortex-a53 -L /usr/aarch64-linux-gnu bin/jitcore_cpu --tap --expect '' --lacks atomics");
    // A cell builds only what its stages run.
    expect(cell('native-aarch64-armv8-0-llvm').reproducer).toContain('--target jitcore_cpu && ');
    expect(cell('native-aarch64-armv8-1-lse-llvm').reproducer).toContain('qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu bin/jitcore_cpu --tap --expect atomics');
  });

  it('takes the LL/SC slot swap on the ARMv8.0 core and LSE on the ARMv8.1 core, and says so', () => {
    const v80 = cell('native-aarch64-armv8-0-llvm');
    expect(v80.stages.find((s) => s.name === 'cpu-features')!.tests!.filter((t) => t.ok).map((t) => t.name).join('\n')).toMatch(/does not detect atomics/);
    expect(log(v80)).toMatch(/# paths: .*slot-swap=llsc/);
    expect(log(v80)).not.toMatch(/# detected: .*\batomics\b/);
    const lse = cell('native-aarch64-armv8-1-lse-llvm-15');
    expect(log(lse)).toMatch(/# detected: .*\batomics\b/);
    expect(log(lse)).toMatch(/# paths: .*slot-swap=lse/);
  });

  it('fails a variant whose CPU has what it claims to lack, naming the feature; the host having it sent it to qemu', () => {
    const bad = cell('native-x86_64-no-sse2-llvm');
    expect(bad).toMatchObject({ status: 'fail', stage: 'cpu-features', runner: 'qemu' });
    expect(bad.axes?.runnerNote).toBe("this host's CPU has sse2, which x86_64-no-sse2's CPU lacks");
    const failed = bad.stages.find((s) => s.name === 'cpu-features')!.tests!.filter((t) => !t.ok).map((t) => t.name);
    expect(failed.join('\n')).toMatch(/sse2/);
  });
});
