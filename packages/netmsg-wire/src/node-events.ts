import type { Abi, MachMessage } from 'mach-msg';
import type { LinkFrame } from './connection.js';
import type { PortKey } from './identity.js';
import type { WireLimits } from './limits.js';
import type { Role } from './port-table.js';

/**
 * The node state machine's interface: its configuration, the events a
 * driver feeds it and the actions it answers with (PROTOCOL.md §4, §7).
 */

export interface NodeConfig {
  node: number;
  abi: Abi;
  limits: WireLimits;
  /** First name netmsg picks for ports it allocates itself (mach_port_allocate_name). */
  nameBase?: number;
  /**
   * Used one-shot proxy ports each link keeps for its next send-once rights
   * (default 0: every one is destroyed on use). A one-shot proxy's only right
   * besides its receive right is the one send-once right netmsg made; once
   * that right's message (a reply, or its SEND_ONCE notification) has come
   * off the port, nothing names the port any more and its queue is empty, so
   * the next send-once right from the same link can be made from it instead of
   * allocating a port and destroying this one: that saves an RPC's server
   * four kernel calls (allocate, insert-right, move-member, destroy). A
   * one-shot proxy not used (its holder died: DEAD, link loss) is destroyed
   * as before, never kept; a link's spare ports go with the link.
   */
  spareOneShots?: number;
  /**
   * Defer the dead-name request on each send-once right netmsg keeps for a
   * token (default false: requested at once). Deferred, a token's request
   * is made at the second `sweepSendOnce` event after the token was made,
   * and only if the token is still pending then: an RPC answered before
   * that costs no request, and no PORT_DELETED notification when its reply
   * uses the right up. A reply port that dies earlier is reported
   * (DEAD(token), §4.4) at that sweep, when the request finds a dead name,
   * instead of at once: as if the DEAD had been slow on the wire. The
   * driver sends `sweepSendOnce` periodically while
   * `sendOnceAwaitingSweep()` is non-zero.
   */
  deferSendOnceRequests?: boolean;
}

/** Status of a receive right that arrived in a message, read by the driver. */
export interface ReceiveStatus {
  mscount: number;
  qlimit: number;
  /**
   * The application's no-senders request, taken off the port by the driver
   * (mach_port_request_notification with a null notify returns it): the name
   * of that send-once right in netmsg's space, and the request's sync
   * (accepted and not used: Mach keeps no sync once a request is stored,
   * and the new home re-arms it as PROTOCOL.md §4.3 says).
   */
  noSendersNotify?: number;
  noSendersSync?: number;
  /** The application's request notifies the port itself (the libports idiom). */
  noSendersSelf?: boolean;
  /**
   * Whether any send right to the port existed when the right reached
   * netmsg (the port's srights > 0: rights in tasks, in queued messages, and
   * netmsg's own as home). Absent: true. With none, the old home counts no
   * transfer and the new home holds no send right of its own (PROTOCOL.md
   * §4.5), so netmsg adds no drop to no senders one Mach kernel would not
   * have.
   */
  senders?: boolean;
  /** Messages in the port's queue when the right reached netmsg. */
  queued?: number;
  /**
   * Send-once rights to the port not yet received from when the right
   * reached netmsg (mps_sorights: rights held anywhere and the destination
   * rights of messages queued on the port), after taking off the
   * application's no-senders request. Their messages are forwarded to the
   * new home and delivered there through send-once rights (PROTOCOL.md
   * §4.5). Absent: 0.
   */
  sendOnce?: number;
}

export type NodeEvent =
  | { type: 'linkUp'; peer: number; window: number }
  | { type: 'linkDown'; peer: number }
  | { type: 'frame'; peer: number; frame: LinkFrame }
  /** A message arrived on a receive right netmsg holds (a proxy or a one-shot). */
  | { type: 'portMessage'; port: number; msg: MachMessage; ool: Uint8Array[]; receiveStatus?: Record<number, ReceiveStatus> }
  /** netmsg's no-senders request on a proxy fired. */
  | { type: 'noSenders'; port: number; mscount: number }
  /** A send or send-once right netmsg holds became a dead name. */
  | { type: 'deadName'; name: number }
  /** The kernel accepted a message delivered with `token` (credit may return). */
  /**
   * The kernel accepted a message delivered with `token` (credit may return).
   * `queued`: messages now in the destination port's queue, this one
   * included (mach_port_get_attributes), for ordering a migration (§4.5).
   */
  | { type: 'delivered'; token: DeliveryToken; queued?: number }
  /** Publish netmsg's send right `name` as this node's root port (identity serial 0). */
  | { type: 'publishRoot'; name: number }
  /** Get a local proxy for the root port of `peer`. */
  | { type: 'importRoot'; peer: number }
  /**
   * A periodic tick (`NodeConfig.deferSendOnceRequests`): request dead-name
   * notifications on the kept send-once rights of the tokens still pending
   * since before the previous sweep.
   */
  | { type: 'sweepSendOnce' };

