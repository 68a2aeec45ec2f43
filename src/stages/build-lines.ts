// The configure and build lines of each build system (cmake, make,
// autotools, meson), decided from the cell's toolchain, arch and runner:
// data for plan.ts, which adds the run stages and the reproducer.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Cell } from '../matrix/cells.js';
import { fillPlaceholders } from '../matrix/placeholders.js';
import { cflagsFor, compilerName, ldflagsFor, linkerFor } from '../toolchains/toolchain.js';
import { emulatorPrefix, type Runner } from '../qemu/runner.js';

/** A file the engine writes into the build tree before configure (meson's cross file). */
export interface GeneratedFile {
  path: string;
  content: string;
}

export interface BuildLines {
  configure?: string[];
  /** The configure line for a tree this same line configured before (meson setup --reconfigure). */
  reconfigure?: string[];
  build: string[];
  /** A changed configure line empties the tree (autotools, meson) instead of `cmake --fresh`. */
  wipe?: boolean;
  /** in_tree: the source tree is copied (incrementally) into the build directory before configure and build. */
  copyTree?: { from: string; to: string };
  files?: GeneratedFile[];
}

/** The makefile GNU make itself would pick: GNUmakefile, makefile, then Makefile. */
function findMakefile(dir: string): string {
  return ['GNUmakefile', 'makefile', 'Makefile'].find((name) => existsSync(join(dir, name))) ?? 'Makefile';
}

/** The cell's toolchain as the placeholders name it ({cc}, {cflags}, {llvm}, {runner}...). */
export function toolchainValues(cell: Cell, runner: Runner): Record<string, string> {
  const { arch, toolchain } = cell;
  return {
    toolchain: toolchain.name,
    kind: toolchain.kind,
    version: toolchain.version,
    llvm: toolchain.kind === 'llvm' ? '1' : '',
    cc: ccCommand(cell).join(' '),
    cflags: cflagsFor(toolchain, arch).join(' '),
    ldflags: linkFlags(cell).join(' '),
    runner: emulatorPrefix(runner).join(' '),
  };
}

function ccCommand(cell: Cell): string[] {
  const name = compilerName(cell.toolchain, cell.arch);
  return cell.toolchain.kind === 'gcc' ? [name] : [name, `--target=${cell.arch.triple}`];
}

function cxxCommand(cell: Cell): string[] {
  const version = cell.toolchain.version ? `-${cell.toolchain.version}` : '';
  return cell.toolchain.kind === 'gcc' ? [`${cell.arch.triple}-g++${version}`] : [`clang++${version}`, `--target=${cell.arch.triple}`];
}

/** ldflags plus -fuse-ld for the cell's linker. */
function linkFlags(cell: Cell): string[] {
  const linker = linkerFor(cell.toolchain, cell.arch);
  return [...ldflagsFor(cell.toolchain, cell.arch), ...(linker ? [`-fuse-ld=${linker}`] : [])];
}

export interface LineInputs {
  root: string;
  sourceDir: string;
  buildDir: string;
  runner: Runner;
  parallel: number;
  generator: string[];
  /** Placeholder values for configure_args, build_targets and make_vars. */
  vars: Record<string, string>;
}

