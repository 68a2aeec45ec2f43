import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchestratorError } from '../src/errors.js';
import { BUILTIN_STAGES, DEFAULTS, loadMatrixFile, loadMatrixFileWithHash, matrixHash, parseMatrix } from '../src/matrix/config.js';
import { didYouMean, editDistance, nearest } from '../src/matrix/suggest.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures', 'config');
const repoMatrix = path.resolve(here, '..', 'matrix.yaml');

/** Run `fn`, which must throw an OrchestratorError, and return it. */
function thrown(fn: () => unknown): OrchestratorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OrchestratorError) return err;
    throw err;
  }
  throw new Error('expected an OrchestratorError, but nothing was thrown');
}

async function rejected(p: Promise<unknown>): Promise<OrchestratorError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OrchestratorError) return err;
    throw err;
  }
  throw new Error('expected an OrchestratorError, but the promise resolved');
}

describe('the repository matrix.yaml', () => {
  it('loads every architecture of the file, the wave-1 eight first, and 2 toolchains', async () => {
    const { config, hash } = await loadMatrixFileWithHash(repoMatrix);
    expect(config.file).toBe(repoMatrix);
    expect(config.root).toBe(path.dirname(repoMatrix));
    const names = Object.keys((parseYaml(readFileSync(repoMatrix, 'utf8')) as { architectures: object }).architectures);
    expect(config.architectures.filter((a) => !a.variantOf).map((a) => a.name)).toEqual(names);
    // CPU variants expand after their base architecture (the nightly profile runs them).
    expect(config.architectures.filter((a) => a.variantOf).map((a) => a.name)).toEqual(['x86_64-v3', 'aarch64-armv8-0', 'aarch64-armv8-1-lse', 'arm-armv7-arm', 'riscv64-rv64gcv_zba_zbb']);
    expect(names.slice(0, 8)).toEqual(['x86_64', 'i686', 'aarch64', 'arm', 'riscv64', 'mips', 'mipsel', 'mips64el']);
    // Every architecture declares its facts as data.
    for (const a of config.architectures) expect([a.name, typeof a.bits, typeof a.endian, typeof a.family]).toEqual([a.name, 'number', 'string', 'string']);
    expect(config.toolchains.map((t) => t.name)).toEqual(['gcc', 'gcc-11', 'llvm', 'llvm-15', 'llvm-16', 'llvm-19']);
    expect(config.targets.length).toBeGreaterThanOrEqual(1);
    expect(hash).toBe(matrixHash(await readFile(repoMatrix, 'utf8')));
    const riscv = config.architectures.find((a) => a.name === 'riscv64')!;
    expect(riscv.toolchains.llvm?.linker).toBe('bfd');
    const i686 = config.architectures.find((a) => a.name === 'i686')!;
    expect(i686.interpreter).toBe('/lib/ld-linux.so.2');
    expect(i686.nativeOn).toEqual(['x86_64', 'i686']);
    for (const spec of [...config.architectures, ...config.toolchains, ...config.targets]) {
      expect(spec.location.file).toBe(repoMatrix);
      expect(spec.location.line).toBeGreaterThan(1);
    }
  });
});

