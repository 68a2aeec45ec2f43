// How a toolchain is found for an arch: compiler and linker names, the Debian
// packages that provide them, and what must exist for a cell to build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import type { ArchSpec, ToolchainSpec } from '../matrix/types.js';
import { fillPlaceholders } from '../matrix/placeholders.js';
import { which } from './which.js';

/**
 * The triple of the machine's own toolchain, as its C compiler says
 * (`cc -dumpmachine`): no table of machine names to keep in step.
 */
let hostTripleMemo: string | undefined;
export function hostTriple(machine: string): string {
  if (hostTripleMemo === undefined) {
    const r = spawnSync('cc', ['-dumpmachine'], { encoding: 'utf8', timeout: 10_000 });
    hostTripleMemo = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : `${machine}-linux-gnu`;
  }
  return hostTripleMemo;
}

function suffix(toolchain: ToolchainSpec): string {
  return toolchain.version ? `-${toolchain.version}` : '';
}

export function compilerName(toolchain: ToolchainSpec, arch: ArchSpec): string {
  return toolchain.kind === 'gcc' ? `${arch.triple}-gcc${suffix(toolchain)}` : `clang${suffix(toolchain)}`;
}

/** The arch's override for this toolchain; a versioned toolchain (llvm-15) inherits its base's (llvm). */
export function archOverride(arch: ArchSpec, toolchain: ToolchainSpec): ArchSpec['toolchains'][string] | undefined {
  return arch.toolchains[toolchain.name] ?? (toolchain.base ? arch.toolchains[toolchain.base] : undefined);
}

/** The -fuse-ld value for this cell ('' = compiler default). */
export function linkerFor(toolchain: ToolchainSpec, arch: ArchSpec): string {
  return archOverride(arch, toolchain)?.linker ?? toolchain.linker;
}

function linkerBinary(linker: string, toolchain: ToolchainSpec, arch: ArchSpec): string {
  if (linker === 'lld') return `ld.lld${suffix(toolchain)}`;
  if (linker === 'bfd' || linker === '') return `${arch.triple}-ld${linker === 'bfd' ? '.bfd' : ''}`;
  return `${arch.triple}-ld.${linker}`;
}

export function cflagsFor(toolchain: ToolchainSpec, arch: ArchSpec): string[] {
  return [...arch.cflags, ...(archOverride(arch, toolchain)?.cflags ?? []), ...(arch.variantFlags?.cflags ?? [])];
}

export function ldflagsFor(toolchain: ToolchainSpec, arch: ArchSpec): string[] {
  return [...arch.ldflags, ...(archOverride(arch, toolchain)?.ldflags ?? []), ...(arch.variantFlags?.ldflags ?? [])];
}

/**
 * Debian packages for this cell's toolchain. For the host's own triple the
 * cross packages do not exist: the native gcc and libc6-dev provide them.
 */
export function toolchainPackages(toolchain: ToolchainSpec, arch: ArchSpec, machine: string): string[] {
  const isHost = arch.triple === hostTriple(machine);
  return toolchain.packages.map((template) => {
    // The host's own gcc; a versioned llvm toolchain needs only the default gcc's crt files and libgcc, not gcc-N.
    if (isHost && (template === 'gcc-{triple}' || template === 'gcc{suffix}-{triple}')) return toolchain.kind === 'gcc' && toolchain.version ? `gcc-${toolchain.version}` : 'gcc';
    if (isHost && template === 'libc6-dev-{debian}-cross') return 'libc6-dev';
    // {suffix}: "-15" for a versioned toolchain (clang-15, lld-15), "" for the default one.
    return fillPlaceholders(template, { triple: arch.triple, debian: arch.debian, version: toolchain.version, suffix: toolchain.version ? `-${toolchain.version}` : '' });
  });
}

export interface ToolchainProbe {
  ok: boolean;
  compiler?: string;
  /** What is missing, for a skip reason. */
  missing: string[];
}

/** Checks that the compiler, linker, sysroot and (for clang) GNU crt files exist. */
export function probeToolchain(toolchain: ToolchainSpec, arch: ArchSpec, machine: string): ToolchainProbe {
  const missing: string[] = [];
  const compiler = which(compilerName(toolchain, arch));
  if (!compiler) missing.push(`compiler ${compilerName(toolchain, arch)}`);
  const linker = linkerFor(toolchain, arch);
  if (toolchain.kind === 'llvm' || linker) {
    const ld = linkerBinary(linker, toolchain, arch);
    if (!which(ld)) missing.push(`linker ${ld}`);
  }
  const isHost = arch.triple === hostTriple(machine);
  const headers = isHost ? '/usr/include/stdio.h' : `/usr/${arch.triple}/include/stdio.h`;
  if (!existsSync(headers)) missing.push(`C library headers ${headers}`);
  if (toolchain.kind === 'llvm') {
    const crt = isHost ? `/usr/lib/gcc/${arch.triple}` : `/usr/lib/gcc-cross/${arch.triple}`;
    if (!existsSync(crt)) missing.push(`GNU crt files and libgcc ${crt}`);
  }
  return { ok: missing.length === 0, compiler, missing };
}
