/**
 * The runtime codecs on the project's own test interface, which has every
 * argument kind: round trips per ABI (as MachMessage objects and through the
 * bytes of encodeMessage/decodeMessage), the 2048-byte inline/out-of-line
 * switch, MIG's server and user type checks, and property tests.
 *
 * The descriptor templates asserted here were checked against the Debian 13
 * MIG (x86_64-gnu-mig and i686-gnu-mig) on an equivalent interface.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../src/decode.js';
import { encodeMessage } from '../src/encode.js';
import { isMachMsgError } from '../src/errors.js';
import type { Abi, MachMessage } from '../src/message.js';
import {
  compileInterface,
  type CompiledInterface,
  isMigError,
  type MigArgs,
  MigError,
  type MigErrorCode,
  POLYMORPHIC,
} from '../src/mig/index.js';

const ABIS: readonly Abi[] = ['i386', 'x86_64'];

/** The test interface: every argument kind MIG has. */
const KINDS_DEFS = `
subsystem kinds 3000;
type int32 = MACH_MSG_TYPE_INTEGER_32;
type i64 = MACH_MSG_TYPE_INTEGER_64;
type bool = MACH_MSG_TYPE_BOOLEAN;
type byte = MACH_MSG_TYPE_BYTE;
type real64 = (MACH_MSG_TYPE_REAL, 64);
type port = MACH_MSG_TYPE_COPY_SEND;
type make_port = MACH_MSG_TYPE_MAKE_SEND;
type move_port = MACH_MSG_TYPE_MOVE_SEND;
type recv_port = MACH_MSG_TYPE_MOVE_RECEIVE;
type so_port = MACH_MSG_TYPE_MAKE_SEND_ONCE;
type send_port = MACH_MSG_TYPE_PORT_SEND;
type pname = MACH_MSG_TYPE_PORT_NAME;
type poly = polymorphic;
type reply_port_t = MACH_MSG_TYPE_MAKE_SEND_ONCE | polymorphic;
type poly_so_t = polymorphic | MACH_MSG_TYPE_PORT_SEND_ONCE;
type vint = array[] of int;
type bint = array[*:10] of int;
type fint = array[4] of int;
type vstr = c_string[*:64];
type fstr = c_string[32];
type ool = ^array[] of byte;
type ports = array[] of port;
type pnames = array[] of pname;
type st = struct { i64 a; int32 b; };
type sta = array[] of st;
type st3 = struct[3] of st;
type bytes = array[] of char;
type shorts = array[*:8] of short;
type bigstr = (MACH_MSG_TYPE_STRING_C, 8*128);

routine scalars(p : port; a : int32; b : i64; c : bool; d : real64; e : short; f : char;
                out g : i64; inout h : int32);
routine arrays(p : port; a : vint; b : bint; c : fint; d : vstr; e : fstr;
               out f : vint; out g : bint; out h : vstr; i : bytes; j : shorts; k : bigstr);
routine rights(p : port; a : port; b : make_port; c : move_port; d : recv_port; e : so_port;
               f : poly; g : ports; h : pnames; k : pname; l : send_port; out i : port; out j : ports);
routine ool(p : port; a : ool; b : ool, dealloc; c : ool, Dealloc[]; out d : ool);
routine structs(p : port; a : st; b : st3; c : sta; out d : st);
simpleroutine simple(p : port; ureplyport rp : reply_port_t; a : bytes);
skip;
routine special(p : port; msgseqno s : int32; waittime w : int32; msgoption o : int32;
                out z : bint, CountInOut; c : bint, IsLong; sreplyport srp : reply_port_t);
simpleroutine polyreq(p : poly_so_t; a : int32);
simpleroutine deallocs(p : port; a : bytes, dealloc; b : bytes, Dealloc[]);
`;

const compiled = new Map<Abi, CompiledInterface>(ABIS.map((abi) => [abi, compileInterface(KINDS_DEFS, { abi, file: 'kinds.defs' })]));
const kinds = (abi: Abi): CompiledInterface => compiled.get(abi) as CompiledInterface;

/** Through the bytes: MachMessage -> encodeMessage -> decodeMessage. */
function viaBytes(msg: MachMessage, abi: Abi): MachMessage {
  return decodeMessage(encodeMessage(msg, abi), abi);
}

function migError(f: () => unknown): MigError {
  try {
    f();
  } catch (e) {
    if (isMigError(e)) return e;
    throw e;
  }
  throw new Error('no error');
}
function expectCode(f: () => unknown, code: MigErrorCode): MigError {
  const e = migError(f);
  expect(e.code, e.message).toBe(code);
  return e;
}

