#!/usr/bin/env node
// Builds the host addon (native/addon) with cmake-js; run by `npm install`.
//
// The addon is optional: the orchestrator works without it (src/addon's
// loader then returns null with a reason). So a failed build prints why and
// exits 0, unless MATRIX_ADDON_REQUIRED=1. The outcome is recorded in
// build/addon/status.json, which the loader reads to explain a missing addon.
//
// No network: native/addon/package.json declares napi_versions, so cmake-js
// takes the Node-API headers from the node-api-headers package instead of
// downloading a Node distribution.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build', 'addon');
// cmake-js `rebuild` deletes its --out directory: keep logs and status beside it.
const cmakeDir = join(outDir, 'cmake');
const statusPath = join(outDir, 'status.json');
const logPath = join(outDir, 'build.log');
// MATRIX_ADDON_REQUIRE_COPYJIT=1 (CI) also forbids the fallback without copyjit.
const required = process.env.MATRIX_ADDON_REQUIRED === '1' || process.env.MATRIX_ADDON_REQUIRE_COPYJIT === '1';

function writeStatus(status) {
  mkdirSync(outDir, { recursive: true });
  const tmp = `${statusPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...status, node: process.version, at: new Date().toISOString() }, null, 2) + '\n');
  renameSync(tmp, statusPath);
}

function fail(reason, hint) {
  writeStatus({ ok: false, reason });
  const lines = [`matrix: the host addon was not built: ${reason}`];
  if (hint) lines.push(`matrix: ${hint}`);
  lines.push(
    required
      ? 'matrix: MATRIX_ADDON_REQUIRED=1, so this install fails.'
      : 'matrix: continuing without it (CPU labels and in-process SMC runs are unavailable; set MATRIX_ADDON_REQUIRED=1 to make this an error).',
  );
  console.error(lines.join('\n'));
  process.exit(required ? 1 : 0);
}

/** First of `names` that runs with --version, or undefined. */
function findTool(names) {
  for (const name of names) {
    if (!name) continue;
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { name, version: (r.stdout.split('\n')[0] ?? '').trim() };
  }
  return undefined;
}

if (process.env.MATRIX_SKIP_ADDON === '1') {
  writeStatus({ ok: false, reason: 'skipped: MATRIX_SKIP_ADDON=1' });
  console.error('matrix: MATRIX_SKIP_ADDON=1: the host addon is not built.');
  process.exit(0);
}

const cmake = findTool([process.env.CMAKE, 'cmake']);
if (!cmake) fail('cmake not found on PATH', 'install it, e.g. `sudo apt-get install cmake` (3.20 or newer)');
const cc = findTool([process.env.CC, 'cc', 'gcc', 'clang']);
if (!cc) fail('no C compiler found (tried $CC, cc, gcc, clang)', 'install one, e.g. `sudo apt-get install gcc g++`');
const cxx = findTool([process.env.CXX, 'c++', 'g++', 'clang++']);
if (!cxx) fail('no C++ compiler found (tried $CXX, c++, g++, clang++)', 'install one, e.g. `sudo apt-get install g++`');

const require = createRequire(import.meta.url);
let cmakeJs;
try {
  cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  require.resolve('node-addon-api');
} catch {
  fail('cmake-js or node-addon-api is not installed in node_modules', 'run `npm install` again');
}

mkdirSync(outDir, { recursive: true });
const baseArgs = [
  cmakeJs, 'rebuild', // clean + configure: -D options and a failed configure never linger
  '--directory', join(root, 'native', 'addon'),
  '--out', cmakeDir,
  '--config', 'Release',
  '--target', 'matrix_addon',
  '--parallel', '2',
  '--cc', cc.name,
  '--cxx', cxx.name,
];
const addonPath = join(cmakeDir, 'Release', 'matrix_addon.node');

/** One cmake-js build; returns the first error line, or undefined on success. */
function build(copyjit, logSuffix) {
  const args = [...baseArgs, `--CDMATRIX_ADDON_COPYJIT=${copyjit ? 'ON' : 'OFF'}`];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const log = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  writeFileSync(logPath + logSuffix, `$ ${process.execPath} ${args.join(' ')}\n${log}`);
  if (r.status === 0 && existsSync(addonPath)) return undefined;
  const lines = log.split('\n');
  const i = lines.findIndex((l) => /error|not found/i.test(l));
  if (i < 0) return `cmake-js exited with ${r.status ?? r.signal}`;
  // "CMake Error at file:line (cmd):" says where; the next line says what.
  const what = /CMake Error/.test(lines[i]) ? lines.slice(i + 1).find((l) => l.trim()) : undefined;
  return `${lines[i].trim()}${what ? ` ${what.trim()}` : ''}`;
}

console.error(`matrix: building the host addon (${cmake.version}; ${cc.version}) ...`);
let withoutCopyjit;
let err = build(true, '');
if (err && process.env.MATRIX_ADDON_REQUIRE_COPYJIT === '1') {
  // CI: an addon without copyjit would let the differential fuzz quietly skip.
  fail(`the addon with copyjit did not build: ${err}`, `MATRIX_ADDON_REQUIRE_COPYJIT=1 forbids the fallback without copyjit; full log: ${logPath}`);
}
if (err) {
  // copyjit's templates are the most fragile part: keep the rest of the addon.
  withoutCopyjit = err;
  console.error(`matrix: addon build with copyjit failed (${err}); retrying without copyjit`);
  err = build(false, '.no-copyjit');
}
if (err) fail(`cmake-js build failed: ${err}`, `full logs: ${logPath}, ${logPath}.no-copyjit`);
writeStatus({
  ok: true,
  path: addonPath,
  copyjit: !withoutCopyjit,
  ...(withoutCopyjit ? { copyjitError: withoutCopyjit } : {}),
  cmake: cmake.version,
  cc: cc.version,
  cxx: cxx.version,
});
console.error(`matrix: host addon built: ${addonPath}${withoutCopyjit ? ' (without copyjit: see build/addon/build.log)' : ''}`);
