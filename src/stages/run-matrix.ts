// Runs the selected cells of a matrix concurrently and returns the one
// RunResults record. Cached cells cost a hash and a file read; excluded and
// expected-skip cells appear with their reason; on cancellation the cells that
// did not run are reported as such and the record is marked incomplete.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Cell, Selection } from '../matrix/cells.js';
import { expandMatrix, selectCells } from '../matrix/cells.js';
import type { MatrixConfig } from '../matrix/types.js';
import type { CellInputs, CellResult, CellStatus, RunResults, StageResult } from '../results/types.js';
import { SCHEMA_VERSION } from '../results/types.js';
import { STATUS, summarize } from '../results/status.js';
import { changedSinceGood, rememberGoodInputs } from '../cache/last-good.js';
import { hashJson, SourceHasher, withoutLocations } from '../cache/inputs.js';
import { ResultCache } from '../cache/store.js';
import { archOverride, probeToolchain } from '../toolchains/toolchain.js';
import { VersionProbe } from '../toolchains/versions.js';
import { which } from '../toolchains/which.js';
import { chooseRunner, type Runner } from '../qemu/runner.js';
import { runCommand } from '../runtime/command.js';
import { hostInfo, hostMachine } from '../runtime/host.js';
import { ProcessGroupRegistry } from '../runtime/process-groups.js';
import { formatCommand } from '../runtime/quote.js';
import type { CellEvents, PreparedTarget, RunContext, RunnerVerdict, RunOptions } from './context.js';
import { applyExpectation, skippedByExpectation } from './expectations.js';
import { cellAxes, planCell, prepareCommand, reproducer, rerunCommand } from './plan.js';
import { runCell } from './run-cell.js';
import { clip, firstErrorLine, lastLine } from '../formats/first-error.js';
import { buildCanary, CANARY_SOURCE, checkRunner, type CanaryBuild } from '../qemu/canary.js';
import { collectExtras } from '../results/bench-extras.js';
import { describeFsError, isFsError } from '../runtime/fs-errors.js';

export const TOOL_VERSION = '0.1.0';

/**
 * Content hash of every part of the orchestrator that decides a verdict: what
 * builds command lines, picks runners, runs processes, checks the runner and
 * classifies. A change to any of them reruns the cells.
 */
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const VERDICT_CODE = ['stages', 'qemu', 'toolchains', 'formats', 'runtime', 'matrix', 'cache', 'results/types.js', 'results/status.js'];
const ORCHESTRATOR_HASH = new SourceHasher(DIST).hash(VERDICT_CODE);

export interface MatrixRunInput {
  config: MatrixConfig;
  /** Hash of matrix.yaml's text. */
  matrixHash: string;
  selection: Selection;
  options: RunOptions;
  events?: CellEvents;
  signal?: AbortSignal;
  registry?: ProcessGroupRegistry;
  /** Default: <root>/.matrix-cache. */
  cacheDir?: string;
  /** Host CPU labels from the addon, when available. */
  hostCpu?: Record<string, unknown>;
}

/** `.matrix-cache` beside matrix.yaml, or $MATRIX_CACHE_DIR (e.g. a CI cache path). */
export function defaultCacheDir(config: MatrixConfig): string {
  const override = process.env.MATRIX_CACHE_DIR;
  return override ? resolve(override) : join(config.root, '.matrix-cache');
}