describe('ids and layouts', () => {
  it('ids: base + index, skip takes one, replies + 100', () => {
    for (const abi of ABIS) {
      const k = kinds(abi);
      expect(k.routines.map((r) => [r.name, r.id, r.replyId])).toEqual([
        ['scalars', 3000, 3100],
        ['arrays', 3001, 3101],
        ['rights', 3002, 3102],
        ['ool', 3003, 3103],
        ['structs', 3004, 3104],
        ['simple', 3005, undefined],
        ['special', 3007, 3107],
        ['polyreq', 3008, undefined],
        ['deallocs', 3009, undefined],
      ]);
    }
  });

  it('descriptor templates (checked against the real MIG)', () => {
    const d = (abi: Abi, r: string, item: string, reply = false) => {
      const L = kinds(abi).routine(r).layout;
      return (reply ? L.reply : L.request)?.items.find((i) => i.name === item)?.descriptor;
    };
    for (const abi of ABIS) {
      const x = abi === 'x86_64';
      expect(d(abi, 'arrays', 'a')).toEqual({ name: 2, size: 32, number: 512, inline: true, longform: true, deallocate: false });
      expect(d(abi, 'arrays', 'b')).toEqual({ name: 2, size: 32, number: 10, inline: true, longform: false, deallocate: false });
      expect(d(abi, 'arrays', 'c')).toEqual({ name: 2, size: 32, number: 4, inline: true, longform: false, deallocate: false });
      expect(d(abi, 'arrays', 'd')).toEqual({ name: 12, size: 8, number: 64, inline: true, longform: false, deallocate: false });
      expect(d(abi, 'arrays', 'e')).toEqual({ name: 12, size: 8, number: 32, inline: true, longform: false, deallocate: false });
      expect(d(abi, 'arrays', 'i')).toMatchObject({ name: 8, size: 8, number: 2048, longform: true });
      expect(d(abi, 'arrays', 'k')).toMatchObject({ name: 12, size: 1024, number: 1, longform: true });
      expect(d(abi, 'ool', 'a')).toEqual({ name: 9, size: 8, number: 0, inline: false, longform: true, deallocate: false });
      expect(d(abi, 'ool', 'b')).toEqual({ name: 9, size: 8, number: 0, inline: false, longform: true, deallocate: true });
      expect(d(abi, 'rights', 'g')).toEqual({ name: 19, size: x ? 64 : 32, number: x ? 256 : 512, inline: true, longform: true, deallocate: false });
      expect(d(abi, 'rights', 'h')).toEqual({ name: 15, size: 32, number: 512, inline: true, longform: true, deallocate: false });
      expect(d(abi, 'rights', 'f')).toEqual({ name: POLYMORPHIC, size: x ? 64 : 32, number: 1, inline: true, longform: false, deallocate: false });
      expect(d(abi, 'rights', 'l')?.name).toBe(POLYMORPHIC); // PORT_SEND: the sender picks
      // Struct flattening: { int64; int32 } is INTEGER_64 x 2 on x86_64, INTEGER_32 x 3 on i386.
      expect(d(abi, 'structs', 'a')).toMatchObject(x ? { name: 11, size: 64, number: 2 } : { name: 2, size: 32, number: 3 });
      expect(d(abi, 'structs', 'b')).toMatchObject(x ? { name: 11, size: 64, number: 6 } : { name: 2, size: 32, number: 9 });
      expect(d(abi, 'structs', 'c')).toMatchObject(x ? { name: 11, size: 64, number: 256 } : { name: 2, size: 32, number: 510 });
      expect(d(abi, 'special', 'zCnt')).toEqual({ name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false });
      expect(d(abi, 'special', 'c')).toMatchObject({ number: 10, longform: true });
      expect(d(abi, 'scalars', 'RetCode', true)).toEqual({ name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false });
    }
  });

  it('sizes, offsets and header bits', () => {
    const s = (abi: Abi, r: string) => kinds(abi).routine(r).layout;
    // scalars: 7 items (a..f and the inout h); on x86_64 each is 8 + 8 (16 bytes),
    // on i386 4 + 4, or 4 + 8 for the 64-bit b and d (not 8-aligned on i386).
    expect(s('x86_64', 'scalars').request.fixedSize).toBe(32 + 7 * 16);
    expect(s('i386', 'scalars').request.fixedSize).toBe(24 + 5 * 8 + 12 + 12);
    expect(s('x86_64', 'scalars').request.items.map((i) => i.offset)).toEqual([32, 48, 64, 80, 96, 112, 128]);
    expect(s('i386', 'scalars').request.items.map((i) => i.offset)).toEqual([24, 32, 44, 52, 64, 72, 80]);
    expect(s('x86_64', 'scalars').reply?.fixedSize).toBe(32 + 16 + 16 + 16);
    expect(s('i386', 'scalars').reply?.fixedSize).toBe(24 + 8 + 12 + 8);
    // The real MIG's stub for a..e computes `msgh_size = 120 + delta` on x86_64
    // (100 on i386): the size with the variable data empty. Then i and j
    // (descriptors only) and k (descriptor + 128 bytes).
    expect(s('x86_64', 'arrays').request.minSize).toBe(120 + 8 + 8 + (8 + 128));
    expect(s('i386', 'arrays').request.minSize).toBe(100 + 12 + 4 + (12 + 128));
    expect(s('x86_64', 'arrays').request.items[1]?.offset).toBeUndefined();
    expect(s('x86_64', 'rights').request.complex).toBe('always');
    expect(s('x86_64', 'scalars').request.complex).toBe('never');
    expect(s('x86_64', 'simple').requestBits).toEqual({ remote: 19, local: 21 });
    expect(s('x86_64', 'polyreq').requestBits).toEqual({ remote: POLYMORPHIC, local: 0 });
    expect(s('x86_64', 'scalars').requestBits).toEqual({ remote: 19, local: 21 });
    expect(s('x86_64', 'special').args.map((a) => a.kind)).toEqual(['requestport', 'msgseqno', 'waittime', 'msgoption', 'out', 'in', 'sreplyport']);
    expect(s('x86_64', 'special').request.items.map((i) => i.name)).toEqual(['zCnt', 'c']);
  });
});

