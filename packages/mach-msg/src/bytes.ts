/**
 * Little-endian reads and writes on a Uint8Array. Plain byte access is
 * faster than creating a DataView per message, which dominates the cost of
 * small messages in V8. Callers check bounds before calling.
 */

export function readU16(b: Uint8Array, p: number): number {
  return (b[p] as number) | ((b[p + 1] as number) << 8);
}

export function readU32(b: Uint8Array, p: number): number {
  return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
}

export function readI32(b: Uint8Array, p: number): number {
  return (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
}

/** An unsigned 64-bit little-endian value as a bigint. */
export function readU64(b: Uint8Array, p: number): bigint {
  const lo = readU32(b, p);
  const hi = readU32(b, p + 4);
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

export function writeU16(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
}

export function writeU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

/** Writes a bigint in 0..2^64-1 (the caller checked the range). */
export function writeU64(b: Uint8Array, p: number, v: bigint): void {
  if (v <= 0xffffffffn) {
    writeU32(b, p, Number(v));
    writeU32(b, p + 4, 0);
  } else {
    writeU32(b, p, Number(v & 0xffffffffn));
    writeU32(b, p + 4, Number(v >> 32n));
  }
}

/** Zeroes b[from, to). Small ranges by hand: fill() costs more than it saves there. */
export function zero(b: Uint8Array, from: number, to: number): void {
  if (to - from <= 16) {
    for (let i = from; i < to; i++) b[i] = 0;
  } else {
    b.fill(0, from, to);
  }
}

/** Copies src into b at p. */
export function copyInto(b: Uint8Array, p: number, src: Uint8Array): void {
  const n = src.length;
  if (n <= 32) {
    for (let i = 0; i < n; i++) b[p + i] = src[i] as number;
  } else {
    b.set(src, p);
  }
}

/** Up to this many bytes V8 keeps a typed array's bytes in its own heap object: cheap, no slab. */
const ON_HEAP_MAX = 64;
/** Larger arrays than this get their own ArrayBuffer (a slab would retain too much or fill too fast). */
export const SLAB_ITEM_MAX = 2048;
const SLAB_SIZE = 32768;
/** The largest `max` allocBytes honours (an eighth of a slab). */
const SLAB_MAX_LIMIT = 4096;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabAt = 0;

/**
 * A fresh zero-filled plain Uint8Array of `n` bytes, as `new Uint8Array(n)`
 * gives. Between 65 and SLAB_ITEM_MAX bytes it is a view on a shared 32 KiB
 * ArrayBuffer handed out front to back and never reused: V8 allocates every
 * ArrayBuffer over 64 bytes outside its heap, which cost ~0.6 us each in
 * profiles of small RPCs, several times per message (the same trade as
 * Node's Buffer pool). The bytes are zero (a new ArrayBuffer) and belong to
 * this array alone; only `.buffer` is shared, so a caller must use
 * `byteOffset` with it (every use in the toolkit does) and must not transfer
 * it, and one array kept alive keeps its slab alive. Views start 8-aligned,
 * as a fresh buffer does for wordView. (32 KiB: ~150 ns per 1 KiB array,
 * against ~480 ns for its own buffer and ~240 ns with 16 KiB slabs.)
 * `max` raises the slab's item bound up to 4 KiB for callers whose typical
 * item is larger (netmsg-wire's frames, hurd-ffi's kernel copies of 1 KiB
 * MIG replies); every caller shares the one slab.
 */
export function allocBytes(n: number, max: number = SLAB_ITEM_MAX): Uint8Array {
  // `max` above SLAB_MAX_LIMIT is taken as SLAB_MAX_LIMIT: an item must leave the slab room for others.
  if (n <= ON_HEAP_MAX || n > max || n > SLAB_MAX_LIMIT) return new Uint8Array(n);
  if (slabAt + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabAt = 0;
  }
  const d = new Uint8Array(slab, slabAt, n);
  slabAt = (slabAt + n + 7) & -8;
  return d;
}

/**
 * A copy of a[0, n) of the same class as `a`: the typed arrays' own `slice`,
 * which copies. Not `a.slice`: a Node Buffer overrides it with a view that
 * shares memory with the input.
 */
export function sliceCopy<T extends Uint8Array>(a: T, n: number): T {
  return Uint8Array.prototype.slice.call(a, 0, n) as T;
}

/**
 * A fresh plain Uint8Array (allocBytes) holding b[p, p+n). Not `b.slice`: on
 * a Node Buffer that is a view sharing memory with the input, not a copy.
 */
export function copyOut(b: Uint8Array, p: number, n: number): Uint8Array {
  const d = allocBytes(n);
  if (n <= 32) {
    for (let i = 0; i < n; i++) d[i] = b[p + i] as number;
  } else {
    d.set(b.subarray(p, p + n));
  }
  return d;
}

/**
 * `n` rounded up to a multiple of `a` (4 or 8: MACH_MSG_USER_ALIGNMENT).
 * The mask form is exact below 2^31 and much cheaper than Math.ceil of a
 * division, which showed in profiles of small messages.
 */
export function alignTo(n: number, a: number): number {
  return n >= 0 && n < 0x7ffffff0 ? (n + a - 1) & -a : Math.ceil(n / a) * a;
}

/**
 * The host stores a Uint32Array little-endian (every platform Node runs the
 * Hurd toolchain on does; checked, not assumed). Long runs of port names
 * then move as 32-bit words instead of four byte stores each.
 */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many port names a Uint32Array view costs more than it saves. */
export const WORD_VIEW_MIN = 16;

/**
 * A Uint32Array over b[p, p + 4*words) when the host is little-endian and
 * the position is 4-aligned in the underlying buffer; undefined otherwise.
 */
export function wordView(b: Uint8Array, p: number, words: number): Uint32Array | undefined {
  const at = b.byteOffset + p;
  if (!HOST_LITTLE_ENDIAN || (at & 3) !== 0) return undefined;
  return new Uint32Array(b.buffer, at, words);
}
