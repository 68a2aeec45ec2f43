// Takes one cell through its stages (probe, configure, build, each run stage)
// and turns what happened into a status. Code failures are `fail`; trouble
// with the machine (qemu, toolchain, disk) is `error` or `skip`, never `fail`.

import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

import type { Cell } from '../matrix/cells.js';
import { fillPlaceholders } from '../matrix/placeholders.js';
import type { RunStageSpec } from '../matrix/types.js';
import type { AttemptResult, CellResult, CellStatus, CellVersions, StageResult } from '../results/types.js';
import { cflagsFor, compilerName, ldflagsFor, linkerFor, probeToolchain, toolchainPackages } from '../toolchains/toolchain.js';
import { which } from '../toolchains/which.js';
import { chooseRunner, stageBlocked, wrapCommand, type Runner } from '../qemu/runner.js';
import { runCommand, type CommandResult } from '../runtime/command.js';
import { formatCommand, quoteArg } from '../runtime/quote.js';
import type { RunContext } from './context.js';
import { classifyBuild, classifyRun, type StageOutcome } from './classify.js';
import { freshBuildTree } from './build-tree.js';
import { buildDir, displayPath, logDir, reportLogPath } from '../cache/paths.js';

/** The commands of a cell, built once: run, reported, and joined into the reproducer. */
export interface CellPlan {
  runner: Runner;
  buildDir: string;
  sourceDir: string;
  configure?: string[];
  build: string[];
  stages: { spec: RunStageSpec; program: string; argv: string[]; blocked: string }[];
}

const substitute = fillPlaceholders;

export function planCell(cell: Cell, ctx: Pick<RunContext, 'config' | 'cacheDir' | 'machine' | 'generator' | 'options'>): CellPlan {
  const { arch, toolchain, target } = cell;
  const root = ctx.config.root;
  const sourceDir = resolve(root, target.source);
  const bdir = buildDir(ctx.cacheDir, cell.id);
  const runner = chooseRunner(arch, ctx.machine);
  const vars = { build: bdir, source: sourceDir, prepared: join(ctx.cacheDir, 'prepared', target.name), root, triple: arch.triple, arch: arch.name };
  const cflags = cflagsFor(toolchain, arch);
  const ldflags = ldflagsFor(toolchain, arch);
  const linker = linkerFor(toolchain, arch);
  let configure: string[] | undefined;
  let build: string[];
  if (target.build === 'cmake') {
    configure = [
      'cmake', ...ctx.generator, '-S', sourceDir, '-B', bdir,
      `-DCMAKE_TOOLCHAIN_FILE=${resolve(root, toolchain.cmakeToolchain)}`,
      `-DMATRIX_TRIPLE=${arch.triple}`,
      `-DMATRIX_ARCH=${arch.name}`,
    ];
    if (toolchain.version) configure.push(`-DMATRIX_CC_VERSION=${toolchain.version}`);
    if (cflags.length) configure.push(`-DMATRIX_CFLAGS=${cflags.join(';')}`);
    if (ldflags.length) configure.push(`-DMATRIX_LDFLAGS=${ldflags.join(';')}`);
    if (linker) configure.push(`-DMATRIX_LINKER=${linker}`);
    configure.push(...target.configureArgs.map((a) => substitute(a, vars)));
    build = ['cmake', '--build', bdir, '--parallel', String(ctx.options.buildParallel)];
    if (target.buildTargets.length) build.push('--target', ...target.buildTargets);
  } else {
    const cc = toolchain.kind === 'gcc' ? compilerName(toolchain, arch) : `${compilerName(toolchain, arch)} --target=${arch.triple}`;
    const ld = [...ldflags, ...(linker ? [`-fuse-ld=${linker}`] : [])];
    build = [
      'make', '-C', bdir, '-f', join(sourceDir, 'Makefile'), `SRCDIR=${sourceDir}`, `CC=${cc}`,
      `MATRIX_CFLAGS=${cflags.join(' ')}`, `MATRIX_LDFLAGS=${ld.join(' ')}`, `-j${ctx.options.buildParallel}`,
      ...target.configureArgs.map((a) => substitute(a, vars)), ...target.buildTargets,
    ];
  }
  const stages = target.stages.map((spec) => {
    const [program = '', ...args] = spec.command.map((a) => substitute(a, vars));
    // A host stage may name a host tool (`{triple}-readelf`): a bare name is looked up in PATH.
    const onPath = spec.where === 'host' && !program.includes('/');
    const abs = isAbsolute(program) || onPath ? program : join(bdir, program);
    return { spec, program: abs, argv: wrapCommand(runner, abs, args, spec.where), blocked: stageBlocked(spec.where, runner, arch) };
  });
  return { runner, buildDir: bdir, sourceDir, configure, build, stages };
}

