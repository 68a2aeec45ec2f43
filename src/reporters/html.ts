// index.html: one self-contained page (inline CSS, JS and SVG; a CSP that forbids any
// network access). The grid, details and charts are rendered here, so the page reads
// fine without JavaScript (cells link to their details through #anchors and :target);
// the script only adds the filters and the selection highlight, from the embedded JSON.
import { createHash } from 'node:crypto';
import { readRelink, readSmc } from '../results/extras.js';
import type { RelinkExtras, SmcExtras } from '../results/extras.js';
import type { CellResult, CellStatus, RunResults } from '../results/types.js';
import {
  STAGE_ICON, STATUS_ICON, STATUS_ORDER, buildGrids, cellFirstError, cellLog, cleanText, formatDate, formatDuration, hostLine,
  oneLine, statusLabel, summaryLine, uniqueInOrder, versionPairs,
} from './common.js';
import { buildCoverage, hasAxes } from './coverage.js';
import { cellHistory, excludedBy, historyPhrases, rootCauses, runHistory } from './insights.js';

const HTML_SPECIAL = /[&<>"']/;

/** Text or attribute value for HTML. */
export function htmlEscape(s: string): string {
  const clean = cleanText(s);
  if (!HTML_SPECIAL.test(clean)) return clean;
  return clean
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const h = htmlEscape;

/** JSON that can sit inside <script>: no `</script>`, `<!--`, or JS line terminators. */
export function scriptJson(value: unknown): string {
  // One pass over the (large: the whole results) JSON instead of five.
  return JSON.stringify(value).replace(SCRIPT_UNSAFE, (c) => SCRIPT_ESCAPES[c]!);
}
const SCRIPT_UNSAFE = /[<>&\u2028\u2029]/g;
const SCRIPT_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** href for a log path or link: relative paths and http(s) only (no javascript: etc.). */
function safeHref(url: string): string | undefined {
  const u = oneLine(url);
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) && !/^https?:/i.test(u)) return undefined;
  return encodeURI(u).replace(/[#?]/g, (c) => encodeURIComponent(c));
}

function link(text: string, url: string): string {
  const href = safeHref(url);
  return href ? `<a href="${h(href)}">${h(text)}</a>` : h(text);
}

/** Unique, HTML-id-safe anchors for every cell. */
function anchors(cells: CellResult[]): Map<CellResult, string> {
  const used = new Set<string>();
  const out = new Map<CellResult, string>();
  for (const c of cells) {
    const base = `cell-${c.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    let a = base;
    for (let i = 2; used.has(a); i++) a = `${base}-${i}`;
    used.add(a);
    out.set(c, a);
  }
  return out;
}


function renderGrids(results: RunResults, anchor: Map<CellResult, string>): string {
  const grids = buildGrids(results);
  if (grids.length === 0) return '<p class="empty">No cells ran.</p>';
  return grids
    .map((g) => {
      const title = grids.length > 1 ? `<h2>Target <code>${h(g.target)}</code></h2>\n` : '';
      const head = `<tr><th scope="col">arch</th>${g.toolchains.map((t) => `<th scope="col" data-col="${h(t)}">${h(t)}</th>`).join('')}</tr>`;
      const rows = g.arches.map((arch) => {
        const tds = g.toolchains.map((t) => {
          const cell = g.at(arch, t);
          if (!cell) return `<td data-col="${h(t)}"><span class="cell none" title="not in this run">—</span></td>`;
          const excluded = excludedBy(cell);
          if (excluded) {
            const why = excluded === 'shard' ? 'in another shard' : 'not selected in this run';
            return `<td data-col="${h(t)}"><span class="cell none" title="${h(`${cell.id}: ${why}`)}">— not selected</span></td>`;
          }
          const hist = cellHistory(results, cell);
          const change = hist?.change;
          const mark = change === 'new-failure' ? '<span class="change new">new</span>' : change === 'fixed' ? '<span class="change fixed">fixed</span>' : '';
          // A cell that has been red for several runs says so in the grid: that is what triage reads first.
          const streak = hist && hist.streak > 1 && cell.status !== 'pass' ? `<span class="streak">${hist.streak} runs</span>` : '';
          const past = hist ? `; ${historyPhrases(hist, formatDate).join('; ')}` : '';
          const title = `${cell.id}: ${statusLabel(cell)}${cell.cached ? ' (cached)' : ''}${past}`;
          return (
            `<td data-col="${h(t)}"><a class="cell s-${cell.status}" href="#${anchor.get(cell)}" data-id="${h(cell.id)}" title="${h(title)}">` +
            `${h(statusLabel(cell))}${mark}${streak}${cell.cached ? '<span class="cached" aria-label="cached">·</span>' : ''}</a></td>`
          );
        });
        return `<tr data-arch="${h(arch)}"><th scope="row">${h(arch)}</th>${tds.join('')}</tr>`;
      });
      return `${title}<table class="grid" data-target="${h(g.target)}">\n<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
    })
    .join('\n');
}

/** Arch x CPU variant by toolchain x version: how each cell ran and its status (see coverage.ts). */
function renderCoverage(results: RunResults, anchor: Map<CellResult, string>): string {
  if (!hasAxes(results)) return '';
  const tables = buildCoverage(results);
  const body = tables.map((cov) => {
    const title = tables.length > 1 ? `<h3>Target <code>${h(cov.target)}</code></h3>\n` : '';
    const head = `<tr><th scope="col">arch</th><th scope="col">CPU variant</th>${cov.columns.map((c) => `<th scope="col">${h(c.cellToolchain)}${c.printed ? `<br><span class="muted">${h(c.printed)}</span>` : ''}</th>`).join('')}</tr>`;
    const rows = cov.rows.map((row) => {
      const tds = cov.columns.map((col) => {
        const e = cov.at(row, col);
        if (!e) return '<td>—</td>';
        const note = e.cell.axes?.runnerNote ? `: ${e.cell.axes.runnerNote}` : '';
        return `<td><a class="cell s-${e.status}" href="#${anchor.get(e.cell)}" data-id="${h(e.cell.id)}" title="${h(`${e.cell.id}: ${statusLabel(e.cell)}, ${e.how}${note}`)}">${h(`${STATUS_ICON[e.status]} ${e.how}`)}</a></td>`;
      });
      return `<tr><th scope="row">${h(row.arch)}</th><td>${row.variant ? h(row.variant) : '<span class="muted">default</span>'}</td>${tds.join('')}</tr>`;
    });
    const c = cov.counts;
    const notes = cov.notes.map((n) => `<li>${h(n.note)}: ${n.cells.map((id) => `<code>${h(id)}</code>`).join(', ')}</li>`).join('');
    return `${title}<table class="grid coverage">\n<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>\n<p class="muted">${c.native} native, ${c.qemu} under qemu, ${c['build only']} built only, ${c['not run']} not run.</p>${notes ? `\n<ul class="notes">${notes}</ul>` : ''}`;
  });
  return `<section id="coverage">\n<h2>Coverage: how each cell ran</h2>\n${body.join('\n')}\n</section>`;
}

function renderStages(cell: CellResult): string {
  if (cell.stages.length === 0) return '<p class="muted">No stage ran.</p>';
  const rows = cell.stages.map((s) => {
    const exit = s.signal ?? (s.exitCode !== undefined ? `exit ${s.exitCode}` : '');
    const attempts = s.attempts && s.attempts > 1 ? ` (${s.attempts} attempts)` : '';
    const log = s.log ? `${link(s.log, s.log)}${s.logTruncated ? ' <span class="muted">(truncated)</span>' : ''}` : '';
    const tests = s.tests ?? [];
    const bad = tests.filter((t) => !t.ok && !t.skipped && !t.todo);
    // Out of the plan, when the program announced one: a crash leaves tests unrun.
    const ran = s.testCounts?.total ?? tests.length;
    const failed = s.testCounts?.failed ?? bad.length;
    const planned = Math.max(ran, s.testsPlanned ?? 0);
    const testCell = planned ? `${ran - failed}/${planned} ok` : '';
    const row =
      `<tr class="st-${s.status}"><td>${h(s.name)}</td><td>${h(s.kind)}</td><td>${STAGE_ICON[s.status]} ${h(s.status)}${h(attempts)}</td>` +
      `<td class="num">${h(formatDuration(s.durationMs))}</td><td>${h(exit)}</td><td>${h(testCell)}</td><td>${log}</td></tr>`;
    const badRows = bad.map(
      (t) => `<tr class="test-fail"><td colspan="7">❌ <code>${h(t.name)}</code>${t.message ? `<pre>${h(t.message)}</pre>` : ''}</td></tr>`,
    );
    const first = s.firstError && s.firstError !== cellFirstError(cell) ? [`<tr><td colspan="7"><pre>${h(s.firstError)}</pre></td></tr>`] : [];
    // The tail of a non-passing stage's log, so the cause reads without opening the log file.
    const excerpt =
      typeof s.excerpt === 'string' && s.status !== 'pass' && s.excerpt.trim()
        ? [`<tr class="excerpt"><td colspan="7"><div class="muted">Last lines of the <code>${h(s.name)}</code> log</div><pre class="excerpt">${h(s.excerpt)}</pre></td></tr>`]
        : [];
    return [row, ...first, ...badRows, ...excerpt].join('\n');
  });
  return (
    '<table class="stages">\n<thead><tr><th>stage</th><th>kind</th><th>status</th><th>time</th><th>exit</th><th>tests</th><th>log</th></tr></thead>\n' +
    `<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`
  );
}

function renderDetail(results: RunResults, cell: CellResult, anchor: string, showTarget: boolean): string {
  const dl: Array<[string, string]> = [['cell', `<code>${h(cell.id)}</code>`], ['status', `${STATUS_ICON[cell.status]} ${h(cell.status)}${cell.cached ? ' (from cache)' : ''}`]];
  if (cell.stage) dl.push(['stage', `<code>${h(cell.stage)}</code>`]);
  if (cell.signal) dl.push(['signal', `<code>${h(cell.signal)}</code>`]);
  if (cell.reason) dl.push([cell.status === 'skip' ? 'why skipped' : 'reason', h(cell.reason)]);
  if (cell.link) dl.push(['link', link(cell.link, cell.link)]);
  if (cell.install) dl.push(['install', `<code>${h(cell.install)}</code>`]);
  if (cell.attempts > 1 || cell.status === 'flaky') dl.push(['attempts', String(cell.attempts)]);
  const hist = cellHistory(results, cell);
  if (hist) dl.push(['history', h(historyPhrases(hist, formatDate).join('; '))]);
  if (hist?.changedSince) dl.push(['changed since the last good run', h(hist.changedSince.join('; '))]);
  if (cell.changedFiles?.length) dl.push(['files changed since the last good run', cell.changedFiles.map((f) => `<code>${h(f)}</code>`).join(', ')]);
  for (const [k, v] of versionPairs(cell)) dl.push([k, h(v)]);
  dl.push(['runner', h(cell.runner)], ['duration', h(formatDuration(cell.durationMs))]);
  const log = cellLog(cell);
  if (log) dl.push(['log', link(log, log)]);
  const first = cellFirstError(cell);
  const parts = [
    `<article class="detail s-${cell.status}" id="${anchor}" data-id="${h(cell.id)}">`,
    `<h3>${h(cell.arch)} / ${h(cell.toolchain)}${showTarget ? ` <span class="muted">(${h(cell.target)})</span>` : ''}: ${h(statusLabel(cell))}</h3>`,
    `<dl>${dl.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('')}</dl>`,
  ];
  if (first) parts.push('<h4>First error</h4>', `<pre class="first-error">${h(first)}</pre>`);
  if (cell.reproducer) {
    parts.push(
      '<h4>Reproducer <button type="button" class="copy" data-copy="repro">copy</button></h4>',
      `<pre class="repro">${h(cell.reproducer)}</pre>`,
    );
  }
  parts.push('<h4>Stages</h4>', renderStages(cell), '</article>');
  return parts.join('\n');
}

function renderGroups(results: RunResults, anchor: Map<CellResult, string>): string {
  const groups = rootCauses(results).filter((g) => g.cells.length > 1);
  if (groups.length === 0) return '';
  const byId = new Map(results.cells.map((c) => [c.id, c]));
  const items = groups.map((g) => {
    const cells = g.cells.map((id) => {
      const c = byId.get(id);
      const a = c && anchor.get(c);
      return a ? `<a href="#${a}"><code>${h(id)}</code></a>` : `<code>${h(id)}</code>`;
    });
    // Descriptions from the grouper already start with the count ("4 cells, every llvm cell..."): say it once.
    const description = g.description.replace(/^\s*\d+ cells?\b[\s,:]*/, '');
    const what = description ? `, ${h(description)}` : '';
    return (
      `<li><strong>${g.cells.length} cells</strong>${what}: ${STATUS_ICON[g.status] ?? ''} ${h(g.status)} at <code>${h(g.stage)}</code>` +
      `<pre>${h(g.example)}</pre>${cells.join(', ')}</li>`
    );
  });
  return `<section id="groups">\n<h2>Shared causes</h2>\n<ul>\n${items.join('\n')}\n</ul>\n</section>`;
}

function renderRunHistory(results: RunResults): string {
  const hist = runHistory(results);
  if (!hist) return '';
  const list = (ids: string[]): string => ids.map((id) => `<code>${h(id)}</code>`).join(', ');
  let text = `History: ${hist.runs} run${hist.runs === 1 ? '' : 's'}`;
  if (hist.previousRun) {
    const nf = hist.newFailures.length ? `<strong>${hist.newFailures.length} new failure${hist.newFailures.length === 1 ? '' : 's'}</strong> (${list(hist.newFailures)})` : 'no new failures';
    const fx = hist.fixed.length ? `${hist.fixed.length} fixed (${list(hist.fixed)})` : 'none fixed';
    text = `${h(text)}; ${nf}, ${fx} since the previous run (${h(formatDate(hist.previousRun))})`;
  } else text = h(text);
  return `<p class="meta">${text}</p>`;
}

// ---- charts ---------------------------------------------------------------

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Round number formatting for axis ticks and labels. */
function fmt(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 100) return String(Math.round(n));
  if (a >= 10) return n.toFixed(1).replace(/\.0$/, '');
  return n.toPrecision(3).replace(/\.?0+$/, '');
}

