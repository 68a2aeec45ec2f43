// Takes one cell through its stages (probe, configure, build, each run stage)
// and turns what happened into a status. Code failures are `fail`; trouble
// with the machine (qemu, toolchain, disk) is `error` or `skip`, never `fail`.

import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

import type { Cell } from '../matrix/cells.js';
import type { RunStageSpec } from '../matrix/types.js';
import type { CellResult, CellStatus, CellVersions, StageResult } from '../results/types.js';
import { cflagsFor, compilerName, ldflagsFor, linkerFor, probeToolchain, toolchainPackages } from '../build/toolchain.js';
import { which } from '../build/which.js';
import { chooseRunner, stageBlocked, wrapCommand, type Runner } from '../qemu/runner.js';
import { runCommand, type CommandResult } from '../runtime/command.js';
import { formatCommand, quoteArg } from '../runtime/quote.js';
import type { RunContext } from './context.js';
import { clip, diskFull, firstErrorLine, lastLine, qemuInfrastructureError, qemuTargetSignal, toolchainBroken } from './first-error.js';
import { parseTap, tapFailureLine } from './tap.js';
import { buildDir, displayPath, logDir, reportLogPath } from './paths.js';

/** The commands of a cell, built once: run, reported, and joined into the reproducer. */
export interface CellPlan {
  runner: Runner;
  buildDir: string;
  sourceDir: string;
  configure?: string[];
  build: string[];
  stages: { spec: RunStageSpec; program: string; argv: string[]; blocked: string }[];
}

function substitute(arg: string, vars: Record<string, string>): string {
  return arg.replace(/\{(build|source|prepared|root)\}/g, (_, key: string) => vars[key] ?? `{${key}}`);
}

