// The host addon: loads, identifies the CPU, runs the SMC suite in-process
// with structured results that match the standalone smc_bench binary's, and
// reports the JIT core allocator's statistics. The loader degrades to null
// with a reason when the .node file is absent.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { addonCandidates, addonStatus, hostCpuLabel, loadAddon, parseSmcJson, type MatrixAddon, type SmcReport } from '../src/addon/index.js';

const root = resolve(import.meta.dirname, '..');
const isX86 = process.arch === 'x64' || process.arch === 'ia32';

describe('addon loader without an addon', () => {
  it('returns null and says why when the .node file is absent', () => {
    const empty = mkdtempSync(join(tmpdir(), 'matrix-noaddon-'));
    try {
      const saved = process.env.MATRIX_ADDON;
      delete process.env.MATRIX_ADDON;
      expect(loadAddon({ root: empty })).toBeNull();
      const st = addonStatus({ root: empty });
      expect(st.loaded).toBe(false);
      expect(st.reason).toMatch(/no addon at .*matrix_addon\.node.*build-addon\.mjs/);
      if (saved !== undefined) process.env.MATRIX_ADDON = saved;
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('returns null for a file that is not the addon', () => {
    const st = addonStatus({ path: join(root, 'package.json') });
    expect(st.loaded).toBe(false);
    expect(st.reason).toMatch(/package\.json/);
  });
});

// The addon must exist once `npm install` has run: build it here if not.
function ensureAddon(): void {
  if (addonCandidates(root).some((p) => existsSync(p))) return;
  spawnSync(process.execPath, [join(root, 'scripts', 'build-addon.mjs')], { cwd: root, stdio: 'pipe' });
}

describe('host addon', () => {
  let addon: MatrixAddon;

  beforeAll(() => {
    ensureAddon();
    const a = loadAddon();
    const st = addonStatus();
    expect(st.reason ?? '', 'addon status').toBe('');
    expect(a).not.toBeNull();
    addon = a!;
  }, 300_000);

  it('identifies the CPU', () => {
    const cpu = addon.cpuInfo();
    expect(cpu.arch).toBe(process.arch === 'x64' ? 'x86_64' : process.arch === 'ia32' ? 'i686' : cpu.arch);
    if (isX86) {
      expect(cpu.vendor).toMatch(/\w/);
      expect(cpu.signature).toBe(`${cpu.vendor}-${cpu.family}-${cpu.model}-${cpu.stepping}`);
      expect(typeof cpu.microarchitecture).toBe('string');
      expect(cpu.tscHz).toBeGreaterThan(1e8);
      const label = hostCpuLabel(cpu);
      expect(label).toContain(`${cpu.vendor} ${cpu.family}/${cpu.model}/${cpu.stepping}`);
      expect(label).toContain(cpu.hypervisor ? 'guest' : 'bare metal');
    }
  });

  it('lists the same strategies as the suite runs', () => {
    const list = addon.smcStrategies();
    const report = addon.runSmc({ quick: true, trials: 1, iterations: 20, warmup: 5 });
    expect(report.strategies.map((s) => s.name)).toEqual(list.map((s) => s.name));
    expect(report.allCorrect).toBe(true);
  });

  it('rejects bad options with typed errors', () => {
    expect(() => addon.runSmc({ only: ['nope'] })).toThrow(RangeError);
    expect(() => addon.runSmc({ trials: 0 })).toThrow(RangeError);
    expect(() => addon.runSmc({ only: 'plain' as unknown as string[] })).toThrow(TypeError);
  });

  describe('matches the standalone binary', () => {
    let mine: SmcReport;
    let theirs: SmcReport;

    beforeAll(async () => {
      const dir = process.env.MATRIX_SMC_BUILD ?? mkdtempSync(join(tmpdir(), 'matrix-addon-smc-'));
      if (!process.env.MATRIX_SMC_BUILD) {
        execFileSync('cmake', ['-S', join(root, 'native', 'smc', 'standalone'), '-B', dir], { stdio: 'pipe' });
        execFileSync('cmake', ['--build', dir, '-j2', '--target', 'smc_bench'], { stdio: 'pipe' });
      }
      const r = spawnSync(join(dir, 'bin', 'smc_bench'), ['--quick', '--json'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      theirs = parseSmcJson(r.stdout);
      mine = await addon.runSmcAsync({ quick: true });
    }, 240_000);

    it('has the same shape, CPU, strategies, statuses and skip reasons', () => {
      // Same field names everywhere: the addon is not a text parser of the binary.
      expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
      expect(Object.keys(mine.cpu).sort()).toEqual(Object.keys(theirs.cpu).sort());
      expect(Object.keys(mine.strategies[0]!).sort()).toEqual(Object.keys(theirs.strategies[0]!).sort());
      const { tscHz: a, ...cpuMine } = mine.cpu;
      const { tscHz: b, ...cpuTheirs } = theirs.cpu;
      expect(cpuMine).toEqual(cpuTheirs);
      if (a !== null && b !== null) expect(Math.abs(a - b) / b).toBeLessThan(0.02);
      const pick = (r: SmcReport) => r.strategies.map((s) => [s.name, s.status, s.reason, s.calls, s.wrong]);
      expect(pick(mine)).toEqual(pick(theirs));
      expect([mine.trials, mine.iterations, mine.warmup, mine.codeBytes, mine.timer]).toEqual([
        theirs.trials, theirs.iterations, theirs.warmup, theirs.codeBytes, theirs.timer]);
    });

    it('agrees on the strategies that cost far more than plain', () => {
      if (!isX86) return;
      // Order-of-magnitude effects only: quick timings on a shared 2-core VM are noisy.
      const ratio = (r: SmcReport, n: string) => r.strategies.find((s) => s.name === n)!.ratioToPlain!;
      for (const r of [mine, theirs]) {
        expect(ratio(r, 'remap')).toBeGreaterThan(2);
        expect(ratio(r, 'baseline')).toBeLessThan(1);
      }
    });
  });

  it('chooses an emit strategy and caches a measurement', () => {
    const dir = mkdtempSync(join(tmpdir(), 'matrix-emit-'));
    try {
      const cachePath = join(dir, 'smc-strategy');
      const measured = addon.emitChoice({ cachePath, noTable: true });
      expect(['plain', 'copy_memcpy', 'copy_rep_movsb', 'copy_sse', 'regions', 'dual_map']).toContain(measured.strategy);
      if (!isX86) return;
      expect(measured.reason).toMatch(/^measured/);
      const line = readFileSync(cachePath, 'utf8');
      expect(line.startsWith(`${addon.cpuInfo().signature} ${measured.strategy} `)).toBe(true);
      expect(addon.emitChoice({ cachePath, noTable: true })).toEqual({
        strategy: measured.strategy,
        reason: `cached measurement for ${addon.cpuInfo().signature} in ${cachePath}`,
      });
      if (addon.cpuInfo().microarchitecture === 'Zen 5') {
        expect(addon.emitChoice({ noCache: true })).toEqual({ strategy: 'regions', reason: 'table: best measured on Zen 5' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the JIT core allocator statistics', () => {
    const info = addon.buildInfo();
    expect(info.napiVersion).toBeGreaterThanOrEqual(8);
    if (!info.jitCore) return;
    const ExecMem = addon.ExecMem!;
    const mem = new ExecMem({ mode: 'mprotect' });
    expect(mem.mode).toBe('mprotect');
    const before = mem.stats();
    expect(before.allocations).toBe(0);
    const a = mem.alloc(100);
    const b = mem.alloc(300, 64);
    expect(typeof a.rx).toBe('bigint');
    mem.write(a.rx, new Uint8Array([0xc3]));
    const during = mem.stats();
    expect(during.allocations).toBe(2);
    expect(during.bytesInUse).toBeGreaterThanOrEqual(400);
    expect(during.regions).toBeGreaterThanOrEqual(1);
    mem.free(a.rx);
    expect(() => mem.free(a.rx)).toThrow(/JIT_ERR_(DOUBLE_FREE|NOT_OWNED)/);
    mem.free(b.rx);
    const after = mem.stats();
    expect(after.allocations).toBe(0);
    expect(after.bytesInUse).toBe(0);
    expect(() => mem.alloc(0)).toThrow(/JIT_ERR_INVALID_ARG/);
    expect(() => new ExecMem({ mode: 'bogus' as 'rwx' })).toThrow(RangeError);
    mem.close();
    expect(() => mem.stats()).toThrow(/closed/);
  });
});

describe('copyjit through the addon', () => {
  it('runs program text when the addon was built with copyjit, else says why not', () => {
    const addon = loadAddon();
    if (!addon) return; // the loader tests above cover the missing addon
    const info = addon.buildInfo();
    if (!info.copyjit) {
      expect(info.missing).toMatch(/^copyjit: /);
      expect(addon.copyjitRun).toBeUndefined();
      console.warn(`copyjit binding absent: ${info.missing}`);
      return;
    }
    const run = addon.copyjitRun!;
    const r = run('halt\n');
    expect(r.status).toBe('halt');
    expect(() => run('no_such_op 1\n')).toThrow(/parse error at line 1/);
    const stats = addon.execmemStats!();
    expect(stats.allocations).toBe(0); // every program is freed after its run
    expect(stats.regions).toBeGreaterThanOrEqual(1);
  });
});
