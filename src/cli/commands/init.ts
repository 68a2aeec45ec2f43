// `matrix init [DIR]`: a first matrix.yaml for a project. It finds the build
// system (CMakeLists.txt, meson.build, configure, a Makefile), writes a
// commented matrix.yaml with this package's default architectures whose
// toolchains this machine has or `matrix doctor --install` can install (taken
// from the package's own matrix.yaml: data, not a table here), a first test
// stage (ctest, meson test, make check), and prints the next command.
// It never overwrites a matrix.yaml without --force.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

import { OrchestratorError } from '../../errors.js';
import { loadMatrixFile } from '../../matrix/config.js';
import type { ArchSpec, MatrixConfig } from '../../matrix/types.js';
import { probeToolchain } from '../../toolchains/toolchain.js';
import { hostMachine } from '../../runtime/host.js';

/** This package's root: its matrix.yaml, toolchains/ and matrix.schema.json. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type Detected = { build: 'cmake' | 'meson' | 'autotools' | 'make'; file: string };

/** The build system of a project directory, in the order a person would trust them. */
export function detectBuild(dir: string): Detected | undefined {
  const has = (f: string) => existsSync(join(dir, f));
  if (has('CMakeLists.txt')) return { build: 'cmake', file: 'CMakeLists.txt' };
  if (has('meson.build')) return { build: 'meson', file: 'meson.build' };
  if (has('configure')) return { build: 'autotools', file: 'configure' };
  const makefile = ['GNUmakefile', 'makefile', 'Makefile'].find(has);
  if (makefile) return { build: 'make', file: makefile };
  return undefined;
}

/** Whether the host has this arch's toolchain, or apt can install it (what doctor would do). */
function available(config: MatrixConfig, arch: ArchSpec, machine: string, aptKnows: (pkg: string) => boolean): 'here' | 'installable' | undefined {
  const gcc = config.toolchains.find((t) => t.kind === 'gcc') ?? config.toolchains[0]!;
  if (probeToolchain(gcc, arch, machine).ok) return 'here';
  return aptKnows(`gcc-${arch.triple}`) ? 'installable' : undefined;
}

const aptCache = (pkg: string): boolean => spawnSync('apt-cache', ['show', '--no-all-versions', pkg], { stdio: 'ignore', timeout: 20_000 }).status === 0;

const flow = (value: unknown): string => stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();

/** The first test stage for what was found, as YAML lines (with its comment), or a commented example. */
function stageLines(found: Detected, dir: string): string[] {
  const text = readFileSync(join(dir, found.file), 'utf8');
  switch (found.build) {
    case 'cmake':
      if (/\b(enable_testing|add_test|include\s*\(\s*CTest)/i.test(text)) {
        return [
          '      # ctest runs the project\'s own tests; under qemu through CMAKE_CROSSCOMPILING_EMULATOR.',
          `      - ${flow({ name: 'ctest', run: ['ctest', '--test-dir', '{build}', '--output-on-failure'], format: 'ctest' })}`,
        ];
      }
      break;
    case 'meson':
      return [
        '      # meson test runs the tests through the cross file\'s exe_wrapper (qemu) where needed.',
        `      - ${flow({ name: 'meson-test', run: ['meson', 'test', '-C', '{build}', '--print-errorlogs'], format: 'meson' })}`,
      ];
    case 'autotools':
      return [
        '      # make check; automake runs each test through LOG_COMPILER: {runner} is qemu (empty natively).',
        `      - ${flow({ name: 'check', run: ['make', 'check', 'LOG_COMPILER={runner}'], format: 'automake' })}`,
      ];
    case 'make': {
      const goal = /^check\s*:/m.test(text) ? 'check' : /^test\s*:/m.test(text) ? 'test' : undefined;
      if (goal) {
        return [
          `      # make ${goal} runs on the host: have it run the test programs through $(RUNNER) ({runner}: qemu, empty natively).`,
          `      - ${flow({ name: goal, run: ['make', goal, 'RUNNER={runner}'], driver: true })}`,
        ];
      }
      break;
    }
  }
  return [];
}

function targetLines(found: Detected, dir: string): string[] {
  const lines = [`  ${projectName(dir)}:`, `    build: ${found.build}`, '    source: .'];
  if (found.build === 'make') {
    const text = readFileSync(join(dir, found.file), 'utf8');
    lines.push('    # Each cell builds in its own copy of the tree (plain Makefiles build in their source directory).', '    in_tree: true');
    if (/\bCROSS_COMPILE\b/.test(text)) {
      lines.push(
        '    # A kernel-style Makefile picks its compiler from these (no CC is passed).',
        `    make_vars: ${flow({ ARCH: '{arch}', CROSS_COMPILE: '{triple}-', LLVM: '{llvm}' })}`,
      );
    }
  }
  const stages = stageLines(found, dir);
  if (stages.length) lines.push('    stages:', ...stages);
  else {
    lines.push(
      '    # No test driver found: add the programs to run, relative to the build directory, e.g.',
      '    #   - { name: tests, run: [bin/tests], format: tap }',
      '    stages: []',
    );
  }
  return lines;
}

function projectName(dir: string): string {
  const base = resolve(dir).split('/').pop() ?? 'project';
  const name = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40);
  return name || 'project';
}

