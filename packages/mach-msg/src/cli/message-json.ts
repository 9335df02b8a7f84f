import type { MachMessage, MsgHeader, MsgItem, TypeDescriptor } from '../message.js';
import { CliError } from './errors.js';
import { parseHex, toHex } from './hex.js';

/**
 * The JSON form of a MachMessage that `decode` prints and `encode` reads:
 * the same fields, with bigints (addresses, protected payloads) as `0x` hex
 * strings and data bytes as plain hex strings.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export function bigintToJson(v: bigint): string {
  return `0x${v.toString(16)}`;
}

export function messageToJson(msg: MachMessage): { [k: string]: JsonValue } {
  const h = msg.header;
  const header: { [k: string]: JsonValue } = {
    bits: { remote: h.bits.remote, local: h.bits.local, complex: h.bits.complex, other: h.bits.other },
  };
  if (h.size !== undefined) header.size = h.size;
  header.remotePort = h.remotePort;
  header.localPort = h.localPort;
  if (h.protectedPayload !== undefined) header.protectedPayload = bigintToJson(h.protectedPayload);
  header.seqno = h.seqno;
  header.id = h.id;
  return { header, items: msg.items.map(itemToJson) };
}

function typeToJson(t: TypeDescriptor): { [k: string]: JsonValue } {
  return { name: t.name, size: t.size, number: t.number, inline: t.inline, longform: t.longform, deallocate: t.deallocate };
}

function itemToJson(item: MsgItem): { [k: string]: JsonValue } {
  switch (item.kind) {
    case 'data':
      return { kind: 'data', type: typeToJson(item.type), data: toHex(item.data) };
    case 'ports':
      return { kind: 'ports', type: typeToJson(item.type), names: [...item.names] };
    case 'ool':
      return { kind: 'ool', type: typeToJson(item.type), address: bigintToJson(item.address) };
  }
}

// ---- reading it back -------------------------------------------------------

type Obj = { [k: string]: unknown };

function bad(path: string, what: string): CliError {
  return new CliError('bad_json', `${path}: ${what}`, path);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, 'expected an object');
  return v as Obj;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(path, `expected an integer in ${min}..${max}`);
  }
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw bad(path, 'expected true or false');
  return v;
}

/** A bigint from a `0x` hex or decimal string (or a safe integer number). */
export function bigintFromJson(v: unknown, path: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0x[0-9a-f]{1,16}|[0-9]{1,20})$/i.test(v)) {
    const n = BigInt(v);
    if (n <= 0xffffffffffffffffn) return n;
  }
  throw bad(path, 'expected an unsigned 64-bit value as a "0x..." or decimal string');
}

const U32 = 0xffffffff;

function typeFromJson(v: unknown, path: string): TypeDescriptor {
  const t = obj(v, path);
  return {
    name: int(t.name, `${path}.name`, 0, 0xffff),
    size: int(t.size, `${path}.size`, 0, 0xffff),
    number: int(t.number, `${path}.number`, 0, U32),
    inline: bool(t.inline, `${path}.inline`),
    longform: bool(t.longform, `${path}.longform`),
    deallocate: bool(t.deallocate, `${path}.deallocate`),
  };
}

function itemFromJson(v: unknown, path: string): MsgItem {
  const it = obj(v, path);
  const type = typeFromJson(it.type, `${path}.type`);
  switch (it.kind) {
    case 'data': {
      if (typeof it.data !== 'string') throw bad(`${path}.data`, 'expected a hex string');
      let data: Uint8Array;
      try {
        data = parseHex(it.data);
      } catch (e) {
        throw bad(`${path}.data`, (e as Error).message);
      }
      return { kind: 'data', type, data };
    }
    case 'ports': {
      if (!Array.isArray(it.names)) throw bad(`${path}.names`, 'expected an array of port names');
      return { kind: 'ports', type, names: it.names.map((n, i) => int(n, `${path}.names[${i}]`, 0, U32)) };
    }
    case 'ool':
      return { kind: 'ool', type, address: bigintFromJson(it.address, `${path}.address`) };
    default:
      throw bad(`${path}.kind`, 'expected "data", "ports" or "ool"');
  }
}

