// Nearest-name suggestions for config errors ("did you mean ...?").

/**
 * Optimal string alignment distance: Levenshtein plus adjacent transpositions,
 * so the common typos `tripel` -> `triple` and `aarch46` -> `aarch64` cost 1.
 */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rolling rows: the transposition step looks two rows back.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2]! + 1);
      }
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m]!;
}

/**
 * The candidate closest to `name`, if it is close enough to be a plausible
 * typo (case and `-`/`_` differences are free). Ties go to the first candidate.
 */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  const key = norm(name);
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    const d = norm(c) === key ? 0 : editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  if (best === undefined) return undefined;
  // A third of the longer name, at least 1: `gc` -> `gcc` yes, `arm` -> `x86` no.
  const limit = Math.max(1, Math.floor(Math.max(name.length, best.length) / 3));
  return bestDist <= limit ? best : undefined;
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const n = nearest(name, candidates);
  return n === undefined ? '' : `; did you mean "${n}"?`;
}
