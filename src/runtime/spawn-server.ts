// The spawn server: one `matrix-supervise --server` process per orchestrator
// (native/supervise/supervise.c), started on the first command, that starts
// every later command on request. Node forks its whole address space for each
// child (no vfork: a plain clone of a ~300 MB process); the server is a few
// hundred KB, so a command costs the orchestrator one small message each way
// instead. For each request the server forks a helper that supervises the
// command exactly as the per-command supervisor does (a subreaper in its own
// session: when the command ends, times out or is stopped, every descendant
// dies), keeps the capped output views, writes the log file and replies with
// how the command ended and its capped output.
//
// When the server is missing or cannot start, runCommand falls back to one
// supervisor per command and says so once on stderr. When Node dies (even by
// SIGKILL) the server reads EOF on its request pipe (and gets PR_SET_PDEATHSIG)
// and kills every tree it owns. See docs/processes.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';

import { supervisor } from './supervisor.js';

export interface ServerRequest {
  file: string;
  args: string[];
  cwd: string;
  /** Added to (or replacing in) the environment the orchestrator had when the server started. */
  env?: Record<string, string>;
  timeoutMs: number;
  graceMs: number;
  logLimit: number;
  logPath: string;
  /** The log file's first lines ("$ command", "# cwd: ..."). */
  header: string;
}

export interface ServerReply {
  /** exit, signal, spawn-error: how the command ended; lost: the server or the helper died without a reply. */
  kind: 'exit' | 'signal' | 'spawn-error' | 'lost';
  /** Exit code, signal number or errno. */
  code: number;
  timedOut: boolean;
  canceled: boolean;
  /** errno of writing the log file (0: written). */
  logErrno: number;
  totalBytes: number;
  stdoutBytes: number;
  head: Buffer;
  tail: Buffer;
  stdoutHead: Buffer;
  stdoutTail: Buffer;
  /** The spawn error, the log file's errno text or why the reply was lost. */
  message: string;
}

/** CPU of the server side of the orchestrator (µs), and of the commands it ran. */
export interface ServerUsage {
  pid: number;
  requests: number;
  /** The server process itself (from /proc/<pid>/stat: 10 ms ticks). */
  serverUs: number;
  /** The per-command helpers' own CPU (getrusage RUSAGE_SELF in each). */
  helperUs: number;
  /** The commands' trees (RUSAGE_CHILDREN in each helper). */
  commandUs: number;
}

const FIXED_REPLY = 84;

/** Signal numbers to names, first name wins, as command.ts's signalName. */
function signalTable(): string {
  const seen = new Set<number>();
  const parts: string[] = [];
  for (const [name, n] of Object.entries(osConstants.signals)) {
    if (seen.has(n)) continue;
    seen.add(n);
    parts.push(`${n}:${name}`);
  }
  return parts.join(',');
}

export class SpawnServer {
  private readonly child: ChildProcess;
  private readonly input: Writable;
  private readonly output: Readable;
  private readonly pending = new Map<number, (reply: ServerReply | 'fallback') => void>();
  private nextId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ready = false;
  /** Why the server is not usable any more. */
  failure: string | undefined;
  private usage = { requests: 0, helperUs: 0, commandUs: 0 };
  /**
   * process.env when the server started. Reading process.env costs ~5 µs a
   * variable (each is a call into C++): a copy made per command was a tenth of
   * the orchestrator's CPU per command. `matrix` never changes its own
   * environment during a run; code that does must start a new server.
   */
  private readonly baseEnv: Record<string, string> = {};
  private readonly baseEnvStrings: string[] = [];

