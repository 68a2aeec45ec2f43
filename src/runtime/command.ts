// Runs one external command. A failed command is data, not an exception: the
// result has the same shape whether it passed, failed, crashed, timed out or
// could not start. The command runs under the stage supervisor (a subreaper:
// when the command ends or is stopped, every descendant dies, daemons
// included) and the result never waits on pipes a killed tree held open.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';

import { CappedOutput } from './capped-output.js';
import { killGroup, signalGroup, type ProcessGroupRegistry } from './process-groups.js';
import { formatCommand } from './quote.js';
import { spawnServer, type ServerReply, type SpawnServer } from './spawn-server.js';
import { supervisor } from './supervisor.js';

export interface CommandSpec {
  file: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  /** Kill the whole process tree after this many ms. */
  timeoutMs?: number;
  /** Where to write the (capped) combined output. */
  logPath?: string;
  /** Bytes of output kept (per stream view). */
  logLimit?: number;
  /** Aborting kills the process tree; the result has `canceled`. */
  signal?: AbortSignal;
  registry?: ProcessGroupRegistry;
  /** Live output (for --verbose). */
  onOutput?: (chunk: string) => void;
}

export interface CommandResult {
  command: string;
  cwd: string;
  durationMs: number;
  exitCode?: number;
  /** Signal name when the process was killed by one (SIGSEGV, SIGILL...). */
  signal?: string;
  timedOut: boolean;
  canceled: boolean;
  /** Set when the command could not be started at all (ENOENT...). */
  spawnError?: string;
  stdout: string;
  /** stdout and stderr interleaved, capped. */
  output: string;
  logPath?: string;
  logTruncated: boolean;
  outputBytes: number;
}

