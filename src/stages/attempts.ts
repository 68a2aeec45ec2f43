// A run stage with its retries: every attempt has its own log and its own
// record (exit code, signal, first error), and only a code failure is tried
// again (a timeout or an infrastructure error would just cost time twice).
import type { AttemptResult, StageResult } from '../results/types.js';
import type { CommandResult } from '../runtime/command.js';
import type { StageOutcome } from './classify.js';

export interface Attempts {
  outcome: StageOutcome;
  tries: AttemptResult[];
}

/** The log name of attempt n (1-based): `<stage>`, `<stage>.1`, `<stage>.2`... */
export function attemptLogName(stage: string, n: number): string {
  return n === 1 ? stage : `${stage}.${n - 1}`;
}

export function attemptRecord(n: number, res: StageResult): AttemptResult {
  return {
    attempt: n,
    status: res.status,
    ...(res.exitCode !== undefined ? { exitCode: res.exitCode } : {}),
    ...(res.signal ? { signal: res.signal } : {}),
    ...(res.firstError ? { firstError: res.firstError } : {}),
    durationMs: res.durationMs,
    ...(res.log ? { log: res.log } : {}),
  };
}

/** Runs attempt after attempt until one is not a code failure, or `maxTries` ran. */
export async function runAttempts(
  maxTries: number,
  attempt: (logName: string) => Promise<CommandResult>,
  classify: (r: CommandResult, logName: string) => StageOutcome,
  stage: string,
  stopped: () => boolean,
): Promise<Attempts> {
  const tries: AttemptResult[] = [];
  let outcome: StageOutcome | undefined;
  while (tries.length < Math.max(1, maxTries)) {
    const n = tries.length + 1;
    const logName = attemptLogName(stage, n);
    outcome = classify(await attempt(logName), logName);
    tries.push(attemptRecord(n, outcome.result));
    if (outcome.status !== 'fail' || stopped()) break;
  }
  const result = outcome!.result;
  result.attempts = tries.length;
  if (tries.length > 1) result.tries = tries;
  return { outcome: outcome!, tries };
}
