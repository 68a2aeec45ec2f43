// The one table of cell and stage statuses: everything reporters, progress,
// history, junit, the cache and the HTML's CSS classes know about a status
// comes from here. Add a status by adding a row.
import type { CellResult, CellStatus, StageStatus } from './types.js';

export interface StatusFacts {
  /** Position in reports, summaries and legends. */
  order: number;
  icon: string;
  /** How a label shows it: shouting words are the ones a reader must act on. */
  word: string;
  /** Makes `matrix run` exit 1 (flaky: unless matrix.yaml declares it known). */
  unexpected: boolean;
  /** A raw result worth remembering between runs (the others are retried next run). */
  cacheable: boolean;
  /** Joins root-cause groups of same-cause cells. */
  grouped: boolean;
  /** Labels name the stage that decided it (`FAIL at build`). */
  withStage: boolean;
  /** How the history counts it for streaks, new failures and fixes. */
  history: 'good' | 'bad' | 'neutral';
  /** JUnit element of the deciding stage. */
  junit: 'pass' | 'failure' | 'error' | 'skipped';
}

export const STATUS: Readonly<Record<CellStatus, StatusFacts>> = {
  pass: { order: 0, icon: '✅', word: 'pass', unexpected: false, cacheable: true, grouped: false, withStage: false, history: 'good', junit: 'pass' },
  fail: { order: 1, icon: '❌', word: 'FAIL', unexpected: true, cacheable: true, grouped: true, withStage: true, history: 'bad', junit: 'failure' },
  xfail: { order: 2, icon: '⚠️', word: 'xfail', unexpected: false, cacheable: false, grouped: true, withStage: false, history: 'good', junit: 'skipped' },
  xpass: { order: 3, icon: '❗', word: 'XPASS', unexpected: true, cacheable: false, grouped: true, withStage: false, history: 'bad', junit: 'failure' },
  timeout: { order: 4, icon: '⏱', word: 'TIMEOUT', unexpected: true, cacheable: false, grouped: true, withStage: true, history: 'bad', junit: 'failure' },
  error: { order: 5, icon: '💥', word: 'ERROR', unexpected: true, cacheable: false, grouped: true, withStage: true, history: 'bad', junit: 'error' },
  skip: { order: 6, icon: '⏭', word: 'skip', unexpected: false, cacheable: false, grouped: false, withStage: false, history: 'neutral', junit: 'skipped' },
  // A crash that went away on retry is a finding: unexpected, never cached.
  flaky: { order: 7, icon: '🔁', word: 'flaky', unexpected: true, cacheable: false, grouped: false, withStage: false, history: 'good', junit: 'pass' },
};

/** Every status, in the order reports list them. */
export const STATUS_ORDER: readonly CellStatus[] = (Object.keys(STATUS) as CellStatus[]).sort((a, b) => STATUS[a].order - STATUS[b].order);

export const STATUS_ICON: Readonly<Record<CellStatus, string>> = Object.fromEntries(STATUS_ORDER.map((s) => [s, STATUS[s].icon])) as Record<CellStatus, string>;

/** Icons of a stage's own status (a stage is never xfail, xpass or flaky). */
export const STAGE_ICON: Readonly<Record<StageStatus, string>> = { pass: STATUS.pass.icon, fail: STATUS.fail.icon, timeout: STATUS.timeout.icon, error: STATUS.error.icon, skip: STATUS.skip.icon };

/** Statuses that make `matrix run` exit 1 (a flaky cell unless matrix.yaml declares it known-flaky). */
export const UNEXPECTED_STATUSES: readonly CellStatus[] = STATUS_ORDER.filter((s) => STATUS[s].unexpected);

/** Whether this cell makes `matrix run` exit 1. */
export function isUnexpected(cell: Pick<CellResult, 'status' | 'knownFlaky'>): boolean {
  if (cell.status === 'flaky' && cell.knownFlaky) return false;
  return STATUS[cell.status].unexpected;
}

export function summarize(cells: readonly CellResult[]): Record<CellStatus, number> & { total: number; unexpected: number } {
  const counts = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<CellStatus, number>;
  for (const c of cells) counts[c.status]++;
  return { ...counts, total: cells.length, unexpected: cells.filter(isUnexpected).length };
}
