/**
 * values.ts's text of arguments: quoteBytes (printable runs taken as
 * slices) gives, for any bytes and any -s, the text of the byte-by-byte
 * rule (C escapes for `"`, `\`, newline, tab, NUL, \xNN for the rest of
 * what is not printable ASCII); formatArg (render.ts's arguments) gives
 * formatValue's text for every value form. Seeded.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { MigValue } from 'mach-msg';
import { formatArg, formatValue, quoteBytes, signed64 } from '../src/values.js';

/** The rule, one byte at a time. */
function byteByByte(b: Uint8Array, max: number): string {
  let s = '';
  for (let i = 0; i < Math.min(b.length, max); i++) {
    const c = b[i] as number;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0) s += '\\0';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return `"${s}"${b.length > max ? '...' : ''}`;
}

describe('quoteBytes', () => {
  test('escapes and cuts as the byte-by-byte rule', () => {
    expect(quoteBytes(new TextEncoder().encode('ab"c\\d\n\te'), 80)).toBe('"ab\\"c\\\\d\\n\\te"');
    expect(quoteBytes(new Uint8Array([0, 0x7f, 0xff, 0x41]), 80)).toBe('"\\0\\x7f\\xffA"');
    expect(quoteBytes(new TextEncoder().encode('abcdef'), 3)).toBe('"abc"...');
    expect(quoteBytes(new Uint8Array(0), 80)).toBe('""');
    expect(quoteBytes(new TextEncoder().encode('abc'), 0)).toBe('""...');
  });

  test('any bytes, any -s: the same text as the rule (on views into a larger buffer too)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(250), fc.nat(8), (bytes, max, skip) => {
        const whole = new Uint8Array(skip + bytes.length + 3);
        whole.set(bytes, skip);
        const view = whole.subarray(skip, skip + bytes.length);
        expect(quoteBytes(bytes, max)).toBe(byteByByte(bytes, max));
        expect(quoteBytes(view, max)).toBe(byteByByte(bytes, max));
      }),
      { seed: 0x5eed, numRuns: 2000 },
    );
  });

  test('a Buffer is quoted as its bytes', () => {
    expect(quoteBytes(Buffer.from('a"b\x01'), 80)).toBe('"a\\"b\\x01"');
  });
});

describe('formatArg', () => {
  const sizes = new Map([['data', 4]]);
  const values: MigValue[] = [
    7,
    -1,
    true,
    (1n << 64n) - 1n,
    (1n << 63n) - 1n,
    1n << 63n,
    0n,
    'name\n',
    new TextEncoder().encode('some bytes'),
    { address: 0x1000n, count: 3, deallocate: false },
    { name: 0x72, disposition: 19 },
    { name: 0, disposition: 17 },
    [1, 2, 3],
    [{ name: 5, disposition: 17 }],
  ];
  test('formatValue\'s text for every value form, with and without a port namer', () => {
    for (const v of values) {
      for (const key of ['data', 'other']) {
        const elementBytes = sizes.get(key) ?? 1;
        expect(formatArg(v, 80, sizes, key, undefined)).toBe(formatValue(v, { strsize: 80, elementBytes }));
        const portName = (n: number): string => `p${n}`;
        expect(formatArg(v, 5, sizes, key, portName)).toBe(formatValue(v, { strsize: 5, elementBytes, portName }));
      }
    }
  });

  test('64-bit values print as C reads them signed', () => {
    expect(formatArg((1n << 64n) - 1n, 80, sizes, 'x', undefined)).toBe('-1');
    expect(formatArg(1n << 63n, 80, sizes, 'x', undefined)).toBe('-9223372036854775808');
    expect(formatArg(1n << 64n, 80, sizes, 'x', undefined)).toBe('18446744073709551616');
    expect(signed64((1n << 63n) - 1n)).toBe((1n << 63n) - 1n);
  });
});
