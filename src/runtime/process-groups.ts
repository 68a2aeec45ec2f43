// Every command runs in its own process group (detached), so a timeout or
// Ctrl-C can kill the whole tree: qemu, the program under test and anything
// either of them started, not just the direct child.

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

/** The live process groups of one run, so cancellation can reach all of them. */
export class ProcessGroupRegistry {
  private readonly groups = new Set<number>();

  add(pgid: number): void {
    this.groups.add(pgid);
  }

  delete(pgid: number): void {
    this.groups.delete(pgid);
  }

  get size(): number {
    return this.groups.size;
  }

  /** Immediately SIGKILL every registered group (last resort at exit). */
  killAllNow(): void {
    for (const pgid of this.groups) signalGroup(pgid, 'SIGKILL');
    this.groups.clear();
  }
}
