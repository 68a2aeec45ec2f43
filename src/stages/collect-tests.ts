// The per-test result files of a run stage (JUnit XML, automake .trs,
// meson's testlog.json): removed before the stage runs, so an old file never
// speaks for a new run, and read after it into test cases for classify.ts.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { RunStageSpec } from '../matrix/types.js';
import type { TestCaseResult } from '../results/types.js';
import { parseAutomakeTrs, parseJunitXml, parseMesonTestlog } from '../formats/test-reports.js';
import { stageJunit } from './plan.js';

export interface CollectedTests {
  tests: TestCaseResult[];
  /** Why no result file could be read (absent, unparsable): the stage proves nothing. */
  missing?: string;
}

const MESON_LOG = 'meson-logs/testlog.json';

/** Whether this stage's format reads a result file rather than the program's stdout. */
export function readsResultFiles(spec: RunStageSpec): boolean {
  return spec.format === 'junit' || spec.format === 'ctest' || spec.format === 'automake' || spec.format === 'meson';
}

async function trsFiles(buildDir: string): Promise<string[]> {
  const all = await readdir(buildDir, { recursive: true }).catch(() => [] as string[]);
  return all.filter((f) => f.endsWith('.trs')).sort();
}

export async function clearResultFiles(spec: RunStageSpec, buildDir: string): Promise<void> {
  if (spec.format === 'automake') {
    for (const f of await trsFiles(buildDir)) await rm(join(buildDir, f), { force: true });
    await rm(join(buildDir, 'test-suite.log'), { force: true });
  } else if (spec.format === 'meson') {
    await rm(join(buildDir, MESON_LOG), { force: true });
  } else if (readsResultFiles(spec)) {
    await rm(join(buildDir, stageJunit(spec)!), { force: true });
  }
}

export async function collectTests(spec: RunStageSpec, buildDir: string): Promise<CollectedTests | undefined> {
  if (!readsResultFiles(spec)) return undefined;
  if (spec.format === 'automake') {
    const files = await trsFiles(buildDir);
    if (!files.length) return { tests: [], missing: `make check wrote no .trs file under the build directory (is it an automake test suite?)` };
    const tests: TestCaseResult[] = [];
    for (const f of files) {
      const base = f.slice(0, -'.trs'.length);
      const trs = await readFile(join(buildDir, f), 'utf8');
      const log = await readFile(join(buildDir, `${base}.log`), 'utf8').catch(() => '');
      tests.push(parseAutomakeTrs(base, trs, log));
    }
    return { tests };
  }
  const file = spec.format === 'meson' ? MESON_LOG : stageJunit(spec)!;
  let content: string;
  try {
    content = await readFile(join(buildDir, file), 'utf8');
  } catch {
    return { tests: [], missing: `the stage wrote no ${file} in the build directory` };
  }
  if (spec.format === 'meson') return { tests: parseMesonTestlog(content) };
  try {
    return { tests: parseJunitXml(content) };
  } catch (error) {
    return { tests: [], missing: `${file} is not JUnit XML: ${(error as Error).message.split('\n')[0]}` };
  }
}
