import type { PortId, PortKey } from './identity.js';
import type { WireMessage } from './wire-message.js';

/**
 * The node's tables (PROTOCOL.md §4): one entry per port identity the node
 * knows, with its role, counted transfers, credit and migration state; the
 * send-once tokens; and small helpers on them.
 */

/** Port dispositions netmsg uses when it delivers (mach/message.h). */
export const COPY_SEND = 19;
export const MOVE_SEND_ONCE = 18;
export const MAKE_SEND_DISP = 20;
export const MAKE_SEND_ONCE_DISP = 21;

/**
 * How netmsg, holding the receive right at a new home (reclaimPort), puts a
 * message back on the port: one that was sent through a send-once right
 * made before the move keeps that right's kind, so the application receives
 * it exactly as Mach would have queued it (its own no-senders notification
 * arrives as a send-once message).
 */
export function destDisposition(wm: WireMessage): number {
  return wm.dest.right === 'sendOnce' ? MAKE_SEND_ONCE_DISP : MAKE_SEND_DISP;
}

export type Role = 'home' | 'proxy';

/** MACH_NOTIFY_SEND_ONCE (mach/notify.h): a send-once right destroyed unused. */
export const NOTIFY_SEND_ONCE = 71;

/**
 * Whether a message taken off a port is a SEND_ONCE notification: through a
 * send-once right, no body, no reply port. Every one is identical, so
 * consuming one in place of another changes no message anyone receives.
 */
export function isSendOnceNotification(msg: { header: { id: number; bits: { local: number }; remotePort: number }; items: readonly unknown[] }): boolean {
  return msg.header.id === NOTIFY_SEND_ONCE && msg.header.bits.local === MOVE_SEND_ONCE && msg.items.length === 0 && msg.header.remotePort === 0;
}

/** Delivery-token key prefix of a message delivered through a send-once pool right. */
export const POOL_TOKEN = 'so:';

export interface Queued {
  msg: WireMessage;
  bytes: number;
  /** A FLUSH marker (origin node) riding in the queue; carries no message. */
  flush?: number;
  /** With `flush`: the re-sent marker's `via` (node id, §4.5 "A migration whose route died"). */
  via?: number;
  /** With `flush`: the marker's `round` (the origin's migration it belongs to, since version 4). */
  round?: number;
  /** Link the message came from (its credit goes back there, end to end), or undefined if local. */
  from?: number;
  /**
   * Taken off this node's port in a relay's drain (§4.5, §6): its credit is
   * still owed to `from`, but it waits under the port's own back-pressure
   * (a paused port), not the peer's byte limits.
   */
  putBack?: true;
}

