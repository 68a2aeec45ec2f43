// How a cell's programs execute on this host: directly, under qemu-user with
// the Debian sysroot, or not at all (with the reason and what to install).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

import type { ArchSpec, RunWhere } from '../matrix/types.js';
import { which } from '../toolchains/which.js';
import { hostTriple } from '../toolchains/toolchain.js';

export type Runner =
  | { kind: 'native'; note?: string }
  | { kind: 'qemu'; qemu: string; sysroot: string; args: string[]; note?: string }
  /** `buildOnly`: nothing can run this arch here, but its cells still build (no emulator exists, or none is installed). */
  | { kind: 'none'; reason: string; packages: string[]; buildOnly?: boolean };

/** Whether this host executes the arch's programs directly (its machine name and byte order). */
export function runsNatively(arch: ArchSpec, machine: string): boolean {
  if (!arch.nativeOn.includes(machine)) return false;
  // `uname -m` says mips64 on big- and little-endian hosts alike.
  if (arch.endian && arch.endian !== (os.endianness() === 'LE' ? 'little' : 'big')) return false;
  // A CPU variant runs natively only where the host CPU is that CPU: it has every
  // feature the variant needs and none it lacks; otherwise under qemu -cpu.
  return hostMismatch(arch) === '';
}

/** Why this host's CPU is not the variant's ('' when it is, or the arch is no variant). */
export function hostMismatch(arch: ArchSpec): string {
  const missing = arch.needs ? missingFeatures(arch.needs) : [];
  const extra = arch.lacks ? arch.lacks.filter((f) => cpuFeatures().has(f)) : [];
  const why = [
    ...(missing.length ? [`lacks ${missing.join(', ')}`] : []),
    ...(extra.length ? [`has ${extra.join(', ')}, which ${arch.name}'s CPU lacks`] : []),
  ];
  return why.length ? `this host's CPU ${why.join(' and ')}` : '';
}

let hostFeatures: Set<string> | undefined;

/** The host CPU's features (`flags` on x86, `Features` on arm) from /proc/cpuinfo. */
export function cpuFeatures(): Set<string> {
  if (!hostFeatures) {
    let text = '';
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      // no /proc: no features known, so no variant runs natively
    }
    const line = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(text)?.[1] ?? '';
    hostFeatures = new Set(line.split(/\s+/).filter(Boolean));
  }
  return hostFeatures;
}

/** The features of `needs` this host's CPU lacks. */
export function missingFeatures(needs: readonly string[]): string[] {
  const have = cpuFeatures();
  return needs.filter((n) => !have.has(n));
}

export function chooseRunner(arch: ArchSpec, machine: string): Runner {
  const mismatch = arch.nativeOn.includes(machine) ? hostMismatch(arch) : '';
  if (mismatch) {
    const viaQemu = qemuRunner(arch);
    if (viaQemu.kind === 'qemu') return { ...viaQemu, note: mismatch };
    return { kind: 'none', reason: `${mismatch}, and there is no qemu to run it`, packages: viaQemu.kind === 'none' ? viaQemu.packages : [] };
  }
  if (runsNatively(arch, machine)) {
    if (!arch.interpreter || existsSync(arch.interpreter)) return { kind: 'native' };
    const viaQemu = qemuRunner(arch);
    if (viaQemu.kind === 'qemu') {
      return { ...viaQemu, note: `${arch.interpreter} is absent (install ${arch.nativePackages.join(' ') || 'its libc'} to run natively)` };
    }
    return { kind: 'none', reason: `cannot run natively: ${arch.interpreter} is absent`, packages: arch.nativePackages };
  }
  return qemuRunner(arch);
}

/** qemu's -L: the Debian cross sysroot, or / for the host's own triple (its libraries are the host's). */
export function sysrootFor(arch: ArchSpec): string {
  return arch.triple === hostTriple(os.machine()) ? '/' : `/usr/${arch.triple}`;
}

function qemuRunner(arch: ArchSpec): Runner {
  if (!arch.qemu) return { kind: 'none', reason: `no qemu-user emulator exists for ${arch.name}`, packages: [], buildOnly: true };
  const qemu = which(arch.qemu);
  if (!qemu) return { kind: 'none', reason: `${arch.qemu} is not installed`, packages: ['qemu-user'], buildOnly: true };
  const sysroot = sysrootFor(arch);
  if (!existsSync(sysroot)) {
    return { kind: 'none', reason: `sysroot ${sysroot} is absent`, packages: [`libc6-${arch.debian}-cross`] };
  }
  return { kind: 'qemu', qemu, sysroot, args: arch.qemuArgs };
}

/** argv that runs `program args...` with this runner (host stages run as they are). */
export function wrapCommand(runner: Runner, program: string, args: string[], where: RunWhere = 'any'): string[] {
  if (runner.kind === 'qemu' && where !== 'host') return [runner.qemu, ...runner.args, '-L', runner.sysroot, program, ...args];
  return [program, ...args];
}

/** Why a stage with this `where` cannot run on this cell ('' = it can). */
export function stageBlocked(where: RunWhere, runner: Runner, arch: ArchSpec): string {
  if (where === 'host') return '';
  if (runner.kind === 'none') return `not run: ${runner.reason}`;
  if (where === 'any') return '';
  if (runner.kind !== 'native') return `runs only natively (${arch.name} runs under qemu here)`;
  // Running an x86 program natively means the host is x86 too.
  if (where === 'native-x86' && arch.family !== 'x86') return `runs only natively on x86 (${arch.name} is ${arch.family ? `family ${arch.family}` : 'of no declared family: add "family: x86" to its matrix.yaml entry if it is x86'})`;
  return '';
}

/** The argv prefix that runs a program of this cell ([] natively): CMake's CROSSCOMPILING_EMULATOR, meson's exe_wrapper, automake's LOG_COMPILER. */
export function emulatorPrefix(runner: Runner): string[] {
  return runner.kind === 'qemu' ? [runner.qemu, ...runner.args, '-L', runner.sysroot] : [];
}
