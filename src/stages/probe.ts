// The probe stage: is everything a cell needs on this machine (compiler,
// linker, sysroot, build tool, runner)? Records the versions that key the
// cache and go in the report.
import type { Cell } from '../matrix/cells.js';
import type { CellVersions, StageResult } from '../results/types.js';
import { probeToolchain, toolchainPackages } from '../toolchains/toolchain.js';
import { which } from '../toolchains/which.js';
import type { RunContext } from './context.js';
import type { CellPlan } from './plan.js';

export interface ProbeOutcome {
  stage: StageResult;
  versions: CellVersions;
  /** Set when the cell cannot run here: why, and what installs it. */
  missing?: { reason: string; install?: string };
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
  const buildTool = cell.target.build === 'cmake' ? 'cmake' : 'make';
  if (!which(buildTool)) {
    missing.push(`${buildTool} is not installed`);
    packages.push(buildTool);
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
  if (!missing.length) return { stage, versions };
  const unique = [...new Set(packages)];
  return {
    stage,
    versions,
    missing: { reason: `cannot run here: ${missing.join('; ')}`, ...(unique.length ? { install: `apt-get install -y --no-install-recommends ${unique.join(' ')}` } : {}) },
  };
}
