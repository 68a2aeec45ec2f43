// `matrix bisect CELL --good REV [--bad REV]`: the first commit where a cell's
// failing stage broke. Runs in a temporary git worktree (the user's checkout,
// index and bisect state are never touched), with `git bisect run` calling
// back into matrix for each commit. A commit whose cell cannot reach the
// failing stage (probe, configure or build broke for another reason, no
// matrix.yaml) is skipped, not called bad. The worktree goes away at the end,
// also after Ctrl-C.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { EXIT, OrchestratorError } from '../errors.js';
import { runCommand, type CommandResult } from '../runtime/command.js';
import type { ProcessGroupRegistry } from '../runtime/process-groups.js';
import type { CellResult } from '../results/types.js';

/** What `git bisect run` understands: 0 good, 1 bad, 125 skip this commit. */
export const STEP = { good: 0, bad: 1, skip: 125 } as const;

export interface BisectInput {
  configFile: string;
  cellId: string;
  /** The stage whose failure is bisected (from a first run at the bad commit when not given). */
  stage: string;
  good: string;
  bad: string;
  signal: AbortSignal;
  registry: ProcessGroupRegistry;
  /** Progress lines for the user. */
  say(line: string): void;
}

export interface BisectResult {
  firstBad?: { sha: string; subject: string };
  /** Candidates when skipped commits hide the answer. */
  candidates?: string[];
  steps: string[];
}

const MATRIX_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/matrix.js');

async function git(args: string[], cwd: string, input: Pick<BisectInput, 'signal' | 'registry'>, timeoutMs = 60_000): Promise<CommandResult> {
  return runCommand({ file: 'git', args, cwd, timeoutMs, signal: input.signal, registry: input.registry });
}

async function gitOk(args: string[], cwd: string, input: Pick<BisectInput, 'signal' | 'registry'>): Promise<string> {
  const r = await git(args, cwd, input);
  if (r.canceled) throw new OrchestratorError('USAGE', 'interrupted', { exitCode: EXIT.interrupted });
  if (r.exitCode !== 0) throw new OrchestratorError('USAGE', `git ${args.join(' ')} failed: ${r.output.trim().split('\n').pop() ?? `exit code ${r.exitCode}`}`);
  return r.stdout.trim();
}

/** The classification of one commit's run of the cell, as `git bisect run` needs it. */
export function stepVerdict(cell: Pick<CellResult, 'status' | 'stage' | 'firstError' | 'reason'> | undefined, stage: string): { code: number; why: string } {
  if (!cell) return { code: STEP.skip, why: 'the cell does not exist at this commit' };
  const raw = cell.status === 'xfail' ? 'fail' : cell.status;
  if (raw === 'pass' || raw === 'flaky' || raw === 'xpass') return { code: STEP.good, why: cell.status };
  if ((raw === 'fail' || raw === 'timeout') && cell.stage === stage) return { code: STEP.bad, why: `${raw} at ${stage}: ${cell.firstError ?? ''}` };
  return { code: STEP.skip, why: `cannot test ${stage} here: ${raw}${cell.stage ? ` at ${cell.stage}` : ''}: ${cell.firstError ?? cell.reason ?? ''}` };
}

/** Runs the cell once at the bad commit: the stage it fails at is the one to bisect. */
async function failingStage(worktree: string, rel: string, cache: string, input: BisectInput): Promise<string> {
  const r = await runCommand({
    file: process.execPath,
    args: [MATRIX_BIN, '__bisect-step', '--config', join(worktree, rel), '--cell', input.cellId, '--stage', '', '--cache', cache],
    cwd: worktree,
    signal: input.signal,
    registry: input.registry,
  });
  if (r.canceled) throw new OrchestratorError('USAGE', 'interrupted: the repository and its worktrees are as they were', { exitCode: EXIT.interrupted });
  const m = /^bisect failing-stage: (\S+)$/m.exec(r.output);
  if (!m) {
    const line = /^bisect step: (.*)$/m.exec(r.output)?.[1] ?? r.output.trim().split('\n').pop() ?? '';
    throw new OrchestratorError('USAGE', `${input.cellId} does not fail at --bad ${input.bad}, nothing to bisect (${line})`);
  }
  return m[1]!;
}

