// The shape of status.json, stated once: `matrix report` and `matrix merge`
// check what they read against it (validate.ts), and status.schema.json at
// the repository root is this schema as JSON. Unknown extra keys are allowed,
// so an older matrix can read what a newer one adds.
import { Type, type TSchema } from '@sinclair/typebox';

import { STATUS_ORDER } from './status.js';

/** A string that must be one of `values` (one `enum` error when it is not, not one per value). */
const oneOf = (values: readonly string[]) => Type.Unsafe<string>({ type: 'string', enum: [...values] });
const str = Type.String();
const num = Type.Number();
const opt = <T extends TSchema>(s: T) => Type.Optional(s);

const STAGE_STATUSES = ['pass', 'fail', 'timeout', 'error', 'skip'] as const;
const STAGE_KINDS = ['probe', 'configure', 'build', 'test', 'bench', 'check'] as const;
const RUNNERS = ['native', 'qemu', 'none'] as const;

export const TestCaseSchema = Type.Object({ name: str, ok: Type.Boolean(), skipped: opt(Type.Boolean()), todo: opt(Type.Boolean()), message: opt(str) });

export const AttemptSchema = Type.Object({ attempt: num, status: oneOf(STAGE_STATUSES), exitCode: opt(num), signal: opt(str), firstError: opt(str), durationMs: num, log: opt(str) });

export const StageSchema = Type.Object({
  name: str,
  kind: oneOf(STAGE_KINDS),
  status: oneOf(STAGE_STATUSES),
  command: opt(str),
  cwd: opt(str),
  exitCode: opt(num),
  signal: opt(str),
  durationMs: num,
  log: opt(str),
  logTruncated: opt(Type.Boolean()),
  firstError: opt(str),
  excerpt: opt(str),
  tests: opt(Type.Array(TestCaseSchema)),
  testCounts: opt(Type.Object({ total: num, ok: num, failed: num, skipped: num, todo: num })),
  testsPlanned: opt(num),
  attempts: opt(num),
  timeLimit: opt(Type.Object({ seconds: num, base: opt(num), factor: opt(num) })),
  tries: opt(Type.Array(AttemptSchema)),
  interrupted: opt(Type.Boolean()),
  secondOpinion: opt(Type.Object({ runner: str, status: oneOf(STAGE_STATUSES), firstError: opt(str), log: opt(str), verdict: oneOf(['code', 'suspect-emulator', 'inconclusive']) })),
});

export const CellSchema = Type.Object({
  id: str,
  arch: str,
  toolchain: str,
  target: str,
  status: oneOf(STATUS_ORDER),
  stage: opt(str),
  signal: opt(str),
  firstError: opt(str),
  reason: opt(str),
  link: opt(str),
  install: opt(str),
  runner: oneOf(RUNNERS),
  axes: opt(Type.Object({ arch: str, variant: opt(str), toolchain: str, version: opt(str), cpu: opt(str), runnerNote: opt(str) })),
  bits: opt(Type.Union([Type.Literal(32), Type.Literal(64)])),
  versions: Type.Object({ compiler: opt(str), qemu: opt(str), cmake: opt(str) }),
  durationMs: num,
  stages: Type.Array(StageSchema),
  reproducer: str,
  rerun: opt(str),
  inputHash: opt(str),
  changedFiles: opt(Type.Array(str)),
  inputs: opt(Type.Object({ compiler: opt(str), qemu: opt(str), entry: str, sources: str, engine: str })),
  cached: Type.Boolean(),
  attempts: num,
  knownFlaky: opt(Type.Boolean()),
  excluded: opt(oneOf(['filter', 'shard'])),
});

export const ResultsSchema = Type.Object(
  {
    schemaVersion: num,
    tool: Type.Object({ name: Type.Literal('matrix'), version: str }),
    matrixHash: str,
    matrixFile: str,
    startedAt: str,
    finishedAt: str,
    durationMs: num,
    complete: Type.Boolean(),
    host: Type.Object({ machine: str, platform: str, release: str, cpus: num, cpuModel: str, memoryBytes: num, node: str, cpu: opt(Type.Object({})) }),
    options: Type.Object({
      jobs: num,
      retries: num,
      timeout: num,
      cache: Type.Boolean(),
      selection: Type.Record(Type.String(), Type.Array(str)),
      shard: opt(Type.Object({ index: num, count: num })),
    }),
    summary: Type.Object(Object.fromEntries([...STATUS_ORDER, 'total', 'unexpected'].map((k) => [k, num]))),
    cells: Type.Array(CellSchema),
    extras: opt(Type.Object({})),
    history: opt(Type.Object({})),
    groups: opt(Type.Array(Type.Object({}))),
  },
  { title: 'status.json' },
);

/** status.schema.json: the schema with the JSON Schema dialect named. */
export function resultsJsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...JSON.parse(JSON.stringify(ResultsSchema)) };
}
