// A TAP 13 consumer: enough to know which tests ran, which failed and why,
// and whether the plan was completed (a crash mid-run leaves it short).
import type { TestCaseResult } from '../results/types.js';

export interface TapSummary {
  planned?: number;
  tests: TestCaseResult[];
  bailOut?: string;
  /** Every planned test ran and none failed. */
  ok: boolean;
}

// A `#` starts a directive only when SKIP or TODO follows; any other `#` text
// stays part of the description.
const TEST_LINE = /^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*?)\s*(?:#\s*(SKIP|TODO)\S*\s*(.*))?$/i;

export function parseTap(text: string): TapSummary {
  const tests: TestCaseResult[] = [];
  let planned: number | undefined;
  let bailOut: string | undefined;
  let yaml: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (yaml) {
      if (/^\s+\.\.\.\s*$/.test(line)) {
        attachYaml(tests[tests.length - 1], yaml);
        yaml = undefined;
      } else yaml.push(line);
      continue;
    }
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) {
      planned = Number(plan[1]);
      continue;
    }
    const bail = /^Bail out!\s*(.*)$/.exec(line);
    if (bail) {
      bailOut = bail[1] || 'bail out';
      continue;
    }
    if (/^\s+---\s*$/.test(line) && tests.length > 0) {
      yaml = [];
      continue;
    }
    const m = TEST_LINE.exec(line);
    if (!m) continue;
    const directive = m[4]?.toUpperCase();
    const test: TestCaseResult = { name: m[3]?.trim() || `test ${m[2] ?? tests.length + 1}`, ok: m[1]!.toLowerCase() === 'ok' };
    if (directive === 'SKIP') test.skipped = true;
    if (directive === 'TODO') test.todo = true;
    if (directive && m[5]) test.message = m[5].trim();
    tests.push(test);
  }
  const failed = tests.some((t) => !t.ok && !t.todo);
  const complete = planned === undefined ? tests.length > 0 : tests.length === planned;
  return { planned, tests, bailOut, ok: !failed && complete && !bailOut };
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

/** One line that says why a TAP run is not ok. */
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
  if (summary.bailOut) return `Bail out! ${summary.bailOut}`;
  if (summary.planned !== undefined && summary.tests.length < summary.planned) {
    const last = summary.tests[summary.tests.length - 1];
    return `only ${summary.tests.length} of ${summary.planned} planned tests ran${last ? ` (last: ${last.name})` : ''}`;
  }
  if (summary.tests.length === 0) return 'no TAP test lines in the output';
  return undefined;
}
