// Typed access to the host addon (native/addon, built by scripts/build-addon.mjs
// at `npm install`). The addon is optional: loadAddon() returns null when the
// .node file is absent or does not load, and addonStatus() says why.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CpuInfo, SmcReport } from '../formats/smc-json.js';

export { hostCpuLabel, parseSmcData, parseSmcJson, toSmcExtras } from '../formats/smc-json.js';
export type { CpuInfo, SmcReport, SmcStatus, SmcStrategyResult } from '../formats/smc-json.js';





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

