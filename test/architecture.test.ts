// The source tree's shape, checked: lower layers never import higher ones, the
// import graph has no cycle (dpdm), and src/ has no copied block (jscpd).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

import { REPO } from './helpers/workspace.js';

const SRC = join(REPO, 'src');

/** Each top-level part of src/ and its layer: a module may import only its own layer or lower ones. */
export const LAYERS: Record<string, number> = {
  'errors.ts': 0,
  runtime: 1,
  matrix: 2,
  results: 3,
  formats: 3,
  toolchains: 4,
  qemu: 4,
  copyjit: 4,
  addon: 4,
  cache: 5,
  stages: 6,
  history: 7,
  reporters: 7,
  merge: 7,
  triage: 7,
  ci: 7,
  bench: 8,
  cli: 8,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const part = (file: string): string => relative(SRC, file).split('/')[0]!;

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*'(\.[^']+)'/g), ...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1]!);
  return specs.map((s) => normalize(join(dirname(file), s.replace(/\.js$/, '.ts'))));
}

describe('architecture', () => {
  it('knows the layer of every part of src/', () => {
    const parts = [...new Set(files(SRC).map(part))].sort();
    expect(parts.filter((p) => LAYERS[p] === undefined)).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    const wrong: string[] = [];
    for (const file of files(SRC)) {
      const from = part(file);
      for (const target of imports(file)) {
        const to = part(target);
        if (LAYERS[to]! > LAYERS[from]!) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, target)} (${from} is layer ${LAYERS[from]}, ${to} is ${LAYERS[to]})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import cycle (dpdm)', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'node_modules/dpdm/lib/bin/dpdm.js'), '--no-warning', '--no-tree', '--exit-code', 'circular:1', 'src/**/*.ts'], { cwd: REPO, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/no circular dependency/);
    expect(r.status).toBe(0);
  }, 60_000);

  it('has no copied block in src/ (jscpd)', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'node_modules/jscpd/bin/jscpd'), '--silent', '--min-lines', '8', '--min-tokens', '70', '--reporters', 'json', '--output', join(REPO, 'test-artifacts/jscpd'), '--format', 'typescript', 'src'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(REPO, 'test-artifacts/jscpd/jscpd-report.json'), 'utf8')) as { duplicates: { firstFile: { name: string; start: number }; secondFile: { name: string; start: number } }[] };
    expect(report.duplicates.map((d) => `${d.firstFile.name}:${d.firstFile.start} ~ ${d.secondFile.name}:${d.secondFile.start}`)).toEqual([]);
  }, 60_000);
});
