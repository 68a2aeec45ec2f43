// Readers of the per-test result files test drivers write: JUnit XML (ctest's
// --output-junit, gtest, pytest... any stage that writes one), automake's
// .trs files (make check), meson's testlog.json (meson test). Each turns a
// file's text into test cases; reading the files is the caller's job.
//
// XML is parsed with fast-xml-parser (no native code, no dependencies of its
// own beyond small helpers, widely used): JUnit files carry entities, CDATA
// and nesting that regular expressions get wrong.
import { XMLParser } from 'fast-xml-parser';

import type { TestCaseResult } from '../results/types.js';
import { clip } from './first-error.js';

type XmlNode = Record<string, unknown>;

const asArray = (v: unknown): XmlNode[] => (Array.isArray(v) ? (v as XmlNode[]) : v === undefined ? [] : [v as XmlNode]);
const text = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' && '#text' in v ? String((v as XmlNode)['#text']) : '');
const lastLine = (s: string): string | undefined => s.split('\n').map((l) => l.trim()).filter(Boolean).pop();

/** The test cases of a JUnit XML document (<testsuites>, or one <testsuite>, nested suites included). Throws on XML that does not parse. */
export function parseJunitXml(xml: string): TestCaseResult[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
  });
  const doc = parser.parse(xml, true) as XmlNode;
  const out: TestCaseResult[] = [];
  const suite = (node: XmlNode): void => {
    for (const child of asArray(node.testsuite)) suite(child);
    for (const tc of asArray(node.testcase)) {
      const name = String(tc['@name'] ?? '');
      const cls = String(tc['@classname'] ?? '');
      const full = cls && cls !== name ? `${cls}.${name}` : name || cls || '(unnamed)';
      const failure = [...asArray(tc.failure), ...asArray(tc.error)][0];
      // ctest marks tests it did not run with status="notrun"/"disabled" (and a <skipped>).
      const status = String(tc['@status'] ?? '');
      const skipped = asArray(tc.skipped).length > 0 || status === 'notrun' || status === 'disabled';
      if (failure !== undefined) {
        const body = lastLine(text(failure)) ?? '';
        const attr = typeof failure === 'object' ? String(failure['@message'] ?? '') : '';
        const out1 = lastLine(text(tc['system-out'])) ?? '';
        const message = [attr, body, body || out1 === attr ? '' : out1].filter(Boolean).join(': ');
        out.push({ name: full, ok: false, ...(message ? { message: clip(message, 300) } : {}) });
      } else if (skipped) {
        const why = asArray(tc.skipped)[0];
        const message = why && typeof why === 'object' ? String(why['@message'] ?? '') : '';
        out.push({ name: full, ok: true, skipped: true, ...(message ? { message: clip(message, 300) } : {}) });
      } else {
        out.push({ name: full, ok: true });
      }
    }
  };
  suite(doc.testsuites ? (doc.testsuites as XmlNode) : doc);
  return out;
}

/**
 * One automake test's `.trs` file (make check): `:test-result:` lines (one, or
 * one per TAP test case). FAIL, ERROR and XPASS fail; every result SKIP is a
 * skip; PASS and XFAIL pass. `log` is the test's .log, for a failure's message.
 */
export function parseAutomakeTrs(name: string, trs: string, log = ''): TestCaseResult {
  const results = [...trs.matchAll(/^:test-result:\s*(\S+)/gm)].map((m) => m[1]!.toUpperCase());
  const bad = results.find((r) => r === 'FAIL' || r === 'ERROR' || r === 'XPASS');
  if (bad) {
    const detail = lastLine(log);
    return { name, ok: false, message: clip(`${bad}${detail ? `: ${detail}` : ''}`, 300) };
  }
  if (results.length === 0 || results.every((r) => r === 'SKIP')) {
    return { name, ok: true, skipped: true, ...(results.length === 0 ? { message: 'no :test-result: line' } : {}) };
  }
  return { name, ok: true };
}

/** meson's meson-logs/testlog.json: one JSON object per line, each with name and result. */
export function parseMesonTestlog(jsonLines: string): TestCaseResult[] {
  const out: TestCaseResult[] = [];
  for (const line of jsonLines.split('\n')) {
    if (!line.trim()) continue;
    let entry: { name?: unknown; result?: unknown; stdout?: unknown; stderr?: unknown; returncode?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line cut short by a killed run
    }
    const name = String(entry.name ?? '(unnamed)');
    const result = String(entry.result ?? '').toUpperCase();
    if (result === 'OK' || result === 'EXPECTEDFAIL') out.push({ name, ok: true });
    else if (result === 'SKIP') out.push({ name, ok: true, skipped: true });
    else {
      const detail = lastLine(`${typeof entry.stdout === 'string' ? entry.stdout : ''}\n${typeof entry.stderr === 'string' ? entry.stderr : ''}`);
      out.push({ name, ok: false, message: clip(`${result}${typeof entry.returncode === 'number' ? ` (exit code ${entry.returncode})` : ''}${detail ? `: ${detail}` : ''}`, 300) });
    }
  }
  return out;
}
