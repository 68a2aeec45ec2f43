// The shape of matrix.yaml once validated. Everything the engine knows about
// architectures, toolchains and targets comes from here: the matrix is data.

import type { SourceLocation } from '../errors.js';
import type { BUILD_SYSTEMS, EXTRAS_SECTIONS, OUTPUT_FORMATS, RUN_WHERE, STAGE_KINDS, TOOLCHAIN_KINDS } from './schema.js';

export type { SourceLocation };

export interface ArchToolchainOverride {
  /** Extra compiler flags for this arch with this toolchain only. */
  cflags: string[];
  /** Extra linker flags for this arch with this toolchain only. */
  ldflags: string[];
  /** Linker to use instead of the toolchain's default (e.g. `bfd` where lld cannot link). */
  linker?: string;
}

export interface ArchSpec {
  name: string;
  /** GNU triple: also the sysroot `/usr/<triple>` and the cross tool prefix. */
  triple: string;
  /** Debian architecture name, for `libc6-dev-<debian>-cross`. */
  debian: string;
  /** qemu-user binary that runs this arch's programs; absent when none exists (build-only cells). */
  qemu?: string;
  /** Arguments for qemu before the program (`-cpu power10`). */
  qemuArgs: string[];
  /** Environment for this arch's build and run stages. */
  env: Record<string, string>;
  /** Host machines (`uname -m`) that run this arch's programs directly. */
  nativeOn: string[];
  /** ELF interpreter a native run needs (if absent, fall back to qemu). */
  interpreter?: string;
  /** Extra Debian packages needed to run natively (e.g. libc6-i386). */
  nativePackages: string[];
  cflags: string[];
  ldflags: string[];
  toolchains: Record<string, ArchToolchainOverride>;
  /** Pointer width, when matrix.yaml says (report groups: "every llvm cell on 32-bit targets"). */
  bits?: 32 | 64;
  /** Byte order: a native run also needs the host's (mips64 hosts of both orders say `mips64`). */
  endian?: 'little' | 'big';
  /** ISA family (x86, arm, mips...): `where: native-x86` stages need `x86`. */
  family?: string;
  /** Set on an architecture made from another's `variants:`: the base arch and the variant's name. */
  variantOf?: { arch: string; variant: string };
  /** A variant's own compiler and linker flags: after the base's and the toolchain override's, so they win (-marm over an override's -mthumb). */
  variantFlags?: { cflags: string[]; ldflags: string[] };
  /** CPU features a host needs to run it natively (a variant's `needs`). */
  needs?: string[];
  /** CPU features the variant's CPU must not have (a host with one runs it under qemu -cpu). */
  lacks?: string[];
  /** Multiplier of run-stage time limits when this arch runs under qemu. */
  timeoutFactor?: number;
  /** meson's cpu_family in the generated cross file (default: the triple's first part). */
  mesonCpuFamily?: string;
  location: SourceLocation;
}

export type ToolchainKind = (typeof TOOLCHAIN_KINDS)[number];

export interface ToolchainSpec {
  name: string;
  kind: ToolchainKind;
  /** Version suffix (`12` -> gcc-12 / clang-12); empty means the unversioned default. */
  version: string;
  /** CMake toolchain file, relative to the matrix.yaml directory ('' = none: the toolchain builds no cmake target). */
  cmakeToolchain: string;
  /** Default linker (`lld` for llvm); empty means the compiler's default. */
  linker: string;
  /** Debian packages, with `{triple}`, `{debian}` and `{version}` placeholders. */
  packages: string[];
  location: SourceLocation;
  /** `allow_outside: true`: cmake_toolchain may name a file outside the repository. */
  allowOutside?: boolean;
  /** Set on a toolchain made from another's `versions:` list: the one it came from. */
  base?: string;
}

export type StageKind = (typeof STAGE_KINDS)[number];
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/**
 * Where a run stage may execute: on the target (natively or under qemu), only
 * natively, only natively on x86, or on the build host itself (checks of the
 * built files with host tools, e.g. the cross binutils: they run even where
 * the target cannot, and prove nothing about running on it).
 */
export type RunWhere = (typeof RUN_WHERE)[number];
/** Report sections a benchmark's JSON output can feed (see results/extras.ts). */
export type ExtrasSection = (typeof EXTRAS_SECTIONS)[number];

