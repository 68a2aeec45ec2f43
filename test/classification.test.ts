// End to end through the real CLI, real compilers and real qemu: each tiny
// purpose-built target must land in the status it deserves.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ARCHES_YAML, FIXTURE_TARGETS, makeTarget, makeWorkspace, processesMentioning, readStatus, runCli, TOOLCHAINS_YAML, type CliResult, type Workspace } from './helpers/workspace.js';

const tapStage = `      - name: tests
        run: [bin/prog]
        format: tap
`;

describe('classification of cell outcomes', () => {
  let ws: Workspace;
  let run: CliResult;
  let status: ReturnType<typeof readStatus>;
  const cell = (id: string) => status.cells.find((c) => c.id === id)!;

  beforeAll(async () => {
    ws = makeWorkspace();
    ws.writeMatrix(`version: 1
defaults: { timeout: 60, retries: 0, log_limit: 65536 }
${ARCHES_YAML}
  broken:
    triple: aarch64-linux-gnu
    debian: arm64
    qemu: ${join(ws.dir, 'targets/fake-qemu-broken')}
    native_on: []
${TOOLCHAINS_YAML}
  absent:
    kind: llvm
    version: "99"
    cmake_toolchain: ${join(FIXTURE_TARGETS, '..', '..', '..', 'toolchains/llvm.cmake')}
    linker: lld
    packages: ["clang-{version}", "lld-{version}"]
targets:
${makeTarget('good', tapStage)}
${makeTarget('nocompile', tapStage)}
${makeTarget('segv', tapStage)}
${makeTarget('hang', tapStage.replace('format: tap', 'format: tap\n        timeout: 3'))}
${makeTarget('wrong', `      - name: answer
        run: [bin/prog]
        format: expect
        expect_stdout: "42"
`)}
${makeTarget('flood', `      - name: flood
        run: [bin/prog]
`)}
  cmake-good:
    build: cmake
    source: targets/cmake-good
    stages:
${tapStage}
expectations:
  - { arch: broken, target: [nocompile, segv, hang, wrong, flood, cmake-good], status: skip, reason: "only the good target runs on the broken qemu" }
  - { arch: broken, toolchain: llvm, status: skip, reason: "one broken-qemu cell is enough" }
  - { toolchain: absent, target: [nocompile, segv, hang, wrong, flood, cmake-good], status: skip, reason: "only the good target probes the absent toolchain" }
  - { target: wrong, arch: aarch64, toolchain: llvm, status: xfail, stage: answer, reason: "the fixture prints 54" }
  - { target: good, arch: aarch64, toolchain: llvm, status: xfail, reason: "expected to fail, but passes" }
`);
    run = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--jobs', '2']);
    status = readStatus(ws);
  }, 240_000);

  afterAll(() => {
    if (process.env.MATRIX_KEEP_TEST_DIRS) process.stdout.write(`kept ${ws.dir}\n`);
    else ws?.cleanup();
  });

  it('exits 1 because some cells failed unexpectedly', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    expect(status.complete).toBe(true);
  });

  it('passes a good target natively and under qemu, built with make and with cmake', () => {
    for (const id of ['good-x86_64-gcc', 'good-x86_64-llvm', 'good-aarch64-gcc', 'cmake-good-x86_64-gcc', 'cmake-good-aarch64-llvm']) {
      expect(cell(id).status, id).toBe('pass');
    }
  });

  it('reports a compile error as fail at build with the compiler error line', () => {
    for (const id of ['nocompile-x86_64-gcc', 'nocompile-aarch64-llvm']) {
      const c = cell(id);
      expect(c.status).toBe('fail');
      expect(c.stage).toBe('build');
      expect(c.firstError).toMatch(/error: .*undeclared_variable/);
    }
  });

  it('reports a crash with its signal, natively and under qemu', () => {
    for (const id of ['segv-x86_64-gcc', 'segv-aarch64-gcc', 'segv-aarch64-llvm']) {
      const c = cell(id);
      expect(c.status, id).toBe('fail');
      expect(c.stage).toBe('tests');
      expect(c.signal).toBe('SIGSEGV');
      expect(c.firstError).toMatch(/crashed with SIGSEGV: only 1 of 3 planned tests ran/);
    }
  });

  it('times out a hanging program and kills its whole process tree', () => {
    for (const id of ['hang-x86_64-gcc', 'hang-aarch64-gcc']) {
      expect(cell(id).status, id).toBe('timeout');
      expect(cell(id).stage).toBe('tests');
      expect(cell(id).firstError).toMatch(/^no result within 3 s; process tree killed/);
      expect(cell(id).signal).toBeUndefined();
    }
    expect(processesMentioning(join(ws.dir, '.matrix-cache'))).toEqual([]);
  });

  it('reports a wrong answer as fail, and as xfail where matrix.yaml expects it', () => {
    expect(cell('wrong-x86_64-gcc').status).toBe('fail');
    expect(cell('wrong-x86_64-gcc').firstError).toContain('expected output "42", got "54"');
    expect(cell('wrong-aarch64-llvm').status).toBe('xfail');
    expect(cell('wrong-aarch64-llvm').reason).toBe('the fixture prints 54');
  });

  it('reports an unexpected pass as xpass', () => {
    expect(cell('good-aarch64-llvm').status).toBe('xpass');
  });

  it('skips a cell whose toolchain is absent, with the install command', () => {
    const c = cell('good-x86_64-absent');
    expect(c.status).toBe('skip');
    expect(c.reason).toContain('clang-99');
    expect(c.install).toBe('apt-get install -y --no-install-recommends clang-99 lld-99');
  });

  it('treats qemu failing before the program starts as error, not fail', () => {
    const c = cell('good-broken-gcc');
    expect(c.status).toBe('error');
    expect(c.firstError).toMatch(/Unable to reserve/);
  });

  it('caps the log of a program that floods its output', () => {
    const c = cell('flood-x86_64-gcc');
    expect(c.status).toBe('pass');
    const stage = c.stages.find((s) => s.name === 'flood')!;
    expect(stage.logTruncated).toBe(true);
    const log = join(ws.reportsDir, stage.log!);
    expect(statSync(log).size).toBeLessThan(70_000);
    const text = readFileSync(log, 'utf8');
    expect(text).toContain('bytes of output omitted');
    expect(text).toContain('the end');
  });

  it('gives every cell a reproducer that rebuilds and reruns it', () => {
    const c = cell('segv-aarch64-gcc');
    expect(c.reproducer).toMatch(/^mkdir -p .*make -C .* CC=aarch64-linux-gnu-gcc .*qemu-aarch64 -L \/usr\/aarch64-linux-gnu .*bin\/prog$/);
  });

  it('writes every report format', () => {
    for (const f of ['status.md', 'status.json', 'junit.xml', 'index.html']) expect(existsSync(join(ws.reportsDir, f)), f).toBe(true);
  });
});
