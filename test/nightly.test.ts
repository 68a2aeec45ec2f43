// The nightly CI pieces, end to end through the CLI: shards then merge equal
// one full run; merge refuses what it cannot combine; history across three runs
// (a target made to fail, then to pass again); root-cause groups; the workflow.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assignShards } from '../src/matrix/shards.js';
import { groupRootCauses, normaliseError } from '../src/results/groups.js';
import { appendRun, emptyHistory, insights, inputChanges } from '../src/history/history.js';
import type { CellResult } from '../src/results/types.js';
import { makeTarget, makeWorkspace, REPO, runCli, type Workspace, fixtureMatrix, TAP_STAGE } from './helpers/workspace.js';

const stage = TAP_STAGE;

interface Status {
  complete: boolean;
  cells: { id: string; status: string; stage?: string; excluded?: string; firstError?: string; cached?: boolean }[];
  history?: { runs: number; cells: Record<string, { streak: number; change?: string; flips: number; previous?: string; changedSince?: string[] }> };
  groups?: { stage: string; cells: string[]; description: string }[];
}
const status = (dir: string): Status => JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as Status;

describe('shards and merge', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace();
    ws.writeMatrix(fixtureMatrix(`${makeTarget('good', stage)}
${makeTarget('segv', stage)}
`));
  });
  afterAll(() => ws?.cleanup());
  const run = (...args: string[]) => runCli(['run', '--config', ws.matrixFile, ...args]);

  it('merging every shard gives the same cells and statuses as one full run', async () => {
    const full = await run('--out', join(ws.dir, 'full'));
    expect(full.code).toBe(1); // segv fails
    const shards = [];
    for (const i of [1, 2, 3]) {
      // Each shard machine starts with its own empty cache, so every shard really runs.
      const r = await runCli(['run', '--config', ws.matrixFile, '--shard', `${i}/3`, '--out', join(ws.dir, `shard${i}`)], { env: { MATRIX_CACHE_DIR: join(ws.dir, `cache${i}`) } });
      expect(r.stderr).not.toMatch(/internal error/);
      const s = status(join(ws.dir, `shard${i}`));
      expect(s.cells.filter((c) => !c.excluded && c.cached).map((c) => c.id), `shard ${i} ran from cache`).toEqual([]);
      shards.push(s);
    }
    // Every cell ran in exactly one shard.
    const ran = shards.flatMap((s) => s.cells.filter((c) => !c.excluded).map((c) => c.id)).sort();
    expect(ran).toEqual(status(join(ws.dir, 'full')).cells.map((c) => c.id).sort());
    const merged = await runCli(['merge', join(ws.dir, 'shard1'), join(ws.dir, 'shard2'), join(ws.dir, 'shard3'), '--out', join(ws.dir, 'merged')]);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(1);
    const pick = (s: Status) => s.cells.map((c) => [c.id, c.status, c.stage, c.firstError]);
    expect(pick(status(join(ws.dir, 'merged')))).toEqual(pick(status(join(ws.dir, 'full'))));
    expect(status(join(ws.dir, 'merged')).complete).toBe(true);
    // Logs come along from the shard that ran each cell.
    expect(readFileSync(join(ws.dir, 'merged/logs/segv-aarch64-gcc/tests.log'), 'utf8')).toContain('qemu-aarch64');
  }, 300_000);

  it('refuses overlapping shards and results of another matrix.yaml', async () => {
    const overlap = await runCli(['merge', join(ws.dir, 'shard1'), join(ws.dir, 'shard1'), '--out', join(ws.dir, 'x')]);
    expect(overlap.code).toBe(2);
    expect(overlap.stderr).toMatch(/^E: shards overlap: cell \S+ ran in both/);
    cpSync(join(ws.dir, 'shard2'), join(ws.dir, 'other'), { recursive: true });
    const other = status(join(ws.dir, 'other')) as unknown as Record<string, unknown>;
    other.matrixHash = 'f'.repeat(64);
    writeFileSync(join(ws.dir, 'other/status.json'), JSON.stringify(other));
    const mismatch = await runCli(['merge', join(ws.dir, 'shard1'), join(ws.dir, 'other')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/cannot merge results of different matrix.yaml versions/);
    const missing = await runCli(['merge', join(ws.dir, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/status.json does not exist/);
  }, 60_000);

  it('balances shards by past durations, deterministically', () => {
    const cells = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
    const durations = new Map([['a', 100], ['b', 10], ['c', 10], ['d', 10], ['e', 70]]);
    const split = assignShards(cells, 2, durations);
    expect(split.get('a')).toBe(1);
    expect(['b', 'c', 'd', 'e'].filter((id) => split.get(id) === 1)).toEqual([]);
    expect(assignShards(cells, 2, durations)).toEqual(split);
    expect([...assignShards(cells, 2).values()]).toEqual([1, 2, 1, 2, 1]);
  });
});

describe('history across runs', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace();
    ws.writeMatrix(fixtureMatrix(`${makeTarget('good', stage)}
`));
  });
  afterAll(() => ws?.cleanup());

  it('shows new failures, fixes, streaks and flakiness over three runs', async () => {
    const out = join(ws.dir, 'reports');
    const run = () => runCli(['run', '--config', ws.matrixFile, '--out', out, '--toolchain', 'gcc']);
    expect((await run()).code).toBe(0);
    let s = status(out);
    expect(s.history!.runs).toBe(1);
    expect(s.history!.cells['good-x86_64-gcc']).toMatchObject({ streak: 1, flips: 0 });

    const prog = join(ws.dir, 'targets/good/prog.c');
    const original = readFileSync(prog, 'utf8');
    writeFileSync(prog, original.replace('ok 2 - multiplies', 'not ok 2 - multiplies'));
    expect((await run()).code).toBe(1);
    s = status(out);
    expect(s.history!.runs).toBe(2);
    expect(s.history!.cells['good-x86_64-gcc']).toMatchObject({ streak: 1, change: 'new-failure', previous: 'pass', flips: 1 });
    expect(readFileSync(join(out, 'status.md'), 'utf8')).toMatch(/new failure/i);
    // What changed since the last good run: the sources, nothing else.
    expect(s.history!.cells['good-x86_64-gcc']!.changedSince).toEqual(["the target's source files changed"]);
    expect(readFileSync(join(out, 'status.md'), 'utf8')).toContain("**Changed since the last good run:** the target's source files changed");
    expect(readFileSync(join(out, 'status.md'), 'utf8')).toContain('**Files changed since the last good run:** `targets/good/prog.c`');

    writeFileSync(prog, original);
    appendFileSync(prog, '/* fixed */\n');
    expect((await run()).code).toBe(0);
    s = status(out);
    expect(s.history!.runs).toBe(3);
    expect(s.history!.cells['good-aarch64-gcc']).toMatchObject({ change: 'fixed', flips: 2, streak: 1 });
    const file = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { runs: unknown[] };
    expect(file.runs).toHaveLength(3);
  }, 240_000);

  it('says what changed in a cell\'s inputs, versions as before and after', () => {
    const base = { compiler: 'gcc 12.2.0', qemu: 'qemu 7.2.22', entry: 'a', sources: 'b', engine: 'c' };
    expect(inputChanges(base, { ...base, compiler: 'gcc 12.3.0', entry: 'x' })).toEqual(['compiler: gcc 12.2.0 -> gcc 12.3.0', "the cell's matrix.yaml entries or command lines changed"]);
    expect(inputChanges(base, base)).toEqual(['nothing in its inputs: the same inputs passed before (flaky, or the machine)']);
  });

  it('keeps the history bounded', () => {
    let h = emptyHistory();
    for (let i = 0; i < 60; i++) {
      h = appendRun(h, { startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), matrixHash: 'x', cells: { c: { status: i % 2 ? 'pass' : 'fail', durationMs: 1 } } }, 50);
    }
    expect(h.runs).toHaveLength(50);
    expect(insights(h).cells.c).toMatchObject({ streak: 1, flips: 9, window: 10 });
  });
});

