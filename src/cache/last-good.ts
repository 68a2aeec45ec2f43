// The input files of each cell's last good run, kept in the cache, so a cell
// that turns red can say which source files changed since it was green.
import { readFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { changedFiles } from './inputs.js';
import { cellDir } from './paths.js';

const FILE = 'last-good-inputs.json';
/** At most this many names in a report; the count says the rest. */
const MAX_NAMED = 20;

export async function rememberGoodInputs(cacheDir: string, cellId: string, files: Readonly<Record<string, string>>): Promise<void> {
  const dir = cellDir(cacheDir, cellId);
  await mkdir(dir, { recursive: true });
  const file = join(dir, FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(files));
  await rename(tmp, file);
}

/** The files that differ from the cell's last good run (undefined when there was none here). */
export async function changedSinceGood(cacheDir: string, cellId: string, files: Readonly<Record<string, string>>): Promise<string[] | undefined> {
  let before: Record<string, string>;
  try {
    before = JSON.parse(await readFile(join(cellDir(cacheDir, cellId), FILE), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
  const changed = changedFiles(before, files);
  return changed.length > MAX_NAMED ? [...changed.slice(0, MAX_NAMED), `... and ${changed.length - MAX_NAMED} more`] : changed;
}
