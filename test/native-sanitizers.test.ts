// The native test binaries on the host under AddressSanitizer and
// UndefinedBehaviorSanitizer, with GCC and with clang: memory errors and UB in
// the JIT core, copyjit and the SMC suite fail the suite here, not in a user's JIT.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { REPO } from './helpers/workspace.js';

const TEST_BINARIES = ['jitcore_tests', 'copyjit_tests', 'smc_tests'];

function sh(file: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  return { code: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

describe.each([
  ['gcc', 'gcc'],
  ['clang', 'clang'],
])('native tests under ASan+UBSan (%s)', (_name, cc) => {
  const build = mkdtempSync(join(tmpdir(), `matrix-san-${cc}-`));
  afterAll(() => rmSync(build, { recursive: true, force: true }));

  it('builds', () => {
    const configure = sh('cmake', ['-S', join(REPO, 'native'), '-B', build, '-DMATRIX_SANITIZE=address,undefined', '-DCMAKE_BUILD_TYPE=Debug', `-DCMAKE_C_COMPILER=${cc}`]);
    expect(configure.code, configure.out).toBe(0);
    const make = sh('cmake', ['--build', build, '--parallel', '2']);
    expect(make.code, make.out.slice(-4000)).toBe(0);
  }, 15 * 60_000);

  it.each(TEST_BINARIES)('%s passes with no sanitizer report', (binary) => {
    const path = join(build, 'bin', binary);
    expect(existsSync(path), `${binary} was not built`).toBe(true);
    const r = sh(path, [], {
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:halt_on_error=1',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    });
    expect(r.out).not.toMatch(/ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer/);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/^1\.\.\d+/m);
    expect(r.out).not.toMatch(/^not ok/m);
  }, 10 * 60_000);
});
