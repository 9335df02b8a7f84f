import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ABIS,
  abiLayout,
  decodeMessage,
  encodeMessage,
  messageSize,
  tryDecodeMessage,
  isMachMsgError,
  MACH_MSG_TYPE_PROTECTED_PAYLOAD,
  type Abi,
  type MachMessage,
  type MsgItem,
  type MsgHeader,
} from '../src/index.js';

const DATA_NAMES = [0, 1, 2, 8, 9, 10, 11, 12, 15];
const PORT_NAMES = [16, 17, 18, 19, 20, 21];
/** The element sizes MIG uses for each data type name, plus odd ones. */
const TYPICAL_SIZE: Record<number, number[]> = {
  0: [1, 8, 32], 1: [16], 2: [32], 8: [8], 9: [8], 10: [32, 64], 11: [64], 12: [8, 1024], 15: [32],
};
const u32 = fc.nat({ max: 0xffffffff });

function arbHeader(abi: Abi): fc.Arbitrary<MsgHeader> {
  const payloadBits = BigInt(8 * abiLayout(abi).portFieldSize);
  return fc
    .record({
      remote: fc.integer({ min: 0, max: 255 }),
      local: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(MACH_MSG_TYPE_PROTECTED_PAYLOAD), fc.constantFrom(0, 18, 21)),
      complex: fc.boolean(),
      other: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x7fff }).map((x) => (x << 16) >>> 0)),
      remotePort: u32,
      localPort: u32,
      payload: fc.bigInt({ min: 0n, max: (1n << payloadBits) - 1n }),
      seqno: u32,
      id: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    })
    .map(({ remote, local, complex, other, remotePort, localPort, payload, seqno, id }) => {
      const h: MsgHeader = { bits: { remote, local, complex, other }, remotePort, localPort, seqno, id };
      if (local === MACH_MSG_TYPE_PROTECTED_PAYLOAD) {
        h.protectedPayload = payload;
        h.localPort = Number(payload & 0xffffffffn);
      }
      return h;
    });
}

function arbDataItem(abi: Abi): fc.Arbitrary<MsgItem> {
  const short = abi === 'x86_64';
  return fc
    .record({
      name: fc.constantFrom(...DATA_NAMES),
      sizeKind: fc.integer({ min: 0, max: 3 }),
      anySize: fc.integer({ min: 0, max: 2048 }),
      pick: fc.nat(),
      number: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 600 })),
      longform: fc.boolean(),
      seed: fc.uint8Array({ minLength: 0, maxLength: 64 }),
    })
    .map(({ name, sizeKind, anySize, pick, number, longform, seed }) => {
      const typical = TYPICAL_SIZE[name] ?? [8];
      let size = sizeKind === 0 ? anySize : (typical[pick % typical.length] as number);
      // keep every item under 2 KiB (deep equality of big arrays is slow)
      if (number * size > 8 * 2048) size = Math.max(0, Math.floor((8 * 2048) / Math.max(1, number)));
      // i386 short form holds size <= 255, number <= 4095
      const lf = longform || (!short && size > 255);
      const len = Math.ceil((number * size) / 8);
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) data[i] = seed.length ? (seed[i % seed.length] as number) ^ (i & 0xff) : i & 0xff;
      return { kind: 'data', type: { name, size, number, inline: true, longform: lf, deallocate: false }, data } satisfies MsgItem;
    });
}

function arbPortsItem(abi: Abi): fc.Arbitrary<MsgItem> {
  const L = abiLayout(abi);
  return fc
    .record({ name: fc.constantFrom(...PORT_NAMES), names: fc.array(u32, { maxLength: 12 }), longform: fc.boolean() })
    .map(({ name, names, longform }) => ({
      kind: 'ports' as const,
      type: { name, size: L.inlinePortBits, number: names.length, inline: true, longform, deallocate: false },
      names,
    }));
}

