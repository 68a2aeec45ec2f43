#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (compiled by `npm run build`, run by `npm ci`/`npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('E: matrix is not built: run `npm install` (or `npm run build`) in the repository first.\n');
  process.exit(2);
}
const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 22) {
  process.stderr.write(`E: matrix needs Node >= 22 (this is ${process.version}); run it through npx or npm run, which use the Node 22 from node_modules.\n`);
  process.exit(2);
}
// A reader that went away (`matrix list | head`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
