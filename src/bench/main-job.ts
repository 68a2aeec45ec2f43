// `npm run bench:main -- [--baseline REV] [--profile P] [--json]`: the main job
// as a user waits for it. Runs the cold `matrix run` of this tree (a copy, with
// its own empty cache) and, with --baseline, of commit REV (a git worktree)
// side by side in one session, and prints both wall times and their ratio.
// Then makes a one-line change in native/core of this tree's copy and reruns:
// the incremental rebuild's share of a cold build. Numbers, not a test.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Not copied: dependencies are linked, caches and reports are what is measured. */
const SKIP = new Set(['.git', 'node_modules', '.matrix-cache', 'reports', 'dist']);

interface RunFigures {
  wall: number;
  build: number;
  cells: number;
  summary: Record<string, number>;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A tree to run: node_modules linked from this checkout, dist/ compiled in place. */
function prepareTree(dir: string): void {
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  const tsc = run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
  if (tsc.status !== 0) throw new Error(`tsc failed in ${dir}:\n${tsc.out}`);
}

/** One `matrix run` through the tree's own CLI: wall time, summed build-stage time, the summary. */
function matrixRun(tree: string, cache: string, profile: string | undefined): RunFigures {
  const out = join(cache, 'reports');
  const args = [join(tree, 'bin/matrix.js'), 'run', '--out', out, ...(profile ? ['--profile', profile] : [])];
  const t0 = performance.now();
  const r = run(process.execPath, args, tree, { MATRIX_CACHE_DIR: cache, CI: 'true' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`matrix run in ${tree} exited ${r.status}:\n${r.out.slice(-4000)}`);
  const status = JSON.parse(readFileSync(join(out, 'status.json'), 'utf8')) as { summary: Record<string, number>; cells: { stages: { name: string; durationMs: number }[] }[] };
  const build = status.cells.flatMap((c) => c.stages).filter((s) => s.name === 'build').reduce((sum, s) => sum + s.durationMs, 0) / 1000;
  return { wall, build, cells: status.cells.length, summary: status.summary };
}

function summaryText(s: Record<string, number>): string {
  return ['pass', 'fail', 'xfail', 'skip', 'error', 'timeout'].filter((k) => (s[k] ?? 0) > 0).map((k) => `${s[k]} ${k}`).join(', ') + `, ${s.unexpected ?? 0} unexpected`;
}

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const baselineRev = opt('--baseline');
  const profile = opt('--profile');
  const work = mkdtempSync(join(os.tmpdir(), 'matrix-main-job-'));
  const rows: [string, string, string][] = [];
  const figures: Record<string, unknown> = { cores: os.availableParallelism() };
  try {
    let baseline: RunFigures | undefined;
    if (baselineRev) {
      const tree = join(work, 'baseline');
      const add = run('git', ['-C', REPO, 'worktree', 'add', '--detach', tree, baselineRev], REPO);
      if (add.status !== 0) throw new Error(`git worktree add ${baselineRev} failed:\n${add.out}`);
      prepareTree(tree);
      baseline = matrixRun(tree, join(work, 'baseline-cache'), profile);
      rows.push([`cold, ${baselineRev}`, `${baseline.wall.toFixed(1)} s`, `${baseline.cells} cells: ${summaryText(baseline.summary)}; build stages ${baseline.build.toFixed(1)} s`]);
      figures.baseline = { rev: baselineRev, ...baseline };
    }
    // This tree as it is on disk (uncommitted changes included), copied so the one-line change touches nothing here.
    const tree = join(work, 'current');
    cpSync(REPO, tree, { recursive: true, filter: (src) => !SKIP.has(src.slice(REPO.length + 1).split('/')[0] ?? '') });
    prepareTree(tree);
    const cache = join(work, 'current-cache');
    const cold = matrixRun(tree, cache, profile);
    rows.push(['cold, this tree', `${cold.wall.toFixed(1)} s`, `${cold.cells} cells: ${summaryText(cold.summary)}; build stages ${cold.build.toFixed(1)} s`]);
    figures.cold = cold;
    if (baseline) {
      const ratio = cold.wall / baseline.wall;
      rows.push(['ratio (this / baseline)', ratio.toFixed(2), `target <= 0.60; build stages ${(cold.build / baseline.build).toFixed(2)}`]);
      figures.ratio = ratio;
    }
    // One line changed in the JIT core: every cell's inputs change, each build is incremental.
    appendFileSync(join(tree, 'native/core/src/err.c'), '/* one-line change (bench) */\n');
    const incremental = matrixRun(tree, cache, profile);
    const share = incremental.build / cold.build;
    rows.push(['after a one-line change', `${incremental.wall.toFixed(1)} s`, `build stages ${incremental.build.toFixed(1)} s = ${(share * 100).toFixed(1)} % of the cold build (target <= 25 %)`]);
    figures.incremental = { ...incremental, buildShare: share };
  } finally {
    if (baselineRev) run('git', ['-C', REPO, 'worktree', 'remove', '--force', join(work, 'baseline')], REPO);
    rmSync(work, { recursive: true, force: true });
  }
  for (const [name, value, note] of rows) process.stdout.write(`${name.padEnd(26)} ${value.padStart(9)}  ${note}\n`);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main();
