// Labels results with the host CPU through the native addon when it is built;
// without it the report still carries os.cpus()' model name.
export async function hostCpuLabels(): Promise<Record<string, unknown> | undefined> {
  try {
    // A variable specifier: the addon wrapper is optional at build time too.
    const specifier = '../addon/index.js';
    const addon = (await import(specifier)) as { loadAddon?: () => { cpuInfo?: () => unknown } | null | undefined };
    const loaded = addon.loadAddon?.();
    const info = loaded?.cpuInfo?.();
    return info && typeof info === 'object' ? (info as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