export interface PortEntry {
  id: PortId;
  key: PortKey;
  role: Role;
  /** home: netmsg's send right to the real port; proxy: netmsg's receive right. */
  name: number;
  /** Send-right transfers sent per link and not yet released by the receiver. */
  exported: Map<number, number>;
  /** proxy: send-right transfers received per link and not yet released. */
  imported: Map<number, number>;
  /** proxy: make-send count of the proxy port as netmsg knows it. */
  makeSends: number;
  /** proxy: true until a no-senders for the current make-send count arrived. */
  localSenders: boolean;
  nsArmed: boolean;
  /** proxy: link messages are forwarded on. */
  route: number | undefined;
  /** Messages to this port sendable per link (credit), and those waiting. */
  credit: Map<number, number>;
  pending: Map<number, Queued[]>;
  pendingBytes: number;
  paused: boolean;
  /** Root ports are never collected (like the seed's first_port). */
  pinned: boolean;
  /**
   * home: deliveries handed to the driver and not yet queued by the kernel.
   * They name netmsg's send right, so it must outlive them.
   */
  delivering: number;
  /**
   * proxy becoming home (PROTOCOL.md §4.5): a receive right for this port
   * arrived while messages this node forwarded may still be on their way
   * back. Until our FLUSH marker returns, arriving messages for the port are
   * held here (with the link they came on) instead of being forwarded.
   */
  migrating: boolean;
  /**
   * The round (a node-wide number) of this node's own migration of the port
   * under way: its markers carry it, and a marker of its own with another
   * round is of an earlier migration and finishes nothing (§4.5, "A marker
   * lost on its way home", since version 4).
   */
  round?: number;
  /** `late`: held after the port's FLUSH came back (its right waiting in a gate), younger than every message held before (§4.5). */
  /** `past`: its bytes, credited past the port's bound on its right's link during the round (`heldPast`, §6). */
  held: { wm: WireMessage; from: number; credited: boolean; late?: true; past?: number }[];
  heldBytes: number;
  /** old home: messages still in the port's queue when it became a proxy. */
  draining: number;
  /**
   * old home: deliveries that were in progress (a blocked send, copied in)
   * when the right left. Each lands at the tail of the queue whenever the
   * kernel takes it, behind messages local tasks sent since, so the drain
   * is extended to the queue length the driver reports then.
   */
  drainDeliveries: number;
  /** old home: messages for the port held in a link's gate when the right left. */
  gateWait: number;
  /** FLUSH markers waiting for `draining` (and `drainDeliveries`) to reach 0. */
  flushWait: { origin: number; round?: number }[];
  /**
   * relay: for the messages put back on the port ahead of its queue (the
   * first `draining` ones taken off it), in order, the link each one's
   * credit is still owed to (undefined: none owed). They are forwarded with
   * it, so the credit goes back end to end (§6).
   */
  drainFrom: (number | undefined)[];
  /**
   * Network messages for the port that arrived while `draining` > 0 (or a
   * relay waits, `relayWait`). `credited`: its credit went back when it was
   * held (a relay's route's message, relay-wait.ts `relayCredits`), so it is
   * forwarded owing nothing.
   */
  drainHold: { wm: WireMessage; from: number; credited?: true }[];
  /** Our FLUSH came back: the held receive right may now be delivered. */
  flushed: boolean;
  /** home: messages to this port held behind a migration gate. */
  gatePins: number;
  /**
   * old home (PROTOCOL.md §4.5, §6): the receive right left on this link in
   * a message that netmsg has not yet written to the link (it may wait for
   * credit on its own destination). Until it is written, nothing for this
   * port — message or FLUSH marker — goes on that link, so the new home
   * always has the receive right before the first message for it.
   */
  handoff: number | undefined;
  /**
   * new home: the old home's transfer (it becomes a proxy of ours) was
   * counted when the carrying message reached the migration gate, so a
   * RELEASE from it overtaking the delivery finds it (§4.3 rule 5).
   */
  receiveCounted: boolean;
  /**
   * old home or relay: the message carrying the receive right away from
   * here, on `route` (`StaleBelow`); marked `routed` when the entry was a
   * proxy routed to that link already when the right reached this node (a
   * DEAD from there may be about the chain its older senders hang off, so
   * it is not stale; Task N30: it only tells the relay to send DEAD back).
   */
  staleBelow: StaleBelow | undefined;
  /**
   * relay: the link a receive right passing through came from. The old home
   * is that way, so a FLUSH coming back down the route is sent there (it
   * must pass the old home's drain), not straight back.
   */
  upstream: number | undefined;
  /**
   * relay (PROTOCOL.md §4.5, "A relay's senders behind the old home's
   * queue"): a FLUSH marker of this node's went up `upstream` when the
   * receive right passed through, and is not back. Messages its senders
   * sent before may still be in the old home's queue (its drain comes down
   * through here), so until the marker returns behind them, the proxy port
   * stays paused and what arrives for the port from any other link (the
   * route to the new home included: relay-wait.ts) waits in `drainHold`.
   */
  relayWait: boolean;
  /**
   * relay: the round (node-wide, as `round`) its marker up `upstream`
   * carries; only that marker ends `relayWait`, not a stale one of an
   * earlier migration or wait of this node's (§4.5, since 2026-12-01).
   */
  relayRound?: number;
  /** new home: the link the receive right came on, while its gate waits. */
  migrateFrom: number | undefined;
  /**
   * Per link, the link each message sent on it came from (undefined: a
   * local sender), oldest first. A forwarded message's credit goes back to
   * where it came from only when the next hop's credit for it arrives, so
   * credit is end to end: a proxy whose messages are all acknowledged has
   * nothing left anywhere on the path (§6), and the next right to the same
   * port cannot open a faster path past them.
   */
  sentFrom: Map<number, (number | undefined)[]>;
  /** The link whose message made the node allocate this entry (per-link limit), if any. */
  learntFrom: Link | undefined;
  /**
   * old home (PROTOCOL.md §4.5): send-once rights to the port made while it
   * was home here (or passed through a relay) whose one message each still
   * has to be forwarded. While any may come, netmsg's own no-senders
   * notification goes to `nsPort`, never to the proxy, so every send-once
   * message on the proxy is an application's.
   */
  soPending: number;
  /** netmsg's port receiving this proxy's no-senders notification (undefined: the proxy itself). */
  nsPort: number | undefined;
  /**
   * SEND_ONCE notifications of pool rights netmsg destroyed here after a
   * `direct` (§4.5): they land on the proxy and are netmsg's, not an
   * application's, so they are consumed, not forwarded.
   */
  soDiscard: number;
  /**
   * relay (§4.5): `soPending` counts send-once rights made where the
   * receive right came from (passed through here), not made here: if the
   * right comes back here, their late messages still come from upstream
   * and need this node's pool rights.
   */
  soRelayed: boolean;
  /**
   * relay (§4.5), with `soRelayed`: how many of `soPending` are this
   * node's own after all — send-once rights made here while the port was
   * home here, direct for the instant the right passed through, that send
   * to this proxy's port again (their messages are taken off it, not
   * received from upstream). If the right comes back here they reach the
   * port directly and need no pool right; counted as relayed, the pool
   * made for them waited for ever (`15000061` with --held-rights
   * --send-once).
   */
  soOwn: number;
  /**
   * relay (§4.5, "A relay's count is not its own"), set when a receive
   * right passed back through this relay: it sent its relayed count
   * `DIRECT` down its old route, where it paid rights counted in the
   * arriving `soRights`, and passed those on, so part of its count now
   * stands for late messages from its old upstream, this link. A `DIRECT`
   * from here is about them (onDirect).
   */
  soVia: number | undefined;
  /**
   * new home (§4.5, link loss): DEAD came from the link the receive right
   * came on while it waited here: the late send-once messages its
   * `soRights` count can no longer come, so the pool rights made for them
   * are destroyed at once (the port gets Mach's SEND_ONCE notification for
   * each, as for a send-once right destroyed unused).
   */
  soLost: boolean;
  /**
   * proxy: netmsg has armed its own no-senders request on it since it
   * became a proxy. Before that (an old home's drain) every send-once
   * message on it is the application's; after, the application's queue is
   * drained and one on the proxy itself can only be netmsg's notification
   * (a FLUSH passing later may make the entry "draining" again for the
   * gated messages it waits for, which says nothing about the port's queue).
   */
  ownsNs: boolean;
}

