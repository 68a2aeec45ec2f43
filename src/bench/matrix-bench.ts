// `npm run bench`: the orchestrator's own performance on the full default
// matrix. Prints cold wall time, the children's CPU time, efficiency
// (children's CPU / (cores x wall)), the orchestrator's own CPU time, and the
// warm (nothing changed) wall time. Numbers, not a pass/fail test.
// `npm run bench -- --engine` runs the 1,000-cell engine benchmark instead (engine-bench.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { join, resolve } from 'node:path';

import { loadMatrixFileWithHash } from '../matrix/config.js';
import { spawnServerUsage } from '../runtime/spawn-server.js';
import { runMatrix } from '../stages/run-matrix.js';
import type { RunOptions } from '../stages/context.js';

/** CPU seconds of reaped children (cutime + cstime) from /proc/self/stat. */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3; cutime and cstime are fields 16 and 17.
  const cutime = Number(fields[16 - 3]);
  const cstime = Number(fields[17 - 3]);
  return (cutime + cstime) / 100; // USER_HZ is 100 on Linux
}

async function main(): Promise<void> {
  const file = resolve(process.argv[2] ?? 'matrix.yaml');
  const { config, hash } = await loadMatrixFileWithHash(file);
  const cores = os.availableParallelism();
  // As `matrix run` does: every core a cell, each build its share of the cores.
  const options: RunOptions = { jobs: cores, retries: 0, timeout: config.defaults.timeout, cache: true, verbose: false, buildParallel: Math.max(1, Math.ceil(cores / cores)) };
  const cacheDir = join(os.tmpdir(), `matrix-bench-${process.pid}`);
  rmSync(cacheDir, { recursive: true, force: true });

  const selfBefore = process.cpuUsage();
  const childBefore = childCpuSeconds();
  // The commands run under the spawn server (not reaped by this process): its counts are added.
  const serverBefore = spawnServerUsage();
  const t0 = performance.now();
  const cold = await runMatrix({ config, matrixHash: hash, selection: {}, options, cacheDir });
  const coldWall = (performance.now() - t0) / 1000;
  const serverAfter = spawnServerUsage();
  const serverDelta = (k: 'serverUs' | 'helperUs' | 'commandUs') => ((serverAfter?.[k] ?? 0) - (serverBefore?.[k] ?? 0)) / 1e6;
  const childCpu = childCpuSeconds() - childBefore + serverDelta('commandUs');
  const self = process.cpuUsage(selfBefore);
  // The spawn server and its helpers are the orchestrator too.
  const selfCpu = (self.user + self.system) / 1e6 + serverDelta('serverUs') + serverDelta('helperUs');

  const t1 = performance.now();
  const warm = await runMatrix({ config, matrixHash: hash, selection: {}, options, cacheDir });
  const warmInProcess = (performance.now() - t1) / 1000;
  // What a user waits for: the real CLI, process start and report writing included.
  const outDir = join(cacheDir, 'reports');
  const t2 = performance.now();
  const cli = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/matrix.js', import.meta.url)), 'run', '--config', file, '--out', outDir], {
    env: { ...process.env, MATRIX_CACHE_DIR: cacheDir, CI: 'true' },
    encoding: 'utf8',
  });
  const warmWall = (performance.now() - t2) / 1000;
  if (cli.status !== 0) process.stderr.write(`warm CLI run exited ${cli.status}:\n${cli.stdout}${cli.stderr}\n`);
  rmSync(cacheDir, { recursive: true, force: true });

  const efficiency = childCpu / (cores * coldWall);
  const selfShare = selfCpu / (selfCpu + childCpu);
  const rows: [string, string, string][] = [
    ['cells', String(cold.cells.length), `${cold.summary.pass} pass, ${cold.summary.xfail} xfail, ${cold.summary.unexpected} unexpected`],
    ['cores', String(cores), ''],
    ['cold wall time', `${coldWall.toFixed(1)} s`, ''],
    ['children CPU time', `${childCpu.toFixed(1)} s`, 'compilers, cmake, qemu, tests'],
    ['efficiency', `${(efficiency * 100).toFixed(1)} %`, 'children CPU / (cores x wall); target >= 85 %'],
    ['orchestrator CPU', `${selfCpu.toFixed(2)} s`, `${(selfShare * 100).toFixed(2)} % of all CPU; target < 5 %`],
    ['warm, in process', `${warmInProcess.toFixed(2)} s`, `${warm.cells.filter((c) => c.cached).length}/${warm.cells.length} cells cached`],
    ['warm wall time', `${warmWall.toFixed(2)} s`, '`matrix run` CLI, nothing changed, reports written; target < 2 s'],
  ];
  for (const [name, value, note] of rows) process.stdout.write(`${name.padEnd(20)} ${value.padStart(10)}  ${note}\n`);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ cores, coldWall, childCpu, efficiency, selfCpu, selfShare, warmInProcess, warmWall, cells: cold.cells.length })}\n`);
  }
}

if (process.argv.includes('--engine')) {
  const { engineBench } = await import('./engine-bench.js');
  process.exitCode = await engineBench(process.argv.slice(2));
} else await main();
