// The last word on a matrix file: ajv checks the parsed document against the
// schema (schema.ts). The reader has given its own, more helpful messages for
// everything it knows; this catches whatever it does not, so the published
// schema and what matrix accepts cannot drift apart.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isNode, type Document, type LineCounter } from 'yaml';

import { OrchestratorError } from '../errors.js';
import { MatrixFileSchema } from './schema.js';

let validate: ValidateFunction | undefined;

function validator(): ValidateFunction {
  validate ??= new Ajv({ allErrors: false, strict: false }).compile(MatrixFileSchema);
  return validate;
}

/** Throws CONFIG_INVALID, located at the offending YAML node, when the document breaks the schema. */
export function checkAgainstSchema(doc: Document, lineCounter: LineCounter, file: string): void {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    // Alias-heavy files are bounded by the reader itself (each merged mapping read once, capped).
    if (error instanceof ReferenceError) return;
    throw error;
  }
  const check = validator();
  if (check(value)) return;
  const error = check.errors![0]!;
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const node = segments.length ? doc.getIn(segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s)), true) : doc.contents;
  const offset = isNode(node) && node.range ? node.range[0] : 0;
  const pos = lineCounter.linePos(offset);
  throw new OrchestratorError('CONFIG_INVALID', `${describePath(segments)} ${describeError(error)} (matrix.schema.json)`, {
    location: { file, line: pos.line, column: pos.col },
  });
}

function describePath(segments: string[]): string {
  return segments.length ? `"${segments.join('.')}"` : 'the matrix file';
}

function describeError(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `has unknown key "${String(p.additionalProperty)}"`;
  if (error.keyword === 'required') return `is missing required key "${String(p.missingProperty)}"`;
  return error.message ?? error.keyword;
}
