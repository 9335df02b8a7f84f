/**
 * --pcap: a pcapng file Wireshark opens. One interface of link-layer type
 * USER0 (LINKTYPE 147, DLT_USER0: reserved for private use, which a Lua
 * dissector can claim); every packet is a 16-byte trace header followed by
 * what was seen, unchanged:
 *
 * | offset | type | field |
 * |---|---|---|
 * | 0 | u8 | version, 1 |
 * | 1 | u8 | what follows: 1 = one netmsg-wire frame, 2 = one Mach message |
 * | 2 | u8 | direction: frames 0 = from the listening side (a), 1 = from the connected side (b); messages 0 = send, 1 = receive |
 * | 3 | u8 | ABI of a Mach message: 0 none (kernel-made, no bytes), 1 i386, 2 x86_64 |
 * | 4 | u32 LE | frames: sending node; messages: task (0 the kernel) |
 * | 8 | u32 LE | frames: receiving node; messages: kernel id of the destination port |
 * | 12 | u32 LE | frames: link number; messages: msgh_id (for kernel-made messages seen without bytes) |
 *
 * wireshark/netmsg.lua decodes the header, the frames and the messages.
 * Pure: these functions build bytes; the caller writes them.
 */
import type { Abi } from 'mach-msg';
import type { TraceEvent } from './records.js';

export const LINKTYPE_USER0 = 147;
export const TRACE_HEADER_BYTES = 16;

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;

const pad4 = (n: number): number => (n + 3) & ~3;

/** Section header and the one interface: the start of every file. */
export function pcapngStart(application = 'hurd-rpctrace'): Uint8Array {
  const app = new TextEncoder().encode(application);
  // SHB: type, length, BOM, major 1, minor 0, section length -1, option shb_userappl (4), end.
  const shbLen = 28 + 4 + pad4(app.length) + 4;
  const idbLen = 20;
  const out = new Uint8Array(shbLen + idbLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, SHB, true);
  v.setUint32(4, shbLen, true);
  v.setUint32(8, 0x1a2b3c4d, true);
  v.setUint16(12, 1, true);
  v.setUint16(14, 0, true);
  v.setInt32(16, -1, true);
  v.setInt32(20, -1, true);
  v.setUint16(24, 4, true);
  v.setUint16(26, app.length, true);
  out.set(app, 28);
  // opt_endofopt (4 zero bytes) is already zero.
  v.setUint32(shbLen - 4, shbLen, true);
  // IDB: type, length, linktype, reserved, snaplen 0 (no limit), length. Timestamps in microseconds (the default).
  const i = shbLen;
  v.setUint32(i, IDB, true);
  v.setUint32(i + 4, idbLen, true);
  v.setUint16(i + 8, LINKTYPE_USER0, true);
  v.setUint16(i + 10, 0, true);
  v.setUint32(i + 12, 0, true);
  v.setUint32(i + 16, idbLen, true);
  return out;
}

/** One enhanced packet block: the trace header and the bytes, at `timeMs` since the epoch. */
export function pcapngPacket(timeMs: number, header: Uint8Array, body: Uint8Array): Uint8Array {
  const cap = header.length + body.length;
  const len = 28 + pad4(cap) + 4;
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  const us = BigInt(Math.max(0, Math.round(timeMs * 1000)));
  v.setUint32(0, EPB, true);
  v.setUint32(4, len, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, Number(us >> 32n), true);
  v.setUint32(16, Number(us & 0xffffffffn), true);
  v.setUint32(20, cap, true);
  v.setUint32(24, cap, true);
  out.set(header, 28);
  out.set(body, 28 + header.length);
  v.setUint32(len - 4, len, true);
  return out;
}

function traceHeader(what: 1 | 2, direction: number, abi: Abi | null, a: number, b: number, c: number): Uint8Array {
  const h = new Uint8Array(TRACE_HEADER_BYTES);
  const v = new DataView(h.buffer);
  h[0] = 1;
  h[1] = what;
  h[2] = direction;
  h[3] = abi === null ? 0 : abi === 'i386' ? 1 : 2;
  v.setUint32(4, a >>> 0, true);
  v.setUint32(8, b >>> 0, true);
  v.setUint32(12, c >>> 0, true);
  return h;
}

/** The packet of one netmsg-wire frame crossing the tracer. */
export function framePacket(f: { time: number; link: number; from: 'a' | 'b'; fromNode: number; toNode: number; bytes: Uint8Array }): Uint8Array {
  return pcapngPacket(f.time, traceHeader(1, f.from === 'a' ? 0 : 1, null, f.fromNode, f.toNode, f.link), f.bytes);
}

/** The packet of one message a task sent or received on a kernel. */
export function messagePacket(e: TraceEvent): Uint8Array {
  return pcapngPacket(e.time, traceHeader(2, e.direction === 'send' ? 0 : 1, e.bytes === null ? null : e.abi, e.task, e.port, e.msgId), e.bytes ?? new Uint8Array(0));
}
