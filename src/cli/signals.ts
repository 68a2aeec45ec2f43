// Every way a job is told to stop (Ctrl-C, kill, a closed terminal, quit) is
// handled alike. main() installs the handlers once: the first signal aborts
// `stop.signal` (commands stop their cells, kill their trees and write what
// they have), a second one runs the registered kill-now callbacks and asks
// main to exit at once with 128+signal. Only main exits.
import os from 'node:os';

/** Every way a CI job or a terminal ends a run. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** 128 + the signal's number, as a shell reports a process ended by it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 2);
}

export class StopRequests {
  private readonly controller = new AbortController();
  private readonly forced = new Set<() => void>();
  private received: NodeJS.Signals | undefined;
  private readonly handler = (signal: NodeJS.Signals) => this.onSignal(signal);

  /** `exitNow` is main's: the one place that ends the process. */
  constructor(private readonly exitNow: (code: number) => never) {}

  /** Aborted at the first stop signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The signal that stopped the run, if any. */
  get stoppedBy(): NodeJS.Signals | undefined {
    return this.received;
  }

  /** Exit code of a run that the first signal stopped (130 when none did). */
  exitCode(): number {
    return signalExitCode(this.received ?? 'SIGINT');
  }

  /** Called at a second signal, before the process exits: kill every tree. */
  onForcedExit(fn: () => void): () => void {
    this.forced.add(fn);
    return () => this.forced.delete(fn);
  }

  install(): void {
    for (const s of STOP_SIGNALS) process.on(s, this.handler);
  }

  dispose(): void {
    for (const s of STOP_SIGNALS) process.off(s, this.handler);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.received === undefined) {
      this.received = signal;
      // After SIGHUP the terminal may be gone: a failed write must not stop the shutdown.
      if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
      try {
        process.stderr.write(`\nmatrix: ${signal}: stopping every cell and writing an incomplete report (again to quit at once)\n`);
      } catch {
        /* no terminal */
      }
      this.controller.abort();
      return;
    }
    for (const fn of this.forced) fn();
    this.exitNow(signalExitCode(this.received));
  }
}
