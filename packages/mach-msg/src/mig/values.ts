/**
 * JS values of MIG arguments, and their C byte images. The bytes of an
 * inline item are exactly the C value MIG's stub copies into the message,
 * little-endian, so reading and writing follow the type's `CValue`.
 *
 * Value forms:
 * - 8/16/32-bit integers: `number` (encoders take the signed or unsigned
 *   range, and a `bigint` in range; 16/32-bit integers decode signed, like
 *   C `int`, except PORT_NAME, which decodes unsigned);
 * - 64-bit integers: `bigint` (or a safe-integer `number`); decode unsigned;
 * - BOOLEAN (32-bit): `boolean` (or 0/1); REAL: `number`;
 * - byte arrays (CHAR, BYTE, INTEGER_8): `Uint8Array` (or `number[]`);
 * - `c_string[n]`, `c_string[*:n]`: `string` (UTF-8, at most n - 1 bytes:
 *   MIG's mig_strncpy always leaves room for the NUL);
 * - fixed arrays: JS arrays; `struct { ... }`: objects keyed by field name;
 * - ports: `PortRight` (or a bare name `number`); port arrays: arrays of those
 *   (a polymorphic array: one disposition for the whole array, MIG's
 *   `xxxPoly`, on every element or on the array itself: `PortArray`);
 * - out-of-line data and port arrays: `OolRef` (with `disposition` for a
 *   polymorphic port array).
 */
import { MigError } from './errors.js';
import type { CValue } from './types.js';

/** A port right in an argument: a name and, optionally, its disposition. */
export interface PortRight {
  /** The port name (mach_port_name_t, 32 bits). */
  name: number;
  /**
   * MACH_MSG_TYPE_* disposition. Defaults to the type's; required for
   * polymorphic types. After decoding: the descriptor's msgt_name.
   */
  disposition?: number;
}

/**
 * Out-of-line memory in the sender's (or, after receipt, the receiver's)
 * address space: `count` C elements of the argument's type at `address`.
 */
export interface OolRef {
  address: bigint;
  /** Number of C elements (MIG's `xxxCnt`), not bytes unless the elements are bytes. */
  count: number;
  /** msgt_deallocate; only used for `dealloc[]` arguments, set on decode. */
  deallocate?: boolean;
  /**
   * Port arrays: the MACH_MSG_TYPE_* of every right in the array (MIG's
   * `xxxPoly` argument). Required to send a polymorphic array as an
   * `OolRef`, checked against a fixed type's; set on decode of polymorphic
   * arrays (the descriptor's msgt_name), absent for fixed ones.
   */
  disposition?: number;
}

/**
 * An inline port array that carries the whole array's disposition itself
 * (MIG's `xxxPoly` argument), the way an `OolRef` does out-of-line and a
 * RegExp match array carries its `index`: still an array of rights or
 * names, so code that maps or measures it is unchanged. MIG's stub writes
 * that disposition into msgt_name whatever the count, so an empty array
 * says MOVE_SEND or MAKE_SEND_ONCE too (and a port right's makes the
 * message complex), which no element can say for it. To send:
 * `portArray(names, disposition)`; elements may then be bare names, and one
 * with its own disposition must agree. Required nowhere (elements can carry
 * it), checked against a fixed type's. Set on decode of polymorphic inline
 * arrays (msgt_name as received), absent for fixed ones.
 */
export type PortArray<E = PortRight | number> = E[] & { disposition?: number };

/** `names` (or rights) as a `PortArray` with `disposition`: a fresh array, the input is not changed. */
export function portArray<E extends PortRight | number>(names: readonly E[], disposition: number): PortArray<E> & { disposition: number } {
  return Object.assign(names.slice(), { disposition });
}

/** The disposition a port array carries itself (`PortArray`), or undefined. */
export function arrayDisposition(v: readonly unknown[]): unknown {
  return (v as { disposition?: unknown }).disposition;
}

/** Any argument value (see the module comment for the forms). */
export type MigValue =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | PortRight
  | OolRef
  | readonly MigValue[]
  | { readonly [field: string]: MigValue };

/** Named arguments of a routine. */
export type MigArgs = Record<string, MigValue>;

/** Is `v` an `OolRef`? */
export function isOolRef(v: unknown): v is OolRef {
  return typeof v === 'object' && v !== null && typeof (v as OolRef).address === 'bigint' && typeof (v as OolRef).count === 'number';
}

/** Is `v` a `PortRight`? */
export function isPortRight(v: unknown): v is PortRight {
  return typeof v === 'object' && v !== null && typeof (v as PortRight).name === 'number' && !isOolRef(v);
}

