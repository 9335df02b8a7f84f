/** The first `n` bytes of `chunks`, joined into a new array. */
export function joinBytes(chunks: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    if (at + c.length > n) {
      out.set(c.subarray(0, n - at), at);
      break;
    }
    out.set(c, at);
    at += c.length;
  }
  return out;
}
