// Triage from the command line, end to end on purpose-built fixtures:
// `matrix repro` (script and --exec), `matrix run --failed`, the emulator
// second opinion, and the progress lines without a terminal.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ARCHES_YAML, makeWorkspace, readStatus, REPO, runCli, TOOLCHAINS_YAML, type Workspace } from './helpers/workspace.js';
import { stripAnsi } from '../src/formats/first-error.js';

describe('triage commands', () => {
  let ws: Workspace;
  let env: Record<string, string>;
  const run = (...args: string[]) => runCli([...args, '--config', ws.matrixFile], { env, cwd: ws.dir });

  beforeAll(async () => {
    ws = makeWorkspace();
    env = { MATRIX_CACHE_DIR: join(ws.dir, 'cache') };
    ws.writeMatrix(`version: 1
defaults: { timeout: 60, retries: 0 }
${ARCHES_YAML}
  picky:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: ${join(ws.dir, 'targets/fake-qemu-picky')}
    native_on: []
${TOOLCHAINS_YAML}
targets:
  good:
    build: make
    source: targets/good
    stages:
      - { name: tests, run: [bin/prog], format: tap }
  wrong:
    build: make
    source: targets/wrong
    stages:
      - { name: answer, run: [bin/prog], format: expect, expect_stdout: "42" }
  cmake-fail:
    build: cmake
    source: targets/cmake-fail
    stages:
      - { name: tests, run: [bin/prog], format: tap }
expectations:
  - { toolchain: llvm, status: skip, reason: "gcc is enough here" }
  - { arch: picky, target: [wrong, cmake-fail], status: skip, reason: "picky runs only the good target" }
`);
    const first = await run('run', '--out', ws.reportsDir);
    expect(first.code).toBe(1);
  }, 240_000);
  afterAll(() => ws?.cleanup());

  it('prints one line per finished cell with the count, without a terminal', async () => {
    const r = await run('run', '--out', join(ws.dir, 'again'), '--arch', 'x86_64');
    // Six cells are selected (three targets, gcc and llvm); the llvm ones end as expectation skips.
    expect(r.stdout).toMatch(/^\[1\/6\] \S+-x86_64-(gcc|llvm) => /m);
    expect(r.stdout).toMatch(/^\[6\/6\] \S+-x86_64-(gcc|llvm) => /m);
  }, 60_000);

  it('shows an overall line with counts and an ETA on a real terminal (a pseudo-terminal from script)', () => {
    const cmd = [process.execPath, join(REPO, 'bin/matrix.js'), 'run', '--config', ws.matrixFile, '--out', join(ws.dir, 'tty'), '--arch', 'x86_64', '--toolchain', 'gcc'].map((a) => `'${a}'`).join(' ');
    const env: Record<string, string | undefined> = { ...process.env, ...{ MATRIX_CACHE_DIR: join(ws.dir, 'cache') }, TERM: 'xterm', COLUMNS: '160' };
    delete env.CI;
    // A first run writes the history the ETA comes from; the second shows it.
    spawnSync('script', ['-q', '-e', '-c', `stty cols 160 rows 50; ${cmd}`, '/dev/null'], { env, encoding: 'utf8', timeout: 120_000 });
    const r = spawnSync('script', ['-q', '-e', '-c', `stty cols 160 rows 50; ${cmd} --no-cache`, '/dev/null'], { env, encoding: 'utf8', timeout: 120_000 });
    const screen = stripAnsi(r.stdout);
    expect(screen).toMatch(/\[0\/3 cells\] \d running · 0 unexpected · ETA \d+s/);
    expect(screen).toMatch(/\[3\/3 cells\] 0 running · 2 unexpected/);
  }, 240_000);

  it('gives a second opinion: a failure only under the default CPU is "suspect emulator"', () => {
    const c = readStatus(ws).cells.find((x) => x.id === 'good-picky-gcc')! as unknown as { status: string; reason: string; stages: { name: string; secondOpinion?: { runner: string; status: string; verdict: string } }[] };
    expect(c.status).toBe('fail');
    expect(c.reason).toBe('suspect emulator: passes under fake-qemu-picky -cpu max');
    expect(c.stages.find((s) => s.name === 'tests')!.secondOpinion).toMatchObject({ runner: 'fake-qemu-picky -cpu max', status: 'pass', verdict: 'suspect-emulator' });
  });

  it('calls a failure that reproduces under qemu too "code"', () => {
    const c = readStatus(ws).cells.find((x) => x.id === 'wrong-x86_64-gcc')!;
    expect(c.status).toBe('fail');
    expect(c.reason).toBe('code: fails under qemu-x86_64 too');
  });

  it('prints a failing cell\'s reproducer as a script, by id or arch/toolchain/target', async () => {
    const r = await run('repro', 'aarch64/gcc/wrong', '--out', ws.reportsDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#!\/usr\/bin\/env bash\n# wrong-aarch64-gcc: fail at answer: expected output "42"/);
    expect(r.stdout).toContain('\nset -euo pipefail\n');
    expect(r.stdout).toMatch(/\ntest "\$\(\S*qemu-aarch64 -L \/usr\/aarch64-linux-gnu bin\/prog\)" = 42\n/);
    const typo = await run('repro', 'wrong-aarch46-gcc');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown cell "wrong-aarch46-gcc"; did you mean "wrong-aarch64-gcc"\?/);
  }, 60_000);

  it('repro --exec reproduces a failing make cell and a failing cmake cell in a fresh build directory, and not a passing one', async () => {
    const make = await run('repro', 'wrong-aarch64-gcc', '--exec', '--out', ws.reportsDir);
    expect(make.stdout).toMatch(/^wrong-aarch64-gcc: reproduced: the script failed \(exit code 1\) at answer or before$/m);
    expect(make.code).toBe(1);
    const cmake = await run('repro', 'cmake-fail-x86_64-gcc', '--exec', '--out', ws.reportsDir);
    expect(cmake.stdout).toMatch(/^cmake-fail-x86_64-gcc: reproduced/m);
    const good = await run('repro', 'good-x86_64-gcc', '--exec', '--out', ws.reportsDir);
    expect(good.stdout).toMatch(/^good-x86_64-gcc: did not reproduce: every step passed/m);
    expect(good.code).toBe(0);
  }, 120_000);

  it('run --failed reruns exactly the red cells of the last report, not from the cache', async () => {
    const before = readStatus(ws).cells.filter((c) => ['fail', 'error', 'timeout', 'xpass', 'flaky'].includes(c.status)).map((c) => c.id).sort();
    expect(before.length).toBeGreaterThan(0);
    const r = await run('run', '--failed', '--out', ws.reportsDir);
    expect(r.code).toBe(1);
    const after = readStatus(ws).cells;
    // The red cells ran again, none from the cache; the others show their cached result for their current inputs.
    expect(after.filter((c) => !c.cached && !c.reason?.startsWith('not selected')).map((c) => c.id).sort()).toEqual(before);
    const good = after.find((c) => c.id === 'good-x86_64-gcc')!;
    expect({ status: good.status, cached: good.cached }).toEqual({ status: 'pass', cached: true });
    // With --no-cache nothing is reused: the others are left out, and say why.
    const bare = await run('run', '--failed', '--no-cache', '--out', ws.reportsDir);
    expect(bare.code).toBe(1);
    expect(readStatus(ws).cells.find((c) => c.id === 'good-x86_64-gcc')!.reason).toBe('not selected (--failed: as expected in the last report)');
  }, 120_000);
});
