// Toolchain versions and CPU variants as matrix axes, and profiles: the
// expansion (pure), and a real run of one arch with two clang versions and
// two CPU variants (one the host runs natively, one it must emulate).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseMatrix } from '../src/matrix/config.js';
import { expandMatrix } from '../src/matrix/cells.js';
import { applyProfile } from '../src/matrix/profiles.js';
import { toolchainPackages } from '../src/toolchains/toolchain.js';
import { planCell } from '../src/stages/plan.js';
import { chooseRunner } from '../src/qemu/runner.js';
import { makeWorkspace, readStatus, REPO, runCli, type Workspace } from './helpers/workspace.js';

const MATRIX = `version: 1
defaults: { timeout: 60, retries: 0, second_opinion: false }
architectures:
  x86_64:
    triple: x86_64-linux-gnu
    debian: amd64
    qemu: qemu-x86_64
    native_on: [x86_64]
    bits: 64
    endian: little
    family: x86
    toolchains:
      llvm: { cflags: [-DFROM_THE_BASE_OVERRIDE=1] }
    variants:
      v3: { cflags: [-march=x86-64-v3], cpu: max, needs: [avx2] }
      emulated: { cflags: [-march=x86-64], cpu: max, needs: [a-feature-no-cpu-has] }
toolchains:
  llvm:
    kind: llvm
    cmake_toolchain: ${join(REPO, 'toolchains/llvm.cmake')}
    allow_outside: true
    linker: lld
    packages: ["clang{suffix}", "lld{suffix}"]
    versions: [15]
targets:
  good:
    build: make
    source: targets/good
    stages:
      - { name: tests, run: [bin/prog], format: tap }
profiles:
  quick: {}
  nightly: { versions: true, variants: true }
  only-v3: { variants: true, architectures: [x86_64-v3] }
`;

describe('axes: expansion and profiles', () => {
  const config = parseMatrix(MATRIX, join(REPO, 'test/axes.yaml'));

  it('expands versions into <toolchain>-<N> and variants into <arch>-<variant>', () => {
    expect(config.toolchains.map((t) => [t.name, t.version, t.base])).toEqual([['llvm', '', undefined], ['llvm-15', '15', 'llvm']]);
    expect(config.architectures.map((a) => a.name)).toEqual(['x86_64', 'x86_64-v3', 'x86_64-emulated']);
    const v3 = config.architectures[1]!;
    expect(v3.variantFlags?.cflags).toEqual(['-march=x86-64-v3']);
    expect(v3.qemuArgs).toEqual(['-cpu', 'max']);
    expect(v3.variantOf).toEqual({ arch: 'x86_64', variant: 'v3' });
    expect(v3.triple).toBe('x86_64-linux-gnu');
    // Version placeholders install the right packages.
    expect(toolchainPackages(config.toolchains[1]!, config.architectures[0]!, 'aarch64')).toEqual(['clang-15', 'lld-15']);
    expect(toolchainPackages(config.toolchains[0]!, config.architectures[0]!, 'aarch64')).toEqual(['clang', 'lld']);
  });

  it('quick (the default) keeps the base axes; nightly adds every version and variant', () => {
    expect(expandMatrix(applyProfile(config)).map((c) => c.id)).toEqual(['good-x86_64-llvm']);
    expect(expandMatrix(applyProfile(config, 'nightly')).map((c) => c.id)).toEqual([
      'good-x86_64-llvm', 'good-x86_64-llvm-15', 'good-x86_64-v3-llvm', 'good-x86_64-v3-llvm-15', 'good-x86_64-emulated-llvm', 'good-x86_64-emulated-llvm-15',
    ]);
    expect(expandMatrix(applyProfile(config, 'only-v3')).map((c) => c.id)).toEqual(['good-x86_64-v3-llvm']);
    expect(() => applyProfile(config, 'nighty')).toThrow(/unknown profile "nighty"; did you mean "nightly"\?/);
  });

  it('refuses a profile naming an unknown architecture, with the nearest name', () => {
    expect(() => parseMatrix(MATRIX.replace('architectures: [x86_64-v3]', 'architectures: [x86_64-v4]'), join(REPO, 'test/axes.yaml'))).toThrow(/profile "only-v3" names unknown architecture "x86_64-v4"/);
  });
});