/** `stageGoals`: the targets the cell's stages need (undefined: the default build). */
export function buildLines(cell: Cell, io: LineInputs, stageGoals?: readonly string[]): BuildLines {
  const { arch, toolchain, target } = cell;
  const fill = (a: string) => fillPlaceholders(a, io.vars);
  const extra = target.configureArgs.map(fill);
  const goals = [...new Set([...target.buildTargets.map(fill), ...(stageGoals ?? []).map(fill)])];
  const bdir = io.buildDir;
  const cflags = cflagsFor(toolchain, arch);
  const ld = linkFlags(cell);
  const copyTree = target.inTree ? { copyTree: { from: io.sourceDir, to: bdir } } : {};
  // An in-tree project builds in its copy: the build directory is its source tree.
  const tree = target.inTree ? bdir : io.sourceDir;
  switch (target.build) {
    case 'cmake': {
      const ldflags = ldflagsFor(toolchain, arch);
      const linker = linkerFor(toolchain, arch);
      const configure = [
        'cmake', ...io.generator, '-S', io.sourceDir, '-B', bdir,
        `-DCMAKE_TOOLCHAIN_FILE=${resolve(io.root, toolchain.cmakeToolchain)}`,
        `-DMATRIX_TRIPLE=${arch.triple}`,
        // A CPU variant is its base architecture to the project (the variant is in its flags).
        `-DMATRIX_ARCH=${arch.variantOf?.arch ?? arch.name}`,
      ];
      if (toolchain.version) configure.push(`-DMATRIX_CC_VERSION=${toolchain.version}`);
      if (cflags.length) configure.push(`-DMATRIX_CFLAGS=${cflags.join(';')}`);
      if (ldflags.length) configure.push(`-DMATRIX_LDFLAGS=${ldflags.join(';')}`);
      if (linker) configure.push(`-DMATRIX_LINKER=${linker}`);
      // ctest (and try_run) run the project's programs through the cell's runner.
      const emulator = emulatorPrefix(io.runner);
      if (emulator.length) configure.push(`-DCMAKE_CROSSCOMPILING_EMULATOR=${emulator.join(';')}`);
      configure.push(...extra);
      const build = ['cmake', '--build', bdir, '--parallel', String(io.parallel)];
      if (goals.length) build.push('--target', ...goals);
      return { configure, build };
    }
    case 'make': {
      // The engine's own variables carry a MATRIX_ prefix, so they cannot clobber a project's (SRCDIR...).
      // With make_vars the project picks its compiler from them (ARCH, CROSS_COMPILE, LLVM): no CC.
      const vars = target.makeVars ? Object.entries(target.makeVars).map(([k, v]) => `${k}=${fill(v)}`) : [`CC=${ccCommand(cell).join(' ')}`];
      // In tree, make picks the makefile in the copy itself (GNUmakefile, makefile, Makefile).
      const file = target.inTree ? (target.makefile ? ['-f', join(bdir, target.makefile)] : []) : ['-f', join(io.sourceDir, target.makefile ?? findMakefile(io.sourceDir))];
      const build = [
        'make', '-C', bdir, ...file, `MATRIX_SRCDIR=${tree}`, ...vars,
        `MATRIX_CFLAGS=${cflags.join(' ')}`, `MATRIX_LDFLAGS=${ld.join(' ')}`, `-j${io.parallel}`,
        ...extra, ...goals,
      ];
      return { build, ...copyTree };
    }
    case 'autotools': {
      // configure runs in the build directory (a VPATH build, or the copy for in_tree).
      const configure = ['env', '-C', bdir, join(tree, 'configure'), `--host=${arch.triple}`, `CC=${ccCommand(cell).join(' ')}`, `CXX=${cxxCommand(cell).join(' ')}`];
      if (cflags.length) configure.push(`CFLAGS=${cflags.join(' ')}`, `CXXFLAGS=${cflags.join(' ')}`);
      if (ld.length) configure.push(`LDFLAGS=${ld.join(' ')}`);
      configure.push(...extra);
      return { configure, build: ['make', '-C', bdir, `-j${io.parallel}`, ...goals], wipe: true, ...copyTree };
    }
    case 'meson': {
      const crossFile = join(bdir, 'matrix-cross.ini');
      const rest = ['--cross-file', crossFile, ...extra, bdir, io.sourceDir];
      return {
        configure: ['meson', 'setup', ...rest],
        reconfigure: ['meson', 'setup', '--reconfigure', ...rest],
        build: ['meson', 'compile', '-C', bdir, '-j', String(io.parallel), ...goals],
        wipe: true,
        files: [{ path: crossFile, content: mesonCrossFile(cell, io.runner, cflags, ld) }],
      };
    }
  }
}

const iniList = (items: readonly string[]): string => `[${items.map((s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;

/** meson's cross file: the cell's compilers, flags, runner (exe_wrapper) and host machine. */
export function mesonCrossFile(cell: Cell, runner: Runner, cflags: readonly string[], ldflags: readonly string[]): string {
  const { arch, toolchain } = cell;
  const version = toolchain.version ? `-${toolchain.version}` : '';
  const binutils = (tool: string) => (toolchain.kind === 'llvm' ? `llvm-${tool}${version}` : `${arch.triple}-${tool}`);
  const cpu = arch.triple.split('-')[0]!;
  const emulator = emulatorPrefix(runner);
  return [
    '# Written by matrix for this cell: its toolchain, flags and runner.',
    '[binaries]',
    `c = ${iniList(ccCommand(cell))}`,
    `cpp = ${iniList(cxxCommand(cell))}`,
    `ar = ${iniList([binutils('ar')])}`,
    `strip = ${iniList([binutils('strip')])}`,
    ...(emulator.length ? [`exe_wrapper = ${iniList(emulator)}`] : []),
    '',
    '[built-in options]',
    `c_args = ${iniList(cflags)}`,
    `c_link_args = ${iniList(ldflags)}`,
    `cpp_args = ${iniList(cflags)}`,
    `cpp_link_args = ${iniList(ldflags)}`,
    '',
    '[host_machine]',
    "system = 'linux'",
    `cpu_family = '${arch.mesonCpuFamily ?? cpu}'`,
    `cpu = '${cpu}'`,
    `endian = '${arch.endian ?? 'little'}'`,
    '',
  ].join('\n');
}
