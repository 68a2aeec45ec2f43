// The TAP consumer read by the spec, fixture by fixture, side by side with
// what `prove` (Perl's TAP::Harness, from Debian's perl) says of the same
// stream. Where prove passes a stream that tested nothing (every test skipped)
// or calls it NOTESTS, matrix says skip (with the reason) or fail: never pass.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { parseTap, tapFailureLine, type TapVerdict } from '../src/formats/tap.js';

const DIR = join(import.meta.dirname, 'fixtures/tap');

type Prove = 'PASS' | 'FAIL' | 'NOTESTS';

/** fixture -> [prove's result, our verdict, what our first error or skip reason says] */
const EXPECTED: Record<string, [Prove, TapVerdict, RegExp?]> = {
  'cr-inside-not-ok.tap': ['FAIL', 'fail', /^not ok - second\rok 2/],
  'u2028-inside-not-ok.tap': ['FAIL', 'fail', /^not ok - second\u2028ok 2/],
  'duplicate-id.tap': ['FAIL', 'fail', /test 2 reported twice or out of order \(line 4; expected test 3\)/],
  'gap.tap': ['FAIL', 'fail', /test 2 is missing \(line 3 reports test 3\)/],
  'missing-plan.tap': ['FAIL', 'fail', /^no plan/],
  'zero-plan.tap': ['NOTESTS', 'fail', /plan of zero tests \(1\.\.0 without a # SKIP reason\)/],
  'zero-plan-skip.tap': ['NOTESTS', 'skip', /no code generator for this arch/],
  'all-skip.tap': ['PASS', 'skip', /no AVX/],
  'no-tap.tap': ['FAIL', 'fail', /^no TAP in the output/],
  'passing-with-skip-and-todo.tap': ['PASS', 'pass'],
  'crlf-endings.tap': ['PASS', 'pass'],
  'trailing-plan.tap': ['PASS', 'pass'],
  'no-ids.tap': ['PASS', 'pass'],
  'not-ok.tap': ['FAIL', 'fail', /^not ok - b$/],
  'short-plan.tap': ['FAIL', 'fail', /only 1 of 3 planned tests ran \(last: a\)/],
  'bail-out.tap': ['FAIL', 'fail', /^Bail out! lost the device/],
  'plan-in-middle.tap': ['FAIL', 'fail', /the plan stands between test lines/],
};

function prove(file: string): Prove {
  const r = spawnSync('prove', ['-e', 'cat', file], { cwd: DIR, encoding: 'utf8' });
  const m = /^Result: (PASS|FAIL|NOTESTS)$/m.exec(r.stdout);
  if (!m) throw new Error(`prove printed no result for ${file}: ${r.stdout}${r.stderr}`);
  return m[1] as Prove;
}

describe('TAP by the spec, compared with prove', () => {
  it('has an expectation for every fixture', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.tap')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, [proveSays, verdict, says]] of Object.entries(EXPECTED)) {
    it(`${file}: prove ${proveSays}, matrix ${verdict}`, () => {
      expect(prove(file)).toBe(proveSays);
      const tap = parseTap(readFileSync(join(DIR, file), 'utf8'));
      expect(tap.verdict).toBe(verdict);
      expect(tap.ok).toBe(verdict !== 'fail');
      if (verdict === 'fail') expect(tapFailureLine(tap)).toMatch(says!);
      if (verdict === 'skip') expect(tap.skipReason).toMatch(says!);
      if (verdict === 'pass') expect(tapFailureLine(tap)).toBeUndefined();
      // Never more lenient than prove: whatever prove fails, we fail.
      if (proveSays === 'FAIL') expect(tap.verdict).toBe('fail');
    });
  }

  it('keeps a # that is not a directive in the description, and an escaped \\# too', () => {
    const tap = parseTap('1..2\nok 1 - size # kept\nok 2 - literal \\# SKIP is no directive\n');
    expect(tap.verdict).toBe('pass');
    expect(tap.tests.map((t) => [t.name, t.skipped ?? false])).toEqual([['size # kept', false], ['literal \\# SKIP is no directive', false]]);
  });

  it('reads a YAML diagnostic only right after its test line', () => {
    const tap = parseTap('1..1\nnot ok 1 - a\n  ---\n  message: "boom"\n  ...\n');
    expect(tapFailureLine(tap)).toBe('not ok - a: boom');
  });

  it('ignores indented subtests and comments: the parent line decides', () => {
    const tap = parseTap('1..1\n    1..1\n    not ok 1 - inner\n# a comment\nok 1 - outer\n');
    expect(tap.verdict).toBe('pass');
    expect(tap.tests).toHaveLength(1);
  });
});
