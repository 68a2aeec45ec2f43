// status.md: the arch status table a person reads first (and CI pastes into the job
// summary): a header, one grid per target, then a section per cell that needs a look.
import { readSmc } from '../results/extras.js';
import { buildCoverage, hasAxes } from './coverage.js';
import { cellHistory, excludedBy, historyPhrases, rootCauses, runHistory } from './insights.js';
import type { CellResult, RunResults, StageResult } from '../results/types.js';
import {
  STAGE_ICON, STATUS_ICON, buildGrids, cellFirstError, cellLog, cleanText, formatDate, formatDuration, hostLine, needsDetails,
  oneLine, statusLabel, summaryLine, versionPairs,
} from './common.js';

/** Inline Markdown text: nothing in it can become markup, a table break or an HTML tag. */
export function mdText(s: string): string {
  return oneLine(s)
    .replace(/[\\`*[\]|~]/g, (c) => `\\${c}`)
    // `_` only emphasises at word edges: x86_64 stays readable in the raw file.
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Inline code span around any text, on one line; `inTable` also escapes `|` (GFM tables). */
export function mdCode(s: string, inTable = false): string {
  let text = oneLine(s);
  if (inTable) text = text.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A fenced code block that no content can close early. */
export function mdBlock(s: string, lang = ''): string {
  const text = cleanText(s).replace(/\r\n?/g, '\n').replace(/\n+$/, '');
  const longest = Math.max(0, ...[...text.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

/** An autolink-free link: `[text](url)` with the URL's parentheses and spaces escaped. */
function mdLink(text: string, url: string): string {
  const safe = oneLine(url).replace(/[()\s<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${mdText(text)}](${safe})`;
}

function gridCell(results: RunResults, cell: CellResult | undefined): string {
  if (!cell) return '—';
  const excluded = excludedBy(cell);
  if (excluded) return `— not selected${excluded === 'shard' ? ' (other shard)' : ''}`;
  const change = cellHistory(results, cell)?.change;
  const mark = change === 'new-failure' ? ' 🆕' : change === 'fixed' ? ' 🩹' : '';
  const label = mdText(statusLabel(cell)) + mark;
  return cell.cached ? `${label} ·` : label;
}

function renderGrid(lines: string[], results: RunResults): void {
  const grids = buildGrids(results);
  for (const grid of grids) {
    if (grids.length > 1) lines.push(`### Target ${mdCode(grid.target)}`, '');
    lines.push(`| arch | ${grid.toolchains.map(mdText).join(' | ')} |`);
    lines.push(`| --- | ${grid.toolchains.map(() => '---').join(' | ')} |`);
    for (const arch of grid.arches) {
      lines.push(`| **${mdText(arch)}** | ${grid.toolchains.map((t) => gridCell(results, grid.at(arch, t))).join(' | ')} |`);
    }
    lines.push('');
  }
  const legend: string[] = [];
  if (results.cells.some((c) => c.cached)) legend.push('· result reused from the cache (inputs unchanged)');
  const changes = results.cells.map((c) => cellHistory(results, c)?.change);
  if (changes.includes('new-failure')) legend.push('🆕 new failure since the previous run');
  if (changes.includes('fixed')) legend.push('🩹 fixed since the previous run');
  if (legend.length) lines.push(`${legend.join('; ')}.`, '');
}

function stageRow(stage: StageResult): string {
  const icon = STAGE_ICON[stage.status];
  const exit = stage.signal ? stage.signal : stage.exitCode !== undefined ? `exit ${stage.exitCode}` : '';
  const attempts = stage.attempts && stage.attempts > 1 ? ` (${stage.attempts} attempts)` : '';
  const log = stage.log ? mdCode(stage.log, true) + (stage.logTruncated ? ' (truncated)' : '') : '';
  return `| ${mdText(stage.name)} | ${icon} ${stage.status}${attempts} | ${formatDuration(stage.durationMs)} | ${mdText(exit)} | ${log} |`;
}

function failingTests(stage: StageResult): string[] {
  const bad = (stage.tests ?? []).filter((t) => !t.ok && !t.skipped && !t.todo);
  return bad.map((t) => `  - ${mdCode(t.name)}${t.message ? `: ${mdCode(t.message)}` : ''}`);
}

function renderDetails(lines: string[], results: RunResults, cell: CellResult, showTarget: boolean): void {
  const target = showTarget ? ` (${mdText(cell.target)})` : '';
  lines.push(`### ${mdText(`${cell.arch} / ${cell.toolchain}`)}${target}: ${mdText(statusLabel(cell))}`, '');
  const item = (label: string, value: string): void => {
    lines.push(`- **${label}:** ${value}`);
  };
  item('Cell', mdCode(cell.id));
  item('Status', `${STATUS_ICON[cell.status]} ${cell.status}${cell.cached ? ' (from cache)' : ''}`);
  if (cell.stage) item('Stage', mdCode(cell.stage));
  if (cell.signal) item('Signal', mdCode(cell.signal));
  if (cell.reason) item(cell.status === 'skip' ? 'Why skipped' : 'Reason', mdText(cell.reason));
  if (cell.link) item('Link', mdLink(cell.link, cell.link));
  if (cell.install) item('Install', mdCode(cell.install));
  if (cell.attempts > 1 || cell.status === 'flaky') item('Attempts', String(cell.attempts));
  const hist = cellHistory(results, cell);
  if (hist) item('History', mdText(historyPhrases(hist, formatDate).join('; ')));
  if (hist?.changedSince) item('Changed since the last good run', mdText(hist.changedSince.join('; ')));
  if (cell.changedFiles?.length) item('Files changed since the last good run', cell.changedFiles.map((f) => mdCode(f)).join(', '));
  const versions = versionPairs(cell);
  if (versions.length) item('Versions', versions.map(([k, v]) => `${k} ${mdCode(v)}`).join(', '));
  item('Runner', cell.runner);
  item('Duration', formatDuration(cell.durationMs));
  const log = cellLog(cell);
  if (log) item('Log', mdCode(log));
  const first = cellFirstError(cell);
  if (first) lines.push('', '**First error:**', '', mdBlock(first));
  const tests = cell.stages.flatMap((s) => {
    const bad = failingTests(s);
    return bad.length ? [`- in ${mdCode(s.name)}:`, ...bad] : [];
  });
  if (tests.length) lines.push('', '**Failing tests:**', '', ...tests);
  if (cell.reproducer) lines.push('', '**Reproducer:**', '', mdBlock(cell.reproducer, 'sh'));
  if (cell.rerun) lines.push('', '**Or through matrix** (both are pasted at the directory of matrix.yaml):', '', mdBlock(cell.rerun, 'sh'));
  if (cell.stages.length) {
    lines.push('', '<details><summary>Stages</summary>', '');
    lines.push('| stage | status | time | exit | log |', '| --- | --- | --- | --- | --- |');
    for (const s of cell.stages) lines.push(stageRow(s));
    lines.push('', '</details>');
  }
  lines.push('');
}

/** Arch x CPU variant by toolchain x version: how each cell ran (native, which qemu CPU, built only) and its status. */
function renderCoverage(lines: string[], results: RunResults): void {
  if (!hasAxes(results)) return;
  const tables = buildCoverage(results);
  lines.push('## Coverage: how each cell ran', '');
  for (const cov of tables) {
    if (tables.length > 1) lines.push(`### Target ${mdCode(cov.target)}`, '');
    const head = cov.columns.map((c) => mdText(`${c.cellToolchain}${c.printed ? ` (${c.printed})` : ''}`));
    lines.push(`| arch | CPU variant | ${head.join(' | ')} |`, `| --- | --- | ${cov.columns.map(() => '---').join(' | ')} |`);
    for (const row of cov.rows) {
      const entries = cov.columns.map((col) => {
        const e = cov.at(row, col);
        return e ? `${STATUS_ICON[e.status]} ${mdText(e.how)}` : '—';
      });
      lines.push(`| **${mdText(row.arch)}** | ${row.variant ? mdText(row.variant) : 'default'} | ${entries.join(' | ')} |`);
    }
    const c = cov.counts;
    lines.push('', `${c.native} native, ${c.qemu} under qemu, ${c['build only']} built only, ${c['not run']} not run.`);
    for (const n of cov.notes) lines.push(`- ${mdText(n.note)}: ${n.cells.map((id) => mdCode(id)).join(', ')}`);
    lines.push('');
  }
}

function renderGroups(lines: string[], results: RunResults): void {
  const groups = rootCauses(results).filter((g) => g.cells.length > 1);
  if (groups.length === 0) return;
  lines.push('## Shared causes', '');
  for (const g of groups) {
    const what = g.description ? `, ${mdText(g.description)}` : '';
    lines.push(`- **${g.cells.length} cells**${what}: ${STATUS_ICON[g.status] ?? ''} ${mdText(g.status)} at ${mdCode(g.stage)}: ${mdCode(g.example)}`);
    lines.push(`  - ${g.cells.map((id) => mdCode(id)).join(', ')}`);
  }
  lines.push('');
}

function renderSmc(lines: string[], results: RunResults): void {
  const smc = readSmc(results.extras?.smc);
  if (!smc) return;
  lines.push('## SMC benchmark (x86, native)', '', '| strategy | ticks/call | ratio to plain |', '| --- | ---: | ---: |');
  for (const s of smc.strategies) {
    if (s.skipped) {
      lines.push(`| ${mdText(s.name)} | skipped${s.reason ? `: ${mdText(s.reason)}` : ''} | |`);
      continue;
    }
    const ticks = s.ticksPerCall !== undefined ? String(Math.round(s.ticksPerCall)) : '?';
    const ratio = s.ratioToPlain !== undefined ? `${s.ratioToPlain.toFixed(2)}×` : '?';
    lines.push(`| ${mdText(s.name)} | ${ticks} | ${ratio} |`);
  }
  lines.push('');
}

/** The whole status.md. */
export function renderMarkdown(results: RunResults): string {
  const lines: string[] = [];
  const marker = results.complete ? 'complete' : '**INCOMPLETE** (interrupted: some cells did not run)';
  lines.push(`# Arch status: ${marker}`, '');
  lines.push(`- **Run:** ${formatDate(results.startedAt)}, ${formatDuration(results.durationMs)}, matrix ${mdText(results.tool.version)}`);
  lines.push(`- **Host:** ${mdText(hostLine(results))}`);
  lines.push(`- **Config:** ${mdCode(results.matrixFile)} (hash ${mdCode(results.matrixHash.slice(0, 12))})`);
  const unexpected = results.summary.unexpected;
  const hist = runHistory(results);
  if (hist) {
    const list = (ids: string[]): string => ids.map((id) => mdCode(id)).join(', ');
    const since = hist.previousRun ? ` since the previous run (${formatDate(hist.previousRun)})` : '';
    const changes = [
      hist.newFailures.length ? `**${hist.newFailures.length} new failure${hist.newFailures.length === 1 ? '' : 's'}** (${list(hist.newFailures)})` : 'no new failures',
      hist.fixed.length ? `${hist.fixed.length} fixed (${list(hist.fixed)})` : 'none fixed',
    ];
    lines.push(`- **History:** ${hist.runs} run${hist.runs === 1 ? '' : 's'}${hist.previousRun ? `; ${changes.join(', ')}${since}` : ''}`);
  }
  lines.push(`- **Summary:** ${summaryLine(results, (s) => `${STATUS_ICON[s]} ${s}`)}; ${unexpected === 0 ? 'nothing unexpected' : `**${unexpected} unexpected**`}`);
  lines.push('');
  if (results.cells.length === 0) lines.push('_No cells ran._', '');
  else renderGrid(lines, results);
  renderCoverage(lines, results);

  renderGroups(lines, results);
  const detailed = results.cells.filter((c) => needsDetails(c) && !excludedBy(c));
  if (detailed.length) {
    lines.push('## Cells to look at', '');
    const showTarget = new Set(results.cells.map((c) => c.target)).size > 1;
    for (const cell of detailed) renderDetails(lines, results, cell, showTarget);
  }
  renderSmc(lines, results);
  return `${lines.join('\n').trimEnd()}\n`;
}