describe('good matrices', () => {
  it('every file in good/ loads', async () => {
    const files = (await readdir(path.join(fixtures, 'good'))).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      await expect(loadMatrixFile(path.join(fixtures, 'good', f)), f).resolves.toBeDefined();
    }
  });

  it('minimal.yaml gets every default', async () => {
    const file = path.join(fixtures, 'good', 'minimal.yaml');
    const m = await loadMatrixFile(file);
    expect(m.version).toBe(1);
    expect(m.defaults).toEqual({ timeout: 600, retries: 0, logLimit: 4 * 1024 * 1024, secondOpinion: true, timeoutFactor: { native: 1, qemu: 1 } });
    expect(m.defaults).toEqual(DEFAULTS);
    expect(m.architectures[0]).toEqual({
      name: 'x86_64',
      triple: 'x86_64-linux-gnu',
      debian: 'amd64',
      qemu: 'qemu-x86_64',
      nativeOn: ['x86_64'],
      nativePackages: [],
      cflags: [],
      ldflags: [],
      toolchains: {},
      qemuArgs: [],
      env: {},
      location: { file, line: 4, column: 3 },
    });
    expect(m.architectures[0]).not.toHaveProperty('interpreter');
    expect(m.toolchains[0]).toEqual({
      name: 'gcc',
      kind: 'gcc',
      version: '',
      cmakeToolchain: 'toolchains/gcc.cmake',
      linker: '',
      packages: [],
      location: { file, line: 10, column: 3 },
    });
    expect(m.targets[0]).toEqual({
      name: 'lib',
      build: 'make',
      source: 'lib',
      configureArgs: [],
      buildTargets: [],
      inputs: [],
      stages: [],
      location: { file, line: 14, column: 3 },
    });
    expect(m.expectations).toEqual([]);
  });

  it('full.yaml: every key, aliases, numbers as strings, stage defaults, expectation expansion', async () => {
    const file = path.join(fixtures, 'good', 'full.yaml');
    const m = await loadMatrixFile(file);
    expect(m.defaults).toEqual({ timeout: 90.5, retries: 2, logLimit: 65536, secondOpinion: true, timeoutFactor: { native: 1, qemu: 1 } });

    const i686 = m.architectures.find((a) => a.name === 'i686')!;
    expect(i686.cflags).toEqual(['-m32', '-msse2']);
    expect(i686.ldflags).toEqual(['-m32', '-msse2']); // via the alias
    expect(i686.nativePackages).toEqual(['libc6-i386']);
    const riscv = m.architectures.find((a) => a.name === 'riscv64')!;
    expect(riscv.nativeOn).toEqual([]);
    expect(riscv.toolchains).toEqual({
      'clang-15': { linker: 'bfd', cflags: ['-mno-relax'], ldflags: ['-Wl,--no-relax'] },
      gcc: { cflags: [], ldflags: [] },
    });

    const tc = Object.fromEntries(m.toolchains.map((t) => [t.name, t]));
    expect(tc['clang-15']).toMatchObject({ kind: 'llvm', version: '15', linker: 'lld', packages: ['clang-{version}', 'lld-{version}'] });
    expect(tc['gcc-3.10']?.version).toBe('3.10'); // the spelling, not the float 3.1

    const native = m.targets.find((t) => t.name === 'native')!;
    expect(native.configureArgs).toEqual(['-DMATRIX_SANITIZE=OFF', '-DJOBS=2']);
    expect(native.buildTargets).toEqual(['all']);
    expect(native.inputs).toEqual(['**/*.c', '**/*.h', 'CMakeLists.txt']);
    expect(native.prepare).toEqual({ command: ['python3', 'gen.py', '3'], outputs: ['gen/*.h'] });
    const stages = Object.fromEntries(native.stages.map((s) => [s.name, s]));
    expect(native.stages.map((s) => s.name)).toEqual(['core-tests', 'answer', 'numbers', 'smc-bench', 'lint']);
    expect(stages['core-tests']).toEqual({
      name: 'core-tests',
      kind: 'test',
      command: ['bin/jitcore_tests'],
      format: 'tap',
      where: 'any',
      timeout: 120,
      location: { file, line: 60, column: 9 },
    });
    expect(stages.answer).toMatchObject({ format: 'expect', expectStdout: '42', command: ['bin/answer', '--n', '42'] });
    expect(stages.numbers?.expectStdout).toBe('7');
    expect(stages['smc-bench']).toMatchObject({ kind: 'bench', where: 'native-x86', format: 'exit-code' });
    expect(stages['smc-bench']).not.toHaveProperty('timeout');
    expect(stages.lint).toMatchObject({ kind: 'check', where: 'native' });
    const makey = m.targets.find((t) => t.name === 'makey')!;
    expect(makey).toMatchObject({ build: 'make', source: 'examples/makey' });
    expect(makey.stages[0]).toMatchObject({ name: 'core-tests', command: ['./check.sh'], format: 'exit-code' });

    // Lists in expectations expand to one expectation per combination.
    expect(m.expectations.map((e) => e.match)).toEqual([
      { arch: 'riscv64', toolchain: 'clang-15' },
      { arch: 'i686', toolchain: 'clang-15' },
      { target: 'native' },
      { arch: 'x86_64', target: 'native' },
      { arch: 'x86_64', target: 'makey' },
      {},
    ]);
    expect(m.expectations[0]).toEqual({
      match: { arch: 'riscv64', toolchain: 'clang-15' },
      status: 'xfail',
      stage: 'core-tests',
      reason: 'relaxation bug',
      link: 'https://example.org/bug/1',
      location: { file, line: 89, column: 5 },
    });
    expect(m.expectations[1]?.location).toEqual(m.expectations[0]?.location);
    expect(m.expectations[2]).toMatchObject({ status: 'skip', reason: 'no qemu for this one' });
    expect(m.expectations[2]).not.toHaveProperty('stage');
    expect(m.expectations[3]?.stage).toBe('build'); // a built-in stage
  });

  it('merge keys and x- top-level keys share settings', async () => {
    const m = await loadMatrixFile(path.join(fixtures, 'good', 'merge-keys.yaml'));
    const [mips, mipsel] = m.architectures;
    expect(mips).toMatchObject({ name: 'mips', nativeOn: [], cflags: ['-O2'], triple: 'mips-linux-gnu' });
    expect(mipsel).toMatchObject({ name: 'mipsel', nativeOn: [], cflags: ['-O1'] });
    const [one, two] = m.targets[0]!.stages;
    expect(one).toMatchObject({ name: 'one', format: 'tap', timeout: 30, where: 'any' });
    // Placeholders stay for the engine; braces that are not placeholders are fine.
    expect(one?.command).toEqual(['bin/one', '{build}/data', "awk '{print}'"]);
    expect(two).toMatchObject({ name: 'two', format: 'tap', timeout: 30, where: 'native', command: ['bin/two'] });
  });

  it('JSON is YAML too', async () => {
    const m = await loadMatrixFile(path.join(fixtures, 'good', 'json-style.yaml'));
    expect(m.defaults.timeout).toBe(5);
    expect(m.targets[0]?.stages[0]?.format).toBe('tap');
    expect(m.expectations).toHaveLength(1);
  });

  it('parseMatrix resolves a relative file name against the working directory', () => {
    const text = `version: 1
architectures: { a: { triple: t, debian: d, qemu: q, native_on: [] } }
toolchains: { g: { kind: gcc, cmake_toolchain: g.cmake } }
targets: { t: { build: cmake, source: ., stages: [] } }
`;
    const m = parseMatrix(text, 'sub/m.yaml');
    expect(m.file).toBe(path.resolve('sub/m.yaml'));
    expect(m.root).toBe(path.resolve('sub'));
    expect(m.architectures[0]?.location).toEqual({ file: path.resolve('sub/m.yaml'), line: 2, column: 18 });
  });

  it('built-in stage names are the ones cells run before their stages', () => {
    expect([...BUILTIN_STAGES]).toEqual(['probe', 'configure', 'build']);
  });
});

