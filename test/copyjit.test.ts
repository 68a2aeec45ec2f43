// copyjit reference side: the text parser (same grammar and errors as
// native/copyjit/src/text.c), the interpreter against the native corpus's
// expected output, the generator's determinism and the batch format.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { formatBatch, makeBatch, programSeed } from '../src/copyjit/batch.js';
import { main } from '../src/copyjit/cli.js';
import { generateProgram } from '../src/copyjit/gen.js';
import { HASH_INIT, hashWords } from '../src/copyjit/hash.js';
import { formatOutput, run } from '../src/copyjit/interp.js';
import { ParseError, parseInt64, parseProgram } from '../src/copyjit/parse.js';

const CORPUS = join(import.meta.dirname, '..', 'native', 'copyjit', 'programs');

describe('copyjit text format', () => {
  it('reports the same errors and lines as the C parser', () => {
    const cases: [string, number, string][] = [
      ['mov a, 1\nfoo a\n', 2, 'unknown instruction'],
      ['add a\n', 1, 'takes 2 operands'],
      ['add 1, a\n', 1, 'must be a register'],
      ['\n\njmp nowhere\n', 3, 'undefined label'],
      ['l:\nl:\n', 2, 'duplicate label'],
      ['mov a, 18446744073709551616\n', 1, 'bad operand'],
      ['mov a, -9223372036854775809\n', 1, 'bad operand'],
      ['ld a, [q+1]\n', 1, 'bad memory operand'],
      ['st [a+1], 5\n', 1, 'must be a register'],
      ['beq a, x\n', 1, 'takes 3 operands'],
      ['push a,\n', 1, 'empty operand'],
      ['ret a\n', 1, 'no operands'],
      ['.mem 4096, 1\n', 1, 'bad .mem address'],
      ['x: halt\n', 1, 'bad label name'],
    ];
    for (const [text, line, msg] of cases) {
      let err: unknown;
      try {
        parseProgram(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ParseError);
      expect((err as ParseError).line, text).toBe(line);
      expect((err as ParseError).message, text).toContain(msg);
    }
  });

  it('parses 64-bit immediates as two\'s complement words', () => {
    expect(parseInt64('-1')).toBe((1n << 64n) - 1n);
    expect(parseInt64('0xffffffffffffffff')).toBe((1n << 64n) - 1n);
    expect(parseInt64('-9223372036854775808')).toBe(1n << 63n);
    expect(parseInt64('18446744073709551615')).toBe((1n << 64n) - 1n);
    expect(parseInt64('0x')).toBeNull();
    expect(parseInt64('0x10000000000000000')).toBeNull();
    expect(parseInt64('12a')).toBeNull();
  });

  it('resolves labels, memory operands and .mem', () => {
    const p = parseProgram('start: mov a, 0x10 ; c\nld o, [ y + 3 ]\nst [x-2], a\nbeq a, 1, start\n.mem 4095, 7, 8\n');
    expect(p.instrs).toHaveLength(4);
    expect(p.instrs[1]).toMatchObject({ op: 'ld', dst: 'o', base: 'y', off: 3n, line: 2 });
    expect(p.instrs[2]).toMatchObject({ op: 'st', base: 'x', off: (1n << 64n) - 2n, src: 'a' });
    expect(p.instrs[3]).toMatchObject({ op: 'br', name: 'beq', target: 0 });
    expect(p.mem.get(4095)).toBe(7n);
    expect(p.mem.get(0)).toBe(8n); // wraps like the native builder
  });
});

describe('copyjit reference interpreter', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.cj')).sort();

  it('has a corpus of at least 20 programs', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const f of files) {
    it(`matches the expected output of ${f}`, () => {
      const text = readFileSync(join(CORPUS, f), 'utf8');
      const want = text
        .split('\n')
        .filter((l) => l.startsWith('#> '))
        .map((l) => l.slice(3) + '\n')
        .join('');
      expect(want.length).toBeGreaterThan(0);
      expect(formatOutput(run(parseProgram(text)))).toBe(want);
    });
  }

  it('implements the edge cases the templates do', () => {
    const r = run(
      parseProgram(
        'mov a, 100\ndivu a, 0\nout a\nmov a, 100\nremu a, 0\nout a\nmov a, 1\nshl a, 65\nout a\n' +
          'mov a, -8\nsar a, 1\nout a\nmov a, -1\nslt a, 0\nout a\nmov x, 4095\nmov y, 9\nst [x+2], y\nld a, [x-4094]\nout a\n',
      ),
    );
    expect(r.out).toEqual([0n, 100n, 2n, (1n << 64n) - 4n, 1n, 9n]);
    expect(run(parseProgram('pop a\n')).status).toBe('stack_underflow');
    expect(run(parseProgram('l: push 1\njmp l\n')).status).toBe('stack_overflow');
    expect(run(parseProgram('f: call f\n')).status).toBe('call_overflow');
    expect(run(parseProgram('l: jmp l\n'), { maxSteps: 50 }).status).toBe('step_limit');
    const t = run(parseProgram('mov a, 2\nl: sub a, 1\nbne a, 0, l\n'), { keepTrace: true });
    expect(t.trace?.map((s) => s.line)).toEqual([1, 2, 3, 2, 3, 0]); // 0: implicit halt
    expect(t.steps).toBe(6);
  });

  it('hashes words like the native cj_hash_words (FNV-1a over little-endian bytes)', () => {
    expect(hashWords(HASH_INIT, [0n])).toBe(0x9be17165);
    expect(hashWords(HASH_INIT, [0x0123456789abcdefn])).toBe(0xe39e4e75);
  });
});

