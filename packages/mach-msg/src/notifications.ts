import type { Abi, MachMessage, MsgItem } from './message.js';
import { abiLayout } from './abi.js';
import { MachMsgError } from './errors.js';
import {
  MACH_MSG_TYPE_INTEGER_32,
  MACH_MSG_TYPE_PORT_NAME,
  MACH_MSG_TYPE_PORT_RECEIVE,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
} from './constants/types.js';
import {
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_MSG_ACCEPTED,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DELETED,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_NOTIFY_SEND_ONCE,
} from './constants/notify.js';

/**
 * Kernel notifications (mach/notify.defs, subsystem 64), as a receiver gets
 * them. The kernel sends each one to a send-once right, so the received
 * header has remote = 0, local = MACH_MSG_TYPE_PORT_SEND_ONCE (bits 0x1200),
 * remotePort = MACH_PORT_NULL and localPort = the notify port's name.
 */
export type Notification =
  | { kind: 'port-deleted'; notifyPort: number; name: number; seqno?: number }
  | { kind: 'msg-accepted'; notifyPort: number; name: number; seqno?: number }
  | { kind: 'port-destroyed'; notifyPort: number; rights: number; seqno?: number }
  | { kind: 'no-senders'; notifyPort: number; mscount: number; seqno?: number }
  | { kind: 'send-once'; notifyPort: number; seqno?: number }
  | { kind: 'dead-name'; notifyPort: number; name: number; seqno?: number };

export type NotificationKind = Notification['kind'];

/** msgh_id of each notification kind. */
export const NOTIFICATION_IDS: Readonly<Record<NotificationKind, number>> = Object.freeze({
  'port-deleted': MACH_NOTIFY_PORT_DELETED,
  'msg-accepted': MACH_NOTIFY_MSG_ACCEPTED,
  'port-destroyed': MACH_NOTIFY_PORT_DESTROYED,
  'no-senders': MACH_NOTIFY_NO_SENDERS,
  'send-once': MACH_NOTIFY_SEND_ONCE,
  'dead-name': MACH_NOTIFY_DEAD_NAME,
});

const KIND_BY_ID = new Map<number, NotificationKind>(
  Object.entries(NOTIFICATION_IDS).map(([k, id]) => [id, k as NotificationKind]),
);

/** The notification kind with msgh_id `id`, or undefined. */
export function notificationKind(id: number): NotificationKind | undefined {
  return KIND_BY_ID.get(id);
}

interface Common {
  notifyPort: number;
  /** msgh_seqno as the kernel would set it on receive (default 0). */
  seqno?: number;
}

function u32Data(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return b;
}

function u32Item(name: number, value: number): MsgItem {
  return {
    kind: 'data',
    type: { name, size: 32, number: 1, inline: true, longform: false, deallocate: false },
    data: u32Data(value),
  };
}

function checkU32(value: unknown, what: string): number {
  if (typeof value !== 'number' || value >>> 0 !== value) {
    throw new MachMsgError('field_out_of_range', 0, `${what} ${String(value)} is not an integer in 0..0xffffffff`);
  }
  return value;
}

function notification(c: Common, id: number, items: MsgItem[], complex: boolean): MachMessage {
  return {
    header: {
      bits: { remote: 0, local: MACH_MSG_TYPE_PORT_SEND_ONCE, complex, other: 0 },
      remotePort: 0,
      localPort: checkU32(c.notifyPort, 'notifyPort'),
      seqno: checkU32(c.seqno ?? 0, 'seqno'),
      id,
    },
    items,
  };
}

/** MACH_NOTIFY_PORT_DELETED: a send(-once) right `name` with a dead-name request was deleted. */
export function makePortDeletedNotification(n: Common & { name: number }, _abi: Abi): MachMessage {
  return notification(n, MACH_NOTIFY_PORT_DELETED, [u32Item(MACH_MSG_TYPE_PORT_NAME, checkU32(n.name, 'name'))], false);
}

/** MACH_NOTIFY_MSG_ACCEPTED: a message sent with MACH_SEND_NOTIFY to `name` was queued. */
export function makeMsgAcceptedNotification(n: Common & { name: number }, _abi: Abi): MachMessage {
  return notification(n, MACH_NOTIFY_MSG_ACCEPTED, [u32Item(MACH_MSG_TYPE_PORT_NAME, checkU32(n.name, 'name'))], false);
}

/**
 * MACH_NOTIFY_PORT_DESTROYED: the receive right (named `rights` in the
 * receiver) comes back inline. Complex; the port element is 32 bits on i386
 * and 64 on x86_64.
 */
