import type { Abi, MachMessage } from 'mach-msg';
import { fromWireMessage, toWireMessage, type RefToName } from './abi-neutral.js';
import type { LinkFrame } from './connection.js';
import { WireError } from './errors.js';
import { portKey, type PortId, type PortKey } from './identity.js';
import type { WireLimits } from './limits.js';
import type { ControlFrame } from './schemas.js';
import { oolBytes, type PortRef, type ReceiveState, type RightRef, type WireMessage } from './wire-message.js';

/**
 * The node state machine (sans-IO): one per node, covering all of the node's
 * links, because a port identity is node-wide (a right reaching a node by two
 * paths must be the same local port). It never touches a socket, a clock or
 * a kernel: it is fed events and answers with actions, in order.
 *
 * Roles (PROTOCOL.md §4): for every identity a node knows it is either the
 * HOME (the real receive right is held by a local task; netmsg holds exactly
 * one send right to it, with a dead-name request) or a PROXY (netmsg holds a
 * receive right whose send rights local tasks use; messages arriving on it
 * are forwarded upstream). Counted transfers make no-senders exact: every
 * send-right transfer over a link is counted by both ends and released by the
 * receiver only when its proxy has no senders and no downstream exports.
 */

const COPY_SEND = 19;
const MOVE_SEND_ONCE = 18;
const MAKE_SEND_DISP = 20;

export interface NodeConfig {
  node: number;
  abi: Abi;
  limits: WireLimits;
  /** First name netmsg picks for ports it allocates itself (mach_port_allocate_name). */
  nameBase?: number;
}

/** Status of a receive right that arrived in a message, read by the driver. */
export interface ReceiveStatus {
  mscount: number;
  qlimit: number;
  /**
   * The application's no-senders request, taken off the port by the driver
   * (mach_port_request_notification with a null notify returns it): the name
   * of that send-once right in netmsg's space, and the request's sync.
   */
  noSendersNotify?: number;
  noSendersSync?: number;
  /** The application's request notifies the port itself (the libports idiom). */
  noSendersSelf?: boolean;
  /** Messages in the port's queue when the right reached netmsg. */
  queued?: number;
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
  | { type: 'delivered'; token: DeliveryToken }
  /** Publish netmsg's send right `name` as this node's root port (identity serial 0). */
  | { type: 'publishRoot'; name: number }
  /** Get a local proxy for the root port of `peer`. */
  | { type: 'importRoot'; peer: number };

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
  /** Arm netmsg's no-senders request on its receive right `name` (notifies the port itself). */
  | { type: 'requestNoSenders'; name: number; sync: number }
  /**
   * netmsg's proxy `name` is about to become a real port (a receive right for
   * it arrived). The driver removes netmsg's no-senders request, takes every
   * message queued on the port off it (discarding the kernel's send-once
   * notification for the cancelled request, so it never reaches the
   * application), and queues back, in order: `first` (messages netmsg held
   * for lack of credit, the oldest), then the drained messages. Per-port
   * FIFO for local senders is kept and nothing of netmsg's leaks.
   */
  | { type: 'reclaimPort'; name: number; first: { msg: MachMessage; ool: Uint8Array[] }[] }
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

type Role = 'home' | 'proxy';

interface Queued {
  msg: WireMessage;
  bytes: number;
  /** A FLUSH marker (origin node) riding in the queue; carries no message. */
  flush?: number;
  /** Link the message came from (credit to return when sent), or undefined if local. */
  from?: number;
}

interface PortEntry {
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
  held: { wm: WireMessage; from: number; credited: boolean }[];
  heldBytes: number;
  /** old home: messages still in the port's queue when it became a proxy. */
  draining: number;
  /** FLUSH markers waiting for `draining` to reach 0. */
  flushWait: number[];
  /** Network messages for the port that arrived while `draining` > 0. */
  drainHold: { wm: WireMessage; from: number }[];
  /** Our FLUSH came back: the held receive right may now be delivered. */
  flushed: boolean;
  /** home: messages to this port held behind a migration gate. */
  gatePins: number;
}

/** Messages from one link held behind a message that carries a migrating receive right. */
interface Gate {
  /** In arrival order; each entry waits for the FLUSH of the ports in `waiting`. */
  queue: { wm: WireMessage; waiting: Set<PortKey> }[];
}

/** A send-once right netmsg holds on behalf of a remote one-shot proxy. */
interface SendOnceOut {
  id: PortId;
  key: PortKey;
  name: number;
  peer: number;
}

/** netmsg's receive right standing for a remote send-once right. */
interface SendOnceProxy {
  id: PortId;
  key: PortKey;
  name: number;
  peer: number;
}

interface Link {
  peer: number;
  window: number;
  queuedBytes: number;
}

export interface NodeTables {
  ports: { key: PortKey; role: Role; name: number; exported: Record<number, number>; imported: Record<number, number>; pinned: boolean }[];
  sendOnceOut: { key: PortKey; name: number; peer: number }[];
  sendOnceProxies: { key: PortKey; name: number; peer: number }[];
}

export class NetmsgNode {
  private readonly byKey = new Map<PortKey, PortEntry>();
  private readonly byName = new Map<number, PortEntry>();
  private readonly soOut = new Map<PortKey, SendOnceOut>();
  private readonly soOutByName = new Map<number, SendOnceOut>();
  private readonly soProxyByName = new Map<number, SendOnceProxy>();
  private readonly soProxyByKey = new Map<PortKey, SendOnceProxy>();
  private readonly links = new Map<number, Link>();
  private readonly gates = new Map<number, Gate>();
  /** Receive rights waiting in a gate here: this node is about to be their home. */
  private readonly arriving = new Map<PortKey, number>();
  /**
   * Identities known dead, so a transfer still in flight when the port died
   * arrives as MACH_PORT_DEAD instead of resurrecting a proxy. Bounded
   * (oldest forgotten first); PROTOCOL.md §4.4.
   */
  private readonly tombstones = new Set<PortKey>();
  private static readonly MAX_TOMBSTONES = 65536;
  private serial = 1;
  private nextName: number;
  private out: NodeAction[] = [];

