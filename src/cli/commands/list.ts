// `matrix list`: the cells, and for each how it would run here or why not.
import { expandMatrix, selectCells } from '../../matrix/cells.js';
import { probeToolchain } from '../../toolchains/toolchain.js';
import { planCell } from '../../stages/plan.js';
import { defaultCacheDir } from '../../stages/run-matrix.js';
import { hostMachine } from '../../runtime/host.js';
import { which } from '../../toolchains/which.js';
import { EXIT } from '../../errors.js';
import { loadMatrix, selectionFrom } from '../load.js';

export interface CellListing {
  id: string;
  arch: string;
  toolchain: string;
  target: string;
  runner: string;
  willRun: boolean;
  reason?: string;
  expectation?: { status: string; stage?: string; reason: string; link?: string };
  stages: { name: string; command: string[]; blocked?: string }[];
}

export async function listCommandLine(values: Record<string, string | boolean | undefined>): Promise<number> {
  const { config } = await loadMatrix(values);
  const machine = hostMachine();
  const ctx = { config, cacheDir: defaultCacheDir(config), host: { machine, generator: which('ninja') ? ['-G', 'Ninja'] : [] }, options: { buildParallel: 1 } };
  const { excluded } = selectCells(expandMatrix(config), selectionFrom(values, config));
  const excludedReason = new Map(excluded.map((e) => [e.cell.id, e.reason]));
  const listings: CellListing[] = expandMatrix(config).map((cell) => {
    const plan = planCell(cell, ctx);
    const tc = probeToolchain(cell.toolchain, cell.arch, machine);
    let reason = excludedReason.get(cell.id);
    if (!reason && cell.expectation?.status === 'skip') reason = `skipped by matrix.yaml: ${cell.expectation.reason}`;
    if (!reason && plan.runner.kind === 'none') reason = `cannot run here: ${plan.runner.reason}`;
    if (!reason && !tc.ok) reason = `cannot build here: missing ${tc.missing.join('; ')}`;
    const runner = plan.runner.kind === 'qemu' ? `qemu (${plan.runner.qemu} -L ${plan.runner.sysroot})${plan.runner.note ? `; ${plan.runner.note}` : ''}` : plan.runner.kind === 'native' ? 'native' : 'none';
    return {
      id: cell.id,
      arch: cell.arch.name,
      toolchain: cell.toolchain.name,
      target: cell.target.name,
      runner,
      willRun: reason === undefined,
      ...(reason ? { reason } : {}),
      ...(cell.expectation ? { expectation: { status: cell.expectation.status, stage: cell.expectation.stage, reason: cell.expectation.reason, link: cell.expectation.link } } : {}),
      stages: plan.stages.map((s) => ({ name: s.spec.name, command: s.argv, ...(s.blocked ? { blocked: s.blocked } : {}) })),
    };
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ host: machine, cells: listings }, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...listings.map((l) => l.id.length));
  for (const l of listings) {
    const expect = l.expectation ? ` [${l.expectation.status}${l.expectation.stage ? ` at ${l.expectation.stage}` : ''}: ${l.expectation.reason}]` : '';
    process.stdout.write(`${l.id.padEnd(width)}  ${l.willRun ? l.runner : `SKIP: ${l.reason}`}${expect}\n`);
  }
  const runnable = listings.filter((l) => l.willRun).length;
  process.stdout.write(`${listings.length} cells, ${runnable} would run on this ${machine} host\n`);
  return EXIT.ok;
}
