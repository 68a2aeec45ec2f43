// Benchmarks print their own JSON; the report sections that chart them
// (extras.smc, extras.relink) take it from the first native cell that ran the
// stage. Converting here keeps the reporters unaware of benchmark formats.
import type { MatrixConfig } from '../matrix/types.js';
import type { CellResult } from './types.js';
import type { RelinkExtras, SmcExtras } from './extras.js';
import { isFiniteNumber, isObj } from '../formats/json-shape.js';
import { parseSmcData, toSmcExtras } from '../formats/smc-json.js';

const num = (v: unknown): number | undefined => (isFiniteNumber(v) ? v : undefined);

/** The smc bench's JSON through the one converter the addon and its tests use; undefined when malformed. */
export function smcExtras(data: unknown, cell: string): SmcExtras | undefined {
  try {
    const extras = toSmcExtras(parseSmcData(data));
    return { ...extras, cpu: { ...extras.cpu, cell } };
  } catch {
    return undefined;
  }
}

export function relinkExtras(data: unknown): RelinkExtras | undefined {
  if (!isObj(data) || !Array.isArray(data.modes)) return undefined;
  return {
    modes: data.modes.filter(isObj).map((m) => ({
      mode: String(m.mode),
      points: (Array.isArray(m.points) ? m.points : []).filter(isObj).flatMap((p) => {
        const replacements = num(p.replacements);
        const mcallsPerSec = num(p.mcalls_per_sec);
        return replacements !== undefined && mcallsPerSec !== undefined ? [{ replacements, mcallsPerSec }] : [];
      }),
    })),
  };
}

export function collectExtras(config: MatrixConfig, cells: readonly CellResult[]): Record<string, unknown> | undefined {
  const extras: Record<string, unknown> = {};
  for (const target of config.targets) {
    for (const spec of target.stages) {
      if (!spec.extras || extras[spec.extras]) continue;
      for (const cell of cells) {
        if (cell.target !== target.name || cell.runner !== 'native') continue;
        const stage = cell.stages.find((s) => s.name === spec.name && s.status === 'pass' && s.data !== undefined);
        if (!stage) continue;
        const section = spec.extras === 'smc' ? smcExtras(stage.data, cell.id) : relinkExtras(stage.data);
        if (section) {
          extras[spec.extras] = section;
          break;
        }
      }
    }
  }
  return Object.keys(extras).length ? extras : undefined;
}
