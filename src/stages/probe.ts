// The probe stage: is everything a cell needs on this machine (compiler,
// linker, sysroot, build tool, runner)? Records the versions that key the
// cache and go in the report.
import type { Cell } from '../matrix/cells.js';
import type { CellVersions, StageResult } from '../results/types.js';
import { probeToolchain, toolchainPackages } from '../toolchains/toolchain.js';
import { which } from '../toolchains/which.js';
import type { RunContext } from './context.js';
import type { CellPlan } from './plan.js';

/** The one apt-get line a skip shows for what is missing. */
export function aptInstallLine(packages: readonly string[]): string {
  return `apt-get install -y --no-install-recommends ${[...new Set(packages)].join(' ')}`;
}

export interface ProbeOutcome {
  stage: StageResult;
  versions: CellVersions;
  /** The toolchain cannot link a trivial program for this arch: skip (no backend) or error, with the fix. */
  limit?: { status: 'skip' | 'error'; reason: string };
  /** Set when the cell cannot run here: why, and what installs it. */
  missing?: { reason: string; install?: string };
}

/** Why a toolchain cannot build a trivial program for an arch, and what to do about it. */
export function toolchainLimit(cell: Pick<Cell, 'arch' | 'toolchain'>, error: string): { status: 'skip' | 'error'; reason: string } {
  const where = `architectures.${cell.arch.name}.toolchains.${cell.toolchain.name}`;
  if (/unknown target|no available targets|unable to create target|is not a recognized processor|unsupported target/i.test(error)) {
    return { status: 'skip', reason: `${cell.toolchain.name} has no ${cell.arch.name} backend: ${error}` };
  }
  if (/unknown emulation|incompatible with|is incompatible|unknown architecture|unsupported ELF machine|relocation truncated|requires unimplemented linker relaxation/i.test(error)) {
    return { status: 'error', reason: `the ${cell.toolchain.name} linker cannot link for ${cell.arch.name}: ${error}; fix: set "linker: bfd" in ${where} (matrix.yaml)` };
  }
  return { status: 'error', reason: `the ${cell.toolchain.name} toolchain cannot build a trivial program for ${cell.arch.name}: ${error}` };
}

export async function probeCell(cell: Cell, plan: CellPlan, ctx: Pick<RunContext, 'host' | 'shared'>): Promise<ProbeOutcome> {
  const started = performance.now();
  const versions: CellVersions = {};
  const tc = probeToolchain(cell.toolchain, cell.arch, ctx.host.machine);
  const missing = [...tc.missing];
  const packages = missing.length ? toolchainPackages(cell.toolchain, cell.arch, ctx.host.machine) : [];
  // A cell nothing can run here is still built (and checked on the host): only its run stages wait.
  if (plan.runner.kind === 'none' && !plan.runner.buildOnly) {
    missing.push(plan.runner.reason);
    packages.push(...plan.runner.packages);
  }
  // The tools each build system needs, with the Debian package of each.
  const tools: Record<string, [string, string][]> = { cmake: [['cmake', 'cmake']], make: [['make', 'make']], autotools: [['make', 'make']], meson: [['meson', 'meson'], ['ninja', 'ninja-build']] };
  for (const [tool, pkg] of tools[cell.target.build] ?? []) {
    if (which(tool)) continue;
    missing.push(`${tool} is not installed`);
    packages.push(pkg);
  }
  if (tc.compiler) versions.compiler = await ctx.shared.probe.version(tc.compiler);
  if (plan.runner.kind === 'qemu') versions.qemu = await ctx.shared.probe.version(plan.runner.qemu);
  const cmakePath = which('cmake');
  if (cmakePath && cell.target.build === 'cmake') versions.cmake = await ctx.shared.probe.version(cmakePath);
  const stage: StageResult = {
    name: 'probe',
    kind: 'probe',
    status: missing.length ? 'skip' : 'pass',
    durationMs: Math.round(performance.now() - started),
    ...(missing.length ? { firstError: `missing: ${missing.join('; ')}` } : {}),
  };
  if (!missing.length && plan.runner.kind === 'qemu' && plan.runner.note) stage.firstError = `note: ${plan.runner.note}; using qemu`;
  if (!missing.length) {
    // A trivial program must build and link: what cannot is the toolchain's limit, not the project's failure.
    const canary = await ctx.shared.canary(cell);
    if (canary.ok) return { stage, versions };
    const limit = toolchainLimit(cell, canary.error ?? 'unknown error');
    stage.status = limit.status === 'skip' ? 'skip' : 'error';
    stage.firstError = limit.reason;
    return { stage, versions, limit };
  }
  const unique = [...new Set(packages)];
  return {
    stage,
    versions,
    missing: { reason: `cannot run here: ${missing.join('; ')}`, ...(unique.length ? { install: aptInstallLine(unique) } : {}) },
  };
}