/**
 * What is left of a proxy once its send senders are gone while send-once
 * rights made before its receive right moved are still outstanding: the
 * port (so those rights stay valid) and its route, until each has sent its
 * one message (a reply, or Mach's send-once notification when destroyed).
 */
export interface SendOnceRelay {
  id: PortId;
  key: PortKey;
  route: number;
  pending: number;
  name: number;
  /** A relay's link towards the old home (late messages come from there); undefined at the old home itself. */
  upstream: number | undefined;
  /**
   * Of `pending`, the send-once rights to the relay's own port (made here
   * while the port was home here, netmsg's pool rights on it among them):
   * their messages are taken off the port, never received from `upstream`
   * (§4.5, "A relay's count is not its own"). All of `pending` at an old
   * home; a relay in proxy form's `soOwn` when it became a send-once relay.
   * Only `pending - own` late messages come from `upstream` (relayFrom).
   */
  own: number;
  /** As `PortEntry.soDiscard`: SEND_ONCE notifications of destroyed pool rights, netmsg's own. */
  discard: number;
  /** As `PortEntry.staleBelow`, from the proxy the relay was. */
  staleBelow: StaleBelow | undefined;
  /** As `PortEntry.soVia`, from the proxy the relay was. */
  soVia: number | undefined;
}

