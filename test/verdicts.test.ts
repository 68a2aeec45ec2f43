// A green cell means the code was built, ran here, and passed: each way a
// run could come out green without that is a purpose-built fixture, run
// through the real CLI with real compilers and real qemu, with its own cache.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ARCHES_YAML, makeWorkspace, readStatus, REPO, runCli, TOOLCHAINS_YAML, type CliResult, type Workspace } from './helpers/workspace.js';

const TAP = join(REPO, 'test/fixtures/tap');

function tapcat(name: string, stream: string): string {
  return `
  ${name}:
    build: make
    source: targets/tapcat
    stages:
      - { name: tests, run: [bin/prog, "${join(TAP, stream)}"], format: tap }`;
}

function makeTarget(name: string, source: string, stages: string, extra = ''): string {
  return `
  ${name}:
    build: make
    source: targets/${source}${extra}
    stages:
${stages}`;
}

interface Cell {
  id: string;
  status: string;
  stage?: string;
  signal?: string;
  firstError?: string;
  reason?: string;
  knownFlaky?: boolean;
  attempts: number;
  stages: { name: string; status: string; firstError?: string; log?: string; attempts?: number; tries?: { attempt: number; status: string; signal?: string; firstError?: string; log?: string }[] }[];
}

describe('verdicts that must not be green', () => {
  let ws: Workspace;
  let run: CliResult;
  let cells: Cell[];
  const cell = (id: string): Cell => {
    const c = cells.find((x) => x.id === id);
    if (!c) throw new Error(`no cell ${id} in ${cells.map((x) => x.id).join(', ')}`);
    return c;
  };

  beforeAll(async () => {
    ws = makeWorkspace();
    ws.writeMatrix(`version: 1
defaults: { timeout: 60, retries: 1, log_limit: 65536 }
${ARCHES_YAML}
  noop:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: ${join(ws.dir, 'targets/fake-runner-noop')}
    native_on: []
  selfsegv:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: ${join(ws.dir, 'targets/fake-runner-selfsegv')}
    native_on: []
  noemu:
    triple: aarch64-linux-gnu
    debian: arm64
    native_on: []
${TOOLCHAINS_YAML}
targets:
${tapcat('tap-cr', 'cr-inside-not-ok.tap')}
${tapcat('tap-u2028', 'u2028-inside-not-ok.tap')}
${tapcat('tap-dup', 'duplicate-id.tap')}
${tapcat('tap-noplan', 'missing-plan.tap')}
${tapcat('tap-zero', 'zero-plan.tap')}
${tapcat('tap-allskip', 'all-skip.tap')}
${makeTarget('benchgarbage', 'benchgarbage', '      - { name: bench, run: [bin/prog], kind: bench }')}
${makeTarget('flaky', 'flaky', '      - { name: tests, run: [bin/prog], format: tap }')}
${makeTarget('flaky-known', 'flaky', '      - { name: tests, run: [bin/prog], format: tap, known_flaky: true }')}
${makeTarget('native-only', 'good', '      - { name: tests, run: [bin/prog], format: tap, where: native }')}
${makeTarget('good', 'good', '      - { name: tests, run: [bin/prog], format: tap }')}
${makeTarget('buildonly', 'good', `      - { name: tests, run: [bin/prog], format: tap }
      - { name: elf-check, run: ["{triple}-readelf", -h, bin/prog], where: host, kind: check }`)}
expectations:
  - { arch: [x86_64, aarch64, noop, selfsegv], target: buildonly, status: skip, reason: "the build-only case is the arch without an emulator" }
  - { arch: noemu, target: [tap-cr, tap-u2028, tap-dup, tap-noplan, tap-zero, tap-allskip, benchgarbage, flaky, flaky-known, native-only, good], status: skip, reason: "the arch without an emulator only builds the build-only target" }
  - { arch: [noop, selfsegv], target: [tap-cr, tap-u2028, tap-dup, tap-noplan, tap-zero, tap-allskip, benchgarbage, flaky, flaky-known, native-only], status: skip, reason: "only the good target checks the fake runners" }
  - { arch: aarch64, target: [tap-cr, tap-u2028, tap-dup, tap-noplan, tap-zero, tap-allskip, benchgarbage, flaky-known], status: skip, reason: "the stream rules do not depend on the arch" }
`);
    run = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--toolchain', 'gcc', '--jobs', '2'], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    cells = readStatus(ws).cells as unknown as Cell[];
  }, 300_000);

  afterAll(() => ws?.cleanup());

  it('exits 1: every case below is unexpected', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
  });

  it('fails a not ok line that contains a carriage return or a U+2028', () => {
    expect(cell('tap-cr-x86_64-gcc').status).toBe('fail');
    expect(cell('tap-cr-x86_64-gcc').firstError).toMatch(/^not ok - second/);
    expect(cell('tap-u2028-x86_64-gcc').status).toBe('fail');
    expect(cell('tap-u2028-x86_64-gcc').firstError).toMatch(/^not ok - second/);
  });

  it('fails duplicate ids, a missing plan and a plan of zero tests', () => {
    expect(cell('tap-dup-x86_64-gcc')).toMatchObject({ status: 'fail', stage: 'tests' });
    expect(cell('tap-dup-x86_64-gcc').firstError).toMatch(/test 2 reported twice/);
    expect(cell('tap-noplan-x86_64-gcc').firstError).toMatch(/^no plan/);
    expect(cell('tap-zero-x86_64-gcc').firstError).toMatch(/plan of zero tests/);
  });

  it('makes an all-SKIP stream a skipped stage, and a cell with nothing else a skip', () => {
    const c = cell('tap-allskip-x86_64-gcc');
    expect(c.status).toBe('skip');
    expect(c.stages.find((s) => s.name === 'tests')).toMatchObject({ status: 'skip' });
    expect(c.reason).toMatch(/no test stage ran here: every test skipped: no AVX/);
  });

  it('fails a benchmark that prints no JSON, naming what it printed', () => {
    const c = cell('benchgarbage-x86_64-gcc');
    expect(c.status).toBe('fail');
    expect(c.firstError).toMatch(/benchmark printed no JSON: "fast! 12.5 Mops\/s/);
  });

  it('skips a cell whose every run stage was blocked, with the reason', () => {
    const c = cell('native-only-aarch64-gcc');
    expect(c.status).toBe('skip');
    expect(c.reason).toMatch(/no test stage ran here: runs only natively/);
    expect(c.stage).toBe('build');
    expect(cell('native-only-x86_64-gcc').status).toBe('pass');
  });

  it('reports a crash that passed on retry as flaky, with both attempts and their logs', () => {
    for (const id of ['flaky-x86_64-gcc', 'flaky-aarch64-gcc']) {
      const c = cell(id);
      expect(c.status, id).toBe('flaky');
      expect(c.knownFlaky, id).toBeUndefined();
      expect(c.signal, id).toBe('SIGSEGV');
      expect(c.firstError, id).toMatch(/crashed with SIGSEGV/);
      const stage = c.stages.find((s) => s.name === 'tests')!;
      expect(stage.tries!.map((t) => [t.attempt, t.status, t.signal])).toEqual([[1, 'fail', 'SIGSEGV'], [2, 'pass', undefined]]);
      expect(stage.tries!.map((t) => t.log)).toEqual([`logs/${id}/tests.log`, `logs/${id}/tests.1.log`]);
      for (const t of stage.tries!) expect(existsSync(join(ws.reportsDir, t.log!)), t.log).toBe(true);
    }
    const md = readFileSync(join(ws.reportsDir, 'status.md'), 'utf8');
    expect(md).toMatch(/flaky-x86_64-gcc[^]*crashed with SIGSEGV/);
  });

  it('counts a known-flaky stage as expected, and still shows it', () => {
    const c = cell('flaky-known-x86_64-gcc');
    expect(c.status).toBe('flaky');
    expect(c.knownFlaky).toBe(true);
    const summary = readStatus(ws).summary;
    const unexpectedIds = cells.filter((x) => ['fail', 'xpass', 'timeout', 'error'].includes(x.status) || (x.status === 'flaky' && !x.knownFlaky)).map((x) => x.id);
    expect(summary.unexpected).toBe(unexpectedIds.length);
  });

  it('never caches a flaky result', async () => {
    const again = await runCli(['run', '--config', ws.matrixFile, '--out', join(ws.dir, 'again'), '--toolchain', 'gcc', '--arch', 'x86_64', '--target', 'flaky'], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    expect(again.code).toBe(1);
    const status = JSON.parse(readFileSync(join(ws.dir, 'again/status.json'), 'utf8')) as { cells: (Cell & { cached: boolean })[] };
    const c = status.cells.find((x) => x.id === 'flaky-x86_64-gcc')!;
    expect(c.cached).toBe(false);
    expect(c.status).toBe('flaky');
  });

  it('ends the run with exit 3 and the stack on an exception inside the engine, never a cell error', async () => {
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', join(ws.dir, 'bug'), '--toolchain', 'gcc', '--arch', 'x86_64', '--target', 'good', '--no-cache'], {
      env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache'), MATRIX_FAULT_INJECT: 'throw-in-cell:good-x86_64-gcc' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/internal error[^]*injected fault in good-x86_64-gcc[^]*\n\s+at /);
    expect(existsSync(join(ws.dir, 'bug/status.json'))).toBe(false);
  });

  it('checks the runner: one that runs nothing and exits 0 is an error, with the evidence', () => {
    const c = cell('good-noop-gcc');
    expect(c.status).toBe('error');
    expect(c.stage).toBe('runner-check');
    expect(c.firstError).toMatch(/did not run the canary program: expected it to print "matrix-canary [0-9a-f]+" and exit 42, got exit code 0; output empty/);
    expect(c.stages.find((s) => s.name === 'tests')).toMatchObject({ status: 'error' });
  });

  it('checks the runner: one that kills itself with SIGSEGV before running anything is an error, not a crash of the code', () => {
    const c = cell('good-selfsegv-gcc');
    expect(c.status).toBe('error');
    expect(c.stage).toBe('runner-check');
    expect(c.firstError).toMatch(/killed by SIGSEGV; output empty/);
  });

  it('builds a cell nothing can run, checks it on the host, and calls it skip with the build visible', () => {
    const c = cell('buildonly-noemu-gcc');
    expect(c.status).toBe('skip');
    expect(c.reason).toBe('built and checked on the host (elf-check); not run: no qemu-user emulator exists for noemu');
    expect(c.stage).toBe('elf-check'); // the stage that ran, not a skipped one
    expect(c.stages.map((s) => [s.name, s.status])).toEqual([['probe', 'pass'], ['build', 'pass'], ['tests', 'skip'], ['elf-check', 'pass']]);
  });

  it('passes the good target under real qemu after its runner check', () => {
    const c = cell('good-aarch64-gcc');
    expect(c.status).toBe('pass');
    expect(c.stages.map((s) => [s.name, s.status])).toEqual([['probe', 'pass'], ['configure', 'pass'], ['build', 'pass'], ['runner-check', 'pass'], ['tests', 'pass']].filter(([n]) => n !== 'configure'));
  });
});

describe('a flag change in matrix.yaml reaches an existing build tree', () => {
  let ws: Workspace;
  afterAll(() => ws?.cleanup());

  const matrix = (variant: number) => `version: 1
defaults: { timeout: 60, retries: 0 }
architectures:
  x86_64:
    triple: x86_64-linux-gnu
    debian: amd64
    qemu: qemu-x86_64
    native_on: [x86_64]
    cflags: [-DVARIANT=${variant}]
${TOOLCHAINS_YAML}
targets:
  variant:
    build: make
    source: targets/variant
    stages:
      - { name: answer, run: [bin/prog], format: expect, expect_stdout: "variant ${variant}" }
  variant-cmake:
    build: cmake
    source: targets/variant-cmake
    stages:
      - { name: answer, run: [bin/prog], format: expect, expect_stdout: "variant ${variant}" }
`;

  it('rebuilds make and cmake trees with the new flags (a stale tree would print the old variant)', async () => {
    ws = makeWorkspace();
    const env = { MATRIX_CACHE_DIR: join(ws.dir, 'cache') };
    ws.writeMatrix(matrix(1));
    const first = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--toolchain', 'gcc'], { env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    writeFileSync(ws.matrixFile, matrix(2));
    const second = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--toolchain', 'gcc'], { env });
    const status = readStatus(ws);
    expect(status.cells.filter((c) => c.toolchain === 'gcc').map((c) => [c.id, c.status, c.cached])).toEqual([['variant-x86_64-gcc', 'pass', false], ['variant-cmake-x86_64-gcc', 'pass', false]]);
    expect(second.code).toBe(0);
    const configure: { command?: string } | undefined = status.cells.find((c) => c.id === 'variant-cmake-x86_64-gcc')!.stages.find((s: { name: string }) => s.name === 'configure');
    expect(configure.command).toMatch(/^cmake --fresh /);
  }, 120_000);
});
