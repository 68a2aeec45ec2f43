// Splitting the matrix across machines: deterministic for a given cell list
// and history, balanced by the cells' past durations when they are known
// (longest first onto the least loaded shard), by count otherwise.
import type { Cell } from './cells.js';
import { OrchestratorError } from '../errors.js';

export interface ShardSpec {
  index: number; // 1-based
  count: number;
}

export function parseShard(text: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new OrchestratorError('USAGE', `--shard needs I/N with 1 <= I <= N (for example 2/4), got "${text}"`);
  }
  return { index, count };
}

/** Shard number (1-based) of every cell id. */
export function assignShards(cells: readonly Pick<Cell, 'id'>[], count: number, durations: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const assignment = new Map<string, number>();
  const known = cells.filter((c) => durations.has(c.id));
  if (known.length === 0) {
    cells.forEach((c, i) => assignment.set(c.id, (i % count) + 1));
    return assignment;
  }
  // Unknown cells weigh as much as the average known one.
  const mean = known.reduce((sum, c) => sum + durations.get(c.id)!, 0) / known.length;
  const weighted = cells.map((c) => ({ id: c.id, weight: durations.get(c.id) ?? mean }));
  weighted.sort((a, b) => b.weight - a.weight || a.id.localeCompare(b.id));
  const load = Array.from({ length: count }, () => 0);
  for (const { id, weight } of weighted) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[best]!) best = s;
    load[best]! += weight;
    assignment.set(id, best + 1);
  }
  return assignment;
}
