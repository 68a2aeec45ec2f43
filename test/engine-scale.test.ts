// The engine benchmark's synthetic matrix (src/bench/synthetic-matrix.ts) and its
// results made without a run (src/bench/synthetic-results.ts): the matrix is a
// valid 1,000-cell matrix that runs natively here; a small one run through the
// real CLI gives exactly the planned statuses; and the synthetic results of that
// shape say what the real run recorded, cell by cell and stage by stage.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandMatrix } from '../src/matrix/cells.js';
import { loadMatrixFile } from '../src/matrix/config.js';
import { chooseRunner } from '../src/qemu/runner.js';
import { cleanText } from '../src/reporters/common.js';
import { htmlEscape, scriptJson } from '../src/reporters/html.js';
import { xmlEscape } from '../src/reporters/junit.js';
import { REPORT_FILES, RENDERERS } from '../src/reporters/write.js';
import { validateResults } from '../src/results/validate.js';
import type { RunResults } from '../src/results/types.js';
import { hostTriple } from '../src/toolchains/toolchain.js';
import { plannedFailures, SYNTHETIC_STAGES, writeSyntheticMatrix, type SyntheticShape } from '../src/bench/synthetic-matrix.js';
import { syntheticResults } from '../src/bench/synthetic-results.js';
import { makeWorkspace, runCli, type CliResult, type Workspace } from './helpers/workspace.js';

const machine = os.machine();
const shape = (arches: number, toolchains: number): SyntheticShape => ({ arches, toolchains, machine, triple: hostTriple(machine) });

describe('the synthetic matrix', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace('matrix-synth-');
  });
  afterAll(() => ws?.cleanup());

  it('is a valid matrix of 50 x 20 = 1,000 cells, each run natively on this host', async () => {
    const config = await loadMatrixFile(writeSyntheticMatrix(ws.dir, shape(50, 20)));
    const cells = expandMatrix(config);
    expect(cells).toHaveLength(1000);
    expect(new Set(cells.map((c) => c.id)).size).toBe(1000);
    for (const c of cells) expect(chooseRunner(c.arch, machine).kind, c.id).toBe('native');
    expect(config.targets[0]!.stages.map((s) => s.name)).toEqual(SYNTHETIC_STAGES.map((s) => s.name));
    // One xfail and one skip expectation; the planned failures touch distinct cells.
    expect(cells.filter((c) => c.expectation).map((c) => c.expectation!.status).sort()).toEqual(['skip', 'xfail']);
    const failures = plannedFailures({ arches: 50, toolchains: 20 });
    expect(new Set(failures.map((f) => `${f.arch}-${f.toolchain}`)).size).toBe(failures.length);
    expect(failures.length).toBe(9);
  });

  it('keeps its planned failures on distinct cells on a small grid', () => {
    const failures = plannedFailures({ arches: 4, toolchains: 3 });
    expect(new Set(failures.map((f) => `${f.arch}-${f.toolchain}`)).size).toBe(failures.length);
    expect(failures.length).toBeGreaterThanOrEqual(5);
  });
});

describe('a small synthetic matrix through the real CLI, and its synthetic results', () => {
  let ws: Workspace;
  let run: CliResult;
  let real: RunResults;
  const small = shape(4, 3);

  beforeAll(async () => {
    ws = makeWorkspace('matrix-synth-run-');
    const file = writeSyntheticMatrix(ws.dir, small);
    run = await runCli(['run', '--config', file, '--out', ws.reportsDir], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    real = validateResults(JSON.parse(readFileSync(join(ws.reportsDir, REPORT_FILES.json), 'utf8')));
  }, 120_000);
  afterAll(() => ws?.cleanup());

  it('gives exactly the planned statuses: the failures fail where planned, the rest pass', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    const failures = plannedFailures(small);
    const xfail = failures.at(-1)!;
    const want: Record<string, string> = {};
    for (const c of real.cells) want[c.id] = 'pass';
    for (const f of failures) want[`synth-${f.arch}-${f.toolchain}`] = `fail at ${f.stage}`;
    want[`synth-${xfail.arch}-${xfail.toolchain}`] = `xfail at ${xfail.stage}`;
    want['synth-arch03-tc02'] = 'skip';
    const got = Object.fromEntries(real.cells.map((c) => [c.id, c.status === 'pass' || c.status === 'skip' ? c.status : `${c.status} at ${c.stage}`]));
    expect(got).toEqual(want);
    expect(real.cells.find((c) => c.stage === 'corpus' && c.status === 'fail')!.signal).toBe('SIGSEGV');
  });

  it('synthetic results record what the real run recorded: cells, statuses, first errors, stages, test counts and detail', () => {
    const synth = syntheticResults(small);
    validateResults(JSON.parse(JSON.stringify(synth)));
    const view = (r: RunResults) =>
      r.cells.map((c) => ({
        id: c.id,
        status: c.status,
        stage: c.stage,
        signal: c.signal,
        firstError: c.firstError,
        attempts: c.attempts,
        stages: c.stages.map((s) => ({ name: s.name, status: s.status, signal: s.signal, testCounts: s.testCounts, testsPlanned: s.testsPlanned, tests: s.tests, tries: s.tries?.length, excerpt: s.excerpt !== undefined })),
      }));
    expect(view(synth)).toEqual(view(real));
    expect(synth.summary).toEqual(real.summary);
    expect(synth.groups!.map((g) => [g.stage, g.cells])).toEqual(real.groups!.map((g) => [g.stage, g.cells]));
  });

  it('synthetic results render to reports within 5 % of the real ones in size', () => {
    const synth = syntheticResults(small);
    for (const [format, render] of Object.entries(RENDERERS)) {
      const a = render(synth).length;
      const b = render(real).length;
      expect(Math.abs(a - b) / b, `${format}: synthetic ${a} bytes, real ${b}`).toBeLessThan(0.05);
    }
  });
});

// The reporters' fast paths (a string with nothing to escape is returned as is) must
// give exactly what the full chains of replaces give, for every UTF-16 code unit.
describe('escaping fast paths', () => {
  /* eslint-disable no-control-regex */
  const fullClean = (s: string) =>
    s
      .replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '')
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  /* eslint-enable no-control-regex */
  const fullXml = (s: string) =>
    fullClean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
  const fullHtml = (s: string) => fullClean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const fullScript = (v: unknown) =>
    JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

  it('cleanText, xmlEscape, htmlEscape and scriptJson agree with the full chains on every code unit', () => {
    const samples: string[] = ['', 'plain text 123', '\u001b[31mred\u001b[0m', '\u001b]0;title\u0007x', '\ud83d\ude00 pair', 'a\ud83db', 'a\ude00b'];
    for (let c = 0; c <= 0xffff; c++) samples.push(`x${String.fromCharCode(c)}y`);
    for (const s of samples) {
      expect(cleanText(s)).toBe(fullClean(s));
      expect(xmlEscape(s)).toBe(fullXml(s));
      expect(htmlEscape(s)).toBe(fullHtml(s));
    }
    expect(scriptJson({ s: samples.join('') })).toBe(fullScript({ s: samples.join('') }));
  });
});
