// Shared formatting for every reporter: labels, icons, orderings, text hygiene.
// Pure functions only: reporters format a RunResults, they never run anything.
import type { CellResult, CellStatus, RunResults, StageResult } from '../results/types.js';
import { STATUS, STATUS_ICON, STATUS_ORDER } from '../results/status.js';

export { STAGE_ICON, STATUS_ICON, STATUS_ORDER } from '../results/status.js';

/** `FAIL at build`, `TIMEOUT at core-tests`, `xfail`, `pass`... (no icon). */
export function statusWord(cell: Pick<CellResult, 'status' | 'stage'>): string {
  const facts = STATUS[cell.status];
  return facts.withStage && cell.stage ? `${facts.word} at ${cell.stage}` : facts.word;
}

/** Icon, word and signal: `❌ FAIL at core-tests (SIGSEGV)`. */
export function statusLabel(cell: Pick<CellResult, 'status' | 'stage' | 'signal'>): string {
  const sig = cell.signal && cell.status !== 'pass' ? ` (${cell.signal})` : '';
  return `${STATUS_ICON[cell.status]} ${statusWord(cell)}${sig}`;
}

/** A cell that deserves its own section: anything but a plain, first-try pass. */
export function needsDetails(cell: CellResult): boolean {
  return cell.status !== 'pass';
}

/** Distinct values in first-seen order (config order, since cells come in config order). */
export function uniqueInOrder<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

export interface Grid {
  target: string;
  arches: string[];
  toolchains: string[];
  /** cell for `arch` x `toolchain`, undefined where the run has none. */
  at(arch: string, toolchain: string): CellResult | undefined;
}

/** One grid per target, rows and columns in the order cells appear in the results. */
export function buildGrids(results: RunResults): Grid[] {
  const targets = uniqueInOrder(results.cells.map((c) => c.target));
  return targets.map((target) => {
    const cells = results.cells.filter((c) => c.target === target);
    const byKey = new Map<string, CellResult>();
    for (const c of cells) {
      const key = `${c.arch}\u0000${c.toolchain}`;
      if (!byKey.has(key)) byKey.set(key, c);
    }
    return {
      target,
      arches: uniqueInOrder(cells.map((c) => c.arch)),
      toolchains: uniqueInOrder(cells.map((c) => c.toolchain)),
      at: (arch, toolchain) => byKey.get(`${arch}\u0000${toolchain}`),
    };
  });
}

/** The stage that decided the cell's status, if it is in the record. */
export function decidingStage(cell: CellResult): StageResult | undefined {
  if (cell.stage === undefined) return undefined;
  return cell.stages.find((s) => s.name === cell.stage);
}

/** Log path of the deciding stage, else of the last stage that has one. */
export function cellLog(cell: CellResult): string | undefined {
  const deciding = decidingStage(cell);
  if (deciding?.log) return deciding.log;
  for (let i = cell.stages.length - 1; i >= 0; i--) {
    const log = cell.stages[i]?.log;
    if (log) return log;
  }
  return undefined;
}

/** First error of the cell, falling back to the deciding stage's. */
export function cellFirstError(cell: CellResult): string | undefined {
  return cell.firstError ?? decidingStage(cell)?.firstError;
}

// ANSI CSI/OSC sequences (colour codes from compilers) carry no information in a report.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
// C0 controls except tab, LF, CR; DEL; C1 controls; non-characters U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Any character the three patterns above can touch (ANSI starts with ESC, a C0 control).
// eslint-disable-next-line no-control-regex
const NEEDS_CLEANING = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]/;

/**
 * Text safe for every output format: ANSI sequences dropped, other control characters
 * (invalid in XML 1.0, invisible elsewhere) shown as `\xNN`, lone surrogates as U+FFFD.
 */
export function cleanText(s: string): string {
  // Most text has nothing to clean: one scan instead of three replaces (1,000-cell reports).
  if (!NEEDS_CLEANING.test(s)) return s;
  return s
    .replace(ANSI, '')
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)
    .replace(LONE_SURROGATE, '\ufffd');
}

/** One line: newlines and tabs become spaces, runs collapsed, trimmed. */
export function oneLine(s: string): string {
  return cleanText(s).replace(/[\r\n\t\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(sec).padStart(2, '0')} s`;
}

/** `2026-11-21 04:50:52 UTC` from an ISO date; the raw text if it does not parse. */
export function formatDate(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** `16 cells: 10 pass, 2 fail, 1 xfail` (zero counts left out). */
export function summaryLine(results: RunResults, decorate: (s: CellStatus) => string = (s) => s): string {
  const parts = STATUS_ORDER.filter((s) => (results.summary[s] ?? 0) > 0).map((s) => `${results.summary[s]} ${decorate(s)}`);
  const total = results.summary.total;
  return `${total} cell${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** Versions as `[label, value]` pairs, in a fixed order, only those known. */
export function versionPairs(cell: CellResult): Array<[string, string]> {
  const v = cell.versions;
  const pairs: Array<[string, string]> = [];
  if (v.compiler) pairs.push(['compiler', v.compiler]);
  if (v.qemu) pairs.push(['qemu', v.qemu]);
  if (v.cmake) pairs.push(['cmake', v.cmake]);
  return pairs;
}

/** Host in one line: `x86_64 linux 6.1.0, 2 cpus, AMD EPYC..., node v22`. */
export function hostLine(results: RunResults): string {
  const h = results.host;
  return `${h.machine} ${h.platform} ${h.release}, ${h.cpus} cpu${h.cpus === 1 ? '' : 's'}, ${h.cpuModel}, node ${h.node}`;
}
