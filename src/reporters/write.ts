// The only reporter code that touches the disk. Each report is rendered and written
// to a temp file in the report directory (same file system) and fsynced; only when
// every one is written are they renamed over the old ones. A render or write failure
// leaves the previous reports as they were and no temp files behind.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describeFsError, isFsError } from '../runtime/fs-errors.js';
import { OrchestratorError } from '../errors.js';
import type { RunResults } from '../results/types.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJUnit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export type ReportFormat = 'markdown' | 'json' | 'junit' | 'html';
export type Renderer = (results: RunResults) => string;

export const REPORT_FORMATS: readonly ReportFormat[] = ['markdown', 'json', 'junit', 'html'];

/** File name of each report inside the report directory. */
export const REPORT_FILES: Readonly<Record<ReportFormat, string>> = {
  markdown: 'status.md',
  json: 'status.json',
  junit: 'junit.xml',
  html: 'index.html',
};

export const RENDERERS: Readonly<Record<ReportFormat, Renderer>> = {
  markdown: renderMarkdown,
  json: renderJson,
  junit: renderJUnit,
  html: renderHtml,
};

export interface WriteReportsOptions {
  /** Replace renderers (tests use this to make one fail). */
  renderers?: Partial<Record<ReportFormat, Renderer>>;
  /** More files written in the same atomic step (e.g. history.json): plain names inside outDir. */
  extraFiles?: ReadonlyArray<{ name: string; text: string }>;
  /**
   * A complete new logs directory inside outDir (`logs.<tag>`, see publish-logs.ts):
   * `outDir/logs` is switched to it (a symlink, renamed over the old one) in the
   * same step as the reports, and older `logs.*` directories are removed after.
   */
  logsDir?: string;
}

/** The one failure type of a report write: the user's file system (exit 2) or a bug (exit 3). */
function writeError(outDir: string, err: unknown): OrchestratorError {
  if (err instanceof OrchestratorError) return err;
  const detail = isFsError(err) ? describeFsError(err) : (err as Error).message;
  return new OrchestratorError('IO', `cannot write reports to ${outDir}: ${detail}`, { cause: err, exitCode: isFsError(err) ? 2 : 3 });
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the renames durable; not every platform lets a directory be opened or synced.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

async function writeTemp(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Renders `formats` (default: all four) and writes them, plus `options.extraFiles`, into
 * `outDir` atomically. Returns the paths written: `formats` order, then the extra files.
 */
export async function writeReports(
  results: RunResults,
  outDir: string,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
  options: WriteReportsOptions = {},
): Promise<string[]> {
  const wanted = [...new Set(formats)];
  for (const f of wanted) {
    if (!REPORT_FORMATS.includes(f)) {
      throw new OrchestratorError('USAGE', `unknown report format ${JSON.stringify(f)} (known: ${REPORT_FORMATS.join(', ')})`);
    }
  }
  const extras = options.extraFiles ?? [];
  const names = new Set<string>(wanted.map((f) => REPORT_FILES[f]));
  for (const e of extras) {
    if (!/^[^/\\]+$/.test(e.name) || e.name === '.' || e.name === '..' || e.name.endsWith('.tmp')) {
      throw new OrchestratorError('USAGE', `extra report file ${JSON.stringify(e.name)}: expected a plain file name inside the report directory`);
    }
    if (names.has(e.name)) throw new OrchestratorError('USAGE', `report file ${e.name} is written twice`);
    names.add(e.name);
  }
  // Each report is rendered just before its temp file is written, so only one rendered
  // report is in memory at a time (a 1,000-cell index.html is 10 MB of two-byte string).
  const rendered = [
    ...wanted.map((f) => ({ name: REPORT_FILES[f], render: () => (options.renderers?.[f] ?? RENDERERS[f])(results) })),
    ...extras.map((e) => ({ name: e.name, render: () => e.text })),
  ].map((r) => ({ ...r, path: join(outDir, r.name) }));

  try {
    await mkdir(outDir, { recursive: true });
  } catch (err) {
    const detail = isFsError(err) ? describeFsError(err, 'create') : (err as Error).message;
    throw new OrchestratorError('IO', `cannot create report directory ${outDir}: ${detail}`, { cause: err, exitCode: isFsError(err) ? 2 : 3 });
  }

  // 1. Render and write every temp file (fsynced), 2. then rename them all over the old
  // reports: a bug in one reporter leaves the old set as it was, and no temp files.
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const pending = rendered.map((r) => ({ ...r, temp: join(outDir, `.${r.name}.${tag}.tmp`) }));
  const leftovers = new Set<string>();
  const logsLink = join(outDir, 'logs');
  const logsTemp = join(outDir, `.logs.${tag}.tmp`);
  let oldLogsDir: string | undefined;
  let renderFailure: unknown;
  try {
    // Every failure that can be seen before a rename is seen before the first one.
    for (const p of pending) {
      const st = await lstat(p.path).catch(() => undefined);
      if (st?.isDirectory()) throw new OrchestratorError('IO', `cannot write reports to ${outDir}: ${p.path} is a directory`);
    }
    for (const p of pending) {
      let text: string;
      try {
        text = p.render();
      } catch (err) {
        renderFailure = err;
        throw err;
      }
      leftovers.add(p.temp);
      await writeTemp(p.temp, text);
    }
    if (options.logsDir) {
      leftovers.add(logsTemp);
      await symlink(basename(options.logsDir), logsTemp);
      const st = await lstat(logsLink).catch(() => undefined);
      // An old-layout logs/ directory is moved aside (removed below): a symlink cannot be renamed over it.
      if (st?.isDirectory()) {
        oldLogsDir = join(outDir, `logs.old-${tag}`);
        await rename(logsLink, oldLogsDir);
      }
      await rename(logsTemp, logsLink);
      leftovers.delete(logsTemp);
    }
    for (const p of pending) {
      await rename(p.temp, p.path);
      leftovers.delete(p.temp);
    }
  } catch (err) {
    await Promise.all([...leftovers].map((t) => unlink(t).catch(() => undefined)));
    if (oldLogsDir && leftovers.has(logsTemp)) await rename(oldLogsDir, logsLink).catch(() => undefined);
    // A reporter's bug is not the file system's: it goes on as it was thrown (exit 3, with its stack).
    throw err === renderFailure ? err : writeError(outDir, err);
  }
  await fsyncDir(outDir);
  if (options.logsDir) {
    // Older log sets nothing points to any more.
    const keep = basename(options.logsDir);
    for (const name of await readdir(outDir).catch(() => [] as string[])) {
      if (/^logs\.(old-)?[\w-]+$/.test(name) && name !== keep) await rm(join(outDir, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return pending.map((p) => p.path);
}
