// `node dist/bench/spawn-cost.js [commands]`: what one child process costs the
// orchestrator's own CPU (process.cpuUsage: this process only, never the child),
// two at a time as `matrix run` on 2 cores: a bare child_process.spawn of
// /bin/true with piped stdout and stderr, and the engine's runCommand (the stage
// supervisor, three pipes, the log file written). Alternating rounds, medians.
// A cell of the engine benchmark runs 9 commands (canary compile, two runner
// checks, make, five stages): this is the floor of its per-cell CPU.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { runCommand } from '../runtime/command.js';

type Mode = 'spawn' | 'runCommand';

function once(mode: Mode, dir: string, i: number): Promise<unknown> {
  if (mode === 'runCommand') return runCommand({ file: '/bin/true', args: [], cwd: dir, logPath: join(dir, `${i % 64}.log`), timeoutMs: 60_000 });
  return new Promise((resolve) => {
    const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('exit', resolve);
  });
}

/** Parent CPU ms per command, `count` commands two at a time. */
async function measure(mode: Mode, count: number, dir: string): Promise<number> {
  let next = 0;
  const t = process.cpuUsage();
  const worker = async () => {
    while (next < count) await once(mode, dir, next++);
  };
  await Promise.all([worker(), worker()]);
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000 / count;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200);
  const dir = mkdtempSync(join(os.tmpdir(), 'matrix-spawn-cost-'));
  try {
    for (const mode of ['spawn', 'runCommand'] as const) await measure(mode, 20, dir); // warm-up
    const ms: Record<Mode, number[]> = { spawn: [], runCommand: [] };
    for (let round = 0; round < 5; round++) {
      const order: Mode[] = round % 2 ? ['runCommand', 'spawn'] : ['spawn', 'runCommand'];
      for (const mode of order) ms[mode].push(await measure(mode, count, dir));
    }
    process.stdout.write(`parent CPU per command (${count} commands x 5 rounds, 2 at a time, medians):\n`);
    process.stdout.write(`  child_process.spawn   ${median(ms.spawn).toFixed(2)} ms\n`);
    process.stdout.write(`  runCommand            ${median(ms.runCommand).toFixed(2)} ms  (x 9 commands a cell = ${(9 * median(ms.runCommand)).toFixed(1)} ms)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
