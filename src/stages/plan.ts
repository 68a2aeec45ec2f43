// A cell's commands, decided before anything runs: the configure and build
// lines, each run stage's argv under its runner (or why it cannot run here),
// and the reproducers a person pastes to do the same by hand.
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

import type { Cell } from '../matrix/cells.js';
import { fillPlaceholders } from '../matrix/placeholders.js';
import type { MatrixConfig, RunStageSpec } from '../matrix/types.js';
import type { CellAxes } from '../results/types.js';
import { DRIVER_FORMATS } from '../matrix/schema.js';
import { chooseRunner, stageBlocked, wrapCommand, type Runner } from '../qemu/runner.js';
import { formatCommand, quoteArg } from '../runtime/quote.js';
import type { RunOptions } from './context.js';
import { buildDir } from '../cache/paths.js';
import { buildLines, toolchainValues, type BuildLines } from './build-lines.js';

/** The commands of a cell, built once: run, reported, and joined into the reproducer. */
export interface CellPlan extends BuildLines {
  runner: Runner;
  buildDir: string;
  sourceDir: string;
  stages: { spec: RunStageSpec; program: string; args: string[]; argv: string[]; blocked: string }[];
  /** The arch's environment for every build and run step (matrix.yaml `env:`). */
  env: Record<string, string>;
}

const substitute = fillPlaceholders;

/** What planning needs: the matrix, where the cache is, this host, the options. */
export interface PlanInputs {
  config: MatrixConfig;
  cacheDir: string;
  host: { machine: string; generator: string[] };
  options: Pick<RunOptions, 'buildParallel'>;
}

export function planCell(cell: Cell, ctx: PlanInputs): CellPlan {
  const { arch, target } = cell;
  const root = ctx.config.root;
  const sourceDir = resolve(root, target.source);
  const bdir = buildDir(ctx.cacheDir, cell.id);
  const runner = chooseRunner(arch, ctx.host.machine);
  // {arch}: a CPU variant's base architecture (x86_64 for x86_64-v3): what build systems and per-arch code know.
  const vars = { build: bdir, source: sourceDir, prepared: join(ctx.cacheDir, 'prepared', target.name), root, triple: arch.triple, arch: arch.variantOf?.arch ?? arch.name, ...toolchainValues(cell, runner), ...cpuValues(arch, runner) };
  const stages = target.stages.map((spec) => {
    const [program = '', ...args] = spec.command.map((a) => substitute(a, vars));
    // A test driver (ctest, make check, meson test) runs on the host and runs the tests through the runner itself.
    const driver = isDriver(spec);
    // A host stage may name a host tool (`{triple}-readelf`): a bare name is looked up in PATH.
    const onPath = (spec.where === 'host' || driver) && !program.includes('/');
    const abs = isAbsolute(program) || onPath ? program : join(bdir, program);
    if (spec.format === 'ctest' && !args.some((a) => a.startsWith('--output-junit'))) args.push('--output-junit', join(bdir, stageJunit(spec)!));
    const argv = wrapCommand(runner, abs, args, driver ? 'host' : spec.where);
    // tty: the program sees a terminal, so stdio stays line-buffered and a crash loses no output (util-linux script).
    return { spec, program: abs, args, argv: spec.tty ? ['script', '-q', '-e', '-c', formatCommand(argv), '/dev/null'] : argv, blocked: stageBlocked(spec.where, runner, arch) };
  });
  const lines = buildLines(cell, { root, sourceDir, buildDir: bdir, runner, parallel: ctx.options.buildParallel, generator: ctx.host.generator, vars }, stageGoals(stages, runner));
  return { runner, buildDir: bdir, sourceDir, ...lines, stages, env: arch.env };
}

/**
 * The build-tool targets the cell's runnable stages name (`builds:`), so a
 * qemu cell does not build the benchmarks only a native x86 cell runs.
 * Undefined (build everything) when a runnable stage names none, or nothing
 * can run here: a build-only cell's evidence is the whole build.
 */
function stageGoals(stages: CellPlan['stages'], runner: Runner): string[] | undefined {
  const runnable = stages.filter((s) => !s.blocked);
  if (runner.kind === 'none' || runnable.length === 0 || runnable.some((s) => !s.spec.builds)) return undefined;
  return [...new Set(runnable.flatMap((s) => s.spec.builds ?? []))];
}