export async function bisect(input: BisectInput): Promise<BisectResult> {
  const configDir = dirname(input.configFile);
  const top = await gitOk(['rev-parse', '--show-toplevel'], configDir, input).catch(() => {
    throw new OrchestratorError('USAGE', `${input.configFile} is not inside a git repository: matrix bisect needs one`);
  });
  const rel = relative(top, input.configFile);
  const good = await gitOk(['rev-parse', '--verify', '--quiet', `${input.good}^{commit}`], top, input).catch(() => {
    throw new OrchestratorError('USAGE', `--good ${input.good} is not a commit of ${top}`);
  });
  const bad = await gitOk(['rev-parse', '--verify', '--quiet', `${input.bad}^{commit}`], top, input).catch(() => {
    throw new OrchestratorError('USAGE', `--bad ${input.bad} is not a commit of ${top}`);
  });
  const tmp = await mkdtemp(join(tmpdir(), 'matrix-bisect-'));
  const worktree = join(tmp, 'worktree');
  const cache = join(tmp, 'cache');
  let added = false;
  try {
    await gitOk(['worktree', 'add', '--detach', '--quiet', worktree, bad], top, input);
    added = true;
    const stage = input.stage || (await failingStage(worktree, rel, cache, input));
    input.say(`bisecting ${input.cellId} at ${stage} between ${good.slice(0, 12)} (good) and ${bad.slice(0, 12)} (bad)`);
    await gitOk(['bisect', 'start', bad, good], worktree, input);
    const run = await runCommand({
      file: 'git',
      args: ['bisect', 'run', process.execPath, MATRIX_BIN, '__bisect-step', '--config', join(worktree, rel), '--cell', input.cellId, '--stage', stage, '--cache', cache],
      cwd: worktree,
      signal: input.signal,
      registry: input.registry,
      onOutput: (chunk) => {
        for (const line of chunk.split('\n')) if (line.startsWith('bisect step: ')) input.say(line.slice('bisect step: '.length));
      },
    });
    if (run.canceled) throw new OrchestratorError('USAGE', 'interrupted: the repository and its worktrees are as they were', { exitCode: EXIT.interrupted });
    const steps = run.output.split('\n').filter((l) => l.startsWith('bisect step: ')).map((l) => l.slice('bisect step: '.length));
    const found = /^([0-9a-f]{40}) is the first bad commit$/m.exec(run.stdout);
    if (found) {
      const sha = found[1]!;
      const subject = await gitOk(['log', '-1', '--format=%s', sha], top, input);
      return { firstBad: { sha, subject }, steps };
    }
    const skipped = /There are only 'skip'ped commits left to test\.\nThe first bad commit could be any of:\n((?:[0-9a-f]{40}\n)+)/.exec(run.stdout);
    if (skipped) return { candidates: skipped[1]!.trim().split('\n'), steps };
    throw new OrchestratorError('USAGE', `git bisect run did not find a first bad commit: ${run.output.trim().split('\n').slice(-3).join(' | ')}`);
  } finally {
    // Leave the repository as it was: no bisect state, no worktree, no temp files.
    const cleanup = { signal: new AbortController().signal, registry: input.registry };
    if (added) {
      await git(['bisect', 'reset', '--quiet'], worktree, cleanup).catch(() => undefined);
      await git(['worktree', 'remove', '--force', worktree], top, cleanup).catch(() => undefined);
    }
    await rm(tmp, { recursive: true, force: true });
    await git(['worktree', 'prune'], top, cleanup).catch(() => undefined);
  }
}
