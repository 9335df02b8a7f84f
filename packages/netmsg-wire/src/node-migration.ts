import { portIdOfKey, portKey, type PortKey } from './identity.js';
import type { ReceiveStatus } from './node-events.js';
import { carriesReceive, NodeCore, roundField } from './node-core.js';
import { bump, flushPlaceholder, type Gate, type GateItem, isDraining, type PortEntry } from './port-table.js';
import { namesOf, type PortRef, type ReceiveState, type WireMessage } from './wire-message.js';
import { NodeFlow } from './node-flow.js';
import { holdsFromRoute, isRelayMarker, relayHolds } from './relay-wait.js';

/**
 * Receive-right migration (PROTOCOL.md §4.5): the receive right leaving
 * its old home and the old home's drain, the new home's gate and FLUSH
 * round, and the markers passing through.
 */
export abstract class NodeMigration extends NodeFlow {
  /** Defined by the machine itself (node.ts). */
  protected abstract onWireMessage(peer: number, wm: WireMessage, bypassGate?: boolean): void;

  /** A receive right leaves: this node stops being home and becomes a proxy. */
  protected override exportReceive(name: number, peer: number, st: ReceiveStatus | undefined): PortRef {
    const status = st ?? { mscount: 0, qlimit: 5 };
    let e = this.byName.get(name);
    if (e && e.role === 'home') {
      // netmsg held a send right on this name; with the receive right the
      // name now denotes both, and netmsg must never hold both or no-senders
      // never fires (seed §1.7 invariant): drop the send right (a home that
      // came without senders has none).
      if (!this.sendless.delete(e.key)) this.emit({ type: 'deallocate', name });
      e.role = 'proxy';
    } else {
      // A name netmsg has no entry for (a proxy name cannot reach a task).
      e = this.newEntry(this.freshId(), 'proxy', name);
    }
    e.route = peer;
    // The port's queue is the application's until netmsg arms its own request.
    e.ownsNs = false;
    // Hold everything for the port on this link until the carrying message
    // itself is written (sendMessage opens the gate).
    e.handoff = peer;
    // Messages still in the port's queue (and deliveries on their way into
    // it) go out after the receive right; a FLUSH waits behind them.
    e.draining = status.queued ?? 0;
    e.drainDeliveries = e.delivering;
    // Messages for it waiting in a link's gate were, for their senders,
    // already sent to the port: they too go before the marker.
    this.markGates(e);
    e.makeSends = status.mscount;
    e.localSenders = true;
    // No send right anywhere (§4.5): the new home will hold no send right of
    // its own (netmsg's, dropped later, would be a drop to no senders one
    // Mach kernel never has: a re-armed request would fire twice for one
    // make-send count). The transfer is still counted: it keeps the new
    // home's identity while this proxy (or its send-once relay) exists.
    const senders = status.senders !== false;
    // Send-once rights made while the port was here still send to it; each
    // one's message is forwarded, and the new home delivers it through a
    // send-once right it makes for it (§4.5).
    e.soPending = status.sendOnce ?? 0;
    e.soRelayed = false;
    e.soOwn = 0;
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
      // The sync the new home arms the request with (Mach keeps none once a
      // request is armed): 0 while netmsg's own send right stands for the
      // senders (the request fires on the next drop to none); with no sender
      // at all, mscount + 1, so it waits for a new make-send as Mach's armed
      // request would. That value also tells the new home to hold no send
      // right of its own (sendlessState).
      noSendersSync: senders ? 0 : status.mscount + 1,
    };
    if (e.soPending > 0) state.soRights = e.soPending;
    return { tag: 'port', right: 'receive', id: e.id, state };
  }

  /**
   * A message to deliver here carries a receive right for a port this node
   * proxies: messages this node forwarded to the old home may still be
   * coming back, and the old home may still hold queued ones. Hold the
   * message (and this link's later local deliveries) and send a FLUSH marker
   * round the route; when it returns, everything older is here.
   */
  protected startMigration(peer: number, wm: WireMessage, mode: 'gate' | 'held' | 'passing' = 'gate'): Set<PortKey> | undefined {
    const passing = mode === 'passing';
    // Undefined when the message carries no such right (every RPC): no set.
    let keys: Set<PortKey> | undefined;
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        if (ref.tag !== 'port') continue;
        const key = portKey(ref.id);
        let e = this.byKey.get(key);
        // A right passing through (`passing`, relayRights) needs a round
        // only for a proxy of this node's whose messages are still on the
        // old route (unacknowledged credit): nothing else of it can be
        // overtaken.
        if (passing && (!e || !this.inFlight(e))) continue;
        if (!e) {
          // First time this node sees the port: the old home may still be
          // draining messages that were queued in it, which must reach the
          // port before anything sent to it here. Wait for them exactly as
          // a proxy does: a port that is a proxy (no counted transfer, no
          // senders) routed to the old home until the marker returns.
          // Also when a tombstone says this node's proxy died: a receive
          // right in hand proves the port lives (Mach destroys a receive
          // right only with its port), so the proxy died with a lost link,
          // not with the port. Without the entry the old home's transfer
          // was not counted on arrival, and its RELEASE, overtaking the
          // held right, found nothing: netmsg kept its send right when the
          // right was delivered and NO SENDERS was lost (`3000155` with
          // --held-rights, link loss).
          const name = this.allocName();
          this.emit({ type: 'allocatePort', name });
          e = this.newEntry(ref.id, 'proxy', name);
          this.learn(e, peer);
          this.useReservation(wm);
          e.route = peer;
          if (mode === 'held') this.edge('heldNewEntry');
        }
        if (e && e.role === 'proxy' && !e.migrating && !e.flushed && this.routeOf(e) !== undefined) (keys ??= new Set()).add(e.key);
      }
    }
    if (keys === undefined) return undefined;
    if (mode !== 'gate') this.edge(passing ? 'relayRound' : 'heldRound');
    for (const k of keys) {
      const e = this.byKey.get(k)!;
      e.migrating = true;
      e.round = ++this.rounds;
      e.migrateFrom = peer;
      if (!e.receiveCounted) {
        bump(e.exported, peer, 1);
        e.receiveCounted = true;
      }
      // An old home whose right comes back before its drain ended (it went
      // on through a relay and is held here for another port): the drain
      // goes on (the port is paused when it ends, endDrain) and the marker
      // follows it, so the drained messages, which come back this way, are
      // held here before the round ends. Sent at once, the marker came back
      // ahead of them, and the right was made home with its drain (and what
      // waited behind it) unfinished for ever (`22000277` with --held-rights).
      // A relay still waiting for its senders' older messages (relayWait):
      // they come down from its upstream, so the round follows them too.
      const draining = isDraining(e) || e.drainHold.length > 0 || e.relayWait;
      if (!e.paused && !draining) {
        e.paused = true;
        this.emit({ type: 'pausePort', name: e.name });
      }
      if (draining) e.flushWait.push({ origin: this.cfg.node, round: e.round });
      else this.forwardFlush(e, this.cfg.node, undefined, e.round);
    }
    return keys;
  }

  /**
   * A message carrying receive rights is held here for another port (its
   * migration hold, or an old home's drain) instead of waiting in its link's
   * gate. Each right is in this node's hands all the same, so it gets what
   * a gated one gets (§4.5, "Held for another port"): an entry if the node
   * had none — else what arrives for the port meanwhile (the old home's
   * drain, its senders' next messages) found no entry and was destroyed as
   * sent to a dead port, with DEAD back killing the old home's proxy while
   * the port lives — and its own FLUSH round, so messages this node
   * forwarded towards the old home before the right came are back before it
   * is delivered (`heldRightsMigrating` keeps the gate closed till then).
   */
  protected heldWithRights(peer: number, wm: WireMessage): void {
    if (!carriesReceive(wm)) return;
    this.edge('heldRight');
    this.startMigration(peer, wm, 'held');
  }

  /**
   * Whether a receive right that a gated message would deliver here has,
   * in the messages held for its port (recursively), a receive right whose
   * own FLUSH has not come back: those held messages are put back on the
   * port, and their rights made home, when the gated message is delivered.
   */
  protected heldRightsMigrating(wm: WireMessage, seen = new Set<PortKey>()): boolean {
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        if (ref.tag !== 'port') continue;
        const key = portKey(ref.id);
        if (seen.has(key)) continue;
        seen.add(key);
        const e = this.byKey.get(key);
        if (!e) continue;
        for (const h of e.held) {
          if (this.carriesMigrating(h.wm) || this.heldRightsMigrating(h.wm, seen)) return true;
        }
      }
    }
    return false;
  }

  /** Whether some message this proxy sent on a live link is not yet acknowledged by credit (§6). */
  protected inFlight(e: PortEntry): boolean {
    for (const [p, c] of e.credit) {
      const link = this.links.get(p);
      if (link && c < link.window) return true;
    }
    return false;
  }

  private carriesMigrating(wm: WireMessage): boolean {
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) if (ref.tag === 'port' && this.byKey.get(portKey(ref.id))?.migrating) return true;
    }
    return false;
  }

  /** Whether link `peer`'s gate holds a message for the port of `e` (it pins `e`, pinDest). */
  protected gatedFor(peer: number, e: PortEntry): boolean {
    if (e.gatePins === 0) return false;
    const gate = this.gates.get(peer);
    return gate !== undefined && gate.queue.some((item) => this.destEntry(item.wm) === e);
  }

  /**
   * A held message keeps its destination alive as a delivery in progress
   * would: a RELEASE overtaking it must not collect the home entry.
   */
  protected pinDest(wm: WireMessage, n: number): void {
    const d = this.destEntry(wm);
    if (d) d.gatePins = Math.max(0, d.gatePins + n);
  }

  protected collectDest(wm: WireMessage): void {
    const d = this.byKey.get(portKey(wm.dest.id));
    if (d) this.tryCollect(d);
  }

  protected forwardFlush(e: PortEntry, origin: number, via?: number, round?: number): void {
    const route = this.routeOf(e);
    if (route === undefined) return;
    const pend = e.pending.get(route);
    if ((pend && pend.length > 0) || e.handoff === route) {
      // Behind what waits here for the port (and behind the receive right
      // itself while it has not left): the marker must not overtake them.
      let list = pend;
      if (!list) e.pending.set(route, (list = []));
      list.push({ msg: flushPlaceholder(e.id), bytes: 0, flush: origin, ...(via !== undefined ? { via } : {}), ...roundField(round) });
    } else {
      this.sendControl(route, { t: 'flush', node: e.id.node, serial: e.id.serial, origin, ...(via !== undefined ? { via } : {}), ...roundField(round) });
    }
  }

  /**
   * Markers passed to or from a lost link come back by neither: the
   * records go. Those passed on to it (their way back still live) are
   * returned, for `returnLostMarkers` once the link's entries are gone.
   */
  protected dropMarkerPaths(peer: number): LostMarker[] {
    const lost: LostMarker[] = [];
    for (const [k, l] of [...this.markerPath]) {
      for (const x of l) {
        if (x.to !== peer || x.back === peer) continue;
        const at = k.lastIndexOf('@');
        lost.push({ key: k.slice(0, at) as PortKey, origin: Number(k.slice(at + 1)), back: x.back, n: x.n, round: x.round });
      }
      const kept = l.filter((x) => x.to !== peer && x.back !== peer);
      if (kept.length === 0) this.markerPath.delete(k);
      else this.markerPath.set(k, kept);
    }
    return lost;
  }

  /**
   * Markers this node passed on over a lost link come back as if that link
   * had returned them: each may have died with it (lost in flight, or
   * passed back to this node's side only over it), and its origin's
   * migration waited for it for ever (`2000074` with --held-rights, length
   * 320, link loss: a relay passed the marker up to the old home over the
   * link that then died). One that got through still comes; the origin
   * ignores a marker of its own once its migration is done. After the
   * link's entries went (killed proxies leave tombstones), so one whose
   * chain died there comes back `broken` (onFlush).
   */
  protected returnLostMarkers(peer: number, lost: LostMarker[]): void {
    for (const m of lost) {
      if (!this.links.has(m.back)) continue;
      for (let i = 0; i < m.n; i++) {
        const k = `${m.key}@${m.origin}`;
        let l = this.markerPath.get(k);
        if (!l) this.markerPath.set(k, (l = []));
        l.push({ to: peer, back: m.back, n: 1, ...roundField(m.round) });
        this.edge('lostMarkerBack');
        this.onFlush(peer, m.key, m.origin, false, false, m.round);
      }
    }
  }

  protected notePath(key: PortKey, origin: number, to: number, back: number, round?: number): void {
    // Passed to its origin, a marker ends there (the origin finishes its
    // round or drops it, and never passes its own marker on): no way back.
    if (to === this.linkTo(origin)) return;
    const k = `${key}@${origin}`;
    let l = this.markerPath.get(k);
    if (!l) this.markerPath.set(k, (l = []));
    const same = l.find((x) => x.to === to && x.back === back);
    // The latest round counted stands for the record's markers (§4.5).
    if (same !== undefined) {
      same.n++;
      if (round !== undefined) same.round = round;
    } else l.push({ to, back, n: 1, ...roundField(round) });
    // A marker that reaches its origin another way (a node nearer to it)
    // never comes back here: bounded like the tombstones, oldest first.
    if (this.markerPath.size > NodeCore.MAX_TOMBSTONES) this.markerPath.delete(this.markerPath.keys().next().value!);
  }

  protected onFlush(peer: number, key: PortKey, origin: number, broken = false, bounced = false, round?: number): void {
    const e = this.byKey.get(key);
    // A marker straight from its origin is a new round of the origin's.
    // A node has one marker of its own out for a port at a time (its round
    // waits for its relay's marker, and the right waits for its round), so
    // every marker passed on here for that port and origin has come back
    // to it: their records would only ever be stale (a marker that took a
    // shorter way back never comes here). Under link loss the origin may
    // flush again with an older marker still out; that one is no longer
    // waited for.
    if (peer === this.linkTo(origin)) this.markerPath.delete(`${key}@${origin}`);
    // A marker this node passed on, coming back the same way.
    const ret = this.takeMarkerPath(key, origin, peer);
    // The relay's marker (relayWait) is back: while it waits, this node's
    // own round waits too (startMigration), so it sends no other marker for
    // the port. It may come back by another link than it left on, when the
    // right went round a cycle of nodes (`3000067`). An earlier round's
    // marker of this node's may still be out: it is dropped below (§4.5).
    if (e && isRelayMarker(e, this.cfg.node, origin, round)) {
      this.endRelayWait(e);
      return;
    }
    if (e?.relayWait && origin === this.cfg.node) this.edge('staleRelayMarker');
    if (!e || e.role !== 'proxy') {
      // Nothing of the port is here any more, so nothing older can follow:
      // the marker goes straight back (or back the way it came, when the
      // origin is not a neighbour: a relay passes it on down its route).
      // If the port died here (a link loss killed this node's proxy), every
      // proxy routed through here is doomed: say so, because this marker
      // may reach the origin before the DEAD this node sent down the route.
      // Sent back by a node in the same state (`bounced`), it is dropped:
      // neither knows the port nor reaches the origin, and between two such
      // nodes it went back and forth for ever (`4000281`, `3000080` with
      // --held-rights and link loss: no quiescence), never reaching the
      // origin either; a migration whose route died finishes or flushes
      // again by the link the right came on.
      const direct = this.links.has(this.linkTo(origin));
      if (origin === this.cfg.node) return;
      const { node, serial } = portIdOfKey(key);
      if (!direct && ret !== undefined && this.links.has(ret.back)) {
        this.sendControl(ret.back, { t: 'flush', node, serial, origin, ...(broken || (!e && this.tombstones.has(key)) ? { broken: true as const } : {}), ...roundField(round) });
        return;
      }
      if (!direct && bounced) return;
      const dead = broken || (!e && this.tombstones.has(key));
      // Unrecorded, from a node other than the origin: back the way it came (`bounced`), to the relay that sent it up, which
      // by its record passes it down its route behind what it sent there, the origin's older ones among them (§4.5 (b); `10000031`).
      if (!e && !dead && direct && !bounced && peer !== this.linkTo(origin) && ret === undefined) {
        this.edge('markerRetraced');
        this.sendControl(peer, { t: 'flush', node, serial, origin, bounced: true, ...roundField(round) });
        return;
      }
      const back = direct ? this.linkTo(origin) : peer;
      if (this.links.has(back)) this.sendControl(back, { t: 'flush', node, serial, origin, ...(dead ? { broken: true as const } : {}), ...(direct ? {} : { bounced: true as const }), ...roundField(round) });
      return;
    }
    if (origin === this.cfg.node) {
      // A marker of an earlier migration of this node's (one of a round
      // re-sent at a link loss, another of which finished it) says nothing
      // of this one's route (`test/marker-rounds.test.ts`, §4.5).
      if (e.migrating && round !== undefined && e.round !== undefined && round !== e.round) this.edge('earlierRound');
      else if (e.migrating) {
        if (broken && e.route !== e.migrateFrom) this.chainDied(e, e.route);
        this.finishMigration(e);
      }
      return;
    }
    // Messages for the port that came on the marker's link before it and
    // wait in that link's gate are older than the marker: it goes behind.
    this.markGated(e, this.gates.get(peer));
    // Messages a relay holds for its own marker (relayWait) are younger than
    // every marker passing: they do not hold one back (nor turn it round).
    // Bound down the route, it also waits behind the new home's own
    // messages a relay holds (relay-wait.ts `holdsFromRoute`).
    const up = peer === e.route && e.upstream !== peer && e.upstream !== undefined && this.links.has(e.upstream) ? e.upstream : undefined;
    if (isDraining(e) || e.drainHold.some((h) => !relayHolds(e, h.from)) || (up === undefined && holdsFromRoute(e))) {
      e.flushWait.push({ origin, round });
      this.passGated();
    } else if (up !== undefined) {
      this.sendControl(up, { t: 'flush', node: e.id.node, serial: e.id.serial, origin, ...roundField(round) });
      if (ret === undefined) this.notePath(key, origin, up, peer, round);
    } else {
      const to = this.routeOf(e);
      // Passed on to `peer` and back from it, while the port's route now
      // leads there too (the right went that way since): sent on by the
      // route, it went back and forth between the two nodes for ever, and
      // the relay it was for waited for ever (`108000404`, link loss). It
      // goes back the way it came, as where the port's entry is gone.
      if (ret !== undefined && to === peer && ret.back !== peer && this.links.has(ret.back)) this.sendControl(ret.back, { t: 'flush', node: e.id.node, serial: e.id.serial, origin, ...roundField(round) });
      else this.forwardFlush(e, origin, undefined, round);
      if (ret === undefined && to !== undefined && to !== peer) this.notePath(key, origin, to, peer, round);
    }
  }

  /** Make the port's FLUSH markers wait for its messages in `gate`. */
  protected override markGated(e: PortEntry, gate: Gate | undefined): void {
    if (!gate) return;
    for (const item of gate.queue) {
      if (item.drainOf === undefined && this.destEntry(item.wm) === e) {
        item.drainOf = e.key;
        e.gateWait++;
      }
    }
  }

  /** A gated message the old home's drain waited for has gone its way. */
  protected gateReleased(item: GateItem): void {
    if (item.drainOf === undefined) return;
    const e = this.byKey.get(item.drainOf);
    if (!e || e.gateWait === 0) return;
    e.gateWait--;
    if (!isDraining(e)) this.endDrain(e);
  }

  /**
   * The proxy that is about to become the port's home turned out to hang off
   * a chain a link loss broke (DEAD from its route, or its marker came back
   * `broken`). Its local senders' rights were doomed the moment the link
   * died — Mach makes them dead names — so they must not turn into send
   * rights to the live port when the receive right is delivered under the
   * proxy's name: the proxy port is destroyed (dead names, dead-name
   * notifications, its queued messages destroyed as Mach destroys a dead
   * port's queue), downstream nodes hear DEAD, and the arriving right gets
   * a fresh port. The transfer counted for the old home stays.
   */
  protected chainDied(e: PortEntry, route: number | undefined): void {
    if (isDraining(e)) return;
    const old = e.name;
    this.emit({ type: 'destroyPort', name: old });
    this.dropNsPort(e);
    e.soPending = 0;
    this.byName.delete(old);
    const name = this.allocName();
    this.emit({ type: 'allocatePort', name });
    e.name = name;
    this.byName.set(name, e);
    this.emit({ type: 'pausePort', name });
    e.paused = true;
    e.makeSends = 0;
    e.localSenders = false;
    e.nsArmed = false;
    this.forget(e, (p) => p !== e.migrateFrom);
    for (const [p, n] of [...e.exported]) {
      if (p === e.migrateFrom || n === 0) continue;
      this.sendControl(p, { t: 'dead', node: e.id.node, serial: e.id.serial });
      e.exported.delete(p);
    }
    if (route !== undefined) {
      e.imported.delete(route);
      e.credit.delete(route);
      e.sentFrom.delete(route);
    }
    for (const [p, list] of [...e.pending]) {
      const link = this.links.get(p);
      for (const q of list) {
        if (link) link.queuedBytes -= q.bytes;
        e.pendingBytes -= q.bytes;
        if (q.flush === undefined) this.discardQueued(p, q.msg);
      }
      e.pending.delete(p);
    }
  }

  /** The FLUSH came back (or the route died): deliver the held message. */
  protected finishMigration(e: PortEntry): void {
    e.migrating = false;
    e.flushed = true;
    for (const gate of this.gates.values()) for (const item of gate.queue) item.waiting.delete(e.key);
    for (const [peer, gate] of [...this.gates]) {
      while (gate.queue.length > 0 && gate.queue[0]!.waiting.size === 0) {
        if (this.heldRightsMigrating(gate.queue[0]!.wm)) {
          this.edge('gateWaitsHeld');
          break;
        }
        if (this.keptForPort(gate.queue, 0)) break;
        const item = gate.queue.shift()!;
        const { wm } = item;
        if (carriesReceive(wm) && this.destEntry(wm)?.role === 'proxy') this.edge('gatePassesRight');
        this.pinDest(wm, -1);
        this.markArriving(wm, -1);
        // Its receive rights are delivered here, or pass through (a relay
        // puts what was held for them back on the port and drains it after
        // the right, relayRights), or stay in this node's hands inside a
        // message held for another port (hold, drainHold): then what
        // arrives for them is still held, and what was held stays (§4.5).
        // Sent back on the old route, it bounced off the old home and came
        // behind younger messages of its sender.
        this.onWireMessage(peer, wm, true);
        this.gateReleased(item);
        this.collectDest(wm);
      }
      if (gate.queue.length === 0 && this.gates.get(peer) === gate) this.gates.delete(peer);
    }
    // A drain's held messages that waited for this round (endDrain) go on.
    for (const x of [...this.byKey.values()]) if (x.drainHold.length > 0 && !isDraining(x)) this.endDrain(x);
    this.passGated();
  }

  /**
   * A gated message for a port whose receive right has since left this node
   * (an old home's drain waits for it, `drainOf`) leaves its gate ahead of
   * older messages that name none of the ports it names (its destination,
   * the rights it carries), once the receive rights it carries have had
   * their FLUSH rounds: only per-port order and the rights earlier messages
   * install bind it, and neither applies. Kept behind a head that waits for another receive right's
   * FLUSH round, it deadlocked crossing migrations: that round's marker
   * waited for this port's drain, which waited for this message (§4.5,
   * "Crossing migrations"; `5000039` with --held-rights).
   */
  protected passGated(): void {
    for (const [peer, gate] of [...this.gates]) {
      for (let i = 1; i < gate.queue.length; ) {
        const item = gate.queue[i]!;
        if ((item.drainOf === undefined && !this.forwardedFrom(item)) || item.waiting.size > 0 || !this.mayPass(gate.queue, i) || this.keptForPort(gate.queue, i)) {
          i++;
          continue;
        }
        gate.queue.splice(i, 1);
        this.edge('gatePassed');
        const { wm } = item;
        this.pinDest(wm, -1);
        this.markArriving(wm, -1);
        this.onWireMessage(peer, wm, true);
        this.gateReleased(item);
        this.collectDest(wm);
      }
      if (gate.queue.length === 0 && this.gates.get(peer) === gate) this.gates.delete(peer);
    }
  }

  /**
   * Whether a gated message is one this node only forwards: its port is a
   * proxy here, not about to be home (no receive right for it in this
   * node's hands). It waits in the gate only behind an older message for
   * the same port (gatePins); per-port order binds nothing else, so it may
   * pass older messages as a drained one does (`8000084` with
   * --held-rights, two nodes: credit for such messages, returned only when
   * they left the gate, was what the other node's FLUSH waited for, behind
   * a head waiting for a round that waited for that node's drain).
   */
  private forwardedFrom(item: GateItem): boolean {
    const d = this.destEntry(item.wm);
    return d !== undefined && d.role === 'proxy' && !d.migrating && !d.flushed && !this.arriving.has(d.key) && this.routeOf(d) !== undefined;
  }

  /**
   * Whether gated message `i` may leave before the older ones in its gate
   * (passGated). Mach orders messages per port only, so what binds it to an
   * older message is a port both name in a way whose order the node's
   * tables see: the same destination (per-port FIFO), or a receive right
   * one of them installs (or moves on) while the other names the port
   * otherwise than by a plain send right, or any send-once right. A plain
   * send right binds nothing: the node counts it on whatever entry it has
   * for the port when it comes (a proxy releases it at once, a home adds a
   * reference, a relay passes it on counted; the entry exists, as a message
   * for the port reached this node only behind a counted transfer), and the
   * application gets the same port under the same name either way. Kept in
   * order, a send right ahead of a drained message that carries (or is sent
   * to) that port deadlocked crossing migrations (`18000075`, `1000174` with
   * --held-rights, two nodes).
   */
  private mayPass(queue: GateItem[], i: number): boolean {
    const wm = queue[i]!.wm;
    if (this.carriesMigrating(wm) || this.heldRightsMigrating(wm)) return false;
    const mine = namesOf(wm);
    for (let j = 0; j < i; j++) {
      for (const [k, how] of namesOf(queue[j]!.wm)) {
        const other = mine.get(k);
        if (other === undefined) continue;
        for (const a of how) for (const b of other) if (a !== 'send' && b !== 'send') return false;
      }
    }
    return true;
  }

  /** Messages held for a receive right that will not be home here: forwarded on the route. */
  protected releaseHeld(e: PortEntry): void {
    const held = this.takeHeld(e);
    for (const h of held) {
      this.markArriving(h.wm, -1);
      this.forward(e, h.from, h.wm, h.credited ? -1 : h.from);
    }
  }

  /**
   * A receive right passed through this node (a relay, §4.6) that proxied
   * the port: its senders' (local, or behind other links) older messages
   * may still be in the old home's queue, whose drain comes down through
   * here after the right, while their next ones would go straight to the
   * new home (per-port FIFO; `1000136` with --held-rights). A FLUSH marker
   * of this node's goes up `upstream`; every node there passes it on behind
   * what it has for the port (the old home behind its drain), so when it
   * is back, all of that came down through here. Until then the proxy port
   * stays paused and messages from links other than upstream (the route
   * too, relay-wait.ts) wait in `drainHold` (§4.5, "A relay's senders behind
   * the old home's queue"). Only senders wait, not the right, nor a marker
   * (but one bound down the route, behind the route's held messages):
   * gating the right for this round deadlocked crossing rights (`7000213`).
   * A tombstone (a proxy that died here with a link, `287000887`) counts as a
   * proxy; a right going back to `upstream` waits too (`331001082`, §4.5).
   */
  protected relayWaits(e: PortEntry, to: number, hadProxy: boolean): void {
    const up = e.upstream;
    if (!(hadProxy || this.tombstones.has(e.key)) || e.role !== 'proxy' || up === undefined || !this.links.has(up)) return;
    this.edge('relayWaits');
    e.relayWait = true;
    if (!e.paused && !isDraining(e)) {
      e.paused = true;
      this.emit({ type: 'pausePort', name: e.name });
    }
    // A round of its own (§4.5): a stale migration marker of this node's
    // ended the wait early (`test/relay-marker-round.test.ts`).
    e.relayRound = ++this.rounds;
    this.sendControl(up, { t: 'flush', node: e.id.node, serial: e.id.serial, origin: this.cfg.node, round: e.relayRound });
  }

  /** The relay's marker is back (or its upstream link died): its senders go on. */
  protected endRelayWait(e: PortEntry): void {
    e.relayWait = false;
    e.relayRound = undefined;
    if (!isDraining(e)) this.endDrain(e);
    this.resumeIfFree(e);
    this.tryCollect(e);
  }

  /** The old home's queue is drained: what waited behind it follows. */
  protected endDrain(e: PortEntry): void {
    if (this.lostAfterDrain.delete(e)) this.relayLost(e);
    // A relay's senders' messages wait for its marker (relayWait) in order;
    // its upstream's (the old home's drain) go on.
    const kept: PortEntry['drainHold'] = [];
    while (e.drainHold.length > 0) {
      const h = e.drainHold[0]!;
      if (relayHolds(e, h.from)) {
        kept.push(e.drainHold.shift()!);
        continue;
      }
      // A receive right in it (or in a message held here for that right's
      // port, recursively) whose own FLUSH round is not back stays in this
      // node's hands until it is (finishMigration calls again): passed on
      // now, it was made home here for an instant and sent on from its
      // port's queue before what this node had sent on the old route came
      // back, so that came behind younger messages (per-port FIFO, §4.5
      // "Held for another port"), as for a gated right (heldRightsMigrating).
      if (this.carriesMigrating(h.wm) || this.heldRightsMigrating(h.wm)) {
        this.edge('drainWaitsRound');
        e.drainHold.unshift(...kept);
        return;
      }
      e.drainHold.shift();
      this.markArriving(h.wm, -1);
      this.forward(e, h.from, h.wm, h.credited ? -1 : undefined);
    }
    e.drainHold = kept;
    if ((e.migrating || e.relayWait) && !e.paused) {
      e.paused = true;
      this.emit({ type: 'pausePort', name: e.name });
    } else this.resumeIfFree(e); // held for older messages only (gate, drainHold): they are gone
    // This node's own round (its right came back) waits for the relay's
    // marker too: what its senders sent before is not all here yet.
    // Markers bound down the route wait behind the new home's messages the
    // relay still holds (relay-wait.ts `holdsFromRoute`).
    const own = holdsFromRoute(e) ? [...e.flushWait] : e.relayWait ? e.flushWait.filter((w) => w.origin === this.cfg.node) : [];
    for (const w of e.flushWait) if (!own.includes(w)) this.forwardFlush(e, w.origin, undefined, w.round);
    e.flushWait = own;
    // The application's queued messages are all out: netmsg's own
    // no-senders request on the proxy may now be armed (§4.5).
    if (this.byKey.get(e.key) === e && e.role === 'proxy' && e.localSenders) this.armNoSenders(e);
  }
}

/** A marker this node passed on over a link that was lost (dropMarkerPaths). */
interface LostMarker {
  key: PortKey;
  origin: number;
  back: number;
  n: number;
  round: number | undefined;
}
