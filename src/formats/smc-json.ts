// `smc_bench --json` (schema "matrix-smc/1", snake_case) and the addon's
// SmcReport: one converter, used by the addon, the bench stage's report
// section (results/bench-extras.ts) and the tests.
import { isObj } from './json-shape.js';

export interface CpuInfo {
  arch: string;
  /** "AuthenticAMD", "GenuineIntel"; "" off x86. */
  vendor: string;
  brand: string;
  family: number;
  model: number;
  stepping: number;
  /** "AuthenticAMD-26-2-1": the key SMC measurements are cached under. */
  signature: string;
  /** "Zen 5", "Sapphire Rapids", ... or "unknown". */
  microarchitecture: string;
  hypervisor: boolean;
  hypervisorVendor: string;
  tscHz: number | null;
  tscSource: string;
  features: string[];
}

export type SmcStatus = 'ok' | 'skipped' | 'wrong' | 'failed';

export interface SmcStrategyResult {
  name: string;
  group: string;
  description: string;
  status: SmcStatus;
  /** Same as status === 'skipped' (the shape results/extras.ts reads). */
  skipped: boolean;
  /** Why it was skipped, failed or wrong; null when ok. */
  reason: string | null;
  ticksPerCall: number | null;
  ratioToPlain: number | null;
  penaltyOverBaseline: number | null;
  calls: number;
  wrong: number;
}

export interface SmcReport {
  schema: 'matrix-smc/1';
  arch: string;
  cpu: CpuInfo;
  timer: string;
  timingsMeaningful: boolean;
  note: string;
  flushMethod: string;
  quick: boolean;
  trials: number;
  iterations: number;
  warmup: number;
  codeBytes: number;
  plainTicks: number | null;
  baselineTicks: number | null;
  best: string | null;
  allCorrect: boolean;
  strategies: SmcStrategyResult[];
}

/** One line for reports: "AMD EPYC (Zen 5, AuthenticAMD 26/2/1, KVMKVMKVM guest, TSC 2.60 GHz)". */
export function hostCpuLabel(cpu: CpuInfo): string {
  if (!cpu.vendor) return `${cpu.arch} (no cpuid)`;
  const parts = [
    cpu.microarchitecture !== 'unknown' ? cpu.microarchitecture : undefined,
    `${cpu.vendor} ${cpu.family}/${cpu.model}/${cpu.stepping}`,
    cpu.hypervisor ? `${cpu.hypervisorVendor || 'hypervisor'} guest` : 'bare metal',
    cpu.tscHz ? `TSC ${(cpu.tscHz / 1e9).toFixed(2)} GHz` : undefined,
  ].filter((p): p is string => p !== undefined);
  return `${cpu.brand || cpu.vendor} (${parts.join(', ')})`;
}

// ---- smc_bench --json -> SmcReport (same shape as the addon's) ----------

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new TypeError(`smc JSON: ${what} must be a string`);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`smc JSON: ${what} must be a number`);
  return v;
};
const bool = (v: unknown, what: string): boolean => {
  if (typeof v !== 'boolean') throw new TypeError(`smc JSON: ${what} must be a boolean`);
  return v;
};
const STATUSES: readonly SmcStatus[] = ['ok', 'skipped', 'wrong', 'failed'];

/**
 * Validate and convert `smc_bench --json` output (schema "matrix-smc/1",
 * snake_case) into the SmcReport the addon returns. Throws TypeError naming
 * the first field that does not match the schema.
 */
export function parseSmcJson(text: string): SmcReport {
  return parseSmcData(JSON.parse(text));
}

