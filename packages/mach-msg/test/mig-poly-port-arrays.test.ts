/**
 * Polymorphic port arrays (`array[] of polymorphic`, `^array[] of
 * polymorphic`): one disposition for the whole array, chosen by the sender at
 * run time (MIG's `xxxPoly` argument). Inline they are arrays of PortRight
 * with that disposition on every element and, as a PortArray, on the array
 * itself (the only place an empty array can carry it; a decoded polymorphic
 * array always has it there); out-of-line an OolRef carries it in
 * `disposition`, on both sides. The layouts asserted here are those of the
 * Debian 13 MIG's stubs for the same declarations (x86_64-gnu-mig,
 * i686-gnu-mig); conformance/defs/conformance.defs conf_poly_arrays and
 * conf_poly_block check the bytes against the real MIG
 * (conformance-mig.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Abi,
  compileInterface,
  type CompiledInterface,
  decodeMessage,
  encodeMessage,
  isMachMsgError,
  isMigError,
  isOolRef,
  type MachMessage,
  type MigArgs,
  type MigErrorCode,
  type MigValue,
  type OolRef,
  POLYMORPHIC,
  type PortArray,
  portArray,
  type PortRight,
} from '../src/index.js';
import * as ref from '../src/mig/codec-reference.js';
import { planOf } from '../src/mig/plan.js';

const ABIS: readonly Abi[] = ['i386', 'x86_64'];

const MT = {
  MOVE_RECEIVE: 16,
  MOVE_SEND: 17,
  MOVE_SEND_ONCE: 18,
  COPY_SEND: 19,
  MAKE_SEND: 20,
  MAKE_SEND_ONCE: 21,
  PORT_NAME: 15,
  /** The received form of every send disposition. */
  PORT_SEND: 17,
} as const;

const POLY_DEFS = `
subsystem polyarr 4000;
type port = MACH_MSG_TYPE_COPY_SEND;
type poly = polymorphic;
type polyvec = array[] of poly;
type polyool = ^array[] of poly;
type portool = ^array[] of port;
routine pa(p : port; a : polyvec; b : polyool, Dealloc[]; out c : polyvec; out d : polyool, dealloc);
simpleroutine pblock(p : port; a : polyvec);
simpleroutine fixedool(p : port; a : portool);
routine pout(p : port; out c : polyvec);
type portvec = array[] of port;
simpleroutine fixedvec(p : port; a : portvec);
`;

const compiled = new Map<Abi, CompiledInterface>(ABIS.map((abi) => [abi, compileInterface(POLY_DEFS, { abi, file: 'polyarr.defs' })]));
const iface = (abi: Abi): CompiledInterface => compiled.get(abi) as CompiledInterface;

/** Through the bytes: MachMessage -> encodeMessage -> decodeMessage. */
function viaBytes(msg: MachMessage, abi: Abi): MachMessage {
  return decodeMessage(encodeMessage(msg, abi), abi);
}

function expectCode(f: () => unknown, code: MigErrorCode, text?: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isMigError(caught), String(caught)).toBe(true);
  const e = caught as { code: string; message: string };
  expect(e.code, e.message).toBe(code);
  if (text) expect(e.message).toMatch(text);
}

/** A sender's address space for out-of-line data: placeOutOfLine stores, `names` reads back. */
class Space {
  private next = 0x10000n;
  readonly regions = new Map<bigint, Uint8Array>();
  place = (data: Uint8Array): bigint => {
    const at = this.next;
    this.regions.set(at, data.slice());
    this.next += 0x10000n;
    return at;
  };
  names(r: OolRef): number[] {
    const b = this.regions.get(r.address);
    if (b === undefined) throw new Error(`test: nothing placed at 0x${r.address.toString(16)}`);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: r.count }, (_, i) => v.getUint32(i * 4, true));
  }
}

