// Processes: every descendant of a stage dies when the stage ends or times out,
// including daemons that left the process group with setsid() and keep the
// stage's pipes open; every way a CI job ends (SIGINT, SIGTERM, SIGHUP,
// SIGQUIT) kills every tree, writes an incomplete report and exits 128+signal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { fixtureMatrix, makeWorkspace, processesMentioning, readStatus, runCli, type Workspace } from './helpers/workspace.js';

const DAEMON = `
  daemon:
    build: make
    source: targets/daemon
    stages:
      - { name: exits, run: [bin/prog, exit], format: tap }
      - { name: hangs, run: [bin/prog, hang], format: tap, timeout: 3 }
`;
const HANG = `
  hang:
    build: make
    source: targets/hang
    stages:
      - { name: tests, run: [bin/prog], format: tap }
`;

async function settle(needle: string): Promise<number[]> {
  // The supervisor reaps before it exits: nothing should be left, but give /proc a moment.
  for (let i = 0; i < 10; i++) {
    const left = processesMentioning(needle);
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
  return processesMentioning(needle);
}

describe('no process outlives its stage', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace('matrix-proc-');
    ws.writeMatrix(fixtureMatrix(DAEMON + HANG));
  });
  afterAll(() => {
    for (const pid of processesMentioning(ws.dir)) process.kill(pid, 'SIGKILL');
    ws?.cleanup();
  });

  it('kills setsid() daemons that hold the pipes, and a timeout is a timeout (3 s, not 600)', async () => {
    const started = Date.now();
    const r = await runCli(['run', '--config', ws.matrixFile, '--target', 'daemon', '--toolchain', 'gcc', '--jobs', '2']);
    const elapsed = Date.now() - started;
    expect(r.stderr).not.toContain('falling back');
    expect(r.code).toBe(1);
    const status = readStatus(ws);
    for (const arch of ['x86_64', 'aarch64']) {
      const cell = status.cells.find((c) => c.id === `daemon-${arch}-gcc`)!;
      expect(cell.stages.find((s) => s.name === 'exits')?.status).toBe('pass');
      expect(cell.status).toBe('timeout');
      expect(cell.stage).toBe('hangs');
    }
    // Build (two cells at once) plus 3 s; before, the daemon's pipes kept each stage waiting 600 s.
    expect(elapsed).toBeLessThan(40_000);
    expect(await settle(ws.dir)).toEqual([]);
  }, 120_000);

  for (const [signal, code] of [['SIGHUP', 129], ['SIGQUIT', 131], ['SIGTERM', 143]] as const) {
    it(`${signal} kills every tree, writes an incomplete report and exits ${code}`, async () => {
      let sent = false;
      const r = await runCli(['run', '--config', ws.matrixFile, '--target', 'hang', '--toolchain', 'gcc', '--jobs', '2', '--out', join(ws.dir, `out-${signal}`)], {
        onStdout: (text, child) => {
          if (!sent && (text.match(/ build pass /g) ?? []).length >= 2) {
            sent = true;
            setTimeout(() => child.kill(signal), 500);
          }
        },
      });
      expect(sent).toBe(true);
      expect(r.code).toBe(code);
      const status = JSON.parse(readFileSync(join(ws.dir, `out-${signal}`, 'status.json'), 'utf8'));
      expect(status.complete).toBe(false);
      expect(await settle(ws.dir)).toEqual([]);
    }, 120_000);
  }

  it('a second signal exits at once and still kills every tree', async () => {
    let sent = false;
    const started = Date.now();
    let signalled = 0;
    const r = await runCli(['run', '--config', ws.matrixFile, '--target', 'daemon', '--toolchain', 'gcc', '--jobs', '2', '--timeout', '600', '--out', join(ws.dir, 'out-twice')], {
      onStdout: (text, child) => {
        if (!sent && (text.match(/ exits pass /g) ?? []).length >= 2) {
          sent = true;
          setTimeout(() => {
            signalled = Date.now();
            child.kill('SIGINT');
            child.kill('SIGINT');
          }, 300);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await settle(ws.dir)).toEqual([]);
  }, 120_000);
});
