// Reference interpreter for copyjit programs: the semantics the native op
// templates must reproduce (native/copyjit/src/ops_body.h), step by step.

import { HASH_INIT, hashWords } from './hash.js';
import { MASK64, MEM_WORDS, type Instr, type Program, type Reg, type Src } from './parse.js';

export const STACK_WORDS = 1024;
export const CALL_DEPTH = 256;

export type Status = 'halt' | 'stack_overflow' | 'stack_underflow' | 'call_overflow' | 'step_limit' | 'crash';

export interface TraceStep {
  /** Source line of the op about to run (0 = the implicit halt at the end). */
  line: number;
  a: bigint;
  x: bigint;
  y: bigint;
  o: bigint;
  sp: number;
}

export interface RunResult {
  status: Status;
  regs: Record<Reg, bigint>;
  sp: number;
  out: bigint[];
  mem: bigint[];
  steps: number;
  /** Low 16 bits of the FNV-1a hash of each step's state, as the native trace compares. */
  stepHashes: number[];
  trace?: TraceStep[];
}

export interface RunOptions {
  maxSteps?: number;
  keepTrace?: boolean;
}

const SIGN = 1n << 63n;
const toSigned = (v: bigint): bigint => (v & SIGN ? v - (1n << 64n) : v);

export function aluOp(name: string, d: bigint, s: bigint): bigint {
  switch (name) {
    case 'mov': return s;
    case 'add': return (d + s) & MASK64;
    case 'sub': return (d - s) & MASK64;
    case 'mul': return (d * s) & MASK64;
    case 'and': return d & s;
    case 'or': return d | s;
    case 'xor': return d ^ s;
    case 'shl': return (d << (s & 63n)) & MASK64;
    case 'shr': return d >> (s & 63n);
    case 'sar': return BigInt.asUintN(64, toSigned(d) >> (s & 63n));
    case 'divu': return s === 0n ? 0n : d / s;
    case 'remu': return s === 0n ? d : d % s;
    case 'slt': return toSigned(d) < toSigned(s) ? 1n : 0n;
    case 'sltu': return d < s ? 1n : 0n;
    case 'seq': return d === s ? 1n : 0n;
    case 'sne': return d !== s ? 1n : 0n;
  }
  throw new Error(`unknown ALU op ${name}`);
}

export function branchTaken(name: string, l: bigint, r: bigint): boolean {
  switch (name) {
    case 'beq': return l === r;
    case 'bne': return l !== r;
    case 'blt': return toSigned(l) < toSigned(r);
    case 'bge': return toSigned(l) >= toSigned(r);
    case 'bltu': return l < r;
    case 'bgeu': return l >= r;
  }
  throw new Error(`unknown branch ${name}`);
}

export function stepHash(line: number, a: bigint, x: bigint, y: bigint, o: bigint, sp: number): number {
  return hashWords(HASH_INIT, [BigInt(line), a, x, y, o, BigInt(sp)]) & 0xffff;
}

export function run(prog: Program, opts: RunOptions = {}): RunResult {
  const maxSteps = opts.maxSteps ?? 1_000_000;
  const regs: Record<Reg, bigint> = { a: 0n, x: 0n, y: 0n, o: 0n };
  const mem: bigint[] = new Array<bigint>(MEM_WORDS).fill(0n);
  for (const [addr, v] of prog.mem) mem[addr] = v;
  const stack: bigint[] = new Array<bigint>(STACK_WORDS).fill(0n);
  const cstack: number[] = [];
  const out: bigint[] = [];
  const stepHashes: number[] = [];
  const trace: TraceStep[] | undefined = opts.keepTrace ? [] : undefined;
  let sp = 0;
  let pc = 0;
  let steps = 0;
  let status: Status | undefined;
  const val = (s: Src): bigint => (s.kind === 'reg' ? regs[s.reg] : s.value);
  const halt: Instr = { op: 'halt', line: 0 };

  while (status === undefined) {
    const ins: Instr = pc < prog.instrs.length ? prog.instrs[pc]! : halt;
    if (steps >= maxSteps) {
      status = 'step_limit';
      break;
    }
    steps++;
    stepHashes.push(stepHash(ins.line, regs.a, regs.x, regs.y, regs.o, sp));
    trace?.push({ line: ins.line, a: regs.a, x: regs.x, y: regs.y, o: regs.o, sp });
    pc++;
    switch (ins.op) {
      case 'alu':
        regs[ins.dst] = aluOp(ins.name, regs[ins.dst], val(ins.src));
        break;
      case 'not':
        regs[ins.reg] = ~regs[ins.reg] & MASK64;
        break;
      case 'neg':
        regs[ins.reg] = (0n - regs[ins.reg]) & MASK64;
        break;
      case 'push':
        if (sp === STACK_WORDS) status = 'stack_overflow';
        else stack[sp++] = val(ins.src);
        break;
      case 'pop':
        if (sp === 0) status = 'stack_underflow';
        else regs[ins.reg] = stack[--sp]!;
        break;
      case 'out':
        out.push(val(ins.src));
        break;
      case 'ld':
        regs[ins.dst] = mem[Number((regs[ins.base] + ins.off) & BigInt(MEM_WORDS - 1))]!;
        break;
      case 'st':
        mem[Number((regs[ins.base] + ins.off) & BigInt(MEM_WORDS - 1))] = regs[ins.src];
        break;
      case 'br':
        if (branchTaken(ins.name, regs[ins.lhs], val(ins.rhs))) pc = ins.target;
        break;
      case 'jmp':
        pc = ins.target;
        break;
      case 'call':
        if (cstack.length >= CALL_DEPTH) status = 'call_overflow';
        else {
          cstack.push(pc);
          pc = ins.target;
        }
        break;
      case 'ret':
        if (cstack.length === 0) status = 'halt';
        else pc = cstack.pop()!;
        break;
      case 'halt':
        status = 'halt';
        break;
      case 'trap':
        status = 'crash';
        break;
    }
  }
  const res: RunResult = { status, regs, sp, out, mem, steps, stepHashes };
  if (trace) res.trace = trace;
  return res;
}

/** The native runner's `run` output: out values, then "status <name>". */
export function formatOutput(r: RunResult): string {
  return r.out.map((v) => `${v}\n`).join('') + `status ${r.status}\n`;
}
