// Ctrl-C: every cell stops, every child process tree dies, and a report marked
// incomplete is still written. Bad configuration: nothing runs, nothing is overwritten.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPO, ARCHES_YAML, makeTarget, makeWorkspace, processesMentioning, readStatus, runCli, TOOLCHAINS_YAML, type Workspace } from './helpers/workspace.js';

describe('cancellation and bad input', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace();
    ws.writeMatrix(`version: 1
defaults: { timeout: 120 }
${ARCHES_YAML}
${TOOLCHAINS_YAML}
targets:
${makeTarget('hang', `      - name: tests
        run: [bin/prog]
        format: tap
`)}`);
  });
  afterAll(() => ws?.cleanup());

  it('Ctrl-C kills every process tree and writes an incomplete report', async () => {
    let sent = false;
    const started = Date.now();
    const r = await runCli(['run', '--config', ws.matrixFile, '--out', ws.reportsDir, '--toolchain', 'gcc', '--jobs', '2'], {
      onStdout: (text, child) => {
        // Both cells are inside the hanging program once both builds passed.
        if (!sent && (text.match(/ build pass /g) ?? []).length >= 2) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 1000);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.stderr).toContain('stopping every cell');
    const status = readStatus(ws);
    expect(status.complete).toBe(false);
    for (const id of ['hang-x86_64-gcc', 'hang-aarch64-gcc']) {
      const cell = status.cells.find((c) => c.id === id)!;
      expect(cell.status).toBe('error');
      expect(cell.firstError).toBe('interrupted (run canceled)');
    }
    expect(readFileSync(join(ws.reportsDir, 'status.md'), 'utf8')).toMatch(/incomplete/i);
    // The program forks a child and a grandchild: none may survive.
    expect(processesMentioning(join(ws.dir, '.matrix-cache'))).toEqual([]);
  }, 120_000);

  it('rejects a bad matrix file with file:line:col, exit 2, and leaves the reports untouched', async () => {
    const reports = join(ws.dir, 'previous-reports');
    mkdirSync(reports, { recursive: true });
    writeFileSync(join(reports, 'status.md'), 'previous report\n');
    const bad = join(ws.dir, 'bad.yaml');
    const good = readFileSync(join(REPO, 'matrix.yaml'), 'utf8');
    const broken = good.replace('    triple: aarch64-linux-gnu', '    tripel: aarch64-linux-gnu');
    const line = broken.split('\n').findIndex((l) => l.includes('tripel')) + 1;
    writeFileSync(bad, broken);
    const r = await runCli(['run', '--config', bad, '--out', reports]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^E: ${bad}:${line}:5: .*"tripel".*did you mean "triple"`));
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(join(reports, 'status.md'), 'utf8')).toBe('previous report\n');
    expect(existsSync(join(reports, 'status.json'))).toBe(false);
  });

  it('rejects unknown names on the command line with the nearest one', async () => {
    const r = await runCli(['run', '--config', ws.matrixFile, '--arch', 'aarch46']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown arch "aarch46"; did you mean "aarch64"?');
    const usage = await runCli(['run', '--jobs', 'many']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--jobs needs an integer');
  });
});
