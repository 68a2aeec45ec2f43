// The command line as a typed table: each flag once, with its description,
// so parsing, help text and the reproducer all come from the same data.
import { parseArgs } from 'node:util';

import { OrchestratorError } from '../errors.js';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  description: string;
  argument?: string;
  commands: readonly string[];
}

export const FLAGS: readonly FlagSpec[] = [
  { name: 'config', type: 'string', argument: 'FILE', description: 'matrix file (default: ./matrix.yaml)', commands: ['run', 'list', 'doctor', 'report', 'merge', 'ci', 'bisect', 'repro'] },
  { name: 'profile', type: 'string', argument: 'P', description: 'a profile of matrix.yaml (default: quick, when it exists; ci github: nightly)', commands: ['run', 'list', 'repro', 'bisect', 'doctor', 'ci'] },
  { name: 'arch', type: 'string', argument: 'a,b', description: 'only these architectures', commands: ['run', 'list'] },
  { name: 'toolchain', type: 'string', argument: 'a,b', description: 'only these toolchains', commands: ['run', 'list'] },
  { name: 'target', type: 'string', argument: 'a,b', description: 'only these targets', commands: ['run', 'list'] },
  { name: 'shard', type: 'string', argument: 'I/N', description: 'run only shard I of N (balanced by past durations from history.json)', commands: ['run', 'list'] },
  { name: 'jobs', type: 'string', argument: 'N', description: 'cells run at once (default: number of cores)', commands: ['run'] },
  { name: 'retries', type: 'string', argument: 'N', description: 'retries of a failed run stage (default: matrix.yaml defaults.retries)', commands: ['run'] },
  { name: 'timeout', type: 'string', argument: 'S', description: 'seconds per stage (default: matrix.yaml defaults.timeout)', commands: ['run'] },
  { name: 'no-cache', type: 'boolean', description: 'rerun every stage of every cell (builds stay incremental)', commands: ['run'] },
  { name: 'out', type: 'string', argument: 'DIR', description: 'report directory (default: reports/ beside matrix.yaml)', commands: ['run', 'report', 'merge', 'repro'] },
  { name: 'verbose', type: 'boolean', description: "stream each cell's output", commands: ['run'] },
  { name: 'failed', type: 'boolean', description: 'rerun only the cells that were not as expected in the last report in --out (cache bypassed)', commands: ['run'] },
  { name: 'keep-going', type: 'boolean', description: 'run every run stage of a cell after one fails (the first unexpected one still decides)', commands: ['run'] },
  { name: 'json', type: 'boolean', description: 'machine-readable output', commands: ['list', 'doctor'] },
  { name: 'install', type: 'boolean', description: 'install what is missing with apt-get (as root)', commands: ['doctor'] },
  { name: 'shards', type: 'string', argument: 'N', description: 'number of shard jobs in the workflow (default 4)', commands: ['ci'] },
  { name: 'output', type: 'string', argument: 'FILE', description: 'workflow file (default .github/workflows/matrix-nightly.yml)', commands: ['ci'] },
  { name: 'good', type: 'string', argument: 'REV', description: 'a commit where the cell passed', commands: ['bisect'] },
  { name: 'bad', type: 'string', argument: 'REV', description: 'a commit where it fails (default HEAD)', commands: ['bisect'] },
  { name: 'stage', type: 'string', argument: 'S', description: 'the failing stage to bisect (default: the one it fails at on --bad)', commands: ['bisect'] },
  { name: 'exec', type: 'boolean', description: 'run the reproducer in a fresh scratch build directory and say whether the failure reproduced', commands: ['repro'] },
  { name: 'force', type: 'boolean', description: 'overwrite an existing matrix.yaml', commands: ['init'] },
  { name: 'help', type: 'boolean', description: 'show help', commands: ['run', 'list', 'doctor', 'report', 'merge', 'ci', 'bisect', 'repro', 'init'] },
];

export const COMMANDS: Record<string, string> = {
  run: 'build and run the matrix, write the reports',
  list: 'show the cells and how each would run',
  doctor: 'check compilers, sysroots and qemu; print or run the apt-get line',
  report: 'render the reports again from status.json',
  merge: 'combine shard results (matrix merge DIR... [--out DIR]) into one report',
  ci: 'write a CI workflow (matrix ci github): nightly shards, then a merge job',
  bisect: 'find the first bad commit of a cell (matrix bisect CELL --good REV [--bad REV])',
  repro: "print a cell's reproducer as a shell script (matrix repro CELL [--exec])",
  init: 'write a first matrix.yaml for the project in DIR (default .): build system, architectures, test stage',
};

/** Commands that take positional arguments, and how many at least. */
const POSITIONALS: Record<string, number> = { merge: 1, ci: 1, bisect: 1, repro: 1, init: 0 };

export interface ParsedArgs {
  command: string;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') return { command: 'help', values: {}, positionals: [] };
  if (!(command in COMMANDS)) {
    throw new OrchestratorError('USAGE', `unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')} (see matrix --help)`);
  }
  const flags = FLAGS.filter((f) => f.commands.includes(command));
  const options = Object.fromEntries(flags.map((f) => [f.name, { type: f.type }])) as Record<string, { type: 'string' | 'boolean' }>;
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true });
    if (positionals.length && !(command in POSITIONALS)) {
      throw new OrchestratorError('USAGE', `unexpected argument "${positionals[0]}" for matrix ${command} (see matrix ${command} --help)`);
    }
    return { command, values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    if (error instanceof OrchestratorError) throw error;
    throw new OrchestratorError('USAGE', `${(error as Error).message.replace(/\. To specify.*$/s, '')} (see matrix ${command} --help)`);
  }
}

export function list(value: string | boolean | undefined): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

export function positiveInt(name: string, value: string | boolean | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < min) {
    throw new OrchestratorError('USAGE', `--${name} needs an integer >= ${min}, got "${String(value)}"`);
  }
  if (n > max) throw new OrchestratorError('USAGE', `--${name} must be at most ${max}, got ${n}`);
  return n;
}

export function helpText(command?: string): string {
  if (!command || !(command in COMMANDS)) {
    const lines = ['usage: matrix <command> [options]', '', 'commands:'];
    for (const [name, text] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${text}`);
    lines.push('', 'exit codes: 0 every cell as expected, 1 an unexpected result (fail, xpass, timeout, error, flaky),', '            2 usage, configuration or environment error, 3 internal error (a bug), 128+signal interrupted');
    return lines.join('\n');
  }
  const lines = [`usage: matrix ${command} [options]`, '', COMMANDS[command]!, '', 'options:'];
  for (const f of FLAGS.filter((f) => f.commands.includes(command))) {
    lines.push(`  --${f.name}${f.argument ? ` ${f.argument}` : ''}`.padEnd(24) + f.description);
  }
  return lines.join('\n');
}
