// Typed access to the host addon (native/addon, built by scripts/build-addon.mjs
// at `npm install`). The addon is optional: loadAddon() returns null when the
// .node file is absent or does not load, and addonStatus() says why.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

export interface SmcRunOptions {
  /** A few hundred milliseconds instead of ~2 s. */
  quick?: boolean;
  trials?: number;
  iterations?: number;
  warmup?: number;
  /** Run only these strategies (unknown names throw a RangeError). */
  only?: string[];
}

export interface EmitChoiceOptions {
  cachePath?: string;
  noTable?: boolean;
  noCache?: boolean;
  remeasure?: boolean;
}

export interface EmitChoice {
  /** "plain", "copy_memcpy", "copy_rep_movsb", "copy_sse", "regions", "dual_map". */
  strategy: string;
  reason: string;
}

export interface ExecMemStats {
  bytesInUse: number;
  bytesFree: number;
  largestFree: number;
  freeRanges: number;
  regions: number;
  allocations: number;
}

export interface ExecMemCode {
  rx: bigint;
  rw: bigint;
  size: number;
}

export interface ExecMem {
  readonly mode: 'dual_map' | 'mprotect' | 'rwx' | null;
  alloc(size: number, align?: number): ExecMemCode;
  /** Copy machine code in (begin_write/end_write around it). */
  write(rx: bigint, bytes: Uint8Array): void;
  free(rx: bigint): void;
  stats(): ExecMemStats;
  close(): void;
}

export interface ExecMemOptions {
  mode?: 'dual_map' | 'mprotect' | 'rwx';
  regionSize?: number;
  maxBytes?: number;
}

export interface AddonBuildInfo {
  arch: string;
  napiVersion: number;
  jitCore: boolean;
  icacheMethod: string | null;
  copyjit: boolean;
  missing: string;
  smcStrategies: number;
}

export interface MatrixAddon {
  cpuInfo(): CpuInfo;
  smcStrategies(): Array<{ name: string; group: string; description: string }>;
  /** Blocks the event loop for the run; prefer runSmcAsync in the CLI. */
  runSmc(options?: SmcRunOptions): SmcReport;
  runSmcAsync(options?: SmcRunOptions): Promise<SmcReport>;
  emitChoice(options?: EmitChoiceOptions): EmitChoice;
  buildInfo(): AddonBuildInfo;
  /** Present when the addon was built with the JIT core. */
  ExecMem?: new (options?: ExecMemOptions) => ExecMem;
  /** Present when the addon was built with copyjit (buildInfo().copyjit). */
  copyjitRun?: (text: string, options?: CopyjitRunOptions) => CopyjitResult;
  /** Statistics of the allocator copyjitRun uses. */
  execmemStats?: () => ExecMemStats & { mode: string };
}

export interface CopyjitRunOptions {
  a?: bigint | number;
  x?: bigint | number;
  y?: bigint | number;
  o?: bigint | number;
  /** Output words kept (default 1024). */
  outCap?: number;
  /** Seconds before the run is stopped (default 5). */
  timeoutS?: number;
}

export interface CopyjitResult {
  /** "halt", "stack_overflow", "crash", ... (cj_status_name). */
  status: string;
  a: bigint;
  x: bigint;
  y: bigint;
  o: bigint;
  sp: number;
  out: bigint[];
  /** FNV-1a 32 over the output words (shared with the TypeScript reference). */
  outHash: number;
  memHash: number;
  codeBytes: number;
  fault: string | null;
}

export interface AddonStatus {
  loaded: boolean;
  path?: string;
  reason?: string;
}

/** The repository root: the nearest ancestor holding native/addon. */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'native', 'addon', 'CMakeLists.txt'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = up;
  }
}

/** Where the .node file may be: $MATRIX_ADDON first, then the build output. */
export function addonCandidates(root: string = repoRoot()): string[] {
  const list: string[] = [];
  const env = process.env.MATRIX_ADDON;
  if (env) list.push(resolve(env));
  list.push(join(root, 'build', 'addon', 'cmake', 'Release', 'matrix_addon.node'));
  list.push(join(root, 'build', 'addon', 'cmake', 'Debug', 'matrix_addon.node'));
  return list;
}

let cached: { addon: MatrixAddon | null; status: AddonStatus } | undefined;

function buildFailure(root: string): string | undefined {
  try {
    const s = JSON.parse(readFileSync(join(root, 'build', 'addon', 'status.json'), 'utf8')) as { ok?: unknown; reason?: unknown };
    return s.ok === false && typeof s.reason === 'string' ? s.reason : undefined;
  } catch {
    return undefined;
  }
}

function tryLoad(options: { path?: string; root?: string }): { addon: MatrixAddon | null; status: AddonStatus } {
  const root = options.root ?? repoRoot();
  const candidates = options.path ? [resolve(options.path)] : addonCandidates(root);
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    const why = buildFailure(root);
    return {
      addon: null,
      status: {
        loaded: false,
        reason: why
          ? `the addon build failed at npm install: ${why}`
          : `no addon at ${candidates.join(' or ')} (build it with \`node scripts/build-addon.mjs\`)`,
      },
    };
  }
  try {
    const req = createRequire(import.meta.url);
    const addon = req(path) as MatrixAddon;
    if (typeof addon?.cpuInfo !== 'function' || typeof addon.runSmc !== 'function') {
      return { addon: null, status: { loaded: false, path, reason: `${path} is not the matrix addon (no cpuInfo/runSmc)` } };
    }
    return { addon, status: { loaded: true, path } };
  } catch (e) {
    return { addon: null, status: { loaded: false, path, reason: `${path} did not load: ${(e as Error).message}` } };
  }
}

/**
 * The addon, or null when it is absent or broken (see addonStatus() for why).
 * Loaded once per process unless `path`/`root` are given.
 */
export function loadAddon(options: { path?: string; root?: string } = {}): MatrixAddon | null {
  if (options.path || options.root) {
    const r = tryLoad(options);
    return r.addon;
  }
  cached ??= tryLoad({});
  return cached.addon;
}

/** Whether the default addon loaded, from where, or why not. */
export function addonStatus(options: { path?: string; root?: string } = {}): AddonStatus {
  if (options.path || options.root) return tryLoad(options).status;
  cached ??= tryLoad({});
  return cached.status;
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

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
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
  const j: unknown = JSON.parse(text);
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