describe('copyjit generator and batch', () => {
  it('is deterministic per seed and varies across seeds', () => {
    expect(generateProgram(42)).toBe(generateProgram(42));
    expect(generateProgram(42)).not.toBe(generateProgram(43));
    expect(programSeed(1, 0)).not.toBe(programSeed(1, 1));
  });

  it('generates programs that parse and terminate', () => {
    for (let s = 1; s <= 200; s++) {
      const r = run(parseProgram(generateProgram(s)), { maxSteps: 200000 });
      expect(r.status, `seed ${s}`).not.toBe('step_limit');
    }
  });

  it('writes one block per program with a trace hash per step', () => {
    const progs = makeBatch(12, 7);
    const text = formatBatch(progs);
    expect(text.startsWith('copyjit-batch 1\n')).toBe(true);
    expect(text.match(/^program fuzz-\d{4} \d+$/gm)).toHaveLength(12);
    const traces = text.match(/^trace [0-9a-f]*$/gm) ?? [];
    expect(traces).toHaveLength(12);
    progs.forEach((p, i) => {
      expect(traces[i]!.length - 6).toBe(4 * p.result.steps);
      expect(text).toContain(`expect ${p.result.status} ${p.result.regs.a} `);
    });
    expect(formatBatch(makeBatch(12, 7))).toBe(text);
  });
});