describe('axes: a real run of two clang versions and two CPU variants', () => {
  let ws: Workspace;
  let cells: ReturnType<typeof readStatus>['cells'];
  beforeAll(async () => {
    ws = makeWorkspace();
    ws.writeMatrix(MATRIX);
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--profile', 'nightly'], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    expect(r.stderr).not.toMatch(/internal error/);
    cells = readStatus(ws).cells;
  }, 240_000);
  afterAll(() => ws?.cleanup());
  const cell = (id: string) => cells.find((c) => c.id === id)! as unknown as { status: string; runner: string; reproducer: string; versions: { compiler?: string }; stages: { name: string; command?: string }[] };

  it('passes every cell, each with its own compiler version as printed', () => {
    expect(cells.map((c) => [c.id, c.status])).toEqual([
      ['good-x86_64-llvm', 'pass'], ['good-x86_64-llvm-15', 'pass'], ['good-x86_64-v3-llvm', 'pass'], ['good-x86_64-v3-llvm-15', 'pass'], ['good-x86_64-emulated-llvm', 'pass'], ['good-x86_64-emulated-llvm-15', 'pass'],
    ]);
    expect(cell('good-x86_64-llvm-15').versions.compiler).toMatch(/clang version 15\./);
    expect(cell('good-x86_64-llvm').versions.compiler).toMatch(/clang version 14\./);
  });

  it('gives a versioned toolchain its base\'s arch override and the variant its flags', () => {
    const build = cell('good-x86_64-v3-llvm-15').stages.find((s) => s.name === 'build')!.command!;
    expect(build).toContain("'CC=clang-15 --target=x86_64-linux-gnu'");
    // The variant's flags come last, so they win over an override's (-marm over -mthumb).
    expect(build).toContain("'MATRIX_CFLAGS=-DFROM_THE_BASE_OVERRIDE=1 -march=x86-64-v3'");
  });

  it('runs a variant natively only where the host has its features, else under qemu -cpu', () => {
    expect(cell('good-x86_64-emulated-llvm').runner).toBe('qemu');
    // The host's own triple: its libraries are at /.
    expect(cell('good-x86_64-emulated-llvm').reproducer).toMatch(/qemu-x86_64 -cpu max -L \/ bin\/prog$/);
    const hostHasAvx2 = cell('good-x86_64-v3-llvm').runner === 'native';
    expect(cell('good-x86_64-v3-llvm').runner).toBe(hostHasAvx2 ? 'native' : 'qemu');
  });
});

