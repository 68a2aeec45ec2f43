// Pure pieces of the orchestrator: TAP parsing, first-error extraction,
// cell expansion and selection, expectations, capped output, quoting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { parseMatrix } from '../src/matrix/config.js';
import { applyProfile } from '../src/matrix/profiles.js';
import { expandMatrix, selectCells } from '../src/matrix/cells.js';
import { parseTap, tapFailureLine } from '../src/formats/tap.js';
import { firstErrorLine, qemuTargetSignal, qemuInfrastructureError } from '../src/formats/first-error.js';
import { applyExpectation } from '../src/stages/expectations.js';
import { CappedOutput } from '../src/runtime/capped-output.js';
import { formatCommand } from '../src/runtime/quote.js';
import { toolchainPackages } from '../src/toolchains/toolchain.js';
import type { CellResult } from '../src/results/types.js';
import { REPO } from './helpers/workspace.js';

// The quick (default) profile: the base architectures and toolchains.
const config = applyProfile(parseMatrix(readFileSync(join(REPO, 'matrix.yaml'), 'utf8'), join(REPO, 'matrix.yaml')));

describe('TAP', () => {
  it('reads plans, passes, failures with YAML diagnostics, skips and todos', () => {
    const tap = parseTap(['TAP version 13', '1..4', 'ok 1 - a', 'not ok 2 - b', '  ---', '  message: "x.c:3: check failed: y == 1"', '  ...', 'ok 3 - c # SKIP no memfd', 'not ok 4 - d # TODO later'].join('\n'));
    expect(tap.planned).toBe(4);
    expect(tap.tests.map((t) => [t.name, t.ok])).toEqual([['a', true], ['b', false], ['c', true], ['d', false]]);
    expect(tap.tests[2]!.skipped).toBe(true);
    expect(tap.tests[3]!.todo).toBe(true);
    expect(tap.ok).toBe(false);
    expect(tapFailureLine(tap)).toBe('not ok - b: x.c:3: check failed: y == 1');
  });

  it('notices a plan cut short by a crash, and no tests at all', () => {
    const short = parseTap('1..3\nok 1 - first\n');
    expect(short.ok).toBe(false);
    expect(tapFailureLine(short)).toBe('only 1 of 3 planned tests ran (last: first)');
    expect(tapFailureLine(parseTap('hello\n'))).toBe('no TAP in the output (no plan, no test lines)');
    expect(parseTap('1..2\nok 1\nok 2\n').ok).toBe(true);
  });

  it('names every failing test, not just the first', () => {
    const lines = ['1..8', ...Array.from({ length: 8 }, (_, i) => `not ok ${i + 1} - op${i} size=4 no tail jump`)];
    expect(tapFailureLine(parseTap(lines.join('\n')))).toBe('not ok - op0 size=4 no tail jump (+7 more not ok: op1, op2, op3, op4, op5, …)');
  });

  it('keeps a # comment that is not a directive in the description', () => {
    const tap = parseTap('1..2\nok 1 - spmark size=58 whole # tail jump kept\nok 2 - b # skip no AVX\n');
    expect(tap.ok).toBe(true);
    expect(tap.tests.map((t) => t.name)).toEqual(['spmark size=58 whole # tail jump kept', 'b']);
    expect(tap.tests[1]!.skipped).toBe(true);
  });
});

describe('first error line', () => {
  it('prefers the earliest meaningful line', () => {
    const log = 'cmake stuff\n[1/3] Building C object\n/src/a.c:12:3: error: expected ‘;’\nmake: *** [all] Error 1\n';
    expect(firstErrorLine(log)).toBe('/src/a.c:12:3: error: expected ‘;’');
    expect(firstErrorLine('foo\n/usr/bin/ld: a.o: undefined reference to `bar`\n')).toMatch(/undefined reference to `bar`/);
  });

  it('reads qemu messages', () => {
    expect(qemuTargetSignal('qemu: uncaught target signal 4 (Illegal instruction) - core dumped')).toBe('SIGILL');
    expect(qemuInfrastructureError("qemu-mips: Could not open '/lib/ld.so.1': No such file or directory")).toMatch(/Could not open/);
    expect(qemuInfrastructureError('qemu: uncaught target signal 11 (Segmentation fault)')).toBeUndefined();
  });
});

describe('cells', () => {
  const cells = expandMatrix(config);

  it('expands the default matrix to arch x toolchain cells with stable ids, in config order', () => {
    const n = config.architectures.length * config.toolchains.length;
    expect(cells).toHaveLength(n);
    expect(cells[0]!.id).toBe('native-x86_64-gcc');
    expect(cells[15]!.id).toBe('native-mips64el-llvm');
    expect(new Set(cells.map((c) => c.id)).size).toBe(n);
  });

  it('selects by arch and toolchain and keeps the rest with a reason', () => {
    const { selected, excluded } = selectCells(cells, { arch: ['mips', 'arm'], toolchain: ['llvm'] });
    expect(selected.map((c) => c.id)).toEqual(['native-arm-llvm', 'native-mips-llvm']);
    expect(excluded).toHaveLength(cells.length - 2);
    expect(excluded.find((e) => e.cell.id === 'native-mips-gcc')!.reason).toBe('not selected (--toolchain llvm)');
  });

  it('names Debian packages, using the native ones for the host triple', () => {
    const gcc = config.toolchains.find((t) => t.name === 'gcc')!;
    const arch = (n: string) => config.architectures.find((a) => a.name === n)!;
    expect(toolchainPackages(gcc, arch('mips64el'), 'x86_64')).toEqual(['gcc-mips64el-linux-gnuabi64', 'libc6-dev-mips64el-cross']);
    expect(toolchainPackages(gcc, arch('x86_64'), 'x86_64')).toEqual(['gcc', 'libc6-dev']);
  });
});

