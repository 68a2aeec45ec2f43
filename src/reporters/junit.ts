// junit.xml: one <testsuite> per cell, one <testcase> per stage and per TAP test case,
// so CI systems (GitLab, Jenkins, GitHub test reporters) show the matrix natively.
import type { CellResult, RunResults, StageResult, TestCaseResult } from '../results/types.js';
import { cellFirstError, cleanText, oneLine, statusWord, versionPairs } from './common.js';
import { excludedBy } from './insights.js';

const XML_SPECIAL = /[&<>"'\t\n\r]/;

/** XML 1.0 text or attribute value: markup escaped, forbidden characters made visible. */
export function xmlEscape(s: string): string {
  const clean = cleanText(s);
  // Most values (names, numbers, times) need no escaping: one scan instead of eight replaces.
  if (!XML_SPECIAL.test(clean)) return clean;
  return clean
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // Attribute-value normalisation would turn these into spaces; keep them.
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Text content: like xmlEscape but newlines stay readable. */
function xmlText(s: string): string {
  return xmlEscape(s).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

function attrs(pairs: Array<[string, string | number | undefined]>): string {
  return pairs
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

function seconds(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(3) : '0.000';
}

type Outcome =
  | { kind: 'pass' }
  | { kind: 'failure'; type: string; message: string; detail: string }
  | { kind: 'skipped'; message: string };

interface Case {
  classname: string;
  name: string;
  ms: number;
  outcome: Outcome;
  out?: string;
}

const FAILING_STAGE = new Set(['fail', 'timeout', 'error']);

function cellDetail(cell: CellResult, stage?: StageResult): string {
  const lines = [`status: ${statusWord(cell)}`];
  if (cell.signal) lines.push(`signal: ${cell.signal}`);
  if (stage?.exitCode !== undefined && !stage.signal && !cell.signal) lines.push(`exit code: ${stage.exitCode}`);
  const first = cellFirstError(cell);
  if (first) lines.push(`first error: ${first}`);
  if (cell.reason) lines.push(`reason: ${cell.reason}`);
  if (cell.link) lines.push(`link: ${cell.link}`);
  const log = stage?.log;
  if (log) lines.push(`log: ${log}${stage.logTruncated ? ' (truncated)' : ''}`);
  if (cell.reproducer) lines.push(`reproduce: ${cell.reproducer}`);
  return lines.join('\n');
}

function skipMessage(cell: CellResult): string {
  if (cell.status === 'xfail') return `xfail: ${cell.reason ?? 'expected failure'}${cell.link ? ` (${cell.link})` : ''}`;
  const install = cell.install ? ` (install: ${cell.install})` : '';
  return `skip: ${cell.reason ?? 'not run'}${install}`;
}

function stageOutcome(cell: CellResult, stage: StageResult): Outcome {
  const deciding = stage.name === cell.stage;
  if (FAILING_STAGE.has(stage.status)) {
    if (cell.status === 'xfail') return { kind: 'skipped', message: skipMessage(cell) };
    const type = deciding ? cell.status : stage.status;
    const message = oneLine((deciding ? cellFirstError(cell) : undefined) ?? stage.firstError ?? `${stage.name}: ${stage.status}`);
    return { kind: 'failure', type, message, detail: cellDetail(cell, stage) };
  }
  if (stage.status === 'skip') {
    return { kind: 'skipped', message: deciding || cell.status === 'skip' ? skipMessage(cell) : 'not run: an earlier stage did not pass' };
  }
  if (cell.status === 'xpass' && deciding) {
    const why = cell.reason ? ` (${cell.reason})` : '';
    return { kind: 'failure', type: 'xpass', message: `expected to fail${why} but passed`, detail: cellDetail(cell, stage) };
  }
  return { kind: 'pass' };
}

function testOutcome(cell: CellResult, stage: StageResult, test: TestCaseResult): Outcome {
  if (test.skipped || test.todo) return { kind: 'skipped', message: oneLine(test.message ?? (test.todo ? 'todo' : 'skipped')) };
  if (test.ok) return { kind: 'pass' };
  if (cell.status === 'xfail') return { kind: 'skipped', message: skipMessage(cell) };
  const type = stage.name === cell.stage && cell.status !== 'flaky' ? cell.status : 'fail';
  const message = oneLine(test.message ?? `not ok ${test.name}`);
  return { kind: 'failure', type, message, detail: test.message ?? '' };
}

function cellCases(cell: CellResult): Case[] {
  const cases: Case[] = [];
  let statusShown = cell.status === 'pass' || cell.status === 'flaky';
  for (const stage of cell.stages) {
    const outcome = stageOutcome(cell, stage);
    if (outcome.kind !== 'pass') statusShown = true;
    const attempts = stage.attempts && stage.attempts > 1 ? `passed on attempt ${stage.attempts} of ${stage.attempts}` : undefined;
    const counts = stage.testCounts ? `tests: ${stage.testCounts.total} (${stage.testCounts.ok} ok, ${stage.testCounts.failed} failed, ${stage.testCounts.skipped} skipped, ${stage.testCounts.todo} todo)` : undefined;
    const out = [attempts && stage.status === 'pass' ? `flaky: ${attempts}` : undefined, counts, stage.command ? `$ ${stage.command}` : undefined, stage.log ? `log: ${stage.log}` : undefined]
      .filter(Boolean)
      .join('\n');
    cases.push({ classname: cell.id, name: stage.name, ms: stage.durationMs, outcome, out: out || undefined });
    for (const test of stage.tests ?? []) {
      cases.push({ classname: `${cell.id}.${stage.name}`, name: test.name, ms: 0, outcome: testOutcome(cell, stage, test) });
    }
  }
  // A cell skipped (or cut short) before any stage ran still shows its status.
  if (!statusShown) {
    const name = cell.stage ?? 'cell';
    let outcome: Outcome;
    if (cell.status === 'skip' || cell.status === 'xfail') outcome = { kind: 'skipped', message: skipMessage(cell) };
    else outcome = { kind: 'failure', type: cell.status, message: oneLine(cellFirstError(cell) ?? statusWord(cell)), detail: cellDetail(cell) };
    cases.push({ classname: cell.id, name, ms: cell.stages.length ? 0 : cell.durationMs, outcome });
  }
  return cases;
}

function renderCase(c: Case, indent: string): string {
  const open = `${indent}<testcase${attrs([['classname', c.classname], ['name', c.name], ['time', seconds(c.ms)]])}`;
  const body: string[] = [];
  if (c.outcome.kind === 'failure') {
    // Infrastructure errors (qemu, toolchain, disk) are <error>, the code's failures <failure>.
    const el = isError(c) ? 'error' : 'failure';
    const tag = `<${el}${attrs([['message', c.outcome.message], ['type', c.outcome.type]])}`;
    body.push(c.outcome.detail ? `${indent}  ${tag}>${xmlText(c.outcome.detail)}</${el}>` : `${indent}  ${tag}/>`);
  } else if (c.outcome.kind === 'skipped') {
    body.push(`${indent}  <skipped${attrs([['message', c.outcome.message]])}/>`);
  }
  if (c.out) body.push(`${indent}  <system-out>${xmlText(c.out)}</system-out>`);
  return body.length ? `${open}>\n${body.join('\n')}\n${indent}</testcase>` : `${open}/>`;
}

function isError(c: Case): boolean {
  return c.outcome.kind === 'failure' && c.outcome.type === 'error';
}

function count(cases: Case[], kind: Outcome['kind'] | 'error'): number {
  if (kind === 'error') return cases.filter(isError).length;
  return cases.filter((c) => c.outcome.kind === kind && !(kind === 'failure' && isError(c))).length;
}

/** The whole junit.xml. */
export function renderJUnit(results: RunResults): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  // Cells left to another shard or filtered out did not run here: CI shows what ran.
  for (const cell of results.cells.filter((c) => !excludedBy(c))) {
    const cases = cellCases(cell);
    const f = count(cases, 'failure');
    const e = count(cases, 'error');
    const s = count(cases, 'skipped');
    tests += cases.length;
    failures += f;
    errors += e;
    skipped += s;
    const props: Array<[string, string]> = [
      ['arch', cell.arch],
      ['toolchain', cell.toolchain],
      ['target', cell.target],
      ['status', cell.status],
      ['runner', cell.runner],
      ...versionPairs(cell).map(([k, v]): [string, string] => [`version.${k}`, v]),
      ['attempts', String(cell.attempts)],
      ['cached', String(cell.cached)],
    ];
    if (cell.axes?.variant) props.push(['cpu.variant', cell.axes.variant]);
    if (cell.axes?.cpu) props.push(['cpu.model', cell.axes.cpu]);
    if (cell.axes?.runnerNote) props.push(['runner.note', cell.axes.runnerNote]);
    if (cell.stage) props.push(['stage', cell.stage]);
    if (cell.signal) props.push(['signal', cell.signal]);
    if (cell.reason) props.push(['reason', cell.reason]);
    if (cell.link) props.push(['link', cell.link]);
    if (cell.install) props.push(['install', cell.install]);
    if (cell.reproducer) props.push(['reproducer', cell.reproducer]);
    const head = `  <testsuite${attrs([
      ['name', cell.id],
      ['tests', cases.length],
      ['failures', f],
      ['errors', e],
      ['skipped', s],
      ['time', seconds(cell.durationMs)],
      ['timestamp', results.startedAt],
      ['hostname', results.host.machine],
    ])}>`;
    suites.push(
      [
        head,
        '    <properties>',
        ...props.map(([k, v]) => `      <property${attrs([['name', k], ['value', v]])}/>`),
        '    </properties>',
        ...cases.map((c) => renderCase(c, '    ')),
        '  </testsuite>',
      ].join('\n'),
    );
  }
  const root = `<testsuites${attrs([
    ['name', results.complete ? 'matrix' : 'matrix (incomplete)'],
    ['tests', tests],
    ['failures', failures],
    ['errors', errors],
    ['skipped', skipped],
    ['time', seconds(results.durationMs)],
    ['timestamp', results.startedAt],
  ])}>`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', root, ...suites, '</testsuites>', ''].join('\n');
}