const DEFAULT_LOG_LIMIT = 4 * 1024 * 1024;
/** SIGTERM first, SIGKILL after this long (timeout, Ctrl-C). */
const KILL_GRACE_MS = 1500;
/** After the command's tree is gone, how long its pipes may take to drain before they are destroyed. */
const DRAIN_MS = 250;
/** The largest delay setTimeout supports (ms); longer timeouts are rejected by validation. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

let warned = false;

export async function runCommand(spec: CommandSpec): Promise<CommandResult> {
  const limit = spec.logLimit ?? DEFAULT_LOG_LIMIT;
  const combined = new CappedOutput(limit);
  const stdout = new CappedOutput(limit);
  const command = formatCommand([spec.file, ...spec.args]);
  const started = performance.now();
  let timedOut = false;
  let canceled = false;
  let killing: Promise<void> | undefined;

  if (spec.signal?.aborted) {
    return finish({ canceled: true, durationMs: 0 });
  }

  // The spawn server starts the command (live output needs the per-command path's pipes).
  const server = spec.onOutput ? undefined : spawnServer();
  if (server) {
    const served = await runOnServer(spec, server, command, limit, started);
    if (served) return served;
  }

  const sup = supervisor();
  if ('error' in sup && !warned) {
    warned = true;
    process.stderr.write(`matrix: warning: ${sup.error}; falling back to process groups (a daemon that calls setsid() can outlive its stage)\n`);
  }
  const supervised = 'path' in sup;
  let child: ChildProcess;
  const env = { ...process.env, ...spec.env };
  try {
    child = supervised
      ? spawn(sup.path, ['3', String(KILL_GRACE_MS), '--', spec.file, ...spec.args], { cwd: spec.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true })
      : spawn(spec.file, spec.args, { cwd: spec.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (error) {
    return finish({ durationMs: performance.now() - started, spawnError: (error as Error).message });
  }
  const pid = child.pid;
  if (pid !== undefined) spec.registry?.add(pid, supervised ? 'supervisor' : 'group');

  const onChunk = (isStdout: boolean) => (chunk: Buffer) => {
    combined.push(chunk);
    if (isStdout) stdout.push(chunk);
    spec.onOutput?.(chunk.toString('utf8'));
  };
  child.stdout?.on('data', onChunk(true));
  child.stderr?.on('data', onChunk(false));
  let statusText = '';
  const statusPipe = child.stdio[3] as Readable | null | undefined;
  statusPipe?.on('data', (d: Buffer) => (statusText += d.toString('utf8')));

  const stop = (why: 'timeout' | 'cancel') => {
    if (why === 'timeout') timedOut = true;
    else canceled = true;
    if (pid === undefined || killing) return;
    if (supervised) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      killing = Promise.resolve();
    } else {
      killing = killGroup(pid, KILL_GRACE_MS);
    }
  };
  const timer = spec.timeoutMs ? setTimeout(() => stop('timeout'), Math.min(spec.timeoutMs, MAX_TIMER_MS)) : undefined;
  const onAbort = () => stop('cancel');
  spec.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolveEnd) => {
      child.once('error', (error) => resolveEnd({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolveEnd({ code, signal }));
    });
    if (killing) await killing;
    // Without a supervisor: reap anything the command left behind in its group.
    if (!supervised && pid !== undefined) signalGroup(pid, 'SIGKILL');
    // The tree is dead: let the pipes drain briefly, then stop waiting for them.
    await drain(child, DRAIN_MS);
    let exitCode: number | undefined;
    let signal: string | undefined;
    let spawnError: string | undefined;
    if (end.error) {
      spawnError = end.error.message;
    } else if (supervised) {
      const m = /^(exit|signal|spawn-error) (\d+)(?: (.*))?/.exec(statusText.trim());
      if (m?.[1] === 'exit') exitCode = Number(m[2]);
      else if (m?.[1] === 'signal') signal = signalName(Number(m[2]));
      else if (m?.[1] === 'spawn-error') spawnError = m[3] ?? `errno ${m[2]}`;
      else if (end.signal) signal = end.signal; // the supervisor itself was killed
      else spawnError = `the stage supervisor ended with exit code ${end.code} and no status`;
    } else {
      exitCode = end.code ?? undefined;
      signal = end.signal ?? undefined;
    }
    if (spawnError && (timedOut || canceled)) spawnError = undefined;
    return await finish({ durationMs: performance.now() - started, exitCode, signal, spawnError });
  } finally {
    if (timer) clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
    if (pid !== undefined) spec.registry?.delete(pid);
  }

  async function finish(partial: { durationMs: number; exitCode?: number; signal?: string; spawnError?: string; canceled?: boolean }): Promise<CommandResult> {
    const output = combined.toString();
    if (spec.logPath) {
      await mkdir(dirname(spec.logPath), { recursive: true });
      const header = `$ ${command}\n# cwd: ${spec.cwd}\n`;
      const status = describeEnd(partial.exitCode, partial.signal, timedOut, canceled || partial.canceled === true, partial.spawnError);
      await writeFile(spec.logPath, `${header}${output}${output.endsWith('\n') || output === '' ? '' : '\n'}# ${status}\n`);
    }
    return {
      command,
      cwd: spec.cwd,
      durationMs: Math.round(partial.durationMs),
      exitCode: partial.exitCode,
      signal: partial.signal,
      timedOut,
      canceled: canceled || partial.canceled === true,
      spawnError: partial.spawnError,
      stdout: stdout.toString(),
      output,
      logPath: spec.logPath,
      logTruncated: combined.truncated,
      outputBytes: combined.totalBytes,
    };
  }
}

/** One command through the spawn server; undefined when it must take the per-command path instead. */
async function runOnServer(spec: CommandSpec, server: SpawnServer, command: string, limit: number, started: number): Promise<CommandResult | undefined> {
  const sent = server.request({
    file: spec.file,
    args: spec.args,
    cwd: spec.cwd,
    env: spec.env,
    timeoutMs: spec.timeoutMs ?? 0,
    graceMs: KILL_GRACE_MS,
    logLimit: Math.max(1024, Math.floor(limit)),
    logPath: spec.logPath ?? '',
    header: `$ ${command}\n# cwd: ${spec.cwd}\n`,
  });
  if (!sent) return undefined;
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    server.cancel(sent.id);
  };
  const key = {};
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  spec.registry?.addKiller(key, () => server.killNow(sent.id));
  let reply: ServerReply | 'fallback';
  try {
    reply = await sent.reply;
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
    spec.registry?.deleteKiller(key);
  }
  if (reply === 'fallback') return undefined;
  const durationMs = Math.round(performance.now() - started);
  if (reply.kind === 'lost') {
    // The server died under the command: no status, and no log unless written here.
    const status = describeEnd(undefined, undefined, false, aborted, reply.message);
    if (spec.logPath) {
      await mkdir(dirname(spec.logPath), { recursive: true });
      await writeFile(spec.logPath, `$ ${command}\n# cwd: ${spec.cwd}\n# ${status}\n`);
    }
    return { command, cwd: spec.cwd, durationMs, timedOut: false, canceled: aborted, spawnError: aborted ? undefined : reply.message, stdout: '', output: '', logPath: spec.logPath, logTruncated: false, outputBytes: 0 };
  }
  if (reply.logErrno) {
    const code = Object.entries(osConstants.errno).find(([, n]) => n === reply.logErrno)?.[0] ?? `errno ${reply.logErrno}`;
    throw Object.assign(new Error(`${code}: ${reply.message.toLowerCase()}, open '${spec.logPath}'`), { errno: -reply.logErrno, code, syscall: 'open', path: spec.logPath });
  }
  const timedOut = reply.timedOut;
  const canceled = !timedOut && (reply.canceled || aborted);
  const combined = CappedOutput.fromParts(limit, reply.head, reply.tail, reply.totalBytes);
  return {
    command,
    cwd: spec.cwd,
    durationMs,
    exitCode: reply.kind === 'exit' ? reply.code : undefined,
    signal: reply.kind === 'signal' ? signalName(reply.code) : undefined,
    timedOut,
    canceled,
    spawnError: reply.kind === 'spawn-error' && !timedOut && !canceled ? reply.message : undefined,
    stdout: CappedOutput.fromParts(limit, reply.stdoutHead, reply.stdoutTail, reply.stdoutBytes).toString(),
    output: combined.toString(),
    logPath: spec.logPath,
    logTruncated: combined.truncated,
    outputBytes: reply.totalBytes,
  };
}

export function describeEnd(exitCode: number | undefined, signal: string | undefined, timedOut: boolean, canceled: boolean, spawnError?: string): string {
  if (spawnError) return `could not start: ${spawnError}`;
  if (timedOut) return 'timed out: process tree killed';
  if (canceled) return 'canceled: process tree killed';
  if (signal) return `killed by ${signal}`;
  return `exit code ${exitCode}`;
}

function signalName(n: number): string {
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === n) return name;
  return `signal ${n}`;
}

/** Waits up to `ms` for the child's pipes to close, then destroys them. */
async function drain(child: ChildProcess, ms: number): Promise<void> {
  const streams = [child.stdout, child.stderr, child.stdio[3]].filter((s): s is Readable => !!s && !(s as Readable).destroyed) as Readable[];
  const closed = Promise.all(streams.map((s) => new Promise<void>((r) => (s.closed ? r() : s.once('close', () => r())))));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  if (timer) clearTimeout(timer);
  for (const s of streams) s.destroy();
}

/** Signal name for an exit status >128 reported by a wrapper shell or qemu. */
export function signalFromExitCode(code: number | undefined): string | undefined {
  if (code === undefined || code <= 128 || code > 128 + 64) return undefined;
  const n = code - 128;
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === n) return name;
  return undefined;
}
