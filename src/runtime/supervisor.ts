// The stage supervisor (native/supervise/supervise.c): a subreaper that kills
// every descendant of a command when it ends, whatever session or group they
// moved to. Compiled on first use with the host C compiler, keyed by the hash
// of its source, and cached (build/supervise/ in the checkout, else
// ~/.cache/matrix/). See docs/processes.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SUPERVISOR_SOURCE = join(REPO, 'native/supervise/supervise.c');

export type SupervisorState = { path: string } | { error: string };
let state: SupervisorState | undefined;

/** The supervisor binary, compiled if needed; `{ error }` says why there is none. */
export function supervisor(): SupervisorState {
  if (state) return state;
  if (process.env.MATRIX_SUPERVISOR === 'off') return (state = { error: 'disabled by MATRIX_SUPERVISOR=off' });
  if (process.platform !== 'linux') return (state = { error: 'the supervisor needs Linux (prctl, /proc)' });
  let source: Buffer;
  try {
    source = readFileSync(SUPERVISOR_SOURCE);
  } catch (error) {
    return (state = { error: `cannot read ${SUPERVISOR_SOURCE}: ${(error as Error).message}` });
  }
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const name = `matrix-supervise-${hash}`;
  const dirs = [join(REPO, 'build', 'supervise'), join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'matrix')];
  for (const dir of dirs) if (existsSync(join(dir, name))) return (state = { path: join(dir, name) });
  const compiler = process.env.MATRIX_HOST_CC || 'cc';
  const failures: string[] = [];
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      failures.push(`${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    // Concurrent runs compile to their own temp file; the rename is atomic.
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    const r = spawnSync(compiler, ['-O2', '-std=gnu11', '-o', tmp, SUPERVISOR_SOURCE], { encoding: 'utf8' });
    if (r.status === 0) {
      renameSync(tmp, join(dir, name));
      return (state = { path: join(dir, name) });
    }
    rmSync(tmp, { force: true });
    failures.push(r.error ? `${compiler}: ${r.error.message}` : `${compiler} failed: ${(r.stderr || '').trim().split('\n')[0]}`);
    if (r.error) break; // no compiler: another directory will not help
  }
  return (state = { error: `cannot build the stage supervisor (${failures.join('; ')})` });
}
