// Files: unwritable paths are one clear line and exit 2 before any cell starts;
// a file-system failure mid-run is an `error` cell; reports and logs are one
// atomic publication; two runs on one cache or --out never mix (the second waits).
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { fixtureMatrix, makeTarget, makeWorkspace, readStatus, runCli, TAP_STAGE, type Workspace } from './helpers/workspace.js';

const workspaces: Workspace[] = [];
function workspace(targets = makeTarget('good', TAP_STAGE)): Workspace {
  const ws = makeWorkspace('matrix-files-');
  ws.writeMatrix(fixtureMatrix(targets));
  workspaces.push(ws);
  return ws;
}
afterEach(() => {
  for (const ws of workspaces.splice(0)) ws.cleanup();
});

/** Every file under `dir` (following the logs symlink) with its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const oneLine = (stderr: string) => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
};

describe('unwritable paths', () => {
  it('--out that is a file, or under a file, is refused before any cell starts (exit 2)', async () => {
    const ws = workspace();
    const file = join(ws.dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`E: --out directory ${file} is not a directory\n`);
    const under = await runCli(['run', '--config', ws.matrixFile, '--out', join(file, 'reports')]);
    expect(under.code).toBe(2);
    expect(under.stderr).toMatch(/^E: --out directory .*a-file\/reports: cannot write .*a-file.*: (ENOTDIR|EEXIST) /);
    oneLine(under.stderr);
    expect(existsSync(join(ws.dir, '.matrix-cache', 'build'))).toBe(false);
  });

  it('an unwritable MATRIX_CACHE_DIR (under a file; in /proc) is refused before any cell starts', async () => {
    const ws = workspace();
    writeFileSync(join(ws.dir, 'a-file'), 'x');
    for (const cache of [join(ws.dir, 'a-file', 'cache'), '/proc/matrix-cache']) {
      const r = await runCli(['run', '--config', ws.matrixFile], { env: { MATRIX_CACHE_DIR: cache } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^E: MATRIX_CACHE_DIR ${cache}: cannot write .*: E[A-Z]+ \\(`));
      oneLine(r.stderr);
      expect(r.stdout).not.toContain(' build ');
    }
  });

  it('a file-system failure in the middle of a run makes that cell an error, not an internal error', async () => {
    const ws = workspace();
    // The cell's cache entry is a regular file where a directory must be.
    mkdirSync(join(ws.dir, '.matrix-cache', 'cells'), { recursive: true });
    writeFileSync(join(ws.dir, '.matrix-cache', 'cells', 'good-x86_64-gcc'), 'x');
    const r = await runCli(['run', '--config', ws.matrixFile, '--toolchain', 'gcc']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const status = readStatus(ws);
    const broken = status.cells.find((c) => c.id === 'good-x86_64-gcc')!;
    expect(broken.status).toBe('error');
    expect(broken.firstError).toMatch(/^cannot write .*good-x86_64-gcc.*: (ENOTDIR|EEXIST) \(/);
    expect(status.cells.find((c) => c.id === 'good-aarch64-gcc')!.status).toBe('pass');
  }, 120_000);
});

describe('reports and logs are one publication', () => {
  it('a failed write leaves the previous reports and logs exactly as they were', async () => {
    const ws = workspace();
    const first = await runCli(['run', '--config', ws.matrixFile, '--toolchain', 'gcc', '--arch', 'x86_64']);
    expect(first.code).toBe(0);
    const before = snapshot(ws.reportsDir);
    expect(Object.keys(before)).toContain('logs/good-x86_64-gcc/build.log');
    // A changed source reruns the cell (new logs); junit.xml cannot be replaced.
    appendFileSync(join(ws.dir, 'targets/good/prog.c'), '/* changed */\n');
    const junit = join(ws.reportsDir, 'junit.xml');
    const saved = readFileSync(junit, 'utf8');
    spawnSync('rm', ['-f', junit]);
    mkdirSync(join(junit, 'sub'), { recursive: true });
    const second = await runCli(['run', '--config', ws.matrixFile, '--toolchain', 'gcc', '--arch', 'x86_64']);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`${junit} is a directory`);
    oneLine(second.stderr);
    spawnSync('rm', ['-rf', junit]);
    writeFileSync(junit, saved);
    expect(snapshot(ws.reportsDir)).toEqual(before);
    expect(readdirSync(ws.reportsDir).filter((n) => n.startsWith('logs.') || n.includes('.tmp')).length).toBe(1); // the one logs.<tag> in use
  }, 120_000);
});

describe('two runs at once', () => {
  const SLOW = makeTarget('good', `${TAP_STAGE}      - { name: pause, run: [/bin/sh, -c, "sleep 2"], where: native }\n`);

  it('on one cache and one --out: the second waits for the first, both verdicts are right', async () => {
    const ws = workspace(SLOW);
    const args = ["run", "--config", ws.matrixFile, "--toolchain", "gcc", "--no-cache"];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect([a.code, b.code], a.stdout + a.stderr + b.stdout + b.stderr).toEqual([0, 0]);
    const waited = [a, b].filter((r) => /matrix: waiting for the run in progress \(pid \d+\) to finish with .*\.matrix-cache\n/.test(r.stderr));
    expect(waited).toHaveLength(1);
    const status = readStatus(ws);
    expect(status.cells.filter((c) => c.toolchain === 'gcc').map((c) => c.status)).toEqual(['pass', 'pass']);
    expect(existsSync(join(ws.dir, '.matrix-cache', '.lock'))).toBe(false);
  }, 120_000);

  it('a lock left by a dead run is stale: the next run takes it without waiting', async () => {
    const ws = workspace();
    const dead = spawnSync('true').pid!;
    mkdirSync(join(ws.dir, '.matrix-cache'), { recursive: true });
    writeFileSync(join(ws.dir, '.matrix-cache', '.lock'), JSON.stringify({ pid: dead, start: '1' }));
    mkdirSync(ws.reportsDir, { recursive: true });
    writeFileSync(join(ws.reportsDir, '.lock'), JSON.stringify({ pid: process.pid, start: 'not-this-process' }));
    const r = await runCli(['run', '--config', ws.matrixFile, '--toolchain', 'gcc', '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('waiting');
    expect(existsSync(join(ws.dir, '.matrix-cache', '.lock'))).toBe(false);
  }, 120_000);
});
