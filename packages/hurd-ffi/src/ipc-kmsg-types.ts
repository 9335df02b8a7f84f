/**
 * A message inside the kernel (ipc_kmsg): rights are port objects, not
 * names, and out-of-line memory has been copied out of the sender.
 */
import type { Abi, DataItem, TypeDescriptor } from 'mach-msg';
import type { IpcPort } from './ipc-port.js';
import type { IpcSpace } from './ipc-space.js';

/** MACH_PORT_DEAD as an object (IO_DEAD). */
export const DEAD = 'dead' as const;
/** A carried right: a port, IO_DEAD, or IO_NULL (null). */
export type KPort = IpcPort | typeof DEAD | null;

/** Inline rights; type.name is the carried type (16, 17 or 18). */
export interface KPortsItem {
  kind: 'ports';
  type: TypeDescriptor;
  rights: KPort[];
}
/** Out-of-line bytes, copied at send time, with the sender's page offset. */
export interface KOolItem {
  kind: 'ool';
  type: TypeDescriptor;
  data: Uint8Array;
  pageOffset: number;
}
/** Out-of-line port array (4-byte names on both ABIs). */
export interface KOolPortsItem {
  kind: 'oolports';
  type: TypeDescriptor;
  rights: KPort[];
  pageOffset: number;
}
export type KItem = DataItem | KPortsItem | KOolItem | KOolPortsItem;

/** A msg-accepted request (ipc_marequest): who to tell, and the sender's name for the port. */
export interface MaRequest {
  notify: IpcPort;
  space: IpcSpace;
  /** The sender's name for the destination, or 0 if it has none. */
  name: number;
}

export interface Kmsg {
  /** Destination; the kmsg holds a right of type destType to it. */
  dest: IpcPort;
  /** MACH_MSG_TYPE_PORT_SEND (17) or PORT_SEND_ONCE (18). */
  destType: number;
  reply: KPort;
  /** 0, 17 or 18. */
  replyType: number;
  id: number;
  complex: boolean;
  /**
   * msgh_bits outside the dispositions and COMPLEX, as the sender set them
   * (less CIRCULAR); GNU Mach delivers them unchanged.
   */
  other: number;
  items: KItem[];
  /**
   * A non-complex message: the kernel's copy of it, header included (in the
   * sender's layout), whose body from `rawBodyAt` on the kernel does not
   * parse. No `subarray` view of the body is made at copyin (a typed array
   * per message, about 1% of a null RPC's CPU); the few who need the body
   * alone take it at `rawBodyAt`.
   */
  rawBody: Uint8Array | null;
  /** Where the body starts in `rawBody` (the sender's header size). */
  rawBodyAt: number;
  /**
   * The kernel's copy of a non-complex message, header included (the same
   * array as rawBody, until delivered). Delivered to a receiver of the sender's ABI as it is,
   * header rewritten, so such a message is copied once.
   */
  rawBuf?: Uint8Array;
  /** The sender's ABI and message size (null/0 for kernel-made messages). */
  senderAbi: Abi | null;
  senderSize: number;
  /** Global enqueue order, to merge the queues of a port set's members. */
  stamp: number;
  /** MACH_SEND_NOTIFY: msg-accepted notification owed on dequeue. */
  marequest: MaRequest | null;
  /**
   * MACH_MSGH_BITS_CIRCULAR: it carries a receive right whose port would end
   * up queued inside itself; such a message is destroyed at send time.
   */
  circular?: boolean;
  /** Task that sent it (0: the kernel). */
  senderTask: number;
}
