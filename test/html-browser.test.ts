// index.html in a real browser: Debian's headless Chromium (/usr/bin/chromium, never a
// downloaded one) driven by playwright-core. Once on a fixture run that has every status,
// history, root-cause groups and both charts, once on the report of a real `matrix run`.
// A missing Chromium FAILS these tests: CI installs it (scripts/setup.sh).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../src/reporters/common.js';
import { writeReports } from '../src/reporters/write.js';
import type { RunResults } from '../src/results/types.js';
import { measurePageLoad } from '../src/bench/page-load.js';
import { syntheticResults } from '../src/bench/synthetic-results.js';
import { BUILD_EXCERPT, COMPILER_ERROR, results, withInsights } from './fixtures/results/build.js';
import { ARCHES_YAML, REPO, makeTarget, makeWorkspace, readStatus, runCli, TOOLCHAINS_YAML, type CliResult, type Workspace } from './helpers/workspace.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--no-sandbox', // the tests run as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium keeps trying to reach Google's services on a closed network.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = process.env.MATRIX_TEST_ARTIFACTS || join(REPO, 'test-artifacts');

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the HTML report is tested in Debian's Chromium. Install it: apt-get install chromium`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 60_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
});

// Recorded in the page before its own script runs (init scripts are not subject to the CSP).
const CSP_LISTENER = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
});`;

interface Opened {
  page: Page;
  /** Console errors and warnings, uncaught exceptions, and requests that left the file. */
  problems: string[];
  /** CSP violations the page saw (securitypolicyviolation events). */
  csp(): Promise<string[]>;
  close(): Promise<void>;
}

async function open(file: string): Promise<Opened> {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`);
  });
  await page.addInitScript({ content: CSP_LISTENER });
  await page.goto(url, { waitUntil: 'load' });
  return {
    page,
    problems,
    csp: () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations),
    close: () => context.close(),
  };
}

function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** The text of each row of a detail's stage table: [stage, kind, status, time, exit, tests, log]. */
function stageRows(page: Page, detailId: string): Promise<string[][]> {
  return page.$$eval(`#${detailId} table.stages tbody tr[class^="st-"]`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText.trim())),
  );
}

// ---- a fixture run: every status, history, groups, an excluded cell and both charts ----

function fixture(): RunResults {
  const r = withInsights();
  r.extras = results().extras;
  // arm-gcc has been failing for four runs: its streak shows in the grid.
  r.history!.cells['arm-gcc'] = { streak: 4, since: '2026-11-18T04:50:00.000Z', flips: 0, window: 3 };
  // An excerpt on a passing stage (an earlier attempt's, say) is not shown: only failures get one.
  r.cells.find((c) => c.id === 'x86_64-gcc')!.stages.find((s) => s.name === 'core-tests')!.excerpt = 'ok 1 - alloc_free';
  return r;
}