const rights = (names: readonly number[], disposition: number): PortRight[] => names.map((name) => ({ name, disposition }));
/** A polymorphic inline array as decoded: the rights, and their disposition on the array too. */
const decoded = (names: readonly number[], disposition: number): PortArray<PortRight> => portArray(rights(names, disposition), disposition);
const range = (n: number, from: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('layout: what MIG declares for polymorphic port arrays', () => {
  for (const abi of ABIS) {
    const x = abi === 'x86_64';
    it(`${abi}: array[] and ^array[] of polymorphic are long-form, name POLYMORPHIC, any name accepted`, () => {
      const lay = iface(abi).routine('pa').layout;
      const [a, b] = lay.request.items;
      expect(a?.descriptor).toEqual({ name: POLYMORPHIC, size: x ? 64 : 32, number: x ? 256 : 512, inline: true, longform: true, deallocate: false });
      expect(a?.placement).toBe('inline-or-ool');
      expect(a?.inlineLimit).toBe(x ? 256 : 512);
      expect(b?.descriptor).toEqual({ name: POLYMORPHIC, size: 32, number: 0, inline: false, longform: true, deallocate: false });
      expect(b?.placement).toBe('ool');
      expect(a?.descriptorBytes).toBe(x ? 8 : 12);
      expect(a?.acceptedNames).toEqual([]);
      expect(b?.acceptedNames).toEqual([]);
      // An out-of-line item makes every request complex.
      expect(lay.request.complex).toBe('always');
      const d = lay.reply?.items[2];
      expect(d?.descriptor.deallocate).toBe(true);
      // Inline only: complex depends on the disposition (MACH_MSG_TYPE_PORT_ANY).
      expect(iface(abi).routine('pblock').layout.request.complex).toBe('maybe');
    });
  }
});

describe('round trips through the bytes', () => {
  for (const abi of ABIS) {
    const x = abi === 'x86_64';
    it(`${abi}: small inline array and an out-of-line ^array[] given as an OolRef`, () => {
      const r = iface(abi).routine('pa');
      const b: OolRef = { address: 0x5000_0010n, count: 2, deallocate: true, disposition: MT.MOVE_SEND };
      const msg = r.encodeRequest({ p: 5, a: rights([0x101, 0, 0xffffffff], MT.MAKE_SEND), b }, { header: { localPort: 9 } });
      expect(msg.items[0]).toMatchObject({ kind: 'ports', type: { name: MT.MAKE_SEND, number: 3, inline: true, longform: true }, names: [0x101, 0, 0xffffffff] });
      expect(msg.items[1]).toMatchObject({ kind: 'ool', type: { name: MT.MOVE_SEND, size: 32, number: 2, inline: false, deallocate: true }, address: 0x5000_0010n });
      expect(msg.header.bits.complex).toBe(true);
      const back = r.decodeRequest(viaBytes(msg, abi));
      expect(back.args).toEqual({ a: decoded([0x101, 0, 0xffffffff], MT.MAKE_SEND), b });
    });

    it(`${abi}: an array[] above 2048 bytes goes out-of-line with its disposition (${x ? 300 : 600} rights)`, () => {
      const r = iface(abi).routine('pa');
      const space = new Space();
      const n = x ? 300 : 600;
      const names = range(n, 0x400);
      const msg = r.encodeRequest(
        { p: 5, a: rights(names, MT.COPY_SEND), b: { address: 0n, count: 0, disposition: MT.MAKE_SEND_ONCE } },
        { header: { localPort: 9 }, placeOutOfLine: space.place },
      );
      const a = msg.items[0];
      expect(a).toMatchObject({ kind: 'ool', type: { name: MT.COPY_SEND, size: 32, number: n, inline: false, longform: true, deallocate: false } });
      const back = r.decodeRequest(viaBytes(msg, abi)).args;
      expect(isOolRef(back.a)).toBe(true);
      const ra = back.a as OolRef;
      expect(ra.disposition).toBe(MT.COPY_SEND);
      expect(space.names(ra)).toEqual(names);
      expect(back.b).toEqual({ address: 0n, count: 0, deallocate: false, disposition: MT.MAKE_SEND_ONCE });
    });

    it(`${abi}: the inline limit is ${x ? 256 : 512} rights, as MIG's stub tests`, () => {
      const r = iface(abi).routine('pa');
      const space = new Space();
      const limit = x ? 256 : 512;
      const b: OolRef = { address: 0n, count: 0, disposition: MT.COPY_SEND };
      const at = r.encodeRequest({ p: 5, a: rights(range(limit, 1), MT.MOVE_SEND), b }, { header: { localPort: 9 }, placeOutOfLine: space.place });
      expect(at.items[0]?.kind).toBe('ports');
      const over = r.encodeRequest({ p: 5, a: rights(range(limit + 1, 1), MT.MOVE_SEND), b }, { header: { localPort: 9 }, placeOutOfLine: space.place });
      expect(over.items[0]?.kind).toBe('ool');
    });

    it(`${abi}: replies, inline and out-of-line, keep each array's disposition (dealloc set by the type)`, () => {
      const r = iface(abi).routine('pa');
      const space = new Space();
      const c: OolRef = { address: 0x2400_0000n, count: 700, disposition: MT.MAKE_SEND_ONCE };
      const rep = r.encodeReply({ c, d: rights([7, 8, 9], MT.MOVE_RECEIVE) }, { header: { remotePort: 3 }, placeOutOfLine: space.place });
      expect(rep.items[2]).toMatchObject({ kind: 'ool', type: { name: MT.MOVE_RECEIVE, deallocate: true, number: 3 } });
      const back = r.decodeReply(viaBytes(rep, abi));
      expect(back.retCode).toBe(0);
      expect(back.args.c).toEqual({ ...c, deallocate: false });
      const d = back.args.d as OolRef;
      expect(d).toMatchObject({ count: 3, deallocate: true, disposition: MT.MOVE_RECEIVE });
      expect(space.names(d)).toEqual([7, 8, 9]);
      const small = r.decodeReply(viaBytes(r.encodeReply({ c: rights([0x55], MT.MOVE_SEND_ONCE), d: { address: 0n, count: 0, disposition: MT.COPY_SEND } }), abi));
      expect(small.args.c).toEqual(decoded([0x55], MT.MOVE_SEND_ONCE));
    });

    it(`${abi}: PORT_NAME makes the array plain data and the message simple (MIG's MACH_MSG_TYPE_PORT_ANY)`, () => {
      const r = iface(abi).routine('pblock');
      const names = [0xa00, 0xa07, 0xffffffff];
      const msg = r.encodeRequest({ p: 5, a: rights(names, MT.PORT_NAME) });
      expect(msg.header.bits.complex).toBe(false);
      const item = msg.items[0];
      expect(item).toMatchObject({ kind: 'data', type: { name: MT.PORT_NAME, size: x ? 64 : 32, number: 3, longform: true } });
      // One name per inline slot: 8 bytes on x86_64 (upper half zero), 4 on i386.
      const bytes = encodeMessage(msg, abi);
      const stride = x ? 8 : 4;
      const body = bytes.subarray(bytes.length - 3 * stride);
      const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
      expect(names.map((_, i) => v.getUint32(i * stride, true))).toEqual(names);
      if (x) expect([4, 12, 20].map((o) => v.getUint32(o, true))).toEqual([0, 0, 0]);
      const back = r.decodeRequest(decodeMessage(bytes, abi));
      expect(back.args.a).toEqual(decoded(names, MT.PORT_NAME));
      // A send disposition makes it complex.
      expect(r.encodeRequest({ p: 5, a: rights(names, MT.MAKE_SEND) }).header.bits.complex).toBe(true);
    });

    it(`${abi}: a fixed-disposition ^array[] takes an OolRef with no or the same disposition`, () => {
      const r = iface(abi).routine('fixedool');
      for (const disposition of [undefined, MT.COPY_SEND]) {
        const ool: OolRef = disposition === undefined ? { address: 0x1000n, count: 1 } : { address: 0x1000n, count: 1, disposition };
        const msg = r.encodeRequest({ p: 5, a: ool });
        expect(msg.items[0]).toMatchObject({ kind: 'ool', type: { name: MT.COPY_SEND, number: 1 } });
        // The receiver of a fixed type learns nothing new: no disposition on its OolRef.
        expect(r.decodeRequest(viaBytes(msg, abi)).args.a).toEqual({ address: 0x1000n, count: 1, deallocate: false });
      }
    });
  }
});

describe('PortArray: the array carries its one disposition, empty ones too', () => {
  const ALL = [MT.MOVE_RECEIVE, MT.MOVE_SEND, MT.MOVE_SEND_ONCE, MT.COPY_SEND, MT.MAKE_SEND, MT.MAKE_SEND_ONCE, MT.PORT_NAME] as const;
  for (const abi of ABIS) {
    const x = abi === 'x86_64';
    it(`${abi}: an empty inline array sends its disposition in msgt_name, decodes back to it and re-encodes to the same bytes`, () => {
      const r = iface(abi).routine('pblock');
      for (const d of ALL) {
        const msg = r.encodeRequest({ p: 5, a: portArray([], d) });
        const right = d !== MT.PORT_NAME;
        // MIG's stub: msgt_name = the Poly argument whatever the count; a port right's makes the message complex.
        expect(msg.items[0], `disposition ${d}`).toMatchObject({ kind: right ? 'ports' : 'data', type: { name: d, number: 0, size: x ? 64 : 32, inline: true, longform: true } });
        expect(msg.header.bits.complex).toBe(right);
        const bytes = encodeMessage(msg, abi);
        expect(bytes.length).toBe(x ? 40 : 36);
        const back = r.decodeRequest(decodeMessage(bytes, abi)).args.a as PortArray;
        // Still an empty array, for code that maps or measures it, with the disposition on it.
        expect(Array.isArray(back) && back.length).toBe(0);
        expect(back.disposition).toBe(d);
        expect(back).toEqual(portArray([], d));
        // The reference decoder gives the same value as the compiled plan.
        expect(ref.decodeRequest(r.layout, decodeMessage(bytes, abi)).args.a).toEqual(back);
        expect(encodeMessage(r.encodeRequest({ p: 5, a: back }), abi)).toEqual(bytes);
      }
    });

    it(`${abi}: an empty plain array still sends COPY_SEND (as before), and decodes as an empty array saying so`, () => {
      const r = iface(abi).routine('pblock');
      const msg = r.encodeRequest({ p: 5, a: [] });
      expect(msg.items[0]).toMatchObject({ kind: 'ports', type: { name: MT.COPY_SEND, number: 0 } });
      expect(r.decodeRequest(viaBytes(msg, abi)).args.a).toEqual(portArray([], MT.COPY_SEND));
    });

    it(`${abi}: a non-empty PortArray of bare names sends the bytes of the PortRight[] form, inline and out-of-line`, () => {
      const r = iface(abi).routine('pa');
      const b: OolRef = { address: 0n, count: 0, disposition: MT.MOVE_SEND };
      for (const n of [1, 3, x ? 256 : 512, x ? 257 : 513]) {
        const names = range(n, 0x300);
        const s1 = new Space();
        const s2 = new Space();
        const whole = r.encodeRequest({ p: 5, a: portArray(names, MT.MAKE_SEND_ONCE), b }, { header: { localPort: 9 }, placeOutOfLine: s1.place });
        const each = r.encodeRequest({ p: 5, a: rights(names, MT.MAKE_SEND_ONCE), b }, { header: { localPort: 9 }, placeOutOfLine: s2.place });
        expect(encodeMessage(whole, abi), `${n} rights`).toEqual(encodeMessage(each, abi));
        expect([...s1.regions.values()]).toEqual([...s2.regions.values()]);
        const back = r.decodeRequest(viaBytes(whole, abi)).args.a;
        if (isOolRef(back)) expect([s1.names(back), back.disposition]).toEqual([names, MT.MAKE_SEND_ONCE]);
        else expect(back).toEqual(decoded(names, MT.MAKE_SEND_ONCE));
      }
      // Elements may repeat the array's disposition; the decoded value sends the same bytes again.
      const again = r.encodeRequest({ p: 5, a: portArray(rights([1, 2], MT.MOVE_SEND_ONCE), MT.MOVE_SEND_ONCE), b }, { header: { localPort: 9 } });
      const got = r.decodeRequest(viaBytes(again, abi)).args;
      expect(encodeMessage(r.encodeRequest({ p: 5, a: got.a as PortArray, b }, { header: { localPort: 9 } }), abi)).toEqual(encodeMessage(again, abi));
    });

    it(`${abi}: replies carry an empty array's disposition both ways`, () => {
      const r = iface(abi).routine('pout');
      for (const d of [MT.MAKE_SEND, MT.MOVE_SEND_ONCE, MT.PORT_NAME]) {
        const rep = r.encodeReply({ c: portArray([], d) });
        expect(rep.items[1]).toMatchObject({ type: { name: d, number: 0 } });
        expect(rep.header.bits.complex).toBe(d !== MT.PORT_NAME);
        expect(r.decodeReply(viaBytes(rep, abi)).args.c).toEqual(portArray([], d));
      }
    });

    it(`${abi}: a server refuses an empty array with a port right's msgt_name in a simple message, as MIG's stub does`, () => {
      const r = iface(abi).routine('pblock');
      const msg = r.encodeRequest({ p: 5, a: portArray([], MT.MOVE_SEND) });
      const simple: MachMessage = { ...msg, header: { ...msg.header, bits: { ...msg.header.bits, complex: false } } };
      expectCode(() => r.decodeRequest(simple), 'MIG_BAD_ARGUMENTS', /without MACH_MSGH_BITS_COMPLEX/);
    });

    it(`${abi}: a fixed-disposition port array takes the type's disposition on the array; decoding adds none`, () => {
      const r = iface(abi).routine('fixedvec');
      for (const a of [[7, 8], portArray([7, 8], MT.COPY_SEND)]) {
        const msg = r.encodeRequest({ p: 5, a });
        expect(msg.items[0]).toMatchObject({ kind: 'ports', type: { name: MT.COPY_SEND, number: 2 }, names: [7, 8] });
        // The type says the disposition: the decoded array is the plain rights, as before.
        expect(r.decodeRequest(viaBytes(msg, abi)).args.a).toEqual(rights([7, 8], MT.COPY_SEND));
      }
      expectCode(() => r.encodeRequest({ p: 5, a: portArray([7], MT.MAKE_SEND) }), 'MIG_BAD_ARGUMENTS', /differs from the type/);
      expectCode(() => r.encodeRequest({ p: 5, a: portArray([], MT.MAKE_SEND) }), 'MIG_BAD_ARGUMENTS', /differs from the type/);
      expect(r.decodeRequest(viaBytes(r.encodeRequest({ p: 5, a: [] }), abi)).args.a).toEqual([]);
    });
  }

  it('portArray copies its input and leaves it unchanged', () => {
    const names = [1, 2];
    const a = portArray(names, MT.MAKE_SEND);
    expect(a).not.toBe(names);
    expect([...a]).toEqual([1, 2]);
    expect(a.disposition).toBe(MT.MAKE_SEND);
    expect((names as PortArray).disposition).toBeUndefined();
  });
});

describe('bad input gives typed errors', () => {
  const abi: Abi = 'x86_64';
  const r = iface(abi).routine('pa');
  const ok: MigArgs = { p: 5, a: rights([1], MT.MAKE_SEND), b: { address: 0n, count: 0, disposition: MT.COPY_SEND } };
  const enc = (over: MigArgs): MachMessage => r.encodeRequest({ ...ok, ...over }, { header: { localPort: 9 } });

  it('an OolRef for a polymorphic array needs a disposition in 0..255', () => {
    expectCode(() => enc({ b: { address: 0x1000n, count: 1 } }), 'MIG_BAD_ARGUMENTS', /needs a disposition/);
    expectCode(() => enc({ b: { address: 0x1000n, count: 1, disposition: 256 } }), 'MIG_BAD_ARGUMENTS', /bad disposition/);
    expectCode(() => enc({ b: { address: 0x1000n, count: 1, disposition: 1.5 } }), 'MIG_BAD_ARGUMENTS', /bad disposition/);
  });
  it('an OolRef count must be a 32-bit unsigned integer', () => {
    for (const count of [-1, 0.5, 2 ** 32]) {
      expectCode(() => enc({ b: { address: 0x1000n, count, disposition: MT.COPY_SEND } }), 'MIG_BAD_ARGUMENTS', /bad count/);
    }
  });
  it("a fixed type's OolRef with another disposition is refused", () => {
    const f = iface(abi).routine('fixedool');
    expectCode(() => f.encodeRequest({ p: 5, a: { address: 0x1000n, count: 1, disposition: MT.MAKE_SEND } }), 'MIG_BAD_ARGUMENTS', /differs from the type/);
  });
  it('inline rights need one disposition, the same on every element', () => {
    expectCode(() => enc({ a: [{ name: 1, disposition: MT.MAKE_SEND }, { name: 2, disposition: MT.COPY_SEND }] }), 'MIG_BAD_ARGUMENTS', /one disposition/);
    expectCode(() => enc({ a: [1, 2] }), 'MIG_BAD_ARGUMENTS', /one disposition/);
    expectCode(() => enc({ a: rights([1], 300) }), 'MIG_BAD_ARGUMENTS', /bad disposition/);
  });
  it("a PortArray's disposition must be in 0..255 and agree with its elements'", () => {
    expectCode(() => enc({ a: portArray([], 256) }), 'MIG_BAD_ARGUMENTS', /'a'\.disposition: bad disposition 256/);
    expectCode(() => enc({ a: portArray([], 1.5) }), 'MIG_BAD_ARGUMENTS', /bad disposition/);
    expectCode(() => enc({ a: Object.assign([], { disposition: 'move' }) as unknown as PortArray }), 'MIG_BAD_ARGUMENTS', /bad disposition/);
    expectCode(() => enc({ a: portArray([{ name: 1, disposition: MT.MAKE_SEND }, 2], MT.MOVE_SEND) }), 'MIG_BAD_ARGUMENTS', /\[0\]: disposition 20 differs from the array's 17/);
    expectCode(() => enc({ a: portArray([1, -1], MT.MOVE_SEND) }), 'MIG_BAD_ARGUMENTS', /\[1\]: port name -1/);
    expectCode(() => enc({ a: portArray(range(257, 1), MT.MOVE_SEND) }), 'MIG_BAD_ARGUMENTS', /placeOutOfLine/);
  });
  it('an array that must go out-of-line needs placeOutOfLine (or an OolRef)', () => {
    expectCode(() => enc({ a: rights(range(257, 1), MT.MAKE_SEND) }), 'MIG_BAD_ARGUMENTS', /placeOutOfLine/);
  });

  const good = enc({});
  const withItem = (i: number, item: MachMessage['items'][number]): MachMessage => ({ ...good, items: good.items.map((x, j) => (j === i ? item : x)) });
  it('the server refuses a ^array[] sent inline, or out-of-line with 64-bit names', () => {
    expectCode(() => r.decodeRequest(withItem(1, { kind: 'ports', type: { name: MT.PORT_SEND, size: 64, number: 1, inline: true, longform: true, deallocate: false }, names: [3] })), 'MIG_BAD_ARGUMENTS', /inline, expected out-of-line/);
    expectCode(() => r.decodeRequest(withItem(1, { kind: 'ool', type: { name: MT.PORT_SEND, size: 64, number: 1, inline: false, longform: true, deallocate: false }, address: 0x1000n })), 'MIG_BAD_ARGUMENTS', /msgt_size 64/);
    expectCode(() => r.decodeRequest(withItem(1, { kind: 'ool', type: { name: MT.PORT_SEND, size: 32, number: 1, inline: false, longform: false, deallocate: false }, address: 0x1000n })), 'MIG_BAD_ARGUMENTS', /msgt_longform/);
  });
  it('port rights in a polymorphic array need MACH_MSGH_BITS_COMPLEX (MIG: MACH_MSG_TYPE_PORT_ANY and simple)', () => {
    const pb = iface(abi).routine('pblock');
    const req = pb.encodeRequest({ p: 5, a: rights([1, 2], MT.MAKE_SEND) });
    const simple = (m: MachMessage): MachMessage => ({ ...m, header: { ...m.header, bits: { ...m.header.bits, complex: false } } });
    expectCode(() => pb.decodeRequest(simple(req)), 'MIG_BAD_ARGUMENTS', /'?a'?: port rights in a message without MACH_MSGH_BITS_COMPLEX/);
    expectCode(() => iface(abi).decodeRequest(simple(req)), 'MIG_BAD_ARGUMENTS', /without MACH_MSGH_BITS_COMPLEX/);
    expect(pb.decodeRequest(req).args.a).toEqual(decoded([1, 2], MT.MAKE_SEND));
    const po = iface(abi).routine('pout');
    const rep = po.encodeReply({ c: rights([3], MT.MOVE_SEND_ONCE) });
    expect(rep.header.bits.complex).toBe(true);
    expectCode(() => po.decodeReply(simple(rep)), 'MIG_TYPE_ERROR', /without MACH_MSGH_BITS_COMPLEX/);
    // PORT_NAME is no right: simple is right, and complex is accepted too (MIG does not test that way).
    const names = po.encodeReply({ c: rights([3], MT.PORT_NAME) });
    expect(names.header.bits.complex).toBe(false);
    expect(po.decodeReply(names).args.c).toEqual(decoded([3], MT.PORT_NAME));
    expect(po.decodeReply({ ...names, header: { ...names.header, bits: { ...names.header.bits, complex: true } } }).args.c).toEqual(decoded([3], MT.PORT_NAME));
  });

  it('the user stub refuses a reply whose polymorphic array has the wrong slot size', () => {
    const rep = r.encodeReply({ c: rights([1, 2], MT.PORT_NAME), d: { address: 0n, count: 0, disposition: MT.COPY_SEND } });
    const bad: MachMessage = { ...rep, items: rep.items.map((x, j) => (j === 1 ? { ...x, type: { ...x.type, size: 16 } } : x)) };
    expectCode(() => r.decodeReply(bad), 'MIG_TYPE_ERROR', /msgt_size 16/);
  });
});

describe('the compiled plan and the reference codec agree', () => {
  for (const abi of ABIS) {
    it(`${abi}: seeded random polymorphic arrays, requests and replies`, () => {
      const lay = iface(abi).routine('pa').layout;
      const plan = planOf(lay);
      const x = abi === 'x86_64';
      fc.assert(
        fc.property(arrayArb(x ? 300 : 600), oolArb, arrayArb(x ? 300 : 600), oolArb, (a, b, c, d) => {
          const space = new Space();
          const req = plan.encodeRequest({ p: 5, a: a.value, b: b.value }, { header: { localPort: 9 }, placeOutOfLine: space.place });
          const rcvd = viaBytes(req, abi);
          const got = plan.decodeRequest(rcvd).args;
          expect(got).toEqual(ref.decodeRequest(lay, rcvd).args);
          expectSame(got.a, a, space);
          expectSame(got.b, b, space);
          const rep = plan.encodeReply({ c: c.value, d: d.value }, { placeOutOfLine: space.place });
          const back = viaBytes(rep, abi);
          const outs = plan.decodeReply(back).args;
          expect(outs).toEqual(ref.decodeReply(lay, back).args);
          expectSame(outs.c, c, space);
          expectSame(outs.d, d, space);
        }),
        { seed: 0x706f6c79, numRuns: 150 },
      );
    });
  }
});

describe('fuzz: mutated polymorphic-array messages decode or give typed errors', () => {
  for (const abi of ABIS) {
    it(`${abi}: 3000 mutations through the server demux and the user-side reply check`, () => {
      const ci = iface(abi);
      const r = ci.routine('pa');
      const space = new Space();
      const corpus: { reply: boolean; bytes: Uint8Array }[] = [];
      for (const [n, disp] of [
        [3, MT.MAKE_SEND],
        [300, MT.MOVE_SEND],
        [600, MT.PORT_NAME],
        [2, MT.PORT_NAME],
        [0, MT.COPY_SEND],
        [0, MT.MOVE_SEND],
        [0, MT.MAKE_SEND_ONCE],
        [0, MT.PORT_NAME],
      ] as const) {
        // Empty arrays as a PortArray, so that their disposition is sent.
        const a: PortArray = n === 0 ? portArray([], disp) : rights(range(n, 0x100), disp);
        const b: OolRef = { address: 0x7000n, count: n % 5, deallocate: n % 2 === 0, disposition: disp };
        corpus.push({ reply: false, bytes: encodeMessage(r.encodeRequest({ p: 5, a, b }, { header: { localPort: 9 }, placeOutOfLine: space.place }), abi) });
        corpus.push({ reply: true, bytes: encodeMessage(r.encodeReply({ c: a, d: b }, { header: { remotePort: 3 }, placeOutOfLine: space.place }), abi) });
        corpus.push({ reply: false, bytes: encodeMessage(ci.routine('pblock').encodeRequest({ p: 5, a: n === 0 ? a : a.slice(0, 200) }), abi) });
      }
      let decoded = 0;
      fc.assert(
        fc.property(
          fc.nat(corpus.length - 1),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          (which, edits) => {
            const { reply, bytes } = corpus[which] as { reply: boolean; bytes: Uint8Array };
            const b = bytes.slice();
            // Most edits land in the header and descriptors, where the checks are.
            for (const [at, value] of edits) b[at % Math.min(b.length, 96)] = value;
            try {
              const m = decodeMessage(b, abi);
              if (reply) r.decodeReply(m);
              else ci.decodeRequest(m);
              decoded++;
            } catch (e) {
              expect(isMigError(e) || isMachMsgError(e), String(e)).toBe(true);
            }
          },
        ),
        { seed: 0x66757a7a, numRuns: 3000 },
      );
      // Some mutations (names, data) still decode: the fuzz is not all rejects.
      expect(decoded).toBeGreaterThan(0);
    });
  }
});

// ---- arbitraries -----------------------------------------------------------

interface Gen {
  value: MigValue;
  names: number[];
  disposition: number;
}

const dispositions = fc.constantFrom(MT.MOVE_RECEIVE, MT.MOVE_SEND, MT.MOVE_SEND_ONCE, MT.COPY_SEND, MT.MAKE_SEND, MT.MAKE_SEND_ONCE, MT.PORT_NAME);
const portName = fc.oneof(fc.constantFrom(0, 0xffffffff), fc.integer({ min: 1, max: 0xffffffff }));

/**
 * An array[] of polymorphic (0..max rights) given as a PortArray of bare
 * names, or as PortRight[] when it has an element to carry the disposition;
 * an empty one is drawn often, since only a PortArray can send its
 * disposition.
 */
function arrayArb(max: number): fc.Arbitrary<Gen> {
  const names = fc.oneof({ weight: 1, arbitrary: fc.constant<number[]>([]) }, { weight: 3, arbitrary: fc.array(portName, { maxLength: max }) });
  return fc.tuple(names, dispositions, fc.boolean()).map(([ns, disposition, whole]) => ({
    value: whole || ns.length === 0 ? portArray(ns, disposition) : rights(ns, disposition),
    names: ns,
    disposition,
  }));
}

/** A ^array[] of polymorphic given as an OolRef (memory the test never reads). */
const oolArb: fc.Arbitrary<Gen> = fc
  .tuple(fc.bigInt({ min: 0n, max: 0xffff_f000n }), fc.nat(5000), dispositions, fc.boolean())
  .map(([address, count, disposition, deallocate]) => ({ value: { address, count, deallocate, disposition }, names: [], disposition }));

/** A decoded array (inline rights or an OolRef) holds the generated names and disposition. */
function expectSame(got: MigValue | undefined, want: Gen, space: Space): void {
  if (isOolRef(got)) {
    expect(got.disposition).toBe(want.disposition);
    if (isOolRef(want.value)) {
      // Given as an OolRef: the same memory, count and disposition cross.
      expect([got.address, got.count]).toEqual([want.value.address, want.value.count]);
    } else expect(space.names(got)).toEqual(want.names);
    return;
  }
  // Every element and the array itself (the only place an empty one keeps it).
  expect(got).toEqual(decoded(want.names, want.disposition));
}