function arbOolItem(abi: Abi): fc.Arbitrary<MsgItem> {
  const L = abiLayout(abi);
  return fc
    .record({
      name: fc.constantFrom(...DATA_NAMES, ...PORT_NAMES),
      size: fc.integer({ min: 0, max: 255 }),
      number: fc.oneof(fc.integer({ min: 0, max: 4095 }), u32),
      longform: fc.boolean(),
      deallocate: fc.boolean(),
      address: fc.bigInt({ min: 0n, max: (1n << BigInt(8 * L.pointerSize)) - 1n }),
    })
    .map(({ name, size, number, longform, deallocate, address }) => {
      const port = name >= 16;
      const lf = longform || (abi === 'i386' && number > 4095);
      return {
        kind: 'ool' as const,
        type: { name, size: port ? (size === 0 ? 0 : 32) : size, number, inline: false, longform: lf, deallocate },
        address,
      };
    });
}

function arbMessage(abi: Abi): fc.Arbitrary<MachMessage> {
  return fc.record({
    header: arbHeader(abi),
    items: fc.array(fc.oneof(arbDataItem(abi), arbPortsItem(abi), arbOolItem(abi)), { maxLength: 8 }),
  });
}

/** decode either succeeds (and is then stable through encode) or throws MachMsgError. */
function decodeIsTotal(bytes: Uint8Array, abi: Abi, allowTrailing: boolean): void {
  const r = tryDecodeMessage(bytes, abi, { allowTrailing });
  if (!r.ok) {
    expect(isMachMsgError(r.error)).toBe(true);
    expect(r.error.offset).toBeGreaterThanOrEqual(0);
    expect(r.error.offset).toBeLessThanOrEqual(bytes.length);
    return;
  }
  const again = encodeMessage(r.message, abi);
  expect(again.length).toBe(r.message.header.size);
  expect(decodeMessage(again, abi)).toEqual(r.message);
}

