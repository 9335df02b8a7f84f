/**
 * The allocation and string fast paths of the RPC hot path (bytes.ts
 * allocBytes, values.ts bytesString / writeAscii, plan.ts's ASCII and copy
 * paths) against what they replace: TextDecoder / TextEncoder, `new
 * Uint8Array(n)`, `slice`, and the reference codecs, on seeded random input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocBytes, copyOut, SLAB_ITEM_MAX } from '../src/bytes.js';
import { type Abi, compileInterface, createFsIncludeResolver, decodeMessage, encodeMessage, getBuiltinInterface, type MachMessage, type MigArgs } from '../src/index.js';
import * as ref from '../src/mig/codec-reference.js';
import { planOf } from '../src/mig/plan.js';
import { bytesString, bytesStringAt, isAscii, writeAscii } from '../src/mig/values.js';

const DEFS = join(import.meta.dirname, '..', 'conformance', 'defs');
const utf8d = new TextDecoder();
const utf8 = new TextEncoder();

function outcome(f: () => unknown): { ok: true; value: unknown } | { ok: false; name: string; code: unknown; message: string } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    const err = e as { name?: string; code?: unknown; message?: string };
    return { ok: false, name: String(err.name), code: err.code, message: String(err.message) };
  }
}

/** Bytes that are mostly printable ASCII, with NULs and high bytes mixed in. */
const cBytes = fc
  .array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 0x7f }) }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) }), {
    maxLength: 70,
  })
  .map((a) => Uint8Array.from(a));

/** Strings: ASCII most of the time, else any code points (lone surrogates included). */
const strings = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

describe('bytesString', () => {
  it('is the UTF-8 decoding of the bytes up to the first NUL (seeded)', () => {
    fc.assert(
      fc.property(cBytes, fc.nat(), fc.nat(), (b, x, y) => {
        const z = b.indexOf(0);
        expect(bytesString(b)).toBe(utf8d.decode(z < 0 ? b : b.subarray(0, z)));
        // A range of a larger array reads as that range alone.
        const from = b.length === 0 ? 0 : x % b.length;
        const to = from + (y % (b.length - from + 1));
        const sub = b.subarray(from, to);
        const zs = sub.indexOf(0);
        expect(bytesStringAt(b, from, to)).toBe(utf8d.decode(zs < 0 ? sub : sub.subarray(0, zs)));
      }),
      { seed: 0xa5c11, numRuns: 5000 },
    );
  });

  it('reads a string in a longer zero-filled field, at every length around the 8-byte runs', () => {
    for (let n = 0; n <= 40; n++) {
      const s = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ'.slice(0, n);
      const field = new Uint8Array(64);
      field.set(utf8.encode(s));
      expect(bytesString(field)).toBe(s);
      expect(bytesString(field.subarray(0, n))).toBe(s);
    }
    // A BOM and a bad sequence go to the decoder, which drops the BOM and replaces the sequence.
    expect(bytesString(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41, 0]))).toBe('A');
    expect(bytesString(Uint8Array.from([0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0xc3]))).toBe('ABCDEFGH\ufffd');
  });
});

describe('writeAscii / isAscii', () => {
  it('writes exactly TextEncoder\'s bytes for ASCII and refuses anything else (seeded)', () => {
    fc.assert(
      fc.property(strings, (s) => {
        const want = utf8.encode(s);
        const out = new Uint8Array(s.length + 4);
        const ok = writeAscii(s, out, 2);
        expect(ok).toBe(isAscii(s));
        expect(isAscii(s)).toBe(want.length === s.length && want.every((c) => c < 0x80));
        if (ok) expect(out.subarray(2, 2 + s.length)).toEqual(want);
      }),
      { seed: 0xa5c12, numRuns: 3000 },
    );
  });
});

