/** Bytes from hex written with spaces and `|` separators, as mach-abi.md prints vectors. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s|]/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Plain lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
