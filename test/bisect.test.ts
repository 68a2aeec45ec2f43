// matrix bisect on a small git repository made here: a planted bad commit is
// found, an unbuildable commit on the way is skipped (not called bad), and the
// repository is left exactly as it was.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPO, runCli } from './helpers/workspace.js';

const PROG = (body: string) => `#include <stdio.h>
static int add(int a, int b) { ${body} }
int main(void) {
    puts("1..2");
    puts(add(2, 2) == 4 ? "ok 1 - adds" : "not ok 1 - adds");
    puts("ok 2 - prints");
    return 0;
}
`;

describe('matrix bisect', () => {
  let dir: string;
  const sha: Record<string, string> = {};
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  const commit = (name: string, body: string) => {
    writeFileSync(join(dir, 'calc/prog.c'), PROG(body));
    git('add', '-A');
    git('commit', '-q', '-m', name);
    sha[name] = git('rev-parse', 'HEAD');
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'matrix-bisect-test-'));
    cpSync(join(REPO, 'toolchains'), join(dir, 'toolchains'), { recursive: true });
    cpSync(join(REPO, 'test/fixtures/targets/Makefile.common'), join(dir, 'Makefile.common'));
    execFileSync('mkdir', ['-p', join(dir, 'calc')]);
    writeFileSync(join(dir, 'calc/Makefile'), 'include $(MATRIX_SRCDIR)/../Makefile.common\n');
    writeFileSync(join(dir, 'matrix.yaml'), `version: 1
defaults: { timeout: 60, retries: 0 }
architectures:
  x86_64: { triple: x86_64-linux-gnu, debian: amd64, qemu: qemu-x86_64, native_on: [x86_64] }
toolchains:
  gcc: { kind: gcc, cmake_toolchain: toolchains/gcc.cmake }
targets:
  calc:
    build: make
    source: calc
    stages:
      - { name: tests, run: [bin/prog], format: tap }
`);
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.invalid');
    git('config', 'user.name', 'test');
    commit('first: adds', 'return a + b;');
    commit('second: comment', '/* sum */ return a + b;');
    commit('third: does not compile', 'return a + ;');
    commit('fourth: still does not compile', 'return a + ; /* still */');
    commit('fifth: compiles again', 'return b + a;');
    commit('sixth: planted bug', 'return a + b + 1;');
    commit('seventh: comment', '/* off by one */ return a + b + 1;');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the planted commit, skips the unbuildable one, and leaves the repository as it was', async () => {
    const head = git('rev-parse', 'HEAD');
    const r = await runCli(['bisect', 'calc-x86_64-gcc', '--good', sha['first: adds']!, '--config', join(dir, 'matrix.yaml')], { cwd: dir });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toBe(`first bad commit: ${sha['sixth: planted bug']} sixth: planted bug\n`);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/bisecting calc-x86_64-gcc at tests/);
    // The unbuildable commit, when tested, is skipped: never called bad.
    expect(r.stderr).not.toMatch(/bad: fail at build/);
    expect(git('rev-parse', 'HEAD')).toBe(head);
    expect(git('status', '--porcelain')).toBe('');
    expect(git('worktree', 'list').split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, '.git/BISECT_LOG'))).toBe(false);
    expect(git('for-each-ref', 'refs/bisect')).toBe('');
  }, 120_000);

  it('skips the commits that do not build when they sit where bisect looks first', async () => {
    const r = await runCli(['bisect', 'x86_64/gcc', '--good', sha['second: comment']!, '--bad', sha['sixth: planted bug']!, '--config', join(dir, 'matrix.yaml')], { cwd: dir });
    expect(r.stdout).toBe(`first bad commit: ${sha['sixth: planted bug']} sixth: planted bug\n`);
    expect(r.stderr).toMatch(/skip: cannot test tests here: fail at build/);
  }, 120_000);

  it('says so when the cell does not fail at --bad, and names unknown cells with a suggestion', async () => {
    const passing = await runCli(['bisect', 'calc-x86_64-gcc', '--good', sha['first: adds']!, '--bad', sha['second: comment']!, '--config', join(dir, 'matrix.yaml')], { cwd: dir });
    expect(passing.code).toBe(2);
    expect(passing.stderr).toMatch(/^E: calc-x86_64-gcc does not fail at --bad/);
    const unknown = await runCli(['bisect', 'calc-x86-gcc', '--good', 'HEAD~1', '--config', join(dir, 'matrix.yaml')], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown cell "calc-x86-gcc"; did you mean "calc-x86_64-gcc"\?/);
  }, 120_000);
});