  constructor(path: string) {
    for (const [k, v] of Object.entries(process.env)) {
      if (v === undefined) continue;
      this.baseEnv[k] = v;
      this.baseEnvStrings.push(`${k}=${v}`);
    }
    this.child = spawn(path, ['--server', signalTable()], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    this.input = this.child.stdin!;
    this.output = this.child.stdout!;
    this.child.unref();
    (this.input as unknown as { unref?: () => void }).unref?.();
    this.unrefOutput();
    this.input.on('error', () => undefined);
    this.output.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.once('error', (error) => this.fail(`cannot start the spawn server: ${error.message}`));
    // 'close', not 'exit': replies still in the pipe are read first.
    this.child.once('close', (code, signal) => this.fail(`the spawn server ended (${signal ? `killed by ${signal}` : `exit code ${code}`})`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a spawn request; undefined when it cannot be encoded (a NUL byte: the per-command path reports it as Node does). */
  request(req: ServerRequest): { id: number; reply: Promise<ServerReply | 'fallback'> } | undefined {
    if (this.failure) return undefined;
    const strings = [req.cwd, req.logPath, req.header, req.file, ...req.args];
    let env = this.baseEnvStrings;
    if (req.env) {
      env = [];
      for (const [k, v] of Object.entries({ ...this.baseEnv, ...req.env })) env.push(`${k}=${v}`);
    }
    let size = 25;
    for (const s of strings) size += Buffer.byteLength(s) + 1;
    for (const s of env) size += Buffer.byteLength(s) + 1;
    if (strings.some((s) => s.includes('\0')) || (req.env && env.some((s) => s.includes('\0')))) return undefined;
    const id = this.nextId++;
    const buf = Buffer.allocUnsafe(size + 4);
    buf.writeUInt32LE(size, 0);
    buf[4] = 0x53; // 'S'
    buf.writeUInt32LE(id, 5);
    buf.writeUInt32LE(Math.max(0, Math.round(Math.min(req.timeoutMs, 2 ** 31 - 1))), 9);
    buf.writeUInt32LE(req.graceMs, 13);
    buf.writeUInt32LE(Math.min(req.logLimit, 2 ** 31), 17);
    buf.writeUInt32LE(1 + req.args.length, 21);
    buf.writeUInt32LE(env.length, 25);
    let at = 29;
    for (const list of [strings, env]) {
      for (const s of list) {
        at += buf.write(s, at, 'utf8');
        buf[at++] = 0;
      }
    }
    const reply = new Promise<ServerReply | 'fallback'>((resolve) => this.pending.set(id, resolve));
    if (this.pending.size === 1) (this.output as unknown as { ref?: () => void }).ref?.();
    this.input.write(buf);
    return { id, reply };
  }

  /** SIGTERM the command's tree, SIGKILL after the grace time. */
  cancel(id: number): void {
    this.control(0x43, id);
  }

  /** SIGKILL the command's tree now. Written synchronously when the pipe has room (it does: a few bytes). */
  killNow(id: number): void {
    this.control(0x4b, id);
  }

  usageNow(): ServerUsage | undefined {
    const pid = this.child.pid;
    if (pid === undefined) return undefined;
    let serverUs = 0;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      serverUs = (Number(f[14 - 3]) + Number(f[15 - 3])) * 10_000;
    } catch {
      // gone
    }
    return { pid, serverUs, ...this.usage };
  }

  private control(type: number, id: number): void {
    if (this.failure || !this.pending.has(id)) return;
    const buf = Buffer.allocUnsafe(9);
    buf.writeUInt32LE(5, 0);
    buf[4] = type;
    buf.writeUInt32LE(id, 5);
    this.input.write(buf);
  }

  private unrefOutput(): void {
    (this.output as unknown as { unref?: () => void }).unref?.();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < 4) return;
    let data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    let at = 0;
    while (data.length - at >= 4) {
      const len = data.readUInt32LE(at);
      if (data.length - at - 4 < len) break;
      this.onFrame(data.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
    data = data.subarray(at);
    this.chunks = data.length ? [data] : [];
    this.buffered = data.length;
  }

  private onFrame(body: Buffer): void {
    const type = body[0];
    if (type === 0x48) {
      this.ready = true; // 'H'
      return;
    }
    const id = body.readUInt32LE(1);
    const resolve = this.pending.get(id);
    if (!resolve) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.unrefOutput();
    if (type === 0x45) {
      resolve(lost(body.subarray(5).toString('utf8')));
      return;
    }
    // 'D'
    const kind = (['exit', 'signal', 'spawn-error'] as const)[body[5]!] ?? 'lost';
    const u64 = (o: number) => Number(body.readBigUInt64LE(o));
    const lens = [0, 1, 2, 3, 4].map((i) => body.readUInt32LE(FIXED_REPLY - 20 + 4 * i));
    let at = FIXED_REPLY;
    const take = (n: number) => body.subarray(at, (at += n));
    const reply: ServerReply = {
      kind,
      code: body.readInt32LE(6),
      timedOut: body[10] === 1,
      canceled: body[11] === 1,
      logErrno: body.readInt32LE(12),
      totalBytes: u64(16),
      stdoutBytes: u64(24),
      head: take(lens[0]!),
      tail: take(lens[1]!),
      stdoutHead: take(lens[2]!),
      stdoutTail: take(lens[3]!),
      message: take(lens[4]!).toString('utf8'),
    };
    this.usage.requests++;
    this.usage.commandUs += u64(32) + u64(40);
    this.usage.helperUs += u64(48) + u64(56);
    resolve(reply);
  }

  private fail(why: string): void {
    if (this.failure) return;
    this.failure = why;
    try {
      process.stderr.write(`matrix: warning: ${why}; falling back to one stage supervisor per command\n`);
    } catch {
      /* no terminal */
    }
    // Before the hello nothing ran: those commands can go the per-command way. After it, they are lost.
    for (const resolve of this.pending.values()) resolve(this.ready ? lost(why) : 'fallback');
    this.pending.clear();
    this.unrefOutput();
  }
}

function lost(message: string): ServerReply {
  const empty = Buffer.alloc(0);
  return { kind: 'lost', code: 0, timedOut: false, canceled: false, logErrno: 0, totalBytes: 0, stdoutBytes: 0, head: empty, tail: empty, stdoutHead: empty, stdoutTail: empty, message };
}

let server: SpawnServer | undefined;

/**
 * The run's spawn server, started on first use; undefined when there is none
 * (MATRIX_SPAWN_SERVER=off, no supervisor binary, or it failed: said once on stderr).
 * The per-command path gives the same results: same output views, same statuses.
 */
export function spawnServer(): SpawnServer | undefined {
  if (process.env.MATRIX_SPAWN_SERVER === 'off') return undefined;
  if (server) return server.failure ? undefined : server;
  // MATRIX_SPAWN_SERVER=/path/to/binary: another server binary (tests: one that fails to start).
  const override = process.env.MATRIX_SPAWN_SERVER?.startsWith('/') ? process.env.MATRIX_SPAWN_SERVER : undefined;
  const sup = override ? { path: override } : supervisor();
  if (!('path' in sup)) return undefined; // runCommand warns about the supervisor itself
  server = new SpawnServer(sup.path);
  return server;
}

/** CPU used so far by the server side (for the benchmarks); undefined when no server ran. */
export function spawnServerUsage(): ServerUsage | undefined {
  return server?.usageNow();
}