export function planCell(cell: Cell, ctx: Pick<RunContext, 'config' | 'cacheDir' | 'machine' | 'generator' | 'options'>): CellPlan {
  const { arch, toolchain, target } = cell;
  const root = ctx.config.root;
  const sourceDir = resolve(root, target.source);
  const bdir = buildDir(ctx.cacheDir, cell.id);
  const runner = chooseRunner(arch, ctx.machine);
  const vars = { build: bdir, source: sourceDir, prepared: join(ctx.cacheDir, 'prepared', target.name), root };
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
    const abs = isAbsolute(program) ? program : join(bdir, program);
    return { spec, program: abs, argv: wrapCommand(runner, abs, args), blocked: stageBlocked(spec.where, runner, arch, ctx.machine) };
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
export function prepareCommand(cell: Cell, ctx: Pick<RunContext, 'config' | 'cacheDir'>): { dir: string; argv: string[] } | undefined {
  const target = cell.target;
  if (!target.prepare) return undefined;
  const dir = join(ctx.cacheDir, 'prepared', target.name);
  const argv = target.prepare.command.map((a) => a.replace(/\{prepared\}/g, dir).replace(/\{root\}/g, ctx.config.root).replace(/\{source\}/g, resolve(ctx.config.root, target.source)));
  return { dir, argv };
}

interface StageOutcome {
  result: StageResult;
  /** Cell status this stage implies when it did not pass. */
  status?: CellStatus;
}

export async function runCell(cell: Cell, ctx: RunContext): Promise<CellResult> {
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
    versions,
    stages,
    reproducer: reproducer(plan, ctx.config.root, undefined, prepareCommand(cell, ctx)),
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
  if (plan.runner.kind === 'none') {
    missing.push(plan.runner.reason);
    packages.push(...plan.runner.packages);
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

  const runStep = async (name: string, kind: StageResult['kind'], argv: string[], cwd: string, timeoutS: number): Promise<CommandResult> => {
    ctx.events.stageStart?.(cell, name);
    return runCommand({
      file: argv[0]!,
      args: argv.slice(1),
      cwd,
      timeoutMs: timeoutS * 1000,
      logPath: join(logs, `${name}.log`),
      logLimit: ctx.config.defaults.logLimit,
      signal: ctx.signal,
      registry: ctx.registry,
      onOutput: ctx.options.verbose ? (chunk) => ctx.events.output?.(cell, name, chunk) : undefined,
    });
  };
  const stageResult = (name: string, kind: StageResult['kind'], r: CommandResult): StageResult => ({
    name,
    kind,
    status: 'pass',
    command: r.command,
    cwd: displayPath(ctx.config.root, r.cwd),
    exitCode: r.exitCode,
    ...(r.signal ? { signal: r.signal } : {}),
    durationMs: r.durationMs,
    log: reportLogPath(cell.id, name),
    ...(r.logTruncated ? { logTruncated: true } : {}),
  });

  // Configure and build: failures here are the code's (or the toolchain's).
  const buildSteps: { name: 'configure' | 'build'; argv: string[] }[] = [];
  if (plan.configure) buildSteps.push({ name: 'configure', argv: plan.configure });
  buildSteps.push({ name: 'build', argv: plan.build });
  await mkdir(plan.buildDir, { recursive: true });
  for (const step of buildSteps) {
    const r = await runStep(step.name, step.name, step.argv, ctx.config.root, ctx.options.timeout);
    const outcome = classifyBuild(step.name, r, stageResult(step.name, step.name, r));
    stages.push(outcome.result);
    ctx.events.stageEnd?.(cell, outcome.result);
    if (outcome.status) {
      return finish(outcome.status, { stage: step.name, firstError: outcome.result.firstError, signal: outcome.result.signal });
    }
  }

  // Run stages: the code under test, natively or under qemu; retried on failure.
  let flaky = false;
  let attempts = 1;
  for (const stage of plan.stages) {
    if (stage.blocked) {
      const skipped: StageResult = { name: stage.spec.name, kind: stage.spec.kind, status: 'skip', durationMs: 0, firstError: stage.blocked };
      stages.push(skipped);
      ctx.events.stageEnd?.(cell, skipped);
      continue;
    }
    if (!existsSync(stage.program)) {
      // The build passed but did not produce what matrix.yaml runs: the project's fault.
      const missingProgram: StageResult = { name: stage.spec.name, kind: stage.spec.kind, status: 'fail', durationMs: 0, firstError: `${displayPath(plan.buildDir, stage.program)} was not built (the build succeeded without it)` };
      stages.push(missingProgram);
      ctx.events.stageEnd?.(cell, missingProgram);
      return finish('fail', { stage: stage.spec.name, firstError: missingProgram.firstError, attempts });
    }
    let outcome: StageOutcome | undefined;
    let tries = 0;
    const maxTries = 1 + Math.max(0, ctx.options.retries);
    while (tries < maxTries) {
      tries++;
      const r = await runStep(stage.spec.name, stage.spec.kind, stage.argv, plan.buildDir, stage.spec.timeout ?? ctx.options.timeout);
      outcome = classifyRun(stage.spec, r, stageResult(stage.spec.name, stage.spec.kind, r), plan.runner, stage.spec.timeout ?? ctx.options.timeout);
      // Only code failures are retried: a timeout or infrastructure error would just cost time again.
      if (!outcome.status || outcome.status !== 'fail' || ctx.signal.aborted) break;
    }
    outcome!.result.attempts = tries;
    attempts = Math.max(attempts, tries);
    stages.push(outcome!.result);
    ctx.events.stageEnd?.(cell, outcome!.result);
    if (outcome!.status) {
      return finish(outcome!.status, { stage: stage.spec.name, firstError: outcome!.result.firstError, signal: outcome!.result.signal, attempts });
    }
    if (tries > 1) flaky = true;
  }
  const last = [...stages].reverse().find((s) => s.status === 'pass');
  return finish(flaky ? 'flaky' : 'pass', { stage: last?.name, attempts, ...(flaky ? { reason: 'failed, then passed on retry' } : {}) });
}

function classifyBuild(name: string, r: CommandResult, result: StageResult): StageOutcome {
  if (r.canceled || r.timedOut) delete result.signal;
  if (r.canceled) return fail(result, 'error', 'interrupted (run canceled)');
  if (r.timedOut) return fail(result, 'timeout', `${name} exceeded its time limit; process tree killed`);
  if (r.spawnError) return fail(result, 'error', clip(r.spawnError));
  if (r.exitCode === 0 && !r.signal) return { result };
  if (diskFull(r.output)) return fail(result, 'error', firstErrorLine(r.output) ?? 'no space left on device');
  if (name === 'configure' && toolchainBroken(r.output)) {
    return fail(result, 'error', `toolchain cannot build a test program: ${firstErrorLine(r.output) ?? lastLine(r.output) ?? ''}`, r.output);
  }
  if (r.signal) return fail(result, 'error', `${name} tool killed by ${r.signal}`);
  return fail(result, 'fail', firstErrorLine(r.output) ?? lastLine(r.output) ?? `${name} failed with exit code ${r.exitCode}`, r.output);
}

export function classifyRun(spec: RunStageSpec, r: CommandResult, result: StageResult, runner: Runner, timeoutS: number): StageOutcome {
  if (r.canceled || r.timedOut) delete result.signal; // our own kill, not the program's
  if (r.canceled) return fail(result, 'error', 'interrupted (run canceled)');
  if (r.timedOut) return fail(result, 'timeout', `no result within ${timeoutS} s; process tree killed${lastLine(r.output) ? ` (last output: ${lastLine(r.output)})` : ''}`, r.output);
  if (r.spawnError) return fail(result, 'error', `could not start: ${clip(r.spawnError)}`);
  if (diskFull(r.output)) return fail(result, 'error', 'no space left on device');
  if (runner.kind === 'qemu') {
    const infra = qemuInfrastructureError(r.output);
    if (infra && r.exitCode !== 0) return fail(result, 'error', infra, r.output);
  }
  // qemu also prints "uncaught target signal" for a forked child that a test
  // expects to trap: trust it only when the process itself did not exit cleanly.
  const signal = r.signal ?? (runner.kind === 'qemu' && r.exitCode !== 0 ? qemuTargetSignal(r.output) : undefined);
  if (signal) result.signal = signal;

  let why: string | undefined;
  if (spec.format === 'tap') {
    const tap = parseTap(r.stdout);
    result.tests = tap.tests;
    if (tap.planned !== undefined) result.testsPlanned = tap.planned;
    if (!tap.ok || r.exitCode !== 0 || signal) {
      why = tapFailureLine(tap) ?? `exit code ${r.exitCode}`;
    }
  } else if (spec.format === 'expect') {
    const got = r.stdout.trim();
    const want = (spec.expectStdout ?? '').trim();
    if (got !== want) why = `expected output ${JSON.stringify(clip(want, 80))}, got ${JSON.stringify(clip(got, 80))}`;
    else if (r.exitCode !== 0 || signal) why = `exit code ${r.exitCode}`;
  } else if (r.exitCode !== 0 || signal) {
    why = firstErrorLine(r.output) ?? lastLine(r.output) ?? `exit code ${r.exitCode}`;
  }
  if (spec.kind === 'bench') result.data = parseJsonTail(r.stdout);
  if (signal) {
    const detail = firstErrorLine(r.output);
    why = `crashed with ${signal}${why ? `: ${why}` : ''}${detail && !why?.includes(detail) && !/uncaught target signal/.test(detail) ? ` (${detail})` : ''}`;
  }
  if (why) return fail(result, 'fail', clip(why), r.output);
  return { result };
}

function fail(result: StageResult, status: CellStatus, firstError: string, output?: string): StageOutcome {
  result.status = status === 'timeout' ? 'timeout' : status === 'error' ? 'error' : 'fail';
  result.firstError = firstError;
  if (output) result.excerpt = logExcerpt(output);
  return { result, status };
}

/** The last lines of a log (at most 40 lines, 4 KiB). */
export function logExcerpt(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-40);
  const text = lines.join('\n');
  return text.length > 4096 ? text.slice(-4096) : text;
}

/** A benchmark's JSON output (the whole stdout, or its last JSON object). */
function parseJsonTail(stdout: string): unknown {
  const text = stdout.trim();
  const start = text.startsWith('{') || text.startsWith('[') ? 0 : text.lastIndexOf('\n{') + 1;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
}

