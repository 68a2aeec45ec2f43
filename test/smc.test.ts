// The SMC benchmark binary: every strategy runs and its generated code returns
// the right value, skipped strategies say why, and --json follows the schema
// the TypeScript side reads (parseSmcJson validates it field by field).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { parseSmcJson, toSmcExtras, type SmcReport } from '../src/addon/index.js';
import { readSmc } from '../src/results/extras.js';

const root = resolve(import.meta.dirname, '..');
const isX86 = process.arch === 'x64' || process.arch === 'ia32';

/** Build smc_bench and smc_tests for the host (or take $MATRIX_SMC_BUILD). */
function buildSmc(): string {
  if (process.env.MATRIX_SMC_BUILD) return process.env.MATRIX_SMC_BUILD;
  const dir = mkdtempSync(join(tmpdir(), 'matrix-smc-test-'));
  execFileSync('cmake', ['-S', join(root, 'native', 'smc', 'standalone'), '-B', dir], { stdio: 'pipe' });
  execFileSync('cmake', ['--build', dir, '-j2', '--target', 'smc_bench', 'smc_tests'], { stdio: 'pipe' });
  return dir;
}

describe('smc_bench', () => {
  let build: string;
  let report: SmcReport;
  let jsonText: string;

  beforeAll(() => {
    build = buildSmc();
    const r = spawnSync(join(build, 'bin', 'smc_bench'), ['--quick', '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    jsonText = r.stdout;
    report = parseSmcJson(jsonText);
  }, 240_000);

  it('runs every strategy it knows, each ok or skipped with a reason', () => {
    const list = spawnSync(join(build, 'bin', 'smc_bench'), ['--list'], { encoding: 'utf8' });
    const names = list.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(report.strategies.map((s) => s.name)).toEqual(names);
    for (const s of report.strategies) {
      expect([s.name, s.status]).toEqual([s.name, s.status === 'skipped' ? 'skipped' : 'ok']);
      if (s.status === 'skipped') {
        expect(s.reason, s.name).toMatch(/\S/);
        expect(s.ticksPerCall).toBeNull();
      } else {
        expect(s.wrong, s.name).toBe(0);
        expect(s.calls, s.name).toBe(report.warmup + report.trials * report.iterations);
        expect(s.ticksPerCall, s.name).toBeGreaterThan(0);
      }
    }
    expect(report.allCorrect).toBe(true);
  });

  it('covers every strategy family of the seed', () => {
    const names = new Set(report.strategies.map((s) => s.name));
    const portable = ['baseline', 'plain', 'copy_memcpy', 'regions_2', 'regions_64', 'dual_map', 'remap'];
    const x86 = ['reverse', 'copy_rep_movsb', 'copy_rep_movsq', 'copy_sse', 'copy_avx', 'copy_avx512', 'copy_sse_nt',
      'copy_avx_nt', 'copy_avx512_nt', 'clear_memset', 'clear_lines', 'clear_rep_stosb', 'clear_nt', 'clflush_before',
      'clflush_after', 'clflushopt_before', 'clflushopt_after', 'prefetchw', 'prefetcht1', 'ud2_guard', 'regions_4',
      'regions_8', 'regions_16', 'regions_32', 'icache_thrash', 'mfence', 'serialize_cpuid', 'serialize_insn'];
    for (const n of isX86 ? [...portable, ...x86] : portable) expect(names, n).toContain(n);
  });

  it('derives ratios and penalties from plain and the baseline', () => {
    const plain = report.strategies.find((s) => s.name === 'plain')!;
    const base = report.strategies.find((s) => s.name === 'baseline')!;
    expect(plain.ratioToPlain).toBe(1);
    expect(report.plainTicks).toBeCloseTo(plain.ticksPerCall!, 0);
    expect(base.penaltyOverBaseline).toBe(0);
    for (const s of report.strategies.filter((x) => x.status === 'ok')) {
      expect(s.ratioToPlain!).toBeCloseTo(s.ticksPerCall! / plain.ticksPerCall!, 2);
      expect(s.penaltyOverBaseline!).toBeCloseTo(s.ticksPerCall! - base.ticksPerCall!, 0);
    }
    expect(report.best).not.toBe('baseline');
  });

  it('identifies the CPU in the JSON', () => {
    expect(report.timingsMeaningful).toBe(isX86);
    if (!isX86) return;
    expect(report.timer).toBe('rdtsc');
    expect(report.cpu.vendor).toMatch(/^(AuthenticAMD|GenuineIntel|HygonGenuine|CentaurHauls|  Shanghai  )$/);
    expect(report.cpu.family).toBeGreaterThan(0);
    expect(report.cpu.signature).toBe(`${report.cpu.vendor}-${report.cpu.family}-${report.cpu.model}-${report.cpu.stepping}`);
    expect(report.cpu.tscHz).toBeGreaterThan(1e8);
    expect(report.cpu.features).toContain('rdtsc');
    const cpuinfo = spawnSync('grep', ['-m1', '^flags', '/proc/cpuinfo'], { encoding: 'utf8' }).stdout;
    if (cpuinfo) {
      expect(report.cpu.hypervisor).toBe(/\bhypervisor\b/.test(cpuinfo));
      expect(report.cpu.features.includes('avx512f')).toBe(/\bavx512f\b/.test(cpuinfo));
      const skip = report.strategies.find((s) => s.name === 'copy_avx512')!;
      expect(skip.status === 'skipped').toBe(!/\bavx512f\b/.test(cpuinfo));
      const ser = report.strategies.find((s) => s.name === 'serialize_insn')!;
      expect(ser.status === 'skipped').toBe(!/\bserialize\b/.test(cpuinfo));
      if (ser.status === 'skipped') expect(ser.reason).toMatch(/SERIALIZE/);
    }
  });

  it('rejects JSON that breaks the schema', () => {
    const good = JSON.parse(jsonText) as Record<string, unknown>;
    const bad = (mut: (j: Record<string, unknown>) => void) => {
      const j = structuredClone(good);
      mut(j);
      return () => parseSmcJson(JSON.stringify(j));
    };
    expect(bad(() => {})).not.toThrow();
    expect(bad((j) => (j.schema = 'matrix-smc/2'))).toThrow(/schema/);
    expect(bad((j) => delete (j.cpu as Record<string, unknown>).family)).toThrow(/cpu.family/);
    expect(bad((j) => ((j.strategies as Array<Record<string, unknown>>)[0]!.status = 'great'))).toThrow(/status/);
    expect(bad((j) => ((j.strategies as Array<Record<string, unknown>>)[1]!.ticks_per_call = null))).toThrow(/ticks_per_call/);
    expect(() => parseSmcJson('{')).toThrow(SyntaxError);
  });

  it('feeds the report extras the HTML chart reads', () => {
    const extras = readSmc(toSmcExtras(report));
    expect(extras?.strategies.length).toBe(report.strategies.length);
    const skipped = report.strategies.filter((s) => s.status === 'skipped').map((s) => s.name);
    expect(extras!.strategies.filter((s) => s.skipped).map((s) => s.name)).toEqual(skipped);
  });

  it('prints a table and TAP, and exits 2 on a bad strategy name', () => {
    const bin = join(build, 'bin', 'smc_bench');
    const table = spawnSync(bin, ['--quick', '--only', 'plain,baseline'], { encoding: 'utf8' });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^plain\s+plain\s+[\d.]+\s+1\.000x/m);
    const tap = spawnSync(bin, ['--quick', '--tap', '--only', 'plain,copy_memcpy'], { encoding: 'utf8' });
    expect(tap.status).toBe(0);
    expect(tap.stdout).toMatch(/^TAP version 13\n1\.\.2\nok 1 - plain .*\nok 2 - copy_memcpy /);
    const bad = spawnSync(bin, ['--only', 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown strategy/);
  });

  it('--peer compares with the original\'s output, and a bad file is one stderr line and exit 2', () => {
    const bin = join(build, 'bin', 'smc_bench');
    const fixture = join(root, 'native', 'smc', 'tests', 'data', 'jit_smc_test-zen4-kvm.txt');
    const ok = spawnSync(bin, ['--quick', '--only', 'plain,baseline,copy_memcpy', '--peer', fixture], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^jit_plain\s+plain\s+[\d.]+\s+[\d.]+\s+[\d.]+x\s/m);
    expect(ok.stdout).toMatch(/^Spearman rank correlation over the 3: -?[01]\.\d{3}$/m);
    expect(ok.stdout).toMatch(/^only theirs: 55$/m);
    const dir = mkdtempSync(join(tmpdir(), 'matrix-smc-peer-'));
    const garbled = join(dir, 'garbled.txt');
    writeFileSync(garbled, '           jit_plain    1698960 rdtsc counts\nSegmentation fault\n');
    for (const [file, want] of [
      [garbled, `${garbled}:2: `],
      [join(dir, 'missing.txt'), `${join(dir, 'missing.txt')}: cannot read: `],
    ] as const) {
      const r = spawnSync(bin, ['--quick', '--peer', file], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr.startsWith(`smc_bench: ${want}`)).toBe(true);
    }
  });

  it('passes its own TAP unit tests (emitter, cache, AUTO)', () => {
    const r = spawnSync(join(build, 'bin', 'smc_tests'), [], { encoding: 'utf8', env: { ...process.env, HOME: tmpdir() } });
    expect(r.stdout).toMatch(/# \d+ passed, 0 failed/);
    expect(r.status).toBe(0);
  }, 60_000);
});