describe('index.html of a fixture run, in headless Chromium', () => {
  const R = fixture();
  const ran = R.cells.filter((c) => !c.excluded);
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'matrix-html-'));
    file = (await writeReports(R, dir, ['html']))[0]!;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads with no console errors, exceptions, CSP violations or network requests', async () => {
    const o = await open(file);
    try {
      // The page's own script ran (the CSP allowed it by hash) and filled the counter.
      expect(await o.page.evaluate(() => document.documentElement.classList.contains('js'))).toBe(true);
      expect(await o.page.textContent('#shown')).toBe(`${ran.length} of ${ran.length} cells shown`);
      await o.page.click('a.cell[data-id="arm-gcc"]');
      await o.page.click('#reset');
      expect(await o.csp()).toEqual([]);
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('catches console errors, exceptions and CSP violations when there are some (the collectors work)', async () => {
    const o = await open(file);
    try {
      expect(o.problems).toEqual([]);
      await o.page.evaluate(() => {
        console.error('probe: console error');
        setTimeout(() => {
          throw new Error('probe: uncaught exception');
        });
        // An inline script the CSP has no hash for: Chromium must refuse to run it.
        const s = document.createElement('script');
        s.textContent = 'window.__probeRan = true;';
        document.body.append(s);
      });
      await expect.poll(() => o.problems.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      expect(o.problems).toContain('console.error: probe: console error');
      expect(o.problems).toContain('pageerror: probe: uncaught exception');
      expect(o.problems.some((p) => /^console\.error: .*Content Security Policy/.test(p)), o.problems.join('\n')).toBe(true);
      await expect.poll(() => o.csp(), { timeout: 10_000 }).toEqual(['script-src-elem blocked inline']);
      expect(await o.page.evaluate(() => (window as unknown as { __probeRan?: boolean }).__probeRan)).toBeUndefined();
    } finally {
      await o.close();
    }
  });

  it('has the grid: arches as rows, toolchains as columns, one cell per cell that ran', async () => {
    const o = await open(file);
    try {
      const { page } = o;
      expect(await page.$$eval('table.grid thead th', (ths) => ths.map((t) => t.textContent))).toEqual(['arch', 'gcc', 'llvm']);
      expect(await page.$$eval('table.grid tbody th', (ths) => ths.map((t) => t.textContent))).toEqual([
        'x86_64', 'i686', 'aarch64', 'arm', 'riscv64', 'mips', 'mipsel', 'mips64el',
      ]);
      const cells = await page.$$eval('a.cell', (as) => as.map((a) => ({ id: a.dataset.id, cls: a.className, text: (a as HTMLElement).innerText })));
      expect(cells.map((c) => c.id)).toEqual(ran.map((c) => c.id));
      for (const c of cells) expect(c.cls, c.id).toBe(`cell s-${ran.find((x) => x.id === c.id)!.status}`);
      const text = Object.fromEntries(cells.map((c) => [c.id, c.text.replace(/\s+/g, ' ').trim()]));
      expect(text['x86_64-gcc']).toBe('✅ pass');
      expect(text['arm-gcc']).toMatch(/^❌ FAIL at core-tests \(SIGSEGV\)\s*4 runs$/);
      expect(text['riscv64-llvm']).toBe('⏱ TIMEOUT at core-tests');
      expect(text['mips-llvm']).toBe('💥 ERROR at probe');
      expect(text['mipsel-llvm']).toBe('⏭ skip');
      expect(await page.textContent('tr[data-arch="mips64el"] td[data-col="llvm"]')).toBe('— not selected');
      // Every grid cell is visible and big enough to click.
      for (const c of cells) {
        const box = await page.locator(`a.cell[data-id="${c.id}"]`).boundingBox();
        expect(box!.width, c.id).toBeGreaterThan(100);
        expect(box!.height, c.id).toBeGreaterThan(20);
      }
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('filters by status, architecture and toolchain', async () => {
    const o = await open(file);
    try {
      const { page } = o;
      const visible = () => page.$$eval('a.cell:not(.filtered)', (as) => as.filter((a) => (a as HTMLElement).offsetParent !== null).map((a) => a.dataset.id));
      await page.uncheck('[data-filter="arch"] input[value="mips"]');
      expect(await page.isHidden('tr[data-arch="mips"]')).toBe(true);
      expect(await visible()).not.toContain('mips-gcc');
      await page.uncheck('[data-filter="toolchain"] input[value="llvm"]');
      expect(await page.locator('[data-col="llvm"]').evaluateAll((els) => els.every((e) => (e as HTMLElement).offsetParent === null))).toBe(true);
      expect(await visible()).toEqual(['x86_64-gcc', 'i686-gcc', 'aarch64-gcc', 'arm-gcc', 'riscv64-gcc', 'mipsel-gcc', 'mips64el-gcc']);
      await page.uncheck('[data-filter="status"] input[value="pass"]');
      expect(await visible()).toEqual(['arm-gcc']);
      expect(await page.textContent('#shown')).toBe(`1 of ${ran.length} cells shown`);
      await page.click('#reset');
      expect(await page.textContent('#shown')).toBe(`${ran.length} of ${ran.length} cells shown`);
      // Status alone: only the failing ones stay bright.
      for (const s of ['pass', 'xfail', 'xpass', 'timeout', 'error', 'skip', 'flaky']) await page.uncheck(`[data-filter="status"] input[value="${s}"]`);
      expect(await visible()).toEqual(['arm-gcc', 'mips-gcc']);
      await page.click('#reset');
      expect(await visible()).toEqual(ran.map((c) => c.id));
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it("shows a clicked failing cell's details: stages with statuses and durations, first error, reproducer, versions, log excerpt", async () => {
    const o = await open(file);
    try {
      const { page } = o;
      const mips = R.cells.find((c) => c.id === 'mips-gcc')!;
      expect(await page.isVisible('#cell-mips-gcc')).toBe(false);
      await page.click('a.cell[data-id="mips-gcc"]');
      await page.waitForSelector('#cell-mips-gcc', { state: 'visible' });
      await page.waitForSelector('a.cell.selected[data-id="mips-gcc"]');
      expect(await page.$$eval('.detail', (ds) => ds.filter((d) => getComputedStyle(d).display !== 'none').map((d) => d.id))).toEqual(['cell-mips-gcc']);
      const detail = page.locator('#cell-mips-gcc');
      expect(await detail.locator('h3').innerText()).toBe('mips / gcc: ❌ FAIL at build');
      expect(await detail.locator('pre.first-error').innerText()).toBe(COMPILER_ERROR);
      expect(await detail.locator('pre.repro').innerText()).toBe(mips.reproducer);
      const dl = await detail.locator('dl').innerText();
      expect(dl).toContain('mips-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0');
      expect(dl).toContain('qemu-user 7.2.15');
      expect(dl).toContain('3.25.1');
      expect(dl).toContain('new failure (was pass); 1 run in this state, since 2026-11-21 04:50:52 UTC');
      const rows = await stageRows(page, 'cell-mips-gcc');
      expect(rows.map((r) => r.slice(0, 4))).toEqual(mips.stages.map((s) => [s.name, s.kind, `${{ pass: '✅', fail: '❌', skip: '⏭' }[s.status as 'pass']} ${s.status}`, formatDuration(s.durationMs)]));
      expect(rows[2]).toEqual(['build', 'build', '❌ fail', formatDuration(8300), 'exit 2', '', 'logs/mips-gcc/build.log']);
      // The log excerpt sits right under the failing stage, as text: no markup from the log got through.
      const excerpt = detail.locator('tr.st-fail + tr.excerpt pre.excerpt');
      expect(await excerpt.count()).toBe(1);
      expect(await excerpt.innerText()).toBe(BUILD_EXCERPT.replace(/\u001b\[[0-9;]*m/g, ''));
      expect(await excerpt.locator('b').count()).toBe(0);
      expect(await detail.locator('tr.excerpt').innerText()).toContain('Last lines of the build log');
      // arm-gcc: a crash, with its failing TAP test and the qemu message in the excerpt.
      await page.click('a.cell[data-id="arm-gcc"]');
      await page.waitForSelector('#cell-arm-gcc', { state: 'visible' });
      // The hashchange handler closes the previous cell right after :target opens the new one.
      await page.waitForSelector('#cell-mips-gcc', { state: 'hidden', timeout: 5000 });
      expect(await page.isVisible('#cell-mips-gcc')).toBe(false);
      const arm = await page.locator('#cell-arm-gcc').innerText();
      expect(arm).toContain('SIGSEGV');
      expect(arm).toContain('reuse_after_free');
      expect(arm).toContain('4 runs in this state, since 2026-11-18 04:50:00 UTC');
      expect(await page.locator('#cell-arm-gcc pre.excerpt').innerText()).toContain('qemu: uncaught target signal 11 (Segmentation fault)');
      expect((await stageRows(page, 'cell-arm-gcc'))[3]!.slice(0, 5)).toEqual(['core-tests', 'test', '❌ fail', formatDuration(2450), 'SIGSEGV']);
      // A passing stage shows no excerpt, even when the results have one.
      await page.click('a.cell[data-id="x86_64-gcc"]');
      await page.waitForSelector('#cell-x86_64-gcc', { state: 'visible' });
      expect(await page.locator('#cell-x86_64-gcc pre.excerpt').count()).toBe(0);
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('shows the history: new failures, fixes and streaks', async () => {
    const o = await open(file);
    try {
      const { page } = o;
      expect(await page.innerText('a.cell[data-id="mips-gcc"] .change.new')).toBe('new');
      expect(await page.innerText('a.cell[data-id="aarch64-gcc"] .change.fixed')).toBe('fixed');
      expect(await page.innerText('a.cell[data-id="arm-gcc"] .streak')).toBe('4 runs');
      expect(await page.locator('a.cell .change').count()).toBe(2);
      expect(await page.getAttribute('a.cell[data-id="x86_64-gcc"]', 'title')).toBe('x86_64-gcc: ✅ pass; 3 runs in this state, since 2026-11-19 04:50:00 UTC');
      const header = (await page.innerText('header')).replace(/\s+/g, ' ');
      expect(header).toContain('History: 3 runs; 1 new failure (mips-gcc), 1 fixed (aarch64-gcc) since the previous run (2026-11-20 04:50:00 UTC)');
      expect(await page.innerText('#groups')).toContain('2 cells, every gcc cell on 32|64-bit targets');
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('draws the SMC bar chart and the relink throughput chart, one line per mode', async () => {
    const o = await open(file);
    try {
      const { page } = o;
      const smc = (R.extras as { smc: { strategies: Array<{ name: string; skipped?: boolean; ratioToPlain?: number }> } }).smc;
      const bars = await page.$$eval('#smc svg rect.bar', (rs) => rs.map((r) => ({ w: r.getBoundingClientRect().width, cls: r.getAttribute('class') })));
      const measured = smc.strategies.filter((s) => !s.skipped);
      expect(bars).toHaveLength(measured.length);
      // Bar lengths follow the ratios: the 10.2x bar is the longest, 20 times the 0.5x one.
      const widths = bars.map((b) => b.w);
      expect(Math.max(...widths)).toBe(widths[measured.findIndex((s) => s.name === 'cpuid serialise')]);
      expect(widths[measured.findIndex((s) => s.name === 'cpuid serialise')]! / widths[1]!).toBeCloseTo(10.2 / 0.504, 0);
      expect(bars[1]!.cls).toBe('bar better');
      expect(bars.at(-1)!.cls).toBe('bar worse');
      expect(await page.textContent('#smc svg')).toContain('skipped: CPU lacks AVX-512 <&>');
      const svgBox = await page.locator('#smc svg').boundingBox();
      expect(svgBox!.width).toBeGreaterThan(400);

      const relink = (R.extras as { relink: { modes: Array<{ mode: string; points: unknown[] }> } }).relink;
      const lines = await page.$$eval('#relink svg polyline.series', (ps) =>
        ps.map((p) => ({ stroke: p.getAttribute('stroke'), points: (p.getAttribute('points') ?? '').trim().split(/\s+/).length, len: (p as SVGPolylineElement).getTotalLength() })),
      );
      expect(lines.map((l) => l.points)).toEqual(relink.modes.map((m) => m.points.length));
      expect(new Set(lines.map((l) => l.stroke)).size).toBe(relink.modes.length);
      for (const l of lines) expect(l.len).toBeGreaterThan(100);
      const legend = await page.$$eval('#relink svg text.legend', (ts) => ts.map((t) => t.textContent));
      expect(legend).toEqual(relink.modes.map((m) => m.mode));
      // The chain line falls with replacements, the slot line stays flat.
      const ys = await page.$$eval('#relink svg polyline.series', (ps) => ps.map((p) => (p.getAttribute('points') ?? '').trim().split(/\s+/).map((xy) => Number(xy.split(',')[1]))));
      expect(ys[0]!.at(-1)! - ys[0]![0]!).toBeGreaterThan(200);
      expect(Math.abs(ys[1]!.at(-1)! - ys[1]![0]!)).toBeLessThan(2);
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });

  it('saves a screenshot of the page with a failing cell open', async () => {
    const o = await open(file);
    try {
      await o.page.click('a.cell[data-id="mips-gcc"]');
      await o.page.waitForSelector('#cell-mips-gcc', { state: 'visible' });
      const out = artifact('html-report.png');
      rmSync(out, { force: true });
      await o.page.screenshot({ path: out, fullPage: true });
      const png = readFileSync(out);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(1280); // IHDR width
      expect(png.readUInt32BE(20)).toBeGreaterThan(1500); // full page: taller than the viewport
      // The dark scheme too: the page follows the reader's preference.
      await o.page.emulateMedia({ colorScheme: 'dark' });
      expect(await o.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe('rgb(13, 17, 23)');
      // Links stay readable on the dark background (not the default dark blue).
      expect(await o.page.$eval('#cell-mips-gcc dd a', (a) => getComputedStyle(a).color)).toBe('rgb(68, 147, 248)');
      await o.page.screenshot({ path: artifact('html-report-dark.png'), fullPage: true });
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });
});

// ---- the report of a real run: the CLI on a tiny matrix ----

describe('index.html of a real `matrix run`, in headless Chromium', () => {
  let ws: Workspace;
  let run: CliResult;
  let status: ReturnType<typeof readStatus>;

  beforeAll(async () => {
    ws = makeWorkspace('matrix-html-run-');
    const gccOnly = TOOLCHAINS_YAML.slice(0, TOOLCHAINS_YAML.indexOf('  llvm:'));
    const tap = `      - name: tests
        run: [bin/prog]
        format: tap
`;
    ws.writeMatrix(`version: 1
defaults: { timeout: 60, retries: 0, log_limit: 65536 }
${ARCHES_YAML}
${gccOnly}
targets:
${makeTarget('good', tap)}
${makeTarget('segv', tap)}
`);
    run = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--jobs', '2']);
    status = readStatus(ws);
  }, 240_000);

  afterAll(() => ws?.cleanup());

  it('ran: two targets on x86_64 and aarch64 with gcc, segv failing', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    expect(status.cells.map((c) => `${c.id}=${c.status}`).sort()).toEqual([
      'good-aarch64-gcc=pass', 'good-x86_64-gcc=pass', 'segv-aarch64-gcc=fail', 'segv-x86_64-gcc=fail',
    ]);
  });

  it('shows the grid and, on a click, the segv cell with SIGSEGV and its reproducer', async () => {
    const o = await open(join(ws.reportsDir, 'index.html'));
    try {
      const { page } = o;
      // One grid per target, each x86_64 and aarch64 by gcc.
      expect(await page.$$eval('table.grid', (ts) => ts.map((t) => (t as HTMLElement).dataset.target))).toEqual(['good', 'segv']);
      for (const target of ['good', 'segv']) {
        const table = `table.grid[data-target="${target}"]`;
        expect(await page.$$eval(`${table} thead th`, (ths) => ths.map((t) => t.textContent))).toEqual(['arch', 'gcc']);
        expect(await page.$$eval(`${table} tbody th`, (ths) => ths.map((t) => t.textContent))).toEqual(['x86_64', 'aarch64']);
      }
      const cells = await page.$$eval('a.cell', (as) => as.map((a) => `${a.dataset.id}=${a.className.replace('cell s-', '')}`));
      expect(cells.sort()).toEqual(status.cells.map((c) => `${c.id}=${c.status}`).sort());
      expect((await page.innerText('a.cell[data-id="segv-aarch64-gcc"]')).trim()).toBe('❌ FAIL at tests (SIGSEGV)');

      // Both segv cells crash the same way: one shared cause, its count said once.
      const groups = (await page.innerText('#groups li')).replace(/\s+/g, ' ');
      expect(groups).toMatch(/^2 cells, [^:]*: ❌ fail at tests crashed with SIGSEGV/);
      expect(groups).not.toMatch(/cells.*cells/);
      const segv = status.cells.find((c) => c.id === 'segv-aarch64-gcc')!;
      await page.click('a.cell[data-id="segv-aarch64-gcc"]');
      const detail = page.locator('article.detail[data-id="segv-aarch64-gcc"]');
      await detail.waitFor({ state: 'visible' });
      const text = await detail.innerText();
      expect(text).toContain('SIGSEGV');
      expect(await detail.locator('pre.first-error').innerText()).toMatch(/crashed with SIGSEGV: only 1 of 3 planned tests ran/);
      expect(await detail.locator('pre.repro').innerText()).toBe(segv.reproducer);
      expect(segv.reproducer).toMatch(/qemu-aarch64 -L \/usr\/aarch64-linux-gnu .*bin\/prog$/);
      expect(await detail.locator('dl').innerText()).toMatch(/compiler\s+aarch64-linux-gnu-gcc/);
      // The excerpt of the real log: the TAP the program printed before it crashed.
      expect(await detail.locator('tr.st-fail + tr.excerpt pre.excerpt').innerText()).toContain('ok 1 - first');
      // The crash left 2 of the 3 planned tests unrun: counted against the plan.
      expect(await detail.locator('tr.st-fail').innerText()).toMatch(/\b1\/3 ok\b/);
      expect(o.problems).toEqual([]);
      expect(await o.csp()).toEqual([]);
      await page.screenshot({ path: artifact('html-report-real-run.png'), fullPage: true });
    } finally {
      await o.close();
    }
  });
});

// ---- 1,000 cells: the engine benchmark's synthetic matrix, through the real reporter ----

describe('index.html of 1,000 cells, in headless Chromium', () => {
  const R = syntheticResults({ arches: 50, toolchains: 20 });
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'matrix-html-1000-'));
    file = (await writeReports(R, dir, ['html']))[0]!;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads and renders all 1,000 cells with no console errors (prints the load time)', async () => {
    expect(R.cells).toHaveLength(1000);
    const load = await measurePageLoad(browser, file);
    // The figure, not a target: docs/performance.md takes its number from `npm run bench:engine`.
    process.stdout.write(
      `index.html, ${R.cells.length} cells, ${(statSync(file).size / 2 ** 20).toFixed(2)} MB: load event ${load.loadMs.toFixed(0)} ms, ` +
        `grid rendered ${load.gridRenderedMs.toFixed(0)} ms, DOMContentLoaded ${load.domContentLoadedMs.toFixed(0)} ms\n`,
    );
    expect(load.problems).toEqual([]);
    expect(load.cells).toBe(1000);
    expect(load.shown).toBe('1000 of 1000 cells shown');
    expect(load.domContentLoadedMs).toBeLessThanOrEqual(load.loadMs);
    // A sanity bound only: a page that takes this long is broken, not slow.
    expect(load.gridRenderedMs).toBeLessThan(30_000);
  });

  it('has the 50 x 20 grid in matrix order, every cell with its status, and opens a failing cell with its failed tests', async () => {
    const o = await open(file);
    try {
      const { page } = o;
      const arches = uniqueArches(R);
      expect(await page.$$eval('table.grid tbody th', (ths) => ths.map((t) => t.textContent))).toEqual(arches);
      expect(await page.$$eval('table.grid thead th', (ths) => ths.length)).toBe(21);
      const cells = await page.$$eval('a.cell', (as) => as.map((a) => `${a.dataset.id}=${a.className}`));
      expect(cells).toEqual(R.cells.map((c) => `${c.id}=cell s-${c.status}`));
      const failing = R.cells.filter((c) => c.status === 'fail');
      expect(failing.length).toBeGreaterThan(5);
      // A cell with failed unit tests: its detail names them, with their messages.
      const unit = failing.find((c) => c.stage === 'unit')!;
      await page.click(`a.cell[data-id="${unit.id}"]`);
      const detail = page.locator(`article.detail[data-id="${unit.id}"]`);
      await detail.waitFor({ state: 'visible' });
      expect(await detail.locator('tr.test-fail').allInnerTexts()).toEqual(['❌ unit case 19\nunit case 19: expected 0x19, got 0x0', '❌ unit case 20\nunit case 20: expected 0x20, got 0x0']);
      expect(await detail.locator('tr.st-fail').innerText()).toMatch(/\b18\/20 ok\b/);
      // The status filter narrows 1,000 cells to the failing ones.
      for (const s of ['pass', 'xfail', 'skip']) await page.uncheck(`[data-filter="status"] input[value="${s}"]`);
      expect(await page.textContent('#shown')).toBe(`${failing.length} of 1000 cells shown`);
      expect(await o.csp()).toEqual([]);
      expect(o.problems).toEqual([]);
    } finally {
      await o.close();
    }
  });
});

function uniqueArches(r: RunResults): string[] {
  return [...new Set(r.cells.map((c) => c.arch))];
}