export async function runMatrix(input: MatrixRunInput): Promise<RunResults> {
  const { config, options } = input;
  const startedAt = new Date();
  const started = performance.now();
  const cacheDir = input.cacheDir ?? defaultCacheDir(config);
  await mkdir(cacheDir, { recursive: true });
  const machine = hostMachine();
  const probe = new VersionProbe(join(cacheDir, 'versions.json'));
  const cache = new ResultCache(cacheDir);
  const hasher = new SourceHasher(config.root);
  const signal = input.signal ?? new AbortController().signal;
  const registry = input.registry ?? new ProcessGroupRegistry();
  const events = input.events ?? {};
  const preparing = new Map<string, Promise<PreparedTarget | undefined>>();
  const runnerChecks = new Map<string, Promise<RunnerVerdict>>();
  const canaries = new Map<string, Promise<CanaryBuild>>();
  const once = <T>(memo: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> => {
    let p = memo.get(key);
    if (!p) {
      p = make();
      memo.set(key, p);
    }
    return p;
  };
  const ctx: RunContext = {
    config,
    options,
    cacheDir,
    host: { machine, generator: which('ninja') ? ['-G', 'Ninja'] : [] },
    control: { signal, registry, events },
    shared: {
      probe,
      canary: (cell) => once(canaries, `${cell.arch.name}\0${cell.toolchain.name}`, () => makeCanary(cell, ctx)),
      checkRunner: (cell, runner) => once(runnerChecks, `${cell.arch.name}\0${cell.toolchain.name}`, () => verifyRunner(cell, runner, ctx)),
      prepare: (targetName) => once(preparing, targetName, () => prepareTarget(config, cacheDir, targetName, ctx)),
    },
  };

  const all = expandMatrix(config);
  const { selected, excluded } = selectCells(all, input.selection);
  const results = new Map<string, CellResult>();
  for (const { cell, reason, by } of excluded) results.set(cell.id, { ...notRun(cell, ctx, 'skip', reason), excluded: by });
  // `--failed`: a cell not rerun shows its cached result for its current inputs (the same evidence a plain run would reuse).
  if (input.selection.ids?.othersFromCache) {
    for (const { cell, byIds } of excluded) {
      if (!byIds || cell.expectation?.status === 'skip') continue;
      const { hash } = await cellInputs(cell, ctx, hasher);
      const hit = await cache.get(cell.id, hash);
      if (hit) results.set(cell.id, applyExpectation({ ...hit, cached: true }, cell.expectation));
    }
  }

  // Cache look-ups first: they decide what is left to run.
  const queue: { cell: Cell; inputHash: string; weight: number }[] = [];
  const inputsOf = new Map<string, CellInputs>();
  for (const cell of selected) {
    if (cell.expectation?.status === 'skip') {
      const { status: _s, ...base } = notRun(cell, ctx, 'skip', cell.expectation.reason);
      const skipped = skippedByExpectation(base, cell.expectation);
      results.set(cell.id, skipped);
      events.cellEnd?.(cell, skipped);
      continue;
    }
    const { hash: inputHash, summary: inputs } = await cellInputs(cell, ctx, hasher);
    inputsOf.set(cell.id, inputs);
    const hit = options.cache ? await cache.get(cell.id, inputHash) : undefined;
    if (hit) {
      const final = applyExpectation({ ...hit, cached: true }, cell.expectation);
      results.set(cell.id, final);
      events.cellEnd?.(cell, final);
      continue;
    }
    queue.push({ cell, inputHash, weight: (await cache.lastDuration(cell.id)) ?? Number.MAX_SAFE_INTEGER });
  }
  // Longest first keeps both cores busy until the end (known durations from the last run).
  queue.sort((a, b) => b.weight - a.weight);

  const worker = async () => {
    for (;;) {
      if (signal.aborted) return;
      const next = queue.shift();
      if (!next) return;
      const { cell, inputHash } = next;
      events.cellStart?.(cell);
      let raw: CellResult;
      try {
        raw = { ...(await runCell(cell, ctx)), inputHash };
      } catch (error) {
        // A full disk or an unwritable cache mid-run is the machine's problem: an `error` cell, the run goes on.
        // Anything else is a bug in matrix, not a cell's result: it ends the run (exit 3).
        if (!isFsError(error)) throw error;
        raw = { ...notRun(cell, ctx, 'error', describeFsError(error)), inputHash };
      }
      const interrupted = raw.stages.some((s) => s.interrupted === true);
      if (!interrupted) {
        // The result stands even when it cannot be remembered (disk full): it is only rerun next time.
        await cache.put(raw).catch((error: unknown) => {
          if (!isFsError(error)) throw error;
          process.stderr.write(`matrix: warning: ${cell.id}: result not cached: ${describeFsError(error)}\n`);
        });
      }
      const final = interrupted ? raw : await noteInputs(cell, applyExpectation(raw, cell.expectation));
      results.set(cell.id, final);
      events.cellEnd?.(cell, final);
    }
  };
  // Which source files changed since a red cell was last green (kept per cell in the cache).
  const noteInputs = async (cell: Cell, result: CellResult): Promise<CellResult> => {
    const files = hasher.fileHashes(cell.target.inputs.length ? cell.target.inputs : [cell.target.source]);
    const history = STATUS[result.status].history;
    try {
      if (history === 'good') await rememberGoodInputs(cacheDir, cell.id, files);
      if (history !== 'bad') return result;
      const changed = await changedSinceGood(cacheDir, cell.id, files);
      return changed ? { ...result, changedFiles: changed } : result;
    } catch (error) {
      if (isFsError(error)) return result;
      throw error;
    }
  };
  const workers = Math.max(1, Math.min(options.jobs, queue.length || 1));
  await Promise.all(Array.from({ length: workers }, worker));
  for (const { cell } of queue) {
    const skipped = notRun(cell, ctx, 'skip', 'not run: the run was interrupted');
    results.set(cell.id, skipped);
    events.cellEnd?.(cell, skipped);
  }
  await probe.save();

  const cells = all.map((c) => results.get(c.id)!).filter(Boolean).map((c) => (inputsOf.has(c.id) ? { ...c, inputs: inputsOf.get(c.id)! } : c));
  const extras = collectExtras(config, cells);
  const finishedAt = new Date();
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'matrix', version: TOOL_VERSION },
    matrixHash: input.matrixHash,
    matrixFile: config.file,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    complete: !signal.aborted,
    host: { ...hostInfo(), ...(input.hostCpu ? { cpu: input.hostCpu } : {}) },
    options: {
      jobs: options.jobs,
      retries: options.retries,
      timeout: options.timeout,
      cache: options.cache,
      selection: {
        ...(input.selection.arch ? { arch: input.selection.arch } : {}),
        ...(input.selection.toolchain ? { toolchain: input.selection.toolchain } : {}),
        ...(input.selection.target ? { target: input.selection.target } : {}),
      },
      ...(input.selection.shard ? { shard: { index: input.selection.shard.index, count: input.selection.shard.count } } : {}),
    },
    summary: summarize(cells),
    cells,
    ...(extras ? { extras } : {}),
  };
}