export function makePortDestroyedNotification(n: Common & { rights: number }, abi: Abi): MachMessage {
  const L = abiLayout(abi);
  const item: MsgItem = {
    kind: 'ports',
    type: { name: MACH_MSG_TYPE_PORT_RECEIVE, size: L.inlinePortBits, number: 1, inline: true, longform: false, deallocate: false },
    names: [checkU32(n.rights, 'rights')],
  };
  return notification(n, MACH_NOTIFY_PORT_DESTROYED, [item], true);
}

/** MACH_NOTIFY_NO_SENDERS: no send rights remain; `mscount` is the make-send count. */
export function makeNoSendersNotification(n: Common & { mscount: number }, _abi: Abi): MachMessage {
  return notification(n, MACH_NOTIFY_NO_SENDERS, [u32Item(MACH_MSG_TYPE_INTEGER_32, checkU32(n.mscount, 'mscount'))], false);
}

/** MACH_NOTIFY_SEND_ONCE: a send-once right died unused. Header only. */
export function makeSendOnceNotification(n: Common, _abi: Abi): MachMessage {
  return notification(n, MACH_NOTIFY_SEND_ONCE, [], false);
}

/** MACH_NOTIFY_DEAD_NAME: the right `name` became a dead name. */
export function makeDeadNameNotification(n: Common & { name: number }, _abi: Abi): MachMessage {
  return notification(n, MACH_NOTIFY_DEAD_NAME, [u32Item(MACH_MSG_TYPE_PORT_NAME, checkU32(n.name, 'name'))], false);
}

/** Builds any notification from its tagged form. */
export function makeNotification(n: Notification, abi: Abi): MachMessage {
  switch (n.kind) {
    case 'port-deleted':
      return makePortDeletedNotification(n, abi);
    case 'msg-accepted':
      return makeMsgAcceptedNotification(n, abi);
    case 'port-destroyed':
      return makePortDestroyedNotification(n, abi);
    case 'no-senders':
      return makeNoSendersNotification(n, abi);
    case 'send-once':
      return makeSendOnceNotification(n, abi);
    case 'dead-name':
      return makeDeadNameNotification(n, abi);
    default:
      throw new MachMsgError('invalid_message', 0, `unknown notification kind ${JSON.stringify(String((n as { kind: unknown }).kind))}`);
  }
}

function bad(msg: MachMessage, why: string): MachMsgError {
  return new MachMsgError('invalid_notification', 0, `msgh_id ${msg.header.id}: ${why}`);
}

function singleU32(msg: MachMessage, typeName: number): number {
  const item = msg.items[0];
  if (msg.items.length !== 1 || item === undefined || item.kind !== 'data') throw bad(msg, 'expected one inline data item');
  const t = item.type;
  if (t.name !== typeName || t.size !== 32 || t.number !== 1) {
    throw bad(msg, `expected one 32-bit element of type ${typeName}, got name ${t.name} size ${t.size} number ${t.number}`);
  }
  const d = item.data;
  return ((d[0] ?? 0) | ((d[1] ?? 0) << 8) | ((d[2] ?? 0) << 16) | ((d[3] ?? 0) << 24)) >>> 0;
}

/**
 * Reads a decoded notification message. Returns undefined if msgh_id is not
 * a notification id; throws MachMsgError('invalid_notification') if it is one
 * but the body does not have the notification's shape. Checks the body, not
 * the header bits (a forwarded notification may carry other dispositions).
 */
export function parseNotification(msg: MachMessage): Notification | undefined {
  const kind = notificationKind(msg.header.id);
  if (kind === undefined) return undefined;
  const notifyPort = msg.header.localPort;
  const seqno = msg.header.seqno;
  switch (kind) {
    case 'port-deleted':
    case 'msg-accepted':
    case 'dead-name':
      return { kind, notifyPort, name: singleU32(msg, MACH_MSG_TYPE_PORT_NAME), seqno };
    case 'no-senders':
      return { kind, notifyPort, mscount: singleU32(msg, MACH_MSG_TYPE_INTEGER_32), seqno };
    case 'send-once':
      if (msg.items.length !== 0) throw bad(msg, 'send-once notification has a body');
      return { kind, notifyPort, seqno };
    case 'port-destroyed': {
      const item = msg.items[0];
      if (msg.items.length !== 1 || item === undefined || item.kind !== 'ports' || item.names.length !== 1) {
        throw bad(msg, 'expected one inline port');
      }
      if (item.type.name !== MACH_MSG_TYPE_PORT_RECEIVE) throw bad(msg, `expected a receive right, got type ${item.type.name}`);
      return { kind, notifyPort, rights: item.names[0] as number, seqno };
    }
  }
}
