/**
 * line-buffer.ts: the command's lines as bytes. Its seqno prefix is
 * render.ts's (`[` the seqno padded to 5 `] `) for every u32 and for none,
 * and what it is given comes out as the UTF-8 of the same text, however
 * often it has to grow.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LineBuffer } from '../src/line-buffer.js';
import { quoteBytes } from '../src/values.js';

describe('LineBuffer', () => {
  test('seqno prefixes are padStart(5) of the number, `?` for none', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.oneof(fc.nat(99999), fc.nat(0xffffffff)), { nil: null }), { minLength: 1, maxLength: 20 }), (seqs) => {
        const lb = new LineBuffer(4);
        for (const s of seqs) lb.seqno(s);
        expect(lb.toString()).toBe(seqs.map((s) => `[${(s === null ? '?' : String(s)).padStart(5)}] `).join(''));
      }),
      { seed: 31, numRuns: 300 },
    );
    const lb = new LineBuffer(1);
    for (const s of [0, 9, 10, 99999, 100000, 4294967295]) lb.seqno(s);
    expect(lb.toString()).toBe('[    0] [    9] [   10] [99999] [100000] [4294967295] ');
    // Every digit count, at both ends (the digits go two at a time, the odd one last).
    const edges = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((d) => [10 ** (d - 1), 10 ** d - 1].filter((x) => x <= 0xffffffff));
    const each = new LineBuffer(1);
    for (const s of edges) each.seqno(s);
    expect(each.toString()).toBe(edges.map((s) => `[${String(s).padStart(5)}] `).join(''));
  });

  test('text and bytes come out as the UTF-8 of the same text', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ unit: 'binary', maxLength: 200 })), { maxLength: 20 }), (parts) => {
        const lb = new LineBuffer(8);
        for (const [asBytes, s] of parts) {
          if (asBytes) lb.put(enc.encode(s));
          else lb.text(s);
        }
        expect([...lb.bytes.subarray(0, lb.length)]).toEqual([...enc.encode(parts.map(([, s]) => s).join(''))]);
      }),
      { seed: 32, numRuns: 300 },
    );
  });

  test('lone surrogates come out as TextEncoder writes them (U+FFFD), and newline() ends a line', () => {
    const enc = new TextEncoder();
    const s = 'a\ud800b\udc00c\u{1f600}\u00e9\ud83d';
    const lb = new LineBuffer(2);
    lb.text(s);
    lb.newline();
    lb.text('x');
    expect([...lb.bytes.subarray(0, lb.length)]).toEqual([...enc.encode(`${s}\nx`)]);
    expect(lb.toString()).toBe('a\ufffdb\ufffdc\u{1f600}\u00e9\ufffd\nx');
  });

  test('str is text: short ASCII stored in place, anything else (long, non-ASCII, lone surrogates) encoded alike', () => {
    const enc = new TextEncoder();
    const strings = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 80 }), fc.constantFrom('', 'a\ud800', '\udc00b', '\u{1f600}', 'x'.repeat(64), 'y'.repeat(65)));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), strings), { maxLength: 20 }), (parts) => {
        const lb = new LineBuffer(4);
        for (const [viaStr, s] of parts) {
          if (viaStr) lb.str(s);
          else lb.text(s);
        }
        // Each piece encoded on its own (a lone surrogate at a piece's end is U+FFFD, as text() writes it).
        expect([...lb.bytes.subarray(0, lb.length)]).toEqual(parts.flatMap(([, s]) => [...enc.encode(s)]));
      }),
      { seed: 34, numRuns: 400 },
    );
  });

  test('decimal is String(x) for every u32', () => {
    const xs = [0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 4294967295];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(1000), fc.nat(0xffffffff), fc.constantFrom(...xs)), { minLength: 1, maxLength: 20 }), (list) => {
        const lb = new LineBuffer(2);
        for (const x of list) {
          lb.decimal(x);
          lb.str(',');
        }
        expect(lb.toString()).toBe(list.map((x) => `${String(x)},`).join(''));
      }),
      { seed: 35, numRuns: 300 },
    );
  });

  test("quoted is values.ts's quoteBytes: every byte value, cut at any -s", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat(45)), { minLength: 1, maxLength: 10 }), (items) => {
        const lb = new LineBuffer(1);
        for (const [b, max] of items) lb.quoted(b, max);
        expect(lb.toString()).toBe(items.map(([b, max]) => quoteBytes(b, max)).join(''));
      }),
      { seed: 36, numRuns: 400 },
    );
    const all = new LineBuffer();
    const bytes = Uint8Array.from({ length: 256 }, (_x, i) => i);
    all.quoted(bytes, 256);
    expect(all.toString()).toBe(quoteBytes(bytes, 256));
  });
});
