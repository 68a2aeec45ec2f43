// Every command runs under the stage supervisor (src/runtime/supervisor.ts),
// itself in its own process group (detached). Signalling the supervisor kills
// the command's whole tree, including descendants that left the group with
// setsid(); without a supervisor (no C compiler) the process group is killed.
// Commands of the spawn server (spawn-server.ts) are killed by a message to it.

/** Sends `signal` to a process group; false if the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** True while any process of the group is alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM the group, then SIGKILL whatever is left after `graceMs`. */
export async function killGroup(pgid: number, graceMs = 1500): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!groupAlive(pgid)) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

/** The live commands of one run (supervisors or plain process groups), so cancellation can reach all of them. */
export class ProcessGroupRegistry {
  private readonly groups = new Map<number, 'supervisor' | 'group'>();
  /** Commands of the spawn server: each a kill-at-once callback. */
  private readonly killers = new Map<object, () => void>();

  add(pgid: number, kind: 'supervisor' | 'group' = 'group'): void {
    this.groups.set(pgid, kind);
  }

  delete(pgid: number): void {
    this.groups.delete(pgid);
  }

  addKiller(key: object, killNow: () => void): void {
    this.killers.set(key, killNow);
  }

  deleteKiller(key: object): void {
    this.killers.delete(key);
  }

  get size(): number {
    return this.groups.size + this.killers.size;
  }

  /**
   * Kill every registered tree at once (second signal, exit). A supervisor gets
   * SIGUSR1 (SIGKILL its whole tree, then exit); it does so on its own, so the
   * caller may exit right after.
   */
  killAllNow(): void {
    for (const [pid, kind] of this.groups) {
      if (kind === 'supervisor') {
        try {
          process.kill(pid, 'SIGUSR1');
        } catch {
          /* already gone */
        }
      } else {
        signalGroup(pid, 'SIGKILL');
      }
    }
    this.groups.clear();
    for (const killNow of this.killers.values()) killNow();
    this.killers.clear();
  }
}
