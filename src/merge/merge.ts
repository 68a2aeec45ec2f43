// Combining shard results into one record, the same (but for timings) as the
// record one machine running the whole matrix would write. Pure: reading and
// writing the files is the `matrix merge` command's job.
import { OrchestratorError } from '../errors.js';
import type { CellResult, RunResults } from '../results/types.js';
import { summarize } from '../results/status.js';

export interface ShardInput {
  /** Where it came from, for messages. */
  source: string;
  results: RunResults;
}

export interface MergeOutcome {
  results: RunResults;
  /** For each merged cell, the input it came from (to copy its logs). */
  origin: Map<string, string>;
  /** Cells no input ran (a shard is missing). */
  missing: string[];
}

export function mergeShards(inputs: readonly ShardInput[]): MergeOutcome {
  const first = inputs[0];
  if (!first) throw new OrchestratorError('USAGE', 'matrix merge needs at least one results directory');
  for (const input of inputs.slice(1)) {
    if (input.results.matrixHash !== first.results.matrixHash) {
      throw new OrchestratorError(
        'RESULTS_INVALID',
        `cannot merge results of different matrix.yaml versions: ${first.source} has matrix ${first.results.matrixHash.slice(0, 12)}, ${input.source} has ${input.results.matrixHash.slice(0, 12)}; rerun the shards from one commit`,
      );
    }
  }
  const owner = new Map<string, { source: string; cell: CellResult }>();
  for (const input of inputs) {
    for (const cell of input.results.cells) {
      if (cell.excluded) continue;
      const seen = owner.get(cell.id);
      if (seen) {
        throw new OrchestratorError('RESULTS_INVALID', `shards overlap: cell ${cell.id} ran in both ${seen.source} and ${input.source}; merge each shard once`);
      }
      owner.set(cell.id, { source: input.source, cell });
    }
  }
  const missing: string[] = [];
  const origin = new Map<string, string>();
  const cells = first.results.cells.map((cell) => {
    const owned = owner.get(cell.id);
    if (owned) {
      origin.set(cell.id, owned.source);
      const { excluded: _excluded, ...rest } = owned.cell;
      return rest;
    }
    // Left out by a filter everywhere stays as it is; left to a shard nobody merged is missing.
    const byShard = inputs.some((i) => i.results.cells.find((c) => c.id === cell.id)?.excluded === 'shard');
    if (byShard) missing.push(cell.id);
    return cell;
  });
  const started = Math.min(...inputs.map((i) => Date.parse(i.results.startedAt)));
  const finished = Math.max(...inputs.map((i) => Date.parse(i.results.finishedAt)));
  const extras = Object.assign({}, ...inputs.map((i) => i.results.extras ?? {})) as Record<string, unknown>;
  const { shard: _shard, ...options } = first.results.options;
  const results: RunResults = {
    ...first.results,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    complete: missing.length === 0 && inputs.every((i) => i.results.complete),
    options,
    summary: summarize(cells),
    cells,
    ...(Object.keys(extras).length ? { extras } : {}),
  };
  delete results.history;
  delete results.groups;
  return { results, origin, missing };
}
