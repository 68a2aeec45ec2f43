// The quick profile's cheaper build and core tests (issue 16): test drivers at
// -O1 while the code under test keeps -O2, line tables (-g1) instead of -g, and `jitcore_tests --quick` runs the
// allocator's randomized model at a fifth of its operations, saying so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseMatrix } from '../src/matrix/config.js';
import { applyProfile } from '../src/matrix/profiles.js';
import { REPO } from './helpers/workspace.js';

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

describe('the native build and jitcore_tests --quick (host build)', () => {
  const build = mkdtempSync(join(tmpdir(), 'matrix-quick-'));
  beforeAll(() => {
    const conf = sh('cmake', ['-S', join(REPO, 'native'), '-B', build, '-G', 'Ninja']);
    expect(conf.status, conf.stderr).toBe(0);
    const make = sh('cmake', ['--build', build, '--target', 'jitcore_tests', '--parallel', '2']);
    expect(make.status, make.stdout).toBe(0);
  }, 300_000);
  afterAll(() => rmSync(build, { recursive: true, force: true }));

  it('compiles the test drivers at -O1 and the libraries they test at -O2', () => {
    const commands = sh('ninja', ['-C', build, '-t', 'commands', 'jitcore_tests']).stdout.split('\n');
    const flagsOf = (file: string) => {
      const line = commands.find((l) => l.includes(` -c ${join(REPO, 'native', file)}`));
      expect(line, `no compile command for ${file}`).toBeDefined();
      return (line ?? '').match(/ -O\d/g);
    };
    // The last -O wins: the build type's -O2, then the test driver's own -O1.
    expect(flagsOf('core/tests/jitcore_tests.c')).toEqual([' -O2', ' -O1']);
    expect(flagsOf('tap/tap.c')).toEqual([' -O2', ' -O1']);
    expect(flagsOf('core/src/execmem.c')).toEqual([' -O2']);
    expect(flagsOf('core/src/replace.c')).toEqual([' -O2']);
    // Line tables only: the build type's -g, then MATRIX_DEBUG_INFO's -g1 (the last wins).
    const execmem = commands.find((l) => l.includes('/core/src/execmem.c')) ?? '';
    expect(execmem.match(/ -g\d?(?= )/g)).toEqual([' -g', ' -g1']);
  });

  it('runs the randomized model at a fifth with --quick, and says so; --quick is not a filter', () => {
    const run = (...args: string[]) => sh(join(build, 'bin', 'jitcore_tests'), args);
    const quick = run('--quick', 'randomized_against_model');
    expect(quick.status, quick.stdout).toBe(0);
    expect(quick.stdout).toContain('1..1\n');
    expect(quick.stdout).toContain('# model: 200000 rwx + 20000 dual-map + 10000 mprotect operations (--quick: a fifth)');
    expect(quick.stdout).toMatch(/^ok 1 - randomized_against_model$/m);
    const full = run('randomized_against_model');
    expect(full.status, full.stdout).toBe(0);
    expect(full.stdout).toContain('# model: 1000000 rwx + 100000 dual-map + 50000 mprotect operations\n');
  }, 120_000);
});

describe('matrix.yaml: core-tests per profile', () => {
  const config = parseMatrix(readFileSync(join(REPO, 'matrix.yaml'), 'utf8'), join(REPO, 'matrix.yaml'));
  const coreTests = (profile: string) => applyProfile(config, profile).targets[0]!.stages.filter((s) => s.name === 'core-tests').map((s) => s.command);
  it('runs --quick in the quick profile and the full count in the nightly', () => {
    expect(coreTests('quick')).toEqual([['bin/jitcore_tests', '--quick']]);
    expect(coreTests('nightly')).toEqual([['bin/jitcore_tests']]);
  });
});
