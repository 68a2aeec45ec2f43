// Real build systems as targets, from matrix.yaml alone (issue 14): a
// kernel-style in-tree Makefile driven by ARCH/CROSS_COMPILE/LLVM, CMake with
// ctest under qemu, an autotools-style configure with `make check`, and meson
// with a generated cross file, each on x86_64 (native), aarch64 and mips
// (big-endian, qemu) with gcc and llvm. Per-test results must reach
// status.json and junit.xml; a test failing on purpose on big-endian is an
// xfail; time limits scale under qemu.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeWorkspace, REPO, runCli, type CliResult, type Workspace } from './helpers/workspace.js';

export const THREE_ARCHES = `
architectures:
  x86_64: { triple: x86_64-linux-gnu, debian: amd64, qemu: qemu-x86_64, native_on: [x86_64], bits: 64, endian: little, family: x86 }
  aarch64: { triple: aarch64-linux-gnu, debian: arm64, qemu: qemu-aarch64, native_on: [aarch64], bits: 64, endian: little }
  mips: { triple: mips-linux-gnu, debian: mips, qemu: qemu-mips, native_on: [], bits: 32, endian: big, timeout_factor: 20 }
`;

const MATRIX = `version: 1
defaults:
  timeout: 30
  retries: 0
  second_opinion: false
  timeout_factor: { qemu: 4 }
${THREE_ARCHES}
toolchains:
  gcc: { kind: gcc, cmake_toolchain: ${join(REPO, 'toolchains/gcc.cmake')} }
  llvm: { kind: llvm, linker: lld, cmake_toolchain: ${join(REPO, 'toolchains/llvm.cmake')} }
targets:
  kernel:
    build: make
    source: targets/kernel-style
    in_tree: true
    make_vars: { ARCH: "{arch}", CROSS_COMPILE: "{triple}-", LLVM: "{llvm}" }
    build_targets: [jitdemo]
    stages:
      - { name: tap, run: [jitdemo], format: tap }
      - { name: arch, run: [jitdemo, --arch], format: expect, expect_stdout_regex: "^built for (x86_64|aarch64|mips)$" }
      - { name: exit-three, run: [jitdemo, --exit], expect_exit: 3 }
  ctest:
    build: cmake
    source: targets/cmake-ctest
    stages:
      - { name: ctest, run: [ctest, --test-dir, "{build}", --output-on-failure], format: ctest }
  autotools:
    build: autotools
    source: targets/autotools-style
    stages:
      - { name: check, run: [make, check, "LOG_COMPILER={runner}"], format: automake }
  meson:
    build: meson
    source: targets/meson-tests
    stages:
      - { name: meson-test, run: [meson, test, -C, "{build}", --print-errorlogs], format: meson }
expectations:
  - { arch: mips, target: ctest, status: xfail, stage: ctest, reason: "the byte-order test assumes little-endian, on purpose" }
`;

interface Status {
  cells: { id: string; status: string; stage?: string; firstError?: string; reproducer: string; stages: { name: string; status: string; command?: string; tests?: { name: string; ok: boolean; skipped?: boolean; message?: string }[]; timeLimit?: { seconds: number; base?: number; factor?: number } }[] }[];
}

