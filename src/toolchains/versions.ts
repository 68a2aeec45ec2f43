// Tool versions, probed once per binary and remembered across runs keyed by
// the binary's real path, size and mtime: a warm run starts no processes.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { runCommand } from '../runtime/command.js';

interface ProbeEntry {
  key: string;
  version: string;
}

export class VersionProbe {
  private readonly memo = new Map<string, Promise<string>>();
  private stored: Record<string, ProbeEntry> = {};
  private dirty = false;

  constructor(private readonly storePath?: string) {
    if (storePath) {
      try {
        this.stored = JSON.parse(readFileSync(storePath, 'utf8')) as Record<string, ProbeEntry>;
      } catch {
        this.stored = {};
      }
    }
  }

  /** First line of `<binary> --version` (or the given args), trimmed. */
  version(binaryPath: string, args: string[] = ['--version']): Promise<string> {
    const memoKey = `${binaryPath}\0${args.join(' ')}`;
    let pending = this.memo.get(memoKey);
    if (!pending) {
      pending = this.probe(binaryPath, args, memoKey);
      this.memo.set(memoKey, pending);
    }
    return pending;
  }

  private async probe(binaryPath: string, args: string[], memoKey: string): Promise<string> {
    let key: string;
    try {
      const real = realpathSync(binaryPath);
      const st = statSync(real);
      key = `${real}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'absent';
    }
    const hit = this.stored[memoKey];
    if (hit && hit.key === key) return hit.version;
    const result = await runCommand({ file: binaryPath, args, cwd: process.cwd(), timeoutMs: 20_000, logLimit: 64 * 1024 });
    const line = result.output.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
    const version = result.exitCode === 0 && line ? line : `unknown (${binaryPath} ${args.join(' ')} failed)`;
    this.stored[memoKey] = { key, version };
    this.dirty = true;
    return version;
  }

  async save(): Promise<void> {
    if (!this.storePath || !this.dirty) return;
    await mkdir(dirname(this.storePath), { recursive: true });
    const tmp = `${this.storePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.stored, null, 1));
    await rename(tmp, this.storePath);
    this.dirty = false;
  }
}
