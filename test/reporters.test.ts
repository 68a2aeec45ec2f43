import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { OrchestratorError } from '../src/errors.js';
import { renderHtml } from '../src/reporters/html.js';
import { renderJson } from '../src/reporters/json.js';
import { renderJUnit, xmlEscape } from '../src/reporters/junit.js';
import { mdCode, mdText, renderMarkdown } from '../src/reporters/markdown.js';
import { REPORT_FILES, writeReports } from '../src/reporters/write.js';
import { parseResults, readResults, validateResults } from '../src/results/validate.js';
import type { RunResults } from '../src/results/types.js';
import { COMPILER_ERROR, SEGV_ERROR, axesRun, incomplete, results, twoTargets, withInsights } from './fixtures/results/build.js';

// ---- a tiny XML parser: enough to prove well-formedness and to query the tree ----

interface XmlEl {
  name: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  text: string;
}

// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

function decode(s: string, where: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '<') throw new Error(`raw '<' in ${where}`);
    if (ch !== '&') {
      out += ch;
      continue;
    }
    ENTITY.lastIndex = i;
    const m = ENTITY.exec(s);
    if (!m) throw new Error(`bad entity in ${where}: ${s.slice(i, i + 12)}`);
    const e = m[0];
    out += e === '&amp;' ? '&' : e === '&lt;' ? '<' : e === '&gt;' ? '>' : e === '&quot;' ? '"' : e === '&apos;' ? "'"
      : String.fromCodePoint(e[2] === 'x' ? parseInt(e.slice(3, -1), 16) : parseInt(e.slice(2, -1), 10));
    i += e.length - 1;
  }
  return out;
}

function parseXml(xml: string): XmlEl {
  expect(XML_FORBIDDEN.test(xml), 'no character forbidden in XML 1.0').toBe(false);
  let i = 0;
  const decl = /^<\?xml [^?]*\?>\n?/.exec(xml);
  if (decl) i = decl[0].length;
  const root: XmlEl = { name: '#doc', attrs: {}, children: [], text: '' };
  const stack: XmlEl[] = [root];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (text.includes(']]>')) throw new Error("']]>' in character data");
    const top = stack[stack.length - 1]!;
    if (stack.length === 1 && text.trim()) throw new Error(`text outside the root: ${text.trim().slice(0, 20)}`);
    top.text += decode(text, `<${top.name}> text`);
    if (lt === -1) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end === -1) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt === -1) throw new Error('unterminated tag');
    // `>` may legally appear inside quoted attribute values; find the real end.
    let end = lt + 1;
    let quote = '';
    for (; end < xml.length; end++) {
      const c = xml[end];
      if (quote) { if (c === quote) quote = ''; } else if (c === '"' || c === "'") quote = c; else if (c === '>') break;
    }
    const tag = xml.slice(lt + 1, end);
    i = end + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const selfClose = tag.endsWith('/');
    const body = selfClose ? tag.slice(0, -1) : tag;
    const nm = /^([A-Za-z_][\w.:-]*)/.exec(body);
    if (!nm) throw new Error(`bad tag <${tag.slice(0, 20)}>`);
    const el: XmlEl = { name: nm[1]!, attrs: {}, children: [], text: '' };
    let rest = body.slice(nm[1]!.length);
    const attrRe = /^\s+([A-Za-z_][\w.:-]*)="([^"]*)"/;
    for (let m = attrRe.exec(rest); m; m = attrRe.exec(rest)) {
      if (m[1]! in el.attrs) throw new Error(`duplicate attribute ${m[1]}`);
      el.attrs[m[1]!] = decode(m[2]!, `attribute ${m[1]}`);
      rest = rest.slice(m[0].length);
    }
    if (rest.trim()) throw new Error(`junk in <${el.name}>: ${rest.trim().slice(0, 20)}`);
    if (stack.length === 1 && root.children.length) throw new Error('two root elements');
    stack[stack.length - 1]!.children.push(el);
    if (!selfClose) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  expect(root.children).toHaveLength(1);
  return root.children[0]!;
}

function all(el: XmlEl, name: string): XmlEl[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);
}

// ---- fixtures ----

const R = results();
const cellById = (id: string) => R.cells.find((c) => c.id === id)!;

