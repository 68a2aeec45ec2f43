// The one check of matrix.yaml that needs the file system: the paths it names
// exist. A typo in `source:` is one configuration error (exit 2, file:line:col),
// not sixteen cells failing at configure.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

import { OrchestratorError } from '../errors.js';
import { nearest } from './suggest.js';
import type { MatrixConfig, SourceLocation } from './types.js';

function suggestion(abs: string): string {
  let siblings: string[] = [];
  try {
    siblings = readdirSync(dirname(abs));
  } catch {
    return '';
  }
  const near = nearest(basename(abs), siblings);
  return near ? `; did you mean "${near}"?` : '';
}

function missing(location: SourceLocation, what: string, rel: string, abs: string, root: string): OrchestratorError {
  return new OrchestratorError('CONFIG_INVALID', `${what} "${rel}" does not exist (looked for ${abs}, relative to ${root})${suggestion(abs)}`, { location });
}

export function checkPathsExist(config: MatrixConfig): void {
  for (const tc of config.toolchains) {
    const abs = resolve(config.root, tc.cmakeToolchain);
    if (!existsSync(abs)) throw missing(tc.location, `cmake_toolchain of toolchain "${tc.name}":`, tc.cmakeToolchain, abs, config.root);
  }
  for (const target of config.targets) {
    const abs = resolve(config.root, target.source);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      throw missing(target.location, `source directory of target "${target.name}":`, target.source, abs, config.root);
    }
    const project = target.build === 'cmake' ? 'CMakeLists.txt' : 'Makefile';
    if (!existsSync(resolve(abs, project))) {
      throw new OrchestratorError('CONFIG_INVALID', `target "${target.name}" is built with ${target.build} but ${target.source}/${project} does not exist; fix "build" or "source"`, { location: target.location });
    }
  }
}