  constructor(private readonly cfg: NodeConfig) {
    this.nextName = cfg.nameBase ?? 0x10000000;
  }

  get node(): number {
    return this.cfg.node;
  }

  /** Feed one event; returns the actions to perform, in order. */
  handle(ev: NodeEvent): NodeAction[] {
    this.out = [];
    try {
      this.dispatch(ev);
    } catch (e) {
      if (e instanceof WireError && ev.type === 'frame') {
        // A peer's frame broke the protocol: close that link in order; the
        // link-down handling then kills exactly what depended on it.
        this.emit({ type: 'closeLink', peer: ev.peer, code: e.code, reason: e.message });
        this.linkDown(ev.peer);
      } else {
        throw e;
      }
    }
    return this.out;
  }

  /** A snapshot of the tables, for audits and tests. */
  tables(): NodeTables {
    const rec = (m: Map<number, number>) => Object.fromEntries([...m].filter(([, v]) => v > 0));
    return {
      ports: [...this.byKey.values()].map((e) => ({
        key: e.key, role: e.role, name: e.name, exported: rec(e.exported), imported: rec(e.imported), pinned: e.pinned,
      })),
      sendOnceOut: [...this.soOut.values()].map((s) => ({ key: s.key, name: s.name, peer: s.peer })),
      sendOnceProxies: [...this.soProxyByKey.values()].map((s) => ({ key: s.key, name: s.name, peer: s.peer })),
    };
  }

  /** What netmsg's name `name` is to the machine (drivers classify notifications with it). */
  portKind(name: number): 'home' | 'proxy' | 'oneShot' | undefined {
    if (this.soProxyByName.has(name)) return 'oneShot';
    return this.byName.get(name)?.role;
  }

  /** The identity netmsg uses for a local name, if any (tests). */
  identityOf(name: number): PortId | undefined {
    return this.byName.get(name)?.id;
  }

  // ---------------------------------------------------------------- events

  private dispatch(ev: NodeEvent): void {
    switch (ev.type) {
      case 'linkUp':
        this.links.set(ev.peer, { peer: ev.peer, window: ev.window, queuedBytes: 0 });
        return;
      case 'linkDown':
        this.linkDown(ev.peer);
        return;
      case 'frame':
        if (!this.links.has(ev.peer)) return;
        if (ev.frame.kind === 'control') this.onControl(ev.peer, ev.frame.control);
        else this.onWireMessage(ev.peer, ev.frame.msg);
        return;
      case 'portMessage':
        this.onPortMessage(ev.port, ev.msg, ev.ool, ev.receiveStatus ?? {});
        return;
      case 'noSenders':
        this.onNoSenders(ev.port, ev.mscount);
        return;
      case 'deadName':
        this.onDeadName(ev.name);
        return;
      case 'delivered': {
        const e = this.byKey.get(ev.token.key);
        if (!e) return;
        e.delivering = Math.max(0, e.delivering - 1);
        this.sendControl(ev.token.peer, { t: 'credit', ...idOf(e.id), n: 1 });
        this.tryCollect(e);
        return;
      }
      case 'publishRoot': {
        const id = { node: this.cfg.node, serial: 0 };
        const e = this.newEntry(id, 'home', ev.name);
        e.pinned = true;
        this.emit({ type: 'requestDeadName', name: ev.name });
        return;
      }
      case 'importRoot': {
        const id = { node: ev.peer, serial: 0 };
        let e = this.byKey.get(portKey(id));
        if (!e) {
          const name = this.allocName();
          this.emit({ type: 'allocatePort', name });
          e = this.newEntry(id, 'proxy', name);
          e.route = ev.peer;
          e.pinned = true;
        }
        this.emit({ type: 'rootImported', peer: ev.peer, name: e.name });
        return;
      }
    }
  }

  // ------------------------------------------------------- local messages

  /** A local task sent a message to a proxy or a one-shot proxy. */
  private onPortMessage(port: number, msg: MachMessage, ool: Uint8Array[], status: Record<number, ReceiveStatus>): void {
    const so = this.soProxyByName.get(port);
    if (so) {
      // A send-once right is used exactly once: forward, then the one-shot
      // proxy is gone (Mach erases a send-once right on use).
      this.soProxyByName.delete(port);
      this.soProxyByKey.delete(so.key);
      this.emit({ type: 'destroyPort', name: port });
      if (!this.links.has(so.peer)) {
        this.destroyLocal(msg, ool);
        return;
      }
      const wm = toWireMessage(msg, ool, { right: 'sendOnce', id: so.id }, (n, r) => this.exportRight(n, r, so.peer, status));
      this.sendMessage(so.peer, wm);
      return;
    }
    const e = this.byName.get(port);
    if (!e || e.role !== 'proxy') {
      // Not ours (a stale event after the port was destroyed): Mach would
      // destroy a message to a dead port.
      this.destroyLocal(msg, ool);
      return;
    }
    const peer = this.routeOf(e);
    if (peer === undefined) {
      this.destroyLocal(msg, ool);
      return;
    }
    const wm = toWireMessage(msg, ool, { right: 'send', id: e.id }, (n, r) => this.exportRight(n, r, peer, status));
    this.queueOrSend(e, peer, { msg: wm, bytes: 64 + oolBytes(wm) });
    if (e.draining > 0 && --e.draining === 0) {
      const hold = e.drainHold;
      e.drainHold = [];
      for (const h of hold) this.forward(e, h.from, h.wm);
      for (const o of e.flushWait) this.forwardFlush(e, o);
      e.flushWait = [];
    }
  }

  private destroyLocal(msg: MachMessage, ool: Uint8Array[]): void {
    this.emit({ type: 'destroyMessage', msg, ool });
  }