/** Splits a Markdown table row on unescaped pipes. */
function tableCells(row: string): string[] {
  return row.replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((s) => s.trim());
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(R);
  const lines = md.split('\n');

  it('matches the snapshot', () => {
    expect(md).toMatchSnapshot();
  });

  it('has a header with the run marker, date, host and counts', () => {
    expect(lines[0]).toBe('# Arch status: complete');
    expect(md).toContain('2026-11-21 04:50:52 UTC');
    expect(md).toContain('AMD EPYC 9B45');
    expect(md).toContain('16 cells: 8 ✅ pass, 2 ❌ fail, 1 ⚠️ xfail, 1 ❗ xpass, 1 ⏱ timeout, 1 💥 error, 1 ⏭ skip, 1 🔁 flaky');
    expect(md).toContain('**5 unexpected**');
    expect(md.endsWith('\n') && !md.endsWith('\n\n')).toBe(true);
  });

  it('marks an interrupted run INCOMPLETE and leaves missing cells empty', () => {
    const inc = renderMarkdown(incomplete());
    expect(inc.split('\n')[0]).toContain('INCOMPLETE');
    const armRow = inc.split('\n').find((l) => l.startsWith('| **arm**'))!;
    expect(tableCells(armRow)).toEqual(['**arm**', '❌ FAIL at core-tests (SIGSEGV)', '—']);
  });

  it('draws archs as rows and toolchains as columns, in config order, with icon and word', () => {
    const table = lines.filter((l) => l.startsWith('|')).slice(0, 10);
    expect(tableCells(table[0]!)).toEqual(['arch', 'gcc', 'llvm']);
    const rows = table.slice(2).map(tableCells);
    expect(rows.map((r) => r[0])).toEqual(['**x86\\_64**'.replace('\\_', '_'), '**i686**', '**aarch64**', '**arm**', '**riscv64**', '**mips**', '**mipsel**', '**mips64el**']);
    for (const r of rows) expect(r).toHaveLength(3);
    const grid = Object.fromEntries(rows.map((r) => [r[0]!.replace(/\*/g, ''), r.slice(1)]));
    expect(grid.x86_64).toEqual(['✅ pass', '✅ pass ·']);
    expect(grid.i686).toEqual(['✅ pass', '⚠️ xfail']);
    expect(grid.aarch64).toEqual(['✅ pass', '🔁 flaky']);
    expect(grid.arm).toEqual(['❌ FAIL at core-tests (SIGSEGV)', '❗ XPASS']);
    expect(grid.riscv64).toEqual(['✅ pass', '⏱ TIMEOUT at core-tests']);
    expect(grid.mips).toEqual(['❌ FAIL at build', '💥 ERROR at probe']);
    expect(grid.mipsel).toEqual(['✅ pass', '⏭ skip']);
  });

  it('has one grid per target when there are several', () => {
    const md2 = renderMarkdown(twoTargets());
    expect(md2).toContain('### Target `native`');
    expect(md2).toContain('### Target `demo`');
    const headers = md2.split('\n').filter((l) => l.startsWith('| arch |'));
    expect(headers).toEqual(['| arch | gcc | llvm |', '| arch | gcc |']);
  });

  it('has a section for every cell that is not a plain pass, and none for passes', () => {
    const sections = lines.filter((l) => l.startsWith('### '));
    expect(sections).toHaveLength(R.cells.filter((c) => c.status !== 'pass').length);
    expect(sections.some((s) => s.includes('x86\\_64') || s.includes('x86_64'))).toBe(false);
    const mips = md.slice(md.indexOf('### mips / gcc'));
    const mipsSection = mips.slice(0, mips.indexOf('\n### '));
    expect(mipsSection).toContain('- **Stage:** `build`');
    expect(mipsSection).toContain(`\`\`\`\n${COMPILER_ERROR}\n\`\`\``);
    expect(mipsSection).toContain('- **Log:** `logs/mips-gcc/build.log`');
    expect(mipsSection).toContain('```sh\ncmake -S native -B /tmp/mips-gcc');
    expect(mipsSection).toContain('compiler `mips-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0`');
    const skip = md.slice(md.indexOf('### mipsel / llvm'));
    expect(skip).toContain('- **Why skipped:** clang-14 not found (toolchain absent)');
    expect(skip).toContain('- **Install:** `sudo apt-get install --no-install-recommends clang-14 lld-14`');
    const xfail = md.slice(md.indexOf('### i686 / llvm'));
    expect(xfail).toContain('- **Reason:** LLVM i686');
    expect(xfail).toContain('- **Link:** [https://example.org/issues/12](https://example.org/issues/12)');
    const arm = md.slice(md.indexOf('### arm / gcc'));
    expect(arm).toContain('- **Signal:** `SIGSEGV`');
    expect(arm).toContain('**Failing tests:**');
  });

  it('escapes markup and strips control characters', () => {
    // eslint-disable-next-line no-control-regex
    expect(md).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    expect(md).toContain('\\x07bell\\x00nul');
    expect(md).not.toContain('[31m');
    expect(mdText('a|b <i>x</i> & *y* [z](u)')).toBe('a\\|b &lt;i&gt;x&lt;/i&gt; &amp; \\*y\\* \\[z\\](u)');
    expect(mdText('x86_64 _em_')).toBe('x86_64 \\_em\\_');
    expect(mdCode('a`b', false)).toBe('``a`b``');
    expect(mdCode('`x`', false)).toBe('`` `x` ``');
    expect(mdCode('a|b', true)).toBe('`a\\|b`');
    // A row whose text has pipes still has the right number of columns.
    const r = results();
    r.cells[0] = { ...r.cells[0]!, status: 'fail', stage: 'a|b' };
    const row = renderMarkdown(r).split('\n').find((l) => l.startsWith('| **x86_64**'))!;
    expect(tableCells(row)).toEqual(['**x86_64**', '❌ FAIL at a\\|b', '✅ pass ·']);
  });

  it('puts a first error with backtick fences inside a longer fence', () => {
    const r = results();
    r.cells[0] = { ...r.cells[0]!, status: 'fail', stage: 'build', firstError: 'x\n```\ny' };
    expect(renderMarkdown(r)).toContain('````\nx\n```\ny\n````');
  });

  it('lists the SMC strategies when the run has them', () => {
    expect(md).toContain('## SMC benchmark');
    expect(md).toContain('| copy rep movsb | 743 | 0.57× |');
    expect(md).toContain('| avx512 stores | skipped: CPU lacks AVX-512 &lt;&amp;&gt; | |');
    expect(renderMarkdown(incomplete())).not.toContain('SMC');
  });
});

