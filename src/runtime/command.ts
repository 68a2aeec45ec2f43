// Runs one external command. A failed command is data, not an exception: the
// result has the same shape whether it passed, failed, crashed, timed out or
// could not start. This is the only module that imports execa.
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { constants as osConstants } from 'node:os';

import { CappedOutput } from './capped-output.js';
import { killGroup, signalGroup, type ProcessGroupRegistry } from './process-groups.js';
import { formatCommand } from './quote.js';

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

  const child = execa(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: true,
    reject: false,
    buffer: false,
    detached: true, // own process group: the whole tree can be killed
    cleanup: true,
    stdin: 'ignore',
    stripFinalNewline: false,
  });
  const pgid = child.pid;
  if (pgid !== undefined) spec.registry?.add(pgid);

  const onChunk = (isStdout: boolean) => (chunk: Buffer) => {
    combined.push(chunk);
    if (isStdout) stdout.push(chunk);
    spec.onOutput?.(chunk.toString('utf8'));
  };
  child.stdout?.on('data', onChunk(true));
  child.stderr?.on('data', onChunk(false));

  const stop = (why: 'timeout' | 'cancel') => {
    if (why === 'timeout') timedOut = true;
    else canceled = true;
    if (pgid !== undefined && !killing) killing = killGroup(pgid);
  };
  const timer = spec.timeoutMs ? setTimeout(() => stop('timeout'), spec.timeoutMs) : undefined;
  const onAbort = () => stop('cancel');
  spec.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const result = await child;
    if (killing) await killing;
    // Reap anything the command left behind in its group (daemons, stray qemu).
    if (pgid !== undefined) signalGroup(pgid, 'SIGKILL');
    const spawnError =
      result.exitCode === undefined && !result.signal && result.failed && !timedOut && !canceled
        ? result.originalMessage || result.shortMessage
        : undefined;
    return await finish({
      durationMs: performance.now() - started,
      exitCode: result.exitCode,
      signal: result.signal ?? undefined,
      spawnError,
    });
  } finally {
    if (timer) clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
    if (pgid !== undefined) spec.registry?.delete(pgid);
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

export function describeEnd(exitCode: number | undefined, signal: string | undefined, timedOut: boolean, canceled: boolean, spawnError?: string): string {
  if (spawnError) return `could not start: ${spawnError}`;
  if (timedOut) return 'timed out: process tree killed';
  if (canceled) return 'canceled: process tree killed';
  if (signal) return `killed by ${signal}`;
  return `exit code ${exitCode}`;
}

/** Signal name for an exit status >128 reported by a wrapper shell or qemu. */
export function signalFromExitCode(code: number | undefined): string | undefined {
  if (code === undefined || code <= 128 || code > 128 + 64) return undefined;
  const n = code - 128;
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === n) return name;
  return undefined;
}
