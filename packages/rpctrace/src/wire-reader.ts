/**
 * The reading side of the record protocol wire.ts lays out (its header
 * comment has the format): records cut from the program's chunks and read
 * where they lie (WireEventReader, WireEvent), or decoded alone
 * (decodeWireEvent). The writer stays in wire.ts, which the traced
 * program's tap loads; this file is the tracer's.
 */
import type { Abi } from 'mach-msg';
import { RpcTraceError } from './errors.js';
import { internalized } from './internalized.js';
import { joinBytes } from './join-bytes.js';
import type { TraceEvent } from './records.js';
import { DESTROY_CODES, EXT_FIXED, WIRE_HEADER_BYTES, WIRE_MAX_RECORD } from './wire.js';

const utf8Decoder = new TextDecoder();
const bad = (why: string): RpcTraceError => new RpcTraceError('invalid_event', `bad trace record from the traced program: ${why}`);

/** One whole record (as WireEventReader cuts them) to the event. */
export function decodeWireEvent(rec: Uint8Array): { kernel: number; event: TraceEvent } {
  const event = newWireTarget();
  const kernel = fillWireEvent(rec, 0, rec.length, new DataView(rec.buffer, rec.byteOffset, rec.byteLength), 0, event);
  // decodeWireEvent's event has only the fields the record sets (the shape tests and users compare).
  const out: TraceEvent = { direction: event.direction, task: event.task, port: event.port, msgId: event.msgId, abi: event.abi, bytes: event.bytes, time: event.time };
  if (event.kr !== undefined) out.kr = event.kr;
  if (event.replyPort !== undefined) out.replyPort = event.replyPort;
  if (event.taskName !== undefined) out.taskName = event.taskName;
  if (event.destroyed !== undefined) out.destroyed = event.destroyed;
  if (event.rcvName !== undefined) out.rcvName = event.rcvName;
  return { kernel, event: out };
}

/** An event for fillWireEvent to refill: every optional field present (one object shape for the tracer). */
export function newWireTarget(): TraceEvent {
  return { direction: 'send', task: 0, port: 0, msgId: 0, bytes: null, abi: null, time: 0, kr: undefined, replyPort: undefined, taskName: undefined, destroyed: undefined, rcvName: undefined };
}

/**
 * WireEvent's brand, read by the tracer (tracer.ts handleInto, #full) to
 * know an event whose message lies in a chunk: a field load on the map it
 * has checked already, where `instanceof WireEvent` walked the prototype
 * chain in a loop on every record (~20 instructions, TurboFan's code in a
 * storm's callgrind profile, BENCHMARKS.md 2026-12-01 section). A symbol
 * no caller's plain event can hold by chance.
 */
export const IN_CHUNK: unique symbol = Symbol('WireEvent');

/** srcView of an event with no message in a chunk. */
const NO_VIEW = new DataView(new ArrayBuffer(0));

/**
 * WireEventReader.each's event: a TraceEvent whose message stays where it
 * lies in the chunk read (`src`, at `srcAt`, `srcLen` bytes) until
 * something asks for `bytes`, which then makes the view (once per record).
 * The tracer reads the message in place (MessageDecoder's ...At methods):
 * in a storm a view per record, made and collected, was about 600 of the
 * ~1,350 instructions the reader spent per record.
 */
export class WireEvent implements TraceEvent {
  readonly [IN_CHUNK] = true;
  direction: 'send' | 'receive' = 'send';
  task = 0;
  port = 0;
  msgId = 0;
  abi: Abi | null = null;
  time = 0;
  kr: number | undefined = undefined;
  replyPort: number | undefined = undefined;
  taskName: string | undefined = undefined;
  destroyed: string | undefined = undefined;
  rcvName: number | undefined = undefined;
  /** The buffer the message lies in (null: the record has no message bytes), where, and how long. */
  src: Uint8Array | null = null;
  srcAt = 0;
  srcLen = 0;
  /**
   * A DataView of `src` from its byte 0 (the reader's chunk view): the
   * decoder reads the message through it. Handed over with the place, not
   * cached by the decoder per buffer: that cache's store, first run before
   * V8 gave the function type feedback, bailed the record loop's optimised
   * code out at the trace's second chunk (--trace-deopt, 2026-11-30).
   */
  srcView: DataView = NO_VIEW;
  /** `bytes` once made for this record. */
  #view: Uint8Array | null = null;

