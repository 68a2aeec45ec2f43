// `matrix report`: render the reports again from status.json.
import { join } from 'node:path';
import { defaultOutDir } from '../load.js';

import { EXIT } from '../../errors.js';
import { readResults } from '../../results/validate.js';
import { writeReports } from '../../reporters/write.js';

export async function reportCommandLine(values: Record<string, string | boolean | undefined>): Promise<number> {
  const outDir = defaultOutDir(values);
  const file = join(outDir, 'status.json');
  const results = await readResults(file, 'run `matrix run` first (or pass --out DIR of an earlier run)');
  const written = await writeReports(results, outDir);
  process.stdout.write(`re-rendered ${written.length} reports in ${outDir}\n`);
  return EXIT.ok;
}
