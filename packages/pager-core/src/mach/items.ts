import {
  MACH_MSG_TYPE_BOOLEAN,
  MACH_MSG_TYPE_BYTE,
  MACH_MSG_TYPE_INTEGER_32,
  MACH_MSG_TYPE_INTEGER_64,
  MACH_MSG_TYPE_PORT_NAME,
  type Abi,
  type DataItem,
  type MachMessage,
  type MsgItem,
  type OolItem,
  type PortsItem,
} from 'mach-msg';
import { PagerCoreError } from '../errors.js';

/**
 * Typed-item helpers for the fixed memory_object layouts: MIG lays each
 * argument out as one item (mach-abi.md §5); vm_offset_t/vm_size_t are
 * INTEGER_64 on x86_64 and INTEGER_32 on i386; boolean_t is a 32-bit
 * MACH_MSG_TYPE_BOOLEAN; ports are inline, 32 or 64 bits per name.
 */

function bad(msg: MachMessage, why: string): never {
  throw new PagerCoreError('bad-message', `message ${msg.header.id}: ${why}`);
}

function item(msg: MachMessage, i: number): MsgItem {
  return msg.items[i] ?? bad(msg, `missing item ${i}`);
}

export function expectItems(msg: MachMessage, n: number): void {
  if (msg.items.length !== n) bad(msg, `expected ${n} items, got ${msg.items.length}`);
}

/** An unsigned vm_offset_t / vm_size_t (32 or 64 bits), as a number. */
export function readWord(msg: MachMessage, i: number): number {
  const v = readInt(msg, i);
  return v < 0 ? v >>> 0 : v;
}

/** A 32- or 64-bit integer item (INTEGER_32/64 or BOOLEAN), as a number. */
export function readInt(msg: MachMessage, i: number): number {
  const it = item(msg, i);
  if (it.kind !== 'data' || it.type.number !== 1) bad(msg, `item ${i} is not a single integer`);
  const dv = new DataView(it.data.buffer, it.data.byteOffset, it.data.byteLength);
  if (it.type.size === 32 && it.data.byteLength >= 4) return dv.getInt32(0, true);
  if (it.type.size === 64 && it.data.byteLength >= 8) {
    const v = dv.getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(msg, `item ${i} is too large: ${v}`);
    return Number(v);
  }
  return bad(msg, `item ${i} has size ${it.type.size}`);
}

export function readBool(msg: MachMessage, i: number): boolean {
  return readInt(msg, i) !== 0;
}

/** One port right or port name, as its name in the receiver's space. */
export function readPort(msg: MachMessage, i: number): number {
  const it = item(msg, i);
  if (it.kind === 'ports' && it.names.length === 1) return it.names[0]!;
  if (it.kind === 'data' && it.type.name === MACH_MSG_TYPE_PORT_NAME && it.data.byteLength >= 4) {
    return new DataView(it.data.buffer, it.data.byteOffset, 4).getUint32(0, true);
  }
  return bad(msg, `item ${i} is not a single port`);
}

/** An out-of-line byte array: its address and length in bytes. */
export function readOol(msg: MachMessage, i: number): { address: bigint; bytes: number } {
  const it = item(msg, i);
  if (it.kind !== 'ool' || it.type.size !== 8) bad(msg, `item ${i} is not out-of-line bytes`);
  return { address: it.address, bytes: it.type.number };
}

function desc(name: number, size: number, longform = false) {
  return { name, size, number: 1, inline: true, longform, deallocate: false };
}

function bytes(n: number, write: (dv: DataView) => void): Uint8Array {
  const b = new Uint8Array(n);
  write(new DataView(b.buffer));
  return b;
}

export function int32(v: number): DataItem {
  return { kind: 'data', type: desc(MACH_MSG_TYPE_INTEGER_32, 32), data: bytes(4, (d) => d.setInt32(0, v, true)) };
}

export function bool(v: boolean): DataItem {
  return { kind: 'data', type: desc(MACH_MSG_TYPE_BOOLEAN, 32), data: bytes(4, (d) => d.setInt32(0, v ? 1 : 0, true)) };
}

/** vm_offset_t / vm_size_t: natural width of the ABI. */
export function vmWord(abi: Abi, v: number): DataItem {
  if (abi === 'i386') {
    if (v > 0xffffffff) throw new PagerCoreError('bad-message', `value ${v} does not fit an i386 vm_size_t`);
    return { kind: 'data', type: desc(MACH_MSG_TYPE_INTEGER_32, 32), data: bytes(4, (d) => d.setUint32(0, v, true)) };
  }
  return {
    kind: 'data',
    type: desc(MACH_MSG_TYPE_INTEGER_64, 64),
    data: bytes(8, (d) => d.setBigUint64(0, BigInt(v), true)),
  };
}

/** One inline port with the given disposition. */
export function port(abi: Abi, disposition: number, name: number): PortsItem {
  return { kind: 'ports', type: desc(disposition, abi === 'i386' ? 32 : 64), names: [name] };
}

/** `pointer_t, Dealloc[]`: out-of-line bytes, always long form (mach-abi.md §5). */
export function oolBytes(address: bigint, n: number, deallocate: boolean): OolItem {
  return {
    kind: 'ool',
    type: { name: MACH_MSG_TYPE_BYTE, size: 8, number: n, inline: false, longform: true, deallocate },
    address,
  };
}
