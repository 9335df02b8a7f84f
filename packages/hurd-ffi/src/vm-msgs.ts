/**
 * The external memory management messages (mach-abi.md §9), built as
 * mach-msg MachMessages in the kernel's ABI and read back from the kmsgs a
 * pager sends to a control port. Hand-built layouts, checked in the tests
 * against the §9 memory_object_init vector.
 */
import {
  decodeMessage,
  inlinePortBits,
  MACH_MSG_TYPE_BOOLEAN,
  MACH_MSG_TYPE_BYTE,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_INTEGER_32,
  MACH_MSG_TYPE_INTEGER_64,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  type Abi,
  type DataItem,
  type MachMessage,
  type MsgItem,
  type TypeDescriptor,
} from 'mach-msg';
import type { KItem, Kmsg } from './ipc-kmsg-types.js';
import { HEADER_SIZE } from './msg-header.js';

/** Kernel -> pager (subsystem memory_object, 2200). */
export const MEMORY_OBJECT_INIT = 2200;
export const MEMORY_OBJECT_TERMINATE = 2201;
export const MEMORY_OBJECT_DATA_REQUEST = 2203;
export const MEMORY_OBJECT_DATA_UNLOCK = 2204;
export const MEMORY_OBJECT_LOCK_COMPLETED = 2206;
export const MEMORY_OBJECT_SUPPLY_COMPLETED = 2207;
export const MEMORY_OBJECT_DATA_RETURN = 2208;
export const MEMORY_OBJECT_CHANGE_COMPLETED = 2209;
/** Pager -> kernel (subsystem mach, 2000). */
export const MEMORY_OBJECT_DATA_UNAVAILABLE = 2039;
export const MEMORY_OBJECT_LOCK_REQUEST = 2044;
export const MEMORY_OBJECT_DATA_ERROR = 2090;
export const MEMORY_OBJECT_DATA_SUPPLY = 2093;
export const MEMORY_OBJECT_READY = 2094;
export const MEMORY_OBJECT_CHANGE_ATTRIBUTES = 2095;

export const VM_PROT_NONE = 0;
export const VM_PROT_READ = 1;
export const VM_PROT_WRITE = 2;
export const VM_PROT_EXECUTE = 4;
export const VM_PROT_ALL = 7;
/** lock_request's "leave the lock as it is". */
export const VM_PROT_NO_CHANGE = 8;
export const MEMORY_OBJECT_RETURN_NONE = 0;
export const MEMORY_OBJECT_RETURN_DIRTY = 1;
export const MEMORY_OBJECT_RETURN_ALL = 2;
/** Copy strategies (memory_object_ready, change_attributes). */
export const MEMORY_OBJECT_COPY_NONE = 0;
export const MEMORY_OBJECT_COPY_CALL = 1;
export const MEMORY_OBJECT_COPY_DELAY = 2;
export const MEMORY_OBJECT_COPY_TEMPORARY = 3;

function td(name: number, size: number, number = 1): TypeDescriptor {
  return { name, size, number, inline: true, longform: false, deallocate: false };
}

function port(abi: Abi, disp: number, name: number): MsgItem {
  return { kind: 'ports', type: td(disp, inlinePortBits(abi)), names: [name] };
}

/** vm_offset_t / vm_size_t: INTEGER_64 on x86_64, INTEGER_32 on i386. */
function word(abi: Abi, v: number): DataItem {
  if (abi === 'x86_64') {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigUint64(0, BigInt(v), true);
    return { kind: 'data', type: td(MACH_MSG_TYPE_INTEGER_64, 64), data };
  }
  return int32(v, MACH_MSG_TYPE_INTEGER_32);
}

function int32(v: number, name: number = MACH_MSG_TYPE_INTEGER_32): DataItem {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, v >>> 0, true);
  return { kind: 'data', type: td(name, 32), data };
}

function msg(dest: number, destDisp: number, id: number, items: MsgItem[]): MachMessage {
  return {
    header: { bits: { remote: destDisp, local: 0, complex: true, other: 0 }, remotePort: dest, localPort: 0, seqno: 0, id },
    items,
  };
}

export function memoryObjectInit(abi: Abi, pager: number, control: number, name: number, pageSize: number): MachMessage {
  return msg(pager, MACH_MSG_TYPE_COPY_SEND, MEMORY_OBJECT_INIT, [
    port(abi, MACH_MSG_TYPE_MAKE_SEND, control),
    port(abi, MACH_MSG_TYPE_MAKE_SEND, name),
    word(abi, pageSize),
  ]);
}

/** The kernel's send right to the pager goes with it (MOVE_SEND). */
export function memoryObjectTerminate(abi: Abi, pager: number, control: number, name: number): MachMessage {
  return msg(pager, MACH_MSG_TYPE_MOVE_SEND, MEMORY_OBJECT_TERMINATE, [
    port(abi, MACH_MSG_TYPE_MOVE_RECEIVE, control),
    port(abi, MACH_MSG_TYPE_MOVE_RECEIVE, name),
  ]);
}

