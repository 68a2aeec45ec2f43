// The matrix as data: expandMatrix() turns the config into cells, one per
// target x arch x toolchain, each with a stable id; selectCells() applies the
// command-line filters and keeps every excluded cell with its reason.
import type { ArchSpec, CellMatch, Expectation, MatrixConfig, TargetSpec, ToolchainSpec } from './types.js';

export interface Cell {
  /** Stable, filesystem-safe: `<target>-<arch>-<toolchain>`. */
  id: string;
  arch: ArchSpec;
  toolchain: ToolchainSpec;
  target: TargetSpec;
  /** The first expectation matching this cell, if any. */
  expectation?: Expectation;
}

export function cellId(target: string, arch: string, toolchain: string): string {
  return `${target}-${arch}-${toolchain}`;
}

/** An expectation's name: exact, or a glob with `*` (`llvm*`: llvm and every llvm-N; `aarch64*`: its variants too). */
export function nameMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

function matches(match: CellMatch | undefined, target: string, arch: string, toolchain: string): boolean {
  if (!match) return true;
  return (
    (match.arch === undefined || nameMatches(match.arch, arch)) &&
    (match.toolchain === undefined || nameMatches(match.toolchain, toolchain)) &&
    (match.target === undefined || nameMatches(match.target, target))
  );
}

export function findExpectation(expectations: readonly Expectation[], target: string, arch: string, toolchain: string): Expectation | undefined {
  return expectations.find((e) => matches(e.match, target, arch, toolchain));
}

export function expandMatrix(config: MatrixConfig): Cell[] {
  const cells: Cell[] = [];
  for (const target of config.targets) {
    for (const arch of config.architectures) {
      for (const toolchain of config.toolchains) {
        cells.push({
          id: cellId(target.name, arch.name, toolchain.name),
          arch,
          toolchain,
          target,
          expectation: findExpectation(config.expectations, target.name, arch.name, toolchain.name),
        });
      }
    }
  }
  return cells;
}

export interface Selection {
  arch?: string[];
  toolchain?: string[];
  target?: string[];
  /** Only these cell ids, and why (`--failed`: the cells not as expected last time).
   * `othersFromCache`: the cells left out report their cached result for their
   * current inputs, when there is one, so the report stays whole. */
  ids?: { ids: readonly string[]; why: string; othersFromCache?: boolean };
  /** `I/N`: keep only shard I (1-based) of N; `assignment` maps cell id -> shard (see shards.ts). */
  shard?: { index: number; count: number; assignment: ReadonlyMap<string, number> };
}

export interface SelectedCells {
  selected: Cell[];
  /** Cells left out by the filters, with why (reported as skip when asked);
   * `byIds`: left out only by `ids` (every other filter keeps them). */
  excluded: { cell: Cell; reason: string; by: 'filter' | 'shard'; byIds?: boolean }[];
}

export function selectCells(cells: readonly Cell[], selection: Selection): SelectedCells {
  const selected: Cell[] = [];
  const excluded: SelectedCells['excluded'] = [];
  for (const cell of cells) {
    let reason: string | undefined;
    let by: 'filter' | 'shard' = 'filter';
    let byIds = false;
    if (selection.target && !selection.target.includes(cell.target.name)) reason = `not selected (--target ${selection.target.join(',')})`;
    else if (selection.arch && !selection.arch.includes(cell.arch.name)) reason = `not selected (--arch ${selection.arch.join(',')})`;
    else if (selection.toolchain && !selection.toolchain.includes(cell.toolchain.name)) reason = `not selected (--toolchain ${selection.toolchain.join(',')})`;
    else if (selection.ids && !selection.ids.ids.includes(cell.id)) {
      reason = `not selected (${selection.ids.why})`;
      byIds = !(selection.shard && selection.shard.assignment.get(cell.id) !== selection.shard.index);
    }
    else if (selection.shard && selection.shard.assignment.get(cell.id) !== selection.shard.index) {
      reason = `in shard ${selection.shard.assignment.get(cell.id)}/${selection.shard.count}`;
      by = 'shard';
    }
    if (reason) excluded.push(byIds ? { cell, reason, by, byIds } : { cell, reason, by });
    else selected.push(cell);
  }
  return { selected, excluded };
}

/** Names in `requested` that are not in `known` (for a usage error). */
export function unknownNames(requested: readonly string[] | undefined, known: readonly string[]): string[] {
  return (requested ?? []).filter((name) => !known.includes(name));
}
