// A full disk, for real: small tmpfs mounts (this needs root, as CI runs;
// elsewhere the tests say so and skip). A build that fills the cache's disk is
// an `error` cell (the machine), not a `fail` (the code); a report directory
// that is full leaves the previous report and logs as they were, with one
// line naming the path and ENOSPC, exit 2.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fixtureMatrix, makeTarget, makeWorkspace, readStatus, runCli, TAP_STAGE, type Workspace } from './helpers/workspace.js';

function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

const canMount = (() => {
  const probe = `/tmp/matrix-mount-probe-${process.pid}`;
  const ok = mountTmpfs(probe, '64k');
  if (ok) spawnSync('umount', [probe]);
  return ok;
})();

describe.skipIf(!canMount)('a full disk (tmpfs mounts, as root)', () => {
  let ws: Workspace;
  const mounts: string[] = [];
  beforeAll(() => {
    ws = makeWorkspace();
    ws.writeMatrix(fixtureMatrix(makeTarget('good', TAP_STAGE)));
  });
  afterAll(() => {
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    ws?.cleanup();
  });

  it('calls a build that runs out of disk an error of the machine, not a failure of the code', async () => {
    const cache = join(ws.dir, 'tiny-cache');
    expect(mountTmpfs(cache, '96k')).toBe(true);
    mounts.push(cache);
    // Leave only a few KiB: enough for the logs and the canary's first bytes, not for the build.
    writeFileSync(join(cache, 'ballast'), Buffer.alloc(80 * 1024));
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--arch', 'x86_64', '--toolchain', 'gcc'], { env: { MATRIX_CACHE_DIR: cache } });
    expect(r.stderr).not.toMatch(/internal error/);
    const c = readStatus(ws).cells.find((x) => x.id === 'good-x86_64-gcc')!;
    expect(c.status).toBe('error');
    expect(c.firstError ?? c.reason).toMatch(/No space left on device|ENOSPC/);
    expect(r.code).toBe(1);
  }, 120_000);

  it('leaves the previous report and logs as they were when the report directory is full', async () => {
    const out = join(ws.dir, 'tiny-out');
    expect(mountTmpfs(out, '1m')).toBe(true);
    mounts.push(out);
    const env = { MATRIX_CACHE_DIR: join(ws.dir, 'cache') };
    const args = ['run', '--config', ws.matrixFile, '--out', out, '--arch', 'x86_64', '--toolchain', 'gcc'];
    expect((await runCli(args, { env })).code).toBe(0);
    const before = readFileSync(join(out, 'status.json'), 'utf8');
    const log = readFileSync(join(out, 'logs/good-x86_64-gcc/tests.log'), 'utf8');
    // Fill what is left of the disk, then run again: the new report cannot be written.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(out, 'ballast')}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": that is the point
    }
    const r = await runCli([...args, '--no-cache'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('E: '))).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`E: .*${out.replace(/[/.]/g, '\\$&')}.*ENOSPC`));
    expect(readFileSync(join(out, 'status.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(out, 'logs/good-x86_64-gcc/tests.log'), 'utf8')).toBe(log);
  }, 120_000);
});