/**
 * One line a person can paste into a shell at the directory that holds
 * matrix.yaml (the repository root), on a fresh clone: it prepares inputs,
 * rebuilds and reruns the cell. Paths inside that directory are anchored to
 * "$PWD" (the build commands do not change directory), the run stages run from
 * the build directory as the tool runs them, with paths relative to it.
 */
export function reproducer(plan: CellPlan, root: string, onlyStage?: string, prepare?: { dir: string; argv: string[] }): string {
  const within = (dir: string, path: string): string | undefined => {
    const rel = relative(dir, path);
    return rel === '' ? '.' : !rel.startsWith('..') && !isAbsolute(rel) ? rel : undefined;
  };
  // "$PWD"/rel for a path inside the root; other absolute paths stay absolute.
  const anchored = (path: string): string => {
    const rel = within(root, path);
    return rel === undefined ? quoteArg(path) : rel === '.' ? '"$PWD"' : `"$PWD"/${quoteArg(rel)}`;
  };
  // The root inside an argument (-DVAR=/root/x, SRCDIR=..., "sh -c 'cat /root/x'") becomes `word`.
  const embed = (a: string, word: string): string => {
    if (!a.includes(root)) return quoteArg(a);
    const pieces = a.split(root);
    return pieces.map((p) => (p === '' ? '' : quoteArg(p))).join(word);
  };
  const anchorArg = (a: string): string => (a.startsWith('/') && within(root, a) !== undefined ? anchored(a) : embed(a, '"$PWD"'));
  // From the build directory: paths relative to it (it is where the tool runs the stages).
  const rootFromBuild = within(root, plan.buildDir) !== undefined ? relative(plan.buildDir, root) || '.' : undefined;
  const fromBuild = (a: string, program: boolean): string => {
    const inBuild = a.startsWith('/') ? within(plan.buildDir, a) : undefined;
    if (inBuild !== undefined) return quoteArg(program && !inBuild.includes('/') ? `./${inBuild}` : inBuild);
    if (rootFromBuild === undefined) return quoteArg(a);
    if (a.startsWith('/') && within(root, a) !== undefined) return quoteArg(relative(plan.buildDir, a));
    return embed(a, quoteArg(rootFromBuild));
  };
  const parts: string[] = [];
  if (prepare) parts.push(`mkdir -p ${anchored(prepare.dir)}`, prepare.argv.map(anchorArg).join(' '));
  if (plan.build[0] === 'make') parts.push(`mkdir -p ${anchored(plan.buildDir)}`);
  if (plan.configure) parts.push(plan.configure.map(anchorArg).join(' '));
  parts.push(plan.build.map(anchorArg).join(' '));
  const runs = plan.stages.filter((stage) => !stage.blocked && (!onlyStage || stage.spec.name === onlyStage));
  if (runs.length) {
    parts.push(`cd ${anchored(plan.buildDir)}`);
    for (const stage of runs) parts.push(stage.argv.map((a) => fromBuild(a, a === stage.program)).join(' '));
  }
  return parts.join(' && ');
}

/** The same cell through the tool: `npx matrix run` selecting exactly it, cache off. */
export function rerunCommand(cell: Cell, config: Pick<RunContext['config'], 'file' | 'root'>): string {
  const configArg = basename(config.file) === 'matrix.yaml' && dirname(config.file) === config.root ? [] : ['--config', relative(config.root, config.file)];
  return formatCommand(['npx', 'matrix', 'run', ...configArg, '--target', cell.target.name, '--arch', cell.arch.name, '--toolchain', cell.toolchain.name, '--no-cache']);
}

/** The prepare command of a target as reproducers show it (the directory made first). */
export function prepareCommand(target: Cell['target'], ctx: Pick<RunContext, 'config' | 'cacheDir'>): { dir: string; argv: string[] } | undefined {
  if (!target.prepare) return undefined;
  const dir = join(ctx.cacheDir, 'prepared', target.name);
  const values = { prepared: dir, root: ctx.config.root, source: resolve(ctx.config.root, target.source) };
  return { dir, argv: target.prepare.command.map((a) => fillPlaceholders(a, values)) };
}

