/**
 * A port (GNU Mach's ipc_port): a message queue with a receive right held
 * by at most one space, counts of the send and send-once rights that exist
 * for it, and its notification requests.
 */
import { MACH_PORT_QLIMIT_DEFAULT } from 'mach-msg';
import type { IpcEntry, IpcSpace } from './ipc-space.js';
import type { Kmsg } from './ipc-kmsg-types.js';
import type { IpcPset } from './ipc-pset.js';
import type { RcvWaiter, SendWaiter } from './ipc-mqueue.js';

/** A kernel-owned port's message handler (ip_kobject). */
export type KObjectHandler = (kmsg: Kmsg) => void;

export class IpcPort {
  readonly kind = 'port' as const;
  /** False once ipc_port_destroy ran: rights to it are dead names. */
  active = true;
  /** The space holding the receive right; null while in transit. */
  receiver: IpcSpace | null = null;
  receiverName = 0;
  /** ip_srights: send rights in spaces (one per entry) plus in messages. */
  srights = 0;
  /** ip_sorights: send-once rights in spaces, messages and requests. */
  sorights = 0;
  /** ip_mscount: make-send count. */
  mscount = 0;
  /** Next msgh_seqno handed out on receive. */
  seqno = 0;
  qlimit: number = MACH_PORT_QLIMIT_DEFAULT;
  readonly queue: Kmsg[] = [];
  pset: IpcPset | null = null;
  /** Send-once right for the no-senders notification. */
  nsrequest: IpcPort | null = null;
  /** Send-once right for the port-destroyed notification. */
  pdrequest: IpcPort | null = null;
  /** Entries (in any space) with a dead-name request on this port. */
  readonly dnrequests = new Set<IpcEntry>();
  protectedPayload: bigint | null = null;
  readonly receivers: RcvWaiter[] = [];
  readonly blockedSenders: SendWaiter[] = [];
  /**
   * While the receive right is in transit: the port whose queue holds the
   * message carrying it (ip_destination), for the circularity check.
   */
  destination: IpcPort | null = null;
  /** Set for ports whose receive right the kernel itself serves. */
  kobject: KObjectHandler | null = null;
  /** On the kernel's run queue (IpcKernel.schedule). */
  inRunq = false;

  constructor(readonly id: number) {}
}
