// Live progress. On a terminal: listr2, a line per cell with its stage and
// elapsed time. Otherwise (CI, pipes): one plain line per finished stage.
// Progress only shows; it never decides anything.
import { summaryLine as countsLine } from '../reporters/common.js';
import { Listr, type ListrTaskWrapper } from 'listr2';

import type { Cell } from '../matrix/cells.js';
import type { CellResult, RunResults, StageResult } from '../results/types.js';
import type { CellEvents } from '../stages/context.js';

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

export function plainProgress(write: (line: string) => void, verbose: boolean): Progress {
  return {
    start() {},
    async stop() {},
    stageEnd(cell: Cell, stage: StageResult) {
      const detail = stage.status === 'pass' ? '' : `: ${stage.firstError ?? ''}`;
      write(`${cell.id} ${stage.name} ${stage.status} ${seconds(stage.durationMs)}${detail}`);
    },
    cellEnd(cell: Cell, result: CellResult) {
      write(`${cell.id} => ${describeResult(result)}`);
    },
    output: verbose ? (cell, stage, chunk) => {
      for (const line of chunk.split('\n')) if (line) write(`[${cell.id} ${stage}] ${line}`);
    } : undefined,
  };
}

interface LiveCell {
  task?: ListrTaskWrapper<unknown, never, never>;
  stage: string;
  started?: number;
  done?: (result: CellResult) => void;
  result?: CellResult;
}

export function listrProgress(verbose: boolean): Progress {
  const live = new Map<string, LiveCell>();
  let list: Listr | undefined;
  let running: Promise<unknown> | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const title = (id: string, cell: LiveCell) =>
    cell.started === undefined ? `${id}: queued` : `${id}: ${cell.stage} (${seconds(performance.now() - cell.started)})`;

  return {
    start(cells) {
      for (const cell of cells) live.set(cell.id, { stage: 'queued' });
      list = new Listr(
        cells.map((cell) => ({
          title: `${cell.id}: queued`,
          task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
            new Promise<void>((resolve, reject) => {
              const entry = live.get(cell.id)!;
              entry.task = task;
              const settle = (result: CellResult) => {
                task.title = `${cell.id}: ${describeResult(result)}`;
                if (['fail', 'xpass', 'timeout', 'error'].includes(result.status)) reject(new Error(`${cell.id}: ${describeResult(result)}`));
                else if (result.status === 'skip') {
                  task.skip(`${cell.id}: ${describeResult(result)}`);
                  resolve();
                } else resolve();
              };
              if (entry.result) settle(entry.result);
              else entry.done = settle;
            }),
        })),
        { concurrent: true, exitOnError: false, registerSignalListeners: false },
      );
      running = list.run().catch(() => undefined);
      ticker = setInterval(() => {
        for (const [id, cell] of live) if (cell.task && cell.started !== undefined && !cell.result) cell.task.title = title(id, cell);
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
    },
    output: verbose ? (cell, _stage, chunk) => {
      const entry = live.get(cell.id);
      if (entry?.task) entry.task.output = chunk.trimEnd().split('\n').pop() ?? '';
    } : undefined,
  };
}
