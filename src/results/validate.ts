// Reading status.json back (`matrix report`, `matrix merge`): the text must be a
// RunResults of our schema version, or the user gets one message naming the file,
// the JSON path and what is wrong there.
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

import { OrchestratorError } from '../errors.js';
import { ResultsSchema } from './schema.js';
import { SCHEMA_VERSION } from './types.js';
import type { RunResults } from './types.js';


/** At most this many problems are listed in one message. */
const MAX_PROBLEMS = 8;

type Obj = Record<string, unknown>;

let validate: ValidateFunction | undefined;
const validator = (): ValidateFunction => (validate ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(ResultsSchema));

/** `cells[3].status` from ajv's `/cells/3/status`. */
function pathOf(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((p, part) => (/^\d+$/.test(part) ? `${p}[${part}]` : p ? `${p}.${part}` : part), '');
}

function valueAt(root: unknown, instancePath: string): unknown {
  return instancePath.split('/').slice(1).reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Obj)[k] : undefined), root);
}

const TYPE_WORDS: Record<string, string> = { string: 'a string', number: 'a finite number', boolean: 'a boolean', object: 'an object', array: 'an array', integer: 'an integer' };

/** One problem in the words matrix uses: `cells[3].status: expected one of ..., got "passed"`. */
function problem(error: ErrorObject, root: unknown): string {
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const key = String(p.missingProperty);
    const schema = (error.parentSchema as { properties?: Record<string, { type?: string; enum?: string[] }> } | undefined)?.properties?.[key];
    const expected = schema?.enum ? `one of ${schema.enum.join(', ')}` : TYPE_WORDS[schema?.type ?? ''] ?? 'a value';
    return `${pathOf(error.instancePath, key) || '(top level)'}: missing (expected ${expected})`;
  }
  const at = pathOf(error.instancePath) || '(top level)';
  const got = describe(valueAt(root, error.instancePath));
  if (error.keyword === 'enum') return `${at}: expected one of ${(p.allowedValues as string[]).join(', ')}, got ${got}`;
  if (error.keyword === 'const') return `${at}: expected ${JSON.stringify(p.allowedValue)}, got ${got}`;
  if (error.keyword === 'type') return `${at}: expected ${TYPE_WORDS[String(p.type)] ?? String(p.type)}, got ${got}`;
  return `${at}: ${error.message ?? error.keyword}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/**
 * Checks that `value` is a RunResults of this schema version and returns it typed.
 * Throws OrchestratorError('RESULTS_INVALID') listing what is wrong, naming `file`.
 */
export function validateResults(value: unknown, file = 'results'): RunResults {
  const invalid = (msg: string): OrchestratorError => new OrchestratorError('RESULTS_INVALID', `${file}: ${msg}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`not a matrix results file: (top level): expected an object, got ${describe(value)}`);
  const top = value as Obj;
  const version = top.schemaVersion;
  if (version === undefined) throw invalid('not a matrix results file: schemaVersion is missing');
  if (version !== SCHEMA_VERSION) {
    const newer = typeof version === 'number' && version > SCHEMA_VERSION;
    throw invalid(
      `schemaVersion is ${describe(version)}, this matrix reads ${SCHEMA_VERSION}` +
        (newer ? ' (written by a newer matrix: upgrade, or rerun `matrix run`)' : ' (rerun `matrix run` to regenerate it)'),
    );
  }

  const check = validator();
  const problems = check(value) ? [] : [...new Set((check.errors ?? []).filter((e) => e.keyword !== 'anyOf').map((e) => problem(e, value)))];
  if (Array.isArray(top.cells)) {
    const seen = new Map<string, number>();
    top.cells.forEach((cell, i) => {
      const id = (cell as Obj | null)?.id;
      if (typeof id !== 'string') return;
      const first = seen.get(id);
      if (first !== undefined) problems.push(`cells[${i}].id: duplicate cell id ${JSON.stringify(id)} (also cells[${first}])`);
      else seen.set(id, i);
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    const more = problems.length - shown.length;
    const head = problems.length === 1 ? 'invalid results: ' : `invalid results (${problems.length} problems):\n  `;
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
