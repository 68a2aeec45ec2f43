// A cell's commands, decided before anything runs: the configure and build
// lines, each run stage's argv under its runner (or why it cannot run here),
// and the reproducers a person pastes to do the same by hand.
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

import type { Cell } from '../matrix/cells.js';
import { fillPlaceholders } from '../matrix/placeholders.js';
import type { MatrixConfig, RunStageSpec } from '../matrix/types.js';
import { cflagsFor, compilerName, ldflagsFor, linkerFor } from '../toolchains/toolchain.js';
import { chooseRunner, stageBlocked, wrapCommand, type Runner } from '../qemu/runner.js';
import { formatCommand, quoteArg } from '../runtime/quote.js';
import type { RunOptions } from './context.js';
import { buildDir } from '../cache/paths.js';

/** The commands of a cell, built once: run, reported, and joined into the reproducer. */
export interface CellPlan {
  runner: Runner;
  buildDir: string;
  sourceDir: string;
  configure?: string[];
  build: string[];
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

/** The makefile GNU make itself would pick: GNUmakefile, makefile, then Makefile. */
function findMakefile(dir: string): string {
  return ['GNUmakefile', 'makefile', 'Makefile'].find((name) => existsSync(join(dir, name))) ?? 'Makefile';
}

export function planCell(cell: Cell, ctx: PlanInputs): CellPlan {
  const { arch, toolchain, target } = cell;
  const root = ctx.config.root;
  const sourceDir = resolve(root, target.source);
  const bdir = buildDir(ctx.cacheDir, cell.id);
  const runner = chooseRunner(arch, ctx.host.machine);
  const vars = { build: bdir, source: sourceDir, prepared: join(ctx.cacheDir, 'prepared', target.name), root, triple: arch.triple, arch: arch.name };
  const cflags = cflagsFor(toolchain, arch);
  const ldflags = ldflagsFor(toolchain, arch);
  const linker = linkerFor(toolchain, arch);
  let configure: string[] | undefined;
  let build: string[];
  if (target.build === 'cmake') {
    configure = [
      'cmake', ...ctx.host.generator, '-S', sourceDir, '-B', bdir,
      `-DCMAKE_TOOLCHAIN_FILE=${resolve(root, toolchain.cmakeToolchain)}`,
      `-DMATRIX_TRIPLE=${arch.triple}`,
      `-DMATRIX_ARCH=${arch.name}`,
    ];
    if (toolchain.version) configure.push(`-DMATRIX_CC_VERSION=${toolchain.version}`);
    if (cflags.length) configure.push(`-DMATRIX_CFLAGS=${cflags.join(';')}`);
    if (ldflags.length) configure.push(`-DMATRIX_LDFLAGS=${ldflags.join(';')}`);
    if (linker) configure.push(`-DMATRIX_LINKER=${linker}`);
    configure.push(...target.configureArgs.map((a) => substitute(a, vars)));
    build = ['cmake', '--build', bdir, '--parallel', String(ctx.options.buildParallel)];
    if (target.buildTargets.length) build.push('--target', ...target.buildTargets.map((a) => substitute(a, vars)));
  } else {
    const cc = toolchain.kind === 'gcc' ? compilerName(toolchain, arch) : `${compilerName(toolchain, arch)} --target=${arch.triple}`;
    const ld = [...ldflags, ...(linker ? [`-fuse-ld=${linker}`] : [])];
    build = [
      // The engine's own variables carry a MATRIX_ prefix, so they cannot clobber a project's (SRCDIR...).
      'make', '-C', bdir, '-f', join(sourceDir, target.makefile ?? findMakefile(sourceDir)), `MATRIX_SRCDIR=${sourceDir}`, `CC=${cc}`,
      `MATRIX_CFLAGS=${cflags.join(' ')}`, `MATRIX_LDFLAGS=${ld.join(' ')}`, `-j${ctx.options.buildParallel}`,
      ...target.configureArgs.map((a) => substitute(a, vars)), ...target.buildTargets.map((a) => substitute(a, vars)),
    ];
  }
  const stages = target.stages.map((spec) => {
    const [program = '', ...args] = spec.command.map((a) => substitute(a, vars));
    // A host stage may name a host tool (`{triple}-readelf`): a bare name is looked up in PATH.
    const onPath = spec.where === 'host' && !program.includes('/');
    const abs = isAbsolute(program) || onPath ? program : join(bdir, program);
    const argv = wrapCommand(runner, abs, args, spec.where);
    // tty: the program sees a terminal, so stdio stays line-buffered and a crash loses no output (util-linux script).
    return { spec, program: abs, args, argv: spec.tty ? ['script', '-q', '-e', '-c', formatCommand(argv), '/dev/null'] : argv, blocked: stageBlocked(spec.where, runner, arch) };
  });
  return { runner, buildDir: bdir, sourceDir, configure, build, stages, env: arch.env };
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
  if (plan.build[0] === 'make') parts.push(`mkdir -p ${anchored(plan.buildDir)}`);
  if (plan.configure) parts.push(plan.configure.map(anchorArg).join(' '));
  parts.push(plan.build.map(anchorArg).join(' '));
  const runs = plan.stages.filter((stage) => !stage.blocked && (!onlyStage || stage.spec.name === onlyStage));
  if (runs.length) {
    parts.push(`cd ${anchored(plan.buildDir)}`);
    for (const stage of runs) {
      const line = stage.argv.map((a) => fromBuild(a, a === stage.program)).join(' ');
      // A wrong answer exits 0: the line checks the output the way the stage does.
      parts.push(stage.spec.format === 'expect' ? `test "$(${line})" = ${quoteArg(stage.spec.expectStdout ?? '')}` : line);
    }
  }
  return parts;
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