/** 0, step, 2*step... covering max with about `count` intervals of 1/2/5 x 10^k. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let i = 0; i * step < max + step * 1e-9 || ticks.length < 2; i++) ticks.push(Number((i * step).toPrecision(12)));
  if ((ticks.at(-1) ?? 0) < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();

export function smcChart(smc: SmcExtras): string {
  const rowH = 22;
  const labelW = 230;
  const valueW = 170;
  const plotW = 420;
  const top = 28;
  const n = smc.strategies.length;
  const height = top + n * rowH + 30;
  const width = labelW + plotW + valueW;
  const maxRatio = Math.max(1, ...smc.strategies.map((s) => (s.skipped ? 0 : (s.ratioToPlain ?? 0))));
  const ticks = niceTicks(maxRatio, 4);
  const xMax = ticks.at(-1) ?? maxRatio;
  const x = (v: number): number => labelW + (v / xMax) * plotW;
  const out: string[] = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="smc-title">`,
    '<title id="smc-title">SMC strategies: time per call relative to plain (lower is faster)</title>',
  ];
  for (const t of ticks) {
    out.push(`<line class="gridline" x1="${r1(x(t))}" y1="${top - 6}" x2="${r1(x(t))}" y2="${top + n * rowH}"/>`);
    out.push(`<text class="tick" x="${r1(x(t))}" y="${top + n * rowH + 16}" text-anchor="middle">${fmt(t)}×</text>`);
  }
  smc.strategies.forEach((s, i) => {
    const y = top + i * rowH;
    out.push(`<text class="label" x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${h(s.name)}</text>`);
    if (s.skipped || s.ratioToPlain === undefined) {
      const why = s.skipped ? `skipped${s.reason ? `: ${s.reason}` : ''}` : 'no data';
      // Right of the dashed `plain` line, so the two do not cross.
      out.push(`<text class="skipped" x="${r1(x(1) + 6)}" y="${y + rowH / 2 + 4}">${h(why)}</text>`);
      return;
    }
    const r = s.ratioToPlain;
    const cls = r < 0.95 ? 'better' : r > 1.05 ? 'worse' : 'same';
    const w = Math.max(1, x(r) - labelW);
    const ticksText = s.ticksPerCall !== undefined ? ` · ${Math.round(s.ticksPerCall)} ticks` : '';
    out.push(
      `<rect class="bar ${cls}" x="${labelW}" y="${y + 3}" width="${r1(w)}" height="${rowH - 6}"><title>${h(`${s.name}: ${fmt(r)}× plain${ticksText}`)}</title></rect>`,
      `<text class="value" x="${r1(labelW + plotW + 6)}" y="${y + rowH / 2 + 4}">${h(`${r.toFixed(2)}×${ticksText}`)}</text>`,
    );
  });
  out.push(`<line class="ref" x1="${r1(x(1))}" y1="${top - 10}" x2="${r1(x(1))}" y2="${top + n * rowH}"/>`);
  out.push(`<text class="tick" x="${r1(x(1))}" y="${top - 14}" text-anchor="middle">plain</text>`);
  out.push('</svg>');
  return out.join('\n');
}

export function relinkChart(relink: RelinkExtras): string {
  const width = 760;
  const height = 360;
  const m = { l: 64, r: 170, t: 16, b: 46 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const all = relink.modes.flatMap((mo) => mo.points);
  const xt = niceTicks(Math.max(...all.map((p) => p.replacements)), 6);
  const yt = niceTicks(Math.max(...all.map((p) => p.mcallsPerSec)), 5);
  const xMax = xt.at(-1) ?? 1;
  const yMax = yt.at(-1) ?? 1;
  const x = (v: number): number => m.l + (v / xMax) * pw;
  const y = (v: number): number => m.t + ph - (v / yMax) * ph;
  const out: string[] = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="relink-title">`,
    '<title id="relink-title">Call throughput (million calls per second) against the number of replacements, per mode</title>',
  ];
  for (const t of yt) {
    out.push(`<line class="gridline" x1="${m.l}" y1="${r1(y(t))}" x2="${m.l + pw}" y2="${r1(y(t))}"/>`);
    out.push(`<text class="tick" x="${m.l - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of xt) out.push(`<text class="tick" x="${r1(x(t))}" y="${m.t + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  out.push(`<line class="axis" x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}"/>`);
  out.push(`<line class="axis" x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}"/>`);
  out.push(`<text class="axis-label" x="${m.l + pw / 2}" y="${height - 8}" text-anchor="middle">replacements</text>`);
  out.push(`<text class="axis-label" transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">Mcalls/s</text>`);
  relink.modes.forEach((mo, i) => {
    const color = PALETTE[i % PALETTE.length] ?? '#333';
    const pts = mo.points.map((p) => `${r1(x(p.replacements))},${r1(y(p.mcallsPerSec))}`).join(' ');
    out.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    for (const p of mo.points) {
      out.push(
        `<circle cx="${r1(x(p.replacements))}" cy="${r1(y(p.mcallsPerSec))}" r="3" fill="${color}"><title>${h(`${mo.mode}: ${p.replacements} replacements, ${fmt(p.mcallsPerSec)} Mcalls/s`)}</title></circle>`,
      );
    }
    const ly = m.t + 10 + i * 20;
    out.push(`<line x1="${m.l + pw + 16}" y1="${ly}" x2="${m.l + pw + 40}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text class="legend" x="${m.l + pw + 46}" y="${ly + 4}">${h(mo.mode)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function renderCharts(results: RunResults): string {
  const parts: string[] = [];
  const smc = readSmc(results.extras?.smc);
  if (smc) {
    const cpu = smc.cpu
      ? Object.entries(smc.cpu)
          .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join(', ')
      : '';
    parts.push(
      '<section id="smc"><h2>SMC benchmark (x86, native)</h2>',
      cpu ? `<p class="muted">CPU: ${h(cpu)}</p>` : '',
      smcChart(smc),
      '</section>',
    );
  } else if (results.extras?.smc !== undefined) {
    parts.push('<section id="smc"><h2>SMC benchmark</h2><p class="muted">The SMC results in this run are malformed: not charted.</p></section>');
  }
  const relink = readRelink(results.extras?.relink);
  if (relink) parts.push('<section id="relink"><h2>Function replacement: call throughput</h2>', relinkChart(relink), '</section>');
  else if (results.extras?.relink !== undefined) {
    parts.push('<section id="relink"><h2>Function replacement</h2><p class="muted">The relink results in this run are malformed: not charted.</p></section>');
  }
  return parts.filter(Boolean).join('\n');
}

// ---- page -----------------------------------------------------------------

const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#667;--line:#d5d9de;--card:#f6f8fa;
--pass:#dafbe1;--fail:#ffd7d5;--xfail:#fff1c2;--xpass:#ffd8b5;--timeout:#e8dcff;--error:#ffd7ef;--skip:#eceff2;--flaky:#d6ecff;
--better:#2da44e;--worse:#cf222e;--same:#8c959f;--link:#0969da;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--card:#161b22;
--pass:#12361f;--fail:#4a1515;--xfail:#3d3212;--xpass:#4a2a10;--timeout:#2c2150;--error:#4a1538;--skip:#22272e;--flaky:#102a45;--link:#4493f8}}
*{box-sizing:border-box}
a{color:var(--link)}
html{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
body{margin:0 auto;padding:16px 24px 48px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}h3{font-size:15px;margin:0 0 8px}h4{margin:14px 0 4px;font-size:13px}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:4px 0;white-space:pre-wrap;word-break:break-word}
.muted,.meta{color:var(--muted)}
.badge{font-size:13px;padding:2px 8px;border-radius:10px;vertical-align:middle;background:var(--pass)}
.badge.incomplete{background:var(--fail);font-weight:700}
[hidden]{display:none!important}
#filters{display:none;flex-wrap:wrap;gap:8px 16px;align-items:flex-start;margin:12px 0}
html.js #filters{display:flex}
#filters fieldset{border:1px solid var(--line);border-radius:6px;padding:4px 8px;margin:0}
#filters legend{font-size:12px;color:var(--muted)}
#filters label{margin-right:8px;white-space:nowrap;cursor:pointer}
#filters button,.copy{font:inherit;font-size:12px;border:1px solid var(--line);background:var(--card);color:var(--fg);border-radius:6px;padding:3px 10px;cursor:pointer}
.copy{display:none;margin-left:8px}html.js .copy{display:inline}
#shown{color:var(--muted);align-self:center}
table{border-collapse:collapse}
.grid th,.grid td{border:1px solid var(--line);padding:0}
.grid th{padding:6px 10px;background:var(--card);text-align:left}
.cell{display:block;padding:6px 10px;color:inherit;text-decoration:none;white-space:nowrap;min-width:150px}
a.cell:hover,a.cell:focus{outline:2px solid var(--fg);outline-offset:-2px}
a.cell.selected{outline:3px solid var(--fg);outline-offset:-3px}
a.cell.filtered{opacity:.15}
.cached{margin-left:4px;color:var(--muted)}
.change{margin-left:6px;font-size:11px;font-weight:700;padding:0 5px;border-radius:8px;border:1px solid currentColor}
.change.new{color:var(--worse)}.change.fixed{color:var(--better)}
.streak{margin-left:6px;font-size:11px;color:var(--muted)}
span.cell.none{color:var(--muted)}
#groups li{margin-bottom:8px}
.s-pass{background:var(--pass)}.s-fail{background:var(--fail)}.s-xfail{background:var(--xfail)}.s-xpass{background:var(--xpass)}
.s-timeout{background:var(--timeout)}.s-error{background:var(--error)}.s-skip{background:var(--skip)}.s-flaky{background:var(--flaky)}
.detail{display:none;border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:12px 14px;margin:8px 0;background:var(--bg)}
.detail:target,.detail.open{display:block}
.detail.s-pass{border-left-color:var(--better)}.detail.s-fail,.detail.s-xpass,.detail.s-timeout,.detail.s-error{border-left-color:var(--worse)}
#details:has(.detail:target) .hint{display:none}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dt{color:var(--muted)}dd{margin:0}
.stages th,.stages td{border-bottom:1px solid var(--line);padding:3px 10px 3px 0;text-align:left;vertical-align:top}
.stages .num{text-align:right}
.stages tr.st-fail td,.stages tr.st-timeout td,.stages tr.st-error td{font-weight:600}
pre.excerpt{max-height:24em;overflow:auto}
.chart{max-width:100%;height:auto;font:12px system-ui,sans-serif}
.chart text{fill:var(--fg)}.chart .tick,.chart .skipped{fill:var(--muted)}
.chart .gridline{stroke:var(--line);stroke-width:1}.chart .axis{stroke:var(--muted)}
.chart .ref{stroke:var(--fg);stroke-dasharray:4 3}
.bar.better{fill:var(--better)}.bar.worse{fill:var(--worse)}.bar.same{fill:var(--same)}
`;

const JS = `
(function () {
  'use strict';
  var doc = document;
  doc.documentElement.classList.add('js');
  var data = JSON.parse(doc.getElementById('matrix-results').textContent);
  var byId = new Map();
  data.cells.forEach(function (c) { byId.set(c.id, c); });

  function checked(name) {
    var set = new Set();
    doc.querySelectorAll('#filters [data-filter="' + name + '"] input').forEach(function (i) {
      if (i.checked) set.add(i.value);
    });
    return set;
  }

  function apply() {
    var st = checked('status'), ar = checked('arch'), tc = checked('toolchain');
    doc.querySelectorAll('tr[data-arch]').forEach(function (tr) { tr.hidden = !ar.has(tr.dataset.arch); });
    doc.querySelectorAll('[data-col]').forEach(function (el) { el.hidden = !tc.has(el.dataset.col); });
    var shown = 0;
    doc.querySelectorAll('a.cell').forEach(function (a) {
      var c = byId.get(a.dataset.id);
      var ok = !!c && st.has(c.status) && ar.has(c.arch) && tc.has(c.toolchain);
      a.classList.toggle('filtered', !ok);
      // The coverage view repeats the grid's cells: count each cell once, in the grid.
      if (ok && a.closest('#grid')) shown++;
    });
    var out = doc.getElementById('shown');
    // Cells of other shards or left out by a filter are not links: they do not count.
    if (out) out.textContent = shown + ' of ' + doc.querySelectorAll('#grid a.cell').length + ' cells shown';
  }

  function select() {
    var id = '';
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { id = ''; }
    doc.querySelectorAll('a.cell').forEach(function (a) {
      a.classList.toggle('selected', a.getAttribute('href') === '#' + id);
    });
    doc.querySelectorAll('.detail').forEach(function (d) { d.classList.toggle('open', d.id === id); });
  }

  doc.querySelectorAll('#filters input').forEach(function (i) { i.addEventListener('change', apply); });
  var reset = doc.getElementById('reset');
  if (reset) reset.addEventListener('click', function () {
    doc.querySelectorAll('#filters input').forEach(function (i) { i.checked = true; });
    apply();
  });
  doc.querySelectorAll('button.copy').forEach(function (b) {
    b.addEventListener('click', function () {
      var pre = b.closest('.detail').querySelector('pre.repro');
      var text = pre ? pre.textContent : '';
      var done = function (msg) { b.textContent = msg; setTimeout(function () { b.textContent = 'copy'; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done('copied'); }, function () { done('copy failed'); });
      } else {
        done('copy unavailable');
      }
    });
  });
  window.addEventListener('hashchange', select);
  window.matrixResults = data;
  apply();
  select();
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function filterGroup(name: string, legend: string, values: Array<[string, string]>): string {
  const inputs = values.map(([v, label]) => `<label><input type="checkbox" value="${h(v)}" checked> ${h(label)}</label>`);
  return `<fieldset data-filter="${name}"><legend>${h(legend)}</legend>${inputs.join('')}</fieldset>`;
}

/** The whole index.html. */
export function renderHtml(results: RunResults): string {
  const cells = results.cells;
  const anchor = anchors(cells);
  const showTarget = new Set(cells.map((c) => c.target)).size > 1;
  const present = new Set(cells.map((c) => c.status));
  const statuses: Array<[string, string]> = STATUS_ORDER.filter((s) => present.has(s)).map((s: CellStatus) => [
    s,
    `${STATUS_ICON[s]} ${s} (${cells.filter((c) => c.status === s).length})`,
  ]);
  const arches = uniqueInOrder(cells.map((c) => c.arch)).map((a): [string, string] => [a, a]);
  const toolchains = uniqueInOrder(cells.map((c) => c.toolchain)).map((t): [string, string] => [t, t]);
  const unexpected = results.summary.unexpected;
  const title = `matrix status${results.complete ? '' : ' (incomplete)'}: ${unexpected ? `${unexpected} unexpected` : 'all as expected'}`;
  const css = CSS;
  const js = JS;
  const csp = `default-src 'none'; img-src data:; style-src ${sha256(css)}; script-src ${sha256(js)}; base-uri 'none'; form-action 'none'`;
  const badge = results.complete ? '<span class="badge">complete</span>' : '<span class="badge incomplete">INCOMPLETE: some cells did not run</span>';

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${h(csp)}">
<title>${h(title)}</title>
<link rel="icon" href="data:,">
<style>${css}</style>
</head>
<body>
<header>
<h1>Arch status ${badge}</h1>
<p class="meta">${h(formatDate(results.startedAt))} · ${h(formatDuration(results.durationMs))} · matrix ${h(results.tool.version)} · <code>${h(results.matrixFile)}</code> (${h(results.matrixHash.slice(0, 12))})</p>
<p class="meta">Host: ${h(hostLine(results))}</p>
${renderRunHistory(results)}
<p class="summary">${h(summaryLine(results, (s) => `${STATUS_ICON[s]} ${s}`))}; ${unexpected ? `<strong>${unexpected} unexpected</strong>` : 'nothing unexpected'}</p>
</header>
<nav id="filters" aria-label="Filters">
${filterGroup('status', 'Status', statuses)}
${filterGroup('arch', 'Architecture', arches)}
${filterGroup('toolchain', 'Toolchain', toolchains)}
<button type="button" id="reset">Show all</button>
<span id="shown" aria-live="polite"></span>
</nav>
<main>
<section id="grid">
${renderGrids(results, anchor)}
</section>
${renderCoverage(results, anchor)}
${renderGroups(results, anchor)}
<section id="details">
<h2>Details</h2>
<p class="hint muted">Click a cell to see its stages, first error, reproducer, versions and logs.</p>
${cells.map((c) => renderDetail(results, c, anchor.get(c) ?? '', showTarget)).join('\n')}
</section>
${renderCharts(results)}
</main>
<script type="application/json" id="matrix-results">${scriptJson(results)}</script>
<script>${js}</script>
</body>
</html>
`;
}
