// A cell's cache key: everything that can change its result. Sources are
// hashed by content; toolchains by their probed version strings.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const IGNORED_DIRS = new Set(['.git', 'node_modules', '.matrix-cache', 'build', 'dist', 'reports']);

/** Files under the given paths (files or directories, `dir/**` allowed), sorted. */
export function listInputFiles(root: string, patterns: readonly string[]): string[] {
  const files = new Set<string>();
  const excluded = patterns.filter((p) => p.startsWith('!')).map((p) => resolve(root, p.slice(1).replace(/\/\*\*$/, '')));
  const walk = (path: string) => {
    if (excluded.some((ex) => path === ex || path.startsWith(`${ex}/`))) return;
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(path)) {
        if (IGNORED_DIRS.has(entry)) continue;
        walk(join(path, entry));
      }
    } else if (st.isFile()) files.add(path);
  };
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) continue;
    walk(resolve(root, pattern.replace(/\/\*\*$/, '')));
  }
  return [...files].sort();
}

/** Content hash of files, with their paths relative to root. Memoised per run. */
export class SourceHasher {
  private readonly memo = new Map<string, string>();
  private readonly files = new Map<string, Record<string, string>>();

  constructor(private readonly root: string) {}

  hash(patterns: readonly string[]): string {
    const key = patterns.join('\0');
    const hit = this.memo.get(key);
    if (hit) return hit;
    const h = createHash('sha256');
    for (const [path, digest] of Object.entries(this.fileHashes(patterns))) h.update(path).update('\0').update(digest).update('\0');
    const digest = h.digest('hex');
    this.memo.set(key, digest);
    return digest;
  }

  /** Each input file's content hash, by path relative to root (to say which files changed). */
  fileHashes(patterns: readonly string[]): Record<string, string> {
    const key = patterns.join('\0');
    let hit = this.files.get(key);
    if (!hit) {
      hit = {};
      for (const file of listInputFiles(this.root, patterns)) hit[relative(this.root, file)] = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
      this.files.set(key, hit);
    }
    return hit;
  }
}

/** Files added, removed or changed between two fileHashes() maps, sorted. */
export function changedFiles(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [path, digest] of Object.entries(after)) if (before[path] !== digest) out.push(before[path] === undefined ? `${path} (new)` : path);
  for (const path of Object.keys(before)) if (!(path in after)) out.push(`${path} (removed)`);
  return out.sort();
}

export function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** Drop `location` fields: where a key sits in matrix.yaml does not change a result. */
export function withoutLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocations);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'location') out[k] = withoutLocations(v);
    return out;
  }
  return value;
}
