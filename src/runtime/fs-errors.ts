// File-system failures of the user's environment (disk full, read-only, no
// permission, a file where a directory should be): one clear line naming the
// path and what failed, exit 2, never an "internal error" with a stack.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { OrchestratorError } from '../errors.js';

const MEANINGS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  ENAMETOOLONG: 'file name too long',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  ETXTBSY: 'text file busy',
  EBUSY: 'device or resource busy',
};

/** True for an error from the file system (an errno code), as opposed to a bug. */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in MEANINGS;
}

/** "ENOSPC (no space left on device)" */
export function fsReason(error: NodeJS.ErrnoException): string {
  const code = error.code ?? 'error';
  return `${code} (${MEANINGS[code] ?? error.message})`;
}

/** "cannot write /path: ENOSPC (no space left on device)"; the errno's own path when it has one. */
export function describeFsError(error: NodeJS.ErrnoException, verb = 'write', path?: string): string {
  return `cannot ${verb} ${error.path ?? path ?? 'a file'}: ${fsReason(error)}`;
}

/**
 * Before the first cell starts: `dir` is (or can be made) a directory we can
 * write to. Throws a one-line OrchestratorError (exit 2) naming `what`.
 */
export function ensureWritableDir(dir: string, what: string): void {
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new OrchestratorError('IO', `${what} ${dir} is not a directory`);
    mkdirs(dir);
    const probe = join(dir, `.matrix-write-test-${process.pid}`);
    writeFileSync(probe, 'x');
    rmSync(probe, { force: true });
  } catch (error) {
    if (error instanceof OrchestratorError) throw error;
    if (isFsError(error)) throw new OrchestratorError('IO', `${what} ${dir}: ${describeFsError(error, 'write')}`, { cause: error });
    throw error;
  }
}

/**
 * mkdir -p that reports the failing component. (Node's recursive mkdir loops
 * forever on a path in /proc, where mkdir says ENOENT for a parent that exists.)
 */
export function mkdirs(dir: string): void {
  const missing: string[] = [];
  let d = dir;
  while (!statSync(d, { throwIfNoEntry: false })) {
    missing.push(d);
    const parent = dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
