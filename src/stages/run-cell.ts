// Takes one cell through its stages (probe, prepare, configure, build, the
// runner check, each run stage) and turns what happened into a status. Code
// failures are `fail`; trouble with the machine (qemu, toolchain, disk) is
// `error` or `skip`, never `fail`. The parts live beside it: plan.ts (the
// commands), probe.ts, classify.ts (one result's meaning), attempts.ts
// (retries), verdict.ts (the cell's status at the end).
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Cell } from '../matrix/cells.js';
import type { CellResult, CellStatus, StageResult } from '../results/types.js';
import { which } from '../toolchains/which.js';
import { runCommand, type CommandResult } from '../runtime/command.js';
import { displayPath, logDir, reportLogPath } from '../cache/paths.js';
import type { RunContext } from './context.js';
import { classifyBuild, classifyRun } from './classify.js';
import { freshBuildTree } from './build-tree.js';
import { cellAxes, isDriver, planCell, prepareCommand, reproducer, rerunCommand, type CellPlan } from './plan.js';
import { syncTree } from './tree-copy.js';
import { clearResultFiles, collectTests, type CollectedTests } from './collect-tests.js';
import { runStageLimit } from './time-limit.js';
import { probeCell } from './probe.js';
import { runAttempts } from './attempts.js';
import { cellVerdict, type FlakyStage } from './verdict.js';
import { alternateRunner, secondOpinionNote, secondVerdict } from './second-opinion.js';

/** The name of the stage that proves the runner before the first run stage. */
export const RUNNER_CHECK = 'runner-check';

