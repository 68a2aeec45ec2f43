// The product's main job, as a user runs it: `matrix run` on the repository's
// default matrix must exit 0 (every cell passes, or fails as matrix.yaml
// expects with a reason), and a rerun with nothing changed reruns nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { REPO, runCli } from './helpers/workspace.js';

interface Status {
  complete: boolean;
  cells: { id: string; status: string; stage?: string; reason?: string; firstError?: string; cached: boolean; stages: { name: string; status: string }[] }[];
}

describe('default matrix end to end', () => {
  const out = mkdtempSync(join(tmpdir(), 'matrix-e2e-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const read = (): Status => JSON.parse(readFileSync(join(out, 'status.json'), 'utf8')) as Status;

  it('runs all 16 cells and every one is as expected', async () => {
    const r = await runCli(['run', '--out', out]);
    const status = read();
    const unexpected = status.cells.filter((c) => !['pass', 'xfail', 'flaky'].includes(c.status));
    expect(unexpected.map((c) => `${c.id}: ${c.status} at ${c.stage}: ${c.firstError ?? c.reason}`)).toEqual([]);
    expect(r.code).toBe(0);
    expect(status.complete).toBe(true);
    expect(status.cells).toHaveLength(16);
    for (const c of status.cells.filter((c) => c.status === 'xfail')) expect(c.reason, c.id).toBeTruthy();
    // Every passing cell really ran its test stages (not just a build).
    for (const c of status.cells.filter((c) => c.status === 'pass')) {
      expect(c.stages.some((s) => s.name === 'core-tests' && s.status === 'pass'), c.id).toBe(true);
    }
  }, 45 * 60_000);

  it('reruns nothing when nothing changed', async () => {
    const r = await runCli(['run', '--out', out]);
    expect(r.code).toBe(0);
    const status = read();
    expect(status.cells.filter((c) => !c.cached).map((c) => c.id)).toEqual([]);
  }, 120_000);
});
