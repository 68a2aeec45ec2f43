// Shapes of the optional `RunResults.extras` sections that reports chart. Stages
// contribute them as plain JSON, so readers check them (readSmc/readRelink) instead
// of trusting them: a malformed section is left out of a report, never a crash.
import { isFiniteNumber, isObj } from '../formats/json-shape.js';

export interface SmcStrategy {
  name: string;
  /** Time per call divided by the `plain` strategy's (1 = same, < 1 faster). */
  ratioToPlain?: number;
  ticksPerCall?: number;
  skipped?: boolean;
  reason?: string;
}

export interface SmcExtras {
  strategies: SmcStrategy[];
  /** CPU identification (vendor, family, model, uarch...). */
  cpu?: Record<string, unknown>;
}

export interface RelinkPoint {
  replacements: number;
  mcallsPerSec: number;
}

export interface RelinkExtras {
  modes: Array<{ mode: string; points: RelinkPoint[] }>;
}

const finite = isFiniteNumber;

/** `extras.smc` if it has the expected shape (bad entries dropped), else undefined. */
export function readSmc(v: unknown): SmcExtras | undefined {
  if (!isObj(v) || !Array.isArray(v.strategies)) return undefined;
  const strategies: SmcStrategy[] = [];
  for (const s of v.strategies) {
    if (!isObj(s) || typeof s.name !== 'string') continue;
    const out: SmcStrategy = { name: s.name };
    if (finite(s.ratioToPlain)) out.ratioToPlain = s.ratioToPlain;
    if (finite(s.ticksPerCall)) out.ticksPerCall = s.ticksPerCall;
    if (s.skipped === true) out.skipped = true;
    if (typeof s.reason === 'string') out.reason = s.reason;
    strategies.push(out);
  }
  if (strategies.length === 0) return undefined;
  return isObj(v.cpu) ? { strategies, cpu: v.cpu } : { strategies };
}

/** `extras.relink` if it has the expected shape (bad points dropped), else undefined. */
export function readRelink(v: unknown): RelinkExtras | undefined {
  if (!isObj(v) || !Array.isArray(v.modes)) return undefined;
  const modes: RelinkExtras['modes'] = [];
  for (const m of v.modes) {
    if (!isObj(m) || typeof m.mode !== 'string' || !Array.isArray(m.points)) continue;
    const points = m.points
      .filter((p): p is RelinkPoint => isObj(p) && finite(p.replacements) && finite(p.mcallsPerSec))
      .map((p) => ({ replacements: p.replacements, mcallsPerSec: p.mcallsPerSec }))
      .sort((a, b) => a.replacements - b.replacements);
    if (points.length) modes.push({ mode: m.mode, points });
  }
  return modes.length ? { modes } : undefined;
}