describe('root-cause groups', () => {
  const cell = (arch: string, toolchain: string, status: CellResult['status'], stage: string, firstError: string): CellResult => ({
    id: `native-${arch}-${toolchain}`, arch, toolchain, target: 'native', status, stage, firstError, runner: 'qemu', versions: {}, durationMs: 1, stages: [], reproducer: '', cached: false, attempts: 1,
    ...(BITS[arch] ? { bits: BITS[arch] } : {}),
  });
  // As matrix.yaml declares them (`bits:`): the engine never guesses a width from a name.
  const BITS: Record<string, 32 | 64> = { x86_64: 64, i686: 32, arm: 32, riscv64: 64 };

  it('groups the same normalised first error at the same stage and says what the cells share', () => {
    const cells = [
      cell('x86_64', 'gcc', 'pass', 'core-tests', ''),
      cell('x86_64', 'llvm', 'pass', 'core-tests', ''),
      cell('i686', 'gcc', 'pass', 'core-tests', ''),
      cell('i686', 'llvm', 'fail', 'template-check', 'op `add` has no tail jump (i686, 0x1f bytes)'),
      cell('arm', 'gcc', 'pass', 'core-tests', ''),
      cell('arm', 'llvm', 'fail', 'template-check', 'op `add` has no tail jump (arm, 0x2c bytes)'),
      cell('riscv64', 'gcc', 'fail', 'build', '/src/native/a.c:12:3: error: unknown register'),
      cell('riscv64', 'llvm', 'fail', 'build', '/other/path/native/a.c:12:3: error: unknown register'),
    ];
    const groups = groupRootCauses(cells);
    expect(groups).toHaveLength(2);
    const tmpl = groups.find((g) => g.stage === 'template-check')!;
    expect(tmpl.cells).toEqual(['native-i686-llvm', 'native-arm-llvm']);
    expect(tmpl.description).toBe('every llvm cell on 32-bit targets');
    expect(groups.find((g) => g.stage === 'build')!.description).toBe('every toolchain on riscv64');
    expect(normaliseError('/a/b/c.c:1:2: error: x in mips-linux-gnu', cells[6]!)).toBe('c.c:N:N: error: x in <triple>');
  });
});

