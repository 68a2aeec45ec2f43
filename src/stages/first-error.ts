// The first line of a log that tells a person what went wrong, so the report
// shows `foo.c:12:3: error: ...` and not the whole log.

const PATTERNS: RegExp[] = [
  /^.*\b(?:fatal )?error:.*$/m, // compiler and linker diagnostics
  /^.*undefined reference to.*$/m,
  /^.*internal compiler error.*$/m,
  /^CMake Error.*$/m,
  /^qemu[-\w]*: .*$/m, // qemu's own messages (uncaught target signal, could not open...)
  /^.*(?:Segmentation fault|Illegal instruction|Bus error|Aborted|Trace\/breakpoint trap).*$/m,
  /^.*\bAssertion .* failed.*$/m,
  /^make(?:\[\d+\])?: \*\*\*.*$/m,
  /^.*\bcannot execute\b.*$/m,
];

export function firstErrorLine(output: string): string | undefined {
  let best: { index: number; line: string } | undefined;
  for (const pattern of PATTERNS) {
    const m = pattern.exec(output);
    if (m && (best === undefined || m.index < best.index)) best = { index: m.index, line: m[0] };
  }
  return best ? clip(best.line.trim()) : undefined;
}

/** The last non-empty line, a fallback when nothing matches. */
export function lastLine(output: string): string | undefined {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('# exit code'));
  const line = lines[lines.length - 1];
  return line ? clip(line) : undefined;
}

export function clip(line: string, max = 300): string {
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** qemu failed before the guest program ran (infrastructure, not the code). */
export function qemuInfrastructureError(output: string): string | undefined {
  const m = /^qemu[-\w]*: (?:Could not open|could not open|Unable to|Error mapping|Error while loading|.*Invalid ELF image).*$/m.exec(output);
  return m ? clip(m[0].trim()) : undefined;
}

/** Signal named by qemu's "uncaught target signal N (Name)" line. */
export function qemuTargetSignal(output: string): string | undefined {
  const m = /qemu: uncaught target signal (\d+) \(([^)]+)\)/.exec(output);
  if (!m) return undefined;
  const byName: Record<string, string> = {
    'Segmentation fault': 'SIGSEGV',
    'Illegal instruction': 'SIGILL',
    'Bus error': 'SIGBUS',
    Aborted: 'SIGABRT',
    'Trace/breakpoint trap': 'SIGTRAP',
    'Floating point exception': 'SIGFPE',
  };
  return byName[m[2]!] ?? `signal ${m[1]} (${m[2]})`;
}

/** Out of disk space anywhere in the output: infrastructure. */
export function diskFull(output: string): boolean {
  return /No space left on device|ENOSPC/.test(output);
}

/** CMake could not get a working compiler: the toolchain, not the code. */
export function toolchainBroken(output: string): boolean {
  return /is not able to compile a simple test program|No CMAKE_C_COMPILER could be found|CMAKE_C_COMPILER:\s*\S+\s+is not a full path to an existing compiler/.test(output);
}