function bad(path: string, msg: string): never {
  throw new MigError('MIG_BAD_ARGUMENTS', `${path}: ${msg}`);
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 bytes of a string value. */
export function stringBytes(v: unknown, path: string): Uint8Array {
  if (typeof v !== 'string') bad(path, 'expected a string');
  return utf8.encode(v);
}

/** Is every UTF-16 unit of `s` ASCII? Then its UTF-8 is one byte per unit, equal to it. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Writes an ASCII `s` at `off` of `out` (its UTF-8, byte for byte) and
 * returns true; false at the first non-ASCII unit, having written the units
 * before it. TextEncoder's encode allocates a fresh array per call (~0.4 us
 * in profiles of small RPCs); MIG strings are nearly always ASCII.
 */
export function writeAscii(s: string, out: Uint8Array, off: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    out[off + i] = c;
  }
  return true;
}

/**
 * A C string from bytes: up to the first NUL, decoded as UTF-8 (invalid
 * sequences become U+FFFD). ASCII, by far the common case, is built from
 * char codes 8 at a time, which costs a fraction of a TextDecoder call on a
 * short string; the first byte over 0x7f hands the whole string to the
 * decoder, so the result is the decoder's in every case.
 */
export function bytesString(b: Uint8Array): string {
  return bytesStringAt(b, 0, b.length);
}

/** bytesString of b[from, to), without the subarray object (callers check the bounds). */
export function bytesStringAt(b: Uint8Array, from: number, to: number): string {
  const n = to;
  let r = '';
  let i = from;
  // Runs of 8 bytes, none NUL and all ASCII.
  for (; i + 8 <= n; i += 8) {
    const c0 = b[i] as number, c1 = b[i + 1] as number, c2 = b[i + 2] as number, c3 = b[i + 3] as number;
    const c4 = b[i + 4] as number, c5 = b[i + 5] as number, c6 = b[i + 6] as number, c7 = b[i + 7] as number;
    if (c0 === 0 || c1 === 0 || c2 === 0 || c3 === 0 || c4 === 0 || c5 === 0 || c6 === 0 || c7 === 0) break;
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) >= 0x80) break;
    r += String.fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7);
  }
  // The run that holds the NUL or the first non-ASCII byte (or the tail): byte by byte.
  for (; i < n; i++) {
    const c = b[i] as number;
    if (c === 0) return r;
    if (c >= 0x80) return bytesStringUtf8(b.subarray(from, to));
    r += String.fromCharCode(c);
  }
  return r;
}

/** bytesString through the UTF-8 decoder. */
function bytesStringUtf8(b: Uint8Array): string {
  const z = b.indexOf(0);
  return utf8d.decode(z < 0 ? b : b.subarray(0, z));
}

function writeInt(view: DataView, off: number, bytes: 1 | 2 | 4 | 8, v: unknown, boolean: boolean, path: string): void {
  if (boolean && typeof v === 'boolean') v = v ? 1 : 0;
  if (bytes === 8) {
    let b: bigint;
    if (typeof v === 'bigint') b = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
    else return bad(path, 'expected a bigint (64-bit integer)');
    if (b < -(1n << 63n) || b >= 1n << 64n) bad(path, `${b} does not fit in 64 bits`);
    view.setBigUint64(off, BigInt.asUintN(64, b), true);
    return;
  }
  if (typeof v === 'bigint' && v >= -(1n << 63n) && v < 1n << 64n) v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v)) return bad(path, `expected an integer${boolean ? ' or boolean' : ''}`);
  const bits = bytes * 8;
  if (v < -(2 ** (bits - 1)) || v >= 2 ** bits) bad(path, `${v} does not fit in ${bits} bits`);
  const u = v < 0 ? v + 2 ** bits : v;
  if (bytes === 1) view.setUint8(off, u);
  else if (bytes === 2) view.setUint16(off, u, true);
  else view.setUint32(off, u, true);
}

