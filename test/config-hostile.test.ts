// Hostile matrix files: alias and merge-key bombs, a 20 MB file, a FIFO as
// --config, numbers beyond what timers support. Each is one clear error, fast.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { loadMatrixFile, parseMatrix } from '../src/matrix/config.js';
import { OrchestratorError } from '../src/errors.js';
import { fixtureMatrix, makeTarget, makeWorkspace, runCli, TAP_STAGE } from './helpers/workspace.js';

const dir = mkdtempSync(join(tmpdir(), 'matrix-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(fn: () => unknown): OrchestratorError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OrchestratorError) return e;
    throw e;
  }
  throw new Error('no error');
}

const VALID_TAIL = `toolchains:\n  gcc: { kind: gcc, cmake_toolchain: t.cmake }\ntargets:\n  t: { build: make, source: s, stages: [] }\n`;

describe('bounded parsing', () => {
  it('a 1 KB file of nested merge keys is validated in milliseconds, not 2^30 steps', () => {
    let y = 'version: 1\nx-a0: &a0 { timeout: 1 }\n';
    for (let i = 1; i < 30; i++) y += `x-a${i}: &a${i} { <<: [*a${i - 1}, *a${i - 1}] }\n`;
    y += `defaults: { <<: [*a29, *a29] }\narchitectures:\n  x: { triple: t, debian: d, qemu: q, native_on: [] }\n${VALID_TAIL}`;
    expect(y.length).toBeLessThan(1500);
    const t0 = performance.now();
    const m = parseMatrix(y, join(dir, 'merge-bomb.yaml'));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(m.defaults.timeout).toBe(1);
  });

  it('expectations that expand past the cap are refused', () => {
    const arches = Array.from({ length: 400 }, (_, i) => `  a${i}: { triple: t, debian: d, qemu: q, native_on: [] }`).join('\n');
    const names = `[${Array.from({ length: 400 }, (_, i) => `a${i}`).join(', ')}]`;
    let y = `version: 1\narchitectures:\n${arches}\n${VALID_TAIL}expectations:\n`;
    y += `  - &e { arch: ${names}, status: skip, reason: r }\n`;
    for (let i = 0; i < 300; i++) y += '  - *e\n';
    // Bounded, not hung: the unbounded expansion (120,000 x the arches) takes minutes; the cap stops it in ~1 s
    // (a loose bound, as the machine may be busy).
    const t0 = performance.now();
    const e = error(() => parseMatrix(y, join(dir, 'expect-bomb.yaml')));
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(e.message).toContain('the expectations expand to more than 100000 entries');
    expect(e.location?.line).toBeGreaterThan(400);
  });

  it('a 20 MB matrix.yaml with 300000 entries is refused in well under a second', async () => {
    const line = '  aNNN: { triple: x86_64-linux-gnu, debian: amd64, qemu: qemu-x86_64, native_on: [x86_64] }\n';
    const body = Array.from({ length: 300_000 }, (_, i) => line.replace('NNN', String(i))).join('');
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `version: 1\narchitectures:\n${body}${VALID_TAIL}`);
    const t0 = performance.now();
    const e = await loadMatrixFile(file).then(() => undefined, (err: unknown) => err as OrchestratorError);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e?.message).toMatch(/is \d+ bytes; the limit is 1048576 bytes \(1 MiB\)/);
  });

  it('a 1 MB file with 11000 entries validates in seconds (no quadratic duplicate-key check)', () => {
    const line = '  aNNN: { triple: x86_64-linux-gnu, debian: amd64, qemu: qemu-x86_64, native_on: [x86_64] }\n';
    const body = Array.from({ length: 11_000 }, (_, i) => line.replace('NNN', String(i))).join('');
    const t0 = performance.now();
    const m = parseMatrix(`version: 1\narchitectures:\n${body}${VALID_TAIL}`, join(dir, 'big.yaml'));
    expect(m.architectures.length).toBe(11_000);
    expect(performance.now() - t0).toBeLessThan(15_000); // ~4 s on a loaded 2-core machine; minutes before
    // A duplicate among them is still found, with both lines.
    const dup = error(() => parseMatrix(`version: 1\narchitectures:\n${body}${line.replace('NNN', '7')}${VALID_TAIL}`, join(dir, 'dup.yaml')));
    expect(dup.code).toBe('CONFIG_SYNTAX');
    expect(dup.message).toBe('duplicate key "a7" (first at line 10); each key may appear only once in a mapping');
    expect(dup.location?.line).toBe(11_003);
  });
});

describe('--config and numbers', () => {
  it('a FIFO given as --config is refused at once (exit 2)', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    const r = await runCli(['list', '--config', fifo]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`E: matrix file ${fifo} is a FIFO; --config needs a regular YAML file\n`);
    const dev = await runCli(['list', '--config', '/dev/zero']);
    expect(dev.code).toBe(2);
    expect(dev.stderr).toContain('is a device');
  });

  it('--timeout beyond what timers hold is refused with its maximum', async () => {
    const ws = makeWorkspace('matrix-hostile-ws-');
    try {
      ws.writeMatrix(fixtureMatrix(makeTarget('good', TAP_STAGE)));
      const r = await runCli(['run', '--config', ws.matrixFile, '--timeout', '9999999']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('E: --timeout must be at most 2147483, got 9999999\n');
    } finally {
      ws.cleanup();
    }
  });
});

describe('paths stay in the repository', () => {
  it('a source, input or toolchain file outside the repository is refused unless allow_outside: true', async () => {
    const ws = makeWorkspace('matrix-outside-');
    try {
      const base = fixtureMatrix(makeTarget('good', TAP_STAGE));
      const cases: [string, RegExp][] = [
        [base.replace('source: targets/good', 'source: /etc'), /source directory of target "good": "\/etc" is outside the repository/],
        [base.replace('source: targets/good', 'source: targets/good\n    inputs: ["../../../../../../etc/*"]'), /input of target "good": ".*etc\/\*" is outside the repository/],
        [base.replace(/cmake_toolchain: .*gcc\.cmake/, 'cmake_toolchain: /etc/hostname'), /cmake_toolchain of toolchain "gcc": "\/etc\/hostname" is outside the repository/],
      ];
      for (const [yaml, message] of cases) {
        ws.writeMatrix(yaml);
        const r = await runCli(['list', '--config', ws.matrixFile]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain('add "allow_outside: true"');
        expect(r.stderr).toMatch(new RegExp(`^E: ${ws.matrixFile}:\\d+:\\d+: `));
      }
      // Said explicitly, it is allowed; matrix's own toolchain files always are (the fixtures use them).
      ws.writeMatrix(base.replace('source: targets/good', 'source: /etc\n    allow_outside: true').replace('build: make', 'build: make'));
      const allowed = await runCli(['list', '--config', ws.matrixFile]);
      expect(allowed.stderr).not.toContain('outside the repository');
      ws.writeMatrix(base);
      expect((await runCli(['list', '--config', ws.matrixFile])).code).toBe(0);
    } finally {
      ws.cleanup();
    }
  });
});
