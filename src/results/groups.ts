// Root-cause groups: non-passing cells that fail at the same stage with the
// same first error, once paths, numbers, addresses and the cells' own names
// are normalised away, are one cause to read once.
import type { CellResult, RootCauseGroup } from './types.js';
import { STATUS } from './status.js';


export function normaliseError(text: string, cell: Pick<CellResult, 'arch' | 'toolchain' | 'target' | 'id'>): string {
  let s = text;
  for (const name of [cell.id, cell.arch, cell.toolchain].sort((a, b) => b.length - a.length)) {
    if (name) s = s.split(name).join(`<${name === cell.id ? 'cell' : name === cell.arch ? 'arch' : 'toolchain'}>`);
  }
  return s
    .replace(/[‘’`]/g, "'")
    .replace(/(?:\/[\w.+-]+)+\/([\w.+-]+)/g, '$1') // paths -> base names
    .replace(/\b[\w.-]+-linux-gnu\w*\b/g, '<triple>')
    .replace(/0x[0-9a-fA-F]+/g, '0x…')
    .replace(/\b\d+(\.\d+)?\b/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

function describe(cells: readonly CellResult[], all: readonly CellResult[]): string {
  const considered = all.filter((c) => !c.excluded);
  const toolchains = [...new Set(cells.map((c) => c.toolchain))];
  const arches = [...new Set(cells.map((c) => c.arch))];
  if (toolchains.length === 1) {
    const t = toolchains[0]!;
    const ofToolchain = considered.filter((c) => c.toolchain === t);
    if (ofToolchain.length === cells.length) return `every ${t} cell`;
    for (const bits of [32, 64] as const) {
      // Pointer width as matrix.yaml declares it (`bits:`), never guessed from a name.
      const sized = ofToolchain.filter((c) => c.bits === bits);
      if (sized.length === cells.length && cells.every((c) => c.bits === bits)) return `every ${t} cell on ${bits}-bit targets`;
    }
    return `${t} on ${arches.join(', ')}`;
  }
  if (arches.length === 1) {
    const a = arches[0]!;
    if (considered.filter((c) => c.arch === a).length === cells.length) return `every toolchain on ${a}`;
    return `${a} with ${toolchains.join(', ')}`;
  }
  if (considered.length === cells.length) return 'every cell';
  return cells.map((c) => `${c.arch}/${c.toolchain}`).join(', ');
}

function sameText(cells: readonly CellResult[]): boolean {
  const first = cells[0]?.firstError ?? cells[0]?.reason;
  return cells.every((c) => (c.firstError ?? c.reason) === first);
}

export function groupRootCauses(cells: readonly CellResult[]): RootCauseGroup[] {
  const byKey = new Map<string, { stage: string; status: CellResult['status']; signature: string; members: CellResult[] }>();
  for (const cell of cells) {
    if (!STATUS[cell.status].grouped || cell.excluded) continue;
    const text = cell.firstError ?? cell.reason ?? '';
    const signature = normaliseError(text, cell);
    const stage = cell.stage ?? '';
    const key = `${cell.status}\0${stage}\0${signature}`;
    const group = byKey.get(key) ?? { stage, status: cell.status, signature, members: [] };
    group.members.push(cell);
    byKey.set(key, group);
  }
  return [...byKey.values()]
    .filter((g) => g.members.length > 1)
    .sort((a, b) => b.members.length - a.members.length || a.stage.localeCompare(b.stage))
    .map((g) => ({
      stage: g.stage,
      status: g.status,
      signature: g.signature,
      // Errors that differ only in numbers or paths: show the shared pattern, not one cell's values as everyone's.
      example: sameText(g.members) ? (g.members[0]!.firstError ?? g.members[0]!.reason ?? '') : g.signature,
      cells: g.members.map((c) => c.id),
      description: describe(g.members, cells),
    }));
}