/** The CPU placeholders: what the variant needs and lacks, and the model it runs on. */
function cpuValues(arch: Cell['arch'], runner: Runner): Record<string, string> {
  const model = runner.kind === 'native' ? 'host' : runner.kind === 'qemu' ? cpuModel(runner.args) || (arch.env.QEMU_CPU ?? '') : '';
  return { cpu_needs: (arch.needs ?? []).join(','), cpu_lacks: (arch.lacks ?? []).join(','), cpu: model };
}

/** The cell's place on the axes and the CPU it runs on, for the report's coverage view. */
export function cellAxes(cell: Cell, runner: Runner): CellAxes {
  const { arch, toolchain } = cell;
  const cpu = cpuValues(arch, runner).cpu;
  const note = runner.kind === 'none' ? runner.reason : runner.note;
  return {
    arch: arch.variantOf?.arch ?? arch.name,
    ...(arch.variantOf ? { variant: arch.variantOf.variant } : {}),
    toolchain: toolchain.base ?? toolchain.name,
    ...(toolchain.version ? { version: toolchain.version } : {}),
    ...(cpu ? { cpu } : {}),
    ...(note ? { runnerNote: note } : {}),
  };
}

/** qemu's -cpu model in its arguments ('' when qemu picks its default). */
export function cpuModel(qemuArgs: readonly string[]): string {
  const at = qemuArgs.indexOf('-cpu');
  return at >= 0 ? (qemuArgs[at + 1] ?? '') : '';
}

/** A stage whose program is a host test driver that runs the tests through the runner (ctest, make check, meson test). */
export function isDriver(spec: RunStageSpec): boolean {
  return spec.driver === true || (DRIVER_FORMATS as readonly string[]).includes(spec.format);
}

/** The JUnit file a stage writes, relative to the build directory (ctest's default: ctest-junit.xml). */
export function stageJunit(spec: RunStageSpec): string | undefined {
  return spec.junit ?? (spec.format === 'ctest' ? 'ctest-junit.xml' : undefined);
}

/**
 * One line a person can paste into a shell at the directory that holds
 * matrix.yaml (the repository root), on a fresh clone: it prepares inputs,
 * rebuilds and reruns the cell. Paths inside that directory are anchored to
 * "$PWD" (the build commands do not change directory), the run stages run from
 * the build directory as the tool runs them, with paths relative to it.
 */
export function reproducer(plan: CellPlan, root: string, onlyStage?: string, prepare?: { dir: string; argv: string[] }): string {
  return reproducerSteps(plan, root, onlyStage, prepare).join(' && ');
}

