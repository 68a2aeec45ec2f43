// Each cell's stage logs, published with the reports as one step: they are
// copied into a new directory `logs.<tag>` inside the report directory, and
// writeReports switches the `logs` symlink to it in the same step as it
// renames the reports (the paths the reports show, logs/<cell>/<stage>.log,
// stay the same). A failed copy (disk full) removes the new directory and
// leaves the previous reports and logs exactly as they were.
import { cp, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { OrchestratorError } from '../errors.js';
import type { RunResults } from '../results/types.js';
import { describeFsError, isFsError } from '../runtime/fs-errors.js';
import { logDir } from '../cache/paths.js';

/** Where a cell's logs come from: the cache of this run, or a shard's report directory. */
export type LogSource = (cellId: string) => string | undefined;

export function cacheLogs(cacheDir: string): LogSource {
  return (id) => logDir(cacheDir, id);
}

/** Copies every cell's logs into a new `logs.<tag>` directory of `outDir`; returns its path. */
export async function stageLogs(results: RunResults, outDir: string, source: LogSource): Promise<string> {
  const dir = join(outDir, `logs.${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    for (const cell of results.cells) {
      const from = source(cell.id);
      if (!from || !cell.stages.some((s) => s.log) || !existsSync(from)) continue;
      await cp(from, join(dir, cell.id), { recursive: true, dereference: true });
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    if (isFsError(error)) throw new OrchestratorError('IO', `cannot write reports to ${outDir}: ${describeFsError(error)}`, { cause: error });
    throw error;
  }
  return dir;
}
