import type { MachMessage } from 'mach-msg';
import { toWireMessage } from './abi-neutral.js';
import { WireError } from './errors.js';
import { type PortId, portKey } from './identity.js';
import type { NodeAction, NodeEvent, NodeTables, ReceiveStatus } from './node-events.js';
import { COPY_SEND, idOf, isDraining, MOVE_SEND_ONCE } from './port-table.js';
import type { ControlFrame } from './schemas.js';
import { oolBytes, type WireMessage } from './wire-message.js';
import { NodeMigration } from './node-migration.js';
export type { DeliveryToken, NodeAction, NodeConfig, NodeEvent, NodeTables, ReceiveStatus } from './node-events.js';

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
 *
 * The machine is built in layers, one concept a file: node-core.ts (the
 * tables and the primitives emitting actions), node-rights.ts (transfers,
 * no-senders, send-once tokens, receive rights), node-flow.ts (credit and
 * forwarding), node-migration.ts (drain, gate and FLUSH round), and this
 * file (events in, dispatch, link loss). port-table.ts holds the entry
 * types; node-events.ts the public events and actions.
 */
export class NetmsgNode extends NodeMigration {
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

  /**
   * Whether a message arriving on netmsg's receive right `name` through a
   * send-once right is netmsg's own no-senders notification. False while an
   * old home drains the port's queue (§4.5): netmsg arms its own request only
   * after the drain, so everything in the queue until then — the
   * application's notification included — is the application's and is
   * forwarded to the new home (report it as `portMessage`).
   */
  ownsNotifications(name: number): boolean {
    const e = this.byName.get(name);
    return e !== undefined && e.role === 'proxy' && !isDraining(e);
  }

  /**
   * The link's use of `maxPortsPerLink`: identities it made this node
   * allocate that are live (`learnt`) and those its admitted, not yet
   * processed messages will allocate (`reserved`). Undefined for no link.
   */
  linkPorts(peer: number): { learnt: number; reserved: number } | undefined {
    const l = this.links.get(peer);
    return l ? { learnt: l.learnt, reserved: l.reserved } : undefined;
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

  protected dispatch(ev: NodeEvent): void {
    switch (ev.type) {
      case 'linkUp':
        this.links.set(ev.peer, { peer: ev.peer, window: ev.window, queuedBytes: 0, learnt: 0, reserved: 0 });
        return;
      case 'linkDown':
        this.linkDown(ev.peer);
        return;
      case 'frame':
        if (!this.links.has(ev.peer)) return;
        if (ev.frame.kind === 'control') this.onControl(ev.peer, ev.frame.control);
        else {
          this.admit(ev.peer, ev.frame.msg);
          this.onWireMessage(ev.peer, ev.frame.msg);
        }
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
        if (e.role === 'proxy' && e.drainDeliveries > 0) {
          // A delivery that was blocked when the receive right left is now
          // at the tail of the port's queue: everything up to it goes out
          // before the FLUSH marker.
          e.drainDeliveries--;
          e.draining = ev.queued !== undefined ? Math.max(e.draining, ev.queued) : e.draining + 1;
          if (!isDraining(e)) this.endDrain(e);
        }
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

  /** A local task sent a message to a proxy or a one-shot proxy. */
  protected onPortMessage(port: number, msg: MachMessage, ool: Uint8Array[], status: Record<number, ReceiveStatus>): void {
    const so = this.soProxyByName.get(port);
    if (so) {
      // A send-once right is used exactly once: forward, then the one-shot
      // proxy is gone (Mach erases a send-once right on use).
      this.soProxyByName.delete(port);
      this.soProxyByKey.delete(so.key);
      this.unlearn(so);
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
    // A message that reached the port through a send-once right made while
    // the port was home here (the application's own no-senders notification
    // already queued when the right left, a reply) keeps that disposition:
    // it travels to the port itself as a send-once message (§4.5).
    const right = msg.header.bits.local === MOVE_SEND_ONCE ? 'sendOnce' : 'send';
    const wm = toWireMessage(msg, ool, { right, id: e.id }, (n, r) => this.exportRight(n, r, peer, status));
    this.queueOrSend(e, peer, { msg: wm, bytes: 64 + oolBytes(wm) });
    if (e.draining > 0) {
      e.draining--;
      if (!isDraining(e)) this.endDrain(e);
    }
  }

  protected override onWireMessage(peer: number, wm: WireMessage, bypassGate = false): void {
    const key = portKey(wm.dest.id);
    const target = this.destEntry(wm);
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
        const keys = this.startMigration(peer, wm);
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
    if (wm.dest.right === 'sendOnce' && !target) {
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
    if (isDraining(e)) {
      // What was already queued in the port when its receive right left
      // goes first.
      e.drainHold.push({ wm, from: peer });
      return;
    }
    this.forward(e, peer, wm);
  }

  protected onControl(peer: number, c: ControlFrame): void {
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
        this.onFlush(peer, key, c.origin);
        return;
      case 'dead': {
        const so = this.soProxyByKey.get(key);
        if (so) {
          this.soProxyByKey.delete(key);
          this.unlearn(so);
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

  protected linkDown(peer: number): void {
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
      for (const item of gate.queue) {
        const { wm } = item;
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
        this.gateReleased(item);
        this.collectDest(wm);
      }
    }
    // A migration whose marker can no longer come back: what this node
    // forwarded before the right arrived either died with the link or was
    // passed on towards the old home, so a new marker goes to the old home
    // directly (it returns behind all of that); without that link too, the
    // migration completes now.
    for (const e of [...this.byKey.values()]) {
      if (!e.migrating || e.route !== peer) continue;
      const back = e.migrateFrom;
      if (back !== undefined && back !== peer && this.links.has(back)) {
        e.route = back;
        this.forwardFlush(e, this.cfg.node);
      } else {
        this.finishMigration(e);
      }
    }
    for (const e of [...this.byKey.values()]) {
      if (!this.byKey.has(e.key)) continue;
      // Messages sent on the dead link are lost with it: their senders get
      // their credit back so nothing upstream waits for it forever.
      this.creditUpstream(e, peer, Infinity);
      e.exported.delete(peer);
      e.credit.delete(peer);
      const pend = e.pending.get(peer);
      e.pending.delete(peer);
      if (pend) {
        for (const q of pend) e.pendingBytes -= q.bytes;
        for (const q of pend) if (q.flush === undefined) this.discardQueued(peer, q.msg);
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
      this.unlearn(so);
      this.soProxyByName.delete(so.name);
      this.emit({ type: 'destroyPort', name: so.name });
    }
  }
}