/** The reproducer's commands, one shell line each, to paste at `root` (`matrix repro` writes them as a script). */
export function reproducerSteps(plan: CellPlan, root: string, onlyStage?: string, prepare?: { dir: string; argv: string[] }): string[] {
  const within = (dir: string, path: string): string | undefined => {
    const rel = relative(dir, path);
    return rel === '' ? '.' : !rel.startsWith('..') && !isAbsolute(rel) ? rel : undefined;
  };
  // "$PWD"/rel for a path inside the root; other absolute paths stay absolute.
  const anchored = (path: string): string => {
    const rel = within(root, path);
    return rel === undefined ? quoteArg(path) : rel === '.' ? '"$PWD"' : `"$PWD"/${quoteArg(rel)}`;
  };
  // The root inside an argument (-DVAR=/root/x, MATRIX_SRCDIR=..., "sh -c 'cat /root/x'") becomes `word`.
  const embed = (a: string, word: string): string => {
    if (!a.includes(root)) return quoteArg(a);
    const pieces = a.split(root);
    return pieces.map((p) => (p === '' ? '' : quoteArg(p))).join(word);
  };
  const anchorArg = (a: string): string => (a.startsWith('/') && within(root, a) !== undefined ? anchored(a) : embed(a, '"$PWD"'));
  // From the build directory: paths relative to it (it is where the tool runs the stages).
  const rootFromBuild = within(root, plan.buildDir) !== undefined ? relative(plan.buildDir, root) || '.' : undefined;
  const fromBuild = (a: string, program: boolean): string => {
    const inBuild = a.startsWith('/') ? within(plan.buildDir, a) : undefined;
    if (inBuild !== undefined) return quoteArg(program && !inBuild.includes('/') ? `./${inBuild}` : inBuild);
    if (rootFromBuild === undefined) return quoteArg(a);
    if (a.startsWith('/') && within(root, a) !== undefined) return quoteArg(relative(plan.buildDir, a));
    return embed(a, quoteArg(rootFromBuild));
  };
  const parts: string[] = [];
  const env = Object.entries(plan.env);
  if (env.length) parts.push(`export ${env.map(([k, v]) => `${k}=${quoteArg(v)}`).join(' ')}`);
  if (prepare) parts.push(`mkdir -p ${anchored(prepare.dir)}`, prepare.argv.map(anchorArg).join(' '));
  if (plan.build[0] === 'make' || plan.copyTree || plan.files?.length) parts.push(`mkdir -p ${anchored(plan.buildDir)}`);
  // in_tree: the cell's own copy of the source tree (only newer files are copied again).
  if (plan.copyTree) parts.push(`cp -a --update ${anchored(plan.copyTree.from)}/. ${anchored(plan.copyTree.to)}/`);
  for (const file of plan.files ?? []) parts.push(`printf '%s\\n' ${file.content.replace(/\n$/, '').split('\n').map(quoteArg).join(' ')} > ${anchored(file.path)}`);
  if (plan.configure) parts.push(plan.configure.map(anchorArg).join(' '));
  parts.push(plan.build.map(anchorArg).join(' '));
  const runs = plan.stages.filter((stage) => !stage.blocked && (!onlyStage || stage.spec.name === onlyStage));
  if (runs.length) {
    parts.push(`cd ${anchored(plan.buildDir)}`);
    for (const stage of runs) {
      const line = stage.argv.map((a) => fromBuild(a, a === stage.program)).join(' ');
      // A wrong answer exits 0: the line checks the output the way the stage does.
      parts.push(checkedLine(stage.spec, line));
    }
  }
  return parts;
}

/** A stage's line as a shell check: a wrong answer (or exit code) must fail the line, as it fails the stage. */
function checkedLine(spec: RunStageSpec, line: string): string {
  const exit = spec.expectExit ?? 0;
  if (spec.format === 'expect' && spec.expectStdoutRegex === undefined && spec.expectExit === undefined) return `test "$(${line})" = ${quoteArg(spec.expectStdout ?? '')}`;
  if (spec.format === 'expect') {
    const got = `out="$(${line}; echo "exit=$?")"`;
    const status = `test "\${out##*exit=}" = ${exit}`;
    const text = '"${out%exit=*}"';
    const check = spec.expectStdoutRegex !== undefined ? `printf '%s' ${text} | grep -Eq ${quoteArg(spec.expectStdoutRegex)}` : `test "$(printf '%s' ${text})" = ${quoteArg(spec.expectStdout ?? '')}`;
    return `${got} && ${status} && ${check}`;
  }
  return exit === 0 ? line : `{ ${line}; test $? = ${exit}; }`;
}

/** The same cell through the tool: `npx matrix run` selecting exactly it, cache off. */
export function rerunCommand(cell: Cell, config: Pick<MatrixConfig, 'file' | 'root'>): string {
  const configArg = basename(config.file) === 'matrix.yaml' && dirname(config.file) === config.root ? [] : ['--config', relative(config.root, config.file)];
  return formatCommand(['npx', 'matrix', 'run', ...configArg, '--target', cell.target.name, '--arch', cell.arch.name, '--toolchain', cell.toolchain.name, '--no-cache']);
}

/** The prepare command of a target as reproducers show it (the directory made first). */
export function prepareCommand(target: Cell['target'], ctx: Pick<PlanInputs, 'config' | 'cacheDir'>): { dir: string; argv: string[] } | undefined {
  if (!target.prepare) return undefined;
  const dir = join(ctx.cacheDir, 'prepared', target.name);
  const values = { prepared: dir, root: ctx.config.root, source: resolve(ctx.config.root, target.source) };
  return { dir, argv: target.prepare.command.map((a) => fillPlaceholders(a, values)) };
}