/** data_request (2203) and data_unlock (2204) share their layout. */
export function memoryObjectAccess(
  abi: Abi,
  id: typeof MEMORY_OBJECT_DATA_REQUEST | typeof MEMORY_OBJECT_DATA_UNLOCK,
  pager: number,
  control: number,
  offset: number,
  length: number,
  desired: number,
): MachMessage {
  return msg(pager, MACH_MSG_TYPE_COPY_SEND, id, [
    port(abi, MACH_MSG_TYPE_MAKE_SEND, control),
    word(abi, offset),
    word(abi, length),
    int32(desired),
  ]);
}

export function memoryObjectLockCompleted(abi: Abi, replyTo: number, replyDisp: number, control: number, offset: number, length: number): MachMessage {
  return msg(replyTo, replyDisp, MEMORY_OBJECT_LOCK_COMPLETED, [
    port(abi, MACH_MSG_TYPE_MAKE_SEND, control),
    word(abi, offset),
    word(abi, length),
  ]);
}

/** Answer to a data_supply that named a reply port. */
export function memoryObjectSupplyCompleted(
  abi: Abi,
  replyTo: number,
  replyDisp: number,
  control: number,
  offset: number,
  length: number,
  result: number,
  errorOffset: number,
): MachMessage {
  return msg(replyTo, replyDisp, MEMORY_OBJECT_SUPPLY_COMPLETED, [
    port(abi, MACH_MSG_TYPE_MAKE_SEND, control),
    word(abi, offset),
    word(abi, length),
    int32(result),
    word(abi, errorOffset),
  ]);
}

/** Answer to change_attributes that named a reply port (no port in the body). */
export function memoryObjectChangeCompleted(replyTo: number, replyDisp: number, mayCache: boolean, copyStrategy: number): MachMessage {
  const m = msg(replyTo, replyDisp, MEMORY_OBJECT_CHANGE_COMPLETED, [int32(mayCache ? 1 : 0, MACH_MSG_TYPE_BOOLEAN), int32(copyStrategy)]);
  m.header.bits.complex = false;
  return m;
}

/** `data` is out of line at `address` in the kernel's own map; it moves with the message. */
export function memoryObjectDataReturn(
  abi: Abi,
  pager: number,
  control: number,
  offset: number,
  address: number,
  length: number,
  dirty: boolean,
): MachMessage {
  return msg(pager, MACH_MSG_TYPE_COPY_SEND, MEMORY_OBJECT_DATA_RETURN, [
    port(abi, MACH_MSG_TYPE_MAKE_SEND, control),
    word(abi, offset),
    {
      kind: 'ool',
      type: { name: MACH_MSG_TYPE_BYTE, size: 8, number: length, inline: false, longform: true, deallocate: true },
      address: BigInt(address),
    },
    int32(dirty ? 1 : 0, MACH_MSG_TYPE_BOOLEAN),
    int32(0, MACH_MSG_TYPE_BOOLEAN),
  ]);
}

/** A pager's call, reduced to its numbers, its out-of-line data and its ports. */
export interface PagerCall {
  id: number;
  ints: number[];
  ool: Uint8Array[];
  /** Port items' rights, in order (still owned by the kmsg until taken). */
  ports: { item: KItem & { kind: 'ports' }; index: number }[];
}

function dataValue(it: DataItem): number {
  const dv = new DataView(it.data.buffer, it.data.byteOffset, it.data.byteLength);
  if (it.type.size === 64 && it.data.length >= 8) return Number(dv.getBigUint64(0, true));
  if (it.type.size === 32 && it.data.length >= 4) return dv.getUint32(0, true);
  if (it.data.length >= 4) return dv.getUint32(0, true);
  return it.data[0] ?? 0;
}

/** Reads a kmsg sent to a kernel port; the kernel parses even simple bodies. */
export function readPagerCall(kmsg: Kmsg, kernelAbi: Abi): PagerCall {
  let items: KItem[] = kmsg.items;
  if (kmsg.rawBody !== null) {
    const abi = kmsg.senderAbi ?? kernelAbi;
    const H = HEADER_SIZE[abi];
    const bytes = new Uint8Array(H + kmsg.rawBody.length - kmsg.rawBodyAt);
    bytes.set(kmsg.rawBody.subarray(kmsg.rawBodyAt), H);
    new DataView(bytes.buffer).setUint32(4, bytes.length, true);
    try {
      items = decodeMessage(bytes, abi).items.filter((i): i is DataItem => i.kind === 'data');
    } catch {
      items = [];
    }
  }
  const call: PagerCall = { id: kmsg.id, ints: [], ool: [], ports: [] };
  for (const it of items) {
    if (it.kind === 'data') call.ints.push(dataValue(it));
    else if (it.kind === 'ool') call.ool.push(it.data);
    else if (it.kind === 'ports') it.rights.forEach((_, index) => call.ports.push({ item: it, index }));
  }
  return call;
}
