/**
 * Kernel-generated notifications (mach-abi.md §7). Each is a simpleroutine
 * sent on a send-once right: it arrives with bits 0x1200 (0x80001200 for
 * port-destroyed, which carries a receive right), no reply port, and a
 * one-item body: PORT_NAME for port-deleted, msg-accepted and dead-name,
 * INTEGER_32 (the make-send count) for no-senders, nothing for send-once.
 */
import {
  MACH_MSG_TYPE_INTEGER_32,
  MACH_MSG_TYPE_PORT_NAME,
  MACH_MSG_TYPE_PORT_RECEIVE,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_MSG_ACCEPTED,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DELETED,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_NOTIFY_SEND_ONCE,
  type DataItem,
  type TypeDescriptor,
} from 'mach-msg';
import type { IpcKernel } from './ipc-kernel.js';
import type { IpcPort } from './ipc-port.js';
import type { KItem, Kmsg, MaRequest } from './ipc-kmsg-types.js';
import { kernelSend } from './ipc-mqueue.js';
import { isCircular } from './ipc-object.js';

/** The two descriptors a notification's body can have, shared (items are never mutated in place). */
const U32_TYPES: ReadonlyMap<number, TypeDescriptor> = new Map(
  [MACH_MSG_TYPE_PORT_NAME, MACH_MSG_TYPE_INTEGER_32].map((name) => [
    name,
    Object.freeze({ name, size: 32, number: 1, inline: true, longform: false, deallocate: false }),
  ]),
);

function u32Item(typeName: number, value: number): DataItem {
  const data = new Uint8Array(4);
  data[0] = value & 0xff;
  data[1] = (value >>> 8) & 0xff;
  data[2] = (value >>> 16) & 0xff;
  data[3] = (value >>> 24) & 0xff;
  return { kind: 'data', type: U32_TYPES.get(typeName)!, data };
}

function send(k: IpcKernel, so: IpcPort, id: number, items: KItem[], complex: boolean): void {
  const kmsg: Kmsg = {
    dest: so,
    destType: MACH_MSG_TYPE_PORT_SEND_ONCE,
    reply: null,
    replyType: 0,
    id,
    complex,
    other: 0,
    items,
    rawBody: null,
    rawBodyAt: 0,
    senderAbi: null,
    senderSize: 0,
    stamp: 0,
    marequest: null,
    senderTask: 0,
    // The fields of every kmsg, in newKmsg's order (one shape for V8).
    rawBuf: undefined,
    circular: undefined,
  };
  if (id === MACH_NOTIFY_PORT_DESTROYED) {
    const carried = items[0];
    if (carried?.kind === 'ports' && carried.rights[0] != null && carried.rights[0] !== 'dead' && isCircular(carried.rights[0], so)) {
      kmsg.circular = true;
    }
  }
  kernelSend(k, kmsg);
}

/** The send-once right `so` is consumed by each of these. */
export function notifyPortDeleted(k: IpcKernel, so: IpcPort, name: number): void {
  send(k, so, MACH_NOTIFY_PORT_DELETED, [u32Item(MACH_MSG_TYPE_PORT_NAME, name)], false);
}

export function notifyMsgAccepted(k: IpcKernel, so: IpcPort, name: number): void {
  send(k, so, MACH_NOTIFY_MSG_ACCEPTED, [u32Item(MACH_MSG_TYPE_PORT_NAME, name)], false);
}

/**
 * ipc_marequest_destroy: the forced message was received or destroyed. The
 * sender's entry loses its MAREQUEST bit and msg-accepted names it (or NULL
 * if the entry has gone meanwhile).
 */
export function marequestDone(k: IpcKernel, ma: MaRequest, dest: IpcPort): void {
  let name = ma.name;
  if (name !== 0) {
    const e = ma.space.active ? ma.space.entries.get(name) : undefined;
    if (e !== undefined && e.marequest === true && e.object === dest) e.marequest = false;
    else name = 0;
  }
  notifyMsgAccepted(k, ma.notify, name);
}

export function notifyDeadName(k: IpcKernel, so: IpcPort, name: number): void {
  send(k, so, MACH_NOTIFY_DEAD_NAME, [u32Item(MACH_MSG_TYPE_PORT_NAME, name)], false);
}

export function notifyNoSenders(k: IpcKernel, so: IpcPort, mscount: number): void {
  send(k, so, MACH_NOTIFY_NO_SENDERS, [u32Item(MACH_MSG_TYPE_INTEGER_32, mscount)], false);
}

export function notifySendOnce(k: IpcKernel, so: IpcPort): void {
  send(k, so, MACH_NOTIFY_SEND_ONCE, [], false);
}

/** Carries the receive right of `port` (in transit) to `so`. */
export function notifyPortDestroyed(k: IpcKernel, so: IpcPort, port: IpcPort): void {
  port.destination = so;
  send(
    k,
    so,
    MACH_NOTIFY_PORT_DESTROYED,
    [
      {
        kind: 'ports',
        type: { name: MACH_MSG_TYPE_PORT_RECEIVE, size: 32, number: 1, inline: true, longform: false, deallocate: false },
        rights: [port],
      },
    ],
    true,
  );
}
