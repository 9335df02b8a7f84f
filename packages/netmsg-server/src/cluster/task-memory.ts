import {
  MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND,
  MACH_PORT_TYPE_RECEIVE, MACH_PORT_TYPE_SEND, MACH_PORT_TYPE_SEND_ONCE, type MachMessage, type MsgItem,
} from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';

/**
 * Out-of-line memory and message rights of one task, as a user program
 * handles them around mach_msg: the bytes of an out-of-line item live in the
 * sender's address space (vm_allocate + vm_write, sent with deallocate so
 * the kernel takes the pages), and a received item's pages are the
 * receiver's to read and vm_deallocate. Both steps give the bytes up
 * (vmAllocateWrite, vmReadDeallocate), so the simulated kernel hands the
 * same buffer along instead of copying it at each step: whoever passes
 * bytes to `placeOol` must not touch them afterwards, and `takeOol`'s
 * results may be views of a larger buffer (mind byteOffset).
 */

/**
 * decodeMessage's options for a buffer mach_msg handed to a receiver: it is
 * the task's alone (the kernel gives its copy over and keeps nothing), so
 * the decoded data items are views of it rather than copies, as a C
 * receiver reads its items in place in its receive buffer. Whoever holds
 * such a message must not write the buffer but through its items.
 */
export const RECEIVED = { viewData: true } as const;

/** Byte length of an out-of-line item: ceil(number * size / 8). */
export function oolLength(it: MsgItem): number {
  return Math.ceil((it.type.number * it.type.size) / 8);
}

/**
 * Put `ool[i]` into `task` and point the message's i-th OOL item at it
 * (deallocate: the kernel takes the pages). The caller gives `ool` up.
 */
export async function placeOol(k: MachKernel, task: TaskId, msg: MachMessage, ool: readonly Uint8Array[]): Promise<MachMessage> {
  let i = 0;
  const items: MsgItem[] = [];
  for (const it of msg.items) {
    if (it.kind !== 'ool') {
      items.push(it);
      continue;
    }
    const data = ool[i++] ?? new Uint8Array(0);
    if (data.length === 0) {
      items.push({ ...it, address: 0n, type: { ...it.type, deallocate: false } });
      continue;
    }
    const a = await k.vmAllocateWrite(task, data);
    if (a.kr !== 0) throw new Error(`vm_allocate + vm_write of ${data.length} bytes: kr ${a.kr}`);
    items.push({ ...it, address: BigInt(a.address), type: { ...it.type, deallocate: true } });
  }
  return { header: msg.header, items };
}

/** Free what `placeOol` allocated, after a send that failed before the kernel took the pages. */
export async function unplaceOol(k: MachKernel, task: TaskId, msg: MachMessage): Promise<void> {
  for (const it of msg.items) {
    if (it.kind === 'ool' && it.address !== 0n) await k.vmDeallocate(task, Number(it.address), oolLength(it));
  }
}

/** The bytes of a received message's OOL items, read from `task` and deallocated there. */
export async function takeOol(k: MachKernel, task: TaskId, msg: MachMessage): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const it of msg.items) {
    if (it.kind !== 'ool') continue;
    const len = oolLength(it);
    if (len === 0 || it.address === 0n) {
      out.push(new Uint8Array(0));
      continue;
    }
    const r = await k.vmReadDeallocate(task, Number(it.address), len);
    if (r.kr === 0 && r.data) out.push(r.data);
    else {
      // Unreadable (not the kernel's copyout): zeros, and the range freed all the same.
      out.push(new Uint8Array(len));
      await k.vmDeallocate(task, Number(it.address), len);
    }
  }
  return out;
}

/** 32-bit port names of an out-of-line port array. */
function namesOf(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) out.push(v.getUint32(i, true));
  return out;
}

const MOVING: ReadonlySet<number> = new Set<number>([MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE]);

/**
 * mach_msg_destroy: release every right the message holds in `task` (moving
 * dispositions, which are also the received forms). A name that does not
 * hold that kind of right is skipped — the received header's local port is
 * the receive right the message came in on and carries the sender's
 * disposition, not a right of the message. Destroying a send-once right
 * sends its SEND_ONCE notification, as Mach does.
 */
export async function destroyRights(k: MachKernel, task: TaskId, msg: MachMessage, ool: readonly Uint8Array[]): Promise<void> {
  const rights: [number, number][] = [];
  const h = msg.header;
  if (MOVING.has(h.bits.remote)) rights.push([h.remotePort, h.bits.remote]);
  if (MOVING.has(h.bits.local)) rights.push([h.localPort, h.bits.local]);
  let oi = 0;
  for (const it of msg.items) {
    if (it.kind === 'ool') {
      const bytes = ool[oi++];
      if (MOVING.has(it.type.name) && bytes) for (const n of namesOf(bytes)) rights.push([n, it.type.name]);
    } else if (it.kind === 'ports' && MOVING.has(it.type.name)) {
      for (const n of it.names) rights.push([n, it.type.name]);
    }
  }
  for (const [name, disp] of rights) {
    if (name === 0 || name >>> 0 === 0xffffffff) continue;
    const t = await k.portType(task, name);
    if (t.kr !== 0) continue;
    if (disp === MACH_MSG_TYPE_MOVE_RECEIVE && t.type & MACH_PORT_TYPE_RECEIVE) await k.portModRefs(task, name, MACH_PORT_RIGHT_RECEIVE, -1);
    else if (disp === MACH_MSG_TYPE_MOVE_SEND && t.type & MACH_PORT_TYPE_SEND) await k.portModRefs(task, name, MACH_PORT_RIGHT_SEND, -1);
    else if (disp === MACH_MSG_TYPE_MOVE_SEND_ONCE && t.type & MACH_PORT_TYPE_SEND_ONCE) await k.portDeallocate(task, name);
    else if (!(t.type & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE))) await k.portDeallocate(task, name); // a dead name
  }
}
