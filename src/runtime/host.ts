// Facts about the machine running the matrix.
import os from 'node:os';

export interface HostInfo {
  machine: string;
  platform: string;
  release: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  /** Filled from the host addon when built (vendor, family, model, uarch...). */
  cpu?: Record<string, unknown>;
}

export function hostMachine(): string {
  // os.machine() is `uname -m`: x86_64, aarch64, armv7l, riscv64...
  return os.machine();
}

export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return {
    machine: os.machine(),
    platform: os.platform(),
    release: os.release(),
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
  };
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
