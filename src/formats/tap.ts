// A TAP 13/14 consumer that reads a stream the way `prove` does: lines end at
// `\n` only, a plan is required, test ids must run 1, 2, 3... without gaps or
// duplicates, and a stream that tested nothing is never a pass. The verdict is
// one of pass, fail (with the reason) or skip (everything skipped, or a
// `1..0 # SKIP reason` plan).
import type { TestCaseResult } from '../results/types.js';

export type TapVerdict = 'pass' | 'fail' | 'skip';

export interface TapSummary {
  planned?: number;
  tests: TestCaseResult[];
  bailOut?: string;
  /** Why the stream as a whole is not valid TAP that passed (no plan, out of sequence...). */
  problems: string[];
  /** The reason of a skip-all plan (`1..0 # SKIP reason`) or of an all-SKIP stream. */
  skipReason?: string;
  verdict: TapVerdict;
  /** Every planned test ran and none failed (the verdict is pass or skip). */
  ok: boolean;
}

// `[^]` instead of `.`: a `\r` or U+2028 inside a line is part of it (JS's `.`
// stops at both, which would drop a `not ok` line that contains one).
const TEST_LINE = /^(not ok|ok)(?=\s|$)[ \t]*(\d+)?[ \t]*(?:-[ \t]*)?([^]*)$/;
const PLAN_LINE = /^1\.\.(\d+)[ \t]*(?:#[ \t]*([^]*))?$/;
const VERSION_LINE = /^TAP version \d+[ \t]*$/i;
const BAIL_LINE = /^Bail out!\s*([^]*)$/;

/** A directive starts at an unescaped `#` followed by SKIP or TODO (case-insensitive). */
function splitDirective(rest: string): { description: string; directive?: 'SKIP' | 'TODO'; reason?: string } {
  for (let i = rest.indexOf('#'); i >= 0; i = rest.indexOf('#', i + 1)) {
    if (i > 0 && rest[i - 1] === '\\') continue;
    const m = /^#[ \t]*(skip|todo)\S*(?:[ \t]+([^]*))?$/i.exec(rest.slice(i));
    if (!m) continue;
    return {
      description: rest.slice(0, i).trim(),
      directive: m[1]!.toUpperCase() as 'SKIP' | 'TODO',
      ...(m[2]?.trim() ? { reason: m[2].trim() } : {}),
    };
  }
  return { description: rest.trim() };
}

export function parseTap(text: string): TapSummary {
  const tests: TestCaseResult[] = [];
  const problems: string[] = [];
  let planned: number | undefined;
  let planSkip: string | undefined;
  let testsBeforePlan = 0;
  let bailOut: string | undefined;
  let yaml: string[] | undefined;
  let lastTestLine = -1;
  let lineNo = 0;
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  for (const raw of body === '' ? [] : body.split('\n')) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (yaml) {
      if (/^\s+\.\.\.\s*$/.test(line)) {
        attachYaml(tests[tests.length - 1], yaml);
        yaml = undefined;
      } else yaml.push(line);
      continue;
    }
    if (bailOut !== undefined) continue; // nothing after a bail out counts
    if (/^\s+---\s*$/.test(line) && tests.length > 0 && lastTestLine === lineNo - 1) {
      yaml = [];
      continue;
    }
    // Indented lines are subtests (TAP 14) or comments: their parent's line decides.
    if (/^\s/.test(line) || line.startsWith('#') || VERSION_LINE.test(line)) continue;
    const plan = PLAN_LINE.exec(line);
    if (plan) {
      if (planned !== undefined) {
        problems.push(`more than one plan (line ${lineNo})`);
        continue;
      }
      planned = Number(plan[1]);
      testsBeforePlan = tests.length;
      const directive = plan[2] ? /^skip\S*(?:[ \t]+([^]*))?$/i.exec(plan[2].trim()) : null;
      if (directive) planSkip = directive[1]?.trim() || 'no reason given';
      continue;
    }
    const bail = BAIL_LINE.exec(line);
    if (bail) {
      bailOut = bail[1]!.trim() || 'bail out';
      continue;
    }
    const m = TEST_LINE.exec(line);
    if (!m) continue;
    const expected = tests.length + 1;
    if (m[2] !== undefined) {
      const id = Number(m[2]);
      if (id !== expected) {
        problems.push(id < expected
          ? `test ${id} reported twice or out of order (line ${lineNo}; expected test ${expected})`
          : `test ${expected} is missing (line ${lineNo} reports test ${id})`);
      }
    }
    const { description, directive, reason } = splitDirective(m[3]!);
    const test: TestCaseResult = { name: description || `test ${m[2] ?? expected}`, ok: m[1] === 'ok' };
    if (directive === 'SKIP') test.skipped = true;
    if (directive === 'TODO') test.todo = true;
    if (reason) test.message = reason;
    tests.push(test);
    lastTestLine = lineNo;
  }
  if (planned === undefined) {
    problems.push(tests.length === 0 ? 'no TAP in the output (no plan, no test lines)' : 'no plan (a TAP stream must announce 1..N)');
  } else if (planned === 0) {
    if (planSkip === undefined) problems.push('plan of zero tests (1..0 without a # SKIP reason)');
    if (tests.length > 0) problems.push(`plan of zero tests, but ${tests.length} test lines`);
  } else if (tests.length !== planned && bailOut === undefined) {
    // Only a plan at the start can be short of tests: a trailing plan counts what ran.
    if (tests.length < planned) {
      problems.push(`only ${tests.length} of ${planned} planned tests ran${tests.length ? ` (last: ${tests[tests.length - 1]!.name})` : ''}`);
    } else problems.push(`${tests.length} tests ran but the plan announced ${planned}`);
  }
  if (planned !== undefined && testsBeforePlan > 0 && tests.length > testsBeforePlan) {
    problems.push('the plan stands between test lines (it must come before or after all of them)');
  }
  const failed = tests.some((t) => !t.ok && !t.todo);
  let verdict: TapVerdict;
  let skipReason: string | undefined;
  if (failed || problems.length || bailOut !== undefined) verdict = 'fail';
  else if (planned === 0) {
    verdict = 'skip';
    skipReason = planSkip;
  } else if (tests.every((t) => t.skipped)) {
    verdict = 'skip';
    skipReason = tests.find((t) => t.message)?.message ?? 'every test was skipped';
  } else verdict = 'pass';
  return { planned, tests, bailOut, problems, ...(skipReason ? { skipReason } : {}), verdict, ok: verdict !== 'fail' };
}

