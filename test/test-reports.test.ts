// The per-test result readers (JUnit XML, automake .trs, meson testlog.json)
// and how a stage judged by them is classified: a failed test fails it, a
// driver failing with green tests fails it, no test that ran is a skip (never
// a pass); plus the output checks (regex, exit code) and scaled time limits.
import { describe, expect, it } from 'vitest';

import { parseAutomakeTrs, parseJunitXml, parseMesonTestlog } from '../src/formats/test-reports.js';
import { classifyRun } from '../src/stages/classify.js';
import { runStageLimit } from '../src/stages/time-limit.js';
import type { ArchSpec, RunStageSpec } from '../src/matrix/types.js';
import type { CommandResult } from '../src/runtime/command.js';
import type { StageResult } from '../src/results/types.js';

const result = (over: Partial<CommandResult> = {}): CommandResult => ({ command: 'x', cwd: '/', durationMs: 1, exitCode: 0, timedOut: false, canceled: false, stdout: '', output: '', logTruncated: false, outputBytes: 0, ...over });
const spec = (over: Partial<RunStageSpec>): RunStageSpec => ({ name: 's', kind: 'test', command: ['p'], format: 'exit-code', where: 'any', location: { file: 'm', line: 1, column: 1 }, ...over });
const stage = (): StageResult => ({ name: 's', kind: 'test', status: 'pass', durationMs: 1 });
const native = { kind: 'native' } as const;

describe('result file readers', () => {
  it('JUnit: nested suites, classname.name, failure message and output, skipped, entities', () => {
    const tests = parseJunitXml(`<?xml version="1.0"?>
<testsuites><testsuite name="Math"><testsuite name="inner">
  <testcase classname="Math" name="adds &amp; carries"/>
  <testcase classname="Math" name="divides"><failure message="expected 2, got 3">math.c:12</failure></testcase>
  <testcase classname="Math" name="later"><skipped message="not on this arch"/></testcase>
</testsuite></testsuite></testsuites>`);
    expect(tests).toEqual([
      { name: 'Math.adds & carries', ok: true },
      { name: 'Math.divides', ok: false, message: 'expected 2, got 3: math.c:12' },
      { name: 'Math.later', ok: true, skipped: true, message: 'not on this arch' },
    ]);
  });

  it("JUnit: ctest's status attribute (notrun is a skip); a bad file throws", () => {
    const tests = parseJunitXml('<testsuite><testcase name="a" classname="a" status="run"/><testcase name="b" classname="b" status="notrun"/></testsuite>');
    expect(tests).toEqual([{ name: 'a', ok: true }, { name: 'b', ok: true, skipped: true }]);
    expect(() => parseJunitXml('<testsuite><testcase name="a"></testsuite>')).toThrow();
  });

  it('automake .trs: FAIL/ERROR/XPASS fail, XFAIL passes, all SKIP skips', () => {
    expect(parseAutomakeTrs('t1', ':test-result: PASS\n:test-result: XFAIL\n')).toEqual({ name: 't1', ok: true });
    expect(parseAutomakeTrs('t2', ':test-result: XPASS\n', 'line\nlast words\n')).toEqual({ name: 't2', ok: false, message: 'XPASS: last words' });
    expect(parseAutomakeTrs('t3', ':test-result: SKIP\n')).toEqual({ name: 't3', ok: true, skipped: true });
  });

  it('meson testlog.json: OK, SKIP, FAIL with exit code, a torn last line ignored', () => {
    const log = ['{"name":"a","result":"OK"}', '{"name":"b","result":"SKIP"}', '{"name":"c","result":"FAIL","returncode":1,"stdout":"boom\\n"}', '{"name":"d","res'].join('\n');
    expect(parseMesonTestlog(log)).toEqual([{ name: 'a', ok: true }, { name: 'b', ok: true, skipped: true }, { name: 'c', ok: false, message: 'FAIL (exit code 1): boom' }]);
  });
});

describe('stages judged by result files', () => {
  const ctest = spec({ format: 'ctest' });
  it('a failed test fails the stage with its name', () => {
    const o = classifyRun(ctest, result({ exitCode: 8 }), stage(), native, 10, undefined, { tests: [{ name: 'a', ok: true }, { name: 'b', ok: false, message: 'Failed' }] });
    expect(o.status).toBe('fail');
    expect(o.result.firstError).toBe('1 of 2 tests failed: b: Failed');
    expect(o.result.tests).toHaveLength(2);
  });
  it('no test that ran is a skip, never a pass; no result file is a fail', () => {
    expect(classifyRun(ctest, result(), stage(), native, 10, undefined, { tests: [] }).result.status).toBe('skip');
    expect(classifyRun(ctest, result(), stage(), native, 10, undefined, { tests: [{ name: 'a', ok: true, skipped: true }] }).result.status).toBe('skip');
    const missing = classifyRun(ctest, result(), stage(), native, 10, undefined, { tests: [], missing: 'the stage wrote no ctest-junit.xml' });
    expect(missing.status).toBe('fail');
  });
  it('a driver that fails with every test green still fails', () => {
    expect(classifyRun(ctest, result({ exitCode: 2, output: 'error: something broke\n' }), stage(), native, 10, undefined, { tests: [{ name: 'a', ok: true }] }).status).toBe('fail');
  });
});

describe('output checks and time limits', () => {
  it('expect_stdout_regex and expect_exit', () => {
    const regex = spec({ format: 'expect', expectStdoutRegex: '^v\\d+$' });
    expect(classifyRun(regex, result({ stdout: 'v12\n' }), stage(), native, 10).status).toBeUndefined();
    expect(classifyRun(regex, result({ stdout: 'vx\n' }), stage(), native, 10).result.firstError).toMatch(/expected output matching/);
    const exit3 = spec({ expectExit: 3 });
    expect(classifyRun(exit3, result({ exitCode: 3 }), stage(), native, 10).status).toBeUndefined();
    expect(classifyRun(exit3, result({ exitCode: 0 }), stage(), native, 10).result.firstError).toBe('expected exit code 3, got exit code 0');
  });
  it('timeout_factor: per runner kind, an arch factor under qemu, and the limit in the message', () => {
    const arch = { name: 'a', timeoutFactor: 20 } as ArchSpec;
    const qemu = { kind: 'qemu', qemu: 'q', sysroot: '/', args: [] } as const;
    const defaults = { timeoutFactor: { native: 1, qemu: 5 } };
    expect(runStageLimit(60, native, arch, defaults)).toMatchObject({ seconds: 60, factor: 1, text: '60 s' });
    expect(runStageLimit(60, qemu, { name: 'b' } as ArchSpec, defaults)).toMatchObject({ seconds: 300, text: '300 s (60 s x 5 under qemu)' });
    expect(runStageLimit(60, qemu, arch, defaults).seconds).toBe(1200);
    const timedOut = classifyRun(spec({}), result({ timedOut: true }), stage(), qemu, 300, undefined, undefined, '300 s (60 s x 5 under qemu)');
    expect(timedOut.result.firstError).toMatch(/^no result within 300 s \(60 s x 5 under qemu\)/);
  });
});
