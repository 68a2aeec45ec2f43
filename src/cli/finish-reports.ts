// The last step of `run` and `merge`: history, root-cause groups, then every
// report and the history file written atomically together.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { appendRun, historyRun, HISTORY_FILE, insights, readHistory } from '../history/history.js';
import { groupRootCauses } from '../results/groups.js';
import type { RunResults } from '../results/types.js';
import { writeReports, REPORT_FORMATS } from '../reporters/write.js';
import { stageLogs, type LogSource } from './publish-logs.js';

/** Reports, history and logs (from `options.logs`) published together: a failure leaves the previous set as it was. */
export async function finishReports(results: RunResults, outDir: string, options: { appendHistory: boolean; logs: LogSource }): Promise<RunResults> {
  const historyFile = join(outDir, HISTORY_FILE);
  const extraFiles: { name: string; text: string }[] = [];
  let final: RunResults = { ...results, groups: groupRootCauses(results.cells) };
  if (options.appendHistory) {
    const history = appendRun(await readHistory(historyFile), historyRun(results));
    final = { ...final, history: insights(history) };
    extraFiles.push({ name: HISTORY_FILE, text: `${JSON.stringify(history)}\n` });
  }
  const logsDir = await stageLogs(final, outDir, options.logs);
  try {
    await writeReports(final, outDir, REPORT_FORMATS, { extraFiles, logsDir });
  } catch (error) {
    await rm(logsDir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  return final;
}
