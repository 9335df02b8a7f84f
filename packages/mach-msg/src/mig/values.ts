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
 * - ports: `PortRight` (or a bare name `number`); port arrays: arrays of those;
 * - out-of-line data: `OolRef`.
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

/** A C string from bytes: up to the first NUL. */
export function bytesString(b: Uint8Array): string {
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

/** Read the C value `cv` at `off` of `b`. */
export function readCValue(cv: CValue, b: Uint8Array, off: number): MigValue {
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
      for (let i = 0; i < cv.n; i++) out.push(readCValue(cv.element, b, off + i * cv.element.size));
      return out;
    }
    case 'struct': {
      const o: Record<string, MigValue> = {};
      for (const f of cv.fields) o[f.name] = readCValue(f.value, b, off + f.offset);
      return o;
    }
    case 'port':
      return { name: view.getUint32(off, true) };
  }
}
