/**
 * Seeded xorshift32 (Marsaglia's 13/17/5): the same numbers every run, so
 * a failing random case replays from its seed.
 */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** The same sequence as a number in [0, 1). */
export function unitRng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x100000000;
}
