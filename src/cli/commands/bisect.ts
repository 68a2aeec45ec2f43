// `matrix bisect CELL --good REV [--bad REV] [--stage S]`, and the step that
// `git bisect run` calls for each commit (`matrix __bisect-step`, internal).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { EXIT, OrchestratorError } from '../../errors.js';
import { loadMatrixFileWithHash } from '../../matrix/config.js';
import { ProcessGroupRegistry } from '../../runtime/process-groups.js';
import { runMatrix } from '../../stages/run-matrix.js';
import { bisect, STEP, stepVerdict } from '../../triage/bisect.js';
import { resolveCell } from '../../triage/cell-name.js';
import { loadMatrix } from '../load.js';
import type { StopRequests } from '../signals.js';

export async function bisectCommandLine(values: Record<string, string | boolean | undefined>, positionals: string[], stop: StopRequests): Promise<number> {
  const [name] = positionals;
  if (!name) throw new OrchestratorError('USAGE', 'matrix bisect needs a cell: matrix bisect CELL --good REV [--bad REV]');
  if (typeof values.good !== 'string') throw new OrchestratorError('USAGE', 'matrix bisect needs --good REV: a commit where the cell passed');
  const { config } = await loadMatrix(values);
  const cell = resolveCell(config, name);
  const registry = new ProcessGroupRegistry();
  const release = stop.onForcedExit(() => registry.killAllNow());
  try {
    const result = await bisect({
      configFile: config.file,
      cellId: cell.id,
      stage: typeof values.stage === 'string' ? values.stage : '',
      good: values.good,
      bad: typeof values.bad === 'string' ? values.bad : 'HEAD',
      signal: stop.signal,
      registry,
      say: (line) => process.stderr.write(`${line}\n`),
    });
    if (result.firstBad) {
      process.stdout.write(`first bad commit: ${result.firstBad.sha} ${result.firstBad.subject}\n`);
      return EXIT.ok;
    }
    process.stdout.write(`the first bad commit is one of these (the others between could not be tested):\n${(result.candidates ?? []).map((c) => `  ${c}`).join('\n')}\n`);
    return EXIT.unexpected;
  } finally {
    release();
    registry.killAllNow();
  }
}

/** One commit of a bisect: run the cell, exit 0 good, 1 bad, 125 skip (see triage/bisect.ts). */
export async function bisectStep(argv: string[]): Promise<number> {
  const arg = (flag: string): string => {
    const i = argv.indexOf(flag);
    return i >= 0 ? (argv[i + 1] ?? '') : '';
  };
  const file = resolve(arg('--config'));
  const cellId = arg('--cell');
  const stage = arg('--stage');
  const say = (line: string) => process.stderr.write(`bisect step: ${line}\n`);
  if (!existsSync(file)) {
    say(`skip: no ${file} at this commit`);
    return STEP.skip;
  }
  let config;
  try {
    config = (await loadMatrixFileWithHash(file)).config;
  } catch (error) {
    say(`skip: matrix.yaml does not load here: ${(error as Error).message}`);
    return STEP.skip;
  }
  let cell;
  try {
    cell = resolveCell(config, cellId);
  } catch {
    say(`skip: no cell ${cellId} at this commit`);
    return STEP.skip;
  }
  const results = await runMatrix({
    config,
    matrixHash: '',
    selection: { arch: [cell.arch.name], toolchain: [cell.toolchain.name], target: [cell.target.name] },
    options: { jobs: 1, retries: 0, timeout: config.defaults.timeout, cache: false, verbose: false, buildParallel: 2 },
    cacheDir: arg('--cache'),
  });
  const result = results.cells.find((c) => c.id === cell.id);
  if (!stage) {
    // Discovery at the bad commit: which stage fails?
    if (result && (result.status === 'fail' || result.status === 'timeout' || result.status === 'xfail') && result.stage) {
      process.stderr.write(`bisect failing-stage: ${result.stage}\n`);
      return STEP.bad;
    }
    say(`the cell is ${result?.status ?? 'absent'} here`);
    return STEP.good;
  }
  const verdict = stepVerdict(result, stage);
  say(`${verdict.code === STEP.good ? 'good' : verdict.code === STEP.bad ? 'bad' : 'skip'}: ${verdict.why}`);
  return verdict.code;
}