describe('any C/C++ project as a target', () => {
  let ws: Workspace;
  let run: CliResult;
  let status: Status;
  const cell = (id: string) => status.cells.find((c) => c.id === id)!;
  const stage = (id: string, name: string) => cell(id).stages.find((s) => s.name === name)!;

  beforeAll(async () => {
    ws = makeWorkspace('matrix-any-');
    ws.writeMatrix(MATRIX);
    run = await runCli(['run', '--config', ws.matrixFile, '--jobs', '2', '--out', ws.reportsDir], { cwd: ws.dir, env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    status = JSON.parse(readFileSync(join(ws.reportsDir, 'status.json'), 'utf8')) as Status;
  }, 240_000);
  afterAll(() => ws?.cleanup());

  it('runs all 24 cells as expected (exit 0), the mips ctest cell as an xfail', () => {
    const unexpected = status.cells.filter((c) => c.status !== 'pass' && c.id !== 'ctest-mips-gcc' && c.id !== 'ctest-mips-llvm');
    expect(unexpected.map((c) => `${c.id}: ${c.status} at ${c.stage}: ${c.firstError}`)).toEqual([]);
    expect(status.cells).toHaveLength(24);
    expect(cell('ctest-mips-gcc').status).toBe('xfail');
    expect(cell('ctest-mips-llvm').status).toBe('xfail');
    expect(run.code, run.stderr).toBe(0);
  });

  it('make: make_vars reach make and no CC is passed; in_tree builds in a copy, never in the source', () => {
    const build = stage('kernel-aarch64-llvm', 'build').command!;
    expect(build).toContain('ARCH=aarch64');
    expect(build).toContain('CROSS_COMPILE=aarch64-linux-gnu-');
    expect(build).toContain('LLVM=1');
    expect(build).not.toMatch(/ CC=/);
    expect(stage('kernel-mips-gcc', 'build').command).toMatch(/LLVM=(''|$| )/);
    // The fixture's own tree stays clean: each cell built in its copy.
    expect(existsSync(join(ws.dir, 'targets/kernel-style/main.o'))).toBe(false);
    expect(existsSync(join(ws.dir, 'cache/build/kernel-mips-gcc/lib/add.o'))).toBe(true);
    expect(cell('kernel-x86_64-gcc').reproducer).toContain('cp -a --update');
  });

  it('output checks: a regex on stdout and an expected exit code', () => {
    expect(stage('kernel-mips-llvm', 'arch').status).toBe('pass');
    expect(stage('kernel-mips-llvm', 'exit-three').status).toBe('pass');
  });

  it('ctest runs the project tests under qemu (CMAKE_CROSSCOMPILING_EMULATOR) and its JUnit output becomes per-test results', () => {
    expect(stage('ctest-aarch64-gcc', 'configure').command).toMatch(/-DCMAKE_CROSSCOMPILING_EMULATOR=[^ ]*qemu-aarch64;-L;\/usr\/aarch64-linux-gnu/);
    expect(stage('ctest-x86_64-gcc', 'configure').command).not.toContain('CROSSCOMPILING_EMULATOR');
    expect(stage('ctest-aarch64-llvm', 'ctest').tests!.map((t) => `${t.name}:${t.ok}`)).toEqual(['adds:true', 'multiplies:true', 'byte-order:true']);
    const mips = stage('ctest-mips-gcc', 'ctest');
    expect(mips.tests!.find((t) => t.name === 'byte-order')).toMatchObject({ ok: false });
    expect(cell('ctest-mips-gcc').firstError).toMatch(/1 of 3 tests failed: byte-order/);
  });

  it('autotools: configure --host, make, make check through LOG_COMPILER; .trs files become per-test results', () => {
    expect(stage('autotools-mips-gcc', 'configure').command).toContain('--host=mips-linux-gnu');
    expect(stage('autotools-mips-gcc', 'check').command).toMatch(/LOG_COMPILER=.*qemu-mips -L \/usr\/mips-linux-gnu/);
    expect(stage('autotools-mips-llvm', 'check').tests!.map((t) => `${t.name}:${t.ok}`)).toEqual(['t-add:true', 't-host:true', 't-mul:true']);
  });

  it('meson: a generated cross file with exe_wrapper; testlog.json becomes per-test results', () => {
    const cross = readFileSync(join(ws.dir, 'cache/build/meson-mips-llvm/matrix-cross.ini'), 'utf8');
    expect(cross).toMatch(/exe_wrapper = \['[^']*qemu-mips', '-L', '\/usr\/mips-linux-gnu'\]/);
    expect(cross).toContain("endian = 'big'");
    expect(cross).toContain("c = ['clang', '--target=mips-linux-gnu']");
    expect(stage('meson-aarch64-gcc', 'meson-test').tests!.map((t) => `${t.name}:${t.ok}`).sort()).toEqual(['adds:true', 'multiplies:true', 'word-size:true']);
  });

  it('per-test results appear in junit.xml', () => {
    const junit = readFileSync(join(ws.reportsDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/testcase[^>]*name="[^"]*byte-order/);
    expect(junit).toMatch(/testcase[^>]*name="[^"]*t-host/);
    expect(junit).toMatch(/testcase[^>]*name="[^"]*word-size/);
  });

  it('time limits scale per runner: defaults x1 natively, the qemu factor, an arch factor; the limit is recorded', () => {
    expect(stage('meson-x86_64-gcc', 'meson-test').timeLimit).toEqual({ seconds: 30 });
    expect(stage('meson-aarch64-gcc', 'meson-test').timeLimit).toEqual({ seconds: 120, base: 30, factor: 4 });
    expect(stage('meson-mips-gcc', 'meson-test').timeLimit).toEqual({ seconds: 600, base: 30, factor: 20 });
  });
});