const SCALARS: MigArgs = { p: 5, a: -7, b: 0xfedcba9876543210n, c: true, d: 2.5, e: -300, f: 200, h: 0x7fffffff };

describe('round trips', () => {
  for (const abi of ABIS) {
    it(`${abi}: scalars, request and reply`, () => {
      const r = kinds(abi).routine('scalars');
      const msg = r.encodeRequest(SCALARS, { header: { localPort: 0x33 } });
      expect(msg.header).toMatchObject({ remotePort: 5, localPort: 0x33, id: 3000, bits: { remote: 19, local: 21, complex: false } });
      const back = r.decodeRequest(viaBytes(msg, abi));
      const { p: _p, ...body } = SCALARS;
      expect(back.args).toEqual(body);
      const reply = r.encodeReply({ g: 1n << 40n, h: -1 }, { header: { remotePort: 0x33 } });
      expect(reply.header).toMatchObject({ id: 3100, remotePort: 0x33, bits: { remote: 18, local: 0 } });
      expect(r.decodeReply(viaBytes(reply, abi))).toMatchObject({ retCode: 0, args: { g: 1n << 40n, h: -1 } });
    });

    it(`${abi}: arrays and strings`, () => {
      const r = kinds(abi).routine('arrays');
      const args = {
        p: 1,
        a: [1, -2, 3],
        b: [],
        c: [9, 8, 7, 6],
        d: 'hello',
        e: 'fixed',
        i: new Uint8Array([1, 2, 3, 250]),
        j: [-1, 2, 30000],
        k: 'hd0',
      };
      const msg = r.encodeRequest(args);
      const d = msg.items[3];
      // c_string[*:64]: number = strlen + 1 (the NUL is sent).
      expect(d?.type.number).toBe(6);
      const { p: _p, ...body } = args;
      expect(r.decodeRequest(viaBytes(msg, abi)).args).toEqual(body);
      const reply = r.encodeReply({ f: [5], g: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], h: '' });
      expect(r.decodeReply(viaBytes(reply, abi)).args).toEqual({ f: [5], g: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], h: '' });
    });

    it(`${abi}: every kind of port`, () => {
      const r = kinds(abi).routine('rights');
      const args = {
        p: { name: 1 },
        a: 10,
        b: { name: 11 },
        c: { name: 12, disposition: 17 },
        d: 13,
        e: 14,
        f: { name: 15, disposition: 21 },
        g: [20, 21, { name: 22 }],
        h: [30, 31],
        k: 40,
        l: { name: 41, disposition: 20 },
      };
      const msg = r.encodeRequest(args);
      expect(msg.header.bits.complex).toBe(true);
      expect(msg.items.map((i) => [i.kind, i.type.name])).toEqual([
        ['ports', 19],
        ['ports', 20],
        ['ports', 17],
        ['ports', 16],
        ['ports', 21],
        ['ports', 21],
        ['ports', 19],
        ['data', 15],
        ['data', 15],
        ['ports', 20],
      ]);
      const got = r.decodeRequest(viaBytes(msg, abi)).args;
      expect(got).toEqual({
        a: { name: 10, disposition: 19 },
        b: { name: 11, disposition: 20 },
        c: { name: 12, disposition: 17 },
        d: { name: 13, disposition: 16 },
        e: { name: 14, disposition: 21 },
        f: { name: 15, disposition: 21 },
        g: [20, 21, 22].map((name) => ({ name, disposition: 19 })),
        h: new Uint8Array(new Uint32Array([30, 31]).buffer).length === 8 ? [30, 31] : [],
        k: 40,
        l: { name: 41, disposition: 20 },
      });
      // As the kernel delivers it (COPY_SEND -> PORT_SEND, MAKE_SEND_ONCE -> PORT_SEND_ONCE), it still checks.
      const delivered: MachMessage = {
        ...msg,
        items: msg.items.map((i) => (i.kind === 'ports' ? { ...i, type: { ...i.type, name: ({ 19: 17, 20: 17, 21: 18 } as Record<number, number>)[i.type.name] ?? i.type.name } } : i)),
      };
      expect(r.decodeRequest(delivered).args).toMatchObject({ a: { name: 10, disposition: 17 }, e: { name: 14, disposition: 18 } });
      const reply = r.encodeReply({ i: 50, j: [51, 52] });
      expect(r.decodeReply(viaBytes(reply, abi)).args).toEqual({ i: { name: 50, disposition: 19 }, j: [51, 52].map((name) => ({ name, disposition: 19 })) });
    });

    it(`${abi}: out-of-line data and dealloc`, () => {
      const r = kinds(abi).routine('ool');
      const msg = r.encodeRequest({
        p: 1,
        a: { address: 0x1000n, count: 10 },
        b: { address: 0x2000n, count: 0 },
        c: { address: 0x3000n, count: 4096, deallocate: true },
      });
      expect(msg.items.map((i) => [i.kind, i.type.deallocate, i.type.number])).toEqual([
        ['ool', false, 10],
        ['ool', true, 0],
        ['ool', true, 4096],
      ]);
      const got = r.decodeRequest(viaBytes(msg, abi)).args;
      expect(got).toEqual({
        a: { address: 0x1000n, count: 10, deallocate: false },
        b: { address: 0x2000n, count: 0, deallocate: true },
        c: { address: 0x3000n, count: 4096, deallocate: true },
      });
      const reply = r.encodeReply({ d: { address: 0x7000n, count: 3 } });
      expect(r.decodeReply(viaBytes(reply, abi)).args).toEqual({ d: { address: 0x7000n, count: 3, deallocate: false } });
    });

    it(`${abi}: structs (flattened by alignment)`, () => {
      const r = kinds(abi).routine('structs');
      const one = (i: number) => ({ a: BigInt(i) << 33n, b: -i });
      const args = { p: 1, a: one(1), b: [one(2), one(3), one(4)], c: [one(5), one(6)] };
      const msg = r.encodeRequest(args);
      expect(msg.items[2]?.type.number).toBe(abi === 'x86_64' ? 4 : 6);
      const { p: _p, ...body } = args;
      expect(r.decodeRequest(viaBytes(msg, abi)).args).toEqual(body);
      expect(r.decodeReply(viaBytes(r.encodeReply({ d: one(9) }), abi)).args).toEqual({ d: one(9) });
    });

    it(`${abi}: simpleroutine with a user reply port, msgseqno, CountInOut, polymorphic request port`, () => {
      const s = kinds(abi).routine('simple');
      const m = s.encodeRequest({ p: 2, rp: 3, a: new Uint8Array([7]) });
      expect(m.header).toMatchObject({ remotePort: 2, localPort: 3, bits: { remote: 19, local: 21 } });
      expect(() => s.encodeReply({})).toThrow(MigError);

      const sp = kinds(abi).routine('special');
      const req = sp.encodeRequest({ p: 2, c: [1, 2] }, { header: { seqno: 0 } });
      expect(req.items.map((i) => i.type.number)).toEqual([1, 2]);
      // CountInOut: the caller's buffer size (default: the bound).
      expect(new DataView(((req.items[0] as { data: Uint8Array }).data).buffer).getUint32(0, true)).toBe(10);
      const delivered = { ...viaBytes(req, abi), header: { ...req.header, seqno: 77 } };
      expect(sp.decodeRequest(delivered).args).toEqual({ zCnt: 10, c: [1, 2], s: 77 });
      expect(sp.encodeRequest({ p: 2, c: [], zCnt: 3 }).items[0]).toMatchObject({ data: new Uint8Array([3, 0, 0, 0]) });

      const pr = kinds(abi).routine('polyreq');
      expect(() => pr.encodeRequest({ p: 4, a: 1 })).toThrow(/disposition/);
      const pm = pr.encodeRequest({ p: { name: 4, disposition: 18 }, a: 1 });
      expect(pm.header.bits).toMatchObject({ remote: 18, local: 0, complex: false });
    });
  }
});

