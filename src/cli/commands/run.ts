// `matrix run`: build and run the selected cells, then write the reports.
// SIGINT, SIGTERM, SIGHUP and SIGQUIT (Ctrl-C, a cancelled CI job, a closed
// terminal) all stop every cell, kill every child process tree, still write a
// report marked incomplete and exit 128+signal; a second signal exits at once,
// still killing the trees.
import os from 'node:os';
import { join } from 'node:path';

import { EXIT } from '../../errors.js';
import { defaultCacheDir, runMatrix } from '../../stages/run-matrix.js';
import { ProcessGroupRegistry } from '../../runtime/process-groups.js';
import { expandMatrix, selectCells } from '../../matrix/cells.js';
import { assignShards, parseShard } from '../../matrix/shards.js';
import { HISTORY_FILE, lastDurations, readHistory } from '../../history/history.js';
import { finishReports } from '../finish-reports.js';
import { hostCpuLabels } from '../host-cpu.js';
import { positiveInt } from '../args.js';
import { defaultOutDir, loadMatrix, selectionFrom } from '../load.js';
import { MAX_TIMEOUT_S } from '../../matrix/config.js';
import { listrProgress, plainProgress, summaryLine } from '../progress.js';
import { cacheLogs } from '../publish-logs.js';
import { ensureWritableDir } from '../../runtime/fs-errors.js';
import { acquireLock, type Lock } from '../../runtime/lock.js';
import type { StopRequests } from '../signals.js';
import { readResults } from '../../results/validate.js';
import { isUnexpected } from '../../results/status.js';

export async function runCommandLine(values: Record<string, string | boolean | undefined>, stop: StopRequests): Promise<number> {
  const { config, hash } = await loadMatrix(values);
  const selection = selectionFrom(values, config);
  const cores = os.availableParallelism();
  const jobs = positiveInt('jobs', values.jobs) ?? cores;
  const options = {
    jobs,
    retries: positiveInt('retries', values.retries, 0) ?? config.defaults.retries,
    timeout: positiveInt('timeout', values.timeout, 1, MAX_TIMEOUT_S) ?? config.defaults.timeout,
    cache: values['no-cache'] !== true,
    verbose: values.verbose === true,
    keepGoing: values['keep-going'] === true,
    // Each build's share of the cores, so concurrent cells do not oversubscribe the machine (make -j, ninja -j).
    buildParallel: Math.max(1, Math.ceil(cores / jobs)),
  };
  const outDir = defaultOutDir(values);
  if (values.failed === true) {
    // Only the cells that were not as expected last time, and not from the cache: the point is to see them again.
    const last = await readResults(join(outDir, 'status.json'), 'run `matrix run` first: --failed reruns the red cells of the last report');
    const ids = last.cells.filter(isUnexpected).map((c) => c.id);
    if (ids.length === 0) {
      process.stdout.write(`nothing to rerun: every cell of ${join(outDir, 'status.json')} was as expected\n`);
      return EXIT.ok;
    }
    // The others keep their cached result for their current inputs in the report (not with --no-cache).
    selection.ids = { ids, why: '--failed: as expected in the last report', othersFromCache: values['no-cache'] !== true };
    options.cache = false;
  }
  if (typeof values.shard === 'string') {
    // Every shard machine computes the same split from the same history.
    const shard = parseShard(values.shard);
    const history = await readHistory(join(outDir, HISTORY_FILE));
    selection.shard = { ...shard, assignment: assignShards(expandMatrix(config), shard.count, lastDurations(history)) };
  }
  const cacheDir = defaultCacheDir(config);
  // The user's environment, checked before the first cell starts (exit 2).
  ensureWritableDir(outDir, '--out directory');
  ensureWritableDir(cacheDir, process.env.MATRIX_CACHE_DIR ? 'MATRIX_CACHE_DIR' : 'cache directory');

  const tty = process.stdout.isTTY === true && process.env.CI !== 'true';
  const expected = lastDurations(await readHistory(join(outDir, HISTORY_FILE)).catch(() => ({ version: 1, runs: [] })));
  const progress = tty ? listrProgress(options.verbose, expected, jobs) : plainProgress((line) => process.stdout.write(`${line}\n`), options.verbose);
  const registry = new ProcessGroupRegistry();
  const releaseForced = stop.onForcedExit(() => registry.killAllNow());
  const locks: Lock[] = [];
  try {
    // Two runs on one cache or one report directory would overwrite each other's builds and logs: the second waits.
    const wait = (dir: string) => (pid: number) => process.stderr.write(`matrix: waiting for the run in progress (pid ${pid}) to finish with ${dir}\n`);
    locks.push(await acquireLock(join(cacheDir, '.lock'), cacheDir, wait(cacheDir), stop.signal));
    if (outDir !== cacheDir) locks.push(await acquireLock(join(outDir, '.lock'), outDir, wait(outDir), stop.signal));
    progress.start(selectCells(expandMatrix(config), selection).selected);
    const hostCpu = await hostCpuLabels();
    const results = await runMatrix({
      config,
      matrixHash: hash,
      selection,
      options,
      events: progress,
      signal: stop.signal,
      registry,
      cacheDir,
      hostCpu,
    });
    await progress.stop();
    // A shard's partial run is not history: the merge of all shards is.
    await finishReports(results, outDir, { appendHistory: !selection.shard, logs: cacheLogs(cacheDir) });
    process.stdout.write(`${summaryLine(results)}\nreports: ${join(outDir, 'status.md')}\n`);
    if (!results.complete) return stop.exitCode();
    return results.summary.unexpected > 0 ? EXIT.unexpected : EXIT.ok;
  } finally {
    releaseForced();
    registry.killAllNow();
    for (const lock of locks.reverse()) lock.release();
  }
}