interface BadCase {
  file: string;
  code: string;
  line: number;
  column: number;
  message: string;
}

/** Each bad file starts with `# expect: CODE line:col message-substring`. */
async function badCases(): Promise<BadCase[]> {
  const dir = path.join(fixtures, 'bad');
  const out: BadCase[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort()) {
    const text = await readFile(path.join(dir, f), 'utf8');
    const m = /^# expect: (CONFIG_\w+) (\d+):(\d+) (.+)$/m.exec(text.split('\n')[0] ?? '');
    if (!m) throw new Error(`${f}: first line must be "# expect: CODE line:col message"`);
    out.push({ file: path.join(dir, f), code: m[1]!, line: Number(m[2]), column: Number(m[3]), message: m[4]! });
  }
  return out;
}

describe('bad matrices', async () => {
  const cases = await badCases();

  it('the corpus is large enough to mean something', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [path.basename(c.file), c] as const))('%s', async (_name, c) => {
    const err = await rejected(loadMatrixFile(c.file));
    expect({ code: err.code, line: err.location?.line, column: err.location?.column }).toEqual({
      code: c.code,
      line: c.line,
      column: c.column,
    });
    expect(err.message).toContain(c.message);
    expect(err.location?.file).toBe(c.file);
    expect(err.exitCode).toBe(2);
    // One line, and the printed form leads with file:line:col.
    expect(err.message).not.toContain('\n');
    expect(err.format().startsWith(`${c.file}:${c.line}:${c.column}: `)).toBe(true);
  });
});