/**
 * Only the header fields given (for encoding from arguments, where the
 * routine supplies the rest); `bits` must be complete if given.
 */
export function partialHeaderFromJson(v: unknown, path: string): Partial<MsgHeader> {
  const h = obj(v, path);
  const out: Partial<MsgHeader> = {};
  if (h.bits !== undefined) {
    const b = obj(h.bits, `${path}.bits`);
    out.bits = {
      remote: int(b.remote, `${path}.bits.remote`, 0, 255),
      local: int(b.local, `${path}.bits.local`, 0, 255),
      complex: bool(b.complex, `${path}.bits.complex`),
      other: int(b.other ?? 0, `${path}.bits.other`, 0, U32),
    };
  }
  if (h.remotePort !== undefined) out.remotePort = int(h.remotePort, `${path}.remotePort`, 0, U32);
  if (h.localPort !== undefined) out.localPort = int(h.localPort, `${path}.localPort`, 0, U32);
  if (h.seqno !== undefined) out.seqno = int(h.seqno, `${path}.seqno`, 0, U32);
  if (h.id !== undefined) out.id = int(h.id, `${path}.id`, -0x80000000, 0x7fffffff);
  return out;
}

/** Reads the JSON form back into a MachMessage; throws CliError('bad_json'). */
export function messageFromJson(v: unknown, path = 'message'): MachMessage {
  const m = obj(v, path);
  const h = obj(m.header, `${path}.header`);
  const b = obj(h.bits, `${path}.header.bits`);
  const header: MsgHeader = {
    bits: {
      remote: int(b.remote, `${path}.header.bits.remote`, 0, 255),
      local: int(b.local, `${path}.header.bits.local`, 0, 255),
      complex: bool(b.complex, `${path}.header.bits.complex`),
      other: int(b.other ?? 0, `${path}.header.bits.other`, 0, U32),
    },
    remotePort: int(h.remotePort, `${path}.header.remotePort`, 0, U32),
    localPort: int(h.localPort, `${path}.header.localPort`, 0, U32),
    seqno: int(h.seqno ?? 0, `${path}.header.seqno`, 0, U32),
    id: int(h.id, `${path}.header.id`, -0x80000000, 0x7fffffff),
  };
  if (h.size !== undefined) header.size = int(h.size, `${path}.header.size`, 0, U32);
  if (h.protectedPayload !== undefined) {
    header.protectedPayload = bigintFromJson(h.protectedPayload, `${path}.header.protectedPayload`);
  }
  if (!Array.isArray(m.items)) throw bad(`${path}.items`, 'expected an array');
  return { header, items: m.items.map((it, i) => itemFromJson(it, `${path}.items[${i}]`)) };
}

/**
 * Any value a decoder returns, as JSON: bigints as decimal strings, bytes as
 * hex, Maps as objects, a port array that carries its own disposition
 * (`PortArray`, which JSON's arrays cannot) as `{ names, disposition }`.
 * Depth-limited so that a cyclic value cannot hang the printer.
 */
export function toJsonValue(v: unknown, depth = 0): JsonValue {
  if (depth > 32) return '[too deep]';
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) {
    const d: unknown = (v as { disposition?: unknown }).disposition;
    if (typeof d === 'number') {
      const names = v.map((x) => (typeof x === 'object' && x !== null && typeof x.name === 'number' ? (x.name as number) : toJsonValue(x, depth + 1)));
      return { names, disposition: d };
    }
    return v.map((x) => toJsonValue(x, depth + 1));
  }
  if (v instanceof Map) {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of v) o[String(k)] = toJsonValue(x, depth + 1);
    return o;
  }
  if (typeof v === 'object') {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = toJsonValue(x, depth + 1);
    return o;
  }
  return String(v);
}
