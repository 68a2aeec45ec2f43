// The differential batch: generated programs with the reference results the
// native `copyjit --batch FILE` checks (final state, and per-step hashes to
// name the first diverging step). Format, one block per program:
//   copyjit-batch 1
//   program <name> <seed>
//   <program text>
//   expect <status> <a> <x> <y> <o> <sp> <out_n> <out_hash> <mem_hash> <steps>
//   trace <4 hex digits per step>
//   end

import { generateProgram } from './gen.js';
import { HASH_INIT, hashWords, hex32 } from './hash.js';
import { run, type RunResult } from './interp.js';
import { parseProgram } from './parse.js';

export const BATCH_MAX_STEPS = 20000;

export interface BatchProgram {
  name: string;
  seed: number;
  text: string;
  result: RunResult;
}

/** Seed of program i of a batch: deterministic, spread over 32 bits. */
export function programSeed(batchSeed: number, index: number): number {
  return (Math.imul(batchSeed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca77)) >>> 0;
}

/** A generated program that terminates within the step budget (retries the next seed otherwise). */
export function generateChecked(seed: number): { seed: number; text: string; result: RunResult } {
  let s = seed >>> 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    const text = generateProgram(s);
    const result = run(parseProgram(text), { maxSteps: BATCH_MAX_STEPS });
    if (result.status !== 'step_limit') return { seed: s, text, result };
    s = (s + 0x6d2b79f5) >>> 0;
  }
  throw new Error(`no terminating program near seed ${seed}`);
}

export function makeBatch(count: number, batchSeed: number): BatchProgram[] {
  const out: BatchProgram[] = [];
  for (let i = 0; i < count; i++) {
    const g = generateChecked(programSeed(batchSeed, i));
    out.push({ name: `fuzz-${String(i + 1).padStart(4, '0')}`, seed: g.seed, text: g.text, result: g.result });
  }
  return out;
}

export function expectLine(r: RunResult): string {
  return [
    'expect', r.status, r.regs.a, r.regs.x, r.regs.y, r.regs.o, r.sp, r.out.length,
    hex32(hashWords(HASH_INIT, r.out)), hex32(hashWords(HASH_INIT, r.mem)), r.steps,
  ].join(' ');
}

export function formatBatch(progs: readonly BatchProgram[]): string {
  const parts: string[] = ['copyjit-batch 1\n'];
  for (const p of progs) {
    const text = p.text.endsWith('\n') ? p.text : p.text + '\n';
    const trace = p.result.stepHashes.map((h) => h.toString(16).padStart(4, '0')).join('');
    parts.push(`program ${p.name} ${p.seed}\n${text}${expectLine(p.result)}\ntrace ${trace}\nend\n`);
  }
  return parts.join('');
}
