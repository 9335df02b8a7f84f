import type { MachMessage } from 'mach-msg';
import { toWireMessage } from './abi-neutral.js';
import { WireError } from './errors.js';
import { portIdOfKey, type PortId, portKey, portKeyOf, type PortKey } from './identity.js';
import type { NodeAction, NodeEvent, NodeTables, ReceiveStatus } from './node-events.js';
import { COPY_SEND, isDraining, isSendOnceNotification, MOVE_SEND_ONCE, POOL_TOKEN } from './port-table.js';
import type { ControlFrame } from './schemas.js';
import { oolBytes, type PortRef, type WireMessage } from './wire-message.js';
import { carriesReceive } from './node-core.js';
import { NodeDoomedRelease } from './node-doomed-release.js';
import { isRelayMarker, relayCredits, relayHolds } from './relay-wait.js';
export type { DeliveryToken, NodeAction, NodeConfig, NodeEvent, NodeTables, ReceiveStatus } from './node-events.js';

/** A port message's receive statuses when the driver gives none (read only; one object, not one per message). */
const NO_STATUS: Readonly<Record<number, ReceiveStatus>> = Object.freeze({});

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
 * tables and the primitives emitting actions), node-send-once.ts (relays
 * and pools for send-once rights made before a move), node-rights.ts (transfers,
 * no-senders, send-once tokens, receive rights), node-flow.ts (credit and
 * forwarding), node-migration.ts (drain, gate and FLUSH round),
 * node-dead.ts (DEAD in: what it kills, and which DEAD is stale),
 * node-lost-route.ts (a migration's marker re-sent after its route died),
 * node-lost-proxy.ts (a right arriving where its proxy died with its route),
 * node-marker-return.ts (a relay's marker turned back past a newer proxy),
 * node-gate-pins.ts (gated messages pin an entry made after them),
 * node-gate-order.ts (a gate splits no port), node-drain-back.ts (a
 * right home again before its drain ended), node-dead-crossing.ts
 * (messages that crossed a DEAD owe no credit), node-doomed-release.ts (a
 * doomed proxy gives its route's transfer back), and this file (events in,
 * dispatch, link loss). port-table.ts holds the entry
 * types; node-events.ts the public events and actions.
 */
export class NetmsgNode extends NodeDoomedRelease {
  get node(): number {
    return this.cfg.node;
  }

  /** Feed one event; returns the actions to perform, in order. */
  handle(event: NodeEvent): NodeAction[] {
    this.out = [];
    const ev = this.linkEvent(event);
    try {
      this.dispatch(ev);
      // Gated messages a receive right's leaving freed (node-flow.ts passDue).
      if (this.passDue) {
        this.passDue = false;
        this.passGated();
      }
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
    return this.nodeActions();
  }

  /** A snapshot of the tables, for audits and tests. */
  tables(): NodeTables {
    const rec = (m: Map<number, number>) => Object.fromEntries([...m].filter(([, v]) => v > 0).map(([k, v]) => [this.shownLink(k), v]));
    return {
      ports: [...this.byKey.values()].map((e) => ({
        key: e.key, role: e.role, name: e.name, exported: rec(e.exported), imported: rec(e.imported), pinned: e.pinned,
        ...(e.role === 'proxy' && e.route !== undefined ? { route: this.shownLink(e.route) } : {}),
      })),
      // (Without the placeholder entry each table keeps, node-core.ts.)
      sendOnceOut: [...this.soOut.values()].filter((s) => s.peer >= 0).map((s) => ({ key: s.key, name: s.name, peer: this.shownLink(s.peer) })),
      sendOnceProxies: [...this.soProxyByKey.values()].filter((s) => s.peer >= 0).map((s) => ({ key: s.key, name: s.name, peer: this.shownLink(s.peer) })),
      sendOnceRelays: [...this.soRelays.values()].flat().map((r) => ({ key: r.key, name: r.name, route: this.shownLink(r.route), pending: r.pending })),
      sendOncePools: [...this.soPools].map(([key, p]) => ({ key, names: [...p.names], from: this.shownLink(p.from) })),
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
    if (this.nsPorts.has(name)) return true;
    const e = this.byName.get(name);
    // A proxy whose notifications go to a dedicated port (send-once rights
    // made before its receive right moved may still send to it) owns none
    // of the send-once messages on it.
    return e !== undefined && e.role === 'proxy' && e.ownsNs && e.nsPort === undefined;
  }

  /**
   * The link's use of `maxPortsPerLink`: identities it made this node
   * allocate that are live (`learnt`) and those its admitted, not yet
   * processed messages will allocate (`reserved`). Undefined for no link.
   */
  linkPorts(peer: number): { learnt: number; reserved: number } | undefined {
    const l = this.links.get(this.linkTo(peer));
    return l ? { learnt: l.learnt, reserved: l.reserved } : undefined;
  }

  /** Spare one-shot proxy ports the links keep (`NodeConfig.spareOneShots`): receive rights netmsg holds for no identity. */
  spareOneShotCount(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.spare.length;
    return n;
  }

  /**
   * Tokens listed for a later `sweepSendOnce` (`NodeConfig.deferSendOnceRequests`):
   * the driver keeps sweeping while this is non-zero. Counts used tokens
   * too until a sweep drops them.
   */
  sendOnceAwaitingSweep(): number {
    return this.soYoung.length + this.soAging.length;
  }

  /** What netmsg's name `name` is to the machine (drivers classify notifications with it). */
  portKind(name: number): 'home' | 'proxy' | 'oneShot' | 'notify' | undefined {
    if (this.soProxyByName.has(name)) return 'oneShot';
    // A dedicated no-senders notification port: every message on it is
    // netmsg's own (report a no-senders one as `noSenders` on this name).
    if (this.nsPorts.has(name)) return 'notify';
    // A send-once relay is a proxy that forwards only send-once messages.
    if (this.soRelayByName.has(name)) return 'proxy';
    if (this.soPoolByName.has(name)) return 'home';
    return this.byName.get(name)?.role;
  }

  /**
   * Whether this node saw the identity die (a DEAD, the port's death, or a
   * link loss killing its proxy) and still remembers it (audits: a chain of
   * routes ending here was broken by that death, not by a lost count).
   */
  sawDie(key: PortKey): boolean {
    return this.tombstones.has(key) && !this.byKey.has(key);
  }

  /** The identity netmsg uses for a local name, if any (tests). */
  identityOf(name: number): PortId | undefined {
    return this.byName.get(name)?.id;
  }

  protected dispatch(ev: NodeEvent): void {
    switch (ev.type) {
      case 'linkUp': {
        const peer = this.newLink(ev.peer);
        this.links.set(peer, { peer, window: ev.window, queuedBytes: 0, learnt: 0, reserved: 0, spare: [], written: 0, seen: 0 });
        return;
      }
      case 'linkDown':
        this.linkDown(ev.peer);
        return;
      case 'frame':
        if (!this.links.has(ev.peer)) return;
        if (ev.frame.kind === 'control') this.onControl(ev.peer, ev.frame.control);
        else {
          // Counted for the DEADs this node sends on the link (their `seen`, §4.4).
          this.links.get(ev.peer)!.seen++;
          try {
            this.admit(ev.peer, ev.frame.msg);
            this.onWireMessage(ev.peer, ev.frame.msg);
          } finally {
            this.parkReservation();
          }
        }
        return;
      case 'portMessage':
        this.onPortMessage(ev.port, ev.msg, ev.ool, ev.receiveStatus ?? NO_STATUS);
        return;
      case 'noSenders':
        this.onNoSenders(ev.port, ev.mscount);
        return;
      case 'deadName':
        this.onDeadName(ev.name);
        return;
      case 'delivered': {
        const pooled = ev.token.key.startsWith(POOL_TOKEN);
        const key = pooled ? ev.token.key.slice(POOL_TOKEN.length) : ev.token.key;
        if (pooled) {
          // A late send-once message delivered through the pool: its credit
          // goes back; no entry counts it.
          const { node, serial } = portIdOfKey(key);
          this.sendControl(ev.token.peer, { t: 'credit', node, serial, n: 1 });
          return;
        }
        const e = this.byKey.get(key);
        if (!e) return;
        e.delivering = Math.max(0, e.delivering - 1);
        this.sendControl(ev.token.peer, { t: 'credit', node: e.id.node, serial: e.id.serial, n: 1 });
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
      case 'sweepSendOnce':
        this.sweepSendOnce();
        return;
      case 'importRoot': {
        const id = { node: ev.peer, serial: 0 };
        let e = this.byKey.get(portKey(id));
        if (!e) {
          const name = this.allocName();
          this.emit({ type: 'allocatePort', name });
          e = this.newEntry(id, 'proxy', name);
          e.route = this.linkTo(ev.peer);
          e.pinned = true;
        }
        this.emit({ type: 'rootImported', peer: ev.peer, name: e.name });
        return;
      }
    }
  }

  /** A local task sent a message to a proxy or a one-shot proxy. */
  protected onPortMessage(port: number, msg: MachMessage, ool: Uint8Array[], status: Record<number, ReceiveStatus>): void {
    const relay = this.soRelayByName.get(port);
    if (relay && relay.discard > 0 && isSendOnceNotification(msg)) {
      // A pool right netmsg destroyed after a `direct` (§4.5): its own.
      relay.discard--;
      return;
    }
    if (relay) {
      // One of the send-once rights made before the receive right moved:
      // its one message goes on to the port, as a send-once message.
      this.relayUsed(relay, true, isSendOnceNotification(msg));
      if (!this.links.has(relay.route)) {
        this.destroyLocal(msg, ool);
        return;
      }
      const wm = toWireMessage(msg, ool, { right: 'sendOnce', id: relay.id }, (n, r) => this.exportRight(n, r, relay.route, status));
      this.sendMessage(relay.route, wm);
      this.owesRelayCredit(relay.key, relay.route);
      return;
    }
    const so = this.soProxyByName.get(port);
    if (so) {
      // A send-once right is used exactly once: forward, then the one-shot
      // proxy is gone (Mach erases a send-once right on use).
      this.soProxyByName.delete(port);
      this.soProxyByKey.delete(so.key);
      this.unlearn(so);
      // Its one right's message is this one: nothing names the port now and
      // its queue is empty, so the link may keep it for its next send-once
      // right (NodeConfig.spareOneShots) instead of destroying it.
      const link = this.links.get(so.peer);
      if (link && link.spare.length < (this.cfg.spareOneShots ?? 0)) link.spare.push(port);
      else this.emit({ type: 'destroyPort', name: port });
      if (!link) {
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
    if (e.soDiscard > 0 && isSendOnceNotification(msg)) {
      // A pool right netmsg destroyed after a `direct` (§4.5): its own.
      e.soDiscard--;
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
    // A send-once message here used one of the send-once rights counted
    // when the receive right left (§4.5): one fewer may come.
    if (right === 'sendOnce') this.sendOnceTaken(e, isSendOnceNotification(msg));
    const wm = toWireMessage(msg, ool, { right, id: e.id }, (n, r) => this.exportRight(n, r, peer, status));
    // A message a relay put back on the port keeps its credit owed upstream (§6).
    const owedTo = e.draining > 0 && e.drainFrom.length > 0 ? e.drainFrom.shift() : undefined;
    if (owedTo !== undefined) this.edge('relayOwedCredit');
    if (owedTo === undefined) this.queueOrSend(e, peer, { msg: wm, bytes: 64 + oolBytes(wm) });
    else this.queueOrSend(e, peer, { msg: wm, bytes: 64 + oolBytes(wm), from: owedTo, putBack: true });
    if (e.draining > 0) {
      e.draining--;
      if (!isDraining(e)) this.endDrain(e);
    }
  }

  protected override onWireMessage(peer: number, wm: WireMessage, bypassGate = false): void {
    const key = portKey(wm.dest.id);
    // Answered by a DEAD this node sent: owed no credit (node-dead-crossing.ts, `unowed`, §6).
    if (!bypassGate && this.answeredByDead(peer, wm, key)) this.unowed.add(wm);
    const target = this.destEntry(wm, key);
    // An older message of this link for the port waits in the link's gate
    // (behind another receive right's round): this one goes behind it,
    // whatever became of the port since. Held for the port's own migration
    // it was put back on the port first, and the gated one came after it
    // (`1000041` with --held-rights: FIFO).
    const behindGate = !bypassGate && target !== undefined && this.gatedFor(peer, target);
    // The port's receive right is waiting here for its FLUSH: keep what
    // arrives for the new home.
    if (target && target.migrating && !behindGate) {
      this.hold(target, peer, wm);
      this.heldWithRights(peer, wm);
      return;
    }
    if (target && target.role === 'proxy' && this.arriving.has(key) && !behindGate) {
      // A message for a port whose FLUSH came back while its receive right
      // still waits in a gate here for another port's: the port is this
      // node's now, and nothing older can still come (the marker returned).
      // Held, it is put back on the port with the rest, in order. Forwarded
      // on the old route it would bounce between the old home and here
      // until the gate opened: behind younger messages (per-port FIFO), and
      // with each side waiting for the other's credit for it, so the old
      // home's proxy never went and NO SENDERS was lost (`9000211` with
      // --defer-send-once); a late send-once message would come back
      // through the old home's relay, counted there twice (`6000075`).
      this.hold(target, peer, wm);
      this.heldWithRights(peer, wm);
      return;
    }
    if (!bypassGate) {
      const gate = this.gates.get(peer);
      const local = !(target && target.role === 'proxy') || target.gatePins > 0;
      if (local) {
        const keys = this.startMigration(peer, wm);
        if (gate || keys !== undefined) {
          // Behind (or itself) a message whose receive right is still
          // settling: this link's local deliveries stay in order.
          this.pinDest(wm, 1);
          this.markArriving(wm, 1);
          const g = gate ?? { queue: [] };
          g.queue.push({ wm, waiting: keys ?? new Set() });
          this.gates.set(peer, g);
          return;
        }
      } else {
        // A receive right passing through for a port this node proxies,
        // while messages its proxy sent (its tasks', or forwarded for other
        // nodes) are still on the old route: they come back through here,
        // and a sender's next message, taken off the proxy port or arriving
        // on a link once the right went on, would overtake them (per-port
        // FIFO, §4.5 "Relay"). Gate it for this node's own FLUSH round, as
        // a right to be delivered here; it pins its destination, so the
        // link's later messages to that port wait behind it.
        const keys = this.startMigration(peer, wm, 'passing');
        if (keys !== undefined) {
          this.pinDest(wm, 1);
          this.markArriving(wm, 1);
          const g = gate ?? { queue: [] };
          g.queue.push({ wm, waiting: keys });
          this.gates.set(peer, g);
          return;
        }
      }
    }
    if (wm.dest.right === 'sendOnce' && !this.soOut.has(key)) {
      // A send-once message to the port itself, sent through a send-once
      // right made before its receive right moved (§4.5): delivered through
      // one of the send-once rights this node made when the receive right
      // arrived, or passed on by a send-once relay.
      // A relay this node left when the right passed, before it came back
      // home here: what comes from the relay's upstream goes round the
      // relays after it (each counts it), back to the pool (`3000040`).
      // Also past a proxy here that counts no send-once rights (one made
      // since, for a send right that came later): the message is not its
      // (a proxy forwards only the late messages it counts, §4.5), and
      // forwarded on its route it left the relay, which counted it,
      // waiting for ever (`48000196` with --held-rights --send-once
      // --relink, 3 nodes, links live). Only a relay that still counts a
      // late message from that upstream (relayFrom): one counting only
      // rights to its own port would be paid for a right whose message
      // comes off that port later and finds it gone (`71000265`, §4.5).
      // And past a proxy here that counts send-once rights, its own or
      // relayed from `peer`: a late message follows the receive right's
      // trail, and the relay was left on an earlier pass of the right than
      // any proxy here now (a relay is a proxy collected; the entry here
      // came later), so the message reaches it first; the proxy's count,
      // or a pool from `peer` made since, is further down the relay's path
      // (its route leads round to them). Taken there first, the relays and
      // pools between waited for ever (`65000220`, 3 nodes, and
      // `72000258`, 2 nodes, links live; §4.5).
      const upstreamRelay = this.relayFrom(key, peer);
      const round = upstreamRelay !== undefined;
      const relay = upstreamRelay ?? this.relayFor(key, peer, true);
      const pooled = round ? undefined : this.takePooled(key);
      if (pooled !== undefined) {
        this.deliverLocal(peer, wm, pooled, MOVE_SEND_ONCE, { peer, key: `${POOL_TOKEN}${key}` });
        return;
      }
      if (relay && (!target || round)) {
        this.relayUsed(relay, false);
        this.sendControl(peer, { t: 'credit', node: relay.id.node, serial: relay.id.serial, n: 1 });
        if (!this.links.has(relay.route)) {
          this.dropRemote(peer, wm);
          return;
        }
        this.relayRights(peer, relay.route, wm);
        this.sendMessage(relay.route, wm);
        this.owesRelayCredit(relay.key, relay.route);
        return;
      }
    }
    if (wm.dest.right === 'sendOnce' && !target) {
      const so = this.soOut.get(key);
      if (!so) {
        // Nothing here for it any more: destroyed as Mach destroys a message
        // to a dead port, and acknowledged, as every message that arrives
        // is (a relay's sender counts on that credit, relayOwed).
        this.dropRemote(peer, wm);
        this.sendControl(peer, { t: 'credit', node: wm.dest.id.node, serial: wm.dest.id.serial, n: 1 });
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
      // released, its send-once rights notify) and tell the sender. Its
      // `seen` tells the sender when it was sent before a receive right the
      // sender wrote here after this message: stale then for the entry that
      // right left there (§4.4, `5000038`). (Not answering under a tombstone,
      // task H's rule, came with `13000116` and `14000062`, §9: not traced.)
      this.dropRemote(peer, wm);
      this.sendControl(peer, { t: 'dead', node: wm.dest.id.node, serial: wm.dest.id.serial });
      return;
    }
    if (e.role === 'home') {
      e.delivering++;
      this.deliverLocal(peer, wm, e.name, COPY_SEND, { peer: this.creditLink(peer, wm), key });
      return;
    }
    // A proxy on the path: forward, keeping per-port order (one route). A
    // message may go back where it came from: it was sent to this node while
    // it was home, and the receive right has since moved to the sender.
    if (isDraining(e) || e.drainHold.some((h) => !relayHolds(e, h.from)) || relayHolds(e, peer)) {
      // What was already queued in the port when its receive right left
      // goes first (and what waits behind it, endDrain); at a relay, what
      // its senders had sent before the right passed (relayWait), which
      // the old home's drain passes (relay-wait.ts); from the relay's
      // route or any other sender but `upstream`, credited at once within
      // the port bound (§4.5, `relayCredits`, Task N29).
      const credited = !this.unowed.has(wm) && relayCredits(e, peer, wm, this.cfg.limits.maxQueuedBytesPerPort);
      e.drainHold.push(credited ? { wm, from: peer, credited } : { wm, from: peer });
      if (credited) this.sendControl(peer, { t: 'credit', node: e.id.node, serial: e.id.serial, n: 1 });
      // A receive right in it stays in this node's hands until the drain
      // ends: messages for that port are held here meanwhile (§4.5).
      this.markArriving(wm, 1);
      if (carriesReceive(wm)) this.edge('heldInDrain');
      this.heldWithRights(peer, wm);
      return;
    }
    this.forward(e, peer, wm);
  }

  protected onControl(peer: number, c: ControlFrame): void {
    const key = portKeyOf(c.node, c.serial);
    switch (c.t) {
      case 'credit':
        this.onCredit(peer, key, c.n);
        return;
      case 'release': {
        // Transfers of a proxy that died here come back first (§4.4).
        let n = c.n;
        const f = this.forgotten.get(key);
        const owed = f?.get(peer) ?? 0;
        if (owed > 0) {
          const k = Math.min(n, owed);
          n -= k;
          if (owed - k > 0) f!.set(peer, owed - k);
          else {
            f!.delete(peer);
            if (f!.size === 0) this.forgotten.delete(key);
            this.endCrossing(key, peer);
          }
        }
        const e = this.byKey.get(key);
        if (!e || n === 0) return;
        const have = e.exported.get(peer) ?? 0;
        if (n > have) throw new WireError('out_of_state', `release of ${n} transfers of ${key}, ${have} outstanding`);
        e.exported.set(peer, have - n);
        this.tryCollect(e);
        return;
      }
      case 'flush': {
        // A relay's own marker back (relayWait): what came before it on its
        // link and waits in that link's gate is older, and the relay's
        // senders' next messages wait for it (resumeIfFree, §4.5).
        const r = this.byKey.get(key);
        if (r && isRelayMarker(r, this.cfg.node, c.origin, c.round)) this.markGated(r, this.gates.get(peer));
        if (c.via !== undefined && this.passToLostRoute(peer, key, c.origin, c.via, c.bounced === true, c.round)) return;
        this.onFlush(peer, key, c.origin, c.broken === true, c.bounced === true, c.round);
        return;
      }
      case 'direct':
        this.onDirect(peer, key, c.n, c.origin);
        return;
      case 'dead':
        this.onDead(peer, key, c.seen);
        return;
    }
  }

  protected linkDown(peer: number): void {
    const lost = this.links.get(peer);
    if (!lost) return;
    this.links.delete(peer);
    for (const [k, m] of [...this.relayOwed]) if (m.delete(peer) && m.size === 0) this.relayOwed.delete(k);
    // No credit goes back on a lost link: its budget past the port bound goes with it.
    this.heldPast.delete(peer);
    // The link's spare one-shot ports: nothing names them, they go with it.
    for (const name of lost.spare) this.emit({ type: 'destroyPort', name });
    lost.spare = [];
    // Nothing more comes on the lost link: what it owed is gone with it.
    for (const [k, f] of [...this.forgotten]) {
      f.delete(peer);
      if (f.size === 0) this.forgotten.delete(k);
      // A crossing is open only while the link's transfers are forgotten (node-dead-crossing.ts).
      this.endCrossing(k, peer);
    }
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
            if (e && (e.migrating || e.held.length > 0) && !this.arriving.has(e.key)) {
              e.migrating = false;
              this.releaseHeld(e);
            }
          }
        }
        this.dropRemote(peer, wm);
        this.gateReleased(item);
        this.collectDest(wm);
      }
    }
    // A right in our hands came on the lost link, and so would its late send-once messages: as for a pool from it (below, §4.5).
    for (const e of this.byKey.values()) if (e.migrating && e.migrateFrom === peer) e.soLost = true;
    // A migration whose marker can no longer come back: what this node
    // forwarded before the right arrived either died with the link or was
    // passed on by the link's far end towards the old home, so a new marker
    // goes to the node the right came from naming that far end, which sends
    // it down its route behind all of that (node-lost-route.ts); without
    // that link too, the migration completes now.
    // Its own marker coming home over the lost link died with it (node-lost-route.ts).
    this.reflushOnLoss(peer);
    for (const e of [...this.byKey.values()]) {
      if (!e.migrating || e.route !== peer) continue;
      const back = e.migrateFrom;
      if (back !== undefined && back !== peer && this.links.has(back)) {
        e.route = back;
        this.reflushAfterLoss(e, peer);
      } else {
        this.finishMigration(e);
      }
    }
    for (const e of [...this.byKey.values()]) {
      if (!this.byKey.has(e.key)) continue;
      // A proxy routed over it dies: what it sent there may be beyond (node-lost-proxy.ts).
      this.noteLostRoute(e, peer);
      // Messages sent on the dead link are lost with it: their senders get
      // their credit back so nothing upstream waits for it forever.
      this.creditUpstream(e, peer, Infinity);
      e.exported.delete(peer);
      e.credit.delete(peer);
      const pend = e.pending.get(peer);
      e.pending.delete(peer);
      if (pend) {
        for (const q of pend) e.pendingBytes -= q.bytes;
        for (const q of pend) {
          if (q.flush !== undefined) continue;
          // Its credit is still owed upstream (§6, end to end): paid nowhere,
          // the sender's window shrank for good (`349001124`, --relink).
          if (q.from !== undefined && q.from !== peer && this.links.has(q.from)) this.sendControl(q.from, { t: 'credit', node: e.id.node, serial: e.id.serial, n: 1 });
          this.discardQueued(peer, q.msg);
        }
      }
      if (!this.byKey.has(e.key)) continue;
      // A relay's marker went up the lost link: what it waited for is lost with it.
      if (e.relayWait && e.upstream === peer) this.endRelayWait(e);
      if (!this.byKey.has(e.key)) continue;
      // A relay's way back to the old home is lost (node-send-once.ts).
      if (e.role === 'proxy' && e.soRelayed && e.soPending > 0 && e.upstream === peer) this.relayLost(e);
      if (e.role === 'proxy') {
        e.imported.delete(peer);
        if (e.route === peer && this.arriving.has(e.key)) {
          // Its receive right is in this node's hands, in a message held
          // here for another port that outlives the link (§4.5, "Held for
          // another port"): the port lives, and will be home here. Its
          // local senders and what was held for it are the live port's;
          // killed, they became dead names and destroyed messages while the
          // port lived. It waits, paused and routeless, for the right.
          e.route = undefined;
          this.edge('keptOnLinkLoss');
          continue;
        }
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
      this.resumeIfFree(e);
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
    // A send-once relay routed over the lost link: its send-once rights die
    // with it (dead names), as every right that depended on the link.
    for (const r of [...this.soRelays.values()].flat()) {
      if (r.route === peer) this.dropRelay(r);
      // The way back to the old home is lost: its late messages cannot
      // come; it makes them as notifications on its port (node-send-once.ts),
      // less those that came and are held here (heldLate).
      else if (r.upstream === peer) this.relayUpstreamLost(r, peer);
    }
    // The late send-once messages a pool waited for can no longer come:
    // its rights are destroyed unused, so the port gets Mach's send-once
    // notification for each, as a destroyed send-once right gives.
    for (const [key, pool] of [...this.soPools]) if (pool.from === peer) this.dropPool(key);
    this.returnLostMarkers(peer, this.dropMarkerPaths(peer));
  }
}
