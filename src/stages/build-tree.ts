// A build tree remembers the command line that configured it. When that line
// changes (a cflags, ldflags or linker edit in matrix.yaml), the tree starts
// from scratch: CMake keeps cached flags and make never rebuilds objects for a
// changed command line, so an edited flag would otherwise never reach the build.
import { readdirSync } from 'node:fs';
import { readFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';


const STAMP = '.matrix-configured.json';

export interface BuildTree {
  /** The configure command to run (with `--fresh` when the tree was configured differently). */
  configure?: string[];
  /** Whether the tree was reset for this run. */
  fresh: boolean;
  /** Record the configure line once configure (or, for make, the reset) succeeded. */
  configured(): Promise<void>;
}

async function readStamp(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function hasContents(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/** What a build tree needs to know of a cell's plan. */
export interface TreePlan {
  buildDir: string;
  configure?: string[];
  /** The line for a tree this configure line set up before (meson setup --reconfigure). */
  reconfigure?: string[];
  build: string[];
  /** A changed line empties the tree (autotools, meson) instead of `cmake --fresh`. */
  wipe?: boolean;
  /** Files written before configure (meson's cross file): a changed one is a changed line too. */
  files?: { path: string; content: string }[];
}

export async function freshBuildTree(plan: TreePlan): Promise<BuildTree> {
  const stampFile = join(plan.buildDir, STAMP);
  // make has no configure step: its whole command line is what configures the objects.
  const line = JSON.stringify(plan.files?.length ? [plan.configure ?? plan.build, plan.files] : (plan.configure ?? plan.build));
  const previous = await readStamp(stampFile);
  // A tree with no stamp but with contents was configured by someone else: start over too.
  const changed = previous === undefined ? hasContents(plan.buildDir) : previous !== line;
  const write = async () => {
    const tmp = `${stampFile}.${process.pid}.tmp`;
    await writeFile(tmp, line);
    await rename(tmp, stampFile);
  };
  if (!plan.configure) {
    if (changed) await rm(plan.buildDir, { recursive: true, force: true });
    await mkdir(plan.buildDir, { recursive: true });
    if (previous !== line) await write();
    return { fresh: changed, configured: async () => {} };
  }
  if (changed && plan.wipe) await rm(plan.buildDir, { recursive: true, force: true });
  await mkdir(plan.buildDir, { recursive: true });
  const again = previous !== undefined && !changed && plan.reconfigure ? plan.reconfigure : plan.configure;
  const configure = changed && !plan.wipe ? [plan.configure[0]!, '--fresh', ...plan.configure.slice(1)] : again;
  return { configure, fresh: changed, configured: write };
}
