import { CliError } from './errors.js';

/**
 * Reads hex the way vectors are written in our notes and in rpctrace logs:
 * blanks, newlines, `|` separators and `0x` prefixes are ignored, so
 * `00120000 30000000 | 02200020 ...` works as it is.
 */
export function parseHex(text: string): Uint8Array {
  // A 0x prefix only counts at the start of a group ("a0x1" is an error).
  const digits = text.replace(/(^|[\s|:,])0x/gi, '$1').replace(/[\s|:,]+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad !== null) {
    throw new CliError('bad_hex', `${JSON.stringify(bad[0])} is not a hex digit`, `hex digit ${bad.index}`);
  }
  if (digits.length % 2 !== 0) {
    throw new CliError('bad_hex', `odd number of hex digits (${digits.length})`);
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Hex in 4-byte groups, as the vectors in mach-abi.md are printed. */
export function toGroupedHex(bytes: Uint8Array, group = 4): string {
  const h = toHex(bytes);
  const parts: string[] = [];
  for (let i = 0; i < h.length; i += group * 2) parts.push(h.slice(i, i + group * 2));
  return parts.join(' ');
}