describe('axes: stage scoping, build goals, CPU placeholders, expectation globs', () => {
  const SCOPED = `version: 1
architectures:
  aarch64:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: qemu-aarch64
    native_on: [aarch64]
    variants:
      armv8-0: { cflags: [-march=armv8-a], cpu: cortex-a53, lacks: [atomics] }
      armv8-1-lse: { cflags: [-march=armv8.1-a], cpu: cortex-a76, needs: [atomics] }
toolchains:
  llvm:
    kind: llvm
    cmake_toolchain: ${join(REPO, 'toolchains/llvm.cmake')}
    allow_outside: true
    versions: [15, 19]
targets:
  native:
    build: cmake
    source: ${join(REPO, 'native')}
    allow_outside: true
    stages:
      - { name: cpu, run: [bin/jitcore_cpu, --tap, --expect, "{cpu_needs}", --lacks, "{cpu_lacks}", --on, "{cpu}"], format: tap, builds: [jitcore_cpu] }
      - { name: long-bench, run: [bin/bench], where: native-x86, kind: bench, builds: [bench], profiles: [nightly] }
expectations:
  - { arch: "aarch64*", toolchain: "llvm*", status: xfail, stage: cpu, reason: every clang }
  - { arch: aarch64, toolchain: [llvm-15], status: skip, reason: only llvm-15 on the base arch }
profiles:
  quick: {}
  nightly: { versions: true, variants: true }
`;
  const config = parseMatrix(SCOPED, join(REPO, 'test/axes-scoped.yaml'));
  const host = { machine: 'x86_64', generator: ['-G', 'Ninja'] };
  const plan = (profile: string, id: string) => {
    const cell = expandMatrix(applyProfile(config, profile)).find((c) => c.id === id)!;
    return { cell, plan: planCell(cell, { config: applyProfile(config, profile), cacheDir: '/tmp/c', host, options: { buildParallel: 1 } }) };
  };

  it('keeps a profile-scoped stage out of the other profiles', () => {
    expect(applyProfile(config, 'quick').targets[0]!.stages.map((s) => s.name)).toEqual(['cpu']);
    expect(applyProfile(config, 'nightly').targets[0]!.stages.map((s) => s.name)).toEqual(['cpu', 'long-bench']);
  });

  it('builds only the targets of the stages that can run on the cell', () => {
    // Under qemu the native-x86 benchmark cannot run: its binary is not built.
    const { plan: p } = plan('nightly', 'native-aarch64-armv8-0-llvm');
    expect(p.build.slice(-2)).toEqual(['--target', 'jitcore_cpu']);
  });

  it("fills the variant's needs, lacks and qemu CPU into {cpu_needs}, {cpu_lacks}, {cpu}", () => {
    const lse = plan('nightly', 'native-aarch64-armv8-1-lse-llvm-19').plan.stages[0]!;
    expect(lse.argv).toEqual(expect.arrayContaining(['-cpu', 'cortex-a76', '--expect', 'atomics', '--lacks', '', '--on', 'cortex-a76']));
    const base = plan('nightly', 'native-aarch64-armv8-0-llvm').plan.stages[0]!;
    expect(base.argv).toEqual(expect.arrayContaining(['-cpu', 'cortex-a53', '--expect', '', '--lacks', 'atomics']));
  });

  it('matches expectation globs against versions and variants, exact names exactly', () => {
    const cells = expandMatrix(applyProfile(config, 'nightly'));
    const exp = Object.fromEntries(cells.map((c) => [c.id, c.expectation?.status ?? '-']));
    expect(exp['native-aarch64-llvm-19']).toBe('xfail');
    expect(exp['native-aarch64-armv8-1-lse-llvm-15']).toBe('xfail');
    // The first matching expectation wins: the glob comes first.
    expect(exp['native-aarch64-llvm-15']).toBe('xfail');
  });

  it('refuses a glob that matches nothing, an unknown stage profile, and a feature both needed and lacked', () => {
    expect(() => parseMatrix(SCOPED.replace('toolchain: "llvm*"', 'toolchain: "gcc*"'), join(REPO, 'test/axes-scoped.yaml'))).toThrow(/expectation pattern "gcc\*" matches no toolchain/);
    expect(() => parseMatrix(SCOPED.replace('profiles: [nightly]', 'profiles: [nigthly]'), join(REPO, 'test/axes-scoped.yaml'))).toThrow(/stage "long-bench" of target "native" names unknown profile "nigthly"; did you mean "nightly"\?/);
    expect(() => parseMatrix(SCOPED.replace('lacks: [atomics]', 'lacks: [atomics], needs: [atomics]'), join(REPO, 'test/axes-scoped.yaml'))).toThrow(/both needs and lacks "atomics"/);
  });

  it('runs a variant that lacks a feature the host has under qemu, saying why', () => {
    const lacking = config.architectures.find((a) => a.name === 'aarch64-armv8-0')!;
    // On an aarch64 host with LSE the ARMv8.0 core is emulated; elsewhere qemu anyway.
    expect(chooseRunner(lacking, 'x86_64').kind).toBe('qemu');
    const x86 = parseMatrix(MATRIX.replace('needs: [avx2] }', 'needs: [avx2] }\n      no-sse2: { cpu: qemu64, lacks: [sse2] }'), join(REPO, 'test/axes.yaml'));
    const r = chooseRunner(x86.architectures.find((a) => a.name === 'x86_64-no-sse2')!, 'x86_64');
    expect(r).toMatchObject({ kind: 'qemu', note: "this host's CPU has sse2, which x86_64-no-sse2's CPU lacks" });
    // No emulator to fall back on: not run, and the reason says both halves.
    const noQemu = { ...x86.architectures.find((a) => a.name === 'x86_64-no-sse2')!, qemu: undefined };
    expect(chooseRunner(noQemu, 'x86_64')).toMatchObject({ kind: 'none', reason: "this host's CPU has sse2, which x86_64-no-sse2's CPU lacks, and there is no qemu to run it" });
  });
});