describe('copyjit reference CLI', () => {
  it('writes a batch file and reports usage errors with exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cj-'));
    try {
      const out = join(dir, 'sub', 'fuzz.cjt');
      expect(main(['batch', '--out', out, '--count', '4', '--seed', '9'])).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).toBe(formatBatch(makeBatch(4, 9)));
      expect(readdirSync(join(dir, 'sub'))).toEqual(['fuzz.cjt']); // no temp file left
      expect(main(['batch'])).toBe(2);
      expect(main(['batch', '--out', out, '--count', 'x'])).toBe(2);
      expect(main(['nope'])).toBe(2);
      expect(main(['run', join(CORPUS, 'gcd.cj')])).toBe(0);
      expect(main(['run', join(CORPUS, 'underflow_status.cj')])).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('copyjit static template check (tools/check_templates.sh)', () => {
  // Two hand-written ops assembled for x86_64: a conditional jump to the next op
  // (clang 19 emits `jl next`) is a jump; a call to the next op is not a tail call.
  const ASM = [
    '\t.section cjAs_cond,"ax",@progbits', '\t.globl cjA_cond', 'cjA_cond:', '\tcmpq %rdi, %rsi', '\tjl cjAe_cond', '\taddq $1, %rdi', '\tjmp cjAe_cond', '\t.size cjA_cond, .-cjA_cond',
    '\t.section cjAs_calls,"ax",@progbits', '\t.globl cjA_calls', 'cjA_calls:', '\tcall cjAe_calls', '\tret', '\t.size cjA_calls, .-cjA_calls', '',
  ].join('\n');

  it('takes a conditional jump to the next op for a jump, and a call to it for a missing tail call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cj-objcheck-'));
    try {
      mkdirSync(join(dir, 'copyjit'));
      writeFileSync(join(dir, 'ops.s'), ASM);
      const as = spawnSync('gcc', ['-c', join(dir, 'ops.s'), '-o', join(dir, 'copyjit', 'ops_a.o')], { encoding: 'utf8' });
      expect(as.status, as.stderr).toBe(0);
      const r = spawnSync('sh', [join(import.meta.dirname, '..', 'native/copyjit/tools/check_templates.sh'), 'x86_64-linux-gnu', dir], { encoding: 'utf8' });
      expect(r.stdout).toContain('ok 1 - cond');
      expect(r.stdout).toMatch(/not ok 2 - calls: \+0x0 "call .*" calls the next op instead of jumping to it \(no tail call\)/);
      expect(r.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('copyjit --batch --trace-every N (native, host build)', () => {
  // A batch whose expectations are tampered with: the first step hash of
  // programs 1, 2 and 3 (their final states still agree), and program 3's final `a`.
  it('traces every N-th program and every failing one; without N, every program', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cj-trace-every-'));
    try {
      const build = join(dir, 'build');
      const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
      const conf = sh('cmake', ['-S', join(import.meta.dirname, '..', 'native'), '-B', build, '-G', 'Ninja']);
      expect(conf.status, conf.stderr).toBe(0);
      const make = sh('cmake', ['--build', build, '--target', 'copyjit_cli', '--parallel', '2']);
      expect(make.status, make.stdout).toBe(0);
      let n = 0;
      const text = formatBatch(makeBatch(12, 7)).replace(/^(trace )([0-9a-f]{4})/gm, (whole, head: string, first: string) => {
        n++;
        // Flip the first step's hash of programs 1, 2 and 3.
        return n <= 3 ? `${head}${first === 'ffff' ? '0000' : 'ffff'}` : whole;
      }).split('\nprogram ').map((block, i) => (i === 3 ? block.replace(/^(expect \S+ )(\d+)/m, (_w, h: string, a: string) => `${h}${BigInt(a) + 1n}`) : block)).join('\nprogram ');
      const file = join(dir, 'batch.cjt');
      writeFileSync(file, text);
      const run = (...extra: string[]) => sh(join(build, 'bin', 'copyjit'), ['--batch', file, ...extra]);
      const sampled = run('--trace-every', '1000');
      expect(sampled.status).toBe(1);
      const lines = sampled.stdout.split('\n');
      expect(lines.find((l) => l.startsWith('not ok 1 '))).toBeDefined();
      expect(lines.find((l) => l.startsWith('ok 2 '))).toBeDefined();
      expect(lines.find((l) => l.startsWith('not ok 3 '))).toBeDefined();
      // Program 2 was not traced (its final state agrees); 3 failed, so it was traced anyway: its report names the first diverging step.
      expect(sampled.stdout).toMatch(/not ok 3 [^\n]*\n\s+---\n\s+message: "final state differs[^\n]*\n\s+divergence: "first diverging step: 0/);
      const full = run();
      expect(full.stdout.split('\n').filter((l) => l.startsWith('not ok')).map((l) => l.split(' ')[2])).toEqual(['1', '2', '3']);
      expect(run('--trace-every', '0').status).toBe(2);
      const noNumber = run('--trace-every');
      expect(noNumber.status).toBe(2);
      expect(noNumber.stderr).toBe('copyjit: --trace-every needs a number N (trace every N-th program), e.g. --trace-every 10\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
