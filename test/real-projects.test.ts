// What real projects hit, each through the real engine: keep going past a
// failed stage, crash context under a pseudo-terminal, runner arguments and
// environment per arch, a toolchain that cannot link (error with the fix, not
// fail), a silent slow build (heartbeat), a GNUmakefile.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeWorkspace, readStatus, REPO, runCli, TOOLCHAINS_YAML, type CliResult, type Workspace } from './helpers/workspace.js';

const X86 = `  x86_64:
    triple: x86_64-linux-gnu
    debian: amd64
    qemu: qemu-x86_64
    native_on: [x86_64]
    bits: 64
    endian: little
    family: x86
`;

describe('real-project mechanisms', () => {
  let ws: Workspace;
  let run: CliResult;
  let status: ReturnType<typeof readStatus>;
  const cell = (id: string) => status.cells.find((c) => c.id === id)!;

  beforeAll(async () => {
    ws = makeWorkspace();
    ws.writeMatrix(`version: 1
defaults: { timeout: 60, retries: 0 }
architectures:
${X86}  a53:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: qemu-aarch64
    qemu_args: [-cpu, cortex-a53]
    native_on: []
    env: { MATRIX_TEST_GREETING: "hello from the arch entry" }
  riscv64:
    triple: riscv64-linux-gnu
    debian: riscv64
    qemu: qemu-riscv64
    native_on: []
${TOOLCHAINS_YAML}
targets:
  two-stages:
    build: make
    source: targets/wrong
    stages:
      - { name: first, run: [bin/prog], format: expect, expect_stdout: "42" }
      - { name: second, run: [bin/prog] }
  two-stages-going:
    build: make
    source: targets/wrong
    keep_going: true
    stages:
      - { name: first, run: [bin/prog], format: expect, expect_stdout: "42" }
      - { name: second, run: [bin/prog] }
  lastwords:
    build: make
    source: targets/lastwords
    stages:
      - { name: piped, run: [bin/prog] }
  lastwords-tty:
    build: make
    source: targets/lastwords
    stages:
      - { name: on-a-terminal, run: [bin/prog], tty: true }
  envprint:
    build: make
    source: targets/envprint
    stages:
      - { name: greeting, run: [bin/prog], format: expect, expect_stdout: "hello from the arch entry" }
  gnumake:
    build: make
    source: targets/gnumake
    stages:
      - { name: tests, run: [bin/prog], format: tap }
expectations:
  - { arch: riscv64, target: [two-stages, two-stages-going, lastwords, lastwords-tty, envprint], status: skip, reason: "riscv64 is here for its toolchain limit" }
  - { arch: riscv64, toolchain: gcc, status: skip, reason: "the limit is lld's" }
  - { arch: a53, target: [two-stages, two-stages-going, lastwords], status: skip, reason: "covered on x86_64" }
  - { arch: x86_64, target: envprint, status: skip, reason: "the env is the a53 entry's" }
`);
    run = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--jobs', '2'], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    expect(run.stderr).toBe('');
    status = readStatus(ws);
  }, 300_000);
  afterAll(() => ws?.cleanup());

  it('stops a cell at its first failing stage by default, and keeps going when asked', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    const stop = cell('two-stages-x86_64-gcc');
    expect(stop).toMatchObject({ status: 'fail', stage: 'first' });
    expect(stop.stages.map((s) => s.name)).not.toContain('second');
    const going = cell('two-stages-going-x86_64-gcc');
    expect(going).toMatchObject({ status: 'fail', stage: 'first' });
    expect(going.stages.filter((s) => ['first', 'second'].includes(s.name)).map((s) => [s.name, s.status])).toEqual([['first', 'fail'], ['second', 'pass']]);
  });

  it('--keep-going does the same for every target', async () => {
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', join(ws.dir, 'kg'), '--target', 'two-stages', '--arch', 'x86_64', '--toolchain', 'gcc', '--keep-going'], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache-kg') } });
    expect(r.code).toBe(1);
    const s = readStatus({ ...ws, reportsDir: join(ws.dir, 'kg') }).cells.find((c) => c.id === 'two-stages-x86_64-gcc')!;
    expect(s.stages.filter((x) => ['first', 'second'].includes(x.name)).map((x) => [x.name, x.status])).toEqual([['first', 'fail'], ['second', 'pass']]);
  }, 60_000);

  it('keeps a crashing program\'s last line when the stage runs on a terminal (tty: true)', () => {
    const piped = cell('lastwords-x86_64-gcc');
    expect(piped.status).toBe('fail');
    expect(piped.signal).toBe('SIGSEGV');
    expect(piped.firstError).not.toMatch(/running case/); // a pipe's buffer dies with the process
    for (const id of ['lastwords-tty-x86_64-gcc', 'lastwords-tty-a53-gcc']) {
      const tty = cell(id);
      expect(tty.status, id).toBe('fail');
      expect(tty.signal, id).toBe('SIGSEGV');
      expect(tty.firstError, id).toMatch(/crashed with SIGSEGV.*running case 3/);
    }
  });

  it('passes the arch entry\'s qemu arguments and environment to the run and the reproducer', () => {
    const c = cell('envprint-a53-gcc');
    expect(c.status, c.firstError).toBe('pass');
    const stage = c.stages.find((s) => s.name === 'greeting')!;
    expect(stage.command).toMatch(/qemu-aarch64 -cpu cortex-a53 -L \/usr\/aarch64-linux-gnu /);
    expect(c.reproducer).toMatch(/^export MATRIX_TEST_GREETING='hello from the arch entry' && /);
    expect(c.reproducer).toMatch(/qemu-aarch64 -cpu cortex-a53 -L/);
  });

  it('calls a linker that cannot link for the arch an error of the toolchain, with the fix, not a failure of the project', () => {
    const c = cell('gnumake-riscv64-llvm');
    expect(c.status).toBe('error');
    expect(c.stage).toBe('probe');
    expect(c.firstError).toMatch(/the llvm linker cannot link for riscv64: .*R_RISCV_ALIGN requires unimplemented linker relaxation.*fix: set "linker: bfd" in architectures\.riscv64\.toolchains\.llvm/);
  });

  it('builds with a GNUmakefile', () => {
    expect(cell('gnumake-x86_64-gcc').status).toBe('pass');
    expect(cell('gnumake-x86_64-gcc').stages.find((s) => s.name === 'build')!.command).toMatch(/-f \S*gnumake\/GNUmakefile/);
  });
});

describe('a silent slow build', () => {
  let ws: Workspace;
  afterAll(() => ws?.cleanup());

  it('prints a heartbeat line every 30 s without a terminal', async () => {
    ws = makeWorkspace();
    ws.writeMatrix(`version: 1
architectures:
${X86}${TOOLCHAINS_YAML}
targets:
  good:
    build: make
    source: targets/good
    stages:
      - { name: tests, run: [bin/prog], format: tap }
`);
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--toolchain', 'gcc'], {
      env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache'), PATH: `${join(REPO, 'test/fixtures/targets/slowcc')}:${process.env.PATH}` },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^good-x86_64-gcc build still running \(3\ds\)$/m);
    expect(r.stdout).toMatch(/^good-x86_64-gcc build still running \(6\ds\)$/m);
    expect(r.stdout).toMatch(/^\[1\/1\] good-x86_64-gcc => PASS/m);
  }, 150_000);
});
