// Entry point: parse the command line, run one command, map failures to exit
// codes. User mistakes print `E: file:line:col: message` without a stack;
// anything else is a bug and prints with its stack (exit 3).
import { EXIT, OrchestratorError } from '../errors.js';
import { helpText, parseCommandLine } from './args.js';
import { StopRequests } from './signals.js';

export async function main(argv: string[]): Promise<number> {
  // The one place that ends the process early: a second stop signal.
  const stop = new StopRequests((code) => process.exit(code));
  try {
    // The step `git bisect run` calls back into (internal, not in --help).
    if (argv[0] === '__bisect-step') return await (await import('./commands/bisect.js')).bisectStep(argv.slice(1));
    const { command, values, positionals } = parseCommandLine(argv);
    if (command === 'help' || values.help) {
      process.stdout.write(`${helpText(command === 'help' ? undefined : command)}\n`);
      return EXIT.ok;
    }
    switch (command) {
      case 'run':
        stop.install();
        return await (await import('./commands/run.js')).runCommandLine(values, stop);
      case 'list':
        return await (await import('./commands/list.js')).listCommandLine(values);
      case 'doctor':
        return await (await import('./commands/doctor.js')).doctorCommandLine(values);
      case 'report':
        return await (await import('./commands/report.js')).reportCommandLine(values);
      case 'merge':
        return await (await import('./commands/merge.js')).mergeCommandLine(values, positionals);
      case 'ci':
        return await (await import('./commands/ci.js')).ciCommandLine(values, positionals);
      case 'repro':
        stop.install();
        return await (await import('./commands/repro.js')).reproCommandLine(values, positionals, stop);
      case 'init':
        return await (await import('./commands/init.js')).initCommandLine(values, positionals);
      case 'bisect':
        stop.install();
        return await (await import('./commands/bisect.js')).bisectCommandLine(values, positionals, stop);
      default:
        throw new OrchestratorError('USAGE', `unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof OrchestratorError) {
      process.stderr.write(`E: ${error.format()}\n`);
      return error.exitCode;
    }
    process.stderr.write(`E: internal error (a bug in matrix, please report it):\n${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  } finally {
    stop.dispose();
  }
}