function notRun(cell: Cell, ctx: RunContext, status: CellStatus, reason: string): CellResult {
  const plan = planCell(cell, ctx);
  return {
    id: cell.id,
    arch: cell.arch.name,
    toolchain: cell.toolchain.name,
    target: cell.target.name,
    status,
    reason,
    ...(status === 'error' ? { firstError: reason } : {}),
    runner: plan.runner.kind,
    axes: cellAxes(cell, plan.runner),
    ...(cell.arch.bits ? { bits: cell.arch.bits } : {}),
    versions: {},
    durationMs: 0,
    stages: [],
    reproducer: reproducer(plan, ctx.config.root, undefined, prepareCommand(cell.target, ctx)),
    rerun: rerunCommand(cell, ctx.config),
    cached: false,
    attempts: 0,
  };
}

/** The cache key's parts, and the short summary of them that history keeps to say what changed. */
async function cellInputs(cell: Cell, ctx: RunContext, hasher: SourceHasher): Promise<{ hash: string; summary: CellInputs }> {
  const runner = chooseRunner(cell.arch, ctx.host.machine);
  const tc = probeToolchain(cell.toolchain, cell.arch, ctx.host.machine);
  const inputs = cell.target.inputs.length ? cell.target.inputs : [cell.target.source];
  const parts = {
    tool: TOOL_VERSION,
    // How results are classified is part of the result: a fixed classifier reruns cells.
    classifier: ORCHESTRATOR_HASH,
    // Only this toolchain's override of the arch: editing another toolchain's reruns only that one's cells.
    arch: withoutLocations({ ...cell.arch, toolchains: archOverride(cell.arch, cell.toolchain) ?? {} }),
    toolchain: withoutLocations(cell.toolchain),
    target: withoutLocations(cell.target),
    compiler: tc.compiler ? await ctx.shared.probe.version(tc.compiler) : tc.missing,
    runner: runner.kind,
    qemu: runner.kind === 'qemu' ? await ctx.shared.probe.version(runner.qemu) : undefined,
    runnerFile: runner.kind === 'qemu' ? fileFingerprint(runner.qemu) : undefined,
    canary: CANARY_SOURCE,
    // The exact command lines (configure arguments, make variables, stage argv).
    commands: (() => {
      const plan = planCell(cell, ctx);
      return { configure: plan.configure, build: plan.build, stages: plan.stages.map((s) => [s.argv, s.blocked]), ...(plan.files?.length ? { files: plan.files } : {}), ...(plan.copyTree ? { inTree: true } : {}) };
    })(),
    generator: ctx.host.generator,
    sources: hasher.hash(inputs),
    toolchainFiles: cell.toolchain.cmakeToolchain ? hasher.hash([dirname(cell.toolchain.cmakeToolchain)]) : '',
  };
  const short = (v: unknown) => hashJson(v).slice(0, 12);
  const summary: CellInputs = {
    ...(typeof parts.compiler === 'string' ? { compiler: parts.compiler } : {}),
    ...(parts.qemu ? { qemu: parts.qemu } : {}),
    entry: short([parts.arch, parts.toolchain, parts.target, parts.commands, parts.generator]),
    sources: short([parts.sources, parts.toolchainFiles]),
    engine: short([parts.tool, parts.classifier, parts.canary, parts.runnerFile]),
  };
  return { hash: hashJson(parts), summary };
}

