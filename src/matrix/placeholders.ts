// `{name}` placeholders in matrix.yaml strings: which names each kind of
// string may use (validation checks them) and the one function that fills them.

/** In run stages and configure arguments. */
export const ARGV_PLACEHOLDERS: readonly string[] = [
  'build', 'source', 'prepared', 'root', 'triple', 'arch',
  // The cell's toolchain: its name, kind (gcc, llvm), version suffix, "1" for llvm ('' for gcc),
  // the C compiler command, the extra flags (space-separated), and the runner prefix ('' natively).
  'toolchain', 'kind', 'version', 'llvm', 'cc', 'cflags', 'ldflags', 'runner',
  // The arch's CPU: the features its variant needs and lacks (comma-separated, '' for none),
  // and the CPU model it runs on (qemu's -cpu model, 'host' natively, '' when qemu picks its default).
  'cpu_needs', 'cpu_lacks', 'cpu',
];
/** In a target's host-side prepare command (once per target: no cell, so no build tree or arch). */
export const PREPARE_PLACEHOLDERS: readonly string[] = ['source', 'prepared', 'root'];
/** In a toolchain's Debian package names. */
export const PACKAGE_PLACEHOLDERS: readonly string[] = ['triple', 'debian', 'version', 'suffix'];

/** Replaces each known `{name}`; an unknown one stays as written (validation has refused it already). */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}
