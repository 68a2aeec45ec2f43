// Loading what every command needs: the matrix file and the selection.
import { dirname, join, resolve } from 'node:path';

import { OrchestratorError } from '../errors.js';
import type { Selection } from '../matrix/cells.js';
import { loadMatrixFileWithHash } from '../matrix/config.js';
import { checkPathsExist } from '../matrix/paths-exist.js';
import { applyProfile } from '../matrix/profiles.js';
import { nearest as nearestName } from '../matrix/suggest.js';
import type { MatrixConfig } from '../matrix/types.js';
import { list } from './args.js';

export interface LoadedMatrix {
  config: MatrixConfig;
  hash: string;
}

/** `checkPaths: false` for commands that only read the matrix (writing a CI workflow). */
export async function loadMatrix(values: Record<string, string | boolean | undefined>, options: { checkPaths?: boolean } = {}): Promise<LoadedMatrix> {
  const file = resolve(typeof values.config === 'string' ? values.config : 'matrix.yaml');
  const loaded = await loadMatrixFileWithHash(file);
  if (options.checkPaths !== false) checkPathsExist(loaded.config);
  return { ...loaded, config: applyProfile(loaded.config, typeof values.profile === 'string' ? values.profile : undefined) };
}

/** --arch/--toolchain/--target, each name checked against the matrix. */
export function selectionFrom(values: Record<string, string | boolean | undefined>, config: MatrixConfig): Selection {
  const selection: Selection = {};
  const axes = [
    ['arch', config.architectures.map((a) => a.name)],
    ['toolchain', config.toolchains.map((t) => t.name)],
    ['target', config.targets.map((t) => t.name)],
  ] as const;
  for (const [axis, known] of axes) {
    const names = list(values[axis]);
    if (!names) continue;
    for (const name of names) {
      if (!known.includes(name)) {
        const near = nearestName(name, known);
        throw new OrchestratorError('USAGE', `--${axis}: unknown ${axis} "${name}"${near ? `; did you mean "${near}"?` : ''} (known: ${known.join(', ')})`);
      }
    }
    selection[axis] = names;
  }
  return selection;
}

/**
 * The report directory, one rule for run, report and merge: an explicit --out
 * is relative to the current directory; the default is reports/ beside the
 * matrix file (--config, else ./matrix.yaml).
 */
export function defaultOutDir(values: Record<string, string | boolean | undefined>): string {
  if (typeof values.out === 'string') return resolve(values.out);
  return join(dirname(resolve(typeof values.config === 'string' ? values.config : 'matrix.yaml')), 'reports');
}
