// Emulation-aware time limits: a run stage's limit (its own timeout, or the
// run's) times the factor of the runner it runs under. qemu is 5-50x slower
// than native, so `defaults.timeout_factor: { qemu: 10 }` (or an arch's own
// `timeout_factor`) lets native cells keep a short limit while emulated ones
// get room; the limit that applied is recorded in the stage result.
import type { ArchSpec, MatrixDefaults } from '../matrix/types.js';
import type { Runner } from '../qemu/runner.js';
import { MAX_TIMEOUT_S } from '../matrix/schema.js';

export interface TimeLimit {
  /** Seconds that applied. */
  seconds: number;
  /** The limit before scaling. */
  base: number;
  factor: number;
  /** e.g. "600 s (60 s x 10 under qemu)" or "60 s". */
  text: string;
}

export function runStageLimit(base: number, runner: Runner, arch: ArchSpec, defaults: Pick<MatrixDefaults, 'timeoutFactor'>): TimeLimit {
  const factor = runner.kind === 'qemu' ? (arch.timeoutFactor ?? defaults.timeoutFactor.qemu) : runner.kind === 'native' ? defaults.timeoutFactor.native : 1;
  const seconds = Math.min(MAX_TIMEOUT_S, Math.round(base * factor * 1000) / 1000);
  const text = factor === 1 ? `${seconds} s` : `${seconds} s (${base} s x ${factor} ${runner.kind === 'qemu' ? 'under qemu' : 'natively'})`;
  return { seconds, base, factor, text };
}
