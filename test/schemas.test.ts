// The published schemas are the ones the code uses (never stale), and the
// repository's own files satisfy them when checked by a plain ajv.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { matrixJsonSchema } from '../src/matrix/schema.js';
import { resultsJsonSchema } from '../src/results/schema.js';
import { REPO } from './helpers/workspace.js';

const read = (f: string): unknown => JSON.parse(readFileSync(join(REPO, f), 'utf8'));

describe('published schemas', () => {
  it('matrix.schema.json and status.schema.json are what the code validates with (run scripts/write-schemas.mjs after a change)', () => {
    expect(read('matrix.schema.json')).toEqual(matrixJsonSchema());
    expect(read('status.schema.json')).toEqual(resultsJsonSchema());
  });

  it('matrix.yaml names its schema for editors and satisfies it', () => {
    const text = readFileSync(join(REPO, 'matrix.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./matrix.schema.json');
    const check = new Ajv({ strict: false }).compile(read('matrix.schema.json') as object);
    expect(check(parse(text)), JSON.stringify(check.errors)).toBe(true);
  });

  it('refuses an unknown key and a wrong type, as an editor would', () => {
    const check = new Ajv({ strict: false }).compile(read('matrix.schema.json') as object);
    const doc = parse(readFileSync(join(REPO, 'matrix.yaml'), 'utf8')) as { architectures: Record<string, Record<string, unknown>> };
    doc.architectures.x86_64!.tripel = 'x';
    expect(check(doc)).toBe(false);
    delete doc.architectures.x86_64!.tripel;
    doc.architectures.x86_64!.bits = 48;
    expect(check(doc)).toBe(false);
  });
});
