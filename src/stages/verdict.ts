// A cell's status once its stages ran to the end without an unexpected one:
// green only when a test really ran on the target and passed on its first
// attempt; flaky when one passed only on retry; skip when nothing was proven.
import type { AttemptResult, CellResult, CellStatus, StageResult } from '../results/types.js';
import type { CellPlan } from './plan.js';
import { aptInstallLine } from './probe.js';

export interface FlakyStage {
  stage: StageResult;
  failed: AttemptResult;
  /** matrix.yaml declares it known-flaky. */
  known: boolean;
}

export interface Verdict {
  status: CellStatus;
  extra: Partial<CellResult>;
}

export function cellVerdict(plan: CellPlan, stages: readonly StageResult[], flaky: readonly FlakyStage[], notRunnable?: { reason: string; packages: string[] }): Verdict {
  const onTarget = new Set(plan.stages.filter((s) => s.spec.where !== 'host').map((s) => s.spec.name));
  const ran = stages.filter((s) => (s.kind === 'test' || s.kind === 'check') && onTarget.has(s.name) && s.status === 'pass');
  if (ran.length === 0) {
    const install = notRunnable?.packages.length ? { install: aptInstallLine(notRunnable.packages) } : {};
    const last = lastRunStage(plan, stages);
    return { status: 'skip', extra: { ...(last ? { stage: last.name } : {}), reason: vacuousReason(plan, stages, notRunnable?.reason), ...install } };
  }
  const first = flaky[0];
  if (first) {
    return {
      status: 'flaky',
      extra: {
        stage: first.stage.name,
        ...(first.failed.firstError ? { firstError: first.failed.firstError } : {}),
        ...(first.failed.signal ? { signal: first.failed.signal } : {}),
        reason: `failed on attempt 1${first.failed.signal ? ` (${first.failed.signal})` : ''}, passed on attempt ${first.stage.attempts}${first.known ? '; matrix.yaml declares this stage known-flaky' : ''}`,
        ...(flaky.every((f) => f.known) ? { knownFlaky: true } : {}),
      },
    };
  }
  return { status: 'pass', extra: { stage: ran[ran.length - 1]!.name } };
}

/** The stage a skipped cell names: the last run stage that ran (a host check), else the build. */
function lastRunStage(plan: CellPlan, stages: readonly StageResult[]): StageResult | undefined {
  const names = new Set(plan.stages.map((s) => s.spec.name));
  return [...stages].reverse().find((s) => names.has(s.name) && s.status !== 'skip') ?? [...stages].reverse().find((s) => s.name === 'build') ?? stages[stages.length - 1];
}

/** Why a cell that built has no test that ran and passed. */
export function vacuousReason(plan: CellPlan, stages: readonly StageResult[], notRunnable?: string): string {
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