function attachYaml(test: TestCaseResult | undefined, lines: string[]): void {
  if (!test || test.ok) return;
  const message = lines.map((l) => /^\s*message:\s*(.*)$/.exec(l)?.[1]).find((m) => m !== undefined);
  if (message) test.message = unquoteYaml(message.trim());
  else if (!test.message) test.message = lines.map((l) => l.trim()).filter(Boolean).slice(0, 3).join('; ');
}

function unquoteYaml(value: string): string {
  if (value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  if (value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  return value;
}

/** One line that says why a TAP run is not ok (undefined when it passed or skipped). */
export function tapFailureLine(summary: TapSummary): string | undefined {
  const failing = summary.tests.filter((t) => !t.ok && !t.todo);
  const failed = failing[0];
  if (failed) {
    // Name the others too: "every op fails" and "one op fails" are different causes.
    const others = failing.slice(1);
    const more = others.length
      ? ` (+${others.length} more not ok: ${others.slice(0, 5).map((t) => t.name.split(' ')[0]).join(', ')}${others.length > 5 ? ', …' : ''})`
      : '';
    return `not ok - ${failed.name}${failed.message ? `: ${failed.message}` : ''}${more}`;
  }
  if (summary.bailOut !== undefined) return `Bail out! ${summary.bailOut}`;
  return summary.problems[0];
}
