// The RunResults a run of the synthetic matrix (synthetic-matrix.ts) records, made
// without running it: every cell with the stages, commands, per-test counts,
// failing tests, log excerpts and retries the engine writes (shaped after a real
// run of that matrix), then root-cause groups and a one-run history as
// finishReports adds them. For rendering the reports at scale (the browser test,
// sizes) in milliseconds instead of a run of minutes.
import { appendRun, emptyHistory, historyRun, insights } from '../history/history.js';
import { groupRootCauses } from '../results/groups.js';
import { summarize } from '../results/status.js';
import type { CellResult, RunResults, StageResult, TestCaseResult } from '../results/types.js';
import { SCHEMA_VERSION } from '../results/types.js';
import { logExcerpt } from '../stages/classify.js';
import { archName, plannedFailures, SYNTHETIC_STAGES, TARGET, toolchainName, type PlannedFailure, type SyntheticShape } from './synthetic-matrix.js';

const ROOT = '/srv/matrix';
const CACHE = `${ROOT}/.matrix-cache`;
const COMPILER = 'x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0';

/** A deterministic hex string (no crypto: the same shape gives the same bytes). */
function hex(seed: string, length: number): string {
  let h = 2166136261;
  let out = '';
  while (out.length < length) {
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
    seed += out.length;
  }
  return out.slice(0, length);
}

function tapLines(stage: string, count: number, bad: number): string[] {
  const lines = [`1..${count}`];
  for (let i = 1; i <= count; i++) {
    if (i > count - bad) lines.push(`not ok ${i} - ${stage} case ${i}`, '  ---', `  message: '${stage} case ${i}: expected 0x${i}, got 0x0'`, `  at: ${stage}.c:${i}`, '  ...');
    else lines.push(`ok ${i} - ${stage} case ${i}`);
  }
  return lines;
}

/** The last lines of a log, as the engine keeps them for a failing stage. */
const tail = (lines: string[]): string => logExcerpt(lines.join('\n'));

function runStage(id: string, cellName: string, spec: (typeof SYNTHETIC_STAGES)[number], failure: PlannedFailure | undefined, ms: number): StageResult {
  const build = `${CACHE}/build/${id}`;
  const base: StageResult = {
    name: spec.name,
    kind: 'test',
    status: 'pass',
    command: `${build}/bin/tap ${ROOT}/targets/${TARGET}/failures.txt ${cellName} ${spec.name} ${spec.tests}`,
    cwd: `.matrix-cache/build/${id}`,
    exitCode: 0,
    durationMs: ms,
    attempts: 1,
    log: `logs/${id}/${spec.name}.log`,
    timeLimit: { seconds: 60 },
  };
  const counts = (ok: number, failed: number) => ({ total: ok + failed, ok, failed, skipped: 0, todo: 0 });
  const mode = failure?.mode ?? '';
  if (!failure) {
    if (spec.tests === 0) return base;
    const tests: TestCaseResult[] = Array.from({ length: spec.tests }, (_, i) => ({ name: `${spec.name} case ${i + 1}`, ok: true }));
    // As classify.ts recordTests: every test of a small stage, only the count of a large one.
    return { ...base, ...(spec.tests <= 50 ? { tests } : {}), testCounts: counts(spec.tests, 0), testsPlanned: spec.tests };
  }
  let failed: Partial<StageResult>;
  if (mode.startsWith('fail:')) {
    const bad = Number(mode.slice(5));
    const all = Array.from({ length: spec.tests }, (_, i): TestCaseResult => (i >= spec.tests - bad ? { name: `${spec.name} case ${i + 1}`, ok: false, message: `${spec.name} case ${i + 1}: expected 0x${i + 1}, got 0x0` } : { name: `${spec.name} case ${i + 1}`, ok: true }));
    const first = all.find((t) => !t.ok)!;
    failed = {
      firstError: `not ok - ${first.name}: ${first.message}${bad > 1 ? ` (+${bad - 1} more not ok: ${Array(bad - 1).fill(spec.name).join(', ')})` : ''}`,
      tests: spec.tests <= 50 ? all : all.filter((t) => !t.ok),
      testCounts: counts(spec.tests - bad, bad),
      testsPlanned: spec.tests,
      excerpt: tail(tapLines(spec.name, spec.tests, bad)),
    };
  } else if (mode.startsWith('crash:')) {
    const ran = Number(mode.slice(6));
    const last = `# ${spec.name}: about to crash after ${ran} tests`;
    failed = {
      exitCode: undefined,
      signal: 'SIGSEGV',
      firstError: `crashed with SIGSEGV: only ${ran} of ${spec.tests} planned tests ran (last: ${spec.name} case ${ran}); last output: ${JSON.stringify(last)}`,
      tests: Array.from({ length: ran }, (_, i) => ({ name: `${spec.name} case ${i + 1}`, ok: true })),
      testCounts: counts(ran, 0),
      testsPlanned: spec.tests,
      excerpt: tail([`1..${spec.tests}`, ...tapLines(spec.name, ran, 0).slice(1), last]),
    };
  } else {
    failed = { firstError: 'expected output "ok", got "wrong"', excerpt: 'wrong' };
  }
  const stage: StageResult = { ...base, status: 'fail', ...failed, attempts: 2, log: `logs/${id}/${spec.name}.1.log` };
  if (stage.exitCode === undefined) delete stage.exitCode;
  stage.tries = [1, 2].map((attempt) => ({
    attempt,
    status: 'fail' as const,
    ...(stage.signal ? { signal: stage.signal } : { exitCode: 0 }),
    firstError: stage.firstError!,
    durationMs: ms,
    log: `logs/${id}/${spec.name}${attempt === 1 ? '' : '.1'}.log`,
  }));
  return stage;
}

