// FNV-1a (32-bit) over little-endian 64-bit words: the output, memory and
// per-step trace hashes shared with the native runner (cj_hash_words).

export const HASH_INIT = 0x811c9dc5;

export function hashWords(h: number, words: readonly bigint[]): number {
  let x = h >>> 0;
  for (const w of words) {
    let lo = Number(w & 0xffffffffn) >>> 0;
    let hi = Number((w >> 32n) & 0xffffffffn) >>> 0;
    for (let k = 0; k < 4; k++) {
      x = Math.imul(x ^ (lo & 0xff), 16777619) >>> 0;
      lo >>>= 8;
    }
    for (let k = 0; k < 4; k++) {
      x = Math.imul(x ^ (hi & 0xff), 16777619) >>> 0;
      hi >>>= 8;
    }
  }
  return x >>> 0;
}

export function hex32(h: number): string {
  return (h >>> 0).toString(16).padStart(8, '0');
}
