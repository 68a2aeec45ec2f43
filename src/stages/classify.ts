// What one finished command means for its stage and for the cell: pure
// functions from a command's result to a stage status and first error. Code
// failures are `fail`; the machine's trouble (qemu, toolchain, disk) is
// `error`; a stage that tested nothing is `skip`, never `pass`.
import type { RunStageSpec } from '../matrix/types.js';
import type { CellStatus, StageResult, TestCaseResult } from '../results/types.js';
import { signalFromExitCode, type CommandResult } from '../runtime/command.js';
import type { Runner } from '../qemu/runner.js';
import { clip, stripAnsi, diskFull, firstErrorLine, lastLine, qemuInfrastructureError, qemuTargetSignal, toolchainBroken } from '../formats/first-error.js';
import { parseTap, tapFailureLine } from '../formats/tap.js';

export interface StageOutcome {
  result: StageResult;
  /** Cell status this stage implies when it did not pass (a skipped stage implies none). */
  status?: CellStatus;
}

export const INTERRUPTED = 'interrupted (run canceled)';

export function classifyBuild(name: string, r: CommandResult, result: StageResult, custom?: RegExp): StageOutcome {
  if (r.canceled || r.timedOut) delete result.signal;
  if (r.canceled) return interrupted(result);
  if (r.timedOut) return fail(result, 'timeout', `${name} exceeded its time limit; process tree killed`);
  if (r.spawnError) return fail(result, 'error', clip(r.spawnError));
  if (r.exitCode === 0 && !r.signal) return { result };
  if (diskFull(r.output)) return fail(result, 'error', firstErrorLine(r.output) ?? 'no space left on device');
  if (name === 'configure' && toolchainBroken(r.output)) {
    return fail(result, 'error', `toolchain cannot build a test program: ${firstErrorLine(r.output) ?? lastLine(r.output) ?? ''}`, r.output);
  }
  if (r.signal) return fail(result, 'error', `${name} tool killed by ${r.signal}`);
  return fail(result, 'fail', firstErrorLine(r.output, custom) ?? lastLine(r.output) ?? `${name} failed with exit code ${r.exitCode}`, r.output);
}

/** A stage's per-test results read from the files it wrote (formats junit, ctest, automake, meson). */
export interface StageTests {
  tests: TestCaseResult[];
  /** Why there were none to read. */
  missing?: string;
}

export function classifyRun(spec: RunStageSpec, r: CommandResult, result: StageResult, runner: Runner, timeoutS: number, custom?: RegExp, reported?: StageTests, limit?: string): StageOutcome {
  if (r.canceled || r.timedOut) delete result.signal; // our own kill, not the program's
  if (r.canceled) return interrupted(result);
  if (r.timedOut) return fail(result, 'timeout', `no result within ${limit ?? `${timeoutS} s`}; process tree killed${lastLine(r.output) ? ` (last output: ${lastLine(r.output)})` : ''}`, r.output);
  if (r.spawnError) return fail(result, 'error', `could not start: ${clip(r.spawnError)}`);
  if (diskFull(r.output)) return fail(result, 'error', 'no space left on device');
  if (runner.kind === 'qemu') {
    const infra = qemuInfrastructureError(r.output);
    if (infra && r.exitCode !== 0) return fail(result, 'error', infra, r.output);
    // Killed by a signal with no guest signal reported and not one byte of output:
    // qemu itself died before the program started.
    if (r.signal && !qemuTargetSignal(r.output) && r.output.trim() === '') {
      return fail(result, 'error', `${runner.qemu} died from ${r.signal} before the program printed anything (the emulator, not the code)`);
    }
  }
  // qemu also prints "uncaught target signal" for a forked child that a test
  // expects to trap: trust it only when the process itself did not exit cleanly.
  const signal =
    r.signal ??
    (runner.kind === 'qemu' && r.exitCode !== 0 ? qemuTargetSignal(r.output) : undefined) ??
    // Under a pseudo-terminal, `script -e` reports a death by signal as 128+N.
    (spec.tty ? signalFromExitCode(r.exitCode) : undefined);
  if (signal) result.signal = signal;
  const exited = signal ? undefined : `exit code ${r.exitCode}`;
  const wantExit = spec.expectExit ?? 0;
  const wrongExit = r.exitCode !== wantExit || !!signal;
  const exitWhy = wantExit === 0 ? exited : `expected exit code ${wantExit}, got ${exited ?? signal}`;

  let why: string | undefined;
  let skipped: string | undefined;
  if (spec.format === 'tap') {
    const tap = parseTap(stripAnsi(r.stdout));
    recordTests(result, tap.tests);
    if (tap.planned !== undefined) result.testsPlanned = tap.planned;
    if (tap.verdict === 'fail') why = tapFailureLine(tap) ?? exited;
    else if (r.exitCode !== 0 || signal) why = exited ?? tapFailureLine(tap);
    else if (tap.verdict === 'skip') skipped = `every test skipped: ${tap.skipReason}`;
  } else if (spec.format === 'expect') {
    const got = r.stdout.trim();
    if (spec.expectStdoutRegex !== undefined) {
      if (!new RegExp(spec.expectStdoutRegex, 'm').test(got)) why = `expected output matching /${clip(spec.expectStdoutRegex, 80)}/, got ${JSON.stringify(clip(got, 80))}`;
    } else {
      const want = (spec.expectStdout ?? '').trim();
      if (got !== want) why = `expected output ${JSON.stringify(clip(want, 80))}, got ${JSON.stringify(clip(got, 80))}`;
    }
    if (!why && wrongExit) why = exitWhy;
  } else if (reported) {
    ({ why, skipped } = fromReport(reported, result, r.exitCode !== 0 || !!signal ? (firstErrorLine(r.output, custom) ?? exited ?? lastLine(r.output)) : undefined));
  } else if (wrongExit) {
    why = wantExit === 0 ? (firstErrorLine(r.output, custom) ?? lastLine(r.output) ?? exited) : exitWhy;
  }
  if (spec.kind === 'bench' && !why) {
    const data = parseJsonTail(r.stdout);
    if (data === undefined) why = `benchmark printed no JSON${r.stdout.trim() ? `: ${JSON.stringify(clip(r.stdout.trim(), 120))}` : ' (empty output)'}`;
    else result.data = data;
  }
  if (signal) {
    const detail = firstErrorLine(r.output, custom);
    why = `crashed with ${signal}${why ? `: ${why}` : ''}${detail && !why?.includes(detail) && !/uncaught target signal/.test(detail) ? ` (${detail})` : ''}`;
    // The program's own last words say where it was.
    const last = lastProgramLine(r.output);
    if (last && !why.includes(last)) why += `; last output: ${JSON.stringify(clip(last, 120))}`;
  }
  if (why) return fail(result, 'fail', clip(why), r.output);
  if (skipped) {
    result.status = 'skip';
    result.firstError = clip(skipped);
  }
  return { result };
}

