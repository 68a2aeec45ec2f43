// copyjit reference tools (host side):
//   node dist/copyjit/cli.js batch --out FILE [--count N] [--seed S]
//       writes N generated programs with reference results for `copyjit --batch FILE`
//   node dist/copyjit/cli.js trace --seed S
//       prints the program for a batch seed and its reference trace (to compare
//       with `copyjit run prog.cj --trace`)
//   node dist/copyjit/cli.js run FILE [--trace]
//       runs a program file on the reference interpreter, same output as `copyjit run`
// Exit codes: 0 ok, 1 the program did not halt normally, 2 usage or parse error.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

import { formatBatch, generateChecked, makeBatch } from './batch.js';
import { formatOutput, run, type RunResult } from './interp.js';
import { ParseError, parseProgram } from './parse.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function num(v: string | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`bad ${what}: ${v}`);
  return n;
}

class UsageError extends Error {}

function traceText(r: RunResult): string {
  return (r.trace ?? [])
    .map((t, i) => `step ${i} line ${t.line} a=${t.a} x=${t.x} y=${t.y} o=${t.o} sp=${t.sp}\n`)
    .join('');
}

export function main(argv: string[]): number {
  const [cmd, ...args] = argv;
  try {
    if (cmd === 'batch') {
      const out = flag(args, '--out');
      if (!out) throw new UsageError('batch needs --out FILE');
      const count = num(flag(args, '--count'), 300, 'count');
      const seed = num(flag(args, '--seed'), 1, 'seed');
      const text = formatBatch(makeBatch(count, seed));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out + '.tmp', text);
      renameSync(out + '.tmp', out); // atomic: a stage never sees half a batch
      process.stdout.write(`wrote ${count} programs (seed ${seed}) to ${out}\n`);
      return 0;
    }
    if (cmd === 'trace') {
      const seed = num(flag(args, '--seed'), Number.NaN, 'seed');
      if (Number.isNaN(seed)) throw new UsageError('trace needs --seed S');
      const g = generateChecked(seed);
      const r = run(parseProgram(g.text), { keepTrace: true, maxSteps: 1_000_000 });
      process.stdout.write(`${g.text}# ---- reference trace ----\n${traceText(r)}${formatOutput(r)}`);
      return r.status === 'halt' ? 0 : 1;
    }
    if (cmd === 'run') {
      const file = args[0];
      if (!file) throw new UsageError('run needs a FILE');
      const r = run(parseProgram(readFileSync(file, 'utf8')), { keepTrace: args.includes('--trace') });
      process.stdout.write(traceText(r) + formatOutput(r));
      return r.status === 'halt' ? 0 : 1;
    }
    throw new UsageError('usage: cli.js batch --out FILE [--count N] [--seed S] | trace --seed S | run FILE [--trace]');
  } catch (e) {
    if (e instanceof UsageError || e instanceof ParseError) {
      process.stderr.write(`copyjit: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