describe('expectations', () => {
  const raw = (status: CellResult['status'], stage: string): CellResult => ({
    id: 'c', arch: 'a', toolchain: 't', target: 'x', status, stage, runner: 'qemu', versions: {}, durationMs: 1, stages: [], reproducer: '', cached: false, attempts: 1,
  });
  const location = { file: 'm.yaml', line: 1, column: 1 };
  const xfail = { match: {}, status: 'xfail' as const, stage: 'core-tests', reason: 'known', location };

  it('turns an expected failure into xfail and an unexpected pass into xpass', () => {
    expect(applyExpectation(raw('fail', 'core-tests'), xfail).status).toBe('xfail');
    expect(applyExpectation(raw('pass', 'core-tests'), xfail).status).toBe('xpass');
  });

  it('keeps a failure at another stage, or an infrastructure error, unexpected', () => {
    const other = applyExpectation(raw('fail', 'build'), xfail);
    expect(other.status).toBe('fail');
    expect(other.reason).toContain('expected to fail at core-tests');
    expect(applyExpectation(raw('error', 'core-tests'), xfail).status).toBe('error');
  });
});

describe('capped output', () => {
  it('keeps the head and the tail within the limit', () => {
    const out = new CappedOutput(2048);
    for (let i = 0; i < 10_000; i++) out.push(Buffer.from(`line ${i}\n`));
    const text = out.toString();
    expect(out.truncated).toBe(true);
    expect(text.length).toBeLessThan(2200);
    expect(text.startsWith('line 0\n')).toBe(true);
    expect(text.endsWith('line 9999\n')).toBe(true);
    expect(text).toMatch(/\[\.\.\. matrix: \d+ bytes of output omitted/);
  });
});

describe('quoting', () => {
  it('quotes only what needs it', () => {
    expect(formatCommand(['cmake', '-DMATRIX_CFLAGS=-march=armv7-a;-mthumb', "it's"])).toBe("cmake '-DMATRIX_CFLAGS=-march=armv7-a;-mthumb' 'it'\\''s'");
  });
});

describe('run-stage classification', () => {
  it('ignores qemu signal messages from forked children when the program exits 0', async () => {
    const { classifyRun } = await import('../src/stages/classify.js');
    const spec = { name: 't', kind: 'test' as const, command: ['bin/t'], format: 'tap' as const, where: 'any' as const, location: { file: 'm', line: 1, column: 1 } };
    const r = { command: 'q', cwd: '/', durationMs: 1, exitCode: 0, timedOut: false, canceled: false, stdout: '1..1\nok 1 - trap fill traps\n', output: 'qemu: uncaught target signal 4 (Illegal instruction) - core dumped\n1..1\nok 1 - trap fill traps\n', logTruncated: false, outputBytes: 10 };
    const runner = { kind: 'qemu' as const, qemu: '/usr/bin/qemu-arm', sysroot: '/usr/arm-linux-gnueabihf' };
    const ok = classifyRun(spec, r, { name: 't', kind: 'test', status: 'pass', durationMs: 1 }, runner, 10);
    expect(ok.status).toBeUndefined();
    const crashed = classifyRun(spec, { ...r, exitCode: undefined, signal: 'SIGILL', stdout: '1..2\nok 1 - a\n' }, { name: 't', kind: 'test', status: 'pass', durationMs: 1 }, runner, 10);
    expect(crashed.status).toBe('fail');
    expect(crashed.result.signal).toBe('SIGILL');
  });
});

describe('per-test detail in the record', () => {
  it('names every test of a small stage, only the failing ones of a large one, at most 100 of them', async () => {
    const { recordTests, FAILED_DETAIL_LIMIT } = await import('../src/stages/classify.js');
    const small: StageResultLike = { name: 's', kind: 'test', status: 'pass', durationMs: 1 };
    recordTests(small as never, [{ name: 'a', ok: true }, { name: 'b', ok: false }]);
    expect(small.tests?.map((t) => t.name)).toEqual(['a', 'b']);
    const large: StageResultLike = { name: 'l', kind: 'test', status: 'fail', durationMs: 1 };
    recordTests(large as never, Array.from({ length: 600 }, (_, i) => ({ name: `t${i}`, ok: i % 3 !== 0 })));
    expect(large.testCounts).toMatchObject({ total: 600, failed: 200, ok: 400 });
    expect(large.tests).toHaveLength(FAILED_DETAIL_LIMIT);
    expect(large.tests!.every((t) => !t.ok)).toBe(true);
  });
});

interface StageResultLike { name: string; kind: string; status: string; durationMs: number; tests?: { name: string; ok: boolean }[]; testCounts?: Record<string, number> }
