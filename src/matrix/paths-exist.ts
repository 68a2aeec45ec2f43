// The one check of matrix.yaml that needs the file system: the paths it names
// exist. A typo in `source:` is one configuration error (exit 2, file:line:col),
// not sixteen cells failing at configure.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The CMake toolchain files shipped with matrix itself, which any matrix.yaml may use. */
const SHIPPED_TOOLCHAINS = resolve(dirname(fileURLToPath(import.meta.url)), '../../toolchains');

/**
 * Where a matrix.yaml's paths may point: the git repository that holds it
 * (the nearest parent with .git), else the directory that holds it.
 */
export function matrixBoundary(root: string): string {
  for (let d = root; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return root;
  }
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function inside(path: string, dir: string): boolean {
  const rel = relative(real(dir), real(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function outside(location: SourceLocation, what: string, rel: string, abs: string, boundary: string): OrchestratorError {
  return new OrchestratorError(
    'CONFIG_INVALID',
    `${what} "${rel}" is outside the repository (${abs} is not under ${boundary}); a shared matrix.yaml may not build or hash files elsewhere: add "allow_outside: true" to this entry if that is intended`,
    { location },
  );
}

export function checkPathsExist(config: MatrixConfig): void {
  const boundary = matrixBoundary(config.root);
  for (const tc of config.toolchains) {
    if (!tc.cmakeToolchain) continue;
    const abs = resolve(config.root, tc.cmakeToolchain);
    if (!existsSync(abs)) throw missing(tc.location, `cmake_toolchain of toolchain "${tc.name}":`, tc.cmakeToolchain, abs, config.root);
    if (!tc.allowOutside && !inside(abs, boundary) && !inside(abs, SHIPPED_TOOLCHAINS)) {
      throw outside(tc.location, `cmake_toolchain of toolchain "${tc.name}":`, tc.cmakeToolchain, abs, boundary);
    }
  }
  for (const target of config.targets) {
    const abs = resolve(config.root, target.source);
    if (!target.allowOutside) {
      if (!inside(abs, boundary)) throw outside(target.location, `source directory of target "${target.name}":`, target.source, abs, boundary);
      for (const input of target.inputs) {
        const literal = input.split(/[*?[{]/)[0]!;
        const inputAbs = resolve(config.root, literal || '.');
        if (!inside(inputAbs, boundary)) throw outside(target.location, `input of target "${target.name}":`, input, inputAbs, boundary);
      }
    }
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      throw missing(target.location, `source directory of target "${target.name}":`, target.source, abs, config.root);
    }
    const candidates =
      target.build === 'cmake' ? ['CMakeLists.txt'] : target.build === 'meson' ? ['meson.build'] : target.build === 'autotools' ? ['configure'] : target.makefile ? [target.makefile] : ['GNUmakefile', 'makefile', 'Makefile'];
    const project = candidates[candidates.length - 1]!;
    if (!candidates.some((c) => existsSync(resolve(abs, c)))) {
      throw new OrchestratorError('CONFIG_INVALID', `target "${target.name}" is built with ${target.build} but ${target.source}/${project} does not exist; fix "build" or "source"`, { location: target.location });
    }
  }
}
