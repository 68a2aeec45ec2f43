// Copies each cell's stage logs from the cache into the report directory, so
// the paths the reports show (logs/<cell>/<stage>.log) exist beside them.
import { cp, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { RunResults } from '../results/types.js';
import { logDir } from '../stages/paths.js';

export async function publishLogs(results: RunResults, cacheDir: string, outDir: string): Promise<void> {
  for (const cell of results.cells) {
    const from = logDir(cacheDir, cell.id);
    if (!cell.stages.some((s) => s.log) || !existsSync(from)) continue;
    const to = join(outDir, 'logs', cell.id);
    await rm(to, { recursive: true, force: true });
    await mkdir(to, { recursive: true });
    await cp(from, to, { recursive: true });
  }
}
