// `npm run bench:engine` (or `npm run bench -- --engine`): the orchestrator at
// 1,000 cells. A synthetic matrix (synthetic-matrix.ts: 50 architectures x 20
// toolchains of a fixture target whose stages are trivial, all native) runs cold
// through the real CLI, in a temp dir with its own empty cache, then once more
// warm. Prints the orchestrator's own CPU per cell, its peak RSS, the wall time,
// the report rendering time on the 1,000-cell results (median of several rounds)
// and the report sizes, each with its target and whether it is met.
//
// How the orchestrator's CPU is told from its children's: the CLI runs with
// usage-hook.js preloaded, which writes getrusage(RUSAGE_SELF) at exit; that is the
// CPU of the matrix process's own threads only. Its children's CPU (make, the
// canary compiles, the test programs) is the kernel's count of reaped children
// (cutime/cstime), printed beside it. The spawn server that starts the commands
// is part of the orchestrator: it writes its own CPU (the server process and its
// helpers, apart from the commands they ran) to $MATRIX_SPAWN_SERVER_USAGE when it
// exits; that is printed apart and added to the orchestrator's CPU, and the
// commands' CPU it counted is added to the children's.
//
// Flags: --arches N, --toolchains M (default 50 x 20), --rounds R (render rounds,
// default 5), --json (one JSON line at the end), --keep (keep the temp dir).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { RENDERERS, REPORT_FILES, REPORT_FORMATS, writeReports, type ReportFormat } from '../reporters/write.js';
import { readResults } from '../results/validate.js';
import type { RunResults } from '../results/types.js';
import { hostMachine } from '../runtime/host.js';
import { hostTriple } from '../toolchains/toolchain.js';
import { plannedFailures, writeSyntheticMatrix, type SyntheticShape } from './synthetic-matrix.js';
import type { ProcessUsage } from './usage-hook.js';
import { CHROMIUM, CHROMIUM_ARGS, measurePageLoad } from './page-load.js';

const CLI = fileURLToPath(new URL('../../bin/matrix.js', import.meta.url));
const HOOK = fileURLToPath(new URL('./usage-hook.js', import.meta.url));

/** Targets of issue 16. */
export const TARGETS = {
  cpuPerCellMs: 5,
  /** 300 MB, decimal: the strict reading of "300 MB" (300 MiB would be 314.6 MB). */
  peakRssBytes: 300e6,
  renderMs: 2000,
};

/** What the spawn server wrote when it exited (native/supervise/supervise.c, write_usage_file). */
export interface ServerUsageFile {
  serverUserUs: number;
  serverSystemUs: number;
  helperUserUs: number;
  helperSystemUs: number;
  commandUserUs: number;
  commandSystemUs: number;
  helpers: number;
  maxRssKb: number;
}

interface CliRun {
  code: number | null;
  wallS: number;
  usage: ProcessUsage;
  /** The spawn server's own CPU (s): the server process, and its helpers; undefined when no server ran. */
  server?: { server: number; helpers: number; commands: number; helperCount: number; maxRss: number };
  /** Orchestrator CPU (s): the matrix process, and the spawn server with its helpers. */
  orchestratorCpu: number;
  /** CPU (s) of the commands: those the matrix process reaped, and those the server's helpers did. */
  childCpu: number;
}

async function readServerUsage(file: string): Promise<ServerUsageFile | undefined> {
  // The server writes it after the CLI has exited (it sees EOF then): give it a moment.
  for (let i = 0; i < 100; i++) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ServerUsageFile;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return undefined;
}

