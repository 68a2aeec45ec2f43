// The one record of a run: written as status.json, read back by `matrix report`.
// Reporters only format this; they never run anything.

export const SCHEMA_VERSION = 1;

export type CellStatus = 'pass' | 'fail' | 'xfail' | 'xpass' | 'timeout' | 'error' | 'skip' | 'flaky';

import type { HostInfo } from '../runtime/host.js';

export type { HostInfo };

// What each status means and how it counts: see status.ts (the one table).

export type StageStatus = 'pass' | 'fail' | 'timeout' | 'error' | 'skip';

export interface TestCaseResult {
  name: string;
  ok: boolean;
  skipped?: boolean;
  todo?: boolean;
  /** TAP YAML diagnostic or the failing line, when not ok. */
  message?: string;
}

export interface TestCounts {
  total: number;
  ok: number;
  failed: number;
  skipped: number;
  todo: number;
}

export interface StageResult {
  name: string;
  kind: 'probe' | 'configure' | 'build' | 'test' | 'bench' | 'check';
  status: StageStatus;
  /** argv of the command, shell-quoted for display. */
  command?: string;
  cwd?: string;
  exitCode?: number;
  signal?: string;
  durationMs: number;
  /** Path of the stage's log, relative to the report directory. */
  log?: string;
  /** Whether the log was capped. */
  logTruncated?: boolean;
  firstError?: string;
  /** The last lines of the stage's log (non-passing stages), for reports that show an excerpt. */
  excerpt?: string;
  /** Per-test detail: every test of a small stage, the failing ones of a large one (see classify.ts recordTests). */
  tests?: TestCaseResult[];
  /** How many tests the stage reported, by outcome (the passing ones are counted, not listed). */
  testCounts?: TestCounts;
  /** Tests the TAP plan announced (more than ran when the program crashed). */
  testsPlanned?: number;
  /** Parsed JSON a benchmark printed (for reports that chart it). */
  data?: unknown;
  attempts?: number;
  /** The time limit that applied to this run stage: seconds, and the base limit and runner factor when scaled. */
  timeLimit?: { seconds: number; base?: number; factor?: number };
  /** A failed stage run once more under another runner (see stages/second-opinion.ts). */
  secondOpinion?: { runner: string; status: StageStatus; firstError?: string; log?: string; verdict: 'code' | 'suspect-emulator' | 'inconclusive' };
  /** The run was stopped (a signal) while this stage ran: its outcome is no verdict. */
  interrupted?: boolean;
  /** Every attempt of a retried stage, first to last, each with its own log. */
  tries?: AttemptResult[];
}

/** One attempt of a run stage that was retried. */
export interface AttemptResult {
  attempt: number;
  status: StageStatus;
  exitCode?: number;
  signal?: string;
  firstError?: string;
  durationMs: number;
  /** Path of this attempt's log, relative to the report directory. */
  log?: string;
}

/** A cell's place on the axes: base arch and CPU variant, base toolchain and version, and how it ran. */
export interface CellAxes {
  arch: string;
  variant?: string;
  toolchain: string;
  version?: string;
  /** qemu's -cpu model, 'host' natively; absent when qemu picks its default or nothing runs. */
  cpu?: string;
  /** Why the runner is what it is (e.g. "this host's CPU lacks avx2"), or why nothing runs. */
  runnerNote?: string;
}

export interface CellVersions {
  compiler?: string;
  qemu?: string;
  cmake?: string;
}

export interface CellResult {
  id: string;
  arch: string;
  toolchain: string;
  target: string;
  status: CellStatus;
  /** Stage that decided a non-pass status (or the last stage for pass). */
  stage?: string;
  signal?: string;
  firstError?: string;
  /** Why skipped, or the expectation's reason for xfail/xpass. */
  reason?: string;
  link?: string;
  /** Command that installs what is missing (skip). */
  install?: string;
  runner: 'native' | 'qemu' | 'none';
  /** Where the cell sits on the matrix's axes, and the CPU it ran on (the coverage view). */
  axes?: CellAxes;
  /** The arch's pointer width, when matrix.yaml declares it. */
  bits?: 32 | 64;
  versions: CellVersions;
  durationMs: number;
  stages: StageResult[];
  /** One line that rebuilds and reruns this cell outside the tool. */
  reproducer: string;
  /** The same through the tool: `npx matrix run --target T --arch A --toolchain C --no-cache`. */
  rerun?: string;
  /** Input hash keying the cache. */
  inputHash?: string;
  /** Source files changed since this cell's last good run here (red cells only). */
  changedFiles?: string[];
  /** What the input hash is made of, in short: history compares it to say what changed. */
  inputs?: CellInputs;
  cached: boolean;
  attempts: number;
  /** Flaky as matrix.yaml declares it may be (`known_flaky`): expected, still shown. */
  knownFlaky?: boolean;
  /** Not selected in this run (a --arch/--toolchain/--target filter or another shard). */
  excluded?: 'filter' | 'shard';
}

/** The parts of a cell's inputs a person can compare: versions as printed, the rest as short hashes. */
export interface CellInputs {
  compiler?: string;
  qemu?: string;
  /** matrix.yaml's entries for the cell and its exact command lines. */
  entry: string;
  /** The target's input files and the toolchain files. */
  sources: string;
  /** matrix itself: its verdict code, the canary, the runner file. */
  engine: string;
}

/** A cell's recent past, from reports/history.json (issue: nightly status tables). */
export interface CellHistory {
  /** Consecutive runs, this one included, with the current status. */
  streak: number;
  /** When the current streak began (ISO date of its first run). */
  since: string;
  /** Status in the previous run that included this cell. */
  previous?: CellStatus;
  /** Relative to the previous run: newly failing, or newly passing. */
  change?: 'new-failure' | 'fixed';
  /** Status changes within the recent window of runs. */
  flips: number;
  /** Runs in that window. */
  window: number;
  /** For a cell red now and green before: what differs from its last good run. */
  changedSince?: string[];
}

export interface HistoryInsights {
  /** Runs in the history file, this one included. */
  runs: number;
  previousRun?: string;
  cells: Record<string, CellHistory>;
}

/** Non-passing cells that fail at the same stage with the same normalised first error. */
export interface RootCauseGroup {
  stage: string;
  status: CellStatus;
  /** The normalised first error shared by the cells. */
  signature: string;
  /** One representative first error, as printed. */
  example: string;
  cells: string[];
  /** What the cells have in common ("every llvm cell on 32-bit targets"); reports prefix the count. */
  description: string;
}


export interface RunResults {
  schemaVersion: number;
  tool: { name: 'matrix'; version: string };
  /** Hash of matrix.yaml's contents. */
  matrixHash: string;
  matrixFile: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** False when interrupted (Ctrl-C): some cells did not run. */
  complete: boolean;
  host: HostInfo;
  options: { jobs: number; retries: number; timeout: number; cache: boolean; selection: Record<string, string[]>; shard?: { index: number; count: number } };
  summary: Record<CellStatus, number> & { total: number; unexpected: number };
  cells: CellResult[];
  /** Optional extra sections contributed by stages (e.g. host SMC table). */
  extras?: Record<string, unknown>;
  /** Streaks, new failures, fixes and flakiness from the history file. */
  history?: HistoryInsights;
  /** Root-cause groups of the non-passing cells. */
  groups?: RootCauseGroup[];
}
