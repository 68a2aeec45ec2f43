// Profiles: named selections of the matrix. `quick` (the default when it
// exists) keeps a person's run short; `nightly` turns on every toolchain
// version and CPU variant. Applying one narrows the architectures and
// toolchains; everything downstream sees only those.
import { OrchestratorError } from '../errors.js';
import { nearest } from './suggest.js';
import type { MatrixConfig } from './types.js';

export const DEFAULT_PROFILE = 'quick';

/** The config as the profile sees it. No name: `quick` when defined, else everything. */
export function applyProfile(config: MatrixConfig, name?: string): MatrixConfig {
  const chosen = name ?? (config.profiles[DEFAULT_PROFILE] ? DEFAULT_PROFILE : undefined);
  if (chosen === undefined) return config;
  const profile = config.profiles[chosen];
  if (!profile) {
    const known = Object.keys(config.profiles);
    const near = nearest(chosen, known);
    throw new OrchestratorError('USAGE', `--profile: unknown profile "${chosen}"${near ? `; did you mean "${near}"?` : ''} (${known.length ? `known: ${known.join(', ')}` : `${config.file} defines no profiles`})`);
  }
  const architectures = config.architectures.filter(
    (a) => (profile.variants || !a.variantOf) && (!profile.architectures || profile.architectures.includes(a.name)),
  );
  const toolchains = config.toolchains.filter((t) => (profile.versions || !t.base) && (!profile.toolchains || profile.toolchains.includes(t.name)));
  if (architectures.length === 0 || toolchains.length === 0) {
    throw new OrchestratorError('CONFIG_INVALID', `profile "${chosen}" selects no ${architectures.length === 0 ? 'architecture' : 'toolchain'}`, { location: profile.location });
  }
  // A stage scoped to profiles (a long benchmark: profiles: [nightly]) is not part of the target elsewhere.
  const targets = config.targets.map((t) => (t.stages.some((s) => s.profiles) ? { ...t, stages: t.stages.filter((s) => !s.profiles || s.profiles.includes(chosen)) } : t));
  return { ...config, architectures, toolchains, targets, profile: chosen };
}