export interface DeliveryToken {
  peer: number;
  key: PortKey;
}

export type NodeAction =
  | { type: 'sendFrame'; peer: number; frame: LinkFrame }
  | { type: 'closeLink'; peer: number; code: string; reason: string }
  /** mach_port_allocate_name(RECEIVE, name) and add it to netmsg's port set. */
  | { type: 'allocatePort'; name: number }
  /** Destroy netmsg's receive right `name` (its senders get dead names). */
  | { type: 'destroyPort'; name: number }
  /** Make one send right on netmsg's receive right `name` (MAKE_SEND into netmsg's space). */
  | { type: 'makeSend'; name: number }
  /** Add one user reference to netmsg's send right `name`. */
  | { type: 'addSendRef'; name: number }
  /** Drop one user reference of netmsg's send / send-once / dead name `name`. */
  | { type: 'deallocate'; name: number }
  /** mach_port_insert_right(name, port, MAKE_SEND_ONCE). */
  | { type: 'insertSendOnce'; name: number; port: number }
  /**
   * Arm netmsg's no-senders request on its receive right `name`. It
   * notifies the port itself, or, with `notify`, netmsg's receive right
   * `notify` (allocated with `allocatePort`; `portKind(notify)` is
   * 'notify'): used while send-once rights made by applications may still
   * send to `name`, so their messages are never taken for netmsg's own.
   */
  | { type: 'requestNoSenders'; name: number; sync: number; notify?: number }
  /**
   * netmsg's proxy `name` is about to become a real port (a receive right for
   * it arrived). The driver removes netmsg's no-senders request, takes every
   * message queued on the port off it (discarding the kernel's send-once
   * notification for the cancelled request, so it never reaches the
   * application), and queues back, in order: `first` (messages netmsg held
   * for lack of credit, the oldest), then the drained messages. Per-port
   * FIFO for local senders is kept and nothing of netmsg's leaks.
   *
   * Of the drained messages only netmsg's own notifications are discarded:
   * a no-senders notification when `nsSelf` (netmsg's request notified the
   * port itself; else it went to a dedicated port), and `sendOnceOwn`
   * SEND_ONCE notifications (of pool rights netmsg destroyed after a
   * `direct`, §4.5; all SEND_ONCE notifications are alike, so any of them).
   * Everything else is the application's, send-once messages included: an
   * old home getting its receive right back still has the send-once rights
   * made while it was home, and a reply or a SEND_ONCE notification through
   * one of them sits in this queue as Mach queued it (PROTOCOL.md §4.5).
   */
  | { type: 'reclaimPort'; name: number; first: { msg: MachMessage; ool: Uint8Array[] }[]; nsSelf: boolean; sendOnceOwn: number }
  /** Register an application's no-senders request on `name`, sent to send-once right `notify`. */
  | { type: 'requestAppNoSenders'; name: number; sync: number; notify: number | 'self' }
  /** Arm a dead-name request for netmsg's send right `name`. */
  | { type: 'requestDeadName'; name: number }
  /** Set make-send count and queue limit of netmsg's receive right `name`. */
  | { type: 'setPortStatus'; name: number; mscount: number; qlimit: number }
  /** Stop / resume receiving from `name` (credit flow control). */
  | { type: 'pausePort'; name: number }
  | { type: 'resumePort'; name: number }
  /**
   * mach_msg send from netmsg (send orientation). When `token` is set the
   * driver reports `delivered` once the kernel queued it; if the destination
   * is dead the driver destroys the message (mach_msg_destroy) and still
   * reports `delivered`.
   */
  | { type: 'deliver'; msg: MachMessage; ool: Uint8Array[]; token?: DeliveryToken }
  /** mach_msg_destroy of a message whose rights are in netmsg's space. */
  | { type: 'destroyMessage'; msg: MachMessage; ool: Uint8Array[] }
  | { type: 'rootImported'; peer: number; name: number };

export interface NodeTables {
  /** `route`: a proxy's upstream link (towards the receive right), PROTOCOL.md §4.2. */
  ports: { key: PortKey; role: Role; name: number; exported: Record<number, number>; imported: Record<number, number>; pinned: boolean; route?: number }[];
  sendOnceOut: { key: PortKey; name: number; peer: number }[];
  sendOnceProxies: { key: PortKey; name: number; peer: number }[];
  /** Old homes' proxies kept only for send-once rights made before the move (§4.5). */
  sendOnceRelays: { key: PortKey; name: number; route: number; pending: number }[];
  /** New homes' send-once rights waiting for late send-once messages (§4.5). */
  sendOncePools: { key: PortKey; names: number[]; from: number }[];
}