async function runCli(matrixFile: string, outDir: string, cacheDir: string, dir: string, name: string): Promise<CliRun> {
  const usageFile = join(dir, `${name}.usage.json`);
  const serverFile = join(dir, `${name}.server.json`);
  const log = openSync(join(dir, `${name}.log`), 'w');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', HOOK, CLI, 'run', '--config', matrixFile, '--out', outDir], {
    env: { ...process.env, MATRIX_CACHE_DIR: cacheDir, MATRIX_BENCH_USAGE: usageFile, MATRIX_SPAWN_SERVER_USAGE: serverFile, CI: 'true' },
    stdio: ['ignore', log, log],
  });
  const wallS = (performance.now() - t0) / 1000;
  closeSync(log);
  if (r.error) throw r.error;
  let usage: ProcessUsage;
  try {
    usage = JSON.parse(readFileSync(usageFile, 'utf8')) as ProcessUsage;
  } catch {
    throw new Error(`the ${name} run wrote no usage (exit ${r.status}); its output is in ${join(dir, `${name}.log`)}`);
  }
  const su = await readServerUsage(serverFile);
  const server = su && {
    server: (su.serverUserUs + su.serverSystemUs) / 1e6,
    helpers: (su.helperUserUs + su.helperSystemUs) / 1e6,
    commands: (su.commandUserUs + su.commandSystemUs) / 1e6,
    helperCount: su.helpers,
    maxRss: su.maxRssKb * 1024,
  };
  const orchestratorCpu = usage.selfCpu + (server ? server.server + server.helpers : 0);
  return { code: r.status, wallS, usage, server, orchestratorCpu, childCpu: usage.childCpu + (server?.commands ?? 0) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface RenderTimes {
  /** Median ms per reporter (pure rendering, no disk). */
  perFormat: Record<ReportFormat, number>;
  /** Median ms of the four renderers together. */
  all: number;
  /** Median ms of writeReports: render, write, fsync and rename all four. */
  write: number;
  /** The first round's four renderers (cold code, as the CLI renders once per run). */
  first: number;
}

/** Times each reporter on `results`, and writeReports as a whole, `rounds` times (alternating); medians. */
export async function timeRendering(results: RunResults, rounds: number, scratch: string): Promise<RenderTimes> {
  const per: Record<ReportFormat, number[]> = { markdown: [], json: [], junit: [], html: [] };
  const all: number[] = [];
  const write: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let sum = 0;
    for (const f of REPORT_FORMATS) {
      const t = performance.now();
      RENDERERS[f](results);
      const ms = performance.now() - t;
      per[f].push(ms);
      sum += ms;
    }
    all.push(sum);
    const t = performance.now();
    await writeReports(results, scratch);
    write.push(performance.now() - t);
  }
  const perFormat = Object.fromEntries(REPORT_FORMATS.map((f) => [f, median(per[f])])) as Record<ReportFormat, number>;
  return { perFormat, all: median(all), write: median(write), first: all[0]! };
}

/** Bytes of each report file in `dir` (and history.json). */
export function reportSizes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of [...REPORT_FORMATS.map((f) => REPORT_FILES[f]), 'history.json']) {
    try {
      out[name] = statSync(join(dir, name)).size;
    } catch {
      // not written
    }
  }
  return out;
}

export interface BrowserLoad {
  loadMs: number;
  gridRenderedMs: number;
  cells: number;
  problems: string[];
}

/** Loads `file` in headless Chromium `rounds` times (a fresh context each); medians. Undefined without Chromium. */
export async function timeBrowserLoad(file: string, rounds: number): Promise<BrowserLoad | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  try {
    const loads = [];
    for (let i = 0; i < rounds; i++) loads.push(await measurePageLoad(browser, file));
    return {
      loadMs: median(loads.map((l) => l.loadMs)),
      gridRenderedMs: median(loads.map((l) => l.gridRenderedMs)),
      cells: Math.min(...loads.map((l) => l.cells)),
      problems: [...new Set(loads.flatMap((l) => l.problems))],
    };
  } finally {
    await browser.close();
  }
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

