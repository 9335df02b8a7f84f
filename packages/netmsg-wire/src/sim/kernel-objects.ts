import type { MachMessage, MsgItem } from 'mach-msg';
import type { KTask } from './kernel.js';

/**
 * The objects of the simulator's Mach model (kernel.ts): return codes,
 * dispositions and notification ids it uses, and ports, queued messages and
 * space entries as plain records the Kernel class operates on.
 */

export const KERN_SUCCESS = 0;
export const KERN_INVALID_NAME = 15;
export const KERN_INVALID_RIGHT = 17;
export const KERN_INVALID_VALUE = 18;
export const KERN_NAME_EXISTS = 13;
export const MACH_SEND_INVALID_DEST = 0x10000003;
export const MACH_SEND_TIMED_OUT = 0x10000004;
export const MACH_SEND_INVALID_RIGHT = 0x1000000a;
export const MACH_SEND_NO_BUFFER = 0x1000000d;
export const MACH_PORT_NULL = 0;
export const MACH_PORT_DEAD = 0xffffffff;

export const MOVE_RECEIVE = 16;
export const MOVE_SEND = 17;
export const MOVE_SEND_ONCE = 18;
export const COPY_SEND = 19;
export const MAKE_SEND = 20;
export const MAKE_SEND_ONCE = 21;

export const NOTIFY_PORT_DELETED = 65;
export const NOTIFY_NO_SENDERS = 70;
export const NOTIFY_SEND_ONCE = 71;
export const NOTIFY_DEAD_NAME = 72;

export interface KPort {
  /** The port's number in its kernel, from 1 in allocation order (a debugging handle; nothing depends on it). */
  uid: number;
  receiver: KTask | null;
  dead: boolean;
  queue: KMsg[];
  qlimit: number;
  mscount: number;
  /** Next msgh_seqno handed out by receive (ip_seqno). */
  seqno: number;
  srights: number;
  sorights: number;
  /**
   * The armed no-senders request. `sync` is what the request was made with:
   * Mach forgets it once armed; it is kept only so a driver can move the
   * request with the receive right (takeNoSendersRequest).
   */
  nsRequest: { sync: number; notify: KPort } | null;
}

/** A right inside a queued message. */
export type KRight = { kind: 'send' | 'sendOnce' | 'receive'; port: KPort } | { kind: 'null' } | { kind: 'dead' };

export type KItem =
  | { kind: 'data'; item: MsgItem }
  | { kind: 'ports'; item: MsgItem; rights: KRight[]; ool: boolean }
  | { kind: 'ool'; item: MsgItem; bytes: Uint8Array };

export interface KMsg {
  dest: KPort;
  /** The destination right the message holds until received. */
  destRight: 'send' | 'sendOnce';
  reply: KRight;
  id: number;
  other: number;
  items: KItem[];
}

export interface KEntry {
  port: KPort | null;
  send: number;
  receive: boolean;
  sendOnce: boolean;
  /** Dead-name user references. */
  dead: number;
  /** Dead-name request: the send-once right its notification goes through. */
  dnRequest: KPort | null;
}

export interface Received {
  msg: MachMessage;
  ool: Uint8Array[];
}
