// The copyjit text format (docs/copyjit.md), parsed exactly like
// native/copyjit/src/text.c: one instruction per line, `label:` prefixes,
// `#` and `;` comments, `.mem addr, v...` for initial memory.

export type Reg = 'a' | 'x' | 'y' | 'o';
export const REGS: readonly Reg[] = ['a', 'x', 'y', 'o'];
export const ALU_OPS = [
  'mov', 'add', 'sub', 'mul', 'and', 'or', 'xor', 'shl', 'shr', 'sar',
  'divu', 'remu', 'slt', 'sltu', 'seq', 'sne',
] as const;
export type AluOp = (typeof ALU_OPS)[number];
export const BRANCH_OPS = ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'] as const;
export type BranchOp = (typeof BRANCH_OPS)[number];

export type Src = { kind: 'reg'; reg: Reg } | { kind: 'imm'; value: bigint };

export type Instr =
  | { op: 'alu'; name: AluOp; dst: Reg; src: Src; line: number }
  | { op: 'not' | 'neg' | 'pop'; reg: Reg; line: number }
  | { op: 'push' | 'out'; src: Src; line: number }
  | { op: 'ld'; dst: Reg; base: Reg; off: bigint; line: number }
  | { op: 'st'; base: Reg; off: bigint; src: Reg; line: number }
  | { op: 'br'; name: BranchOp; lhs: Reg; rhs: Src; target: number; line: number }
  | { op: 'jmp' | 'call'; target: number; line: number }
  | { op: 'ret' | 'halt' | 'trap'; line: number };

export interface Program {
  instrs: Instr[];
  /** Initial memory words (address -> value); the rest is zero. */
  mem: Map<number, bigint>;
}

export const MEM_WORDS = 4096;
export const MASK64 = (1n << 64n) - 1n;

export class ParseError extends Error {
  constructor(readonly line: number, readonly detail: string) {
    super(`line ${line}: ${detail}`);
    this.name = 'ParseError';
  }
}

const ID0 = /[A-Za-z_]/;
const ID = /[A-Za-z0-9_.]/;
const WS = /\s/;

function isReg(t: string): t is Reg {
  return t === 'a' || t === 'x' || t === 'y' || t === 'o';
}

function isIdent(t: string): boolean {
  if (t.length === 0 || !ID0.test(t[0]!)) return false;
  for (let i = 1; i < t.length; i++) if (!ID.test(t[i]!)) return false;
  return true;
}

/** Decimal or 0x hex with an optional '-', as a 64-bit two's complement word; null if invalid. */
export function parseInt64(t: string): bigint | null {
  let neg = false;
  if (t.startsWith('-')) {
    neg = true;
    t = t.slice(1);
  }
  if (t.length === 0) return null;
  let v: bigint;
  if (t[0] === '0' && (t[1] === 'x' || t[1] === 'X')) {
    const h = t.slice(2);
    if (h.length === 0 || h.length > 16 || !/^[0-9a-fA-F]+$/.test(h)) return null;
    v = BigInt('0x' + h);
  } else {
    if (!/^[0-9]+$/.test(t)) return null;
    v = BigInt(t);
    if (v > MASK64) return null;
  }
  if (neg) {
    if (v > 1n << 63n) return null;
    v = (0n - v) & MASK64;
  }
  return v;
}

function trim(s: string): string {
  return s.replace(/^\s+/, '').replace(/\s+$/, '');
}

/** [r], [r+n], [r-n] -> base and offset, or null. */
function parseMem(t: string): { base: Reg; off: bigint } | null {
  if (t.length < 3 || t[0] !== '[' || t[t.length - 1] !== ']') return null;
  let s = t.slice(1, -1);
  s = s.replace(/^\s+/, '');
  const r = s[0] ?? '';
  if (!isReg(r)) return null;
  const after = s[1];
  if (after !== undefined && !WS.test(after) && after !== '+' && after !== '-') return null;
  s = s.slice(1).replace(/^\s+/, '');
  if (s.length === 0) return { base: r, off: 0n };
  const neg = s[0] === '-';
  if (s[0] !== '+' && s[0] !== '-') return null;
  s = trim(s.slice(1));
  if (s.startsWith('-')) return null;
  const v = parseInt64(s);
  if (v === null) return null;
  return { base: r, off: neg ? (0n - v) & MASK64 : v };
}

