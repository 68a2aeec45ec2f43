// The cache: nothing changed -> nothing rebuilt or rerun; a changed input
// reruns exactly the cells it affects; --no-cache reruns everything.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTarget, makeWorkspace, readStatus, runCli, type Workspace, fixtureMatrix, TAP_STAGE } from './helpers/workspace.js';

const stage = TAP_STAGE;

describe('result cache', () => {
  let ws: Workspace;
  const run = async (...extra: string[]) => {
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--arch', 'x86_64,aarch64', '--toolchain', 'gcc', ...extra]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const status = readStatus(ws);
    const ran = status.cells.filter((c) => c.status === 'pass' && !c.cached).map((c) => c.id).sort();
    const cached = status.cells.filter((c) => c.cached).map((c) => c.id).sort();
    return { ran, cached, status };
  };

  beforeAll(() => {
    ws = makeWorkspace();
    ws.writeMatrix(fixtureMatrix(`${makeTarget('good', stage)}
  cmake-good:
    build: cmake
    source: targets/cmake-good
    stages:
${stage}`));
  });
  afterAll(() => ws?.cleanup());

  const all = ['cmake-good-aarch64-gcc', 'cmake-good-x86_64-gcc', 'good-aarch64-gcc', 'good-x86_64-gcc'];

  it('runs every selected cell the first time and reports the others as not selected', async () => {
    const { ran, cached, status } = await run();
    expect(ran).toEqual(all);
    expect(cached).toEqual([]);
    const llvm = status.cells.find((c) => c.id === 'good-x86_64-llvm')!;
    expect(llvm.status).toBe('skip');
    expect(llvm.reason).toContain('not selected (--toolchain gcc)');
  }, 120_000);

  it('reruns nothing when nothing changed', async () => {
    const { ran, cached } = await run();
    expect(ran).toEqual([]);
    expect(cached).toEqual(all);
  }, 60_000);

  it('reruns only the cells whose sources changed', async () => {
    appendFileSync(join(ws.dir, 'targets/good/prog.c'), '/* changed */\n');
    const { ran, cached } = await run();
    expect(ran).toEqual(['good-aarch64-gcc', 'good-x86_64-gcc']);
    expect(cached).toEqual(['cmake-good-aarch64-gcc', 'cmake-good-x86_64-gcc']);
  }, 120_000);

  it('reruns only the cells of an architecture whose matrix entry changed', async () => {
    const yaml = readFileSync(ws.matrixFile, 'utf8').replace('    qemu: qemu-aarch64\n', '    qemu: qemu-aarch64\n    cflags: [-O2]\n');
    writeFileSync(ws.matrixFile, yaml);
    const { ran, cached } = await run();
    expect(ran).toEqual(['cmake-good-aarch64-gcc', 'good-aarch64-gcc']);
    expect(cached).toEqual(['cmake-good-x86_64-gcc', 'good-x86_64-gcc']);
  }, 120_000);

  it('reruns everything with --no-cache', async () => {
    const { ran, cached } = await run('--no-cache');
    expect(ran).toEqual(all);
    expect(cached).toEqual([]);
  }, 120_000);
});

describe('the cache key covers the runner', () => {
  let ws: Workspace;
  afterAll(() => ws?.cleanup());

  it('reruns the cells of a wrapper runner whose script changed', async () => {
    ws = makeWorkspace();
    const wrapper = join(ws.dir, 'qemu-wrapper');
    writeFileSync(wrapper, '#!/bin/sh\nexec qemu-aarch64 "$@"\n', { mode: 0o755 });
    ws.writeMatrix(fixtureMatrix(makeTarget('good', stage)).replace('architectures:\n', `architectures:
  wrapped:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: ${wrapper}
    native_on: []
`));
    const env = { MATRIX_CACHE_DIR: join(ws.dir, 'cache') };
    const args = ['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--arch', 'wrapped,x86_64', '--toolchain', 'gcc'];
    expect((await runCli(args, { env })).code).toBe(0);
    appendFileSync(wrapper, '# a different runner now\n');
    expect((await runCli(args, { env })).code).toBe(0);
    const cells = readStatus(ws).cells.filter((c) => !c.reason?.startsWith('not selected'));
    expect(cells.map((c) => [c.id, c.status, c.cached]).sort()).toEqual([['good-wrapped-gcc', 'pass', false], ['good-x86_64-gcc', 'pass', true]]);
  }, 120_000);
});

describe('the cache key of one toolchain override', () => {
  let ws: Workspace;
  afterAll(() => ws?.cleanup());

  it('reruns only the cells of the toolchain whose arch override changed', async () => {
    ws = makeWorkspace();
    const env = { MATRIX_CACHE_DIR: join(ws.dir, 'cache') };
    const args = ['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--arch', 'x86_64'];
    const yaml = fixtureMatrix(makeTarget('good', stage));
    ws.writeMatrix(yaml);
    expect((await runCli(args, { env })).code).toBe(0);
    // Give x86_64 an llvm-only override: the gcc cell's inputs did not change.
    ws.writeMatrix(yaml.replace('    family: x86\n', '    family: x86\n    toolchains:\n      llvm: { cflags: [-O2] }\n'));
    expect((await runCli(args, { env })).code).toBe(0);
    const cells = readStatus(ws).cells.filter((c) => c.arch === 'x86_64');
    expect(cells.map((c) => [c.id, c.cached]).sort()).toEqual([['good-x86_64-gcc', true], ['good-x86_64-llvm', false]]);
    // Each build gets its share of the cores (make -j), not all of them while other cells build too.
    const cores = availableParallelism();
    const share = Math.max(1, Math.ceil(cores / cores));
    const llvm = cells.find((c) => c.id === 'good-x86_64-llvm')!;
    expect(llvm.stages.find((x) => x.name === 'build')!.command).toContain(` -j${share}`);
    await runCli([...args, '--jobs', '1', '--no-cache', '--toolchain', 'llvm'], { env });
    const alone = readStatus(ws).cells.find((c) => c.id === 'good-x86_64-llvm')!;
    expect(alone.stages.find((x) => x.name === 'build')!.command).toContain(` -j${cores}`);
  }, 120_000);
});
