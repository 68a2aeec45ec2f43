// What every cell of one run shares: config, host, paths, options, probes.
import type { MatrixConfig, RunStageSpec } from '../matrix/types.js';
import type { Cell } from '../matrix/cells.js';
import type { CellResult, StageResult } from '../results/types.js';
import type { VersionProbe } from '../toolchains/versions.js';
import type { ProcessGroupRegistry } from '../runtime/process-groups.js';
import type { Runner } from '../qemu/runner.js';

export interface RunOptions {
  jobs: number;
  retries: number;
  /** Seconds per stage (a stage's own timeout wins). */
  timeout: number;
  cache: boolean;
  verbose: boolean;
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
  /** What the runner did wrong, with what it printed. */
  evidence?: string;
  commands: string[];
  durationMs: number;
}

export interface RunContext {
  config: MatrixConfig;
  machine: string;
  /** <root>/.matrix-cache: build trees, logs, cached results. */
  cacheDir: string;
  options: RunOptions;
  probe: VersionProbe;
  registry: ProcessGroupRegistry;
  signal: AbortSignal;
  events: CellEvents;
  /** Runs a target's host-side `prepare` command once per run. */
  prepare(targetName: string): Promise<PreparedTarget | undefined>;
  /** Proves the cell's runner runs a known program faithfully (once per arch/toolchain and run). */
  checkRunner(cell: Cell, runner: Runner): Promise<RunnerVerdict>;
  /** CMake generator arguments (['-G', 'Ninja'] when ninja is present). */
  generator: string[];
}

export type { RunStageSpec };
