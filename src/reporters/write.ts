// The only reporter code that touches the disk. Every report is rendered first; only
// then are they written, each to a temp file in the report directory (same file
// system), fsynced and renamed over the old one. A render or write failure leaves the
// previous reports as they were and no temp files behind.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
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
  // 1. Render everything: a bug in one reporter must not leave a half-updated set.
  const rendered = [
    ...wanted.map((f) => ({ name: REPORT_FILES[f], text: (options.renderers?.[f] ?? RENDERERS[f])(results) })),
    ...extras.map((e) => ({ name: e.name, text: e.text })),
  ].map((r) => ({ ...r, path: join(outDir, r.name) }));

  try {
    await mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new OrchestratorError('IO', `cannot create report directory ${outDir}: ${(err as Error).message}`, { cause: err, exitCode: 3 });
  }

  // 2. Write every temp file (fsynced), 3. then rename them all over the old reports.
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const pending = rendered.map((r) => ({ ...r, temp: join(outDir, `.${r.name}.${tag}.tmp`) }));
  const leftovers = new Set<string>();
  try {
    for (const p of pending) {
      leftovers.add(p.temp);
      await writeTemp(p.temp, p.text);
    }
    for (const p of pending) {
      await rename(p.temp, p.path);
      leftovers.delete(p.temp);
    }
  } catch (err) {
    await Promise.all([...leftovers].map((t) => unlink(t).catch(() => undefined)));
    throw new OrchestratorError('IO', `cannot write reports to ${outDir}: ${(err as Error).message}`, { cause: err, exitCode: 3 });
  }
  await fsyncDir(outDir);
  return pending.map((p) => p.path);
}
