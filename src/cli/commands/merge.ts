// `matrix merge DIR... [--out DIR]`: shard results into one report.
import { join, resolve } from 'node:path';

import { EXIT, OrchestratorError } from '../../errors.js';
import { mergeShards, type ShardInput } from '../../merge/merge.js';
import { readResults } from '../../results/validate.js';
import { defaultOutDir } from '../load.js';
import { finishReports } from '../finish-reports.js';
import { summaryLine } from '../progress.js';

export async function mergeCommandLine(values: Record<string, string | boolean | undefined>, dirs: string[]): Promise<number> {
  if (dirs.length === 0) throw new OrchestratorError('USAGE', 'matrix merge needs the results directories of the shards: matrix merge DIR... [--out DIR]');
  const inputs: ShardInput[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    const file = join(dir, 'status.json');
    inputs.push({ source: dir, results: await readResults(file, `is ${dir} a shard's report directory?`) });
  }
  const { results, origin, missing } = mergeShards(inputs);
  const outDir = defaultOutDir(values);
  // Each cell's logs come from the shard that ran it.
  const logs = (id: string) => {
    const source = origin.get(id);
    return source === undefined ? undefined : join(source, 'logs', id);
  };
  const final = await finishReports(results, outDir, { appendHistory: true, logs });
  if (missing.length) process.stderr.write(`matrix merge: warning: no shard ran ${missing.length} cells (${missing.join(', ')}); the report is marked incomplete\n`);
  process.stdout.write(`${summaryLine(final)}\nmerged ${inputs.length} shards into ${join(outDir, 'status.md')}\n`);
  if (!final.complete) return EXIT.unexpected;
  return final.summary.unexpected > 0 ? EXIT.unexpected : EXIT.ok;
}
