// `matrix ci github [--shards N] [--output FILE]`: write the nightly workflow.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';

import { renderWorkflow } from '../../ci/github.js';
import { EXIT, OrchestratorError } from '../../errors.js';
import { positiveInt } from '../args.js';
import { loadMatrix } from '../load.js';

export async function ciCommandLine(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const [provider, ...rest] = positionals;
  if (provider !== 'github' || rest.length) {
    throw new OrchestratorError('USAGE', `matrix ci supports one provider: \`matrix ci github [--shards N] [--output FILE]\`${provider && provider !== 'github' ? ` (got "${provider}")` : ''}`);
  }
  // The workflow names matrix.yaml and commands only: the sources need not be here.
  const { config } = await loadMatrix(values, { checkPaths: false });
  const shards = positiveInt('shards', values.shards) ?? 4;
  const output = resolve(config.root, typeof values.output === 'string' ? values.output : '.github/workflows/matrix-nightly.yml');
  // The nightly job runs the nightly profile when matrix.yaml has one: every version and CPU variant.
  const profile = typeof values.profile === 'string' ? values.profile : config.profiles.nightly ? 'nightly' : undefined;
  if (profile && !config.profiles[profile]) await loadMatrix({ ...values, profile }, { checkPaths: false }); // the unknown-profile message
  const text = renderWorkflow({ shards, config: relative(config.root, config.file), ...(profile ? { profile } : {}) });
  await mkdir(dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, output);
  process.stdout.write(`wrote ${output} (${shards} shard jobs${profile ? ` of profile ${profile}` : ''} and a merge job)\n`);
  return EXIT.ok;
}
