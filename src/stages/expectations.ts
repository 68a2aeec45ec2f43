// Applies matrix.yaml's known failures to a cell's raw outcome: a failure it
// expects becomes xfail, a pass it expected to fail becomes xpass.
import type { Expectation } from '../matrix/types.js';
import type { CellResult } from '../results/types.js';

export function applyExpectation(raw: CellResult, expectation: Expectation | undefined): CellResult {
  if (!expectation || expectation.status !== 'xfail') return raw;
  const withReason = { ...raw, reason: expectation.reason, ...(expectation.link ? { link: expectation.link } : {}) };
  const stageMatches = !expectation.stage || expectation.stage === raw.stage;
  if ((raw.status === 'fail' || raw.status === 'timeout') && stageMatches) return { ...withReason, status: 'xfail' };
  if (raw.status === 'pass' || raw.status === 'flaky') return { ...withReason, status: 'xpass' };
  if (raw.status === 'fail' && !stageMatches) {
    return { ...raw, reason: `expected to fail at ${expectation.stage} (${expectation.reason}), but failed at ${raw.stage}` };
  }
  return raw;
}

export function skippedByExpectation(base: Omit<CellResult, 'status'>, expectation: Expectation): CellResult {
  return { ...base, status: 'skip', reason: expectation.reason, ...(expectation.link ? { link: expectation.link } : {}) };
}
