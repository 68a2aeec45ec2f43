// Reading JSON of unknown shape (program output, files from older tools):
// the checks every reader needs, once.

export type JsonObject = Record<string, unknown>;

/** A plain object (not null, not an array). */
export const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A finite number. */
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