describe('the 2048-byte inline / out-of-line switch', () => {
  for (const abi of ABIS) {
    it(`${abi}`, () => {
      const placed: Uint8Array[] = [];
      const placeOutOfLine = (data: Uint8Array): bigint => {
        placed.push(data);
        return 0x10000n * BigInt(placed.length);
      };
      const simple = kinds(abi).routine('simple');
      const at = (n: number) => simple.encodeRequest({ p: 1, rp: 2, a: new Uint8Array(n).fill(1) }, { placeOutOfLine }).items[0];
      expect(at(2048)).toMatchObject({ kind: 'data', type: { inline: true, longform: true, number: 2048 } });
      expect(at(2049)).toMatchObject({ kind: 'ool', type: { inline: false, longform: true, number: 2049, size: 8 } });
      expect(placed[0]?.length).toBe(2049);
      expect(simple.encodeRequest({ p: 1, rp: 2, a: new Uint8Array(2049) }, { placeOutOfLine }).header.bits.complex).toBe(true);
      expectCode(() => simple.encodeRequest({ p: 1, rp: 2, a: new Uint8Array(2049) }), 'MIG_BAD_ARGUMENTS');

      const arrays = kinds(abi).routine('arrays');
      const base = { p: 1, b: [], c: [1, 2, 3, 4], d: '', e: '', i: new Uint8Array(0), j: [], k: '' };
      expect(arrays.encodeRequest({ ...base, a: new Array(512).fill(3) }, { placeOutOfLine }).items[0]?.kind).toBe('data');
      expect(arrays.encodeRequest({ ...base, a: new Array(513).fill(3) }, { placeOutOfLine }).items[0]?.kind).toBe('ool');

      // Ports: 256 inline on x86_64 (8-byte names), 512 on i386; out-of-line names are 32 bits on both.
      const rights = kinds(abi).routine('rights');
      const limit = abi === 'x86_64' ? 256 : 512;
      const rbase = { p: 1, a: 1, b: 1, c: 1, d: 1, e: 1, f: { name: 1, disposition: 19 }, h: [], k: 1, l: { name: 1, disposition: 19 } };
      const g = (n: number) => rights.encodeRequest({ ...rbase, g: Array.from({ length: n }, (_, i) => i + 1) }, { placeOutOfLine }).items[6];
      expect(g(limit)).toMatchObject({ kind: 'ports', type: { inline: true, size: abi === 'x86_64' ? 64 : 32, number: limit } });
      const big = g(limit + 1);
      expect(big).toMatchObject({ kind: 'ool', type: { inline: false, size: 32, number: limit + 1, name: 19 } });
      expect(placed[placed.length - 1]?.length).toBe(4 * (limit + 1));
      // Received out-of-line, the same argument decodes to an OolRef (count in elements).
      const m = rights.encodeRequest({ ...rbase, g: Array.from({ length: limit + 1 }, (_, i) => i + 1) }, { placeOutOfLine });
      const got = rights.decodeRequest(viaBytes(m, abi)).args.g;
      expect(got).toMatchObject({ count: limit + 1 });
    });
  }
});

