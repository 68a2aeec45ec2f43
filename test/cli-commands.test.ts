// `matrix list`, `matrix doctor` and `matrix report` through the real CLI.
import { readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ARCHES_YAML, makeTarget, makeWorkspace, REPO, runCli, TOOLCHAINS_YAML, type Workspace, fixtureMatrix } from './helpers/workspace.js';

describe('paths in matrix.yaml', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace();
  });
  afterAll(() => ws?.cleanup());

  it('rejects a source directory that does not exist, with its line and the nearest name', async () => {
    ws.writeMatrix(fixtureMatrix(`  good:
    build: make
    source: targets/goood
    stages: []
`));
    const line = readFileSync(ws.matrixFile, 'utf8').split('\n').findIndex((l) => l === '  good:') + 1;
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^E: ${ws.matrixFile}:${line}:3: source directory of target "good": "targets/goood" does not exist .*did you mean "good"\\?`));
    expect(existsSync(join(ws.reportsDir, 'status.json'))).toBe(false);
  });

  it('rejects a target whose build system file is missing', async () => {
    ws.writeMatrix(fixtureMatrix(`  good:
    build: cmake
    source: targets/good
    stages: []
`));
    const r = await runCli(['list', '--config', ws.matrixFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('target "good" is built with cmake but targets/good/CMakeLists.txt does not exist');
  });
});

describe('matrix list', () => {
  it('shows every default cell and how each would run on this host', async () => {
    const r = await runCli(['list', '--json']);
    expect(r.code).toBe(0);
    const listing = JSON.parse(r.stdout) as { host: string; cells: { id: string; runner: string; willRun: boolean; stages: { name: string; command: string[]; blocked?: string }[] }[] };
    const yaml = readFileSync(join(REPO, 'matrix.yaml'), 'utf8');
    expect(listing.cells).toHaveLength(Object.keys((parseYaml(yaml) as { architectures: object }).architectures).length * 2);
    const cell = (id: string) => listing.cells.find((c) => c.id === id)!;
    expect(cell('native-x86_64-gcc').runner).toBe('native');
    expect(cell('native-mips64el-llvm').runner).toMatch(/^qemu \(\S*qemu-mips64el -L \/usr\/mips64el-linux-gnuabi64\)/);
    // Benchmarks run natively on x86 only: under qemu they are blocked with the reason.
    const bench = cell('native-aarch64-gcc').stages.find((s) => s.name === 'smc-bench')!;
    expect(bench.blocked).toMatch(/only natively/);
    expect(cell('native-x86_64-gcc').stages.find((s) => s.name === 'smc-bench')!.blocked).toBeUndefined();
  });

  it('filters cells and says why the others are left out', async () => {
    const r = await runCli(['list', '--arch', 'riscv64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/native-riscv64-llvm\s+qemu/);
    expect(r.stdout).toMatch(/native-arm-gcc\s+SKIP: not selected \(--arch riscv64\)/);
  });
});

describe('matrix doctor', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace();
    ws.writeMatrix(`version: 1
${ARCHES_YAML}
${TOOLCHAINS_YAML}
  future:
    kind: llvm
    version: "99"
    cmake_toolchain: ${join(REPO, 'toolchains/llvm.cmake')}
    linker: lld
    packages: ["clang-{version}", "lld-{version}", "gcc-{triple}"]
targets:
${makeTarget('good', `      - { name: tests, run: [bin/prog], format: tap }
`)}`);
  });
  afterAll(() => ws?.cleanup());

  it('reports versions and the exact apt-get line for what is missing', async () => {
    const r = await runCli(['doctor', '--json', '--config', ws.matrixFile]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { rows: { arch: string; toolchain: string; compiler: string; runner: string; ok: boolean }[]; packages: string[]; install?: string };
    const row = (arch: string, tc: string) => report.rows.find((x) => x.arch === arch && x.toolchain === tc)!;
    expect(row('aarch64', 'gcc')).toMatchObject({ ok: true });
    expect(row('aarch64', 'gcc').compiler).toMatch(/aarch64-linux-gnu-gcc .*12\./);
    expect(row('aarch64', 'gcc').runner).toMatch(/^qemu-aarch64 version 7\./);
    expect(row('x86_64', 'future')).toMatchObject({ ok: false, compiler: 'MISSING: clang-99' });
    expect(report.packages).toEqual(expect.arrayContaining(['clang-99', 'lld-99']));
    expect(report.install).toMatch(/^apt-get install -y --no-install-recommends .*clang-99/);
  });

  it('refuses --install without root, naming the command to run', async () => {
    if (process.getuid?.() === 0) {
      // As root it would really install: check only the plan printed without --install.
      const r = await runCli(['doctor', '--config', ws.matrixFile]);
      expect(r.stdout).toContain('to install what is missing:');
      return;
    }
    const r = await runCli(['doctor', '--install', '--config', ws.matrixFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--install needs root: run `sudo apt-get install/);
  });
});

describe('matrix report', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace();
    ws.writeMatrix(fixtureMatrix(`${makeTarget('good', `      - { name: tests, run: [bin/prog], format: tap }
`)}`));
  });
  afterAll(() => ws?.cleanup());

  it('re-renders every report from status.json alone', async () => {
    expect((await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--toolchain', 'gcc'])).code).toBe(0);
    const md = readFileSync(join(ws.reportsDir, 'status.md'), 'utf8');
    for (const f of ['status.md', 'junit.xml', 'index.html']) rmSync(join(ws.reportsDir, f));
    const r = await runCli(['report', '--out', ws.reportsDir]);
    expect(r.code).toBe(0);
    for (const f of ['status.md', 'junit.xml', 'index.html']) expect(existsSync(join(ws.reportsDir, f)), f).toBe(true);
    expect(readFileSync(join(ws.reportsDir, 'status.md'), 'utf8')).toBe(md);
  }, 120_000);

  it('names the file and the problem when status.json is missing or broken', async () => {
    const missing = await runCli(['report', '--out', join(ws.dir, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/status.json does not exist: run `matrix run` first/);
    writeFileSync(join(ws.reportsDir, 'status.json'), '{"schemaVersion": 1, "cells": [{"arch": 3}]}');
    const broken = await runCli(['report', '--out', ws.reportsDir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^E: .*status.json/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });
});

