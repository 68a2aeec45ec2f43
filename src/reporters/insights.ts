// Optional sections of a RunResults that the history and grouping code fills in
// (`history`, `groups`, `cells[].excluded`). Read structurally and defensively, like
// extras: a results file without them (or from an older tool) renders as before.
import type { CellHistory, CellResult, CellStatus, RootCauseGroup, RunResults } from '../results/types.js';
import { isFiniteNumber, isObj, type JsonObject } from '../formats/json-shape.js';

// The views are the record's own types; reading stays defensive because a
// results file from an older tool may lack or mangle them.
export type CellHistoryView = CellHistory;
export type RootCauseView = RootCauseGroup;

export interface RunHistoryView {
  runs: number;
  previousRun?: string;
  newFailures: string[];
  fixed: string[];
}

type Obj = JsonObject;
const num = isFiniteNumber;
const str = (v: unknown): v is string => typeof v === 'string';

function historyCells(results: RunResults): Obj | undefined {
  const h = (results as { history?: unknown }).history;
  return isObj(h) && isObj(h.cells) ? h.cells : undefined;
}

/** The cell's streak, change and flakiness, when the run carries history. */
export function cellHistory(results: RunResults, cell: CellResult): CellHistoryView | undefined {
  const v = historyCells(results)?.[cell.id];
  if (!isObj(v) || !num(v.streak) || !str(v.since) || !num(v.flips) || !num(v.window)) return undefined;
  const out: CellHistoryView = { streak: v.streak, since: v.since, flips: v.flips, window: v.window };
  if (str(v.previous)) out.previous = v.previous as CellStatus;
  if (v.change === 'new-failure' || v.change === 'fixed') out.change = v.change;
  if (Array.isArray(v.changedSince) && v.changedSince.every(str)) out.changedSince = v.changedSince as string[];
  return out;
}

/** Run-level history: how many runs, the previous one, new failures and fixes (cell ids, config order). */
export function runHistory(results: RunResults): RunHistoryView | undefined {
  const h = (results as { history?: unknown }).history;
  if (!isObj(h) || !num(h.runs)) return undefined;
  const newFailures: string[] = [];
  const fixed: string[] = [];
  for (const c of results.cells) {
    const ch = cellHistory(results, c);
    if (ch?.change === 'new-failure') newFailures.push(c.id);
    if (ch?.change === 'fixed') fixed.push(c.id);
  }
  return { runs: h.runs, ...(str(h.previousRun) ? { previousRun: h.previousRun } : {}), newFailures, fixed };
}

/** Root-cause groups, when the run carries them (malformed entries dropped). */
export function rootCauses(results: RunResults): RootCauseView[] {
  const g = (results as { groups?: unknown }).groups;
  if (!Array.isArray(g)) return [];
  return g.filter(
    (x): x is RootCauseView =>
      isObj(x) && str(x.stage) && str(x.status) && str(x.signature) && str(x.example) && str(x.description) &&
      Array.isArray(x.cells) && x.cells.every(str),
  );
}

/** Why a cell was not selected in this run, if it was not. */
export function excludedBy(cell: CellResult): 'filter' | 'shard' | undefined {
  const e = (cell as { excluded?: unknown }).excluded;
  return e === 'filter' || e === 'shard' ? e : undefined;
}

/** `3 runs since 2026-11-19`, `new failure (was pass)`, `fixed (was fail)`, `flaky: 4 changes in 10 runs`. */
export function historyPhrases(h: CellHistoryView, formatDate: (iso: string) => string): string[] {
  const out: string[] = [];
  if (h.change === 'new-failure') out.push(`new failure${h.previous ? ` (was ${h.previous})` : ''}`);
  else if (h.change === 'fixed') out.push(`fixed${h.previous ? ` (was ${h.previous})` : ''}`);
  out.push(`${h.streak} run${h.streak === 1 ? '' : 's'} in this state, since ${formatDate(h.since)}`);
  if (h.flips > 0) out.push(`${h.flips} status change${h.flips === 1 ? '' : 's'} in the last ${h.window} runs`);
  return out;
}
