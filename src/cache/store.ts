// Cell results remembered between runs, keyed by the cell's input hash.
import { readFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { CellResult } from '../results/types.js';
import { STATUS } from '../results/status.js';
import { cellDir } from './paths.js';


export class ResultCache {
  constructor(private readonly cacheDir: string) {}

  private file(cellId: string): string {
    return join(cellDir(this.cacheDir, cellId), 'result.json');
  }

  async get(cellId: string, inputHash: string): Promise<CellResult | undefined> {
    try {
      const stored = JSON.parse(await readFile(this.file(cellId), 'utf8')) as CellResult;
      return stored.inputHash === inputHash ? stored : undefined;
    } catch {
      return undefined;
    }
  }

  /** Previous duration of a cell, to start the slowest cells first. */
  async lastDuration(cellId: string): Promise<number | undefined> {
    try {
      return (JSON.parse(await readFile(this.file(cellId), 'utf8')) as CellResult).durationMs;
    } catch {
      return undefined;
    }
  }

  async put(raw: CellResult): Promise<void> {
    // Timeouts, errors, skips and flaky cells are retried next run (status.ts says which).
    if (!STATUS[raw.status].cacheable || !raw.inputHash) return;
    const file = this.file(raw.id);
    await mkdir(cellDir(this.cacheDir, raw.id), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(raw));
    await rename(tmp, file);
  }
}