  get bytes(): Uint8Array | null {
    const s = this.src;
    if (s === null) return null;
    return (this.#view ??= s.subarray(this.srcAt, this.srcAt + this.srcLen));
  }

  set bytes(b: Uint8Array | null) {
    this.src = b;
    this.srcAt = 0;
    this.srcLen = b === null ? 0 : b.length;
    this.srcView = b === null ? NO_VIEW : new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.#view = b;
  }

  /** No `bytes` made yet for the record now held (readRecord's: the rest of setSource is done field by field). */
  clearView(): void {
    if (this.#view !== null) this.#view = null;
  }

  /** The record's message is `n` bytes at `at` of `buf` (or none: `buf` null), `v` a view of `buf` from its byte 0. */
  setSource(buf: Uint8Array | null, at: number, n: number, v: DataView): void {
    this.src = buf;
    this.srcAt = at;
    this.srcLen = n;
    this.srcView = v;
    this.#view = null;
  }
}

/**
 * The record of `size` bytes at `at` of `buf` (whose DataView is `v`, at
 * `vAt` for `buf`'s byte 0) into `ev`, every field set (undefined when the
 * record has none): the batch path reads records in place, one view per
 * chunk and one event for all, no object per record but the bytes' view.
 * Returns the kernel number. The checks are decodeWireEvent's.
 */
export function fillWireEvent(buf: Uint8Array, at: number, size: number, v: DataView, vAt: number, ev: TraceEvent): number {
  return fillRecord(buf, at, size, v, vAt, ev, null);
}

/** fillWireEvent; into `wire` (the same object as `ev`) the message's place is set instead of a view. */
function fillRecord(buf: Uint8Array, at: number, size: number, v: DataView, vAt: number, ev: TraceEvent, wire: WireEvent | null): number {
  if (size < WIRE_HEADER_BYTES) throw bad(`${size} bytes, under the ${WIRE_HEADER_BYTES}-byte header`);
  const o = vAt + at;
  const len = v.getUint32(o, true);
  if (len !== size) throw bad(`length field ${len} for ${size} bytes`);
  const dir = buf[at + 4] as number;
  const abiCode = buf[at + 5] as number;
  const has = buf[at + 6] as number;
  if (dir > 1) throw bad(`direction ${dir}`);
  if (abiCode > 2) throw bad(`ABI ${abiCode}`);
  const flags = buf[at + 7] as number;
  if (has > 1 || flags > 1) throw bad('flags');
  let ext = 0;
  let replyPort = 0;
  let rcvName: number | undefined;
  let destroyed: string | undefined;
  let taskName: string | undefined;
  if (flags === 1) {
    const x = WIRE_HEADER_BYTES;
    if (size < x + EXT_FIXED) throw bad('extension cut short');
    replyPort = v.getUint32(o + x, true);
    const code = buf[at + x + 8] as number;
    if (code >= DESTROY_CODES.length) throw bad(`destroyed code ${code}`);
    if (code !== 0) destroyed = DESTROY_CODES[code];
    const failed = buf[at + x + 9] as number;
    if (failed > 1) throw bad('receive-failure flag');
    if (failed === 1) rcvName = v.getUint32(o + x + 4, true);
    const n = buf[at + x + 10] as number;
    if (size < x + EXT_FIXED + n) throw bad('task name cut short');
    if (n > 0) taskName = utf8Decoder.decode(buf.subarray(at + x + EXT_FIXED, at + x + EXT_FIXED + n));
    ext = EXT_FIXED + n;
  }
  if (has === 0 && size !== WIRE_HEADER_BYTES + ext) throw bad('bytes after a record without a message');
  const time = v.getFloat64(o + 24, true);
  if (!Number.isFinite(time)) throw bad('time');
  ev.direction = dir === 0 ? 'send' : 'receive';
  ev.task = v.getUint32(o + 12, true);
  ev.port = v.getUint32(o + 16, true);
  ev.msgId = v.getInt32(o + 20, true);
  ev.abi = abiCode === 0 ? null : abiCode === 1 ? 'i386' : 'x86_64';
  const from = at + WIRE_HEADER_BYTES + ext;
  // A view, not a copy: the tracer reads the bytes while it handles the event (the reader's event: their place only).
  // The reader's chunk view starts at buf's byte 0 (vAt 0: each() is fillRecord's only caller with a `wire`).
  if (wire !== null) wire.setSource(has === 1 ? buf : null, from, has === 1 ? at + size - from : 0, v);
  else ev.bytes = has === 1 ? buf.subarray(from, at + size) : null;
  ev.time = time;
  const kr = v.getInt32(o + 32, true);
  ev.kr = kr !== 0 ? kr : undefined;
  ev.replyPort = replyPort !== 0 ? replyPort : undefined;
  ev.taskName = taskName;
  ev.destroyed = destroyed;
  ev.rcvName = rcvName;
  return v.getUint32(o + 8, true);
}

/**
 * WireEventReader's read of one record, `size` bytes at `at` of `buf`
 * (`v`: buf's view from its byte 0), into its event: fillRecord's result
 * and checks, with what the reader already knows not read again (the
 * length field, read by the reader to cut the record, is `size`, at least
 * the header). Bytes 4-7 (direction, ABI, message flag, extension flag)
 * are one load and one test when they hold what a record may hold; any
 * other value takes fillRecord, which names what is wrong. The chunk and
 * its view are stored only when they change: the event is old (it lives
 * as long as its reader) and a chunk new, so each store was a write
 * barrier's call, two per record (a storm's callgrind profile). Records
 * with an extension are read here too (readExtension): a store first run
 * after V8 optimised this function (a chunk's first record with an
 * extension, read elsewhere) threw the optimised code away.
 */
function readRecord(buf: Uint8Array, at: number, size: number, v: DataView, ev: WireEvent): number {
  const flags = v.getUint32(at + 4, true);
  // Direction, message flag and extension flag 0 or 1, ABI 0-2.
  if ((flags & 0xfefefcfe) !== 0 || (flags & 0x300) === 0x300) return fillRecord(buf, at, size, v, 0, ev, ev);
  const ext = flags >>> 24 === 0 ? 0 : readExtension(buf, at, size, v, ev);
  const has = (flags >>> 16) & 1;
  if (has === 0 && size !== WIRE_HEADER_BYTES + ext) throw bad('bytes after a record without a message');
  const time = v.getFloat64(at + 24, true);
  if (!Number.isFinite(time)) throw bad('time');
  const abiCode = (flags >>> 8) & 3;
  ev.direction = (flags & 1) === 0 ? 'send' : 'receive';
  ev.task = v.getUint32(at + 12, true);
  ev.port = v.getUint32(at + 16, true);
  ev.msgId = v.getInt32(at + 20, true);
  ev.abi = abiCode === 0 ? null : abiCode === 1 ? 'i386' : 'x86_64';
  const src = has === 1 ? buf : null;
  if (ev.src !== src) ev.src = src;
  if (ev.srcView !== v) ev.srcView = v;
  ev.clearView();
  const from = at + WIRE_HEADER_BYTES + ext;
  ev.srcAt = from;
  ev.srcLen = has === 1 ? at + size - from : 0;
  ev.time = time;
  const kr = v.getInt32(at + 32, true);
  ev.kr = kr !== 0 ? kr : undefined;
  if (ext === 0) {
    ev.replyPort = undefined;
    ev.taskName = undefined;
    ev.destroyed = undefined;
    ev.rcvName = undefined;
  }
  return v.getUint32(at + 8, true);
}

/** The extension of the record at `at` (fillRecord's checks) into `ev`'s optional fields; returns its length. */
function readExtension(buf: Uint8Array, at: number, size: number, v: DataView, ev: WireEvent): number {
  // WIRE_HEADER_BYTES, EXT_FIXED and DESTROY_CODES.length as literals (eachInto's why: no module context read per use).
  const x = 36;
  const fixed = 11;
  if (size < x + fixed) throw bad('extension cut short');
  const replyPort = v.getUint32(at + x, true);
  const code = buf[at + x + 8] as number;
  if (code > 5) throw bad(`destroyed code ${code}`);
  const failed = buf[at + x + 9] as number;
  if (failed > 1) throw bad('receive-failure flag');
  const n = buf[at + x + 10] as number;
  if (size < x + fixed + n) throw bad('task name cut short');
  ev.replyPort = replyPort !== 0 ? replyPort : undefined;
  ev.destroyed = code !== 0 ? DESTROY_CODES[code] : undefined;
  ev.rcvName = failed === 1 ? v.getUint32(at + x + 4, true) : undefined;
  // Internalized: the renderer compares a line's task name with its memo's on every line (internalized.ts).
  ev.taskName = n > 0 ? internalized(utf8Decoder.decode(buf.subarray(at + x + fixed, at + x + fixed + n))) : undefined;
  return fixed + n;
}

const NO_BYTES = new Uint8Array(0);

/** What eachInto hands a record to (TraceSession: its lines into the command's buffer). */
export interface KernelSink<O> {
  feedInto(ev: WireEvent, out: O): void;
  feedTaggedInto(ev: WireEvent, out: O, tag: Uint8Array, retag: (text: string) => string): void;
}

const untagged = (text: string): string => text;

/** Cuts a byte stream into records (whole records only; a partial one waits for its rest). */
export class WireEventReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** #held's: what follows the completed record in the chunk that completed it. */
  #after: Uint8Array = NO_BYTES;
  /** The event each() refills. */
  readonly #ev: WireEvent = new WireEvent();

  /** Whole records completed by `bytes`; throws RpcTraceError on a bad length. */
  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#cut(bytes, (buf, at, size) => void out.push(buf.subarray(at, at + size)));
    return out;
  }

