/**
 * mulberry32: a small seeded generator of numbers in [0, 1), so that tests
 * drawing random cases are deterministic. Shared by the packages' tests
 * (hurd-ffi, rpctrace); pager-core's checker has its own in src, as product
 * code that imports nothing of the tests.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
