#!/usr/bin/env node
// Writes the published JSON Schemas from their one source (src/matrix/schema.ts,
// src/results/schema.ts; run after `npm run build`): matrix.schema.json for
// editors (matrix.yaml names it on its first line) and status.schema.json for
// anyone reading status.json. test/schemas.test.ts fails when they are stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { matrixJsonSchema } = await import(join(root, 'dist/matrix/schema.js'));
writeFileSync(join(root, 'matrix.schema.json'), `${JSON.stringify(matrixJsonSchema(), null, 2)}\n`);
try {
  const { resultsJsonSchema } = await import(join(root, 'dist/results/schema.js'));
  writeFileSync(join(root, 'status.schema.json'), `${JSON.stringify(resultsJsonSchema(), null, 2)}\n`);
} catch (error) {
  if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
}
console.log('wrote matrix.schema.json');
