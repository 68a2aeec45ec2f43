// in_tree targets: each cell builds in its own copy of the source tree, so
// cells never share object files. The copy is incremental: a file is copied
// again only when its size or modification time differs, and keeps the
// source's time, so make rebuilds exactly what changed in the source. What the
// build wrote into the copy (objects, configure's output) stays.
import { copyFile, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Never copied: version control, the engine's own cache and reports. */
const SKIPPED = new Set(['.git', '.matrix-cache', 'reports']);

/** Copies `from` into `to`; `skip` are absolute paths left out (the cache, the copy itself). Returns the files copied. */
export async function syncTree(from: string, to: string, skip: readonly string[] = []): Promise<number> {
  const skipped = new Set([resolve(to), ...skip.map((p) => resolve(p))]);
  let copied = 0;
  const walk = async (src: string, dst: string): Promise<void> => {
    await mkdir(dst, { recursive: true });
    for (const entry of await readdir(src, { withFileTypes: true })) {
      const s = join(src, entry.name);
      if (SKIPPED.has(entry.name) || skipped.has(s)) continue;
      const d = join(dst, entry.name);
      if (entry.isDirectory()) {
        await walk(s, d);
      } else if (entry.isSymbolicLink()) {
        const target = await readlink(s);
        const old = await lstat(d).catch(() => undefined);
        if (old?.isSymbolicLink() && (await readlink(d)) === target) continue;
        await rm(d, { recursive: true, force: true });
        await symlink(target, d);
        copied++;
      } else if (entry.isFile()) {
        const st = await lstat(s);
        const old = await lstat(d).catch(() => undefined);
        if (old?.isFile() && old.size === st.size && old.mtimeMs === st.mtimeMs) continue;
        if (old && !old.isFile()) await rm(d, { recursive: true, force: true });
        await copyFile(s, d);
        await utimes(d, st.atime, st.mtime);
        copied++;
      }
    }
  };
  await walk(from, to);
  return copied;
}
