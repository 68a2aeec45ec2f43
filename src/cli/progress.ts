// Live progress. On a terminal: listr2, a line per cell with its stage and
// elapsed time. Otherwise (CI, pipes): one plain line per finished stage.
// Progress only shows; it never decides anything.
import { summaryLine as countsLine } from '../reporters/common.js';
import { Listr, type ListrTaskWrapper } from 'listr2';

import type { Cell } from '../matrix/cells.js';
import type { CellResult, RunResults, StageResult } from '../results/types.js';
import type { CellEvents } from '../stages/context.js';
import { isUnexpected } from '../results/status.js';

export interface Progress extends CellEvents {
  start(cells: readonly Cell[]): void;
  /** Stops the display; resolves when it has flushed. */
  stop(): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function describeResult(r: CellResult): string {
  const where = r.stage && r.status !== 'pass' && r.status !== 'skip' ? ` at ${r.stage}` : '';
  const why = r.firstError ?? r.reason;
  return `${r.status.toUpperCase()}${where}${r.cached ? ' (cached)' : ''}${why && r.status !== 'pass' ? `: ${why}` : ''}`;
}

export function summaryLine(results: RunResults): string {
  const s = results.summary;
  return `${results.complete ? '' : 'INCOMPLETE (interrupted): '}${countsLine(results)} in ${seconds(results.durationMs)}; ${s.unexpected} unexpected`;
}

/** Seconds between "still running" lines without a terminal (a silent CI log looks hung). */
export const HEARTBEAT_SECONDS = 30;

export function plainProgress(write: (line: string) => void, verbose: boolean, heartbeatS = HEARTBEAT_SECONDS): Progress {
  let total = 0;
  let finished = 0;
  const running = new Map<string, { stage: string; since: number }>();
  let beat: NodeJS.Timeout | undefined;
  return {
    start(cells) {
      total = cells.length;
      beat = setInterval(() => {
        const now = performance.now();
        // Only stages that have been silent a whole interval: a fresh one is no news.
        for (const [id, r] of running) if (now - r.since >= heartbeatS * 1000 - 500) write(`${id} ${r.stage} still running (${Math.round((now - r.since) / 1000)}s)`);
      }, heartbeatS * 1000);
      beat.unref();
    },
    async stop() {
      if (beat) clearInterval(beat);
    },
    stageStart(cell: Cell, stage: string) {
      running.set(cell.id, { stage, since: performance.now() });
    },
    stageEnd(cell: Cell, stage: StageResult) {
      const detail = stage.status === 'pass' ? '' : `: ${stage.firstError ?? ''}`;
      write(`${cell.id} ${stage.name} ${stage.status} ${seconds(stage.durationMs)}${detail}`);
    },
    cellEnd(cell: Cell, result: CellResult) {
      running.delete(cell.id);
      finished++;
      write(`[${finished}/${total || finished}] ${cell.id} => ${describeResult(result)}`);
    },
    output: verbose ? (cell, stage, chunk) => {
      for (const line of chunk.split('\n')) if (line) write(`[${cell.id} ${stage}] ${line}`);
    } : undefined,
  };
}

export interface LiveCell {
  task?: ListrTaskWrapper<unknown, never, never>;
  stage: string;
  started?: number;
  done?: (result: CellResult) => void;
  result?: CellResult;
}

/** `1m10s`, `45s`. */
function eta(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The overall line: `[7/16 cells] 2 running · 0 unexpected · ETA 1m10s`. The
 * ETA comes from each cell's duration in the history (no ETA without one).
 */
export function overallLine(cells: ReadonlyMap<string, LiveCell>, expected: ReadonlyMap<string, number>, jobs: number, now = performance.now()): string {
  let done = 0;
  let running = 0;
  let unexpected = 0;
  let remaining = 0;
  let known = true;
  for (const [id, c] of cells) {
    if (c.result) {
      done++;
      if (isUnexpected(c.result)) unexpected++;
      continue;
    }
    const want = expected.get(id);
    if (want === undefined) known = false;
    if (c.started !== undefined) {
      running++;
      remaining += Math.max(0, (want ?? 0) - (now - c.started));
    } else remaining += want ?? 0;
  }
  const parts = [`[${done}/${cells.size} cells]`, `${running} running`, `${unexpected} unexpected`];
  if (known && expected.size > 0 && done < cells.size) parts.push(`ETA ${eta(remaining / Math.max(1, jobs))}`);
  return `${parts[0]} ${parts.slice(1).join(' · ')}`;
}

export function listrProgress(verbose: boolean, expected: ReadonlyMap<string, number> = new Map(), jobs = 1): Progress {
  const live = new Map<string, LiveCell>();
  let overall: ListrTaskWrapper<unknown, never, never> | undefined;
  let finishOverall: (() => void) | undefined;
  let list: Listr | undefined;
  let running: Promise<unknown> | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const title = (id: string, cell: LiveCell) =>
    cell.started === undefined ? `${id}: queued` : `${id}: ${cell.stage} (${seconds(performance.now() - cell.started)})`;

  return {
    start(cells) {
      for (const cell of cells) live.set(cell.id, { stage: 'queued' });
      list = new Listr(
        [{
          title: overallLine(live, expected, jobs),
          task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
            new Promise<void>((resolve) => {
              overall = task;
              finishOverall = () => resolve();
              if (cells.length === 0) resolve();
            }),
        }, ...cells.map((cell) => ({
          title: `${cell.id}: queued`,
          task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
            new Promise<void>((resolve, reject) => {
              const entry = live.get(cell.id)!;
              entry.task = task;
              const settle = (result: CellResult) => {
                task.title = `${cell.id}: ${describeResult(result)}`;
                if (isUnexpected(result)) reject(new Error(`${cell.id}: ${describeResult(result)}`));
                else if (result.status === 'skip') {
                  task.skip(`${cell.id}: ${describeResult(result)}`);
                  resolve();
                } else resolve();
              };
              if (entry.result) settle(entry.result);
              else entry.done = settle;
            }),
        }))],
        { concurrent: true, exitOnError: false, registerSignalListeners: false },
      );
      running = list.run().catch(() => undefined);
      ticker = setInterval(() => {
        for (const [id, cell] of live) if (cell.task && cell.started !== undefined && !cell.result) cell.task.title = title(id, cell);
        if (overall) overall.title = overallLine(live, expected, jobs);
      }, 1000);
      ticker.unref();
    },
    async stop() {
      if (ticker) clearInterval(ticker);
      // Every selected cell reports an end (run, cached, skipped or left by an
      // interruption), so the list closes by itself.
      await running;
    },
    cellStart(cell) {
      const entry = live.get(cell.id);
      if (!entry) return;
      entry.started = performance.now();
      entry.stage = 'probe';
      if (entry.task) entry.task.title = title(cell.id, entry);
    },
    stageStart(cell, stage) {
      const entry = live.get(cell.id);
      if (!entry) return;
      entry.stage = stage;
      if (entry.task) entry.task.title = title(cell.id, entry);
    },
    cellEnd(cell, result) {
      const entry = live.get(cell.id);
      if (!entry) return;
      entry.result = result;
      entry.done?.(result);
      if (overall) overall.title = overallLine(live, expected, jobs);
      if ([...live.values()].every((c) => c.result)) finishOverall?.();
    },
    output: verbose ? (cell, _stage, chunk) => {
      const entry = live.get(cell.id);
      if (entry?.task) entry.task.output = chunk.trimEnd().split('\n').pop() ?? '';
    } : undefined,
  };
}