  /**
   * A right named in netmsg's space is leaving on link `peer`: give it its
   * identity and count the transfer.
   */
  private exportRight(name: number, right: 'send' | 'sendOnce' | 'receive', peer: number, status: Record<number, ReceiveStatus>): PortRef {
    if (right === 'sendOnce') {
      // Every send-once right leaving gets a fresh token; netmsg keeps the
      // real right until the one message (or its death) comes back.
      const id = this.freshId();
      const so: SendOnceOut = { id, key: portKey(id), name, peer };
      this.soOut.set(so.key, so);
      this.soOutByName.set(name, so);
      this.emit({ type: 'requestDeadName', name });
      return { tag: 'port', right: 'sendOnce', id };
    }
    if (right === 'receive') return this.exportReceive(name, peer, status[name]);
    let e = this.byName.get(name);
    if (e) {
      // netmsg keeps one reference per port: the uref that came with the
      // message coalesced into the one it holds (or is a send right to its
      // own proxy), so drop it.
      this.emit({ type: 'deallocate', name });
    } else {
      e = this.newEntry(this.freshId(), 'home', name);
      this.emit({ type: 'requestDeadName', name });
    }
    bump(e.exported, peer, 1);
    return { tag: 'port', right: 'send', id: e.id };
  }

  /** A receive right leaves: this node stops being home and becomes a proxy. */
  private exportReceive(name: number, peer: number, st: ReceiveStatus | undefined): PortRef {
    const status = st ?? { mscount: 0, qlimit: 5 };
    let e = this.byName.get(name);
    if (e && e.role === 'home') {
      // netmsg held a send right on this name; with the receive right the
      // name now denotes both, and netmsg must never hold both or no-senders
      // never fires (seed §1.7 invariant): drop the send right.
      this.emit({ type: 'deallocate', name });
      e.role = 'proxy';
    } else {
      // A name netmsg has no entry for (a proxy name cannot reach a task).
      e = this.newEntry(this.freshId(), 'proxy', name);
    }
    e.route = peer;
    // Messages still in the port's queue (and deliveries on their way into
    // it) go out after the receive right; a FLUSH waits behind them.
    e.draining = (status.queued ?? 0) + e.delivering;
    e.makeSends = status.mscount;
    e.localSenders = true;
    bump(e.imported, peer, 1);
    this.armNoSenders(e);
    let notify: PortRef | null = null;
    // A request that notifies the port itself travels as a send-once
    // reference to the port's own identity ("self"); any other as a token.
    if (status.noSendersSelf) notify = { tag: 'port', right: 'sendOnce', id: e.id };
    else if (status.noSendersNotify !== undefined) notify = this.exportRight(status.noSendersNotify, 'sendOnce', peer, {});
    const state: ReceiveState = {
      mscount: status.mscount,
      qlimit: status.qlimit,
      noSendersNotify: notify,
      noSendersSync: status.noSendersSync ?? 0,
    };
    return { tag: 'port', right: 'receive', id: e.id, state };
  }

  private routeOf(e: PortEntry): number | undefined {
    // One route per proxy for its whole life keeps per-port FIFO: the link
    // its first transfer came from. Third-party rights therefore follow the
    // forwarding chain (PROTOCOL.md §4.6).
    if (e.route !== undefined && this.links.has(e.route)) return e.route;
    return undefined;
  }

  // ------------------------------------------------------- flow control

  private queueOrSend(e: PortEntry, peer: number, q: Queued, aheadOfLocal = false): void {
    const pend = e.pending.get(peer);
    if (pend && pend.length > 0) {
      this.enqueue(e, peer, q);
      if (aheadOfLocal) {
        const i = pend.findIndex((x) => x.from === undefined && x.flush === undefined);
        if (i >= 0) pend.splice(i, 0, pend.pop()!);
      }
      return;
    }
    const credit = e.credit.get(peer) ?? this.links.get(peer)!.window;
    if (credit > 0) {
      e.credit.set(peer, credit - 1);
      this.transmit(e, peer, q);
    } else {
      this.enqueue(e, peer, q);
    }
  }

  private enqueue(e: PortEntry, peer: number, q: Queued): void {
    const link = this.links.get(peer)!;
    if (q.from !== undefined && e.pendingBytes + q.bytes > this.cfg.limits.maxQueuedBytesPerPort) {
      throw new WireError('limit_exceeded', `queued bytes for port ${e.key} over the limit`);
    }
    if (q.from !== undefined && link.queuedBytes + q.bytes > this.cfg.limits.maxQueuedBytesPerLink) {
      throw new WireError('limit_exceeded', `queued bytes for link ${peer} over the limit`);
    }
    let pend = e.pending.get(peer);
    if (!pend) e.pending.set(peer, (pend = []));
    pend.push(q);
    e.pendingBytes += q.bytes;
    link.queuedBytes += q.bytes;
    // A stalled receiver pushes back: stop taking messages off the local
    // proxy so its Mach queue fills and local senders block or time out.
    if (q.from === undefined && e.role === 'proxy' && !e.paused) {
      e.paused = true;
      this.emit({ type: 'pausePort', name: e.name });
    }
  }

  private transmit(e: PortEntry, peer: number, q: Queued): void {
    if (q.flush !== undefined) {
      this.sendControl(peer, { t: 'flush', ...idOf(e.id), origin: q.flush });
      return;
    }
    this.sendMessage(peer, q.msg);
    if (q.from !== undefined && this.links.has(q.from)) this.sendControl(q.from, { t: 'credit', ...idOf(e.id), n: 1 });
  }

  private onCredit(peer: number, key: PortKey, n: number): void {
    const e = this.byKey.get(key);
    if (!e) return;
    let credit = (e.credit.get(peer) ?? this.links.get(peer)!.window) + n;
    const pend = e.pending.get(peer);
    const link = this.links.get(peer)!;
    while (pend && pend.length > 0 && (credit > 0 || pend[0]!.flush !== undefined)) {
      const q = pend.shift()!;
      if (q.flush === undefined) credit--;
      e.pendingBytes -= q.bytes;
      link.queuedBytes -= q.bytes;
      this.transmit(e, peer, q);
    }
    e.credit.set(peer, credit);
    if (e.paused && e.pendingBytes === 0 && !e.migrating) {
      e.paused = false;
      this.emit({ type: 'resumePort', name: e.name });
    }
    this.tryCollect(e);
  }

