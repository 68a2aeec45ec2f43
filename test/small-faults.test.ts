// Small ones: infrastructure errors are <error> in junit.xml; an interrupted
// run is marked in history and counts in no streak; `matrix report` follows
// --config, with one --out rule for run, report and merge.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { appendRun, historyRun, insights } from '../src/history/history.js';
import { renderJUnit } from '../src/reporters/junit.js';
import type { CellResult, RunResults } from '../src/results/types.js';
import { fixtureMatrix, makeTarget, makeWorkspace, runCli, TAP_STAGE } from './helpers/workspace.js';

const cell = (id: string, status: CellResult['status'], firstError?: string): CellResult => ({
  id, arch: 'a', toolchain: 't', target: 'x', status, stage: 'tests', ...(firstError ? { firstError } : {}),
  runner: 'qemu', versions: {}, durationMs: 1, reproducer: '', cached: false, attempts: 1,
  stages: [{ name: 'tests', kind: 'test', status: status === 'error' ? 'error' : status === 'fail' ? 'fail' : 'pass', durationMs: 1, ...(firstError ? { firstError } : {}) }],
});
const run = (startedAt: string, cells: CellResult[], complete = true): RunResults => ({
  schemaVersion: 1, tool: { name: 'matrix', version: '0' }, matrixHash: 'h', matrixFile: '/m.yaml', startedAt, finishedAt: startedAt, durationMs: 1, complete,
  host: { machine: 'x86_64' } as RunResults['host'], options: { jobs: 1, retries: 0, timeout: 1, cache: true, selection: {} },
  summary: { pass: 0, fail: 0, xfail: 0, xpass: 0, timeout: 0, error: 0, skip: 0, flaky: 0, total: cells.length, unexpected: 0 }, cells,
} as unknown as RunResults);

describe('junit.xml', () => {
  it('reports an infrastructure error as <error>, counted in errors, and a code failure as <failure>', () => {
    const xml = renderJUnit(run('2024-01-01T00:00:00Z', [cell('qemu-broke', 'error', 'qemu: Invalid ELF image'), cell('code-broke', 'fail', 'not ok 1')]));
    expect(xml).toMatch(/<testsuite name="qemu-broke" tests="1" failures="0" errors="1"/);
    expect(xml).toMatch(/<error message="qemu: Invalid ELF image" type="error"/);
    expect(xml).toMatch(/<testsuite name="code-broke" tests="1" failures="1" errors="0"/);
    expect(xml).toMatch(/<testsuites [^>]*failures="1" errors="1"/);
  });
});

describe('history', () => {
  it('marks an interrupted run and leaves it out of streaks', () => {
    let h = { version: 1, runs: [] } as unknown as Parameters<typeof appendRun>[0];
    h = appendRun(h, historyRun(run('2024-01-01T00:00:00Z', [cell('c', 'pass')])));
    h = appendRun(h, historyRun(run('2024-01-02T00:00:00Z', [cell('c', 'error', 'interrupted (run canceled)')], false)));
    h = appendRun(h, historyRun(run('2024-01-03T00:00:00Z', [cell('c', 'pass')])));
    expect(h.runs[1]!.interrupted).toBe(true);
    expect(h.runs[0]!.interrupted).toBeUndefined();
    const c = insights(h).cells.c!;
    expect(c.streak).toBe(2); // both complete passes; the interrupted run does not break it
    expect(c.flips).toBe(0);
  });
});

describe('--out is one rule', () => {
  const ws = makeWorkspace('matrix-out-rule-');
  afterAll(() => ws.cleanup());
  it('matrix report --config re-renders reports/ beside that matrix file, whatever the current directory', async () => {
    ws.writeMatrix(fixtureMatrix(makeTarget('good', TAP_STAGE)));
    const r = await runCli(['run', '--config', ws.matrixFile, '--arch', 'x86_64', '--toolchain', 'gcc']);
    expect(r.code).toBe(0);
    const elsewhere = join(ws.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const report = await runCli(['report', '--config', ws.matrixFile], { cwd: elsewhere });
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(`in ${ws.reportsDir}`);
    // An explicit --out is relative to the current directory, for report and merge alike.
    cpSync(ws.reportsDir, join(elsewhere, 'copy'), { recursive: true, dereference: true });
    expect((await runCli(['report', '--out', 'copy'], { cwd: elsewhere })).code).toBe(0);
    const merged = await runCli(['merge', 'copy', '--out', 'merged'], { cwd: elsewhere });
    expect(merged.code).toBe(0);
    expect(existsSync(join(elsewhere, 'merged', 'status.json'))).toBe(true);
  }, 120_000);
});
