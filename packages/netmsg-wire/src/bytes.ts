import { allocBytes } from 'mach-msg';
import { WireError } from './errors.js';

/** Frames and inline data of a null RPC reach ~1.1 KiB: the slab takes items up to 4 KiB. */
const SLAB_ITEM_MAX = 4096;

/**
 * A fresh zero-filled Uint8Array of `n` bytes, as `new Uint8Array(n)` gives,
 * but between 65 and 4096 bytes a view on mach-msg's shared slab (allocBytes,
 * never reused): V8 allocates every ArrayBuffer over 64 bytes outside its
 * heap, about 0.8 us each against 0.15 us for a slab view, and a null RPC's
 * frames and inline data (an io_server_version reply carries a 1 KiB
 * string_t) took several per round trip. The bytes belong to this array
 * alone; only `.buffer` is shared, so users must honour `byteOffset` (every
 * reader here does), and one array kept alive keeps its slab alive.
 */
export function freshBytes(n: number): Uint8Array {
  return allocBytes(n, SLAB_ITEM_MAX);
}

/** A fresh copy of `b` (freshBytes), never a view of it. */
export function copyBytes(b: Uint8Array): Uint8Array {
  const d = freshBytes(b.length);
  d.set(b);
  return d;
}

/**
 * Little-endian byte writer that grows as needed. Stores are plain byte
 * stores (no DataView: one object less per frame, and none that would pin
 * a small on-heap array's bytes off the heap).
 */
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(initial = 256) {
    this.buf = freshBytes(initial);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = freshBytes(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.room(2);
    const b = this.buf;
    const at = this.length;
    b[at] = v;
    b[at + 1] = v >>> 8;
    this.length = at + 2;
  }

  u32(v: number): void {
    this.room(4);
    put32(this.buf, this.length, v);
    this.length += 4;
  }

  i32(v: number): void {
    this.room(4);
    put32(this.buf, this.length, v | 0);
    this.length += 4;
  }

  /** A non-negative integer below 2^53 as two u32 (low word first). */
  u53(v: number): void {
    this.u32(v % 0x100000000);
    this.u32(Math.floor(v / 0x100000000));
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Reserve `n` bytes and return their offset (for back-patching). */
  reserve(n: number): number {
    this.room(n);
    const at = this.length;
    this.length += n;
    return at;
  }

  patchU32(at: number, v: number): void {
    put32(this.buf, at, v);
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Little-endian u32 store (a uint8 store keeps the low 8 bits of any number). */
function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** Bounds-checked little-endian reader: running off the end is a typed error. Plain byte loads, no DataView. */
export class ByteReader {
  offset = 0;

  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.buf.length) {
      throw new WireError('truncated', `${what} needs ${n} bytes at offset ${this.offset}, ${this.remaining} left`);
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.offset++]!;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const b = this.buf;
    const at = this.offset;
    this.offset = at + 2;
    return b[at]! | (b[at + 1]! << 8);
  }

  u32(what = 'u32'): number {
    return this.i32(what) >>> 0;
  }

  i32(what = 'i32'): number {
    this.need(4, what);
    const b = this.buf;
    const at = this.offset;
    this.offset = at + 4;
    return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
  }

  u53(what = 'u53'): number {
    const lo = this.u32(what);
    const hi = this.u32(what);
    if (hi >= 0x200000) throw new WireError('bad_message', `${what} is over 2^53`);
    return hi * 0x100000000 + lo;
  }

  /**
   * A fresh copy (copyBytes) of the next n bytes. Short ones byte by byte:
   * no view of them made just to copy it (a typed array each, and a reply's
   * small MIG items are several).
   */
  copy(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const at = this.offset;
    this.offset = at + n;
    const d = freshBytes(n);
    const b = this.buf;
    if (n <= 32) for (let i = 0; i < n; i++) d[i] = b[at + i]!;
    else d.set(b.subarray(at, at + n));
    return d;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}
