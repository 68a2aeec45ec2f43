// An emulator second opinion: a stage that failed under qemu runs once more
// under another CPU model (`-cpu max`); a stage that failed natively on x86
// runs once under qemu. Failing under both says "the code"; passing under the
// other says "suspect emulator" (or a CPU-feature dependence), and the report
// says which. matrix.yaml's `defaults: { second_opinion: false }` turns it off.
import type { ArchSpec } from '../matrix/types.js';
import { which } from '../toolchains/which.js';
import { sysrootFor, type Runner } from '../qemu/runner.js';

export interface AlternateRunner {
  /** How the report names it: `qemu-aarch64 -cpu max`. */
  label: string;
  argv: (program: string, args: readonly string[]) => string[];
}

/** The other runner to ask, or undefined when there is none worth asking. */
export function alternateRunner(runner: Runner, arch: ArchSpec): AlternateRunner | undefined {
  if (runner.kind === 'qemu') {
    const args = [...runner.args];
    const i = args.indexOf('-cpu');
    if (i >= 0 && args[i + 1] === 'max') return undefined;
    if (i >= 0) args.splice(i, 2);
    const name = runner.qemu.split('/').pop()!;
    return { label: `${name} -cpu max`, argv: (program, rest) => [runner.qemu, ...args, '-cpu', 'max', '-L', runner.sysroot, program, ...rest] };
  }
  if (runner.kind === 'native' && arch.family === 'x86' && arch.qemu) {
    const qemu = which(arch.qemu);
    if (!qemu) return undefined;
    const name = arch.qemu.split('/').pop()!;
    return { label: name, argv: (program, rest) => [qemu, ...arch.qemuArgs, '-L', sysrootFor(arch), program, ...rest] };
  }
  return undefined;
}

export type SecondVerdict = 'code' | 'suspect-emulator' | 'inconclusive';

/** What the second opinion says about a failure, from the other run's stage status. */
export function secondVerdict(status: string): SecondVerdict {
  return status === 'pass' ? 'suspect-emulator' : status === 'fail' ? 'code' : 'inconclusive';
}

export function secondOpinionNote(label: string, verdict: SecondVerdict, why?: string): string {
  if (verdict === 'suspect-emulator') return `suspect emulator: passes under ${label}`;
  if (verdict === 'code') return `code: fails under ${label} too`;
  return `second opinion under ${label} inconclusive${why ? `: ${why}` : ''}`;
}