export async function runCell(cell: Cell, ctx: RunContext): Promise<CellResult> {
  // A deliberate engine bug, so the tests can prove a bug is exit 3 with its stack, never a cell `error`.
  if (process.env.MATRIX_FAULT_INJECT === `throw-in-cell:${cell.id}`) throw new Error(`injected fault in ${cell.id} (MATRIX_FAULT_INJECT)`);
  const started = performance.now();
  const plan = planCell(cell, ctx);
  const { events } = ctx.control;
  const stages: StageResult[] = [];
  const base = {
    id: cell.id,
    arch: cell.arch.name,
    toolchain: cell.toolchain.name,
    target: cell.target.name,
    runner: plan.runner.kind,
    axes: cellAxes(cell, plan.runner),
    ...(cell.arch.bits ? { bits: cell.arch.bits } : {}),
    versions: {},
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
  const record = (result: StageResult): void => {
    stages.push(result);
    events.stageEnd?.(cell, result);
  };

  const logs = logDir(ctx.cacheDir, cell.id);
  await rm(logs, { recursive: true, force: true });
  await mkdir(logs, { recursive: true });

  // Probe: is everything this cell needs on this machine?
  events.stageStart?.(cell, 'probe');
  const probe = await probeCell(cell, plan, ctx);
  base.versions = probe.versions;
  record(probe.stage);
  if (probe.missing) return finish('skip', { stage: 'probe', reason: probe.missing.reason, ...(probe.missing.install ? { install: probe.missing.install } : {}) });
  if (probe.limit) return finish(probe.limit.status, { stage: 'probe', ...(probe.limit.status === 'skip' ? { reason: probe.limit.reason } : { firstError: probe.limit.reason }) });

  // Host-side preparation shared by the target's cells (generated inputs).
  if (cell.target.prepare) {
    const prepared = await ctx.shared.prepare(cell.target.name);
    if (prepared) {
      stages.push(prepared.stage);
      if (!prepared.ok) return finish('error', { stage: 'prepare', firstError: prepared.stage.firstError });
    }
  }

  const runStep = async (name: string, argv: string[], cwd: string, timeoutS: number, logName = name): Promise<CommandResult> => {
    events.stageStart?.(cell, name);
    return runCommand({
      file: argv[0]!,
      args: argv.slice(1),
      cwd,
      env: plan.env,
      timeoutMs: timeoutS * 1000,
      logPath: join(logs, `${logName}.log`),
      logLimit: ctx.config.defaults.logLimit,
      signal: ctx.control.signal,
      registry: ctx.control.registry,
      onOutput: ctx.options.verbose ? (chunk) => events.output?.(cell, name, chunk) : undefined,
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

  const custom = cell.target.firstError ? new RegExp(cell.target.firstError) : undefined;
  // Configure and build: failures here are the code's (or the toolchain's).
  // A changed configure line starts the build tree from scratch.
  const tree = await freshBuildTree(plan);
  // in_tree: this cell's own copy of the source tree, brought up to date.
  if (plan.copyTree) await syncTree(plan.copyTree.from, plan.copyTree.to, [ctx.cacheDir]);
  for (const file of plan.files ?? []) await writeFile(file.path, file.content);
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
  const flaky: FlakyStage[] = [];
  // Keep going: later run stages still run after a failure; the first unexpected one decides the cell.
  const keepGoing = ctx.options.keepGoing === true || cell.target.keepGoing === true;
  let decided: CellResult | undefined;
  for (const stage of plan.stages) {
    if (stage.blocked) {
      record({ name: stage.spec.name, kind: stage.spec.kind, status: 'skip', durationMs: 0, firstError: stage.blocked });
      continue;
    }
    const missing = missingProgram(stage);
    if (missing) {
      record({ name: stage.spec.name, kind: stage.spec.kind, status: missing.status, durationMs: 0, firstError: missing.why(plan) });
      decided ??= finish(missing.status, { stage: stage.spec.name, firstError: missing.why(plan), attempts });
      if (keepGoing) continue;
      return decided;
    }
    if (!runnerChecked && stage.spec.where !== 'host') {
      // No verdict from a runner that has not shown it runs programs faithfully.
      runnerChecked = true;
      events.stageStart?.(cell, RUNNER_CHECK);
      const check = await ctx.shared.checkRunner(cell, plan.runner);
      record({
        name: RUNNER_CHECK,
        kind: 'check',
        status: check.ok ? 'pass' : 'error',
        durationMs: check.durationMs,
        ...(check.commands.length ? { command: check.commands.join(' ; ') } : {}),
        ...(check.ok ? {} : { firstError: check.evidence }),
        ...(check.interrupted ? { interrupted: true } : {}),
      });
      if (!check.ok) {
        const why = check.evidence ?? 'the runner check failed';
        for (const rest of plan.stages) {
          if (!stages.some((s) => s.name === rest.spec.name)) stages.push({ name: rest.spec.name, kind: rest.spec.kind, status: 'error', durationMs: 0, firstError: `not run: ${why}` });
        }
        return finish('error', { stage: RUNNER_CHECK, firstError: why });
      }
    }
    const limit = runStageLimit(stage.spec.timeout ?? ctx.options.timeout, plan.runner, cell.arch, ctx.config.defaults);
    const timeoutS = limit.seconds;
    // Result files (JUnit, .trs, testlog.json): cleared before each attempt, read after it.
    let reported: CollectedTests | undefined;
    const { outcome, tries } = await runAttempts(
      1 + Math.max(0, ctx.options.retries),
      async (logName) => {
        await clearResultFiles(stage.spec, plan.buildDir);
        const r = await runStep(stage.spec.name, stage.argv, plan.buildDir, timeoutS, logName);
        reported = await collectTests(stage.spec, plan.buildDir);
        return r;
      },
      (r, logName) => {
        const res = stageResult(stage.spec.name, stage.spec.kind, r, logName);
        res.timeLimit = { seconds: limit.seconds, ...(limit.factor !== 1 ? { base: limit.base, factor: limit.factor } : {}) };
        return classifyRun(stage.spec, r, res, plan.runner, timeoutS, custom, reported, limit.text);
      },
      stage.spec.name,
      () => ctx.control.signal.aborted,
    );
    attempts = Math.max(attempts, tries.length);
    // A failure under an emulator gets a second opinion from another runner.
    const other = outcome.status === 'fail' && ctx.config.defaults.secondOpinion && !stage.spec.tty && stage.spec.where !== 'host' && !isDriver(stage.spec) && !ctx.control.signal.aborted ? alternateRunner(plan.runner, cell.arch) : undefined;
    let note: string | undefined;
    if (other) {
      const logName = `${stage.spec.name}.second-opinion`;
      const r = await runStep(stage.spec.name, other.argv(stage.program, stage.args), plan.buildDir, timeoutS, logName);
      const second = classifyRun(stage.spec, r, stageResult(stage.spec.name, stage.spec.kind, r, logName), { kind: 'qemu', qemu: other.label, sysroot: '', args: [] }, timeoutS, custom);
      const verdict = secondVerdict(second.result.status);
      note = secondOpinionNote(other.label, verdict, second.result.firstError);
      outcome.result.secondOpinion = {
        runner: other.label,
        status: second.result.status,
        ...(second.result.firstError ? { firstError: second.result.firstError } : {}),
        ...(second.result.log ? { log: second.result.log } : {}),
        verdict,
      };
    }
    record(outcome.result);
    if (outcome.status) {
      decided ??= finish(outcome.status, { stage: stage.spec.name, firstError: outcome.result.firstError, signal: outcome.result.signal, attempts, ...(note ? { reason: note } : {}) });
      if (keepGoing && !ctx.control.signal.aborted && outcome.status !== 'error') continue;
      return { ...decided, attempts, durationMs: Math.round(performance.now() - started) };
    }
    if (tries.length > 1) flaky.push({ stage: outcome.result, failed: tries[0]!, known: stage.spec.knownFlaky === true || cell.target.knownFlaky === true });
  }

  if (decided) return { ...decided, attempts, durationMs: Math.round(performance.now() - started) };
  const verdict = cellVerdict(plan, stages, flaky, plan.runner.kind === 'none' ? plan.runner : undefined);
  return finish(verdict.status, { attempts, ...verdict.extra });
}

/** A run stage whose program is not there: the build's fault, or (a host tool) the machine's. */
function missingProgram(stage: CellPlan['stages'][number]): { status: 'fail' | 'error'; why: (plan: CellPlan) => string } | undefined {
  const hostTool = (stage.spec.where === 'host' || isDriver(stage.spec)) && !stage.program.includes('/');
  if (hostTool) return which(stage.program) ? undefined : { status: 'error', why: () => `${stage.program} is not installed on this host` };
  if (existsSync(stage.program)) return undefined;
  return { status: 'fail', why: (plan) => `${displayPath(plan.buildDir, stage.program)} was not built (the build succeeded without it)` };
}
