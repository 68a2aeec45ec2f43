// The shape of matrix.yaml, stated once. The reader (config.ts) takes its key
// tables (which keys a mapping has, which are required, what each holds) from
// here; ajv checks every parsed file against it; `matrix.schema.json` at the
// repository root is this schema as JSON (editors complete and check keys
// with it). The TypeScript type of a raw matrix file is derived from it.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';

export const MATRIX_VERSION = 1;
export const TOOLCHAIN_KINDS = ['gcc', 'llvm'] as const;
export const BUILD_SYSTEMS = ['cmake', 'make', 'autotools', 'meson'] as const;
export const OUTPUT_FORMATS = ['tap', 'exit-code', 'expect', 'junit', 'ctest', 'automake', 'meson'] as const;
/** Formats whose program is a host test driver (ctest, make check, meson test) that runs the tests through the cell's runner itself. */
export const DRIVER_FORMATS = ['ctest', 'automake', 'meson'] as const;
export const RUNNER_KINDS = ['native', 'qemu'] as const;
export const RUN_WHERE = ['any', 'native', 'native-x86', 'host'] as const;
export const EXTRAS_SECTIONS = ['smc', 'relink'] as const;
export const STAGE_KINDS = ['test', 'bench', 'check'] as const;
export const EXPECTATION_STATUSES = ['xfail', 'skip'] as const;
export const ENDIANS = ['little', 'big'] as const;

/** Names become parts of cell ids and directory names. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
/** Longest name: a cell id (target-arch-toolchain) and a stage log name stay far below NAME_MAX (255). */
export const MAX_NAME_LENGTH = 64;
/** Largest timeout in seconds: Node's timers hold at most 2^31-1 ms (a longer one fires after 1 ms). */
export const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

const oneOf = <T extends readonly string[]>(values: T, description: string) => Type.Union(values.map((v) => Type.Literal(v)), { description });
const strings = (description: string) => Type.Array(Type.String(), { description });
/** A name or a list of names (expectations). */
const names = (description: string) => Type.Union([Type.String(), Type.Array(Type.String())], { description });
const named = <T extends TSchema>(value: T, description: string) =>
  Type.Record(Type.String({ pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH }), value, { description });
const factor = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 1000, description });
const seconds = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: MAX_TIMEOUT_S, description });

export const DefaultsSchema = Type.Object(
  {
    timeout: Type.Optional(seconds('seconds per stage')),
    retries: Type.Optional(Type.Integer({ minimum: 0, description: 'reruns of a failed run stage' })),
    log_limit: Type.Optional(Type.Integer({ minimum: 1, description: 'bytes kept per stage log' })),
    second_opinion: Type.Optional(Type.Boolean({ description: 'false: do not rerun a stage that failed under qemu under another CPU model (default true)' })),
    timeout_factor: Type.Optional(Type.Object(
      { native: Type.Optional(factor('multiplier of run-stage time limits for native runs (default 1)')), qemu: Type.Optional(factor('multiplier of run-stage time limits under qemu (default 1), e.g. 10')) },
      { additionalProperties: false, description: 'run-stage time limits per runner: { qemu: 10 } gives a 60 s stage 600 s under qemu' },
    )),
  },
  { additionalProperties: false, description: 'timeout, retries, log_limit, timeout_factor' },
);

export const ArchToolchainSchema = Type.Object(
  {
    cflags: Type.Optional(strings('extra compiler flags')),
    ldflags: Type.Optional(strings('extra linker flags')),
    linker: Type.Optional(Type.String({ minLength: 1, description: 'the linker to use, e.g. bfd' })),
  },
  { additionalProperties: false },
);

export const VariantSchema = Type.Object(
  {
    cflags: Type.Optional(strings('compiler flags of this CPU level, e.g. [-march=x86-64-v3]')),
    ldflags: Type.Optional(strings('extra linker flags')),
    cpu: Type.Optional(Type.String({ minLength: 1, description: "qemu's -cpu model for this variant, e.g. Haswell, cortex-a53, max" })),
    needs: Type.Optional(strings('CPU features (/proc/cpuinfo flags) a host needs to run it natively; otherwise it runs under qemu -cpu')),
    lacks: Type.Optional(strings('CPU features this variant\'s CPU must not have (e.g. atomics for an ARMv8.0 core): a host that has one runs it under qemu -cpu, and {cpu_lacks} lets a stage check the emulated CPU really lacks them')),
  },
  { additionalProperties: false },
);

export const ProfileSchema = Type.Object(
  {
    versions: Type.Optional(Type.Boolean({ description: "true: the toolchains' extra versions are cells too" })),
    variants: Type.Optional(Type.Boolean({ description: "true: the architectures' CPU variants are cells too" })),
    architectures: Type.Optional(strings('only these architectures (after variants)')),
    toolchains: Type.Optional(strings('only these toolchains (after versions)')),
  },
  { additionalProperties: false },
);

