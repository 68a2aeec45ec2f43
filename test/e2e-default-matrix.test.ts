// The product's main job, as a user runs it: `matrix run` on the repository's
// default matrix must exit 0 (every cell passes, or fails as matrix.yaml
// expects with a reason), and a rerun with nothing changed reruns nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

import { REPO, runCli } from './helpers/workspace.js';

interface Status {
  complete: boolean;
  cells: { id: string; status: string; stage?: string; reason?: string; firstError?: string; cached: boolean; stages: { name: string; status: string }[] }[];
}

describe('default matrix end to end', () => {
  const out = mkdtempSync(join(tmpdir(), 'matrix-e2e-'));
  // Its own empty cache: a warm .matrix-cache from an earlier run proves nothing.
  const env = { MATRIX_CACHE_DIR: join(out, 'cache') };
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const read = (): Status => JSON.parse(readFileSync(join(out, 'status.json'), 'utf8')) as Status;

  it('runs every cell of the default matrix and every one is as expected', async () => {
    const r = await runCli(['run', '--out', out], { env });
    const status = read();
    expect(status.cells.filter((c) => c.cached).map((c) => c.id), 'a cold run has no cached cell').toEqual([]);
    // Expected: pass, xfail with a reason, or skip for a reason matrix.yaml states (no backend for the arch)
    // or a build-only cell that was built and checked on the host. Never "cannot run here": CI has every tool.
    const expectedSkip = (c: Status['cells'][number]) => c.status === 'skip' && !!c.reason && !c.reason.startsWith('cannot run here');
    const unexpected = status.cells.filter((c) => !['pass', 'xfail'].includes(c.status) && !expectedSkip(c));
    expect(unexpected.map((c) => `${c.id}: ${c.status} at ${c.stage}: ${c.firstError ?? c.reason}`)).toEqual([]);
    expect(r.code).toBe(0);
    expect(status.complete).toBe(true);
    const arches = Object.keys((parseYaml(readFileSync(join(REPO, 'matrix.yaml'), 'utf8')) as { architectures: object }).architectures);
    expect(status.cells).toHaveLength(arches.length * 2);
    for (const c of status.cells.filter((c) => c.status === 'xfail')) expect(c.reason, c.id).toBeTruthy();
    // Every passing cell really ran its test stages (not just a build), after its runner check.
    for (const c of status.cells.filter((c) => c.status === 'pass')) {
      expect(c.stages.some((s) => s.name === 'runner-check' && s.status === 'pass'), c.id).toBe(true);
      expect(c.stages.some((s) => s.name === 'core-tests' && s.status === 'pass'), c.id).toBe(true);
    }
  }, 45 * 60_000);

  it('reruns nothing when nothing changed', async () => {
    const r = await runCli(['run', '--out', out], { env });
    expect(r.code).toBe(0);
    const status = read();
    // Skips are never cached (they are decided again each run, in milliseconds); everything else is.
    expect(status.cells.filter((c) => !c.cached && c.status !== 'skip').map((c) => c.id)).toEqual([]);
    expect(status.cells.filter((c) => !['pass', 'xfail', 'skip'].includes(c.status)).map((c) => c.id)).toEqual([]);
  }, 120_000);
});