/** The arch/toolchain's canary, built (or reused) once: the probe's trivial link and the runner check's program. */
async function makeCanary(cell: Cell, ctx: RunContext): Promise<CanaryBuild> {
  const tc = probeToolchain(cell.toolchain, cell.arch, ctx.host.machine);
  const compilerVersion = tc.compiler ? await ctx.shared.probe.version(tc.compiler) : '';
  return buildCanary(cell.toolchain, cell.arch, { cacheDir: ctx.cacheDir, compilerVersion, signal: ctx.control.signal, registry: ctx.control.registry });
}

/** Runs the arch/toolchain's canary under the runner (see qemu/canary.ts). */
async function verifyRunner(cell: Cell, runner: Runner, ctx: RunContext): Promise<RunnerVerdict> {
  const canary = await ctx.shared.canary(cell);
  if (!canary.ok) {
    return { ok: false, evidence: `the runner cannot be checked: the canary program does not build with this toolchain: ${canary.error}`, commands: [formatCommand(canary.command)], durationMs: 0 };
  }
  const dir = dirname(canary.path);
  return checkRunner(runner, canary.path, { cwd: dir, env: cell.arch.env, timeoutMs: Math.min(60, ctx.options.timeout) * 1000, signal: ctx.control.signal, registry: ctx.control.registry, logDir: dir });
}

/** Content hash of a small runner (a wrapper script), or size and mtime of a large binary. */
function fileFingerprint(path: string): string {
  try {
    const st = statSync(path);
    if (st.size <= 1 << 20) return createHash('sha256').update(readFileSync(path)).digest('hex');
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

async function prepareTarget(config: MatrixConfig, cacheDir: string, targetName: string, ctx: RunContext): Promise<PreparedTarget | undefined> {
  const target = config.targets.find((t) => t.name === targetName);
  if (!target?.prepare) return undefined;
  const { dir, argv } = prepareCommand(target, { config, cacheDir })!;
  await mkdir(dir, { recursive: true });
  const r = await runCommand({
    file: argv[0]!,
    args: argv.slice(1),
    cwd: config.root,
    timeoutMs: ctx.options.timeout * 1000,
    logPath: join(dir, 'prepare.log'),
    signal: ctx.control.signal,
    registry: ctx.control.registry,
  });
  const ok = r.exitCode === 0 && !r.signal && !r.timedOut && !r.canceled && !r.spawnError;
  const stage: StageResult = {
    name: 'prepare',
    kind: 'check',
    status: ok ? 'pass' : r.timedOut ? 'timeout' : 'error',
    command: formatCommand(argv),
    durationMs: r.durationMs,
    ...(ok ? {} : { firstError: clip(`host-side prepare failed: ${r.spawnError ?? firstErrorLine(r.output) ?? lastLine(r.output) ?? `exit code ${r.exitCode}`}`) }),
  };
  return { ok, dir, stage };
}