export const ArchSchema = Type.Object(
  {
    triple: Type.String({ minLength: 1, description: 'the GNU triple, e.g. aarch64-linux-gnu' }),
    debian: Type.String({ minLength: 1, description: 'the Debian architecture name, e.g. arm64' }),
    qemu: Type.Optional(Type.String({ minLength: 1, pattern: '^\\S+$', description: 'the qemu-user binary, e.g. qemu-aarch64 (its arguments go in qemu_args); leave it out when no emulator exists (cells are built, not run)' })),
    qemu_args: Type.Optional(strings('arguments for qemu before the program, e.g. [-cpu, power10]')),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), { description: 'environment for the build and run stages of this arch, e.g. { QEMU_CPU: max }' })),
    native_on: strings('the host machines (uname -m) that run it directly; [] for none'),
    interpreter: Type.Optional(Type.String({ minLength: 1, description: 'the ELF interpreter a native run needs' })),
    native_packages: Type.Optional(strings('Debian packages a native run needs')),
    cflags: Type.Optional(strings('extra compiler flags')),
    ldflags: Type.Optional(strings('extra linker flags')),
    toolchains: Type.Optional(Type.Record(Type.String(), ArchToolchainSchema, { description: 'per-toolchain overrides: cflags, ldflags, linker' })),
    bits: Type.Optional(Type.Union([Type.Literal(32), Type.Literal(64)], { description: 'pointer width: 32 or 64' })),
    endian: Type.Optional(oneOf(ENDIANS, 'byte order: little or big')),
    family: Type.Optional(Type.String({ minLength: 1, description: 'the ISA family, e.g. x86, arm, mips, powerpc (native-x86 stages need x86)' })),
    timeout_factor: Type.Optional(factor('multiplier of run-stage time limits when this arch runs under qemu (overrides defaults.timeout_factor.qemu)')),
    meson_cpu_family: Type.Optional(Type.String({ minLength: 1, description: "meson's cpu_family for the generated cross file (default: the triple's first part), e.g. ppc64" })),
    variants: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH }), VariantSchema, { description: 'CPU variants: each is an architecture <arch>-<variant> in profiles with variants: true' })),
  },
  { additionalProperties: false },
);

export const ToolchainSchema = Type.Object(
  {
    kind: oneOf(TOOLCHAIN_KINDS, `one of ${TOOLCHAIN_KINDS.join(', ')}`),
    version: Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'compiler version suffix, e.g. 14' })),
    cmake_toolchain: Type.Optional(Type.String({ minLength: 1, description: 'the CMake toolchain file, e.g. toolchains/gcc.cmake (needed only by cmake targets)' })),
    linker: Type.Optional(Type.String({ description: 'default linker, e.g. lld' })),
    packages: Type.Optional(strings('Debian packages, with {triple}, {debian}, {version} and {suffix} (-N for a versioned toolchain, else empty) placeholders')),
    allow_outside: Type.Optional(Type.Boolean({ description: 'true to let cmake_toolchain name a file outside the repository' })),
    versions: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]), { description: 'more compiler versions: each is a toolchain <name>-<N> (clang-N, lld-N; <triple>-gcc-N) in profiles with versions: true' })),
  },
  { additionalProperties: false },
);

export const PrepareSchema = Type.Object(
  {
    command: Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1, description: 'the argv to run, e.g. [python3, gen.py]' }),
    outputs: Type.Optional(strings('globs of the files it produces')),
  },
  { additionalProperties: false, description: 'a host command run once before the cells: command, outputs' },
);

export const StageSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH, description: 'a unique name within the target' }),
    run: Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1, description: 'the argv, relative to the build directory, e.g. [bin/tests]' }),
    format: Type.Optional(oneOf(OUTPUT_FORMATS, OUTPUT_FORMATS.join(', '))),
    expect_stdout: Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'the exact stdout for format expect' })),
    expect_stdout_regex: Type.Optional(Type.String({ minLength: 1, description: 'for format expect: a regular expression stdout must match (JavaScript syntax, multiline)' })),
    expect_exit: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: 'the exit code the program must end with (default 0); formats exit-code and expect' })),
    junit: Type.Optional(Type.String({ minLength: 1, description: 'the JUnit XML file the stage writes, relative to the build directory (format junit; ctest defaults to ctest-junit.xml)' })),
    where: Type.Optional(oneOf(RUN_WHERE, RUN_WHERE.join(', '))),
    kind: Type.Optional(oneOf(STAGE_KINDS, STAGE_KINDS.join(', '))),
    timeout: Type.Optional(seconds('seconds')),
    extras: Type.Optional(oneOf(EXTRAS_SECTIONS, 'report section its JSON output feeds: smc, relink')),
    known_flaky: Type.Optional(Type.Boolean({ description: 'true: a failure that passes on retry is expected (still reported)' })),
    tty: Type.Optional(Type.Boolean({ description: 'true: run under a pseudo-terminal, so a crashing program\'s line-buffered output survives' })),
    driver: Type.Optional(Type.Boolean({ description: 'true: the program is a host test driver (make check, a script) that runs the tests through {runner} itself: looked up on PATH, not run under qemu (implied by formats ctest, automake, meson)' })),
    builds: Type.Optional(strings('the build-tool targets this stage runs (e.g. [jitcore_tests]): a cell builds only what its runnable stages name, when every one of them names its targets')),
    profiles: Type.Optional(strings('run this stage only in these profiles (e.g. [nightly] for a long benchmark); elsewhere it is not part of the target')),
  },
  { additionalProperties: false },
);

