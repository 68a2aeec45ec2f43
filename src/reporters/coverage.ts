// The coverage view: arch x CPU variant down, toolchain x version across, and
// in each cell how it ran (natively, under which qemu CPU, built only, not at
// all) and with what result. Pure: it reads the results, it renders nothing.
import type { CellResult, CellStatus, RunResults } from '../results/types.js';
import { uniqueInOrder } from './common.js';

export interface CoverageRow {
  arch: string;
  /** '' for the architecture's default CPU. */
  variant: string;
  /** The arch name the cells carry (`aarch64-armv8-1-lse`). */
  cellArch: string;
}

export interface CoverageColumn {
  toolchain: string;
  /** The version axis ('' for the default compiler). */
  version: string;
  /** The cell toolchain name (`llvm-16`). */
  cellToolchain: string;
  /** What the compiler printed, shortened (`clang 16.0.6`), from the first cell that has it. */
  printed?: string;
}

export interface CoverageEntry {
  status: CellStatus;
  /** `native`, `qemu`, `qemu -cpu cortex-a53`, `build only`, `not run`. */
  how: string;
  cell: CellResult;
}

export interface Coverage {
  target: string;
  rows: CoverageRow[];
  columns: CoverageColumn[];
  at(row: CoverageRow, column: CoverageColumn): CoverageEntry | undefined;
  /** Why cells ran as they did, each reason once with its cells (a host lacking a variant's features, no emulator...). */
  notes: { note: string; cells: string[] }[];
  /** Counts over the selected cells: how many ran natively, under qemu, were built only, did not run. */
  counts: Record<'native' | 'qemu' | 'build only' | 'not run', number>;
}

/** How a cell ran, in a few words. */
export function howItRan(cell: CellResult): string {
  const ranStages = cell.stages.some((s) => s.name !== 'probe' && s.name !== 'build' && s.status !== 'skip');
  const built = cell.stages.some((s) => s.name === 'build' && s.status === 'pass');
  // A cell skipped before anything ran (an expectation, a missing compiler) ran nowhere, whatever its runner would be.
  if (cell.status === 'skip' && !built && !ranStages) return 'not run';
  if (cell.runner === 'native') return 'native';
  if (cell.runner === 'qemu') return cell.axes?.cpu ? `qemu -cpu ${cell.axes.cpu}` : 'qemu';
  return built || ranStages ? 'build only' : 'not run';
}

/** `Debian clang version 16.0.6 (15+b1)` -> `clang 16.0.6`; `x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0` -> `gcc 12.2.0`. */
export function shortCompiler(printed: string): string {
  const version = /(\d+\.\d+(?:\.\d+)?)(?!.*\d+\.\d+)/.exec(printed.split('\n')[0] ?? '')?.[1];
  const name = /clang/i.test(printed) ? 'clang' : /gcc|GCC/.test(printed) ? 'gcc' : '';
  return [name, version].filter(Boolean).join(' ') || printed.slice(0, 40);
}

/** One coverage table per target, in the order the cells came. */
export function buildCoverage(results: RunResults): Coverage[] {
  const cellsOf = results.cells.filter((c) => !c.excluded);
  return uniqueInOrder(cellsOf.map((c) => c.target)).map((target) => {
    const cells = cellsOf.filter((c) => c.target === target);
    const rows = uniqueInOrder(cells.map((c) => c.arch)).map((cellArch): CoverageRow => {
      const axes = cells.find((c) => c.arch === cellArch)?.axes;
      return { arch: axes?.arch ?? cellArch, variant: axes?.variant ?? '', cellArch };
    });
    // Variants right under their base architecture, whatever order the cells ran in.
    const archOrder = uniqueInOrder(rows.map((r) => r.arch));
    rows.sort((a, b) => archOrder.indexOf(a.arch) - archOrder.indexOf(b.arch) || (a.variant === '' ? -1 : b.variant === '' ? 1 : 0));
    const columns = uniqueInOrder(cells.map((c) => c.toolchain)).map((cellToolchain): CoverageColumn => {
      const mine = cells.filter((c) => c.toolchain === cellToolchain);
      const axes = mine[0]?.axes;
      const printed = mine.find((c) => c.versions.compiler)?.versions.compiler;
      return { toolchain: axes?.toolchain ?? cellToolchain, version: axes?.version ?? '', cellToolchain, ...(printed ? { printed: shortCompiler(printed) } : {}) };
    });
    const toolOrder = uniqueInOrder(columns.map((c) => c.toolchain));
    columns.sort((a, b) => toolOrder.indexOf(a.toolchain) - toolOrder.indexOf(b.toolchain) || versionRank(a.version) - versionRank(b.version));
    const byKey = new Map<string, CoverageEntry>();
    const counts: Coverage['counts'] = { native: 0, qemu: 0, 'build only': 0, 'not run': 0 };
    const notes = new Map<string, string[]>();
    for (const cell of cells) {
      const how = howItRan(cell);
      byKey.set(`${cell.arch}\u0000${cell.toolchain}`, { status: cell.status, how, cell });
      counts[how.startsWith('qemu') ? 'qemu' : (how as keyof Coverage['counts'])]++;
      const note = cell.axes?.runnerNote;
      if (note) notes.set(note, [...(notes.get(note) ?? []), cell.id]);
    }
    return {
      target,
      rows,
      columns,
      at: (row, column) => byKey.get(`${row.cellArch}\u0000${column.cellToolchain}`),
      notes: [...notes].map(([note, ids]) => ({ note, cells: ids })),
      counts,
    };
  });
}

/** The default compiler first, then versions in numeric order. */
function versionRank(version: string): number {
  if (version === '') return -1;
  const n = Number.parseFloat(version);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * Whether the run has axes beyond arch x toolchain (CPU variants or compiler
 * versions): only then is the coverage view more than the grid again.
 */
export function hasAxes(results: RunResults): boolean {
  return results.cells.some((c) => c.axes?.variant !== undefined || c.axes?.version !== undefined);
}