  // ------------------------------------------------------- remote messages

  private onWireMessage(peer: number, wm: WireMessage, bypassGate = false): void {
    const key = portKey(wm.dest.id);
    const target = wm.dest.right === 'send' ? this.byKey.get(key) : undefined;
    // The port's receive right is waiting here for its FLUSH: keep what
    // arrives for the new home.
    if (target && target.migrating) {
      this.hold(target, peer, wm);
      return;
    }
    if (!bypassGate) {
      const gate = this.gates.get(peer);
      const local = !(target && target.role === 'proxy') || target.gatePins > 0;
      if (local) {
        const keys = this.startMigration(wm);
        if (gate || keys.size > 0) {
          // Behind (or itself) a message whose receive right is still
          // settling: this link's local deliveries stay in order.
          this.pinDest(wm, 1);
          this.markArriving(wm, 1);
          const g = gate ?? { queue: [] };
          g.queue.push({ wm, waiting: keys });
          this.gates.set(peer, g);
          return;
        }
      }
    }
    if (wm.dest.right === 'sendOnce') {
      const so = this.soOut.get(key);
      if (!so) {
        this.dropRemote(peer, wm);
        return;
      }
      this.soOut.delete(key);
      this.soOutByName.delete(so.name);
      this.deliverLocal(peer, wm, so.name, MOVE_SEND_ONCE, undefined);
      return;
    }
    const e = this.byKey.get(key);
    if (!e) {
      // The port is gone: destroy the message as Mach would (its rights are
      // released, its send-once rights notify) and tell the sender.
      this.dropRemote(peer, wm);
      this.sendControl(peer, { t: 'dead', ...idOf(wm.dest.id) });
      return;
    }
    if (e.role === 'home') {
      e.delivering++;
      this.deliverLocal(peer, wm, e.name, COPY_SEND, { peer, key });
      return;
    }
    // A proxy on the path: forward, keeping per-port order (one route). A
    // message may go back where it came from: it was sent to this node while
    // it was home, and the receive right has since moved to the sender.
    if (e.draining > 0) {
      // What was already queued in the port when its receive right left
      // goes first.
      e.drainHold.push({ wm, from: peer });
      return;
    }
    this.forward(e, peer, wm);
  }

  private hold(target: PortEntry, peer: number, wm: WireMessage): void {
    // Credit goes back at once (within the per-port byte limit): the marker
    // we wait for may sit behind these very messages in an upstream queue.
    const bytes = 64 + oolBytes(wm);
    const credited = target.heldBytes + bytes <= this.cfg.limits.maxQueuedBytesPerPort;
    target.heldBytes += bytes;
    target.held.push({ wm, from: peer, credited });
    if (credited) this.sendControl(peer, { t: 'credit', ...idOf(target.id), n: 1 });
  }

  private forward(e: PortEntry, peer: number, wm: WireMessage): void {
    const next = this.routeOf(e);
    if (next === undefined) {
      this.dropRemote(peer, wm);
      this.sendControl(peer, { t: 'dead', ...idOf(wm.dest.id) });
      return;
    }
    this.relayRights(peer, next, wm);
    // A message for the port coming back down its own route is one this node
    // sent earlier (or another sender's): it goes ahead of local messages
    // still waiting here for credit, which are younger.
    this.queueOrSend(e, next, { msg: wm, bytes: 64 + oolBytes(wm), from: peer }, peer === e.route);
  }

