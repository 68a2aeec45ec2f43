// First errors that name the cause: the specific line above a generic driver
// line, a project's own failure regex, no terminal escapes; and root-cause
// groups that do not print one cell's numbers for all.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { groupRootCauses } from '../src/results/groups.js';
import type { CellResult } from '../src/results/types.js';
import { firstErrorLine, stripAnsi } from '../src/formats/first-error.js';
import { fixtureMatrix, makeWorkspace, readStatus, runCli, type Workspace } from './helpers/workspace.js';

describe('first error lines', () => {
  it('prefers the linker line three lines above the driver line', () => {
    const out = [
      '[1/2] Building C object prog.c.o',
      '/usr/bin/m68k-linux-gnu-ld: prog.o: in function `main\':',
      'prog.c:(.text+0x12): relocation truncated to fit: R_68K_PC16 against `far\'',
      '/usr/bin/m68k-linux-gnu-ld: final link failed',
      'collect2: error: ld returned 1 exit status',
      'ninja: build stopped: subcommand failed.',
    ].join('\n');
    expect(firstErrorLine(out)).toBe("prog.c:(.text+0x12): relocation truncated to fit: R_68K_PC16 against `far'");
    expect(firstErrorLine("/usr/bin/ld: unrecognized option '--stack'\n/usr/bin/ld: use the --help option for usage information\ncollect2: error: ld returned 1 exit status")).toBe("/usr/bin/ld: unrecognized option '--stack'");
    expect(firstErrorLine('ld.lld: error: unknown emulation: elf32ppc\nclang: error: linker command failed with exit code 1 (use -v to see invocation)')).toBe('ld.lld: error: unknown emulation: elf32ppc');
  });

  it('passes over a linker warning printed above the real error (powerpc: RWX segments)', () => {
    const out = [
      '/usr/bin/powerpc-linux-gnu-ld: warning: bin/copyjit has a LOAD segment with RWX permissions',
      '[5/9] Building C object smc/CMakeFiles/smc.dir/src/emit.c.o',
      'FAILED: smc/CMakeFiles/smc.dir/src/emit.c.o',
      "emit.c:40:5: error: implicit declaration of function 'smc_flush'",
      'ninja: build stopped: subcommand failed.',
    ].join('\n');
    expect(firstErrorLine(out)).toBe("emit.c:40:5: error: implicit declaration of function 'smc_flush'");
    // Alone, the warning is still better than nothing.
    expect(firstErrorLine(out.split('\n')[0]!)).toMatch(/RWX permissions$/);
  });

  it('falls back to the generic line when nothing better is there', () => {
    expect(firstErrorLine('collect2: error: ld returned 1 exit status')).toBe('collect2: error: ld returned 1 exit status');
  });

  it('prefers the compiler line of a failed CMake compiler check over CMake\'s summary', () => {
    const out = ['CMake Error at /usr/share/cmake-3.25/Modules/CMakeTestCCompiler.cmake:70 (message):', '  The C compiler', '  is not able to compile a simple test program.', 'testCCompiler.c:1:10: fatal error: stdio.h: No such file or directory'].join('\n');
    expect(firstErrorLine(out)).toBe('testCCompiler.c:1:10: fatal error: stdio.h: No such file or directory');
  });

  it('strips terminal escapes and honours a project regex', () => {
    expect(stripAnsi('\x1b[1;31merror:\x1b[0m boom \x1b]8;;http://x\x07link\x1b]8;;\x07')).toBe('error: boom link');
    expect(firstErrorLine('\x1b[31merror:\x1b[0m boom')).toBe('error: boom');
    expect(firstErrorLine('noise\ntest3 case 7 failed: x\nerror: summary', /test\d+ case \d+ failed/)).toBe('test3 case 7 failed: x');
  });
});

describe('first errors through the engine', () => {
  let ws: Workspace;
  let cells: ReturnType<typeof readStatus>['cells'];
  beforeAll(async () => {
    ws = makeWorkspace();
    ws.writeMatrix(fixtureMatrix(`
  linkfail:
    build: make
    source: targets/linkfail
    stages: []
  noisy:
    build: make
    source: targets/noisy
    first_error: "test\\\\d+ case \\\\d+ failed"
    stages:
      - { name: suites, run: [bin/prog] }
  noisy-plain:
    build: make
    source: targets/noisy
    stages:
      - { name: suites, run: [bin/prog] }
`));
    await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--arch', 'x86_64'], { env: { MATRIX_CACHE_DIR: join(ws.dir, 'cache') } });
    cells = readStatus(ws).cells;
  }, 120_000);
  afterAll(() => ws?.cleanup());
  const cell = (id: string) => cells.find((c) => c.id === id)!;

  it('names the undefined symbol, not the driver, for gcc and clang', () => {
    expect(cell('linkfail-x86_64-gcc')).toMatchObject({ status: 'fail', stage: 'build' });
    expect(cell('linkfail-x86_64-gcc').firstError).toMatch(/undefined reference to `never_defined'/);
    expect(cell('linkfail-x86_64-llvm').firstError).toMatch(/undefined symbol: never_defined/);
  });

  it('takes the project\'s own failure line, and strips escapes otherwise', () => {
    expect(cell('noisy-x86_64-gcc').firstError).toBe('test3 case 7 failed: want 4, got 5');
    expect(cell('noisy-plain-x86_64-gcc').firstError).toBe('error: 1 suite failed');
  });
});

describe('root-cause groups', () => {
  const cell = (arch: string, firstError: string): CellResult => ({
    id: `t-${arch}-gcc`, arch, toolchain: 'gcc', target: 't', status: 'fail', stage: 'tests', firstError, runner: 'qemu', versions: {}, durationMs: 1, stages: [], reproducer: '', cached: false, attempts: 1,
  });

  it('prints the shared pattern when the cells\' errors differ in numbers', () => {
    const groups = groupRootCauses([cell('ppc', 'not ok 3 - case 17 off by 4'), cell('sparc64', 'not ok 3 - case 21 off by 8'), cell('m68k', 'not ok 3 - case 5 off by 1')]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.example).toBe('not ok N - case N off by N');
  });

  it('prints the error itself when every cell has the same one', () => {
    const groups = groupRootCauses([cell('ppc', 'not ok 3 - boom'), cell('m68k', 'not ok 3 - boom')]);
    expect(groups[0]!.example).toBe('not ok 3 - boom');
  });
});