/** Write `v` as the C value `cv` at `off` of `out`. */
export function writeCValue(cv: CValue, v: unknown, out: Uint8Array, off: number, path: string): void {
  if (tryWriteCValue(cv, v, out, off)) return;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  switch (cv.kind) {
    case 'int':
      writeInt(view, off, cv.bytes, v, cv.boolean, path);
      return;
    case 'real':
      if (typeof v !== 'number') bad(path, 'expected a number');
      if (cv.bytes === 4) view.setFloat32(off, v, true);
      else view.setFloat64(off, v, true);
      return;
    case 'string': {
      // MIG copies with mig_strncpy(dst, src, n): at most n - 1 bytes and a NUL.
      const b = stringBytes(v, path);
      if (b.length > cv.size - 1) bad(path, `string of ${b.length} bytes does not fit in ${cv.size} with its NUL`);
      out.set(b, off);
      return;
    }
    case 'bytes': {
      const b = v instanceof Uint8Array ? v : Array.isArray(v) ? Uint8Array.from(v as number[]) : bad(path, 'expected a Uint8Array');
      if (b.length !== cv.size) bad(path, `expected ${cv.size} bytes, got ${b.length}`);
      out.set(b, off);
      return;
    }
    case 'array': {
      if (!Array.isArray(v)) bad(path, `expected an array of ${cv.n}`);
      if (v.length !== cv.n) bad(path, `expected ${cv.n} elements, got ${v.length}`);
      for (let i = 0; i < cv.n; i++) writeCValue(cv.element, v[i], out, off + i * cv.element.size, `${path}[${i}]`);
      return;
    }
    case 'struct': {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) bad(path, 'expected an object');
      const o = v as Record<string, unknown>;
      for (const f of cv.fields) {
        if (!(f.name in o)) bad(path, `missing field '${f.name}'`);
        writeCValue(f.value, o[f.name], out, off + f.offset, `${path}.${f.name}`);
      }
      return;
    }
    case 'port':
      return bad(path, 'a port inside data');
  }
}

/**
 * Read the C value `cv` at `off` of `b`. Byte-wise little-endian reads: a
 * DataView per value cost more than the read itself. A value running past
 * the end of `b` takes the DataView path, which throws RangeError as before.
 */
export function readCValue(cv: CValue, b: Uint8Array, off: number): MigValue {
  if (off < 0 || off + cv.size > b.length) return readCValueChecked(cv, b, off);
  switch (cv.kind) {
    case 'int': {
      if (cv.bytes === 8) return readU64le(b, off);
      const v =
        cv.bytes === 1
          ? (b[off] as number)
          : cv.bytes === 2
            ? cv.unsigned ? readU16le(b, off) : (readU16le(b, off) << 16) >> 16
            : cv.unsigned ? readU32le(b, off) >>> 0 : readU32le(b, off) | 0;
      return cv.boolean ? v !== 0 : v;
    }
    case 'real':
      return readReal(b, off, cv.bytes);
    case 'string':
      return bytesStringAt(b, off, off + cv.size);
    case 'bytes':
      return b.slice(off, off + cv.size);
    case 'array': {
      const el = cv.element;
      const out = new Array<MigValue>(cv.n);
      for (let i = 0; i < cv.n; i++) out[i] = readCValue(el, b, off + i * el.size);
      return out;
    }
    case 'struct': {
      const o: Record<string, MigValue> = {};
      for (const f of cv.fields) o[f.name] = readCValue(f.value, b, off + f.offset);
      return o;
    }
    case 'port':
      return { name: readU32le(b, off) >>> 0 };
  }
}

function readU16le(b: Uint8Array, p: number): number {
  return (b[p] as number) | ((b[p + 1] as number) << 8);
}