interface LabelInfo {
  index: number; // instruction index it binds to, -1 = unbound
  firstUse: number;
}

export function parseProgram(text: string): Program {
  const instrs: Instr[] = [];
  const mem = new Map<number, bigint>();
  const labels = new Map<string, LabelInfo>();
  // Targets are resolved at the end: instructions hold label ids until then.
  const pending: { instr: { target: number }; name: string }[] = [];
  const lines = text.split('\n');
  let lineNo = 0;

  const labelRef = (name: string, bind: boolean): LabelInfo => {
    if (!isIdent(name) || isReg(name) || name.length >= 64) throw new ParseError(lineNo, `bad label name '${name}'`);
    let l = labels.get(name);
    if (l) {
      if (bind) {
        if (l.index >= 0) throw new ParseError(lineNo, `duplicate label '${name}'`);
        l.index = instrs.length;
      }
      return l;
    }
    l = { index: bind ? instrs.length : -1, firstUse: lineNo };
    labels.set(name, l);
    return l;
  };

  for (const raw of lines) {
    lineNo++;
    let s = raw;
    const cut = s.search(/[#;\r]/);
    if (cut >= 0) s = s.slice(0, cut);
    s = trim(s);
    if (s.length === 0) continue;
    // label:
    if (ID0.test(s[0]!)) {
      let p = 1;
      while (p < s.length && ID.test(s[p]!)) p++;
      if (s[p] === ':') {
        labelRef(s.slice(0, p), true);
        s = trim(s.slice(p + 1));
        if (s.length === 0) continue;
      }
    }
    let p = 0;
    if (s[0] === '.') p = 1;
    while (p < s.length && ID.test(s[p]!)) p++;
    if (p === 0 || p >= 16) throw new ParseError(lineNo, 'expected an instruction');
    const mn = s.slice(0, p);
    if (p < s.length && !WS.test(s[p]!)) throw new ParseError(lineNo, `unexpected '${s[p]}' after '${mn}'`);
    const rest = trim(s.slice(p));
    const ops: string[] = [];
    if (rest.length > 0) {
      for (const part of rest.split(',')) {
        const t = trim(part);
        if (t.length === 0) throw new ParseError(lineNo, 'empty operand');
        ops.push(t);
      }
      if (ops.length > 64) throw new ParseError(lineNo, 'too many operands');
    }
    const line = lineNo;
    const o = (i: number): string => ops[i] ?? '';

    if (mn === '.mem') {
      if (ops.length < 2) throw new ParseError(lineNo, '.mem needs an address and at least one value');
      const addr = parseInt64(o(0));
      if (addr === null || addr >= BigInt(MEM_WORDS)) throw new ParseError(lineNo, `bad .mem address '${o(0)}'`);
      for (let i = 1; i < ops.length; i++) {
        const v = parseInt64(o(i));
        if (v === null) throw new ParseError(lineNo, `bad integer '${o(i)}'`);
        mem.set((Number(addr) + i - 1) & (MEM_WORDS - 1), v);
      }
      continue;
    }
    if ((ALU_OPS as readonly string[]).includes(mn)) {
      if (ops.length !== 2) throw new ParseError(lineNo, `${mn} takes 2 operands`);
      const d = o(0);
      if (!isReg(d)) throw new ParseError(lineNo, `${mn}: first operand must be a register`);
      const sr = o(1);
      if (isReg(sr)) {
        instrs.push({ op: 'alu', name: mn as AluOp, dst: d, src: { kind: 'reg', reg: sr }, line });
        continue;
      }
      const v = parseInt64(sr);
      if (v === null) throw new ParseError(lineNo, `${mn}: bad operand '${sr}'`);
      instrs.push({ op: 'alu', name: mn as AluOp, dst: d, src: { kind: 'imm', value: v }, line });
      continue;
    }
    if (mn === 'not' || mn === 'neg' || mn === 'pop' || mn === 'push' || mn === 'out') {
      if (ops.length !== 1) throw new ParseError(lineNo, `${mn} takes 1 operand`);
      const t = o(0);
      if (isReg(t)) {
        if (mn === 'push' || mn === 'out') instrs.push({ op: mn, src: { kind: 'reg', reg: t }, line });
        else instrs.push({ op: mn, reg: t, line });
        continue;
      }
      const v = mn === 'push' || mn === 'out' ? parseInt64(t) : null;
      if (v !== null && (mn === 'push' || mn === 'out')) {
        instrs.push({ op: mn, src: { kind: 'imm', value: v }, line });
        continue;
      }
      throw new ParseError(lineNo, `${mn}: bad operand '${t}'`);
    }
    if (mn === 'ld') {
      if (ops.length !== 2) throw new ParseError(lineNo, 'ld takes 2 operands');
      const d = o(0);
      if (!isReg(d)) throw new ParseError(lineNo, 'ld: first operand must be a register');
      const m = parseMem(o(1));
      if (!m) throw new ParseError(lineNo, `ld: bad memory operand '${o(1)}'`);
      instrs.push({ op: 'ld', dst: d, base: m.base, off: m.off, line });
      continue;
    }
    if (mn === 'st') {
      if (ops.length !== 2) throw new ParseError(lineNo, 'st takes 2 operands');
      const m = parseMem(o(0));
      if (!m) throw new ParseError(lineNo, `st: bad memory operand '${o(0)}'`);
      const v = o(1);
      if (!isReg(v)) throw new ParseError(lineNo, 'st: second operand must be a register');
      instrs.push({ op: 'st', base: m.base, off: m.off, src: v, line });
      continue;
    }
    if ((BRANCH_OPS as readonly string[]).includes(mn)) {
      if (ops.length !== 3) throw new ParseError(lineNo, `${mn} takes 3 operands`);
      const l = o(0);
      if (!isReg(l)) throw new ParseError(lineNo, `${mn}: first operand must be a register`);
      labelRef(o(2), false);
      const r = o(1);
      let rhs: Src;
      if (isReg(r)) rhs = { kind: 'reg', reg: r };
      else {
        const v = parseInt64(r);
        if (v === null) throw new ParseError(lineNo, `${mn}: bad operand '${r}'`);
        rhs = { kind: 'imm', value: v };
      }
      const ins = { op: 'br' as const, name: mn as BranchOp, lhs: l, rhs, target: -1, line };
      instrs.push(ins);
      pending.push({ instr: ins, name: o(2) });
      continue;
    }
    if (mn === 'jmp' || mn === 'call') {
      if (ops.length !== 1) throw new ParseError(lineNo, `${mn} takes a label`);
      labelRef(o(0), false);
      const ins = { op: mn, target: -1, line } as { op: 'jmp' | 'call'; target: number; line: number };
      instrs.push(ins);
      pending.push({ instr: ins, name: o(0) });
      continue;
    }
    if (mn === 'ret' || mn === 'halt' || mn === 'trap') {
      if (ops.length !== 0) throw new ParseError(lineNo, `${mn} takes no operands`);
      instrs.push({ op: mn, line });
      continue;
    }
    throw new ParseError(lineNo, `unknown instruction '${mn}'`);
  }
  for (const [name, l] of labels) {
    if (l.index < 0) throw new ParseError(l.firstUse, `undefined label '${name}'`);
  }
  for (const p of pending) p.instr.target = labels.get(p.name)!.index;
  return { instrs, mem };
}