export async function runCell(cell: Cell, ctx: RunContext): Promise<CellResult> {
  // A deliberate engine bug, so the tests can prove a bug is exit 3 with its stack, never a cell `error`.
  if (process.env.MATRIX_FAULT_INJECT === `throw-in-cell:${cell.id}`) throw new Error(`injected fault in ${cell.id} (MATRIX_FAULT_INJECT)`);
  const started = performance.now();
  const plan = planCell(cell, ctx);
  const stages: StageResult[] = [];
  const versions: CellVersions = {};
  const base = {
    id: cell.id,
    arch: cell.arch.name,
    toolchain: cell.toolchain.name,
    target: cell.target.name,
    runner: plan.runner.kind,
    ...(cell.arch.bits ? { bits: cell.arch.bits } : {}),
    versions,
    stages,
    reproducer: reproducer(plan, ctx.config.root, undefined, prepareCommand(cell.target, ctx)),
    rerun: rerunCommand(cell, ctx.config),
    cached: false,
    attempts: 1,
  };
  const finish = (status: CellStatus, extra: Partial<CellResult> = {}): CellResult => ({
    ...base,
    status,
    durationMs: Math.round(performance.now() - started),
    ...extra,
  });

  const logs = logDir(ctx.cacheDir, cell.id);
  await rm(logs, { recursive: true, force: true });
  await mkdir(logs, { recursive: true });

  // Probe: is everything this cell needs on this machine?
  ctx.events.stageStart?.(cell, 'probe');
  const probeStart = performance.now();
  const tc = probeToolchain(cell.toolchain, cell.arch, ctx.machine);
  const missing = [...tc.missing];
  const packages = missing.length ? toolchainPackages(cell.toolchain, cell.arch, ctx.machine) : [];
  // A cell nothing can run here is still built (and checked on the host): only its run stages wait.
  const notRunnable = plan.runner.kind === 'none' ? plan.runner : undefined;
  if (notRunnable && !notRunnable.buildOnly) {
    missing.push(notRunnable.reason);
    packages.push(...notRunnable.packages);
  }
  const buildTool = cell.target.build === 'cmake' ? 'cmake' : 'make';
  if (!which(buildTool)) {
    missing.push(`${buildTool} is not installed`);
    packages.push(buildTool);
  }
  if (tc.compiler) versions.compiler = await ctx.probe.version(tc.compiler);
  if (plan.runner.kind === 'qemu') versions.qemu = await ctx.probe.version(plan.runner.qemu);
  const cmakePath = which('cmake');
  if (cmakePath && cell.target.build === 'cmake') versions.cmake = await ctx.probe.version(cmakePath);
  const probe: StageResult = {
    name: 'probe',
    kind: 'probe',
    status: missing.length ? 'skip' : 'pass',
    durationMs: Math.round(performance.now() - probeStart),
    ...(missing.length ? { firstError: `missing: ${missing.join('; ')}` } : {}),
  };
  stages.push(probe);
  ctx.events.stageEnd?.(cell, probe);
  if (missing.length) {
    const unique = [...new Set(packages)];
    return finish('skip', {
      stage: 'probe',
      reason: `cannot run here: ${missing.join('; ')}`,
      install: unique.length ? `apt-get install -y --no-install-recommends ${unique.join(' ')}` : undefined,
    });
  }
  if (plan.runner.kind === 'qemu' && plan.runner.note) probe.firstError = `note: ${plan.runner.note}; using qemu`;

  // Host-side preparation shared by the target's cells (generated inputs).
  if (cell.target.prepare) {
    const prepared = await ctx.prepare(cell.target.name);
    if (prepared) {
      stages.push(prepared.stage);
      if (!prepared.ok) return finish('error', { stage: 'prepare', firstError: prepared.stage.firstError });
    }
  }

  const runStep = async (name: string, argv: string[], cwd: string, timeoutS: number, logName = name): Promise<CommandResult> => {
    ctx.events.stageStart?.(cell, name);
    return runCommand({
      file: argv[0]!,
      args: argv.slice(1),
      cwd,
      timeoutMs: timeoutS * 1000,
      logPath: join(logs, `${logName}.log`),
      logLimit: ctx.config.defaults.logLimit,
      signal: ctx.signal,
      registry: ctx.registry,
      onOutput: ctx.options.verbose ? (chunk) => ctx.events.output?.(cell, name, chunk) : undefined,
    });
  };
  const stageResult = (name: string, kind: StageResult['kind'], r: CommandResult, logName = name): StageResult => ({
    name,
    kind,
    status: 'pass',
    command: r.command,
    cwd: displayPath(ctx.config.root, r.cwd),
    exitCode: r.exitCode,
    ...(r.signal ? { signal: r.signal } : {}),
    durationMs: r.durationMs,
    log: reportLogPath(cell.id, logName),
    ...(r.logTruncated ? { logTruncated: true } : {}),
  });
  const record = (result: StageResult): void => {
    stages.push(result);
    ctx.events.stageEnd?.(cell, result);
  };

  const custom = cell.target.firstError ? new RegExp(cell.target.firstError) : undefined;
  // Configure and build: failures here are the code's (or the toolchain's).
  // A changed configure line starts the build tree from scratch.
  const tree = await freshBuildTree(plan);
  const buildSteps: { name: 'configure' | 'build'; argv: string[] }[] = [];
  if (tree.configure) buildSteps.push({ name: 'configure', argv: tree.configure });
  buildSteps.push({ name: 'build', argv: plan.build });
  for (const step of buildSteps) {
    const r = await runStep(step.name, step.argv, ctx.config.root, ctx.options.timeout);
    const outcome = classifyBuild(step.name, r, stageResult(step.name, step.name, r), custom);
    record(outcome.result);
    if (outcome.status) {
      return finish(outcome.status, { stage: step.name, firstError: outcome.result.firstError, signal: outcome.result.signal });
    }
    if (step.name === 'configure') await tree.configured();
  }

  // Run stages: the code under test, natively or under qemu; retried on failure.
  let runnerChecked = false;
  let attempts = 1;
  const flakyStages: { stage: StageResult; failed: AttemptResult; known: boolean }[] = [];
  for (const stage of plan.stages) {
    if (stage.blocked) {
      record({ name: stage.spec.name, kind: stage.spec.kind, status: 'skip', durationMs: 0, firstError: stage.blocked });
      continue;
    }
    if (stage.spec.where === 'host' && !stage.program.includes('/') ? !which(stage.program) : !existsSync(stage.program)) {
      // The build passed but did not produce what matrix.yaml runs: the project's fault.
      const hostTool = stage.spec.where === 'host' && !stage.program.includes('/');
      const firstError = hostTool ? `${stage.program} is not installed on this host` : `${displayPath(plan.buildDir, stage.program)} was not built (the build succeeded without it)`;
      const missingProgram: StageResult = { name: stage.spec.name, kind: stage.spec.kind, status: hostTool ? 'error' : 'fail', durationMs: 0, firstError };
      record(missingProgram);
      return finish(hostTool ? 'error' : 'fail', { stage: stage.spec.name, firstError, attempts });
    }
    if (!runnerChecked && stage.spec.where !== 'host') {
      // No verdict from a runner that has not shown it runs programs faithfully.
      ctx.events.stageStart?.(cell, RUNNER_CHECK);
      const check = await ctx.checkRunner(cell, plan.runner);
      runnerChecked = true;
      const checked: StageResult = {
        name: RUNNER_CHECK,
        kind: 'check',
        status: check.ok ? 'pass' : 'error',
        durationMs: check.durationMs,
        ...(check.commands.length ? { command: check.commands.join(' ; ') } : {}),
        ...(check.ok ? {} : { firstError: check.evidence }),
      };
      record(checked);
      if (!check.ok) {
        const why = check.evidence ?? 'the runner check failed';
        for (const rest of plan.stages) {
          if (!stages.some((s) => s.name === rest.spec.name)) {
            stages.push({ name: rest.spec.name, kind: rest.spec.kind, status: 'error', durationMs: 0, firstError: `not run: ${why}` });
          }
        }
        return finish('error', { stage: RUNNER_CHECK, firstError: why });
      }
    }
    const timeoutS = stage.spec.timeout ?? ctx.options.timeout;
    const maxTries = 1 + Math.max(0, ctx.options.retries);
    const tries: AttemptResult[] = [];
    let outcome: StageOutcome | undefined;
    while (tries.length < maxTries) {
      const n = tries.length + 1;
      const logName = n === 1 ? stage.spec.name : `${stage.spec.name}.${n - 1}`;
      const r = await runStep(stage.spec.name, stage.argv, plan.buildDir, timeoutS, logName);
      outcome = classifyRun(stage.spec, r, stageResult(stage.spec.name, stage.spec.kind, r, logName), plan.runner, timeoutS, custom);
      const res = outcome.result;
      tries.push({
        attempt: n,
        status: res.status,
        ...(res.exitCode !== undefined ? { exitCode: res.exitCode } : {}),
        ...(res.signal ? { signal: res.signal } : {}),
        ...(res.firstError ? { firstError: res.firstError } : {}),
        durationMs: res.durationMs,
        ...(res.log ? { log: res.log } : {}),
      });
      // Only code failures are retried: a timeout or infrastructure error would just cost time again.
      if (outcome.status !== 'fail' || ctx.signal.aborted) break;
    }
    const result = outcome!.result;
    result.attempts = tries.length;
    if (tries.length > 1) result.tries = tries;
    attempts = Math.max(attempts, tries.length);
    record(result);
    if (outcome!.status) {
      return finish(outcome!.status, { stage: stage.spec.name, firstError: result.firstError, signal: result.signal, attempts });
    }
    if (tries.length > 1) {
      flakyStages.push({ stage: result, failed: tries[0]!, known: stage.spec.knownFlaky === true || cell.target.knownFlaky === true });
    }
  }

  // A cell is green only when a test really ran on the target and passed.
  const onTarget = new Set(plan.stages.filter((s) => s.spec.where !== 'host').map((s) => s.spec.name));
  const ran = stages.filter((s) => (s.kind === 'test' || s.kind === 'check') && onTarget.has(s.name) && s.status === 'pass');
  if (ran.length === 0) {
    const install = notRunnable?.packages.length ? { install: `apt-get install -y --no-install-recommends ${[...new Set(notRunnable.packages)].join(' ')}` } : {};
    return finish('skip', { stage: lastRunStage(plan, stages)?.name, attempts, reason: vacuousReason(plan, stages, notRunnable?.reason), ...install });
  }
  const flaky = flakyStages[0];
  if (flaky) {
    return finish('flaky', {
      stage: flaky.stage.name,
      attempts,
      firstError: flaky.failed.firstError,
      ...(flaky.failed.signal ? { signal: flaky.failed.signal } : {}),
      reason: `failed on attempt 1${flaky.failed.signal ? ` (${flaky.failed.signal})` : ''}, passed on attempt ${flaky.stage.attempts}${flaky.known ? '; matrix.yaml declares this stage known-flaky' : ''}`,
      ...(flakyStages.every((f) => f.known) ? { knownFlaky: true } : {}),
    });
  }
  return finish('pass', { stage: ran[ran.length - 1]!.name, attempts });
}