describe('struct flattening by alignment: a stat64-shaped struct (hurd-fs-interfaces.md §8)', () => {
  const STAT_DEFS = `
subsystem statdemo 21000;
type word_t = uintptr_t;
type timespec_t = struct { word_t tv_sec; word_t tv_nsec; };
type statbuf_t = struct {
  int st_fstype; int64 st_fsid; int64 st_ino; int st_gen; word_t st_rdev; int st_mode; word_t st_nlink;
  int st_uid; int st_gid; int64 st_size; timespec_t st_atim; timespec_t st_mtim; timespec_t st_ctim;
  word_t st_blksize; int64 st_blocks; int st_author; int st_flags; array[8] of int st_spare;
};
type port = MACH_MSG_TYPE_COPY_SEND;
skip; skip; skip; skip; skip; skip; skip; skip; skip;
routine io_stat(stat_object : port; out stat_info : statbuf_t);
`;
  const OFFSETS = {
    x86_64: [0, 8, 16, 24, 32, 40, 48, 56, 60, 64, 72, 88, 104, 120, 128, 136, 140, 144],
    i386: [0, 4, 12, 20, 24, 28, 32, 36, 40, 44, 52, 60, 68, 76, 80, 88, 92, 96],
  };
  for (const abi of ABIS) {
    it(`${abi}: ${abi === 'x86_64' ? 'INTEGER_64 x 22' : 'INTEGER_32 x 32'}, fields at the C offsets, named round trip`, () => {
      const ci = compileInterface(STAT_DEFS, { abi });
      const r = ci.routine('io_stat');
      expect(r.id).toBe(21009);
      const item = r.layout.reply?.items[1];
      expect(item?.descriptor).toEqual(
        abi === 'x86_64'
          ? { name: 11, size: 64, number: 22, inline: true, longform: false, deallocate: false }
          : { name: 2, size: 32, number: 32, inline: true, longform: false, deallocate: false },
      );
      const cv = item?.type.cValue;
      expect(cv?.kind === 'struct' ? cv.fields.map((f) => f.offset) : []).toEqual(OFFSETS[abi]);
      expect(r.layout.reply?.fixedSize).toBe(abi === 'x86_64' ? 232 : 164);
      const w = (n: number) => (abi === 'x86_64' ? BigInt(n) : n);
      const ts = (n: number) => ({ tv_sec: w(n), tv_nsec: w(n + 1) });
      const st = {
        st_fstype: 3, st_fsid: 1n << 40n, st_ino: 77n, st_gen: 1, st_rdev: w(5), st_mode: 0o100644, st_nlink: w(2),
        st_uid: 1000, st_gid: 100, st_size: 12345n, st_atim: ts(10), st_mtim: ts(20), st_ctim: ts(30),
        st_blksize: w(4096), st_blocks: 24n, st_author: 1000, st_flags: 0, st_spare: [0, 0, 0, 0, 0, 0, 0, 0],
      };
      const reply = r.encodeReply({ stat_info: st });
      const bytes = encodeMessage(reply, abi);
      expect(bytes.length).toBe(abi === 'x86_64' ? 232 : 164);
      expect(r.decodeReply(decodeMessage(bytes, abi)).args).toEqual({ stat_info: st });
    });
  }
});