describe('allocBytes', () => {
  it('gives zero-filled, plain, 8-aligned arrays that share no byte (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 * SLAB_ITEM_MAX }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const got = sizes.map((n) => allocBytes(n));
        got.forEach((a, i) => {
          expect(a.constructor).toBe(Uint8Array);
          expect(a.length).toBe(sizes[i]);
          expect(a.byteOffset % 8).toBe(0);
          expect(a.every((x) => x === 0)).toBe(true);
          a.fill((i % 255) + 1);
        });
        got.forEach((a, i) => expect(a.every((x) => x === (i % 255) + 1)).toBe(true));
      }),
      { seed: 0xa5c13, numRuns: 300 },
    );
  });

  it('with a larger max (as netmsg-wire and hurd-ffi ask): slab views up to 4 KiB, never past it, sharing no byte (seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(4096, 8192, 1 << 20),
        (sizes, max) => {
          const got = sizes.map((n) => allocBytes(n, max));
          got.forEach((a, i) => {
            const n = sizes[i]!;
            expect(a.length).toBe(n);
            expect(a.byteOffset % 8).toBe(0);
            // A view on a shared slab only between 65 bytes and min(max, 4 KiB): larger arrays own their buffer.
            if (n > 4096 || n <= 64) expect(a.byteLength === a.buffer.byteLength).toBe(true);
            else expect(a.buffer.byteLength).toBeGreaterThan(n);
            expect(a.every((x) => x === 0)).toBe(true);
            a.fill((i % 255) + 1);
          });
          got.forEach((a, i) => expect(a.every((x) => x === (i % 255) + 1)).toBe(true));
        },
      ),
      { seed: 0x4b1ab, numRuns: 200 },
    );
  });

  it('copyOut is a copy: the source changing afterwards does not show', () => {
    for (const n of [0, 5, 33, 64, 65, 1024, SLAB_ITEM_MAX, SLAB_ITEM_MAX + 1, 9000]) {
      const src = Uint8Array.from({ length: n + 3 }, (_, i) => (i * 13 + 1) & 0xff);
      const c = copyOut(src, 3, n);
      expect(c).toEqual(src.slice(3, 3 + n));
      src.fill(0);
      expect(c.every((x, i) => x === (((i + 3) * 13 + 1) & 0xff))).toBe(true);
    }
  });

  it('messages from encodeMessage and data from decodeMessage do not alias each other or the input', () => {
    const abi: Abi = 'x86_64';
    const io = getBuiltinInterface('io', abi);
    const r = io.routine('io_server_version');
    const msgs: Uint8Array[] = [];
    const decoded: MachMessage[] = [];
    for (let i = 0; i < 40; i++) {
      const m = encodeMessage(r.encodeReply({ server_name: `server ${i}`, server_major_version: i, server_minor_version: 0, server_edit_level: 0 }), abi);
      msgs.push(m);
      decoded.push(decodeMessage(m, abi));
    }
    const copies = msgs.map((m) => m.slice());
    for (const m of msgs) m.fill(0xee);
    decoded.forEach((d, i) => {
      expect(r.decodeReply(d).args['server_name']).toBe(`server ${i}`);
      expect(encodeMessage(d, abi)).toEqual(copies[i]);
    });
  });
});

describe('byte arrays given as Node Buffers', () => {
  it('are copied at encode and at decode: changing the Buffer afterwards changes nothing (a Buffer\'s own slice is a view)', () => {
    for (const abi of ['i386', 'x86_64'] as const) {
      const r = getBuiltinInterface('io', abi).routine('io_write');
      const data = Buffer.from('hello, hurd');
      const req = r.encodeRequest({ io_object: 5, data, offset: 0n });
      const bytes = encodeMessage(req, abi).slice();
      data.fill(0x21);
      expect(encodeMessage(req, abi)).toEqual(bytes);
      // Decoding from a Buffer gives data that does not share the message's memory.
      const wire = Buffer.from(bytes);
      const got = r.decodeRequest(decodeMessage(wire, abi)).args['data'] as Uint8Array;
      wire.fill(0);
      expect(Buffer.from(got).toString()).toBe('hello, hurd');
    }
  });
});

