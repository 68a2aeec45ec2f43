// Reading status.json back (`matrix report`, `matrix merge`): the text must be a
// RunResults of our schema version, or the user gets one message naming the file,
// the JSON path and what is wrong there.
import { readFile } from 'node:fs/promises';
import { OrchestratorError } from '../errors.js';
import { SCHEMA_VERSION } from './types.js';
import type { CellStatus, RunResults, StageStatus } from './types.js';
import { STATUS_ORDER } from './status.js';

const CELL_STATUSES: readonly CellStatus[] = STATUS_ORDER;
const STAGE_STATUSES: readonly StageStatus[] = ['pass', 'fail', 'timeout', 'error', 'skip'];
const STAGE_KINDS = ['probe', 'configure', 'build', 'test', 'bench', 'check'] as const;
const RUNNERS = ['native', 'qemu', 'none'] as const;

/** At most this many problems are listed in one message. */
const MAX_PROBLEMS = 8;

type Obj = Record<string, unknown>;

class Checker {
  readonly problems: string[] = [];

  fail(path: string, what: string): void {
    this.problems.push(`${path || '(top level)'}: ${what}`);
  }

  object(v: unknown, path: string): Obj | undefined {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Obj;
    this.fail(path, `expected an object, got ${describe(v)}`);
    return undefined;
  }

  /** Checks `o[key]` with `test`; `optional` keys may be absent (undefined). */
  field(o: Obj, path: string, key: string, type: 'string' | 'number' | 'boolean', optional = false): void {
    const v = o[key];
    const p = join(path, key);
    if (v === undefined) {
      if (!optional) this.fail(p, `missing (expected a ${type})`);
      return;
    }
    if (type === 'number' ? typeof v !== 'number' || !Number.isFinite(v) : typeof v !== type) {
      this.fail(p, `expected a ${type === 'number' ? 'finite number' : type}, got ${describe(v)}`);
    }
  }

  oneOf(o: Obj, path: string, key: string, allowed: readonly string[], optional = false): void {
    const v = o[key];
    const p = join(path, key);
    if (v === undefined) {
      if (!optional) this.fail(p, `missing (expected one of ${allowed.join(', ')})`);
      return;
    }
    if (typeof v !== 'string' || !allowed.includes(v)) {
      this.fail(p, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
    }
  }

  array(o: Obj, path: string, key: string, optional = false): unknown[] | undefined {
    const v = o[key];
    const p = join(path, key);
    if (v === undefined && optional) return undefined;
    if (Array.isArray(v)) return v;
    this.fail(p, v === undefined ? 'missing (expected an array)' : `expected an array, got ${describe(v)}`);
    return undefined;
  }
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function checkStage(c: Checker, v: unknown, path: string): void {
  const s = c.object(v, path);
  if (!s) return;
  c.field(s, path, 'name', 'string');
  c.oneOf(s, path, 'kind', STAGE_KINDS);
  c.oneOf(s, path, 'status', STAGE_STATUSES);
  c.field(s, path, 'durationMs', 'number');
  for (const k of ['command', 'cwd', 'signal', 'log', 'firstError'] as const) c.field(s, path, k, 'string', true);
  c.field(s, path, 'exitCode', 'number', true);
  c.field(s, path, 'attempts', 'number', true);
  c.field(s, path, 'logTruncated', 'boolean', true);
  const tests = c.array(s, path, 'tests', true);
  tests?.forEach((t, i) => {
    const tp = join(join(path, 'tests'), i);
    const o = c.object(t, tp);
    if (!o) return;
    c.field(o, tp, 'name', 'string');
    c.field(o, tp, 'ok', 'boolean');
    c.field(o, tp, 'skipped', 'boolean', true);
    c.field(o, tp, 'todo', 'boolean', true);
    c.field(o, tp, 'message', 'string', true);
  });
}

function checkCell(c: Checker, v: unknown, path: string): void {
  const cell = c.object(v, path);
  if (!cell) return;
  for (const k of ['id', 'arch', 'toolchain', 'target', 'reproducer'] as const) c.field(cell, path, k, 'string');
  c.oneOf(cell, path, 'status', CELL_STATUSES);
  for (const k of ['stage', 'signal', 'firstError', 'reason', 'link', 'install', 'inputHash'] as const) {
    c.field(cell, path, k, 'string', true);
  }
  c.oneOf(cell, path, 'runner', RUNNERS);
  c.field(cell, path, 'durationMs', 'number');
  c.field(cell, path, 'cached', 'boolean');
  c.field(cell, path, 'attempts', 'number');
  const versions = cell.versions === undefined ? (c.fail(join(path, 'versions'), 'missing (expected an object)'), undefined) : c.object(cell.versions, join(path, 'versions'));
  if (versions) for (const k of ['compiler', 'qemu', 'cmake'] as const) c.field(versions, join(path, 'versions'), k, 'string', true);
  const stages = c.array(cell, path, 'stages');
  stages?.forEach((s, i) => checkStage(c, s, join(join(path, 'stages'), i)));
}

/**
 * Checks that `value` is a RunResults of this schema version and returns it typed.
 * Throws OrchestratorError('RESULTS_INVALID') listing what is wrong, naming `file`.
 */
export function validateResults(value: unknown, file = 'results'): RunResults {
  const c = new Checker();
  const top = c.object(value, '');
  const invalid = (msg: string): OrchestratorError => new OrchestratorError('RESULTS_INVALID', `${file}: ${msg}`);
  if (!top) throw invalid(`not a matrix results file: ${c.problems[0] ?? ''}`);
  const version = top.schemaVersion;
  if (version === undefined) throw invalid('not a matrix results file: schemaVersion is missing');
  if (version !== SCHEMA_VERSION) {
    const newer = typeof version === 'number' && version > SCHEMA_VERSION;
    throw invalid(
      `schemaVersion is ${describe(version)}, this matrix reads ${SCHEMA_VERSION}` +
        (newer ? ' (written by a newer matrix: upgrade, or rerun `matrix run`)' : ' (rerun `matrix run` to regenerate it)'),
    );
  }

  const tool = top.tool === undefined ? (c.fail('tool', 'missing (expected an object)'), undefined) : c.object(top.tool, 'tool');
  if (tool) {
    if (tool.name !== 'matrix') c.fail('tool.name', `expected "matrix", got ${describe(tool.name)}`);
    c.field(tool, 'tool', 'version', 'string');
  }
  for (const k of ['matrixHash', 'matrixFile', 'startedAt', 'finishedAt'] as const) c.field(top, '', k, 'string');
  c.field(top, '', 'durationMs', 'number');
  c.field(top, '', 'complete', 'boolean');

  const host = top.host === undefined ? (c.fail('host', 'missing (expected an object)'), undefined) : c.object(top.host, 'host');
  if (host) {
    for (const k of ['machine', 'platform', 'release', 'cpuModel', 'node'] as const) c.field(host, 'host', k, 'string');
    c.field(host, 'host', 'cpus', 'number');
    c.field(host, 'host', 'memoryBytes', 'number');
    if (host.cpu !== undefined) c.object(host.cpu, 'host.cpu');
  }

  const options = top.options === undefined ? (c.fail('options', 'missing (expected an object)'), undefined) : c.object(top.options, 'options');
  if (options) {
    for (const k of ['jobs', 'retries', 'timeout'] as const) c.field(options, 'options', k, 'number');
    c.field(options, 'options', 'cache', 'boolean');
    const sel = options.selection === undefined ? (c.fail('options.selection', 'missing (expected an object)'), undefined) : c.object(options.selection, 'options.selection');
    if (sel) {
      for (const [k, v] of Object.entries(sel)) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) c.fail(`options.selection.${k}`, `expected an array of strings, got ${describe(v)}`);
      }
    }
  }

