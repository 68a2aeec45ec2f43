// One run at a time per cache directory and per report directory. A second
// run waits, saying for whom, until the first one ends; a lock whose holder
// died (crash, SIGKILL, reboot) is stale and taken over. The holder is named by
// pid and its start time (/proc/<pid>/stat field 22), so a reused pid does not
// keep a dead run's lock alive.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

import { EXIT, OrchestratorError } from '../errors.js';
import { describeFsError, isFsError } from './fs-errors.js';

interface Holder {
  pid: number;
  start: string;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    return typeof h.pid === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

function alive(h: Holder | undefined): boolean {
  if (!h) return false;
  const start = startTime(h.pid);
  return start !== undefined && (h.start === '' || start === h.start);
}

export interface Lock {
  release(): void;
}

/**
 * Takes `file` (e.g. <cache>/.lock) for this process. While another live run
 * holds it, calls `onWait(pid)` once and polls; `signal` aborts the wait.
 */
export async function acquireLock(file: string, what: string, onWait: (pid: number) => void, signal?: AbortSignal): Promise<Lock> {
  const me: Holder = { pid: process.pid, start: startTime(process.pid) ?? '' };
  const temp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}`;
  try {
    writeFileSync(temp, `${JSON.stringify(me)}\n`);
  } catch (error) {
    if (isFsError(error)) throw new OrchestratorError('IO', `cannot lock ${what}: ${describeFsError(error)}`);
    throw error;
  }
  let waited = false;
  try {
    for (;;) {
      try {
        linkSync(temp, file); // atomic: exactly one run creates the lock
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          if (isFsError(error)) throw new OrchestratorError('IO', `cannot lock ${what}: ${describeFsError(error)}`);
          throw error;
        }
      }
      const holder = readHolder(file);
      if (!alive(holder)) {
        // Stale: move it aside, and put it back if it turns out to be a live run's fresh lock.
        const aside = `${file}.stale.${process.pid}`;
        try {
          renameSync(file, aside);
          const moved = readHolder(aside);
          if (alive(moved)) {
            try {
              linkSync(aside, file);
            } catch {
              /* someone else holds it now */
            }
          }
          unlinkSync(aside);
        } catch {
          /* another run broke it first */
        }
        continue;
      }
      if (signal?.aborted) throw new OrchestratorError('USAGE', `interrupted while waiting for the run in progress (pid ${holder!.pid}) to finish with ${what}`, { exitCode: EXIT.interrupted });
      if (!waited) {
        waited = true;
        onWait(holder!.pid);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      /* gone */
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readHolder(file)?.pid === process.pid) unlinkSync(file);
    } catch {
      /* gone */
    }
  };
  process.on('exit', release); // also on process.exit() after a second signal
  return { release };
}
