// status.json: the RunResults itself, pretty-printed with a stable key order so two
// runs diff cleanly whatever order the orchestrator filled the objects in.
import type { RunResults } from '../results/types.js';
import { STATUS_ORDER } from '../results/status.js';

// Per kind of object: these keys first, in this order (the order of types.ts, most
// telling first); any other key follows, sorted.
const TOP = ['schemaVersion', 'tool', 'matrixHash', 'matrixFile', 'startedAt', 'finishedAt', 'durationMs', 'complete', 'host', 'options', 'summary', 'cells', 'extras'];
const CELL = ['id', 'arch', 'toolchain', 'target', 'status', 'stage', 'signal', 'firstError', 'reason', 'link', 'install', 'runner', 'axes', 'versions', 'durationMs', 'cached', 'attempts', 'inputHash', 'reproducer', 'rerun', 'stages'];
const STAGE = ['name', 'kind', 'status', 'command', 'cwd', 'exitCode', 'signal', 'durationMs', 'attempts', 'log', 'logTruncated', 'firstError', 'tests', 'data'];
const TEST = ['name', 'ok', 'skipped', 'todo', 'message'];
const SUMMARY = ['total', 'unexpected', ...STATUS_ORDER];
const TOOL = ['name', 'version'];

type Order = readonly string[];

function sortKeys(keys: string[], order: Order): string[] {
  const rank = (k: string): number => {
    const i = order.indexOf(k);
    return i === -1 ? Infinity : i;
  };
  return keys.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Key order for the value under `key` of an object ordered by `parent`. */
function childOrder(parent: Order, key: string): Order {
  if (parent === TOP) return key === 'cells' ? CELL : key === 'summary' ? SUMMARY : key === 'tool' ? TOOL : [];
  if (parent === CELL) return key === 'stages' ? STAGE : [];
  if (parent === STAGE) return key === 'tests' ? TEST : [];
  return [];
}

function ordered(value: unknown, order: Order): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, order));
  if (typeof value !== 'object' || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const out: Record<string, unknown> = {};
  for (const key of sortKeys(Object.keys(value), order)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = ordered(v, childOrder(order, key));
  }
  return out;
}

/** The results as status.json text: 2-space indent, stable key order, trailing newline. */
export function renderJson(results: RunResults): string {
  return `${JSON.stringify(ordered(results, TOP), null, 2)}\n`;
}