describe('renderJson / parseResults', () => {
  const json = renderJson(R);

  it('round-trips', () => {
    expect(parseResults(json, 'status.json')).toEqual(R);
    expect(renderJson(parseResults(json, 'status.json'))).toBe(json);
  });

  it('is pretty, ends with a newline and has a stable key order', () => {
    expect(json.startsWith('{\n  "schemaVersion": 1,\n  "tool": {')).toBe(true);
    expect(json.endsWith('}\n')).toBe(true);
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    expect(renderJson(reversed(R) as RunResults)).toBe(json);
    const cell = JSON.parse(json).cells[0];
    expect(Object.keys(cell).slice(0, 6)).toEqual(['id', 'arch', 'toolchain', 'target', 'status', 'stage']);
  });

  it('keeps awkward text intact', () => {
    const back = parseResults(json, 'status.json');
    expect(back.cells.find((c) => c.id === 'arm-gcc')!.firstError).toBe(SEGV_ERROR);
  });
});

describe('validateResults', () => {
  const bad = (mutate: (r: any) => void): unknown => {
    const r = JSON.parse(renderJson(R));
    mutate(r);
    return r;
  };
  const message = (v: unknown, file = 'reports/status.json'): string => {
    try {
      validateResults(v, file);
    } catch (err) {
      expect(err).toBeInstanceOf(OrchestratorError);
      expect((err as OrchestratorError).code).toBe('RESULTS_INVALID');
      return (err as OrchestratorError).message;
    }
    throw new Error('expected validateResults to throw');
  };

  it('accepts good results, including unknown extra keys', () => {
    expect(validateResults(JSON.parse(renderJson(R)))).toEqual(R);
    expect(() => validateResults(bad((r) => { r.future = 1; r.cells[0].newField = 'x'; }))).not.toThrow();
  });

  it('rejects what is not a results file', () => {
    expect(message([])).toBe('reports/status.json: not a matrix results file: (top level): expected an object, got an array');
    expect(message({ cells: [] })).toBe('reports/status.json: not a matrix results file: schemaVersion is missing');
  });

  it('rejects other schema versions and says what to do', () => {
    expect(message(bad((r) => { r.schemaVersion = 2; }))).toBe(
      'reports/status.json: schemaVersion is number 2, this matrix reads 1 (written by a newer matrix: upgrade, or rerun `matrix run`)',
    );
    expect(message(bad((r) => { r.schemaVersion = 0; }))).toContain('rerun `matrix run` to regenerate it');
  });

  it('names the path and the problem', () => {
    expect(message(bad((r) => { r.cells[3].status = 'passed'; }))).toBe(
      'reports/status.json: invalid results: cells[3].status: expected one of pass, fail, xfail, xpass, timeout, error, skip, flaky, got "passed"',
    );
    expect(message(bad((r) => { delete r.cells[0].arch; }))).toContain('cells[0].arch: missing (expected a string)');
    expect(message(bad((r) => { r.cells = {}; }))).toContain('cells: expected an array, got an object');
    expect(message(bad((r) => { r.cells[1].stages[0].durationMs = 'slow'; }))).toContain('cells[1].stages[0].durationMs: expected a finite number, got "slow"');
    expect(message(bad((r) => { r.cells[6].stages[3].tests[1].ok = 'no'; }))).toContain('cells[6].stages[3].tests[1].ok: expected a boolean, got "no"');
    expect(message(bad((r) => { r.cells[2].stage = 5; }))).toContain('cells[2].stage: expected a string, got number 5');
    expect(message(bad((r) => { r.cells[2].id = r.cells[0].id; }))).toContain('cells[2].id: duplicate cell id "x86_64-gcc" (also cells[0])');
    expect(message(bad((r) => { r.tool.name = 'other'; }))).toContain('tool.name: expected "matrix", got "other"');
  });

  it('lists several problems, capped', () => {
    const m = message(bad((r) => { for (const c of r.cells) c.runner = 'ssh'; }));
    expect(m).toMatch(/^reports\/status.json: invalid results \(16 problems\):\n {2}cells\[0\]\.runner: /);
    expect(m).toContain('... and 8 more');
  });

  it('parseResults reports JSON syntax errors with file:line:column', () => {
    try {
      parseResults('{\n  "schemaVersion": 1,\n  oops\n}', 'reports/status.json');
      throw new Error('expected a throw');
    } catch (err) {
      const e = err as OrchestratorError;
      expect(e.code).toBe('RESULTS_INVALID');
      expect(e.location).toMatchObject({ file: 'reports/status.json', line: 3, column: 3 });
      expect(e.format()).toMatch(/^reports\/status.json:3:3: not valid JSON/);
    }
    expect(() => parseResults('', 'x.json')).toThrow('the file is empty');
  });

  it('readResults: RESULTS_NOT_FOUND for a missing file, RESULTS_INVALID for a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'matrix-results-'));
    try {
      await expect(readResults(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'RESULTS_NOT_FOUND' });
      await writeFile(join(dir, 'bad.json'), '{"schemaVersion": 1}');
      await expect(readResults(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'RESULTS_INVALID' });
      await writeFile(join(dir, 'good.json'), renderJson(R));
      expect(await readResults(join(dir, 'good.json'))).toEqual(R);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('renderJUnit', () => {
  const xml = renderJUnit(R);
  const root = parseXml(xml);
  const suites = all(root, 'testsuite');
  const suite = (id: string) => suites.find((s) => s.attrs.name === id)!;
  const prop = (s: XmlEl, name: string) => all(s, 'property').find((p) => p.attrs.name === name)?.attrs.value;

  it('matches the snapshot', () => {
    expect(xml).toMatchSnapshot();
  });

  it('is well-formed XML (own parser, and Python expat when available)', () => {
    expect(root.name).toBe('testsuites');
    const py = spawnSync('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())'], { input: xml });
    if (py.error === undefined) expect(py.stderr.toString()).toBe('');
    for (const inc of [renderJUnit(incomplete()), renderJUnit(twoTargets())]) parseXml(inc);
  });

  it('has one testsuite per cell, named by cell id, with consistent counts', () => {
    expect(suites.map((s) => s.attrs.name)).toEqual(R.cells.map((c) => c.id));
    let tests = 0;
    let failures = 0;
    let skipped = 0;
    for (const s of suites) {
      const cases = all(s, 'testcase');
      expect(Number(s.attrs.tests)).toBe(cases.length);
      expect(Number(s.attrs.failures)).toBe(cases.filter((c) => all(c, 'failure').length).length);
      expect(Number(s.attrs.skipped)).toBe(cases.filter((c) => all(c, 'skipped').length).length);
      tests += cases.length;
      failures += Number(s.attrs.failures);
      skipped += Number(s.attrs.skipped);
    }
    expect(Number(root.attrs.tests)).toBe(tests);
    expect(Number(root.attrs.failures)).toBe(failures);
    expect(Number(root.attrs.skipped)).toBe(skipped);
  });

  it('has a testcase per stage and per TAP test, durations in seconds', () => {
    const s = suite('x86_64-gcc');
    const cases = all(s, 'testcase');
    expect(cases.map((c) => `${c.attrs.classname} ${c.attrs.name}`)).toEqual([
      'x86_64-gcc probe', 'x86_64-gcc configure', 'x86_64-gcc build', 'x86_64-gcc core-tests',
      'x86_64-gcc.core-tests alloc_free', 'x86_64-gcc.core-tests reuse_after_free', 'x86_64-gcc.core-tests wx_dual_map',
      'x86_64-gcc smc-bench',
    ]);
    expect(cases[2]!.attrs.time).toBe('8.300');
    expect(s.attrs.time).toBe((cellById('x86_64-gcc').durationMs / 1000).toFixed(3));
    expect(all(cases[6]!, 'skipped')[0]!.attrs.message).toBe('memfd_create unavailable');
    expect(all(s, 'failure')).toHaveLength(0);
  });

  it('fails with message = first error and type = status', () => {
    const types = (id: string) => all(suite(id), 'failure').map((f) => [f.attrs.type, f.attrs.message]);
    expect(types('mips-gcc')).toEqual([['fail', COMPILER_ERROR]]);
    expect(types('riscv64-llvm')).toEqual([['timeout', 'stage exceeded 60 s: process tree killed']]);
    // An infrastructure error is an <error>, not a <failure>, and counts in errors="".
    expect(types('mips-llvm')).toEqual([]);
    expect(all(suite('mips-llvm'), 'error').map((f) => [f.attrs.type, f.attrs.message])).toEqual([['error', "qemu-mips: Could not open '/lib/ld.so.1': No such file or directory"]]);
    expect(suite('mips-llvm').attrs.errors).toBe('1');
    expect(types('arm-llvm')[0]![0]).toBe('xpass');
    expect(types('arm-llvm')[0]![1]).toContain('expected to fail (LLVM arm: r4 spills break tail calls) but passed');
    const arm = types('arm-gcc');
    expect(arm.map((t) => t[0])).toEqual(['fail', 'fail']);
    expect(arm[0]![1]).toBe('not ok 2 - reuse_after_free: SIGSEGV at 0x0 \\x07bell\\x00nul sep & <tag>');
    expect(prop(suite('arm-gcc'), 'signal')).toBe('SIGSEGV');
  });

  it('skips with the reason for skip and xfail, never fails them', () => {
    const sk = all(suite('mipsel-llvm'), 'skipped');
    expect(sk).toHaveLength(1);
    expect(sk[0]!.attrs.message).toBe('skip: clang-14 not found (toolchain absent) (install: sudo apt-get install --no-install-recommends clang-14 lld-14)');
    const xf = suite('i686-llvm');
    expect(all(xf, 'failure')).toHaveLength(0);
    expect(all(xf, 'skipped')[0]!.attrs.message).toMatch(/^xfail: LLVM i686: the 5th argument/);
  });

  it('records versions and the cell facts as properties', () => {
    const s = suite('aarch64-gcc');
    expect(prop(s, 'version.compiler')).toBe('aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0');
    expect(prop(s, 'version.qemu')).toBe('qemu-user 7.2.15');
    expect(prop(s, 'arch')).toBe('aarch64');
    expect(prop(s, 'status')).toBe('pass');
    expect(prop(suite('aarch64-llvm'), 'status')).toBe('flaky');
    expect(all(suite('aarch64-llvm'), 'system-out').some((o) => o.text.includes('flaky: passed on attempt 2'))).toBe(true);
  });

  it('escapes markup, `]]>` and control characters', () => {
    expect(xml).toContain('a|b &lt; c &amp;&amp; `d` ]]&gt; &lt;/script&gt;');
    expect(xml).not.toContain(']]>');
    expect(xmlEscape('a\u0000b\u001bc\ud800d\ufffe"\'\n')).toBe('a\\x00b\\x1Bc\ufffdd\\xFFFE&quot;&apos;&#10;'.replace('\\xFFFE', '\\xFFFE'));
  });
});

describe('renderHtml', () => {
  const html = renderHtml(R);
  const between = (open: RegExp, close: string): string => {
    const m = open.exec(html)!;
    const start = m.index + m[0].length;
    return html.slice(start, html.indexOf(close, start));
  };
  const jsonText = between(/<script type="application\/json" id="matrix-results">/, '</script>');
  const script = between(/<script>/, '</script>');
  const style = between(/<style>/, '</style>');

  it('embeds the results JSON safely', () => {
    expect(JSON.parse(jsonText)).toEqual(R);
    expect(jsonText).not.toMatch(/<\/?script|<!--|[\u2028\u2029]/i);
    expect(jsonText).toContain('\\u003c/script\\u003e');
    expect(jsonText).toContain('\\u2028sep');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('is self-contained: no external resources, CSP hashes match the inline code', () => {
    expect(html).not.toMatch(/\bsrc=|<link rel="stylesheet"|@import|url\(/);
    expect([...html.matchAll(/<link [^>]*>/g)].map((m) => m[0])).toEqual(['<link rel="icon" href="data:,">']);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(csp).toContain(`style-src ${hash(style)}`);
  });

  it('has a script that compiles', () => {
    expect(() => new Script(script)).not.toThrow();
  });

  it('is balanced HTML', () => {
    const VOID = new Set(['meta', 'link', 'input', 'br', 'hr', 'img']);
    const body = html.replace(/<script[^>]*>[\s\S]*?<\/script>|<style>[\s\S]*?<\/style>/g, '').replace(/^<!DOCTYPE html>/, '');
    const stack: string[] = [];
    for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
      const [, close, name, , self] = m;
      if (VOID.has(name!) || self) continue;
      if (close) expect(stack.pop(), `</${name}>`).toBe(name);
      else stack.push(name!);
    }
    expect(stack).toEqual([]);
    expect(body).not.toContain('<tag>');
  });

  it('has the grid in config order, with filters for status, arch and toolchain', () => {
    const ids = [...html.matchAll(/<a class="cell s-(\w+)" href="#([^"]+)" data-id="([^"]+)"/g)];
    expect(ids.map((m) => m[3])).toEqual(R.cells.map((c) => c.id));
    expect(ids.map((m) => m[1])).toEqual(R.cells.map((c) => c.status));
    for (const m of ids) expect(html).toContain(`<article class="detail s-${m[1]}" id="${m[2]}" data-id="${m[3]}">`);
    expect([...html.matchAll(/<tr data-arch="([^"]+)">/g)].map((m) => m[1])).toEqual(['x86_64', 'i686', 'aarch64', 'arm', 'riscv64', 'mips', 'mipsel', 'mips64el']);
    for (const f of ['status', 'arch', 'toolchain']) expect(html).toContain(`<fieldset data-filter="${f}">`);
    expect(html).toContain('<input type="checkbox" value="timeout" checked> ⏱ timeout (1)');
    expect(html).toContain('>❌ FAIL at build</a>');
  });

  it('shows details: stages, first error, reproducer, versions, log', () => {
    const start = html.indexOf('<article class="detail s-fail" id="cell-mips-gcc"');
    const detail = html.slice(start, html.indexOf('</article>', start));
    expect(detail).toContain('<pre class="first-error">native/copyjit/ops.c:42:7: error: expected &#39;;&#39; before &#39;}&#39; token: a|b &lt; c &amp;&amp; `d` ]]&gt; &lt;/script&gt;</pre>');
    expect(detail).toContain('<pre class="repro">cmake -S native -B /tmp/mips-gcc');
    expect(detail).toContain('<dt>compiler</dt><dd>mips-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0</dd>');
    expect(detail).toContain('<dt>log</dt><dd><a href="logs/mips-gcc/build.log">logs/mips-gcc/build.log</a></dd>');
    expect(detail).toContain('<tr class="st-fail"><td>build</td><td>build</td><td>❌ fail</td><td class="num">8.3 s</td><td>exit 2</td>');
    expect(detail).toContain('<tr class="st-skip"><td>core-tests</td>');
  });

  it('never links to javascript: URLs', () => {
    const r = results();
    r.cells[0] = { ...r.cells[0]!, status: 'xfail', link: 'javascript:alert(1)' };
    const out = renderHtml(r);
    expect(out).not.toContain('href="javascript:');
    expect(out).toContain('<dt>link</dt><dd>javascript:alert(1)</dd>');
  });

  it('charts SMC ratios and relink throughput when present', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) parseXml(svg);
    const [smc, relink] = svgs;
    expect(smc!.match(/<rect class="bar /g)).toHaveLength(6);
    expect(smc).toContain('<rect class="bar better"');
    expect(smc).toContain('<rect class="bar worse"');
    expect(smc).toContain('skipped: CPU lacks AVX-512 &lt;&amp;&gt;');
    expect(smc).toContain('10.20× · 13209 ticks');
    expect(relink!.match(/<polyline /g)).toHaveLength(3);
    expect(relink).toContain('>chain</text>');
    expect(relink).toContain('<title>chain: 460 replacements, 4 Mcalls/s</title>');
    expect(html).toContain('CPU: vendor: AuthenticAMD, family: 26, model: 2, uarch: zen5');
  });

  it('leaves charts out without extras, and says so when they are malformed', () => {
    expect(renderHtml(incomplete())).not.toContain('<svg');
    const r = results({ extras: { smc: { strategies: 'x' }, relink: { modes: [{ mode: 'm', points: [{ replacements: 'a' }] }] } } });
    const out = renderHtml(r);
    expect(out).not.toContain('<svg');
    expect(out).toContain('The SMC results in this run are malformed');
    expect(out).toContain('The relink results in this run are malformed');
  });

  it('marks an incomplete run', () => {
    const out = renderHtml(incomplete());
    expect(out).toContain('INCOMPLETE: some cells did not run');
    expect(out).toContain('<title>matrix status (incomplete): 1 unexpected</title>');
    expect(out).toContain('<span class="cell none" title="not in this run">—</span>');
  });
});

describe('an empty run', () => {
  const empty = results({ cells: [], extras: null, complete: false });

  it('renders in every format', () => {
    expect(renderMarkdown(empty)).toContain('_No cells ran._');
    expect(renderMarkdown(empty)).toContain('0 cells; nothing unexpected');
    const root = parseXml(renderJUnit(empty));
    expect(root.attrs.tests).toBe('0');
    expect(all(root, 'testsuite')).toHaveLength(0);
    expect(renderHtml(empty)).toContain('<p class="empty">No cells ran.</p>');
    expect(parseResults(renderJson(empty), 'x')).toEqual(empty);
  });
});

describe('history, root-cause groups and excluded cells (optional fields)', () => {
  const r = withInsights();

  it('round-trips through status.json', () => {
    expect(parseResults(renderJson(r), 'status.json')).toEqual(r);
  });

  it('shows them in status.md', () => {
    const md = renderMarkdown(r);
    expect(md).toContain('- **History:** 3 runs; **1 new failure** (`mips-gcc`), 1 fixed (`aarch64-gcc`) since the previous run (2026-11-20 04:50:00 UTC)');
    const rows = Object.fromEntries(md.split('\n').filter((l) => l.startsWith('| **')).map((l) => { const c = tableCells(l); return [c[0]!.replace(/\*/g, ''), c.slice(1)]; }));
    expect(rows.mips).toEqual(['❌ FAIL at build 🆕', '💥 ERROR at probe']);
    expect(rows.aarch64).toEqual(['✅ pass 🩹', '🔁 flaky']);
    expect(rows.mips64el).toEqual(['✅ pass', '— not selected (other shard)']);
    expect(md).toContain('🆕 new failure since the previous run; 🩹 fixed since the previous run.');
    expect(md).toContain('## Shared causes\n\n- **2 cells**, every gcc cell on 32\\|64-bit targets: ❌ fail at `core-tests`: `not ok 2 - reuse_after_free <x>`\n  - `arm-gcc`, `riscv64-gcc`\n');
    expect(md).not.toContain('lonely');
    expect(md).not.toContain('### mips64el');
    expect(md).toContain('- **History:** new failure (was pass); 1 run in this state, since 2026-11-21 04:50:52 UTC; 1 status change in the last 3 runs');
  });

  it('shows them in index.html', () => {
    const html = renderHtml(r);
    expect(html).toContain('❌ FAIL at build<span class="change new">new</span>');
    expect(html).toContain('✅ pass<span class="change fixed">fixed</span>');
    expect(html).toContain('title="mips64el-llvm: in another shard">— not selected</span>');
    expect(html).toContain('<section id="groups">');
    expect(html).toContain('every gcc cell on 32|64-bit targets');
    expect(html).toContain('<pre>not ok 2 - reuse_after_free &lt;x&gt;</pre><a href="#cell-arm-gcc"><code>arm-gcc</code></a>');
    expect(html).toContain('<strong>1 new failure</strong> (<code>mips-gcc</code>)');
    expect(html).toContain('<dt>history</dt><dd>3 runs in this state, since 2026-11-19 04:50:00 UTC</dd>');
  });

  it('leaves excluded cells out of junit.xml', () => {
    const suites = all(parseXml(renderJUnit(r)), 'testsuite').map((s) => s.attrs.name);
    expect(suites).toHaveLength(15);
    expect(suites).not.toContain('mips64el-llvm');
  });

  it('ignores malformed sections', () => {
    const bad = { ...results({ extras: null }), history: { runs: 'x' }, groups: [{ stage: 1 }] } as unknown as RunResults;
    expect(renderMarkdown(bad)).toBe(renderMarkdown(results({ extras: null })));
  });
});

describe('writeReports', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'matrix-reports-'));
    dirs.push(d);
    return d;
  };
  const snapshot = async (dir: string): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const f of (await readdir(dir)).sort()) out[f] = await readFile(join(dir, f), 'utf8');
    return out;
  };

  it('writes the four reports (creating the directory) and returns their paths', async () => {
    const dir = join(await tempDir(), 'nested', 'reports');
    const paths = await writeReports(R, dir);
    expect(paths).toEqual(['status.md', 'status.json', 'junit.xml', 'index.html'].map((f) => join(dir, f)));
    const files = await snapshot(dir);
    expect(Object.keys(files)).toEqual(['index.html', 'junit.xml', 'status.json', 'status.md']);
    expect(files['status.md']).toBe(renderMarkdown(R));
    expect(files['status.json']).toBe(renderJson(R));
    expect(files['junit.xml']).toBe(renderJUnit(R));
    expect(files['index.html']).toBe(renderHtml(R));
  });

  it('writes only the formats asked for', async () => {
    const dir = await tempDir();
    expect(await writeReports(R, dir, ['json'])).toEqual([join(dir, REPORT_FILES.json)]);
    expect(await readdir(dir)).toEqual(['status.json']);
    await expect(writeReports(R, dir, ['pdf' as never])).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('writes extra files (history.json) in the same atomic step, and refuses paths', async () => {
    const dir = await tempDir();
    const paths = await writeReports(R, dir, ['json'], { extraFiles: [{ name: 'history.json', text: '{"version":1}\n' }] });
    expect(paths).toEqual([join(dir, 'status.json'), join(dir, 'history.json')]);
    expect(await readFile(join(dir, 'history.json'), 'utf8')).toBe('{"version":1}\n');
    for (const name of ['../x.json', 'a/b', '', '..']) {
      await expect(writeReports(R, dir, ['json'], { extraFiles: [{ name, text: '' }] })).rejects.toMatchObject({ code: 'USAGE' });
    }
    await expect(writeReports(R, dir, ['json'], { extraFiles: [{ name: 'status.json', text: '' }] })).rejects.toThrow('written twice');
    const boom = (): string => { throw new Error('renderer bug'); };
    await expect(writeReports(R, dir, ['json'], { renderers: { json: boom }, extraFiles: [{ name: 'history.json', text: 'new' }] })).rejects.toThrow('renderer bug');
    expect(await readFile(join(dir, 'history.json'), 'utf8')).toBe('{"version":1}\n');
    expect((await readdir(dir)).sort()).toEqual(['history.json', 'status.json']);
  });

  it('leaves the previous reports untouched when a renderer fails', async () => {
    const dir = await tempDir();
    await writeReports(incomplete(), dir);
    const before = await snapshot(dir);
    const boom = (): string => {
      throw new Error('renderer bug');
    };
    await expect(writeReports(R, dir, undefined, { renderers: { html: boom } })).rejects.toThrow('renderer bug');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('cleans up its temp files when a write fails', async () => {
    const dir = await tempDir();
    await writeReports(incomplete(), dir, ['markdown']);
    const before = await readFile(join(dir, 'status.md'), 'utf8');
    await mkdir(join(dir, 'junit.xml')); // a directory where a file must go: the rename fails
    await writeFile(join(dir, 'junit.xml', 'keep'), '');
    const err = await writeReports(R, dir, ['junit', 'markdown']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrchestratorError);
    expect((err as OrchestratorError).code).toBe('IO');
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'status.md']);
    expect(await readFile(join(dir, 'status.md'), 'utf8')).toBe(before);
  });
});

describe('coverage view: arch x CPU variant by toolchain x version', () => {
  it('shows how each cell ran (native, which qemu CPU), the printed compiler per column, and why', () => {
    const md = renderMarkdown(axesRun());
    const section = md.slice(md.indexOf('## Coverage: how each cell ran'));
    expect(section).toContain('| arch | CPU variant | llvm (clang 14.0.6) | llvm-19 (clang 19.1.7) |');
    expect(section).toContain('| **aarch64** | armv8-0 | ✅ qemu -cpu cortex-a53 | ❌ qemu -cpu cortex-a53 |');
    expect(section).toContain('| **aarch64** | armv8-1-lse | ✅ qemu -cpu cortex-a76 | ✅ qemu -cpu cortex-a76 |');
    expect(section).toContain('| **x86_64** | v3 | ✅ qemu -cpu max | ✅ qemu -cpu max |');
    expect(section).toContain('0 native, 8 under qemu, 0 built only, 0 not run.');
    expect(section).toContain("- this host's CPU lacks avx2: `x86_64-v3-llvm`, `x86_64-v3-llvm-19`");
    const html = renderHtml(axesRun());
    expect(html).toContain('<section id="coverage">');
    expect(html).toMatch(/<a class="cell s-fail" href="#[^"]+" data-id="aarch64-armv8-0-llvm-19"[^>]*>❌ qemu -cpu cortex-a53<\/a>/);
    const junit = renderJUnit(axesRun());
    expect(junit).toContain('<property name="cpu.model" value="cortex-a53"/>');
    expect(junit).toContain('<property name="cpu.variant" value="armv8-1-lse"/>');
  });

  it('says "not run" for a cell skipped before anything ran, whatever runner it would have had', () => {
    const run = axesRun();
    const skipped = { ...run.cells[1]!, status: 'skip' as const, reason: 'no gcc-11 for this arch', stages: [run.cells[1]!.stages[0]!] };
    const md = renderMarkdown({ ...run, cells: [run.cells[0]!, skipped, ...run.cells.slice(2)] });
    expect(md).toContain('| **aarch64** | default | ✅ qemu | ⏭ not run |');
  });

  it('is left out of a run without variants or versions (the grid says it all)', () => {
    expect(renderMarkdown(results())).not.toContain('## Coverage');
    expect(renderHtml(results())).not.toContain('id="coverage"');
  });
});