/**
 * new home: send-once rights netmsg made on the port while it held the
 * receive right, one per send-once right outstanding at the old home; a
 * late send-once message for the port is delivered through one of them.
 */
export interface SendOncePool {
  names: number[];
  /** The link the receive right (and so those late messages) came on. */
  from: number;
}

/** Messages from one link held behind a message that carries a migrating receive right. */
export interface Gate {
  /** In arrival order; each entry waits for the FLUSH of the ports in `waiting`. */
  queue: GateItem[];
}

export interface GateItem {
  wm: WireMessage;
  waiting: Set<PortKey>;
  /**
   * Set when the destination's receive right left this node while the
   * message waited here: the old home's drain (and so its FLUSH) waits for
   * it as for a message in the port's queue.
   */
  drainOf?: PortKey;
}

/** A send-once right netmsg holds on behalf of a remote one-shot proxy. */
export interface SendOnceOut {
  id: PortId;
  key: PortKey;
  name: number;
  peer: number;
}

/** netmsg's receive right standing for a remote send-once right. */
export interface SendOnceProxy {
  id: PortId;
  key: PortKey;
  name: number;
  peer: number;
  /** The link counting it against `maxPortsPerLink`. */
  learntFrom: Link | undefined;
}

export interface Link {
  peer: number;
  window: number;
  queuedBytes: number;
  /**
   * Identities this link made the node allocate and that are still live:
   * proxies for rights that came on it, ports allocated for a receive right
   * arriving on it, one-shot proxies for its send-once rights. Bounded by
   * `maxPortsPerLink` (PROTOCOL.md §6).
   */
  learnt: number;
  /** Identities admitted messages of this link will allocate once processed. */
  reserved: number;
  /**
   * Used one-shot proxy ports kept for this link's next send-once rights
   * (`NodeConfig.spareOneShots`): receive rights in netmsg's port set with
   * no other right and an empty queue. Destroyed when the link goes.
   */
  spare: number[];
  /** MESSAGE frames this node wrote on the link (a carried receive right's index, `StaleBelow`). */
  written: number;
  /** MESSAGE frames this node received on the link: the `seen` of every DEAD it sends there (§4.4). */
  seen: number;
}

/**
 * A receive right this node wrote to `link` as the `index`-th message on it
 * (Infinity while it waits to be written, the handoff gate): a DEAD from
 * that link whose sender had received fewer of our messages was sent before
 * the sender had the right, and is stale for the entry (or send-once relay)
 * the right left here (PROTOCOL.md §4.4, node-dead.ts).
 */
export interface StaleBelow {
  link: number;
  index: number;
  /**
   * The entry was a proxy routed to `link` already when the right reached
   * this node (a relay, node-dead.ts `relayRights`): a DEAD sent before the
   * carrying message may be the death of the chain its older senders hang
   * off, so it is not stale and still kills. Its sender had no right and
   * no pool yet, so the entry, killed, tells it that the late send-once
   * messages it relays will not come (`relayDeadBack`, Task N30).
   */
  routed?: true;
}

/** The message slot of a FLUSH marker riding in a credit queue (never sent). */
export function flushPlaceholder(id: PortId): WireMessage {
  return { dest: { right: 'send', id }, reply: { tag: 'null' }, msgId: 0, otherBits: 0, items: [] };
}

/** The old home still has older messages of the port to send on (§4.5). */
/**
 * How many messages importReceive puts back on the port ahead of its kernel
 * queue: those held for a migration and those queued here for credit.
 */
export function putBackCount(e: PortEntry | undefined): number {
  if (!e) return 0;
  let n = e.held.length;
  for (const list of e.pending.values()) for (const q of list) if (q.flush === undefined) n++;
  return n;
}

export function isDraining(e: PortEntry): boolean {
  return e.draining > 0 || e.drainDeliveries > 0 || e.gateWait > 0;
}

export function idOf(id: PortId): { node: number; serial: number } {
  return { node: id.node, serial: id.serial };
}

export function bump(m: Map<number, number>, k: number, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

export function total(m: Map<number, number>): number {
  let t = 0;
  for (const v of m.values()) t += v;
  return t;
}
