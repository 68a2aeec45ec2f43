// `matrix doctor`: what this machine has for the matrix (compilers, sysroots,
// qemu, with versions) and the exact apt-get line for what is missing.
// `--install` runs that line when root.
import { EXIT, OrchestratorError } from '../../errors.js';
import { probeToolchain, toolchainPackages, compilerName } from '../../toolchains/toolchain.js';
import { VersionProbe } from '../../toolchains/versions.js';
import { which } from '../../toolchains/which.js';
import { findExpectation } from '../../matrix/cells.js';
import { chooseRunner } from '../../qemu/runner.js';
import { hostMachine, isRoot } from '../../runtime/host.js';
import { runCommand } from '../../runtime/command.js';
import { formatCommand } from '../../runtime/quote.js';
import type { MatrixConfig } from '../../matrix/types.js';
import { loadMatrix } from '../load.js';

interface DoctorRow {
  arch: string;
  toolchain: string;
  compiler: string;
  runner: string;
  ok: boolean;
  missing: string[];
}

export interface DoctorReport {
  host: string;
  rows: DoctorRow[];
  packages: string[];
  install?: string;
}

const HOST_TOOLS: [string, string][] = [['cmake', 'cmake'], ['make', 'make'], ['ninja', 'ninja-build']];

export async function diagnose(config: MatrixConfig): Promise<DoctorReport> {
  const machine = hostMachine();
  const probe = new VersionProbe();
  const rows: DoctorRow[] = [];
  const packages = new Set<string>();
  for (const [tool, pkg] of HOST_TOOLS) if (!which(tool)) packages.add(pkg);
  for (const arch of config.architectures) {
    const runner = chooseRunner(arch, machine);
    let runnerText: string;
    const missing: string[] = [];
    if (runner.kind === 'qemu') {
      runnerText = `${await probe.version(runner.qemu)}${runner.note ? ` (${runner.note})` : ''}`;
      if (runner.note) arch.nativePackages.forEach((p) => packages.add(p));
    } else if (runner.kind === 'native') runnerText = 'native';
    else {
      runnerText = `MISSING: ${runner.reason}`;
      missing.push(runner.reason);
      runner.packages.forEach((p) => packages.add(p));
    }
    for (const toolchain of config.toolchains) {
      // A pair every target skips by matrix.yaml (clang has no such target, bookworm has no gcc-11 for it) needs nothing.
      const skips = config.targets.map((t) => findExpectation(config.expectations, t.name, arch.name, toolchain.name));
      if (skips.length && skips.every((e) => e?.status === 'skip')) {
        rows.push({ arch: arch.name, toolchain: toolchain.name, compiler: `skipped by matrix.yaml: ${skips[0]!.reason}`, runner: runnerText, ok: true, missing: [] });
        continue;
      }
      const tc = probeToolchain(toolchain, arch, machine);
      if (!tc.ok) toolchainPackages(toolchain, arch, machine).forEach((p) => packages.add(p));
      rows.push({
        arch: arch.name,
        toolchain: toolchain.name,
        compiler: tc.compiler ? await probe.version(tc.compiler) : `MISSING: ${compilerName(toolchain, arch)}`,
        runner: runnerText,
        ok: tc.ok && runner.kind !== 'none',
        missing: [...tc.missing, ...missing],
      });
    }
  }
  const list = [...packages].sort();
  return {
    host: machine,
    rows,
    packages: list,
    ...(list.length ? { install: formatCommand(['apt-get', 'install', '-y', '--no-install-recommends', ...list]) } : {}),
  };
}

export async function doctorCommandLine(values: Record<string, string | boolean | undefined>): Promise<number> {
  const { config } = await loadMatrix(values);
  const report = await diagnose(config);
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const w = (s: string) => process.stdout.write(`${s}\n`);
    w(`host: ${report.host}`);
    for (const r of report.rows) {
      w(`${r.ok ? 'ok     ' : 'MISSING'} ${`${r.arch}/${r.toolchain}`.padEnd(18)} ${r.compiler} | runner: ${r.runner}${r.missing.length ? ` | missing: ${r.missing.join('; ')}` : ''}`);
    }
    w(report.install ? `to install what is missing:\n  ${report.install}` : 'everything the matrix needs is installed');
  }
  if (!values.install || report.packages.length === 0) return EXIT.ok;
  if (!isRoot()) {
    throw new OrchestratorError('NOT_ROOT', `--install needs root: run \`sudo ${report.install}\` (after \`sudo apt-get update\`)`);
  }
  for (const argv of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...report.packages]]) {
    process.stdout.write(`$ ${formatCommand(argv)}\n`);
    const r = await runCommand({
      file: argv[0]!,
      args: argv.slice(1),
      cwd: process.cwd(),
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      onOutput: (chunk) => process.stdout.write(chunk),
    });
    if (r.exitCode !== 0) {
      throw new OrchestratorError('IO', `\`${r.command}\` failed (${r.spawnError ?? `exit code ${r.exitCode}`}); see its output above`, { exitCode: EXIT.unexpected });
    }
  }
  const after = await diagnose(config);
  process.stdout.write(after.packages.length ? `still missing: ${after.packages.join(' ')}\n` : 'everything the matrix needs is installed now\n');
  return after.packages.length ? EXIT.unexpected : EXIT.ok;
}
