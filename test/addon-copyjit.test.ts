// copyjit through the addon: the corpus (native/copyjit/programs/*.cj, with
// its `#>` expected output) runs in-process, at the rate differential fuzzing
// needs, and the allocator gives every program's code back.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadAddon } from '../src/addon/index.js';
import { generateChecked, programSeed } from '../src/copyjit/batch.js';
import { hashWords, HASH_INIT } from '../src/copyjit/hash.js';

const root = resolve(import.meta.dirname, '..');
const corpusDir = join(root, 'native', 'copyjit', 'programs');

interface Expected {
  name: string;
  text: string;
  out: bigint[];
  status: string;
}

function corpus(): Expected[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.cj'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(corpusDir, f), 'utf8');
      const out: bigint[] = [];
      let status = 'halt';
      for (const line of text.split('\n')) {
        const m = /^#>\s*(.*?)\s*$/.exec(line);
        if (!m) continue;
        const v = m[1]!;
        if (v.startsWith('status ')) status = v.slice(7);
        else out.push(BigInt.asUintN(64, BigInt(v)));
      }
      return { name: f, text, out, status };
    });
}

const addon = loadAddon();
const copyjit = addon?.buildInfo().copyjit ? addon : null;

// CI sets MATRIX_ADDON_REQUIRE_COPYJIT=1: the differential fuzz below must not quietly skip there.
describe.runIf(process.env.MATRIX_ADDON_REQUIRE_COPYJIT === '1')('the addon CI tests with', () => {
  it('has the copyjit binding', () => {
    expect(addon, 'the addon did not load').not.toBeNull();
    expect(addon!.buildInfo().copyjit, `addon built without copyjit: ${addon!.buildInfo().missing ?? ''}`).toBe(true);
  });
});

describe.skipIf(!copyjit)('copyjit programs through the addon', () => {
  const programs = corpus();

  it('runs every corpus program with its expected output and status', () => {
    expect(programs.length).toBeGreaterThanOrEqual(20);
    for (const p of programs) {
      const r = copyjit!.copyjitRun!(p.text);
      expect([p.name, r.status, r.fault]).toEqual([p.name, p.status, null]);
      expect(r.out, p.name).toEqual(p.out);
    }
  });

  it('runs 10,000 programs at thousands per second and frees their code', () => {
    const start = performance.now();
    let n = 0;
    for (let round = 0; n < 10_000; round++) {
      const p = programs[round % programs.length]!;
      const r = copyjit!.copyjitRun!(p.text);
      if (r.status !== p.status || r.out.length !== p.out.length || r.out.some((v, i) => v !== p.out[i])) {
        throw new Error(`${p.name} (run ${n}): ${r.status} ${r.out.join(' ')}`);
      }
      n++;
    }
    const perSec = n / ((performance.now() - start) / 1000);
    expect(perSec).toBeGreaterThan(1000);
    const stats = copyjit!.execmemStats!();
    expect(stats.allocations).toBe(0);
    expect(stats.bytesInUse).toBe(0);
  }, 120_000);

  it('agrees with the TypeScript reference interpreter on 10,000 generated programs', () => {
    // Differential fuzzing: random programs (seeded, so any mismatch is reproducible
    // with `node dist/copyjit/cli.js` and the seed) through the JIT and the reference.
    const start = performance.now();
    const mismatches: string[] = [];
    for (let i = 0; i < 10_000 && mismatches.length < 5; i++) {
      const { seed, text, result: want } = generateChecked(programSeed(20261121, i));
      const got = copyjit!.copyjitRun!(text);
      const same =
        got.status === want.status &&
        got.a === want.regs.a && got.x === want.regs.x && got.y === want.regs.y && got.o === want.regs.o &&
        got.sp === want.sp &&
        got.out.length === want.out.length && got.out.every((v, k) => v === want.out[k]) &&
        got.memHash === hashWords(HASH_INIT, want.mem);
      if (!same) {
        mismatches.push(`program ${i} (seed ${seed}): jit ${got.status} a=${got.a} x=${got.x} y=${got.y} o=${got.o} out=[${got.out.join(',')}]` +
          ` vs reference ${want.status} a=${want.regs.a} x=${want.regs.x} y=${want.regs.y} o=${want.regs.o} out=[${want.out.join(',')}]`);
      }
    }
    expect(mismatches).toEqual([]);
    const perSec = 10_000 / ((performance.now() - start) / 1000);
    process.stdout.write(`addon differential fuzz: 10000 generated programs, ${perSec.toFixed(0)} programs/s (generation + reference + JIT)\n`);
    expect(copyjit!.execmemStats!().allocations).toBe(0);
  }, 300_000);

  it('passes registers in and reports parse errors with their line', () => {
    const r = copyjit!.copyjitRun!('add a, x\nout a\nhalt\n', { a: 40n, x: 2 });
    expect(r.status).toBe('halt');
    expect(r.a).toBe(42n);
    expect(r.out).toEqual([42n]);
    expect(() => copyjit!.copyjitRun!('halt\nfrobnicate a\n')).toThrow(/line 2/);
  });
});

describe.skipIf(copyjit !== null)('copyjit binding absent', () => {
  it('says why', () => {
    if (!addon) return;
    expect(addon.buildInfo().missing).toMatch(/^copyjit: /);
  });
});