  const summary = top.summary === undefined ? (c.fail('summary', 'missing (expected an object)'), undefined) : c.object(top.summary, 'summary');
  if (summary) for (const k of [...CELL_STATUSES, 'total', 'unexpected']) c.field(summary, 'summary', k, 'number');

  const cells = c.array(top, '', 'cells');
  cells?.forEach((cell, i) => checkCell(c, cell, join('cells', i)));
  if (cells) {
    const seen = new Map<string, number>();
    cells.forEach((cell, i) => {
      const id = (cell as Obj | null)?.id;
      if (typeof id !== 'string') return;
      const first = seen.get(id);
      if (first !== undefined) c.fail(`cells[${i}].id`, `duplicate cell id ${JSON.stringify(id)} (also cells[${first}])`);
      else seen.set(id, i);
    });
  }
  if (top.extras !== undefined) c.object(top.extras, 'extras');

  if (c.problems.length > 0) {
    const shown = c.problems.slice(0, MAX_PROBLEMS);
    const more = c.problems.length - shown.length;
    const head = c.problems.length === 1 ? 'invalid results: ' : `invalid results (${c.problems.length} problems):\n  `;
    throw invalid(head + shown.join('\n  ') + (more > 0 ? `\n  ... and ${more} more` : ''));
  }
  return value as RunResults;
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** Parses the text of a status.json; `file` names it in errors. */
export function parseResults(text: string, file: string): RunResults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /line (\d+) column (\d+)/.exec(msg);
    const pos = /position (\d+)/.exec(msg);
    const loc = m ? { line: Number(m[1]), column: Number(m[2]) } : pos ? lineColumn(text, Number(pos[1])) : text.trim() === '' ? { line: 1, column: 1 } : undefined;
    const what = text.trim() === '' ? 'the file is empty' : `not valid JSON (${msg})`;
    throw new OrchestratorError('RESULTS_INVALID', `${what}`, {
      location: { file, line: loc?.line ?? 1, column: loc?.column ?? 1 },
      cause: err,
    });
  }
  return validateResults(value, file);
}

/**
 * Reads and validates a status.json: the one reader of it (report, merge,
 * run --failed, repro). RESULTS_NOT_FOUND, with `missingHint`, when it does not exist.
 */
export async function readResults(file: string, missingHint = 'run `matrix run` first'): Promise<RunResults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new OrchestratorError('RESULTS_NOT_FOUND', `${file} does not exist: ${missingHint}`, { cause: err });
    }
    throw new OrchestratorError('IO', `${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseResults(text, file);
}