  /**
   * The batch path: every whole record completed by `bytes`, decoded in
   * place (fillWireEvent) into one event refilled per record (a WireEvent:
   * its message's bytes are left where they lie until asked for): `visit`
   * reads it before it returns and keeps none of it (but the bytes' view,
   * which stays valid). No array of records, no object per record. A record
   * `visit` throws on stops the batch there (the error goes to the caller).
   */
  each(bytes: Uint8Array, visit: (kernel: number, ev: WireEvent) => void): void {
    const ev = this.#ev;
    if (this.#buffered > 0) {
      const rest = this.#heldFirst(bytes, visit);
      if (rest === null) return;
      bytes = rest;
    }
    // #cut's loop, inline: a storm's 400,000 records each made a call through #cut's callback.
    const n = bytes.length;
    const v = new DataView(bytes.buffer, bytes.byteOffset, n);
    let at = 0;
    while (n - at >= 4) {
      const size = v.getUint32(at, true);
      if (size < WIRE_HEADER_BYTES || size > WIRE_MAX_RECORD) this.#badLength(bytes, at, size);
      if (n - at < size) break;
      visit(readRecord(bytes, at, size, v, ev), ev);
      at += size;
    }
    if (at < n) this.#keep(bytes.subarray(at));
  }

  /**
   * each() for the command's common trace (`-o FILE -- node app.js`: one
   * kernel, no --pcap, no -ff): a record of kernel `kernel` is read here
   * and handed straight to `sink.feedInto(ev, out)` (with -f, where `tag`
   * is the stream's `[pid N] `: `sink.feedTaggedInto`); any other
   * record (another kernel, or every record while `sink` is null) goes to
   * `visit` as each() gives it. The read is readRecord's, written out in
   * the loop rather than called: a storm's 400,000 records each made a
   * call to readRecord (compiled alone first, ~7 ms of TurboFan, and then
   * too big to inline) and one through the command's callback.
   */
  eachInto<O>(
    bytes: Uint8Array, kernel: number, sink: KernelSink<O> | null, out: O, visit: (kernel: number, ev: WireEvent) => void,
    tag: Uint8Array | null = null, retag: (text: string) => string = untagged,
  ): void {
    // WIRE_HEADER_BYTES and WIRE_MAX_RECORD as literals: optimised code reads a module constant from the module's context (a load and a check) at each use.
    const header = 36;
    const max = 64 * 1024 * 1024;
    const ev = this.#ev;
    if (this.#buffered > 0) {
      const rest = this.#heldInto(bytes, kernel, sink, out, visit, tag, retag);
      if (rest === null) return;
      bytes = rest;
    }
    const n = bytes.length;
    const v = new DataView(bytes.buffer, bytes.byteOffset, n);
    let at = 0;
    while (n - at >= 4) {
      const size = v.getUint32(at, true);
      if (size < header || size > max) this.#badLength(bytes, at, size);
      if (n - at < size) break;
      const flags = v.getUint32(at + 4, true);
      // readRecord's test of bytes 4-7 (direction, message flag, extension flag 0 or 1, ABI 0-2), and the kernel.
      if (sink === null || (flags & 0xfefefcfe) !== 0 || (flags & 0x300) === 0x300 || v.getUint32(at + 8, true) !== kernel) {
        visit(readRecord(bytes, at, size, v, ev), ev);
        at += size;
        continue;
      }
      const ext = flags >>> 24 === 0 ? 0 : readExtension(bytes, at, size, v, ev);
      const has = (flags >>> 16) & 1;
      if (has === 0 && size !== header + ext) throw bad('bytes after a record without a message');
      const time = v.getFloat64(at + 24, true);
      if (!Number.isFinite(time)) throw bad('time');
      const abiCode = (flags >>> 8) & 3;
      ev.direction = (flags & 1) === 0 ? 'send' : 'receive';
      ev.task = v.getUint32(at + 12, true);
      ev.port = v.getUint32(at + 16, true);
      ev.msgId = v.getInt32(at + 20, true);
      ev.abi = abiCode === 0 ? null : abiCode === 1 ? 'i386' : 'x86_64';
      const src = has === 1 ? bytes : null;
      if (ev.src !== src) ev.src = src;
      if (ev.srcView !== v) ev.srcView = v;
      ev.clearView();
      const from = at + header + ext;
      ev.srcAt = from;
      ev.srcLen = has === 1 ? at + size - from : 0;
      ev.time = time;
      const kr = v.getInt32(at + 32, true);
      ev.kr = kr !== 0 ? kr : undefined;
      if (ext === 0) {
        ev.replyPort = undefined;
        ev.taskName = undefined;
        ev.destroyed = undefined;
        ev.rcvName = undefined;
      }
      if (tag === null) sink.feedInto(ev, out);
      else sink.feedTaggedInto(ev, out, tag, retag);
      at += size;
    }
    if (at < n) this.#keep(bytes.subarray(at));
  }