export interface RunStageSpec {
  name: string;
  kind: StageKind;
  /** argv, relative to the build directory for the program (argv[0]). */
  command: string[];
  format: OutputFormat;
  /** For format `expect`: the exact stdout (trimmed) the program must print. */
  expectStdout?: string;
  /** For format `expect`: a regular expression (multiline) stdout must match. */
  expectStdoutRegex?: string;
  /** The exit code the program must end with (default 0). */
  expectExit?: number;
  /** The JUnit XML file the stage writes, relative to the build directory (formats junit and ctest). */
  junit?: string;
  where: RunWhere;
  /** Seconds; overrides the run-wide timeout for this stage. */
  timeout?: number;
  /** The report section this benchmark's JSON feeds (taken from a native x86 cell). */
  extras?: ExtrasSection;
  /** A failure that passes on retry is expected here (reported as flaky, not unexpected). */
  knownFlaky?: boolean;
  /** Run under a pseudo-terminal (line-buffered output survives a crash). */
  tty?: boolean;
  /** The program is a host test driver that runs the tests through the runner itself (not wrapped, looked up on PATH). */
  driver?: boolean;
  /** Build-tool targets this stage's program needs (absent: the cell builds everything). */
  builds?: string[];
  /** Profiles this stage belongs to (absent: every profile). */
  profiles?: string[];
  location: SourceLocation;
}

export type BuildSystem = (typeof BUILD_SYSTEMS)[number];

export interface TargetSpec {
  name: string;
  build: BuildSystem;
  /** Source directory, relative to the matrix.yaml directory. */
  source: string;
  /** Extra configure arguments (cmake -D...), or make variables for `make`. */
  configureArgs: string[];
  /** Build-tool targets (empty = default target). */
  buildTargets: string[];
  /** Globs (relative to source) whose contents key the cache; default: everything in source. */
  inputs: string[];
  /**
   * Host-side command (argv) run once per target before any of its cells, e.g.
   * to generate sources; `outputs` are globs (relative to the target's source)
   * of what it produces.
   */
  prepare?: { command: string[]; outputs?: string[] };
  stages: RunStageSpec[];
  /** The project's own failure line (a regex), preferred as a cell's first error. */
  firstError?: string;
  /** Run every run stage after one failed. */
  keepGoing?: boolean;
  /** make only: the makefile, relative to source. */
  makefile?: string;
  /** make only: make variables from templates (`{arch}`, `{triple}`, `{llvm}`...); when present, CC is not passed. */
  makeVars?: Record<string, string>;
  /** make and autotools: the project builds only in its source tree; each cell builds in a copy of it. */
  inTree?: boolean;
  /** Every stage of this target is known to be flaky (see RunStageSpec.knownFlaky). */
  knownFlaky?: boolean;
  /** `allow_outside: true`: source and inputs may name paths outside the repository. */
  allowOutside?: boolean;
  location: SourceLocation;
}

export interface CellMatch {
  arch?: string;
  toolchain?: string;
  target?: string;
}

export interface Expectation {
  match: CellMatch;
  /** `xfail`: expected to fail (optionally at a given stage); `skip`: do not run. */
  status: 'xfail' | 'skip';
  stage?: string;
  reason: string;
  link?: string;
  location: SourceLocation;
}

export interface MatrixDefaults {
  /** Seconds per stage. */
  timeout: number;
  retries: number;
  /** Bytes of output kept per stage log. */
  logLimit: number;
  /** Rerun a stage that failed under qemu once under another CPU model (x86: under qemu instead of natively). */
  secondOpinion: boolean;
  /** Multipliers of run-stage time limits per runner kind. */
  timeoutFactor: { native: number; qemu: number };
}

export interface MatrixConfig {
  /** Absolute path of matrix.yaml. */
  file: string;
  /** Directory paths are relative to. */
  root: string;
  version: number;
  defaults: MatrixDefaults;
  architectures: ArchSpec[];
  toolchains: ToolchainSpec[];
  targets: TargetSpec[];
  expectations: Expectation[];
  /** Named selections (`--profile`); the run's profile has been applied to the lists above. */
  profiles: Record<string, Profile>;
  /** The profile applied, if any. */
  profile?: string;
}

/** A named selection of the matrix: axes on or off, and name lists. */
export interface Profile {
  versions: boolean;
  variants: boolean;
  architectures?: string[];
  toolchains?: string[];
  location: SourceLocation;
}