export async function engineBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      engine: { type: 'boolean' },
      arches: { type: 'string', default: '50' },
      toolchains: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '5' },
      json: { type: 'boolean' },
      keep: { type: 'boolean' },
    },
    allowPositionals: false,
  });
  const machine = hostMachine();
  const shape: SyntheticShape = { arches: Number(values.arches), toolchains: Number(values.toolchains), machine, triple: hostTriple(machine) };
  const rounds = Math.max(1, Number(values.rounds));
  if (!(shape.arches >= 4 && shape.toolchains >= 3)) throw new Error('--arches at least 4, --toolchains at least 3 (room for the planned failures)');
  const dir = mkdtempSync(join(os.tmpdir(), 'matrix-engine-bench-'));
  try {
    const matrixFile = writeSyntheticMatrix(dir, shape);
    const cacheDir = join(dir, 'cache');
    const outDir = join(dir, 'reports');
    const cells = shape.arches * shape.toolchains;
    process.stderr.write(`engine bench: ${shape.arches} x ${shape.toolchains} = ${cells} cells in ${dir} (cold, then warm)\n`);

    const cold = await runCli(matrixFile, outDir, cacheDir, dir, 'cold');
    const results = await readResults(join(outDir, 'status.json'));
    // The run must be the one planned: every cell, the planned failures and nothing else.
    const failures = plannedFailures(shape);
    const want = { total: cells, fail: failures.length - 1, xfail: 1, skip: 1, pass: cells - failures.length - 1 };
    const got = { total: results.cells.length, fail: results.summary.fail, xfail: results.summary.xfail, skip: results.summary.skip, pass: results.summary.pass };
    const asPlanned = JSON.stringify(want) === JSON.stringify(got) && cold.code === 1;
    const sizes = reportSizes(outDir);
    const warm = await runCli(matrixFile, outDir, cacheDir, dir, 'warm');
    const warmResults = await readResults(join(outDir, 'status.json'));
    const cached = warmResults.cells.filter((c) => c.cached).length;

    const render = await timeRendering(results, rounds, join(dir, 'render'));
    const browser = await timeBrowserLoad(join(outDir, 'index.html'), rounds);
    const ran = results.cells.filter((c) => c.stages.length > 0).length;
    const cpuPerCellMs = (cold.orchestratorCpu / cells) * 1000;
    const warmCpuPerCellMs = (warm.orchestratorCpu / cells) * 1000;
    const peak = Math.max(cold.usage.maxRss, warm.usage.maxRss);

    const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    const rows: [string, string, string][] = [
      ['cells', `${cells}`, `${ran} ran: ${got.pass} pass, ${got.fail} fail, ${got.xfail} xfail, ${got.skip} skip; ${asPlanned ? 'as planned' : `NOT as planned (want ${JSON.stringify(want)}, exit ${cold.code})`}`],
      ['cold wall', `${cold.wallS.toFixed(1)} s`, `the CLI, ${os.availableParallelism()} jobs`],
      ['orchestrator CPU', `${cold.orchestratorCpu.toFixed(2)} s`, cold.server ? 'the matrix process and the spawn server (with its helpers)' : 'the matrix process (no spawn server ran)'],
      ['  per cell', `${cpuPerCellMs.toFixed(2)} ms`, `target < ${TARGETS.cpuPerCellMs} ms: ${met(cpuPerCellMs < TARGETS.cpuPerCellMs)}`],
      ['  matrix process', `${cold.usage.selfCpu.toFixed(2)} s`, `user ${cold.usage.selfUser.toFixed(2)} s + system ${cold.usage.selfSystem.toFixed(2)} s = ${((cold.usage.selfCpu / cells) * 1000).toFixed(2)} ms per cell`],
      ...(cold.server
        ? [['  spawn server', `${(cold.server.server + cold.server.helpers).toFixed(2)} s`, `server process ${cold.server.server.toFixed(2)} s + ${cold.server.helperCount} helpers ${cold.server.helpers.toFixed(2)} s = ${(((cold.server.server + cold.server.helpers) / cells) * 1000).toFixed(2)} ms per cell; peak RSS ${mb(cold.server.maxRss)}`] as [string, string, string]]
        : []),
      ...(cold.usage.threads
        ? [['  by thread', `${cold.usage.threads.main.toFixed(1)} s`, `main thread; libuv pool (file I/O) ${cold.usage.threads.libuv.toFixed(1)} s, V8 helpers ${cold.usage.threads.other.toFixed(1)} s`] as [string, string, string]]
        : []),
      ['children CPU', `${cold.childCpu.toFixed(1)} s`, 'make, canary compiles, runner checks, test programs'],
      ['peak RSS', mb(peak), `= ${mib(peak)}; cold ${mb(cold.usage.maxRss)}, warm ${mb(warm.usage.maxRss)}; target < ${mb(TARGETS.peakRssBytes)}: ${met(peak < TARGETS.peakRssBytes)}`],
      ['warm wall', `${warm.wallS.toFixed(2)} s`, `${cached}/${cells} cached, reports written; CPU ${warm.orchestratorCpu.toFixed(2)} s = ${warmCpuPerCellMs.toFixed(2)} ms per cell`],
      ['render, 4 reports', `${render.all.toFixed(0)} ms`, `median of ${rounds} (first, cold: ${render.first.toFixed(0)} ms); target < ${TARGETS.renderMs} ms: ${met(render.all < TARGETS.renderMs)}`],
      ...REPORT_FORMATS.map((f): [string, string, string] => [`  ${REPORT_FILES[f]}`, `${render.perFormat[f].toFixed(0)} ms`, '']),
      ['writeReports', `${render.write.toFixed(0)} ms`, 'render + write + fsync + rename, median'],
      browser
        ? ['index.html load', `${browser.loadMs.toFixed(0)} ms`, `headless Chromium, to the load event (grid rendered: ${browser.gridRenderedMs.toFixed(0)} ms), median of ${rounds}; ${browser.cells} cells${browser.problems.length ? `; PROBLEMS: ${browser.problems.join(' | ')}` : ', no console errors'}`]
        : ['index.html load', '-', `${CHROMIUM} not found: not measured`],
      ...Object.entries(sizes).map(([name, bytes]): [string, string, string] => [`size ${name}`, mib(bytes), `${(bytes / cells / 1024).toFixed(1)} KiB per cell`]),
    ];
    for (const [name, value, note] of rows) process.stdout.write(`${name.padEnd(20)} ${value.padStart(10)}  ${note}\n`);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ cells, ran, asPlanned, cold, warm: { ...warm, cached }, cpuPerCellMs, warmCpuPerCellMs, peakRss: peak, render, browser, sizes, targets: TARGETS })}\n`,
      );
    }
    const allMet = cpuPerCellMs < TARGETS.cpuPerCellMs && peak < TARGETS.peakRssBytes && render.all < TARGETS.renderMs;
    const pageOk = !browser || (browser.cells === cells && browser.problems.length === 0);
    return asPlanned && allMet && pageOk ? 0 : 1;
  } finally {
    if (values.keep) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await engineBench(process.argv.slice(2));