export const TargetSchema = Type.Object(
  {
    build: oneOf(BUILD_SYSTEMS, `one of ${BUILD_SYSTEMS.join(', ')}`),
    source: Type.String({ minLength: 1, description: 'the source directory, relative to the matrix file' }),
    configure_args: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]), { description: 'extra configure arguments' })),
    build_targets: Type.Optional(strings('build-tool targets')),
    makefile: Type.Optional(Type.String({ minLength: 1, description: 'the makefile, relative to source (default: GNUmakefile, makefile or Makefile, as make picks)' })),
    make_vars: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.]*$' }), Type.Union([Type.String(), Type.Number()]), { description: 'make variables per cell from templates, e.g. { ARCH: "{arch}", CROSS_COMPILE: "{triple}-", LLVM: "{llvm}" }; when given, CC is not passed (add CC: "{cc}" to pass it)' })),
    in_tree: Type.Optional(Type.Boolean({ description: 'true: the project builds only in its source directory; each cell builds in its own copy of the tree (make, autotools)' })),
    inputs: Type.Optional(strings('globs that key the cache')),
    prepare: Type.Optional(PrepareSchema),
    stages: Type.Array(StageSchema, { description: 'a list of run stages: name, run, format; [] for build-only' }),
    known_flaky: Type.Optional(Type.Boolean({ description: 'true: a failure that passes on retry is expected for every stage (still reported)' })),
    keep_going: Type.Optional(Type.Boolean({ description: 'true: run every run stage after one fails; the first unexpected one decides the cell' })),
    first_error: Type.Optional(Type.String({ minLength: 1, description: "a regex for the project's own failure lines, preferred as the first error" })),
    allow_outside: Type.Optional(Type.Boolean({ description: 'true to let source and inputs name paths outside the repository' })),
  },
  { additionalProperties: false },
);

export const ExpectationSchema = Type.Object(
  {
    arch: Type.Optional(names('an architecture name or a list of them; * is a wildcard (aarch64* also matches its variants)')),
    toolchain: Type.Optional(names('a toolchain name or a list of them; * is a wildcard (llvm* also matches llvm-15, llvm-19)')),
    target: Type.Optional(names('a target name or a list of them')),
    status: oneOf(EXPECTATION_STATUSES, `one of ${EXPECTATION_STATUSES.join(', ')}`),
    stage: Type.Optional(Type.String({ description: 'the stage expected to fail' })),
    reason: Type.String({ minLength: 1, description: 'why, in a sentence' }),
    link: Type.Optional(Type.String({ description: 'a URL or a docs/ path to the evidence' })),
  },
  { additionalProperties: false },
);

export const MatrixFileSchema = Type.Object(
  {
    version: Type.Literal(MATRIX_VERSION, { description: `add "version: ${MATRIX_VERSION}"` }),
    defaults: Type.Optional(DefaultsSchema),
    architectures: named(ArchSchema, 'a mapping of architecture name -> triple, debian, qemu, native_on'),
    toolchains: named(ToolchainSchema, 'a mapping of toolchain name -> kind, cmake_toolchain'),
    targets: named(TargetSchema, 'a mapping of target name -> build, source, stages'),
    expectations: Type.Optional(Type.Array(ExpectationSchema, { description: 'a list of known failures and skips' })),
    profiles: Type.Optional(named(ProfileSchema, 'named selections of the matrix (matrix run --profile P); "quick" is the default when it exists')),
  },
  // `x-...` keys hold YAML anchors for reuse, as in compose files.
  { additionalProperties: false, patternProperties: { '^x-': {} }, title: 'matrix.yaml' },
);

/** A matrix file as written (snake_case keys), before the reader resolves defaults and names. */
export type MatrixFile = Static<typeof MatrixFileSchema>;

/** How a key of a mapping is described in "missing key" messages: taken from the schema. */
export interface KeyRule {
  required?: boolean;
  /** What the key holds, shown when it is missing. */
  hint: string;
}
export type KeyRules = Record<string, KeyRule>;

/** The key table of an object schema: its properties in order, required or not, with their descriptions. */
export function keyRules(schema: TObject): KeyRules {
  const required = new Set(schema.required ?? []);
  return Object.fromEntries(
    Object.entries(schema.properties).map(([key, value]) => [key, { ...(required.has(key) ? { required: true } : {}), hint: String((value as TSchema).description ?? key) }]),
  );
}

/** matrix.schema.json: the schema with the JSON Schema dialect named. */
export function matrixJsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...JSON.parse(JSON.stringify(MatrixFileSchema)) };
}