/** Stages with more tests than this keep per-test detail for the failing ones only. */
export const PER_TEST_DETAIL_LIMIT = 50;

/**
 * Counts for every test; per-test detail for all of them in a small stage, for
 * the failing ones only in a large one (a 36-cell report of 500-test stages stays small).
 */
export function recordTests(result: StageResult, tests: readonly TestCaseResult[]): void {
  const failed = tests.filter((t) => !t.ok && !t.todo);
  result.testCounts = {
    total: tests.length,
    ok: tests.filter((t) => t.ok && !t.skipped).length,
    failed: failed.length,
    skipped: tests.filter((t) => t.skipped).length,
    todo: tests.filter((t) => t.todo).length,
  };
  if (tests.length <= PER_TEST_DETAIL_LIMIT) {
    if (tests.length) result.tests = [...tests];
  } else if (failed.length) result.tests = failed.slice(0, FAILED_DETAIL_LIMIT);
}

/** Failing tests named per stage at most (the counts keep the rest): a bad night of 500 failures per cell keeps the report small. */
export const FAILED_DETAIL_LIMIT = 100;

/**
 * A stage judged by its per-test results: a failed test fails it; a driver that
 * failed with every reported test green fails it too; no test that ran is a
 * skip (never a pass).
 */
function fromReport(reported: StageTests, result: StageResult, exitFailure: string | undefined): { why?: string; skipped?: string } {
  recordTests(result, reported.tests);
  const ran = reported.tests.filter((t) => !t.skipped);
  const failed = ran.filter((t) => !t.ok);
  if (failed.length) {
    const first = failed[0]!;
    return { why: `${failed.length} of ${ran.length} tests failed: ${first.name}${first.message ? `: ${first.message}` : ''}` };
  }
  if (exitFailure) return { why: reported.missing ? `${exitFailure} (${reported.missing})` : exitFailure };
  if (reported.missing) return { why: reported.missing };
  if (ran.length === 0) return { skipped: reported.tests.length ? `every test skipped (${reported.tests.length})` : 'the test driver ran no test' };
  return {};
}

/** A stage the run's stop cut short: flagged, so nothing mistakes it for a result. */
function interrupted(result: StageResult): StageOutcome {
  result.interrupted = true;
  return fail(result, 'error', INTERRUPTED);
}

/** The last line the program printed, not qemu's or the shell's report of its death. */
function lastProgramLine(output: string): string | undefined {
  const lines = stripAnsi(output).split('\n').map((l) => l.replace(/\r$/, '').trim()).filter(Boolean);
  const own = lines.filter((l) => !/^qemu[-\w]*: /.test(l) && !/^(?:Segmentation fault|Illegal instruction|Bus error|Aborted|Trace\/breakpoint trap)(?: \(core dumped\))?$/.test(l));
  return own[own.length - 1];
}

export function fail(result: StageResult, status: CellStatus, firstError: string, output?: string): StageOutcome {
  result.status = status === 'timeout' ? 'timeout' : status === 'error' ? 'error' : 'fail';
  result.firstError = firstError;
  if (output) result.excerpt = logExcerpt(stripAnsi(output));
  return { result, status };
}

/** The last lines of a log (at most 40 lines, 4 KiB). */
export function logExcerpt(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-40);
  const text = lines.join('\n');
  return text.length > 4096 ? text.slice(-4096) : text;
}

/** A benchmark's JSON output (the whole stdout, or its last JSON object); undefined when there is none. */
export function parseJsonTail(stdout: string): unknown {
  const text = stdout.trim();
  if (!text) return undefined;
  const start = text.startsWith('{') || text.startsWith('[') ? 0 : text.lastIndexOf('\n{') + 1;
  try {
    const value: unknown = JSON.parse(text.slice(start));
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
