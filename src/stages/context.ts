// What every cell of one run shares, in four parts: the matrix and options,
// this host's facts, how the run is steered and watched, and the work done
// once per run that cells share.
import type { MatrixConfig, RunStageSpec } from '../matrix/types.js';
import type { Cell } from '../matrix/cells.js';
import type { CellResult, StageResult } from '../results/types.js';
import type { VersionProbe } from '../toolchains/versions.js';
import type { ProcessGroupRegistry } from '../runtime/process-groups.js';
import type { Runner } from '../qemu/runner.js';
import type { CanaryBuild } from '../qemu/canary.js';

export interface RunOptions {
  jobs: number;
  retries: number;
  /** Seconds per stage (a stage's own timeout wins). */
  timeout: number;
  cache: boolean;
  verbose: boolean;
  /** Run every run stage after one failed (also per target: `keep_going: true`). */
  keepGoing?: boolean;
  /** Parallelism handed to each build (make -j). */
  buildParallel: number;
}

export interface CellEvents {
  cellStart?(cell: Cell): void;
  stageStart?(cell: Cell, stage: string): void;
  stageEnd?(cell: Cell, stage: StageResult): void;
  cellEnd?(cell: Cell, result: CellResult): void;
  output?(cell: Cell, stage: string, chunk: string): void;
}

export interface PreparedTarget {
  ok: boolean;
  dir: string;
  stage: StageResult;
}

export interface RunnerVerdict {
  ok: boolean;
  interrupted?: boolean;
  /** What the runner did wrong, with what it printed. */
  evidence?: string;
  commands: string[];
  durationMs: number;
}

/** Facts of the machine the run is on. */
export interface HostFacts {
  /** `uname -m`. */
  machine: string;
  /** CMake generator arguments (['-G', 'Ninja'] when ninja is present). */
  generator: string[];
}

/** How the run is steered (stopped) and watched (progress). */
export interface RunControl {
  signal: AbortSignal;
  registry: ProcessGroupRegistry;
  events: CellEvents;
}

/** Work done once per run and shared by its cells. */
export interface SharedWork {
  /** Tool versions, probed once per binary. */
  probe: VersionProbe;
  /** Runs a target's host-side `prepare` command once per run. */
  prepare(targetName: string): Promise<PreparedTarget | undefined>;
  /** The arch/toolchain's canary program, built once: a trivial link that proves the toolchain. */
  canary(cell: Cell): Promise<CanaryBuild>;
  /** Proves the cell's runner runs a known program faithfully (once per arch/toolchain and run). */
  checkRunner(cell: Cell, runner: Runner): Promise<RunnerVerdict>;
}

export interface RunContext {
  config: MatrixConfig;
  options: RunOptions;
  /** <root>/.matrix-cache: build trees, logs, cached results. */
  cacheDir: string;
  host: HostFacts;
  control: RunControl;
  shared: SharedWork;
}

export type { RunStageSpec };