  /*
   * each()'s rarer steps, each a method of its own: V8 optimises a function
   * after a number of runs that grows with its bytecode's length, and
   * inlines only short ones, so each() keeps what every record runs.
   */

  /** With bytes held: the record they start, once `bytes` complete it, visited; what follows it (null: not whole yet). */
  #heldFirst(bytes: Uint8Array, visit: (kernel: number, ev: WireEvent) => void): Uint8Array | null {
    const whole = this.#held(bytes);
    if (whole === null) return null;
    const rest = this.#after;
    this.#after = NO_BYTES;
    visit(readRecord(whole, 0, whole.length, new DataView(whole.buffer, whole.byteOffset, whole.length), this.#ev), this.#ev);
    return rest;
  }

  /** eachInto's #heldFirst: the record completed, to `sink` if it is of `kernel`, else to `visit`. */
  #heldInto<O>(
    bytes: Uint8Array, kernel: number, sink: KernelSink<O> | null, out: O, visit: (kernel: number, ev: WireEvent) => void,
    tag: Uint8Array | null, retag: (text: string) => string,
  ): Uint8Array | null {
    const whole = this.#held(bytes);
    if (whole === null) return null;
    const rest = this.#after;
    this.#after = NO_BYTES;
    const ev = this.#ev;
    const k = readRecord(whole, 0, whole.length, new DataView(whole.buffer, whole.byteOffset, whole.length), ev);
    if (sink === null || k !== kernel) visit(k, ev);
    else if (tag === null) sink.feedInto(ev, out);
    else sink.feedTaggedInto(ev, out, tag, retag);
    return rest;
  }