export interface InitResult {
  file: string;
  build: Detected['build'];
  arches: string[];
  installable: string[];
  next: string;
}

export async function initProject(dir: string, options: { force?: boolean; aptKnows?: (pkg: string) => boolean } = {}): Promise<InitResult> {
  const root = resolve(dir);
  const file = join(root, 'matrix.yaml');
  if (existsSync(file) && !options.force) {
    throw new OrchestratorError('USAGE', `${file} already exists; matrix init does not overwrite it (pass --force to replace it)`);
  }
  const found = detectBuild(root);
  if (!found) {
    const hint = existsSync(join(root, 'configure.ac')) ? ' (configure.ac without configure: run autoreconf -i first)' : '';
    throw new OrchestratorError('USAGE', `no CMakeLists.txt, meson.build, configure or Makefile in ${root}${hint}; run matrix init in the project's directory`);
  }
  const defaults = await loadMatrixFile(join(PACKAGE_ROOT, 'matrix.yaml'));
  const raw = parse(readFileSync(join(PACKAGE_ROOT, 'matrix.yaml'), 'utf8')) as { architectures: Record<string, unknown>; toolchains: Record<string, Record<string, unknown>>; expectations?: Record<string, unknown>[] };
  const machine = hostMachine();
  const aptKnows = options.aptKnows ?? aptCache;
  const arches: string[] = [];
  const installable: string[] = [];
  // The base architectures only: a first file has no CPU variants or extra compiler versions.
  for (const arch of defaults.architectures.filter((a) => !a.variantOf)) {
    const where = available(defaults, arch, machine, aptKnows);
    if (where) arches.push(arch.name);
    if (where === 'installable') installable.push(arch.name);
  }
  const schema = join(PACKAGE_ROOT, 'matrix.schema.json');
  const lines: string[] = [];
  // The schema line only when the file is there to point at (it ships with the package).
  if (existsSync(schema)) lines.push(`# yaml-language-server: $schema=${schema}`);
  lines.push(
    `# Written by \`matrix init\` for a ${found.build} project (found ${found.file}).`,
    '# Each cell is one architecture x toolchain x target: built with the cross',
    '# toolchain, its tests run natively or under qemu-user. Edit freely; `matrix list`',
    '# shows the cells, `matrix doctor` what this machine lacks.',
    'version: 1',
    '',
    'defaults:',
    '  timeout: 120            # seconds per stage, natively',
    '  retries: 0',
    '  # qemu is 5-50x slower than native: run stages under qemu get this many times the limit.',
    '  timeout_factor: { qemu: 5 }',
    '',
    '# The architectures whose toolchains this machine has or `matrix doctor --install` can install.',
    'architectures:',
  );
  // No variants, and no overrides of the versions the first file leaves out (riscv64's llvm-19).
  const base = (entry: unknown): unknown => {
    const { variants: _variants, ...rest } = entry as Record<string, unknown>;
    const overrides = rest.toolchains as Record<string, unknown> | undefined;
    if (overrides) {
      const kept = Object.fromEntries(Object.entries(overrides).filter(([name]) => name in raw.toolchains));
      if (Object.keys(kept).length) rest.toolchains = kept;
      else delete rest.toolchains;
    }
    return rest;
  };
  for (const name of arches) lines.push(`  ${name}: ${flow(base(raw.architectures[name]))}${installable.includes(name) ? '   # not installed yet' : ''}`);
  lines.push('', 'toolchains:');
  for (const [name, tc] of Object.entries(raw.toolchains)) {
    const { versions: _versions, ...entry }: Record<string, unknown> = { ...tc };
    // The toolchain files ship with matrix; only cmake targets use them.
    if (found.build === 'cmake' && typeof tc.cmake_toolchain === 'string') entry.cmake_toolchain = join(PACKAGE_ROOT, tc.cmake_toolchain);
    else delete entry.cmake_toolchain;
    lines.push(`  ${name}: ${flow(entry)}`);
  }
  lines.push('', 'targets:', ...targetLines(found, root));
  // Facts about toolchains and arches that hold for any project (no compiler for an arch).
  const facts = (raw.expectations ?? []).filter((e) => e.status === 'skip' && !e.target && !e.stage && (!e.arch || arches.includes(String(e.arch))));
  if (facts.length) {
    lines.push('', '# Cells that cannot exist (the compiler has no such target):', 'expectations:');
    for (const e of facts) lines.push(`  - ${flow(e)}`);
  }
  lines.push('');
  writeFileSync(file, lines.join('\n'));
  const next = installable.length ? 'npx matrix doctor --install   # as root; then: npx matrix run' : 'npx matrix run';
  return { file, build: found.build, arches, installable, next };
}

export async function initCommandLine(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const result = await initProject(positionals[0] ?? '.', { force: values.force === true });
  process.stdout.write(
    `wrote ${result.file}: a ${result.build} target on ${result.arches.length} architectures (${result.arches.join(', ')}) x gcc, llvm\n` +
      (result.installable.length ? `toolchains to install first: ${result.installable.join(', ')}\n` : '') +
      `next: ${result.next}\n`,
  );
  return 0;
}
