// The reproducer works when pasted: a failing make cell, a failing cmake cell
// and a stage that reads what its target's `prepare` step wrote (the copyjit
// fuzz stage's shape) are reproduced in a fresh copy of the workspace, by the
// raw commands and by the `npx matrix run ... --no-cache` line.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fixtureMatrix, makeTarget, makeWorkspace, readStatus, REPO, runCli, TAP_STAGE, type Workspace } from './helpers/workspace.js';

const TARGETS = `${makeTarget('wrong', `      - { name: answer, run: [bin/prog], format: expect, expect_stdout: "42" }\n`)}
  cmake-fail:
    build: cmake
    source: targets/cmake-fail
    stages:
${TAP_STAGE}
  prepared:
    build: make
    source: targets/prepared
    prepare: { command: [/bin/sh, -c, "echo 7 > {prepared}/input.txt"] }
    stages:
      - { name: fuzz, run: [bin/prog, "{prepared}/input.txt"], format: tap }
`;

describe('reproducers', () => {
  let ws: Workspace;
  let fresh: string;
  let shim: string;
  beforeAll(async () => {
    ws = makeWorkspace('matrix-repro-');
    ws.writeMatrix(fixtureMatrix(TARGETS));
    const r = await runCli(['run', '--config', ws.matrixFile, '--arch', 'x86_64', '--toolchain', 'gcc']);
    expect(r.code).toBe(1);
    // A fresh clone: the sources and matrix.yaml, no cache, no reports.
    fresh = mkdtempSync(join(tmpdir(), 'matrix-repro-fresh-'));
    cpSync(join(ws.dir, 'targets'), join(fresh, 'targets'), { recursive: true });
    cpSync(ws.matrixFile, join(fresh, 'matrix.yaml'));
    // `npx matrix` resolves to this checkout's CLI (never the registry).
    shim = join(fresh, '.shim');
    mkdirSync(shim);
    writeFileSync(join(shim, 'npx'), `#!/bin/sh\n[ "$1" = matrix ] || exit 99\nshift\nexec "${process.execPath}" "${join(REPO, 'bin/matrix.js')}" "$@"\n`);
    chmodSync(join(shim, 'npx'), 0o755);
  }, 180_000);
  afterAll(() => {
    ws?.cleanup();
    if (fresh) rmSync(fresh, { recursive: true, force: true });
  });

  const paste = (line: string) => spawnSync('bash', ['-c', line], { cwd: fresh, encoding: 'utf8', env: { ...process.env, PATH: `${shim}:${process.env.PATH}`, CI: 'true' } });

  for (const [id, stage, failure] of [
    ['wrong-x86_64-gcc', 'answer', /54/],
    ['cmake-fail-x86_64-gcc', 'tests', /not ok 2 - cmake-fail multiplies/],
    ['prepared-x86_64-gcc', 'fuzz', /not ok 1 - prepared input 7 is odd/],
  ] as const) {
    it(`${id}: both reproducers, pasted in a fresh copy, reproduce the failure`, () => {
      const cell = readStatus(ws).cells.find((c) => c.id === id) as unknown as { status: string; stage: string; reproducer: string; rerun: string };
      expect(cell.status).toBe('fail');
      expect(cell.stage).toBe(stage);
      expect(cell.reproducer).not.toContain(ws.dir); // nothing points back at the original checkout
      const raw = paste(cell.reproducer);
      // Every reproducer fails as the cell did: an `expect` stage's line compares the output (54, not 42) itself.
      expect(raw.status, raw.stderr).not.toBe(0);
      if (stage === 'answer') expect(cell.reproducer).toMatch(/test "\$\([^)]*bin\/prog\)" = 42$/);
      else expect(raw.stdout).toMatch(failure);
      expect(cell.rerun).toBe(`npx matrix run --target ${id.replace(/-x86_64-gcc$/, '')} --arch x86_64 --toolchain gcc --no-cache`);
      const viaTool = paste(cell.rerun);
      expect(viaTool.status, viaTool.stderr).toBe(1);
      const again = JSON.parse(readFileSync(join(fresh, 'reports', 'status.json'), 'utf8')).cells.find((c: { id: string }) => c.id === id);
      expect([again.status, again.stage]).toEqual(['fail', stage]);
    }, 120_000);
  }
});