  /** A record length no record has: the bytes from it kept (pending), and the error thrown. */
  #badLength(bytes: Uint8Array, at: number, size: number): never {
    this.#keep(bytes.subarray(at));
    throw bad(`record length ${size}`);
  }

  /**
   * Calls `take` for each whole record, in place. A record cut across
   * chunks is completed by copying only its own bytes (not the whole next
   * chunk), the rest of the chunk is read where it lies.
   */
  #cut(bytes: Uint8Array, take: (buf: Uint8Array, at: number, size: number) => void): void {
    if (this.#buffered > 0) {
      const whole = this.#held(bytes);
      if (whole === null) return;
      bytes = this.#after;
      this.#after = NO_BYTES;
      take(whole, 0, whole.length);
    }
    let at = 0;
    const n = bytes.length;
    while (n - at >= 4) {
      const size = u32(bytes, at);
      if (size < WIRE_HEADER_BYTES || size > WIRE_MAX_RECORD) {
        this.#keep(bytes.subarray(at));
        throw bad(`record length ${size}`);
      }
      if (n - at < size) break;
      take(bytes, at, size);
      at += size;
    }
    if (at < n) this.#keep(bytes.subarray(at));
  }

  /**
   * With bytes held (a record cut across chunks): `bytes` added, the record
   * they start once whole, its bytes alone (joined), with what follows it
   * left in #after to be read in place (it is in the last chunk: the record
   * was not whole before `bytes` came); null while it is not whole.
   */
  #held(bytes: Uint8Array): Uint8Array | null {
    if (bytes.length > 0) {
      this.#chunks.push(bytes);
      this.#buffered += bytes.length;
    }
    // The record the held bytes start: its length once 4 bytes are in.
    const head = this.#chunks.length === 1 ? (this.#chunks[0] as Uint8Array) : joinBytes(this.#chunks, Math.min(this.#buffered, 4));
    if (this.#buffered < 4) return this.#owned();
    const size = u32(head, 0);
    if (size < WIRE_HEADER_BYTES || size > WIRE_MAX_RECORD) throw bad(`record length ${size}`);
    if (this.#buffered < size) {
      if (this.#chunks.length > 64) this.#chunks = [joinBytes(this.#chunks, this.#buffered)];
      return this.#owned();
    }
    const whole = joinBytes(this.#chunks, size);
    const rest = this.#buffered - size;
    this.#after = bytes.subarray(bytes.length - rest);
    this.#chunks = [];
    this.#buffered = 0;
    return whole;
  }

  /**
   * Bytes held past the call are copies: a caller may fill its chunk again
   * once the call returns (the in-process tap's batch, TraceBacklog's
   * reuseBatch). Only a record cut across chunks is held, at most once per chunk.
   */
  #keep(rest: Uint8Array): void {
    this.#chunks = [rest.slice()];
    this.#buffered = rest.length;
  }

  /** #held's "not whole yet": the chunk just added, kept as a copy (see #keep); null. */
  #owned(): null {
    const last = this.#chunks.length - 1;
    if (last >= 0) this.#chunks[last] = (this.#chunks[last] as Uint8Array).slice();
    return null;
  }

  /** Bytes of a record not yet complete. */
  get pending(): number {
    return this.#buffered;
  }
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

