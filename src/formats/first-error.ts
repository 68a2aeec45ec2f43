// The first line of a log that tells a person what went wrong, so the report
// shows `foo.c:12:3: error: ...` and not the whole log. Where a generic driver
// line (`collect2: error: ld returned 1 exit status`, `clang: error: linker
// command failed`, make's `*** [...] Error 1`, CMake's summary) stands below
// the line that names the cause, the cause wins.

/** Lines that say what went wrong, most telling kinds first when several match the same line. */
const PATTERNS: RegExp[] = [
  /^.*\b(?:fatal )?error:.*$/m, // compiler and linker diagnostics
  /^.*undefined reference to.*$/m,
  /^.*\brelocation truncated to fit\b.*$/m,
  /^\S*\bld(?:\.bfd|\.gold|\.lld)?(?:-\d+)?: .*$/m, // any linker message (unrecognized option, cannot find...)
  /^.*internal compiler error.*$/m,
  /^CMake Error.*$/m,
  /^qemu[-\w]*: .*$/m, // qemu's own messages (uncaught target signal, could not open...)
  /^.*(?:Segmentation fault|Illegal instruction|Bus error|Aborted|Trace\/breakpoint trap).*$/m,
  /^.*\bAssertion .* failed.*$/m,
  /^make(?:\[\d+\])?: \*\*\*.*$/m,
  /^.*\bcannot execute\b.*$/m,
];

const LINE_PATTERNS = PATTERNS.map((p) => new RegExp(p.source));

/** Lines that only say that something below them failed: used when nothing more specific is there. */
const GENERIC: RegExp[] = [
  /\bcollect2: error: ld returned \d+ exit status/,
  /\bclang(?:-\d+)?: error: linker command failed/,
  /\bclang(?:-\d+)?: error: (?:assembler|clang frontend) command failed/,
  /^make(?:\[\d+\])?: \*\*\*/,
  /^ninja: build stopped/,
  /^CMake Error at .*CMakeTestCCompiler\.cmake/,
  /^CMake Error(?: at [^:]*)?:?\s*$/,
  /^FAILED: /,
  /\berror: ld returned\b/,
  /: in function [`'‘][^'’`]*['’]:$/, // linker context: the next line says what is wrong
  /\bld(?:\.\w+)?: (?:note: )?use the --help option/,
  /\bld(?:\.\w+)?: skipping incompatible /, // a search-path warning, not the failure
  /\bld(?:\.\w+)?(?:-\d+)?: warning: /, // e.g. "has a LOAD segment with RWX permissions": printed by links that succeed
];

// CSI and OSC sequences (colours, cursor moves, hyperlinks) that compilers and test tools print.
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/** Text without terminal escape sequences. */
export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI, '') : text;
}

function isGeneric(line: string): boolean {
  return GENERIC.some((g) => g.test(line));
}

/**
 * The most telling error line: the first specific one, or else the first
 * generic one. `custom` (a target's own `first_error` regex) wins over both.
 */
export function firstErrorLine(output: string, custom?: RegExp): string | undefined {
  const text = stripAnsi(output);
  if (custom) {
    const m = new RegExp(custom.source, custom.flags.includes('m') ? custom.flags : `${custom.flags}m`).exec(text);
    if (m) return clip(lineAround(text, m.index).trim());
  }
  let generic: string | undefined;
  for (const line of text.split('\n')) {
    if (!LINE_PATTERNS.some((p) => p.test(line))) continue;
    if (!isGeneric(line)) return clip(line.trim());
    generic ??= line;
  }
  return generic ? clip(generic.trim()) : undefined;
}

function lineAround(text: string, index: number): string {
  const begin = text.lastIndexOf('\n', index - 1) + 1;
  const end = text.indexOf('\n', index);
  return text.slice(begin, end === -1 ? undefined : end);
}

/** The last non-empty line, a fallback when nothing matches. */
export function lastLine(output: string): string | undefined {
  const lines = stripAnsi(output).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('# exit code'));
  const line = lines[lines.length - 1];
  return line ? clip(line) : undefined;
}

export function clip(line: string, max = 300): string {
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** qemu failed before the guest program ran (infrastructure, not the code). */
export function qemuInfrastructureError(output: string): string | undefined {
  const m = /^qemu[-\w]*: (?:Could not open|could not open|Unable to|unable to find CPU model|Error mapping|Error while loading|.*Invalid ELF image).*$/m.exec(output);
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
