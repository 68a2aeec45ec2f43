// Seeded random program generator for differential testing. The same seed
// always gives the same program text. Programs terminate by construction:
// loops are counted by `o` (saved with push/pop around each loop, written
// by nothing else), calls go only to later procedures (no recursion), and
// branches inside blocks only jump forward.

import { ALU_OPS, BRANCH_OPS, MASK64, type Reg } from './parse.js';

/** xorshift32: small, fast, identical everywhere. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
    for (let i = 0; i < 4; i++) this.next();
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  word(): bigint {
    return ((BigInt(this.next()) << 32n) | BigInt(this.next())) & MASK64;
  }
}

const W: readonly Reg[] = ['a', 'x', 'y']; // writable outside loop headers
const R: readonly Reg[] = ['a', 'x', 'y', 'o'];

function imm(r: Rng): string {
  switch (r.int(8)) {
    case 0: return '0';
    case 1: return '1';
    case 2: return '-1';
    case 3: return '0x8000000000000000';
    case 4: return String(r.int(64));
    case 5: return String(-r.int(1000));
    case 6: return '0x' + r.word().toString(16);
    default: return String(r.int(100000));
  }
}

function src(r: Rng): string {
  return r.chance(0.5) ? r.pick(R) : imm(r);
}

interface Ctx {
  rng: Rng;
  lines: string[];
  label: number;
  procs: number;
}

function newLabel(c: Ctx): string {
  return `L${c.label++}`;
}

function simple(c: Ctx, proc: number): void {
  const r = c.rng;
  const k = r.int(100);
  if (k < 45) {
    c.lines.push(`        ${r.pick(ALU_OPS)} ${r.pick(W)}, ${src(r)}`);
  } else if (k < 50) {
    c.lines.push(`        ${r.pick(['not', 'neg'])} ${r.pick(W)}`);
  } else if (k < 60) {
    c.lines.push(`        ld ${r.pick(W)}, [${r.pick(R)}${r.chance(0.5) ? '+' : '-'}${r.int(5000)}]`);
  } else if (k < 70) {
    c.lines.push(`        st [${r.pick(R)}+${r.int(5000)}], ${r.pick(R)}`);
  } else if (k < 78) {
    c.lines.push(`        push ${src(r)}`);
    const n = r.int(3);
    for (let i = 0; i < n; i++) c.lines.push(`        ${r.pick(ALU_OPS)} ${r.pick(W)}, ${src(r)}`);
    c.lines.push(`        pop ${r.pick(W)}`);
  } else if (k < 86) {
    c.lines.push(`        out ${src(r)}`);
  } else if (k < 95) {
    // forward branch over a few instructions
    const l = newLabel(c);
    c.lines.push(`        ${r.pick(BRANCH_OPS)} ${r.pick(R)}, ${src(r)}, ${l}`);
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) c.lines.push(`        ${r.pick(ALU_OPS)} ${r.pick(W)}, ${src(r)}`);
    c.lines.push(`${l}:`);
  } else if (proc + 1 < c.procs) {
    c.lines.push(`        call P${proc + 1 + r.int(c.procs - proc - 1)}`);
  } else {
    c.lines.push(`        ${r.pick(ALU_OPS)} ${r.pick(W)}, ${src(r)}`);
  }
}

function block(c: Ctx, proc: number, depth: number, n: number): void {
  for (let i = 0; i < n; i++) {
    if (depth < 2 && c.rng.chance(0.12)) {
      const l = newLabel(c);
      c.lines.push('        push o', `        mov o, ${1 + c.rng.int(6)}`, `${l}:`);
      block(c, proc, depth + 1, 1 + c.rng.int(5));
      c.lines.push('        sub o, 1', `        bne o, 0, ${l}`, '        pop o');
    } else {
      simple(c, proc);
    }
  }
}

/** One random program; `procs` procedures P1.. follow main (P0 is main). */
export function generateProgram(seed: number): string {
  const rng = new Rng(seed);
  const c: Ctx = { rng, lines: [], label: 0, procs: 1 + rng.int(4) };
  c.lines.push(`# generated: seed ${seed}`);
  const nmem = rng.int(3);
  for (let i = 0; i < nmem; i++) {
    const vals = Array.from({ length: 1 + rng.int(4) }, () => imm(rng));
    c.lines.push(`.mem ${rng.int(4000)}, ${vals.join(', ')}`);
  }
  for (const r of R) if (rng.chance(0.7)) c.lines.push(`        mov ${r}, ${imm(rng)}`);
  block(c, 0, 0, 8 + rng.int(25));
  // Some programs end in an error status on purpose.
  const end = rng.int(20);
  if (end === 0) c.lines.push('        pop a', '        pop a', '        out 1');
  else if (end === 1) c.lines.push('Lover:  push a', '        jmp Lover');
  else if (end === 2) c.lines.push('        ret');
  else c.lines.push('        halt');
  for (let p = 1; p < c.procs; p++) {
    c.lines.push(`P${p}:`);
    block(c, p, 1, 2 + rng.int(8));
    c.lines.push('        ret');
  }
  return c.lines.join('\n') + '\n';
}