/** The name of the stage that proves the runner before the first run stage. */
export const RUNNER_CHECK = 'runner-check';

function lastRunStage(plan: CellPlan, stages: StageResult[]): StageResult | undefined {
  const names = new Set(plan.stages.map((s) => s.spec.name));
  return [...stages].reverse().find((s) => names.has(s.name)) ?? stages[stages.length - 1];
}

/** Why a cell that built has no test that ran and passed. */
function vacuousReason(plan: CellPlan, stages: StageResult[], notRunnable?: string): string {
  if (notRunnable) {
    const host = plan.stages.filter((s) => s.spec.where === 'host').map((s) => s.spec.name);
    const checked = host.length && host.every((n) => stages.some((s) => s.name === n && s.status === 'pass')) ? ` and checked on the host (${host.join(', ')})` : '';
    return `built${checked}; not run: ${notRunnable}`;
  }
  if (plan.stages.length === 0) return 'built; the target has no run stages';
  const names = new Set(plan.stages.map((s) => s.spec.name));
  const why = [...new Set(stages.filter((s) => names.has(s.name) && s.status === 'skip').map((s) => s.firstError ?? 'skipped'))];
  const testStages = plan.stages.filter((s) => s.spec.kind !== 'bench').length;
  if (testStages === 0) return 'built; only benchmarks ran (a benchmark proves nothing about correctness)';
  return `built; no test stage ran here: ${why.join('; ') || 'every test stage was skipped'}`;
}