describe('GitHub Actions workflow', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace();
    cpSync(join(REPO, 'matrix.yaml'), join(ws.dir, 'matrix.yaml'));
  });
  afterAll(() => ws?.cleanup());

  it('writes a nightly workflow with one job per shard and a merge job', async () => {
    const r = await runCli(['ci', 'github', '--shards', '3', '--config', join(ws.dir, 'matrix.yaml')]);
    expect(r.code).toBe(0);
    const file = join(ws.dir, '.github/workflows/matrix-nightly.yml');
    const wf = parse(readFileSync(file, 'utf8')) as {
      on: { schedule: { cron: string }[]; workflow_dispatch: unknown };
      jobs: Record<string, { needs?: string; if?: string; strategy?: { matrix: { shard: number[] } }; steps: { run?: string; uses?: string; with?: Record<string, unknown> }[] }>;
    };
    expect(wf.on.schedule[0]!.cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    expect(wf.jobs.shard!.strategy!.matrix.shard).toEqual([1, 2, 3]);
    const shardRuns = wf.jobs.shard!.steps.map((s) => s.run ?? s.uses).join('\n');
    expect(shardRuns).toContain('bash scripts/setup.sh');
    // The workspace's matrix.yaml is a copy of the repository's, which has a nightly profile: the job runs it.
    expect(shardRuns).toContain('npx matrix doctor --install --profile nightly');
    expect(shardRuns).toContain('npx matrix run --profile nightly --shard ${{ matrix.shard }}/3 --out reports');
    expect(wf.jobs.shard!.steps.find((s) => s.uses === 'actions/setup-node@v4')!.with!.cache).toBe('npm');
    expect(shardRuns).toContain('actions/upload-artifact@v4');
    expect(wf.jobs.merge!.needs).toBe('shard');
    expect(wf.jobs.merge!.if).toBe('always()');
    const mergeRuns = wf.jobs.merge!.steps.map((s) => s.run ?? s.uses).join('\n');
    expect(mergeRuns).toContain('npx matrix merge shards/shard-* --out reports');
    expect(mergeRuns).toContain('$GITHUB_STEP_SUMMARY');
    // A real workflow linter (schema validation), from npm.
    const lint = execFileSync(join(REPO, 'node_modules/.bin/action-validator'), [file], { encoding: 'utf8' });
    expect(lint).not.toMatch(/error/i);
  });

  it('rejects an unknown CI provider', async () => {
    const r = await runCli(['ci', 'gitlab', '--config', join(ws.dir, 'matrix.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('matrix ci supports one provider');
  });
});