describe('dealloc on inline-or-out-of-line arrays (as the real MIG does it)', () => {
  for (const abi of ABIS) {
    it(`${abi}: the flag applies only once the array goes out-of-line`, () => {
      const r = kinds(abi).routine('deallocs');
      // The template is inline, without msgt_deallocate (the kernel refuses it inline).
      expect(r.layout.request.items.map((i) => i.descriptor.deallocate)).toEqual([false, false]);
      const placeOutOfLine = (): bigint => 0x5000n;
      const small = r.encodeRequest({ p: 1, a: new Uint8Array(4), b: new Uint8Array(4) }, { placeOutOfLine });
      expect(small.items.map((i) => [i.kind, i.type.deallocate])).toEqual([
        ['data', false],
        ['data', false],
      ]);
      const big = r.encodeRequest({ p: 1, a: new Uint8Array(3000), b: new Uint8Array(3000) }, { placeOutOfLine });
      // `dealloc`: always once out-of-line; `Dealloc[]`: the caller's choice (default false).
      expect(big.items.map((i) => [i.kind, i.type.deallocate])).toEqual([
        ['ool', true],
        ['ool', false],
      ]);
      const chosen = r.encodeRequest({ p: 1, a: new Uint8Array(1), b: { address: 0x9000n, count: 3000, deallocate: true } });
      expect(chosen.items[1]).toMatchObject({ kind: 'ool', address: 0x9000n, type: { deallocate: true, number: 3000 } });
    });
  }
});

