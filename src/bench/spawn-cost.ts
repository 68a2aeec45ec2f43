// `node dist/bench/spawn-cost.js [commands]`: what one child process costs the
// orchestrator's own CPU (process.cpuUsage: this process only, never the child),
// two at a time as `matrix run` on 2 cores: a bare child_process.spawn of
// /bin/true with piped stdout and stderr, and the engine's runCommand (the stage
// supervisor, three pipes, the log file written) per command, and runCommand
// through the spawn server (one request and one reply on its pipe; the server
// forks a helper that supervises the command and writes the log). The server's
// own CPU (the server process and its helpers) is part of the orchestrator's:
// it is printed apart and added. Alternating rounds, medians.
// A cell of the engine benchmark runs 9 commands (canary compile, two runner
// checks, make, five stages): this is the floor of its per-cell CPU.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { runCommand } from '../runtime/command.js';
import { spawnServerUsage } from '../runtime/spawn-server.js';

type Mode = 'spawn' | 'runCommand' | 'server';

function once(mode: Mode, dir: string, i: number): Promise<unknown> {
  process.env.MATRIX_SPAWN_SERVER = mode === 'server' ? 'on' : 'off';
  if (mode !== 'spawn') return runCommand({ file: '/bin/true', args: [], cwd: dir, logPath: join(dir, `${i % 64}.log`), timeoutMs: 60_000 });
  return new Promise((resolve) => {
    const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('exit', resolve);
  });
}

/** Parent CPU ms per command, `count` commands two at a time; and the spawn server's (process + helpers). */
async function measure(mode: Mode, count: number, dir: string): Promise<{ node: number; server: number }> {
  let next = 0;
  const t = process.cpuUsage();
  const u0 = spawnServerUsage();
  const worker = async () => {
    while (next < count) await once(mode, dir, next++);
  };
  await Promise.all([worker(), worker()]);
  const d = process.cpuUsage(t);
  const u1 = spawnServerUsage();
  const server = u0 && u1 ? (u1.serverUs - u0.serverUs + u1.helperUs - u0.helperUs) / 1000 / count : 0;
  return { node: (d.user + d.system) / 1000 / count, server };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200);
  const dir = mkdtempSync(join(os.tmpdir(), 'matrix-spawn-cost-'));
  try {
    const modes = ['spawn', 'runCommand', 'server'] as const;
    for (const mode of modes) await measure(mode, 20, dir); // warm-up (and the server started)
    const ms: Record<Mode, number[]> = { spawn: [], runCommand: [], server: [] };
    const serverMs: number[] = [];
    for (let round = 0; round < 5; round++) {
      const order: Mode[] = round % 2 ? [...modes].reverse() : [...modes];
      for (const mode of order) {
        const m = await measure(mode, count, dir);
        ms[mode].push(m.node);
        if (mode === 'server') serverMs.push(m.server);
      }
    }
    const srv = median(ms.server);
    const side = median(serverMs);
    process.stdout.write(`orchestrator CPU per command (${count} commands x 5 rounds, 2 at a time, medians):\n`);
    process.stdout.write(`  child_process.spawn          ${median(ms.spawn).toFixed(2)} ms\n`);
    process.stdout.write(`  runCommand, per-command sup.  ${median(ms.runCommand).toFixed(2)} ms  (x 9 commands a cell = ${(9 * median(ms.runCommand)).toFixed(1)} ms)\n`);
    process.stdout.write(`  runCommand, spawn server      ${(srv + side).toFixed(2)} ms  = Node ${srv.toFixed(2)} + server and helpers ${side.toFixed(2)} (x 9 = ${(9 * (srv + side)).toFixed(1)} ms)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
