// `matrix report`: render the reports again from status.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultOutDir } from '../load.js';

import { EXIT, OrchestratorError } from '../../errors.js';
import { parseResults } from '../../results/validate.js';
import { writeReports } from '../../reporters/write.js';

export async function reportCommandLine(values: Record<string, string | boolean | undefined>): Promise<number> {
  const outDir = defaultOutDir(values);
  const file = join(outDir, 'status.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new OrchestratorError('RESULTS_NOT_FOUND', `${file} does not exist: run \`matrix run\` first (or pass --out DIR of an earlier run)`);
  }
  const results = parseResults(text, file);
  const written = await writeReports(results, outDir);
  process.stdout.write(`re-rendered ${written.length} reports in ${outDir}\n`);
  return EXIT.ok;
}
