// The spawn server (native/supervise/supervise.c --server, src/runtime/spawn-server.ts):
// one small process starts every command, each under a helper that is a subreaper.
// Whatever a command starts dies with it (a daemon in its own session included),
// the server and every tree die with the orchestrator (even SIGKILL), many
// concurrent commands get their own replies, and the per-command fallback gives
// the same results.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { runCommand, type CommandResult } from '../src/runtime/command.js';
import { ProcessGroupRegistry } from '../src/runtime/process-groups.js';
import { spawnServerUsage } from '../src/runtime/spawn-server.js';
import { processesMentioning } from './helpers/workspace.js';

const dir = mkdtempSync(join(os.tmpdir(), 'matrix-spawn-server-'));
const REPO = fileURLToPath(new URL('..', import.meta.url));

async function gone(needle: string, ms = 5000): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = processesMentioning(needle);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A shell line that starts a process whose command line names `marker` (for processesMentioning). */
const holder = (marker: string, seconds = 1000): string => `sh -c 'sleep ${seconds}; :' ${marker}`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the spawn server', () => {
  afterAll(() => {
    for (const pid of processesMentioning(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs commands, and kills a child that escaped into its own session when its command ends', async () => {
    const marker = join(dir, 'escaped');
    const r = await runCommand({ file: 'sh', args: ['-c', `setsid ${holder(marker)} </dev/null >/dev/null 2>&1 & sleep 0.3; pgrep -f ${marker} >/dev/null && echo started`], cwd: dir, logPath: join(dir, 'logs/escape.log'), timeoutMs: 30_000 });
    expect(spawnServerUsage()?.requests).toBeGreaterThan(0); // it went through the server
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('started\n');
    expect(await gone(marker)).toEqual([]);
    expect(readFileSync(join(dir, 'logs/escape.log'), 'utf8')).toBe(`$ ${r.command}\n# cwd: ${dir}\nstarted\n# exit code 0\n`);
  });

  it('times out, cancels and kills at once the whole tree', async () => {
    const t = join(dir, 'timeout');
    const timed = await runCommand({ file: 'sh', args: ['-c', `setsid ${holder(t)} & ${holder(t)}`], cwd: dir, timeoutMs: 300 });
    expect(timed.timedOut).toBe(true);
    expect(await gone(t)).toEqual([]);

    const c = join(dir, 'cancel');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const canceled = await runCommand({ file: 'sh', args: ['-c', `trap '' TERM; setsid ${holder(c)} & ${holder(c)}`], cwd: dir, signal: abort.signal });
    expect(canceled.canceled).toBe(true);
    expect(await gone(c)).toEqual([]);

    const k = join(dir, 'killnow');
    const registry = new ProcessGroupRegistry();
    const pending = runCommand({ file: 'sh', args: ['-c', `trap '' TERM; ${holder(k)}`], cwd: dir, registry });
    await new Promise((r) => setTimeout(r, 300));
    expect(registry.size).toBe(1);
    registry.killAllNow();
    const killed = await pending;
    expect(killed.canceled).toBe(true);
    expect(await gone(k)).toEqual([]);
  });

  it('gives many concurrent commands each its own reply', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        runCommand({ file: 'sh', args: ['-c', `printf 'out %d\\n' ${i}; printf 'err %d\\n' ${i} >&2; exit $((${i} % 7))`], cwd: dir, logPath: join(dir, `many/${i}.log`), timeoutMs: 60_000 }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.exitCode).toBe(i % 7);
      expect(r.stdout).toBe(`out ${i}\n`);
      expect(r.output.split('\n').sort()).toEqual(['', `err ${i}`, `out ${i}`]);
      expect(readFileSync(join(dir, `many/${i}.log`), 'utf8')).toContain(`# exit code ${i % 7}\n`);
    });
  });

  it('gives the same results as one supervisor per command', async () => {
    const cases: [string, string[], Partial<Parameters<typeof runCommand>[0]>][] = [
      ['sh', ['-c', 'echo out; echo err >&2; exit 3'], {}],
      ['/no/such/program', [], {}],
      ['sh', ['-c', 'echo x; kill -SEGV $$'], {}],
      ['sleep', ['30'], { timeoutMs: 300 }],
      ['sh', ['-c', 'head -c 5000 /dev/zero | tr "\\0" a; echo; seq 1 2000 >&2'], { logLimit: 2048 }],
      ['sh', ['-c', 'printf "%s" "$FOO"'], { env: { FOO: 'bar' } }],
      ['printf', ['no newline at the end']],
    ].map(([file, args, extra]) => [file as string, args as string[], (extra ?? {}) as object]);
    const run = async (mode: string, i: number, file: string, args: string[], extra: object): Promise<[Partial<CommandResult>, string]> => {
      process.env.MATRIX_SPAWN_SERVER = mode;
      const logPath = join(dir, 'same', mode, `${i}.log`);
      const r: Partial<CommandResult> = await runCommand({ file, args, cwd: dir, logPath, timeoutMs: 60_000, ...extra });
      delete r.durationMs;
      delete r.logPath;
      return [r, readFileSync(logPath, 'utf8')];
    };
    try {
      for (const [i, [file, args, extra]] of cases.entries()) {
        expect(await run('on', i, file, args, extra)).toEqual(await run('off', i, file, args, extra));
      }
    } finally {
      delete process.env.MATRIX_SPAWN_SERVER;
    }
  });

  it('dies with its parent, even by SIGKILL, and takes every tree with it', async () => {
    const marker = join(dir, 'orphaned');
    const script = join(dir, 'parent.mjs');
    writeFileSync(
      script,
      `import { runCommand } from ${JSON.stringify(join(REPO, 'dist/runtime/command.js'))};
       import { spawnServerUsage } from ${JSON.stringify(join(REPO, 'dist/runtime/spawn-server.js'))};
       const p = runCommand({ file: 'sh', args: ['-c', ${JSON.stringify(`setsid ${holder(marker)} & ${holder(marker)}`)}], cwd: '/' });
       setTimeout(() => console.log(spawnServerUsage().pid), 300);
       await p;`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const serverPid = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    expect(alive(serverPid)).toBe(true);
    expect(processesMentioning(marker).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGKILL');
    expect(await gone(marker)).toEqual([]);
    const until = Date.now() + 5000;
    while (alive(serverPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(serverPid)).toBe(false);
  });

  it('falls back to one supervisor per command, and says so, when the server cannot start', async () => {
    const script = join(dir, 'fallback.mjs');
    writeFileSync(
      script,
      `import { runCommand } from ${JSON.stringify(join(REPO, 'dist/runtime/command.js'))};
       const r = await runCommand({ file: 'sh', args: ['-c', 'echo out; exit 3'], cwd: '/' });
       console.log(JSON.stringify([r.exitCode, r.stdout]));`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MATRIX_SPAWN_SERVER: '/bin/false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
    expect(JSON.parse(stdout)).toEqual([3, 'out\n']);
    expect(stderr).toMatch(/warning: the spawn server ended \(exit code 1\); falling back to one stage supervisor per command/);
  });

  it('when the server dies under a command: the command is an error, its tree dies, the next command falls back', async () => {
    const marker = join(dir, 'server-killed');
    const pending = runCommand({ file: 'sh', args: ['-c', holder(marker)], cwd: dir });
    await new Promise((r) => setTimeout(r, 300));
    const pid = spawnServerUsage()!.pid;
    process.kill(pid, 'SIGKILL');
    const r = await pending;
    expect(r.spawnError).toMatch(/the spawn server ended \(killed by SIGKILL\)/);
    expect(await gone(marker)).toEqual([]);
    const next = await runCommand({ file: 'sh', args: ['-c', 'echo fine'], cwd: dir });
    expect(next.stdout).toBe('fine\n');
    expect(next.exitCode).toBe(0);
  });
});
