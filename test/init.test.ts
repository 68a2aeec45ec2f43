// `matrix init` on each fixture project (issue 14): it detects the build
// system, writes a commented matrix.yaml that validates, with a first test
// stage of the project's own driver, refuses to overwrite without --force,
// prints the next command; and the file it wrote runs (x86_64 natively,
// aarch64 under qemu, gcc and llvm).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { FIXTURE_TARGETS, runCli } from './helpers/workspace.js';

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'matrix-init-'));
  made.push(dir);
  const proj = join(dir, fixture);
  cpSync(join(FIXTURE_TARGETS, fixture), proj, { recursive: true });
  return proj;
}

describe('matrix init', () => {
  for (const [fixture, build, stage, tests] of [
    ['cmake-ctest', 'cmake', /format: ctest/, 3],
    ['meson-tests', 'meson', /format: meson/, 3],
    ['autotools-style', 'autotools', /format: automake/, 3],
    ['kernel-style', 'make', /stages: \[\]/, 0],
  ] as const) {
    it(`${fixture}: writes a ${build} matrix.yaml that validates and runs`, async () => {
      const dir = project(fixture);
      const init = await runCli(['init'], { cwd: dir });
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toMatch(new RegExp(`wrote .*matrix.yaml: a ${build} target on \\d+ architectures \\(x86_64, [^)]*aarch64`));
      expect(init.stdout).toMatch(/^next: npx matrix (run|doctor --install)/m);
      const yaml = readFileSync(join(dir, 'matrix.yaml'), 'utf8');
      expect(yaml).toMatch(/^# yaml-language-server: \$schema=\/.*matrix\.schema\.json$/m);
      expect(yaml).toContain(`build: ${build}`);
      expect(yaml).toMatch(stage);
      // No arch facts live in the code: the arches are the package's matrix.yaml entries.
      expect(yaml).toMatch(/^ {2}mips: \{ .*triple: mips-linux-gnu/m);
      if (build === 'make') expect(yaml).toContain('make_vars: { ARCH: "{arch}", CROSS_COMPILE: "{triple}-", LLVM: "{llvm}" }');
      if (build !== 'cmake') expect(yaml).not.toContain('cmake_toolchain');

      // Idempotent: a second init refuses; --force rewrites.
      writeFileSync(join(dir, 'matrix.yaml'), `${yaml}# edited\n`);
      const again = await runCli(['init'], { cwd: dir });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already exists.*--force/);
      expect(readFileSync(join(dir, 'matrix.yaml'), 'utf8')).toContain('# edited');
      const forced = await runCli(['init', '--force'], { cwd: dir });
      expect(forced.code, forced.stderr).toBe(0);
      expect(readFileSync(join(dir, 'matrix.yaml'), 'utf8')).toBe(yaml);

      const run = await runCli(['run', '--arch', 'x86_64,aarch64', '--jobs', '2'], { cwd: dir });
      const status = JSON.parse(readFileSync(join(dir, 'reports/status.json'), 'utf8')) as { cells: { id: string; status: string; reason?: string; firstError?: string; excluded?: string; stages: { name: string; tests?: unknown[] }[] }[] };
      const ran = status.cells.filter((c) => !c.excluded);
      expect(ran).toHaveLength(4);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      for (const c of ran) {
        if (tests) {
          expect(c.status, `${c.id}: ${c.firstError}`).toBe('pass');
          expect(c.stages.find((s) => s.tests)?.tests).toHaveLength(tests);
        } else {
          // No test driver: built, nothing proven (never a pass).
          expect(c.status).toBe('skip');
          expect(c.reason).toMatch(/no run stages/);
        }
      }
    }, 110_000);
  }

  it('refuses a directory with no build system, naming what it looks for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'matrix-init-empty-'));
    made.push(dir);
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no CMakeLists.txt, meson.build, configure or Makefile/);
  });
});
