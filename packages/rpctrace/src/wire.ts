/**
 * The record protocol between a traced program (the preload's tap) and the
 * hurd-rpctrace process, on a pipe the parent opens as the child's file
 * descriptor (HURD_RPCTRACE_FD). Binary, because encoding and parsing it is
 * on every traced message's path (a JSON line with base64 bytes cost the
 * tracer more than decoding the Mach message did). One record per message,
 * little-endian:
 *
 * | offset | type | field |
 * |---|---|---|
 * | 0 | u32 | record length, header included |
 * | 4 | u8 | direction: 0 send, 1 receive |
 * | 5 | u8 | ABI: 0 none (kernel-made message at send, no bytes), 1 i386, 2 x86_64 |
 * | 6 | u8 | 1 if message bytes follow, else 0 |
 * | 7 | u8 | 0 |
 * | 8 | u32 | kernel number in the program (1, 2, ...) |
 * | 12 | u32 | task |
 * | 16 | u32 | kernel id of the destination port |
 * | 20 | i32 | msgh_id |
 * | 24 | f64 | time, ms since the epoch |
 * | 32 | i32 | mach_msg return code of a send the kernel refused, else 0 |
 * | 36 | bytes | the message as the task passed or got it |
 */
import type { Abi } from 'mach-msg';
import { RpcTraceError } from './errors.js';
import type { TraceEvent } from './records.js';

export const TRACE_FD_ENV = 'HURD_RPCTRACE_FD';
/** Where the preload leaves the descriptor for the tap (same thread, no environment). */
export const TRACE_FD_GLOBAL: unique symbol = Symbol.for('hurd-rpctrace.fd');

export const WIRE_HEADER_BYTES = 36;
/** Largest record accepted: a Mach message the simulated kernel takes is far smaller. */
export const WIRE_MAX_RECORD = 64 * 1024 * 1024;

/** Writes the record of `ev` into `out` at `at` (room checked by the caller: wireEventSize). */
export function writeWireEvent(kernel: number, ev: TraceEvent, out: Uint8Array, at: number): number {
  const size = wireEventSize(ev);
  const v = new DataView(out.buffer, out.byteOffset + at, WIRE_HEADER_BYTES);
  v.setUint32(0, size, true);
  v.setUint8(4, ev.direction === 'send' ? 0 : 1);
  v.setUint8(5, ev.abi === null ? 0 : ev.abi === 'i386' ? 1 : 2);
  v.setUint8(6, ev.bytes === null ? 0 : 1);
  v.setUint8(7, 0);
  v.setUint32(8, kernel >>> 0, true);
  v.setUint32(12, ev.task >>> 0, true);
  v.setUint32(16, ev.port >>> 0, true);
  v.setInt32(20, ev.msgId | 0, true);
  v.setFloat64(24, ev.time, true);
  v.setInt32(32, ev.kr ?? 0, true);
  if (ev.bytes !== null) out.set(ev.bytes, at + WIRE_HEADER_BYTES);
  return at + size;
}

export function wireEventSize(ev: TraceEvent): number {
  return WIRE_HEADER_BYTES + (ev.bytes?.length ?? 0);
}

/** The record of one event, alone. */
export function encodeWireEvent(kernel: number, ev: TraceEvent): Uint8Array {
  const out = new Uint8Array(wireEventSize(ev));
  writeWireEvent(kernel, ev, out, 0);
  return out;
}

const bad = (why: string): RpcTraceError => new RpcTraceError('invalid_event', `bad trace record from the traced program: ${why}`);

/** One whole record (as WireEventReader cuts them) to the event. */
export function decodeWireEvent(rec: Uint8Array): { kernel: number; event: TraceEvent } {
  if (rec.length < WIRE_HEADER_BYTES) throw bad(`${rec.length} bytes, under the ${WIRE_HEADER_BYTES}-byte header`);
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const size = v.getUint32(0, true);
  if (size !== rec.length) throw bad(`length field ${size} for ${rec.length} bytes`);
  const dir = v.getUint8(4);
  const abiCode = v.getUint8(5);
  const has = v.getUint8(6);
  if (dir > 1) throw bad(`direction ${dir}`);
  if (abiCode > 2) throw bad(`ABI ${abiCode}`);
  if (has > 1 || v.getUint8(7) !== 0) throw bad('flags');
  if (has === 0 && size !== WIRE_HEADER_BYTES) throw bad('bytes after a record without a message');
  const time = v.getFloat64(24, true);
  if (!Number.isFinite(time)) throw bad('time');
  const abi: Abi | null = abiCode === 0 ? null : abiCode === 1 ? 'i386' : 'x86_64';
  const event: TraceEvent = {
    direction: dir === 0 ? 'send' : 'receive',
    task: v.getUint32(12, true),
    port: v.getUint32(16, true),
    msgId: v.getInt32(20, true),
    abi,
    bytes: has === 1 ? rec.slice(WIRE_HEADER_BYTES) : null,
    time,
  };
  const kr = v.getInt32(32, true);
  if (kr !== 0) event.kr = kr;
  return { kernel: v.getUint32(8, true), event };
}

/** Cuts a byte stream into records (whole records only; a partial one waits for its rest). */
export class WireEventReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /** Whole records completed by `bytes`; throws RpcTraceError on a bad length. */
  push(bytes: Uint8Array): Uint8Array[] {
    if (bytes.length > 0) {
      this.#chunks.push(bytes);
      this.#buffered += bytes.length;
    }
    const out: Uint8Array[] = [];
    if (this.#buffered < 4) return out;
    let buf = this.#chunks.length === 1 ? (this.#chunks[0] as Uint8Array) : concat(this.#chunks, this.#buffered);
    let at = 0;
    while (buf.length - at >= 4) {
      const size = new DataView(buf.buffer, buf.byteOffset + at, 4).getUint32(0, true);
      if (size < WIRE_HEADER_BYTES || size > WIRE_MAX_RECORD) throw bad(`record length ${size}`);
      if (buf.length - at < size) break;
      out.push(buf.subarray(at, at + size));
      at += size;
    }
    buf = buf.subarray(at);
    this.#chunks = buf.length === 0 ? [] : [buf];
    this.#buffered = buf.length;
    return out;
  }

  /** Bytes of a record not yet complete. */
  get pending(): number {
    return this.#buffered;
  }
}

function concat(chunks: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
