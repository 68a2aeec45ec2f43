// Before/after timing of the reporters on one results file, in one process,
// alternating rounds (the machine is noisy): `node dist/bench/render-ab.js
// <before-dist> <status.json> [rounds]`, where <before-dist> is the dist/ of the
// commit to compare with (e.g. `git worktree add /tmp/before HEAD~1 && cd
// /tmp/before && npx tsc -p tsconfig.json`, then /tmp/before/dist). Checks that
// both render byte-identical reports, then prints median ms per reporter and
// the ratio.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { RENDERERS, REPORT_FORMATS, type Renderer, type ReportFormat } from '../reporters/write.js';
import { readResults } from '../results/validate.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<number> {
  const [beforeDist, statusFile, roundsArg] = process.argv.slice(2);
  if (!beforeDist || !statusFile) {
    process.stderr.write('usage: render-ab.js <before-dist> <status.json> [rounds]\n');
    return 2;
  }
  const before = (await import(pathToFileURL(join(resolve(beforeDist), 'reporters/write.js')).href)).RENDERERS as Record<ReportFormat, Renderer>;
  const results = await readResults(statusFile);
  const rounds = Math.max(1, Number(roundsArg ?? 7));
  for (const f of REPORT_FORMATS) {
    if (before[f](results) !== RENDERERS[f](results)) {
      process.stderr.write(`${f}: the two versions render different reports\n`);
      return 1;
    }
  }
  const times = { before: new Map<ReportFormat, number[]>(), after: new Map<ReportFormat, number[]>() };
  for (const f of REPORT_FORMATS) {
    times.before.set(f, []);
    times.after.set(f, []);
  }
  for (let i = 0; i < rounds; i++) {
    const order: Array<['before' | 'after', Record<ReportFormat, Renderer>]> = [['before', before], ['after', RENDERERS]];
    if (i % 2) order.reverse();
    for (const [name, renderers] of order) {
      for (const f of REPORT_FORMATS) {
        const t = performance.now();
        renderers[f](results);
        times[name].get(f)!.push(performance.now() - t);
      }
    }
  }
  let sumBefore = 0;
  let sumAfter = 0;
  process.stdout.write(`${results.cells.length} cells, ${rounds} rounds each, alternating; reports identical\n`);
  for (const f of REPORT_FORMATS) {
    const b = median(times.before.get(f)!);
    const a = median(times.after.get(f)!);
    sumBefore += b;
    sumAfter += a;
    process.stdout.write(`${f.padEnd(9)} before ${b.toFixed(0).padStart(6)} ms  after ${a.toFixed(0).padStart(6)} ms  ${(b / a).toFixed(2)}x\n`);
  }
  process.stdout.write(`${'all'.padEnd(9)} before ${sumBefore.toFixed(0).padStart(6)} ms  after ${sumAfter.toFixed(0).padStart(6)} ms  ${(sumBefore / sumAfter).toFixed(2)}x\n`);
  return 0;
}

process.exitCode = await main();
