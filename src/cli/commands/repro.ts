// `matrix repro CELL [--exec]`: a cell's reproducer as a self-contained shell
// script (prepare step, configure, build, the failing stage under its runner,
// with the environment it needs), and with --exec, the script run in a fresh
// scratch build directory with a verdict: did the failure reproduce?
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EXIT } from '../../errors.js';
import { readResults } from '../../results/validate.js';
import { hostMachine } from '../../runtime/host.js';
import { runCommand } from '../../runtime/command.js';
import { ProcessGroupRegistry } from '../../runtime/process-groups.js';
import { quoteArg } from '../../runtime/quote.js';
import { defaultCacheDir } from '../../stages/run-matrix.js';
import { planCell, prepareCommand, reproducerSteps } from '../../stages/plan.js';
import { which } from '../../toolchains/which.js';
import { resolveCell } from '../../triage/cell-name.js';
import type { CellResult } from '../../results/types.js';
import { defaultOutDir, loadMatrix } from '../load.js';
import type { StopRequests } from '../signals.js';

export async function reproCommandLine(values: Record<string, string | boolean | undefined>, positionals: string[], stop: StopRequests): Promise<number> {
  const { config } = await loadMatrix(values);
  const cell = resolveCell(config, positionals[0] ?? '');
  const report = join(defaultOutDir(values), 'status.json');
  const last: CellResult | undefined = existsSync(report) ? (await readResults(report)).cells.find((c) => c.id === cell.id) : undefined;
  // The stage to reproduce: the one that decided the last run, when it was a run stage.
  const failing = last && last.status !== 'pass' && last.stage && cell.target.stages.some((s) => s.name === last.stage) ? last.stage : undefined;
  const exec = values.exec === true;
  const cacheDir = exec ? await mkdtemp(join(tmpdir(), 'matrix-repro-')) : defaultCacheDir(config);
  try {
    const ctx = { config, cacheDir, host: { machine: hostMachine(), generator: which('ninja') ? ['-G', 'Ninja'] : [] }, options: { buildParallel: 2 } };
    const plan = planCell(cell, ctx);
    const steps = reproducerSteps(plan, config.root, failing, prepareCommand(cell.target, ctx));
    const script = [
      '#!/usr/bin/env bash',
      `# ${cell.id}${last ? `: ${last.status}${last.stage ? ` at ${last.stage}` : ''}${last.firstError ? `: ${last.firstError}` : ''}` : ''}`,
      `# Rebuilds and reruns ${failing ? `the ${failing} stage` : 'every run stage'} of this cell outside matrix.`,
      'set -euo pipefail',
      `cd ${quoteArg(config.root)}`,
      ...steps,
      '',
    ].join('\n');
    if (!exec) {
      process.stdout.write(script);
      return EXIT.ok;
    }
    const file = join(cacheDir, 'repro.sh');
    await writeFile(file, script, { mode: 0o755 });
    process.stderr.write(`matrix repro: running ${file} in a fresh build directory (${plan.buildDir})\n`);
    const registry = new ProcessGroupRegistry();
    const release = stop.onForcedExit(() => registry.killAllNow());
    try {
      const r = await runCommand({ file: 'bash', args: [file], cwd: config.root, signal: stop.signal, registry, onOutput: (chunk) => process.stderr.write(chunk) });
      if (r.canceled) return stop.exitCode();
      if (r.exitCode === 0) {
        process.stdout.write(`${cell.id}: did not reproduce: every step passed${last && last.status !== 'pass' ? ` (the last run said ${last.status}${last.stage ? ` at ${last.stage}` : ''})` : ''}\n`);
        return EXIT.ok;
      }
      process.stdout.write(`${cell.id}: reproduced: the script failed (${r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`})${failing ? ` at ${failing} or before` : ''}\n`);
      return EXIT.unexpected;
    } finally {
      release();
      registry.killAllNow();
    }
  } finally {
    if (exec) await rm(cacheDir, { recursive: true, force: true });
  }
}
