// Labels results with the host CPU through the native addon when it is built;
// without it (loadAddon() says why) the report still carries os.cpus()' model.
import { loadAddon } from '../addon/index.js';

export async function hostCpuLabels(): Promise<Record<string, unknown> | undefined> {
  try {
    const cpu = loadAddon()?.cpuInfo();
    return cpu ? { ...cpu } : undefined;
  } catch {
    return undefined; // a broken addon must not stop a matrix run
  }
}