describe('plan fast paths against the reference codecs', () => {
  for (const abi of ['i386', 'x86_64'] as const) {
    const file = join(DEFS, 'conformance.defs');
    const conf = compileInterface(readFileSync(file, 'utf8'), { abi, file, includeResolver: createFsIncludeResolver([DEFS]) });
    const strs = conf.routine('conf_strings');
    const data = conf.routine('conf_data');

    it(`${abi}: c_string[16] and c_string[*:64] encode and decode as the reference, same bytes (seeded)`, () => {
      const plan = planOf(strs.layout);
      fc.assert(
        fc.property(strings, strings, (a, b) => {
          const req = { server: 5, fixed: a, var: b };
          const got = outcome(() => plan.encodeRequest(req));
          expect(got).toEqual(outcome(() => ref.encodeRequest(strs.layout, req)));
          const rep = { o_fixed: a, o_var: b };
          const gotRep = outcome(() => plan.encodeReply(rep));
          expect(gotRep).toEqual(outcome(() => ref.encodeReply(strs.layout, rep)));
          if (got.ok) {
            const m = decodeMessage(encodeMessage(got.value as MachMessage, abi), abi);
            expect(outcome(() => plan.decodeRequest(m))).toEqual(outcome(() => ref.decodeRequest(strs.layout, m)));
          }
          if (gotRep.ok) {
            const m = decodeMessage(encodeMessage(gotRep.value as MachMessage, abi), abi);
            expect(outcome(() => plan.decodeReply(m))).toEqual(outcome(() => ref.decodeReply(strs.layout, m)));
          }
        }),
        { seed: 0xa5c14, numRuns: 1500 },
      );
    });

    it(`${abi}: inline byte arrays are copies, as the reference's, for Uint8Array, Buffer and views (seeded)`, () => {
      const plan = planOf(data.layout);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2100 }), fc.nat(2), (bytes, form) => {
          const v = form === 0 ? bytes : form === 1 ? Buffer.from(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
          const args = { o_data: v, o_ool: { address: 0x1000n, count: 0 } } as MigArgs;
          const got = outcome(() => plan.encodeReply(args, { placeOutOfLine: () => 0x4000n }));
          expect(got).toEqual(outcome(() => ref.encodeReply(data.layout, args, { placeOutOfLine: () => 0x4000n })));
          // A Buffer goes through its own `slice`, as in the reference (a view): only plain arrays are checked for copies.
          if (got.ok && bytes.length > 0 && form !== 1) {
            const item = (got.value as MachMessage).items[1];
            if (item?.kind === 'data') {
              const before = Uint8Array.from(item.data);
              v.fill(0x5a);
              expect(item.data).toEqual(before);
              const m = decodeMessage(encodeMessage(got.value as MachMessage, abi), abi);
              const d = plan.decodeReply(m).args['o_data'] as Uint8Array;
              expect(d.constructor).toBe(Uint8Array);
              expect(d).toEqual(before);
            }
          }
        }),
        { seed: 0xa5c15, numRuns: 400 },
      );
    });

    it(`${abi}: encodeReply reads only own enumerable arguments, as the reference's rest-copy`, () => {
      const plan = planOf(strs.layout);
      const proto = { o_fixed: 'inherited', o_var: 'inherited too' };
      const inherited = Object.create(proto) as MigArgs;
      inherited['o_var'] = 'own';
      const hidden = { o_fixed: 'shown' } as MigArgs;
      Object.defineProperty(hidden, 'o_var', { value: 'hidden', enumerable: false });
      const unknownHidden = { o_fixed: 'x', o_var: 'y' } as MigArgs;
      Object.defineProperty(unknownHidden, 'other', { value: 1, enumerable: false });
      const unknownInherited = Object.create({ other: 1 }) as MigArgs;
      unknownInherited['o_fixed'] = 'x';
      for (const args of [inherited, hidden, unknownHidden, unknownInherited, { o_fixed: 'x', o_var: 'y', other: 2 } as MigArgs]) {
        const got = outcome(() => plan.encodeReply(args));
        expect(got).toEqual(outcome(() => ref.encodeReply(strs.layout, args)));
      }
      // The inherited o_fixed is not read: both say it is missing.
      expect(outcome(() => plan.encodeReply(inherited))).toMatchObject({ ok: false, code: 'MIG_BAD_ARGUMENTS', message: expect.stringContaining("missing argument 'o_fixed'") });
      // Own values shadowing inherited ones are read.
      const shadow = Object.create(proto) as MigArgs;
      shadow['o_fixed'] = 'own';
      shadow['o_var'] = 'own too';
      const d = plan.decodeReply(decodeMessage(encodeMessage(plan.encodeReply(shadow), abi), abi));
      expect(d.args).toEqual({ o_fixed: 'own', o_var: 'own too' });
    });
  }
});