/** The 32 bits at p as a signed int32 (callers pick `>>> 0` or `| 0`). */
function readU32le(b: Uint8Array, p: number): number {
  return (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
}

function readU64le(b: Uint8Array, p: number): bigint {
  const lo = readU32le(b, p) >>> 0;
  const hi = readU32le(b, p + 4) >>> 0;
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Float scratch: one small DataView for the module, not one per value. */
const scratchBytes = new Uint8Array(8);
const scratch = new DataView(scratchBytes.buffer);

function readReal(b: Uint8Array, off: number, bytes: 4 | 8): number {
  for (let i = 0; i < bytes; i++) scratchBytes[i] = b[off + i] as number;
  return bytes === 4 ? scratch.getFloat32(0, true) : scratch.getFloat64(0, true);
}

/** readCValue through a DataView: bounds-checked (RangeError past the end). */
function readCValueChecked(cv: CValue, b: Uint8Array, off: number): MigValue {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (cv.kind) {
    case 'int': {
      if (cv.bytes === 8) return view.getBigUint64(off, true);
      const v =
        cv.bytes === 1
          ? view.getUint8(off)
          : cv.bytes === 2
            ? cv.unsigned ? view.getUint16(off, true) : view.getInt16(off, true)
            : cv.unsigned ? view.getUint32(off, true) : view.getInt32(off, true);
      return cv.boolean ? v !== 0 : v;
    }
    case 'real':
      return cv.bytes === 4 ? view.getFloat32(off, true) : view.getFloat64(off, true);
    case 'string':
      return bytesString(b.subarray(off, off + cv.size));
    case 'bytes':
      return b.slice(off, off + cv.size);
    case 'array': {
      const out: MigValue[] = [];
      for (let i = 0; i < cv.n; i++) out.push(readCValueChecked(cv.element, b, off + i * cv.element.size));
      return out;
    }
    case 'struct': {
      const o: Record<string, MigValue> = {};
      for (const f of cv.fields) o[f.name] = readCValueChecked(f.value, b, off + f.offset);
      return o;
    }
    case 'port':
      return { name: view.getUint32(off, true) };
  }
}

/**
 * Write `v` as the C value `cv` at `off` of `out` if it is in one of the
 * common forms (numbers and booleans for integers, numbers for reals,
 * Uint8Array for bytes, arrays and objects of those) and in range; returns
 * false, having maybe written part of it, otherwise. The caller then runs
 * writeCValue, which accepts the other forms or throws the precise error:
 * the error path is unchanged and the common path builds no path strings.
 */
export function tryWriteCValue(cv: CValue, v: unknown, out: Uint8Array, off: number): boolean {
  if (off < 0 || off + cv.size > out.length) return false;
  switch (cv.kind) {
    case 'int':
      return tryWriteInt(out, off, cv.bytes, v, cv.boolean);
    case 'real':
      if (typeof v !== 'number') return false;
      if (cv.bytes === 4) scratch.setFloat32(0, v, true);
      else scratch.setFloat64(0, v, true);
      for (let i = 0; i < cv.bytes; i++) out[off + i] = scratchBytes[i] as number;
      return true;
    case 'bytes':
      if (!(v instanceof Uint8Array) || v.length !== cv.size) return false;
      out.set(v, off);
      return true;
    case 'array': {
      if (!Array.isArray(v) || v.length !== cv.n) return false;
      const el = cv.element;
      for (let i = 0; i < cv.n; i++) if (!tryWriteCValue(el, v[i], out, off + i * el.size)) return false;
      return true;
    }
    case 'struct': {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false;
      const o = v as Record<string, unknown>;
      for (const f of cv.fields) {
        if (!(f.name in o)) return false;
        if (!tryWriteCValue(f.value, o[f.name], out, off + f.offset)) return false;
      }
      return true;
    }
    case 'string': {
      // mig_strncpy: at most size - 1 bytes; the bytes after them (the NUL) are not written.
      if (typeof v !== 'string') return false;
      if (v.length <= cv.size - 1 && writeAscii(v, out, off)) return true;
      const b = utf8.encode(v);
      if (b.length > cv.size - 1) return false;
      out.set(b, off);
      return true;
    }
    default:
      // A port inside data is an error: writeCValue says so.
      return false;
  }
}

const TWO_32 = 2 ** 32;

/** tryWriteCValue for integers: numbers (and booleans for BOOLEAN) in range, and in-range bigints for 64 bits. */
export function tryWriteInt(out: Uint8Array, off: number, bytes: 1 | 2 | 4 | 8, v: unknown, boolean: boolean): boolean {
  if (typeof v === 'boolean') {
    if (!boolean) return false;
    v = v ? 1 : 0;
  }
  if (bytes === 8) {
    let lo: number;
    let hi: number;
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) return false;
      // Two's complement split of a safe integer (negative ones too).
      lo = ((v % TWO_32) + TWO_32) % TWO_32;
      hi = Math.floor(v / TWO_32) >>> 0;
    } else if (typeof v === 'bigint') {
      if (v >= 0n && v <= 0xffffffffn) {
        lo = Number(v);
        hi = 0;
      } else {
        if (v < -(1n << 63n) || v >= 1n << 64n) return false;
        const u = BigInt.asUintN(64, v);
        lo = Number(u & 0xffffffffn);
        hi = Number(u >> 32n);
      }
    } else return false;
    writeLe32(out, off, lo);
    writeLe32(out, off + 4, hi);
    return true;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) return false;
  if (bytes === 4) {
    if (v < -0x80000000 || v > 0xffffffff) return false;
    writeLe32(out, off, v);
    return true;
  }
  if (bytes === 2) {
    if (v < -0x8000 || v > 0xffff) return false;
    out[off] = v;
    out[off + 1] = v >>> 8;
    return true;
  }
  if (v < -0x80 || v > 0xff) return false;
  out[off] = v;
  return true;
}

function writeLe32(out: Uint8Array, p: number, v: number): void {
  out[p] = v;
  out[p + 1] = v >>> 8;
  out[p + 2] = v >>> 16;
  out[p + 3] = v >>> 24;
}
