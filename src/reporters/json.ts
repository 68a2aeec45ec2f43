// status.json: the RunResults itself, pretty-printed with a stable key order so two
// runs diff cleanly whatever order the orchestrator filled the objects in.
import type { RunResults } from '../results/types.js';

/** Keys that come first, in this order, wherever they occur; all others follow sorted. */
const KEY_ORDER = [
  'schemaVersion', 'tool', 'matrixHash', 'matrixFile', 'startedAt', 'finishedAt', 'durationMs', 'complete',
  'host', 'options', 'summary', 'cells', 'extras',
  'id', 'name', 'arch', 'toolchain', 'target', 'status', 'stage', 'kind', 'signal', 'exitCode', 'firstError',
  'reason', 'link', 'install', 'runner', 'versions', 'command', 'cwd', 'ok', 'skipped', 'todo', 'message',
  'stages', 'tests', 'reproducer',
];
const RANK = new Map(KEY_ORDER.map((k, i) => [k, i]));

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a) ?? Infinity;
  const rb = RANK.get(b) ?? Infinity;
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value !== 'object' || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareKeys)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = ordered(v);
  }
  return out;
}

/** The results as status.json text: 2-space indent, stable key order, trailing newline. */
export function renderJson(results: RunResults): string {
  return `${JSON.stringify(ordered(results), null, 2)}\n`;
}
