// Where a cell's build tree and logs live, and how paths show in reports.
import { join, relative } from 'node:path';

export function cellDir(cacheDir: string, cellId: string): string {
  return join(cacheDir, 'cells', cellId);
}

export function buildDir(cacheDir: string, cellId: string): string {
  return join(cacheDir, 'build', cellId);
}

export function logDir(cacheDir: string, cellId: string): string {
  return join(cellDir(cacheDir, cellId), 'logs');
}

/** Log path as the report shows it: relative to the report directory. */
export function reportLogPath(cellId: string, stage: string): string {
  return `logs/${cellId}/${stage}.log`;
}

/** A path for display in reproducers: relative to the repository root when inside it. */
export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') ? rel : path;
}