describe('more validation', () => {
  const twoTargets = (expectation: string): string => `version: 1
architectures: { a: { triple: t, debian: d, qemu: q, native_on: [] } }
toolchains: { g: { kind: gcc, cmake_toolchain: g.cmake } }
targets:
  one: { build: cmake, source: ., stages: [{ name: alpha, run: [a] }] }
  two: { build: cmake, source: ., stages: [{ name: beta, run: [b] }] }
expectations:
${expectation}`;

  it("a stage must belong to the expectation's own targets", () => {
    const err = thrown(() => parseMatrix(twoTargets('  - { target: one, stage: beta, status: xfail, reason: r }\n'), '/m.yaml'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(
      'expectation names stage "beta", which target "one" does not declare (stages: probe, configure, build, alpha)',
    );
    expect(err.location).toEqual({ file: '/m.yaml', line: 8, column: 27 });
    // ...while without a target any target's stage will do.
    const m = parseMatrix(twoTargets('  - { stage: beta, status: xfail, reason: r }\n'), '/m.yaml');
    expect(m.expectations[0]?.stage).toBe('beta');
  });

  it('an empty file is one clear error at 1:1', () => {
    for (const text of ['', '\n', '# nothing here\n']) {
      const err = thrown(() => parseMatrix(text, '/x/matrix.yaml'));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.location).toEqual({ file: '/x/matrix.yaml', line: 1, column: 1 });
      expect(err.message).toMatch(/empty/);
    }
  });

  it('an unclosed quote points at the opening quote, not the end of the file', () => {
    const err = thrown(() => parseMatrix('version: 1\narchitectures:\n  x: "unterminated\n  y: 2\n\n', '/m.yaml'));
    expect(err.code).toBe('CONFIG_SYNTAX');
    expect(err.message).toBe('YAML syntax error: the string that starts here has no closing " quote');
    expect(err.location).toEqual({ file: '/m.yaml', line: 3, column: 6 });
  });

  it('other YAML errors keep the yaml library message and position', () => {
    const err = thrown(() => parseMatrix('version: 1\narchitectures: a: b\n', '/m.yaml'));
    expect(err.code).toBe('CONFIG_SYNTAX');
    expect(err.message).toBe('YAML syntax error: Nested mappings are not allowed in compact mappings');
    expect(err.location).toEqual({ file: '/m.yaml', line: 2, column: 16 });
  });
});

describe('loadMatrixFile and matrixHash', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'matrix-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing file is CONFIG_NOT_FOUND with the absolute path', async () => {
    const missing = path.join(dir, 'nope.yaml');
    const err = await rejected(loadMatrixFile(missing));
    expect(err.code).toBe('CONFIG_NOT_FOUND');
    expect(err.message).toContain(missing);
    expect(err.message).toMatch(/^matrix file not found: .*; run from the directory that holds matrix\.yaml or pass --config <file>$/);
    expect(err.location).toBeUndefined();
    expect(err.exitCode).toBe(2);
  });

  it('a directory is CONFIG_NOT_FOUND too', async () => {
    const err = await rejected(loadMatrixFile(dir));
    expect(err.code).toBe('CONFIG_NOT_FOUND');
    expect(err.message).toContain('is a directory');
  });

  it('hashes the exact contents', async () => {
    expect(matrixHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(matrixHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const text = await readFile(path.join(fixtures, 'good', 'minimal.yaml'), 'utf8');
    const copy = path.join(dir, 'copy.yaml');
    await writeFile(copy, text + '# a comment changes the hash\n');
    const a = await loadMatrixFileWithHash(path.join(fixtures, 'good', 'minimal.yaml'));
    const b = await loadMatrixFileWithHash(copy);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toBe(b.hash);
    expect(b.config.file).toBe(copy);
  });
});

describe('suggestions', () => {
  it('edit distance counts a transposition as one edit', () => {
    expect(editDistance('tripel', 'triple')).toBe(1);
    expect(editDistance('aarch46', 'aarch64')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests only plausible typos', () => {
    expect(nearest('tripel', ['triple', 'debian', 'qemu'])).toBe('triple');
    expect(nearest('aarch46', ['x86_64', 'i686', 'aarch64', 'arm'])).toBe('aarch64');
    expect(nearest('nativeOn', ['native_on', 'native_packages'])).toBe('native_on');
    expect(nearest('gc', ['gcc', 'llvm'])).toBe('gcc');
    expect(nearest('arm', ['x86', 'mips'])).toBeUndefined();
    expect(nearest('completely-different', ['gcc', 'llvm'])).toBeUndefined();
    expect(didYouMean('lvm', ['gcc', 'llvm'])).toBe('; did you mean "llvm"?');
    expect(didYouMean('zzz', ['gcc', 'llvm'])).toBe('');
  });
});