/** The same, for output already parsed (a bench stage's `data`). */
export function parseSmcData(j: unknown): SmcReport {
  if (!isObj(j) || j.schema !== 'matrix-smc/1') throw new TypeError('smc JSON: schema must be "matrix-smc/1"');
  const c = j.cpu;
  if (!isObj(c)) throw new TypeError('smc JSON: cpu must be an object');
  if (!Array.isArray(c.features) || !c.features.every((f) => typeof f === 'string')) {
    throw new TypeError('smc JSON: cpu.features must be an array of strings');
  }
  const cpu: CpuInfo = {
    arch: str(j.arch, 'arch'),
    vendor: str(c.vendor, 'cpu.vendor'),
    brand: str(c.brand, 'cpu.brand'),
    family: num(c.family, 'cpu.family'),
    model: num(c.model, 'cpu.model'),
    stepping: num(c.stepping, 'cpu.stepping'),
    signature: str(c.signature, 'cpu.signature'),
    microarchitecture: str(c.microarchitecture, 'cpu.microarchitecture'),
    hypervisor: bool(c.hypervisor, 'cpu.hypervisor'),
    hypervisorVendor: str(c.hypervisor_vendor, 'cpu.hypervisor_vendor'),
    tscHz: numOrNull(c.tsc_hz),
    tscSource: str(c.tsc_source, 'cpu.tsc_source'),
    features: c.features as string[],
  };
  if (!Array.isArray(j.strategies)) throw new TypeError('smc JSON: strategies must be an array');
  const strategies = j.strategies.map((s: unknown, i: number): SmcStrategyResult => {
    if (!isObj(s)) throw new TypeError(`smc JSON: strategies[${i}] must be an object`);
    const status = str(s.status, `strategies[${i}].status`) as SmcStatus;
    if (!STATUSES.includes(status)) throw new TypeError(`smc JSON: strategies[${i}].status is ${status}`);
    const ok = status === 'ok';
    const ticks = numOrNull(s.ticks_per_call);
    if (ok !== (ticks !== null)) throw new TypeError(`smc JSON: strategies[${i}].ticks_per_call must be a number exactly when ok`);
    if (!ok && typeof s.reason !== 'string') throw new TypeError(`smc JSON: strategies[${i}] is ${status} without a reason`);
    return {
      name: str(s.name, `strategies[${i}].name`),
      group: str(s.group, `strategies[${i}].group`),
      description: str(s.description, `strategies[${i}].description`),
      status,
      skipped: status === 'skipped',
      reason: typeof s.reason === 'string' ? s.reason : null,
      ticksPerCall: ticks,
      ratioToPlain: numOrNull(s.ratio_to_plain),
      penaltyOverBaseline: numOrNull(s.penalty_over_baseline),
      calls: num(s.calls, `strategies[${i}].calls`),
      wrong: num(s.wrong, `strategies[${i}].wrong`),
    };
  });
  return {
    schema: 'matrix-smc/1',
    arch: cpu.arch,
    cpu,
    timer: str(j.timer, 'timer'),
    timingsMeaningful: bool(j.timings_meaningful, 'timings_meaningful'),
    note: str(j.note, 'note'),
    flushMethod: str(j.flush_method, 'flush_method'),
    quick: bool(j.quick, 'quick'),
    trials: num(j.trials, 'trials'),
    iterations: num(j.iterations, 'iterations'),
    warmup: num(j.warmup, 'warmup'),
    codeBytes: num(j.code_bytes, 'code_bytes'),
    plainTicks: numOrNull(j.plain_ticks),
    baselineTicks: numOrNull(j.baseline_ticks),
    best: typeof j.best === 'string' ? j.best : null,
    allCorrect: bool(j.all_correct, 'all_correct'),
    strategies,
  };
}

/** The `extras.smc` section the reporters chart (results/extras.ts readSmc). */
export function toSmcExtras(report: SmcReport): {
  cpu: Record<string, unknown>;
  strategies: Array<{ name: string; ratioToPlain?: number; ticksPerCall?: number; skipped?: boolean; reason?: string }>;
} {
  return {
    cpu: { ...report.cpu, label: hostCpuLabel(report.cpu), timer: report.timer, timingsMeaningful: report.timingsMeaningful },
    strategies: report.strategies.map((s) => ({
      name: s.name,
      ...(s.ratioToPlain !== null ? { ratioToPlain: s.ratioToPlain } : {}),
      ...(s.ticksPerCall !== null ? { ticksPerCall: s.ticksPerCall } : {}),
      ...(s.status !== 'ok' ? { skipped: true } : {}),
      ...(s.reason !== null ? { reason: s.status === 'skipped' ? s.reason : `${s.status}: ${s.reason}` } : {}),
    })),
  };
}