describe('type checks (MIG_BAD_ARGUMENTS on the server, MIG_TYPE_ERROR on the user side)', () => {
  const abi: Abi = 'x86_64';
  const r = () => kinds(abi).routine('scalars');
  const good = () => r().encodeRequest(SCALARS);
  const mutate = (m: MachMessage, i: number, t: Partial<MachMessage['items'][number]['type']>): MachMessage => ({
    ...m,
    items: m.items.map((it, k) => (k === i ? ({ ...it, type: { ...it.type, ...t } } as typeof it) : it)),
  });

  it('fixed-size arguments compare the whole descriptor', () => {
    for (const change of [{ name: 11 }, { size: 16 }, { number: 2 }, { longform: true }, { inline: false }]) {
      const e = expectCode(() => r().decodeRequest(mutate(good(), 0, change)), 'MIG_BAD_ARGUMENTS');
      expect(e.kern).toBe(-304);
      expect(e.message).toContain("'a'".slice(1, 2));
    }
  });

  it('variable arrays are checked field by field', () => {
    const ar = kinds(abi).routine('arrays');
    const m = ar.encodeRequest({ p: 1, a: [1], b: [1, 2], c: [1, 2, 3, 4], d: 'x', e: 'y', i: new Uint8Array(1), j: [], k: '' });
    // array[] may be inline or not, but the flag must agree with the item.
    expectCode(() => ar.decodeRequest(mutate(m, 0, { inline: false })), 'MIG_BAD_ARGUMENTS');
    expectCode(() => ar.decodeRequest(mutate(m, 0, { longform: false })), 'MIG_BAD_ARGUMENTS');
    expectCode(() => ar.decodeRequest(mutate(m, 0, { name: 11 })), 'MIG_BAD_ARGUMENTS');
    expectCode(() => ar.decodeRequest(mutate(m, 1, { number: 11 })), 'MIG_BAD_ARGUMENTS'); // above the bound
    expectCode(() => ar.decodeRequest(mutate(m, 1, { size: 16 })), 'MIG_BAD_ARGUMENTS');
    // A smaller count is fine for a variable array.
    expect(ar.decodeRequest(mutate(m, 1, { number: 1 })).args.b).toEqual([1]);
  });

  it('item count, complex bit, ids', () => {
    const m = good();
    expectCode(() => r().decodeRequest({ ...m, items: m.items.slice(1) }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => r().decodeRequest({ ...m, header: { ...m.header, bits: { ...m.header.bits, complex: true } } }), 'MIG_BAD_ARGUMENTS');
    const e = expectCode(() => kinds(abi).decodeRequest({ ...m, header: { ...m.header, id: 3006 } }), 'MIG_BAD_ID');
    expect(e.kern).toBe(-303);
    expect(kinds(abi).decodeRequest(m).routine.name).toBe('scalars');
    expectCode(() => r().decodeRequest({ ...m, header: { ...m.header, id: 3001 } }), 'MIG_BAD_ID');
  });

  it('replies: mismatch, server died, error replies, bad types', () => {
    const reply = r().encodeReply({ g: 1n, h: 2 });
    expectCode(() => r().decodeReply({ ...reply, header: { ...reply.header, id: 3101 } }), 'MIG_REPLY_MISMATCH');
    expectCode(() => r().decodeReply({ ...reply, header: { ...reply.header, id: 71 } }), 'MIG_SERVER_DIED');
    expectCode(() => r().decodeReply(mutate(reply, 1, { size: 32 })), 'MIG_TYPE_ERROR');
    expectCode(() => r().decodeReply({ ...reply, items: reply.items.slice(0, 2) }), 'MIG_TYPE_ERROR');
    for (const a of ABIS) {
      const err = kinds(a).routine('scalars').encodeReply({ retCode: -303 });
      expect(err.items.length).toBe(1);
      expect(encodeMessage(err, a).length).toBe(a === 'x86_64' ? 48 : 32);
      expect(kinds(a).routine('scalars').decodeReply(viaBytes(err, a))).toMatchObject({ retCode: -303, args: {} });
    }
  });
});

describe('bad arguments are typed errors', () => {
  const abi: Abi = 'i386';
  it('missing, unknown, out of range, too large, wrong shape', () => {
    const s = kinds(abi).routine('scalars');
    expectCode(() => s.encodeRequest({ ...SCALARS, a: undefined as unknown as number }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => s.encodeRequest({ ...SCALARS, zzz: 1 }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => s.encodeRequest({ ...SCALARS, a: 2 ** 32 }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => s.encodeRequest({ ...SCALARS, e: 70000 }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => s.encodeRequest({ ...SCALARS, b: 1n << 64n }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => s.encodeRequest({ ...SCALARS, a: 'x' }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => s.encodeRequest({ ...SCALARS, p: { name: 1, disposition: 17 } }), 'MIG_BAD_ARGUMENTS');
    const a = kinds(abi).routine('arrays');
    const base = { p: 1, a: [], b: [], c: [1, 2, 3, 4], d: '', e: '', i: new Uint8Array(0), j: [], k: '' };
    expect(() => a.encodeRequest(base)).not.toThrow();
    expectCode(() => a.encodeRequest({ ...base, b: new Array(11).fill(0) }), 'MIG_ARRAY_TOO_LARGE');
    expectCode(() => a.encodeRequest({ ...base, d: 'x'.repeat(64) }), 'MIG_ARRAY_TOO_LARGE');
    expectCode(() => a.encodeRequest({ ...base, e: 'x'.repeat(32) }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => a.encodeRequest({ ...base, c: [1, 2, 3] }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => kinds(abi).routine('rights').encodeRequest({ p: 1 }), 'MIG_BAD_ARGUMENTS');
    expectCode(() => kinds(abi).routine('nope'), 'MIG_BAD_ARGUMENTS');
  });
});

describe('properties', () => {
  const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const name = fc.integer({ min: 0, max: 0xffffffff });
  const str = (max: number) => fc.string({ maxLength: max }).filter((s) => !s.includes('\0') && new TextEncoder().encode(s).length <= max);
  const st = fc.record({ a: u64, b: i32 });

  const scalars = fc.record({
    p: name,
    a: i32,
    b: u64,
    c: fc.boolean(),
    d: fc.double(),
    e: fc.integer({ min: -32768, max: 32767 }),
    f: fc.integer({ min: 0, max: 255 }),
    h: i32,
  });
  const arrays = fc.record({
    p: name,
    a: fc.array(i32, { maxLength: 40 }),
    b: fc.array(i32, { maxLength: 10 }),
    c: fc.array(i32, { minLength: 4, maxLength: 4 }),
    d: str(63),
    e: str(31),
    i: fc.uint8Array({ maxLength: 100 }),
    j: fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 8 }),
    k: str(127),
  });
  const right = (disposition: number) => name.map((n) => ({ name: n, disposition }));
  const rights = fc.record({
    p: name,
    a: right(19),
    b: right(20),
    c: right(17),
    d: right(16),
    e: right(21),
    f: fc.integer({ min: 16, max: 21 }).chain((d) => right(d)),
    g: fc.array(right(19), { maxLength: 20 }),
    h: fc.array(name, { maxLength: 20 }),
    k: name,
    // PORT_SEND: any disposition that arrives as a send right.
    l: fc.constantFrom(17, 19, 20).chain((d) => right(d)),
  });
  const structs = fc.record({ p: name, a: st, b: fc.array(st, { minLength: 3, maxLength: 3 }), c: fc.array(st, { maxLength: 20 }) });

  for (const abi of ABIS) {
    it(`${abi}: valid calls encode -> bytes -> decode to the same arguments`, () => {
      const cases: [string, fc.Arbitrary<MigArgs>][] = [
        ['scalars', scalars],
        ['arrays', arrays],
        ['rights', rights],
        ['structs', structs],
      ];
      for (const [routine, arb] of cases) {
        const r = kinds(abi).routine(routine);
        fc.assert(
          fc.property(arb, (args) => {
            const back = r.decodeRequest(viaBytes(r.encodeRequest(args), abi)).args;
            const { p: _p, ...body } = args;
            expect(back).toEqual(body);
          }),
          { seed: 7, numRuns: 150 },
        );
      }
    });

    it(`${abi}: arbitrary messages from the codec give typed errors only`, () => {
      // Random bodies that the byte codec accepts: items of every kind with random descriptors.
      const desc = fc.record({
        name: fc.constantFrom(0, 1, 2, 8, 9, 11, 12, 15, 16, 17, 18, 19, 20, 21),
        size: fc.constantFrom(8, 16, 32, 64),
        number: fc.nat(12),
        inline: fc.boolean(),
        longform: fc.boolean(),
        deallocate: fc.boolean(),
      });
      const item = desc.map((type) =>
        type.inline && type.name >= 16
          ? { kind: 'ports' as const, type: { ...type, deallocate: false }, names: Array.from({ length: type.number }, (_, i) => i) }
          : type.inline
            ? { kind: 'data' as const, type: { ...type, deallocate: false }, data: new Uint8Array(Math.ceil((type.number * type.size) / 8)) }
            : { kind: 'ool' as const, type, address: 0x1000n },
      );
      fc.assert(
        fc.property(fc.integer({ min: 3000, max: 3010 }), fc.array(item, { maxLength: 8 }), fc.boolean(), (id, items, complex) => {
          const msg: MachMessage = { header: { bits: { remote: 18, local: 17, complex, other: 0 }, remotePort: 1, localPort: 2, seqno: 0, id }, items };
          try {
            kinds(abi).decodeRequest(msg);
          } catch (e) {
            expect(isMigError(e)).toBe(true);
          }
          const r = kinds(abi).byId.get(id);
          if (r && !r.simple) {
            try {
              r.decodeReply({ ...msg, header: { ...msg.header, id: id + 100 } });
            } catch (e) {
              expect(isMigError(e)).toBe(true);
            }
          }
        }),
        { seed: 1234, numRuns: 3000 },
      );
    });

    it(`${abi}: mutated bytes give MachMsgError or MigError, never a crash`, () => {
      const r = kinds(abi).routine('arrays');
      const bytes = encodeMessage(r.encodeRequest({ p: 1, a: [1, 2], b: [3], c: [1, 2, 3, 4], d: 'ab', e: 'cd', i: new Uint8Array([9]), j: [4], k: 'k' }), abi);
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
          const b = bytes.slice();
          for (const [at, v] of edits) b[at] = v;
          try {
            kinds(abi).decodeRequest(decodeMessage(b, abi));
          } catch (e) {
            expect(isMigError(e) || isMachMsgError(e)).toBe(true);
          }
        }),
        { seed: 99, numRuns: 1500 },
      );
    });
  }
});