  /**
   * A message to deliver here carries a receive right for a port this node
   * proxies: messages this node forwarded to the old home may still be
   * coming back, and the old home may still hold queued ones. Hold the
   * message (and this link's later local deliveries) and send a FLUSH marker
   * round the route; when it returns, everything older is here.
   */
  private startMigration(wm: WireMessage): Set<PortKey> {
    const keys = new Set<PortKey>();
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        if (ref.tag !== 'port') continue;
        const e = this.byKey.get(portKey(ref.id));
        if (e && e.role === 'proxy' && !e.migrating && !e.flushed && this.routeOf(e) !== undefined) keys.add(e.key);
      }
    }
    for (const k of keys) {
      const e = this.byKey.get(k)!;
      e.migrating = true;
      if (!e.paused) {
        e.paused = true;
        this.emit({ type: 'pausePort', name: e.name });
      }
      this.forwardFlush(e, this.cfg.node);
    }
    return keys;
  }

  /**
   * A held message keeps its destination alive as a delivery in progress
   * would: a RELEASE overtaking it must not collect the home entry.
   */
  private pinDest(wm: WireMessage, n: number): void {
    if (wm.dest.right !== 'send') return;
    const d = this.byKey.get(portKey(wm.dest.id));
    if (d) d.gatePins = Math.max(0, d.gatePins + n);
  }

  private markArriving(wm: WireMessage, n: number): void {
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        if (ref.tag !== 'port') continue;
        const k = portKey(ref.id);
        const v = (this.arriving.get(k) ?? 0) + n;
        if (v > 0) this.arriving.set(k, v);
        else this.arriving.delete(k);
      }
    }
  }

  private collectDest(wm: WireMessage): void {
    const d = this.byKey.get(portKey(wm.dest.id));
    if (d) this.tryCollect(d);
  }

  private forwardFlush(e: PortEntry, origin: number): void {
    const route = this.routeOf(e);
    if (route === undefined) return;
    const pend = e.pending.get(route);
    if (pend && pend.length > 0) pend.push({ msg: pend[0]!.msg, bytes: 0, flush: origin });
    else this.sendControl(route, { t: 'flush', ...idOf(e.id), origin });
  }

  private onFlush(key: PortKey, origin: number): void {
    const e = this.byKey.get(key);
    if (!e || e.role !== 'proxy') {
      // Nothing of the port is here any more, so nothing older can follow:
      // the marker goes straight back.
      if (origin !== this.cfg.node && this.links.has(origin)) this.sendControl(origin, { t: 'flush', node: Number(key.split(':')[0]), serial: Number(key.split(':')[1]), origin });
      return;
    }
    if (origin === this.cfg.node) {
      if (e.migrating) this.finishMigration(e);
      return;
    }
    if (e.draining > 0) e.flushWait.push(origin);
    else this.forwardFlush(e, origin);
  }

  /** The FLUSH came back (or the route died): deliver the held message. */
  private finishMigration(e: PortEntry): void {
    e.migrating = false;
    e.flushed = true;
    for (const gate of this.gates.values()) for (const item of gate.queue) item.waiting.delete(e.key);
    for (const [peer, gate] of [...this.gates]) {
      while (gate.queue.length > 0 && gate.queue[0]!.waiting.size === 0) {
        const { wm } = gate.queue.shift()!;
        this.pinDest(wm, -1);
        this.markArriving(wm, -1);
        this.onWireMessage(peer, wm, true);
        this.collectDest(wm);
      }
      if (gate.queue.length === 0 && this.gates.get(peer) === gate) this.gates.delete(peer);
    }
  }

  /**
   * A message passing through: its rights go from `from` to `to`. Send
   * rights are counted on both links (imported from `from`, exported to
   * `to`) by materialising nothing: this node's proxy entry for each right
   * carries the counts, so the chain stays exact.
   */
  private relayRights(from: number, to: number, wm: WireMessage): void {
    const map = (ref: PortRef): PortRef => {
      if (ref.tag !== 'port') return ref;
      if (ref.right === 'send' && !this.byKey.has(portKey(ref.id)) && this.tombstones.has(portKey(ref.id))) {
        this.sendControl(from, { t: 'release', ...idOf(ref.id), n: 1 });
        return { tag: 'dead' };
      }
      if (ref.right === 'send') {
        const e = this.importSend(from, ref.id, false);
        bump(e.exported, to, 1);
        return ref;
      }
      if (ref.right === 'sendOnce') {
        // Chain the one-shot: keep a token here, mint a new one onward.
        const name = this.importSendOnce(from, ref.id);
        const id = this.freshId();
        const so: SendOnceOut = { id, key: portKey(id), name, peer: to };
        this.soOut.set(so.key, so);
        this.soOutByName.set(name, so);
        this.emit({ type: 'requestDeadName', name });
        return { tag: 'port', right: 'sendOnce', id };
      }
      // A receive right passing through: this node is home for an instant
      // (netmsg holds the receive right), then hands it on and is a proxy.
      const post: NodeAction[] = [];
      const name = this.importReceive(from, ref.id, { ...ref.state, noSendersNotify: null }, post);
      for (const a of post) this.emit(a);
      const n = ref.state.noSendersNotify;
      const self = n !== null && n.tag === 'port' && portKey(n.id) === portKey(ref.id);
      const notify = n && n.tag === 'port' && !self ? this.importSendOnce(from, n.id) : undefined;
      const status: ReceiveStatus = { mscount: ref.state.mscount, qlimit: ref.state.qlimit, noSendersSync: ref.state.noSendersSync };
      if (notify !== undefined) status.noSendersNotify = notify;
      if (self) status.noSendersSelf = true;
      return this.exportReceive(name, to, status);
    };
    wm.reply = map(wm.reply);
    for (const it of wm.items) if (it.kind === 'ports') it.ports = it.ports.map(map);
  }

  private deliverLocal(peer: number, wm: WireMessage, destName: number, destDisp: number, token: DeliveryToken | undefined): void {
    const post: NodeAction[] = [];
    const map: RefToName = (ref) => this.importRef(peer, ref, post);
    const { msg, ool } = fromWireMessage(wm, this.cfg.abi, destName, destDisp, map);
    this.emit(token ? { type: 'deliver', msg, ool, token } : { type: 'deliver', msg, ool });
    for (const a of post) this.emit(a);
  }

  /** Materialise a dropped message's rights in netmsg's space and destroy them. */
  private dropRemote(peer: number, wm: WireMessage): void {
    const post: NodeAction[] = [];
    const { msg, ool } = fromWireMessage(wm, this.cfg.abi, 0, 0, (ref) => this.importRef(peer, ref, post));
    this.emit({ type: 'destroyMessage', msg, ool });
    for (const a of post) this.emit(a);
  }

  /** A right arrived from `peer`: put one right of its kind in netmsg's space. */
  private importRef(peer: number, ref: RightRef, post: NodeAction[]): number {
    if (ref.right === 'send' && !this.byKey.has(portKey(ref.id)) && this.tombstones.has(portKey(ref.id))) {
      // The port died while this right was in flight: Mach delivers a dead name.
      this.sendControl(peer, { t: 'release', ...idOf(ref.id), n: 1 });
      return 0xffffffff;
    }
    if (ref.right === 'send') {
      const e = this.importSend(peer, ref.id, true);
      return e.name;
    }
    if (ref.right === 'sendOnce') {
      const port = this.importSendOnce(peer, ref.id);
      return port;
    }
    return this.importReceive(peer, ref.id, ref.state, post);
  }

  /**
   * One send-right transfer of `id` arrived from `peer`. With `give`, one
   * send uref is put in netmsg's space for delivery (moved out by MOVE_SEND).
   */
  private importSend(peer: number, id: PortId, give: boolean): PortEntry {
    const key = portKey(id);
    let e = this.byKey.get(key);
    if (e && e.role === 'home') {
      // The right came back to the node holding the receive right: it is
      // the original port, not a proxy; the sender need not keep anything.
      if (give) this.emit({ type: 'addSendRef', name: e.name });
      this.sendControl(peer, { t: 'release', ...idOf(id), n: 1 });
      return e;
    }
    if (!e) {
      const name = this.allocName();
      this.emit({ type: 'allocatePort', name });
      e = this.newEntry(id, 'proxy', name);
      e.route = peer;
      e.localSenders = false;
      bump(e.imported, peer, 1);
      if (this.arriving.has(key)) {
        // Its receive right is already here, waiting in a gate: nothing for
        // this port may be forwarded any more; hold it all for the new home.
        e.migrating = true;
        e.paused = true;
        this.emit({ type: 'pausePort', name });
      }
    } else {
      // A proxy lives on exactly one counted transfer, on its route link.
      // Any further transfer is redundant and is given back at once; holding
      // it would let two proxies keep each other alive (a cycle of counts
      // when a right passes back and forth through a forwarding node).
      this.sendControl(peer, { t: 'release', ...idOf(id), n: 1 });
    }
    if (give) {
      this.emit({ type: 'makeSend', name: e.name });
      e.makeSends++;
      e.localSenders = true;
      this.armNoSenders(e);
    }
    return e;
  }

  /**
   * Undo the export of a right in a message that was queued for `peer` and
   * will now be delivered locally instead: netmsg puts the right back in its
   * own space for the MOVE disposition.
   */
  private unexportRef(peer: number, ref: RightRef): number {
    const key = portKey(ref.id);
    if (ref.right === 'sendOnce') {
      const so = this.soOut.get(key);
      if (!so) return 0xffffffff;
      this.soOut.delete(key);
      this.soOutByName.delete(so.name);
      return so.name;
    }
    const e = this.byKey.get(key);
    if (!e) return 0xffffffff;
    if (ref.right === 'receive') {
      // Not expected: a receive right queued behind credit on the port that
      // is itself becoming real. The right is lost with its port (Mach's
      // fate for a receive right in a destroyed message).
      e.pinned = false;
      this.killProxy(e, undefined);
      return 0xffffffff;
    }
    const have = e.exported.get(peer) ?? 0;
    if (have > 0) e.exported.set(peer, have - 1);
    if (e.role === 'home') {
      this.emit({ type: 'addSendRef', name: e.name });
    } else {
      this.emit({ type: 'makeSend', name: e.name });
      e.makeSends++;
      e.localSenders = true;
      this.armNoSenders(e);
    }
    return e.name;
  }

  /** A send-once right arrived: a one-shot proxy and a send-once right to it. */
  private importSendOnce(peer: number, id: PortId): number {
    const port = this.allocName();
    this.emit({ type: 'allocatePort', name: port });
    const so: SendOnceProxy = { id, key: portKey(id), name: port, peer };
    this.soProxyByName.set(port, so);
    this.soProxyByKey.set(so.key, so);
    const name = this.allocName();
    this.emit({ type: 'insertSendOnce', name, port });
    return name;
  }

  /** A receive right arrived: this node becomes home (PROTOCOL.md §4.5). */
  private importReceive(peer: number, id: PortId, st: ReceiveState, post: NodeAction[]): number {
    const key = portKey(id);
    let e = this.byKey.get(key);
    if (e && e.role === 'home') throw new WireError('out_of_state', `receive right for ${key} which is already home here`);
    if (e) {
      // Our proxy becomes the real port: the application gets it under the
      // name local senders already use (tests 5 and 9).
      const oldRoute = e.route;
      for (const [p, n] of e.imported) if (n > 0 && p !== peer && this.links.has(p)) this.sendControl(p, { t: 'release', ...idOf(id), n });
      const back = e.imported.get(peer) ?? 0;
      if (back > 0) this.sendControl(peer, { t: 'release', ...idOf(id), n: back });
      e.imported.clear();
      e.role = 'home';
      e.flushed = false;
      e.migrating = false;
      e.route = undefined;
      e.nsArmed = false;
      // Messages our local senders queued here for the old home go back
      // on the port, ahead of what is still in its queue.
      const first: { msg: MachMessage; ool: Uint8Array[] }[] = [];
      // Held arrivals first (they include what this node had forwarded and
      // got back), then what waited here for credit, then the port's queue.
      // Order: what came back on the old route (all of it older than
      // anything this node received since), then what waited here for
      // credit, then what other links delivered during the hold.
      const held = e.held;
      e.held = [];
      e.heldBytes = 0;
      const materialise = (h: { wm: WireMessage; from: number; credited: boolean }) => {
        const inner: NodeAction[] = [];
        const m = fromWireMessage(h.wm, this.cfg.abi, e!.name, MAKE_SEND_DISP, (ref) => this.importRef(h.from, ref, inner));
        for (const a of inner) this.emit(a);
        if (!h.credited) this.sendControl(h.from, { t: 'credit', ...idOf(e!.id), n: 1 });
        return m;
      };
      for (const h of held) if (h.from === oldRoute) first.push(materialise(h));
      for (const [p, list] of e.pending) {
        const link = this.links.get(p);
        for (const q of list) {
          if (link) link.queuedBytes -= q.bytes;
          first.push(fromWireMessage(q.msg, this.cfg.abi, e.name, MAKE_SEND_DISP, (ref) => this.unexportRef(p, ref)));
        }
      }
      e.pending.clear();
      e.pendingBytes = 0;
      for (const h of held) if (h.from !== oldRoute) first.push(materialise(h));
      this.emit({ type: 'reclaimPort', name: e.name, first });
      if (e.paused) {
        e.paused = false;
        this.emit({ type: 'resumePort', name: e.name });
      }
    } else {
      const name = this.allocName();
      this.emit({ type: 'allocatePort', name });
      e = this.newEntry(id, 'home', name);
    }
    // netmsg keeps one send right as home; made before the make-send count
    // is set so the count the application sees is the port's own.
    this.emit({ type: 'makeSend', name: e.name });
    this.emit({ type: 'setPortStatus', name: e.name, mscount: st.mscount, qlimit: st.qlimit });
    const ns = st.noSendersNotify;
    if (ns && ns.tag === 'port') {
      const self = portKey(ns.id) === key;
      const notify = self ? ('self' as const) : this.importSendOnce(peer, ns.id);
      this.emit({ type: 'requestAppNoSenders', name: e.name, sync: st.noSendersSync, notify });
    }
    // The old home is now a proxy holding one counted transfer from us.
    bump(e.exported, peer, 1);
    post.push({ type: 'requestDeadName', name: e.name });
    return e.name;
  }

  // ------------------------------------------------------- control frames

  private onControl(peer: number, c: ControlFrame): void {
    const key = portKey({ node: c.node, serial: c.serial });
    switch (c.t) {
      case 'credit':
        this.onCredit(peer, key, c.n);
        return;
      case 'release': {
        const e = this.byKey.get(key);
        if (!e) return;
        const have = e.exported.get(peer) ?? 0;
        if (c.n > have) throw new WireError('out_of_state', `release of ${c.n} transfers of ${key}, ${have} outstanding`);
        e.exported.set(peer, have - c.n);
        this.tryCollect(e);
        return;
      }
      case 'flush':
        this.onFlush(key, c.origin);
        return;
      case 'dead': {
        const so = this.soProxyByKey.get(key);
        if (so) {
          this.soProxyByKey.delete(key);
          this.soProxyByName.delete(so.name);
          this.emit({ type: 'destroyPort', name: so.name });
        }
        const e = this.byKey.get(key);
        // Only the proxy's upstream speaks for the port: a DEAD from any other
        // link is about that node's own (now released) chain.
        if (!e || e.role !== 'proxy' || e.route !== peer) return;
        // The receive right is in our hands (held for a migration): the
        // chain behind us died, not the port; stop waiting for the marker.
        if (e.migrating) this.finishMigration(e);
        else this.killProxy(e, peer);
        return;
      }
    }
  }

  // ------------------------------------------------------- notifications

  private onNoSenders(port: number, mscount: number): void {
    const e = this.byName.get(port);
    if (!e || e.role !== 'proxy') return;
    e.nsArmed = false;
    if (mscount < e.makeSends) {
      // Stale: netmsg made another send right after the count the kernel
      // saw. Re-arm for the current count (the ports library idiom).
      this.armNoSenders(e);
      return;
    }
    e.localSenders = false;
    this.tryCollect(e);
  }

  private onDeadName(name: number): void {
    const so = this.soOutByName.get(name);
    if (so) {
      // The reply port died: the remote one-shot becomes a dead name.
      this.soOutByName.delete(name);
      this.soOut.delete(so.key);
      this.emit({ type: 'deallocate', name });
      if (this.links.has(so.peer)) this.sendControl(so.peer, { t: 'dead', ...idOf(so.id) });
      return;
    }
    const e = this.byName.get(name);
    if (!e || e.role !== 'home') return;
    // The receive right died: every node that holds a transfer hears it.
    this.emit({ type: 'deallocate', name });
    for (const [p, n] of e.exported) if (n > 0 && this.links.has(p)) this.sendControl(p, { t: 'dead', ...idOf(e.id) });
    this.bury(e.key);
    this.removeEntry(e);
  }

  // ------------------------------------------------------- lifetimes

  private armNoSenders(e: PortEntry): void {
    if (e.nsArmed) return;
    e.nsArmed = true;
    this.emit({ type: 'requestNoSenders', name: e.name, sync: e.makeSends });
  }

  private tryCollect(e: PortEntry): void {
    if (e.pinned || !this.byKey.has(e.key)) return;
    if (total(e.exported) > 0 || e.pendingBytes > 0 || e.delivering > 0 || e.gatePins > 0 || e.draining > 0 || e.drainHold.length > 0 || e.migrating || e.held.length > 0) return;
    if (e.role === 'home') {
      // No transfer outstanding anywhere: drop netmsg's one send right; if
      // no local sender remains either, Mach now sends the application its
      // no-senders notification with the port's make-send count.
      this.emit({ type: 'deallocate', name: e.name });
      this.removeEntry(e);
      return;
    }
    if (e.localSenders) return;
    // Keep the proxy until every message it sent is acknowledged by credit:
    // then nothing of its is still travelling when a later right to the
    // same port (or the receive right itself) arrives here (per-port FIFO).
    for (const [p, c] of e.credit) if (this.links.has(p) && c < this.links.get(p)!.window) return;
    for (const [p, n] of e.imported) if (n > 0 && this.links.has(p)) this.sendControl(p, { t: 'release', ...idOf(e.id), n });
    this.emit({ type: 'destroyPort', name: e.name });
    this.removeEntry(e);
  }

  /** A proxy's port died upstream: its senders get dead names, downstream hears. */
  private killProxy(e: PortEntry, from: number | undefined): void {
    for (const [p, n] of e.exported) if (n > 0 && p !== from && this.links.has(p)) this.sendControl(p, { t: 'dead', ...idOf(e.id) });
    this.emit({ type: 'destroyPort', name: e.name });
    this.bury(e.key);
    this.removeEntry(e);
    const held = e.held;
    e.held = [];
    e.heldBytes = 0;
    for (const h of held) this.dropRemote(h.from, h.wm);
    const pending = [...e.pending];
    e.pending.clear();
    e.pendingBytes = 0;
    for (const [p, list] of pending) {
      const link = this.links.get(p);
      for (const q of list) {
        if (link) link.queuedBytes -= q.bytes;
        this.discardQueued(p, q.msg);
      }
    }
  }

  /**
   * A message queued for `to` that will never be sent: undo its transfers as
   * Mach's mach_msg_destroy would release its rights. Send rights give back
   * their count; send-once rights are destroyed (their port gets the
   * send-once notification); a receive right in it dies with the message.
   */
  private discardQueued(to: number, wm: WireMessage): void {
    const refs: PortRef[] = [wm.reply];
    for (const it of wm.items) if (it.kind === 'ports') refs.push(...it.ports);
    for (const ref of refs) {
      if (ref.tag !== 'port') continue;
      const key = portKey(ref.id);
      if (ref.right === 'sendOnce') {
        const so = this.soOut.get(key);
        if (so) {
          this.soOut.delete(key);
          this.soOutByName.delete(so.name);
          this.emit({ type: 'deallocate', name: so.name });
        }
        continue;
      }
      const e = this.byKey.get(key);
      if (!e) continue;
      if (ref.right === 'send') {
        const have = e.exported.get(to) ?? 0;
        if (have > 0) e.exported.set(to, have - 1);
        this.tryCollect(e);
      } else if (e.role === 'proxy' && e.route === to) {
        e.pinned = false;
        this.killProxy(e, undefined);
      }
    }
  }

  private linkDown(peer: number): void {
    if (!this.links.has(peer)) return;
    this.links.delete(peer);
    // Held messages from the dead link are lost with it (Mach destroys them).
    const gate = this.gates.get(peer);
    if (gate) {
      this.gates.delete(peer);
      for (const item of gate.queue) {
        for (const k of item.waiting) {
          const e = this.byKey.get(k);
          if (e) e.migrating = false;
        }
      }
      for (const { wm } of gate.queue) {
        this.pinDest(wm, -1);
        this.markArriving(wm, -1);
        // A proxy created to wait for this receive right stops waiting.
        for (const it of wm.items) {
          if (it.kind !== 'ports' || it.right !== 'receive') continue;
          for (const ref of it.ports) {
            const e = ref.tag === 'port' ? this.byKey.get(portKey(ref.id)) : undefined;
            if (e && e.migrating && !this.arriving.has(e.key)) {
              e.migrating = false;
              for (const h of e.held) this.forward(e, h.from, h.wm);
              e.held = [];
              e.heldBytes = 0;
            }
          }
        }
        this.dropRemote(peer, wm);
        this.collectDest(wm);
      }
    }
    // A migration whose marker can no longer come back completes now.
    for (const e of [...this.byKey.values()]) if (e.migrating && e.route === peer) this.finishMigration(e);
    for (const e of [...this.byKey.values()]) {
      if (!this.byKey.has(e.key)) continue;
      e.exported.delete(peer);
      e.credit.delete(peer);
      const pend = e.pending.get(peer);
      e.pending.delete(peer);
      if (pend) {
        for (const q of pend) e.pendingBytes -= q.bytes;
        for (const q of pend) this.discardQueued(peer, q.msg);
      }
      if (!this.byKey.has(e.key)) continue;
      if (e.role === 'proxy') {
        e.imported.delete(peer);
        if (e.route === peer) {
          // Everything that depended on the link dies as Mach says: the
          // proxy's senders get dead names, downstream nodes hear DEAD.
          e.pinned = false;
          this.killProxy(e, peer);
          continue;
        }
      }
      // Messages queued for the dead link are lost with it; their rights
      // were counted transfers to that link, forgotten just above.
      if (e.paused && e.pendingBytes === 0 && !e.migrating) {
        e.paused = false;
        this.emit({ type: 'resumePort', name: e.name });
      }
      this.tryCollect(e);
    }
    for (const so of [...this.soOut.values()]) {
      if (so.peer !== peer) continue;
      // The remote holder is gone: destroying the real send-once right makes
      // Mach send the send-once notification, so a waiting MIG client gets
      // MIG_SERVER_DIED at once instead of hanging.
      this.soOut.delete(so.key);
      this.soOutByName.delete(so.name);
      this.emit({ type: 'deallocate', name: so.name });
    }
    for (const so of [...this.soProxyByKey.values()]) {
      if (so.peer !== peer) continue;
      this.soProxyByKey.delete(so.key);
      this.soProxyByName.delete(so.name);
      this.emit({ type: 'destroyPort', name: so.name });
    }
  }

  // ------------------------------------------------------- helpers

  private newEntry(id: PortId, role: Role, name: number): PortEntry {
    const e: PortEntry = {
      id, key: portKey(id), role, name,
      exported: new Map(), imported: new Map(), makeSends: 0, localSenders: false, nsArmed: false,
      route: undefined, credit: new Map(), pending: new Map(), pendingBytes: 0, paused: false, pinned: false, delivering: 0,
      migrating: false, held: [], heldBytes: 0, draining: 0, flushWait: [], flushed: false, gatePins: 0, drainHold: [],
    };
    if (this.byKey.size >= this.cfg.limits.maxPortsPerLink * Math.max(1, this.links.size)) {
      throw new WireError('limit_exceeded', 'too many port identities');
    }
    this.byKey.set(e.key, e);
    this.byName.set(name, e);
    return e;
  }

  private bury(key: PortKey): void {
    this.tombstones.add(key);
    if (this.tombstones.size > NetmsgNode.MAX_TOMBSTONES) {
      const oldest = this.tombstones.values().next().value;
      if (oldest !== undefined) this.tombstones.delete(oldest);
    }
  }

  private removeEntry(e: PortEntry): void {
    this.byKey.delete(e.key);
    if (this.byName.get(e.name) === e) this.byName.delete(e.name);
  }

  private freshId(): PortId {
    return { node: this.cfg.node, serial: this.serial++ };
  }

  private allocName(): number {
    return this.nextName++;
  }

  private sendMessage(peer: number, msg: WireMessage): void {
    if (!this.links.has(peer)) return;
    this.emit({ type: 'sendFrame', peer, frame: { kind: 'message', msg } });
  }

  private sendControl(peer: number, control: ControlFrame): void {
    if (!this.links.has(peer)) return;
    this.emit({ type: 'sendFrame', peer, frame: { kind: 'control', control } });
  }

  private emit(a: NodeAction): void {
    this.out.push(a);
  }
}

function idOf(id: PortId): { node: number; serial: number } {
  return { node: id.node, serial: id.serial };
}

function bump(m: Map<number, number>, k: number, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

function total(m: Map<number, number>): number {
  let t = 0;
  for (const v of m.values()) t += v;
  return t;
}