function reproducer(id: string, cellName: string): string {
  const build = `"$PWD"/.matrix-cache/build/${id}`;
  const runs = SYNTHETIC_STAGES.map((s) => {
    const line = `bin/tap ../../../targets/${TARGET}/failures.txt ${cellName} ${s.name} ${s.tests}`;
    return s.tests ? line : `test "$(${line})" = ok`;
  });
  return [
    `mkdir -p ${build}`,
    `make -C ${build} -f "$PWD"/targets/${TARGET}/Makefile MATRIX_SRCDIR="$PWD"/targets/${TARGET} CC=x86_64-linux-gnu-gcc MATRIX_CFLAGS= MATRIX_LDFLAGS= -j1`,
    `cd ${build}`,
    ...runs,
  ].join(' && ');
}

function cellResult(i: number, j: number, failure: PlannedFailure | undefined, expectation: { xfail?: string; skip?: string }): CellResult {
  const arch = archName(i);
  const toolchain = toolchainName(j);
  const cellName = `${arch}-${toolchain}`;
  const id = `${TARGET}-${cellName}`;
  const ms = (k: number) => 15 + ((i * 7 + j * 13 + k * 5) % 30);
  const common = {
    id,
    arch,
    toolchain,
    target: TARGET,
    runner: 'native' as const,
    bits: (i % 2 ? 32 : 64) as 32 | 64,
    reproducer: reproducer(id, cellName),
    rerun: `npx matrix run --target ${TARGET} --arch ${arch} --toolchain ${toolchain} --no-cache`,
    cached: false,
  };
  if (expectation.skip) return { ...common, status: 'skip', reason: expectation.skip, versions: {}, durationMs: 0, stages: [], attempts: 0 };
  const stages: StageResult[] = [
    { name: 'probe', kind: 'probe', status: 'pass', durationMs: 0 },
    {
      name: 'build',
      kind: 'build',
      status: 'pass',
      command: `make -C ${CACHE}/build/${id} -f ${ROOT}/targets/${TARGET}/Makefile MATRIX_SRCDIR=${ROOT}/targets/${TARGET} CC=x86_64-linux-gnu-gcc MATRIX_CFLAGS= MATRIX_LDFLAGS= -j1`,
      cwd: ROOT,
      exitCode: 0,
      durationMs: ms(0) + 20,
      log: `logs/${id}/build.log`,
    },
    {
      name: 'runner-check',
      kind: 'check',
      status: 'pass',
      command: `${CACHE}/canary/${cellName}/canary print ${hex(id, 12)} ; ${CACHE}/canary/${cellName}/canary crash`,
      durationMs: ms(1),
    },
  ];
  let decided: StageResult | undefined;
  for (const [k, spec] of SYNTHETIC_STAGES.entries()) {
    const s = runStage(id, cellName, spec, failure?.stage === spec.name ? failure : undefined, ms(k + 2));
    stages.push(s);
    if (s.status !== 'pass') {
      decided = s;
      break;
    }
  }
  const durationMs = stages.reduce((sum, s) => sum + s.durationMs * (s.tries?.length ?? 1), 0) + 200;
  const inputs = { compiler: COMPILER, entry: hex(`entry${id}`, 12), sources: hex('sources', 12), engine: hex('engine', 12) };
  const ran = { ...common, versions: { compiler: COMPILER }, durationMs, stages, inputHash: hex(`input${id}`, 64), inputs };
  if (!decided) return { ...ran, status: 'pass', stage: stages.at(-1)!.name, attempts: 1 };
  return {
    ...ran,
    status: expectation.xfail ? 'xfail' : 'fail',
    stage: decided.name,
    ...(decided.signal ? { signal: decided.signal } : {}),
    firstError: decided.firstError!,
    ...(expectation.xfail ? { reason: expectation.xfail } : {}),
    attempts: 2,
  };
}

/** The results of a cold run of the synthetic matrix of `shape`, groups and history included. */
export function syntheticResults(shape: Pick<SyntheticShape, 'arches' | 'toolchains'>, startedAt = new Date('2026-12-01T06:00:00.000Z')): RunResults {
  const failures = plannedFailures(shape);
  const xfail = failures.at(-1)!;
  const byCell = new Map(failures.map((f) => [`${f.arch}-${f.toolchain}`, f]));
  const cells: CellResult[] = [];
  for (let i = 0; i < shape.arches; i++) {
    for (let j = 0; j < shape.toolchains; j++) {
      const name = `${archName(i)}-${toolchainName(j)}`;
      const expectation = {
        ...(name === `${xfail.arch}-${xfail.toolchain}` ? { xfail: 'synthetic: expected to fail' } : {}),
        ...(i === shape.arches - 1 && j === shape.toolchains - 1 ? { skip: 'synthetic: not run here' } : {}),
      };
      cells.push(cellResult(i, j, byCell.get(name), expectation));
    }
  }
  const durationMs = Math.round(cells.reduce((s, c) => s + c.durationMs, 0) / 2);
  const results: RunResults = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'matrix', version: '0.1.0' },
    matrixHash: hex('matrix', 64),
    matrixFile: `${ROOT}/matrix.yaml`,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + durationMs).toISOString(),
    durationMs,
    complete: true,
    host: { machine: 'x86_64', platform: 'linux', release: '6.1.0', cpus: 2, cpuModel: 'AMD EPYC', memoryBytes: 25275973632, node: 'v22.23.3' },
    options: { jobs: 2, retries: 1, timeout: 60, cache: true, selection: {} },
    summary: summarize(cells),
    cells,
  };
  const withGroups = { ...results, groups: groupRootCauses(cells) };
  return { ...withGroups, history: insights(appendRun(emptyHistory(), historyRun(withGroups))) };
}
