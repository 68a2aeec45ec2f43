// reports/history.json: the last runs' statuses and durations per cell, kept
// small (a bounded number of runs). It gives reports their streaks, new
// failures, fixes and flakiness, and gives --shard the durations to balance by.
import { STATUS, STATUS_ORDER } from '../results/status.js';
import { readFile } from 'node:fs/promises';

import { OrchestratorError } from '../errors.js';
import type { CellHistory, CellInputs, CellStatus, HistoryInsights, RunResults } from '../results/types.js';

export const HISTORY_FILE = 'history.json';
export const HISTORY_VERSION = 1;
/** Runs kept in the file. */
export const HISTORY_LIMIT = 50;
/** Runs looked at for flakiness. */
export const FLAKE_WINDOW = 10;

export interface HistoryRun {
  startedAt: string;
  matrixHash: string;
  cells: Record<string, { status: CellStatus; durationMs: number; inputs?: CellInputs }>;
  /** The run was cut short by a signal: recorded, but no streak or flip counts it. */
  interrupted?: boolean;
}

export interface History {
  version: number;
  runs: HistoryRun[];
}

const GOOD: readonly CellStatus[] = STATUS_ORDER.filter((s) => STATUS[s].history === 'good');
const BAD: readonly CellStatus[] = STATUS_ORDER.filter((s) => STATUS[s].history === 'bad');

export function emptyHistory(): History {
  return { version: HISTORY_VERSION, runs: [] };
}

export async function readHistory(file: string): Promise<History> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return emptyHistory();
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OrchestratorError('RESULTS_INVALID', `${file} is not valid JSON (${(error as Error).message}); move it away to start a new history`);
  }
  const h = value as Partial<History>;
  if (!h || h.version !== HISTORY_VERSION || !Array.isArray(h.runs)) {
    throw new OrchestratorError('RESULTS_INVALID', `${file} is not a matrix history file (version ${HISTORY_VERSION}); move it away to start a new history`);
  }
  return h as History;
}

/** The run as history records it: the cells that ran (or were cached), not the excluded or interrupted ones. */
export function historyRun(results: RunResults): HistoryRun {
  const cells: HistoryRun['cells'] = {};
  for (const c of results.cells) {
    if (c.excluded) continue;
    if (!results.complete && c.status === 'skip' && c.attempts === 0) continue;
    cells[c.id] = { status: c.status, durationMs: c.durationMs, ...(c.inputs ? { inputs: c.inputs } : {}) };
  }
  // An interrupted run is kept (it happened) but marked, and left out of streaks and flakiness.
  return { startedAt: results.startedAt, matrixHash: results.matrixHash, cells, ...(results.complete ? {} : { interrupted: true }) };
}

/** A new history with `run` appended, trimmed to the limit. Pure. */
export function appendRun(history: History, run: HistoryRun, limit = HISTORY_LIMIT): History {
  const runs = [...history.runs.filter((r) => r.startedAt !== run.startedAt), run];
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return { version: HISTORY_VERSION, runs: runs.slice(-limit) };
}

/** Streak, change and flakiness of every cell of the newest run. Pure. */
export function insights(history: History): HistoryInsights {
  const latest = history.runs[history.runs.length - 1];
  const cells: Record<string, CellHistory> = {};
  if (!latest) return { runs: 0, cells };
  for (const [id, now] of Object.entries(latest.cells)) {
    const past = history.runs.filter((r) => r.cells[id] && (!r.interrupted || r === latest)).map((r) => ({ at: r.startedAt, status: r.cells[id]!.status }));
    let start = past.length - 1;
    while (start > 0 && past[start - 1]!.status === now.status) start--;
    const previous = past.length > 1 ? past[past.length - 2]!.status : undefined;
    const window = past.slice(-FLAKE_WINDOW);
    let flips = 0;
    for (let i = 1; i < window.length; i++) if (window[i]!.status !== window[i - 1]!.status) flips++;
    let change: CellHistory['change'];
    if (previous && GOOD.includes(previous) && BAD.includes(now.status)) change = 'new-failure';
    if (previous && BAD.includes(previous) && GOOD.includes(now.status)) change = 'fixed';
    // Red now, green before: what differs from the last run where it was green.
    const lastGood = BAD.includes(now.status) ? [...history.runs].reverse().find((r) => r !== latest && !r.interrupted && r.cells[id] && GOOD.includes(r.cells[id]!.status)) : undefined;
    const changedSince = lastGood && now.inputs && lastGood.cells[id]!.inputs ? inputChanges(lastGood.cells[id]!.inputs!, now.inputs) : undefined;
    cells[id] = {
      ...(changedSince ? { changedSince } : {}),
      streak: past.length - start,
      since: past[start]!.at,
      ...(previous ? { previous } : {}),
      ...(change ? { change } : {}),
      flips,
      window: window.length,
    };
  }
  const previousRun = history.runs.length > 1 ? history.runs[history.runs.length - 2]!.startedAt : undefined;
  return { runs: history.runs.length, ...(previousRun ? { previousRun } : {}), cells };
}

/** What differs between two input summaries, in words: versions as before -> after, the rest as "changed". */
export function inputChanges(before: CellInputs, after: CellInputs): string[] {
  const out: string[] = [];
  if (before.compiler !== after.compiler) out.push(`compiler: ${before.compiler ?? 'none'} -> ${after.compiler ?? 'none'}`);
  if (before.qemu !== after.qemu) out.push(`qemu: ${before.qemu ?? 'none'} -> ${after.qemu ?? 'none'}`);
  if (before.entry !== after.entry) out.push("the cell's matrix.yaml entries or command lines changed");
  if (before.sources !== after.sources) out.push("the target's source files changed");
  if (before.engine !== after.engine) out.push('matrix itself changed (its verdict code, the canary or the runner)');
  return out.length ? out : ['nothing in its inputs: the same inputs passed before (flaky, or the machine)'];
}

/** Most recent known duration of each cell, for balancing shards. */
export function lastDurations(history: History): Map<string, number> {
  const durations = new Map<string, number>();
  for (const run of history.runs) {
    for (const [id, cell] of Object.entries(run.cells)) if (cell.durationMs > 0) durations.set(id, cell.durationMs);
  }
  return durations;
}