describe('axes: packages of a versioned llvm toolchain on the host', () => {
  it('installs clang-N and lld-N, and the default gcc for crt files (there is no gcc-N for clang-N)', () => {
    const yaml = MATRIX.replace('packages: ["clang{suffix}", "lld{suffix}"]', 'packages: ["clang{suffix}", "lld{suffix}", "gcc-{triple}", "libc6-dev-{debian}-cross"]');
    const config = parseMatrix(yaml, join(REPO, 'test/axes.yaml'));
    expect(toolchainPackages(config.toolchains[1]!, config.architectures[0]!, 'x86_64')).toEqual(['clang-15', 'lld-15', 'gcc', 'libc6-dev']);
  });
});

describe('axes: doctor and a version some architectures lack', () => {
  it('installs nothing for a pair every target skips (no gcc-11 cross compiler for riscv64), and says why', async () => {
    const { diagnose } = await import('../src/cli/commands/doctor.js');
    const yaml = `version: 1
architectures:
  riscv64: { triple: riscv64-linux-gnu, debian: riscv64, qemu: qemu-riscv64, native_on: [riscv64] }
toolchains:
  gcc: { kind: gcc, cmake_toolchain: ${join(REPO, 'toolchains/gcc.cmake')}, allow_outside: true, packages: ["gcc{suffix}-{triple}"], versions: [11] }
targets:
  t: { build: make, source: ., stages: [] }
expectations:
  - { arch: riscv64, toolchain: gcc-11, status: skip, reason: "no gcc-11-riscv64-linux-gnu in bookworm" }
profiles:
  nightly: { versions: true }
`;
    const config = applyProfile(parseMatrix(yaml, join(REPO, 'test/axes-doctor.yaml')), 'nightly');
    const report = await diagnose(config);
    expect(report.rows.find((r) => r.toolchain === 'gcc-11')).toMatchObject({ ok: true, compiler: 'skipped by matrix.yaml: no gcc-11-riscv64-linux-gnu in bookworm' });
    expect(report.packages).not.toContain('gcc-11-riscv64-linux-gnu');
  });
});

describe('axes: one stage name in two profiles', () => {
  const yaml = (second: string) => `version: 1
architectures:
  x86_64: { triple: x86_64-linux-gnu, debian: amd64, native_on: [x86_64] }
toolchains:
  gcc: { kind: gcc }
targets:
  t:
    build: make
    source: .
    stages:
      - { name: fuzz, run: [bin/f, --trace-every, "10"], profiles: [quick] }
      - { name: fuzz, run: [bin/f], ${second} }
profiles:
  quick: {}
  nightly: {}
`;
  it('takes a quick and a nightly form of one stage, each profile seeing its own', () => {
    const config = parseMatrix(yaml('profiles: [nightly]'), join(REPO, 'test/axes-dup.yaml'));
    expect(applyProfile(config, 'quick').targets[0]!.stages.map((s) => s.command)).toEqual([['bin/f', '--trace-every', '10']]);
    expect(applyProfile(config, 'nightly').targets[0]!.stages.map((s) => s.command)).toEqual([['bin/f']]);
  });
  it('refuses the same name twice where a profile would see both', () => {
    expect(() => parseMatrix(yaml('profiles: [quick, nightly]'), join(REPO, 'test/axes-dup.yaml'))).toThrow(/duplicate stage name "fuzz" in target "t" \(first at line 11\); .*unless each names its own profiles/);
    expect(() => parseMatrix(yaml('where: any'), join(REPO, 'test/axes-dup.yaml'))).toThrow(/duplicate stage name "fuzz"/);
  });
});