for (const abi of ABIS) {
  describe(`property tests, ${abi}`, () => {
    it('decode(encode(m)) equals m with size filled in; encode(decode(b)) equals b', () => {
      fc.assert(
        fc.property(arbMessage(abi), (m) => {
          const b = encodeMessage(m, abi);
          expect(b.length).toBe(messageSize(m, abi));
          expect(b.length % abiLayout(abi).alignment).toBe(0);
          const d = decodeMessage(b, abi);
          expect(d).toEqual({ header: { ...m.header, size: b.length }, items: m.items });
          expect(Buffer.from(encodeMessage(d, abi)).equals(Buffer.from(b))).toBe(true);
        }),
        { seed: abi === 'i386' ? 0x1386 : 0x8664, numRuns: 400 },
      );
    });

    it('viewData: the same message, its data items views of the bytes at their offsets; without it, copies', () => {
      fc.assert(
        fc.property(arbMessage(abi), (m) => {
          const b = encodeMessage(m, abi);
          const copied = decodeMessage(b, abi);
          const viewed = decodeMessage(b, abi, { viewData: true });
          expect(viewed).toEqual(copied);
          for (let i = 0; i < viewed.items.length; i++) {
            const v = viewed.items[i]!;
            const c = copied.items[i]!;
            if (v.kind !== 'data' || c.kind !== 'data') continue;
            expect(v.data.constructor).toBe(Uint8Array);
            expect(v.data.buffer).toBe(b.buffer);
            expect(c.data.buffer === b.buffer && c.data.byteOffset < b.byteOffset + b.length && c.data.byteOffset + c.data.length > b.byteOffset).toBe(false);
            // The view is the item's place in the message: a write through it is a write to the bytes.
            if (v.data.length > 0) {
              const at = v.data.byteOffset - b.byteOffset;
              v.data[0] = (v.data[0]! + 1) & 0xff;
              expect(b[at]).toBe(v.data[0]);
              expect(c.data[0]).not.toBe(v.data[0]);
            }
          }
        }),
        { seed: abi === 'i386' ? 0x2386 : 0x9664, numRuns: 300 },
      );
    });

    it('viewData on a Node Buffer still gives plain Uint8Array copies', () => {
      const m: MachMessage = {
        header: { bits: { remote: 17, local: 0, complex: false, other: 0 }, remotePort: 5, localPort: 0, seqno: 0, id: 1 },
        items: [{ kind: 'data', type: { name: 2, size: 32, number: 2, inline: true, longform: false, deallocate: false }, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }],
      };
      const buf = Buffer.from(encodeMessage(m, abi));
      const d = decodeMessage(buf, abi, { viewData: true }).items[0]!;
      expect(d.kind === 'data' && d.data.constructor === Uint8Array && d.data.buffer !== buf.buffer).toBe(true);
      expect(d.kind === 'data' ? [...d.data] : []).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('arbitrary bytes give a message or a MachMsgError', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, allowTrailing) => {
          decodeIsTotal(bytes, abi, allowTrailing);
        }),
        { seed: 7, numRuns: 1000 },
      );
    });

    it('arbitrary bodies behind a consistent header give a message or a MachMsgError', () => {
      const L = abiLayout(abi);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 160 }), (body) => {
          const n = Math.floor(body.length / L.alignment) * L.alignment;
          const bytes = new Uint8Array(L.headerSize + n);
          bytes.set(body.subarray(0, n), L.headerSize);
          new DataView(bytes.buffer).setUint32(4, bytes.length, true);
          decodeIsTotal(bytes, abi, false);
        }),
        { seed: 11, numRuns: 2000 },
      );
    });

    it('invalid message objects give bytes or a MachMsgError, never another exception', () => {
      const junk = fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.integer({ min: -5, max: 70000 }),
        fc.double(),
        fc.string({ maxLength: 3 }),
        fc.bigInt({ min: -1n, max: 1n << 65n }),
        fc.boolean(),
        fc.constant([]),
        fc.constant({}),
        fc.constant(new Uint8Array(3)),
      );
      fc.assert(
        fc.property(arbMessage(abi), fc.nat(), fc.nat(), junk, (m, pick, field, value) => {
          // Replace one field of the header, of its bits, of an item or of an item's type.
          const targets: Array<Record<string, unknown>> = [m as never, m.header as never, m.header.bits as never];
          if (m.items.length > 0) targets.push(m.items as never);
          for (const it of m.items) targets.push(it as never, it.type as never);
          const target = targets[pick % targets.length]!;
          const keys = Object.keys(target);
          const key = keys[field % keys.length]!;
          target[key] = value;
          try {
            const b = encodeMessage(m, abi);
            expect(b.length).toBe(messageSize(m, abi));
          } catch (e) {
            if (!isMachMsgError(e)) throw e;
          }
        }),
        { seed: 0x5eed, numRuns: 1500 },
      );
    });

    it('mutated valid encodings give a message or a MachMsgError', () => {
      const mutation = fc.oneof(
        fc.record({ op: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ op: fc.constant('bit' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
        fc.record({ op: fc.constant('size' as const), at: fc.nat(), value: fc.integer({ min: -16, max: 16 }) }),
      );
      fc.assert(
        fc.property(arbMessage(abi), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (m, muts, allowTrailing) => {
          let b = encodeMessage(m, abi);
          for (const mu of muts) {
            if (b.length === 0) break;
            const at = mu.at % b.length;
            if (mu.op === 'byte') b[at] = mu.value;
            else if (mu.op === 'bit') b[at] = (b[at] as number) ^ (1 << mu.value);
            else if (mu.op === 'truncate') b = b.slice(0, at);
            else if (b.length >= 8) {
              const dv = new DataView(b.buffer, b.byteOffset, b.length);
              dv.setUint32(4, (dv.getUint32(4, true) + mu.value) >>> 0, true);
            }
          }
          decodeIsTotal(b, abi, allowTrailing);
        }),
        { seed: 0xbeef, numRuns: 600 },
      );
    });
  });
}
