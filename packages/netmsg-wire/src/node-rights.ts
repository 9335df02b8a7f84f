import type { MachMessage } from 'mach-msg';
import { fromWireMessage, type RefToName } from './abi-neutral.js';
import { WireError } from './errors.js';
import { portIdOfKey, type PortId, portKey, type PortKey } from './identity.js';
import type { DeliveryToken, NodeAction, ReceiveStatus } from './node-events.js';
import { bump, destDisposition, type Gate, isDraining, MOVE_SEND_ONCE, type PortEntry, putBackCount, type SendOnceOut, type SendOnceProxy, type SendOnceRelay, total } from './port-table.js';
import type { PortRef, ReceiveState, RightRef, WireMessage } from './wire-message.js';
import { carriesReceive, roundField } from './node-core.js';
import { NodeSendOnce } from './node-send-once.js';

/**
 * A receive right that left a node where no send right to it existed
 * (§4.5): the new home holds no send right of its own. Told by the sync the
 * request is to be armed with (mscount + 1; 0 when senders existed).
 */
function sendlessState(st: ReceiveState): boolean {
  return st.noSendersSync > st.mscount;
}

/**
 * Rights crossing links (PROTOCOL.md §4.2-§4.4): identities, counted
 * send-right transfers and their release, exact no-senders, send-once
 * tokens, receive rights arriving and leaving, collection of entries.
 */
export abstract class NodeRights extends NodeSendOnce {
  /**
   * home entries holding no send right of netmsg's own: the receive right
   * came without senders (§4.5). The first send right exported becomes it.
   */
  protected readonly sendless = new Set<string>();

  protected override removeEntry(e: PortEntry): void {
    this.sendless.delete(e.key);
    super.removeEntry(e);
  }
  /** Defined by the migration layer (node-migration.ts). */
  protected abstract markGated(e: PortEntry, gate: Gate | undefined): void;

  /**
   * A right named in netmsg's space is leaving on link `peer`: give it its
   * identity and count the transfer.
   */
  protected exportRight(name: number, right: 'send' | 'sendOnce' | 'receive', peer: number, status: Record<number, ReceiveStatus>): PortRef {
    if (right === 'sendOnce') {
      // Every send-once right leaving gets a fresh token; netmsg keeps the
      // real right until the one message (or its death) comes back.
      const id = this.freshId();
      const so: SendOnceOut = { id, key: portKey(id), name, peer };
      this.soOut.set(so.key, so);
      this.soOutByName.set(name, so);
      this.watchSendOnce(so);
      return { tag: 'port', right: 'sendOnce', id };
    }
    if (right === 'receive') return this.exportReceive(name, peer, status[name]);
    let e = this.byName.get(name);
    if (e && e.role === 'home' && this.sendless.has(e.key)) {
      // A home that came without senders holds no send right: the uref that
      // came with the message becomes netmsg's own, with the dead-name
      // request a home's right carries.
      this.sendless.delete(e.key);
      this.emit({ type: 'requestDeadName', name });
    } else if (e) {
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

  /** A relay's senders may have messages in the old home's queue: wait for them (node-migration.ts). */
  protected abstract relayWaits(e: PortEntry, to: number, hadProxy: boolean): void;

  /** A receive right leaves (the old home's side of §4.5; node-migration.ts). */
  protected abstract exportReceive(name: number, peer: number, st: ReceiveStatus | undefined): PortRef;

  /**
   * A message passing through: its rights go from `from` to `to`. Send
   * rights are counted on both links (imported from `from`, exported to
   * `to`) by materialising nothing: this node's proxy entry for each right
   * carries the counts, so the chain stays exact.
   */
  protected override relayRights(from: number, to: number, wm: WireMessage): void {
    this.settle(wm);
    const map = (ref: PortRef): PortRef => {
      if (ref.tag !== 'port') return ref;
      if (ref.right === 'send' && this.deadOnArrival(from, ref.id)) {
        this.sendControl(from, { t: 'release', node: ref.id.node, serial: ref.id.serial, n: 1 });
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
        this.watchSendOnce(so);
        return { tag: 'port', right: 'sendOnce', id };
      }
      // A receive right passing through: this node is home for an instant
      // (netmsg holds the receive right), then hands it on and is a proxy.
      const post: NodeAction[] = [];
      // What was held here for the port, or queued for credit, importReceive
      // puts back on the port: drained after the right like an old home's
      // queue, so a sender's later message arriving on a link stays behind.
      const relayed0 = this.byKey.get(portKey(ref.id));
      const hadProxy = relayed0?.role === 'proxy';
      // This node's own send-once rights still counted (importReceive sends them DIRECT down the old route):
      // passed on within the count, but still its own (`soOwn`).
      const own = hadProxy ? this.ownSendOnce(relayed0) : 0;
      const putBack = putBackCount(relayed0);
      this.edge('relayRight');
      if (putBack > 0) this.edge('relayPutBack');
      if (relayed0?.held.some((h) => carriesReceive(h.wm))) this.edge('putBackRight');
      // A relay makes no send-once rights of its own for late messages: it
      // passes their count on and forwards them (§4.5).
      // Messages it queued for credit came from links whose credit is still
      // owed: they travel on with that debt, paid when the next hop's credit
      // for them comes (end to end, §6); paid nowhere, the sender's window
      // shrank for good (its next messages waited forever, its proxy never
      // went, NO SENDERS was lost).
      const owed: (number | undefined)[] = [];
      // soLost: the right's late send-once messages can no longer come (passLost).
      const lost = relayed0?.soLost === true ? ref.state.soRights ?? 0 : 0;
      const pool0 = this.poolSize(portKey(ref.id));
      const name = this.importReceive(from, ref.id, { ...ref.state, noSendersNotify: null, soRights: lost }, post, owed, to);
      for (const a of post) this.emit(a);
      const n = ref.state.noSendersNotify;
      const self = n !== null && n.tag === 'port' && portKey(n.id) === portKey(ref.id);
      const notify = n && n.tag === 'port' && !self ? this.importSendOnce(from, n.id) : undefined;
      const status: ReceiveStatus = { mscount: ref.state.mscount, qlimit: ref.state.qlimit, noSendersSync: ref.state.noSendersSync, senders: !sendlessState(ref.state), sendOnce: ref.state.soRights ?? 0 };
      if (notify !== undefined) status.noSendersNotify = notify;
      if (self) status.noSendersSelf = true;
      if (putBack > 0) status.queued = putBack;
      const out = this.exportReceive(name, to, status);
      const relayed = this.byName.get(name);
      if (relayed) {
        relayed.upstream = from;
        relayed.soRelayed = relayed.soPending > 0;
        relayed.soOwn = this.ownAfterPass(relayed, own, pool0);
        this.passLost(relayed);
        relayed.drainFrom = owed;
        this.relayWaits(relayed, to, hadProxy);
      }
      return out;
    };
    wm.reply = map(wm.reply);
    for (const it of wm.items) if (it.kind === 'ports') it.ports = it.ports.map(map);
  }

  protected deliverLocal(peer: number, wm: WireMessage, destName: number, destDisp: number, token: DeliveryToken | undefined): void {
    this.settle(wm);
    const post: NodeAction[] = [];
    const map: RefToName = (ref) => this.importRef(peer, ref, post);
    const { msg, ool } = fromWireMessage(wm, this.cfg.abi, destName, destDisp, map);
    this.emit(token ? { type: 'deliver', msg, ool, token } : { type: 'deliver', msg, ool });
    for (const a of post) this.emit(a);
    // A receive right that waited at a migration gate was counted as the
    // old home's transfer when it arrived (receiveCounted); that transfer's
    // RELEASE may have come while it waited. Nothing else will look at the
    // new home entry again, so collect it now if nothing is outstanding:
    // otherwise netmsg keeps its send right and NO SENDERS is lost.
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        const e = ref.tag === 'port' ? this.byKey.get(portKey(ref.id)) : undefined;
        if (e && e.role === 'home') this.tryCollect(e);
      }
    }
  }

  /** Home entries of the receive rights `wm` carried here (put back on a port): collected if nothing is outstanding. */
  protected collectReceived(wm: WireMessage): void {
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        const e = ref.tag === 'port' ? this.byKey.get(portKey(ref.id)) : undefined;
        if (e && e.role === 'home') this.tryCollect(e);
      }
    }
  }

  /** Materialise a dropped message's rights in netmsg's space and destroy them. */
  protected override dropRemote(peer: number, wm: WireMessage): void {
    this.settle(wm);
    const post: NodeAction[] = [];
    const { msg, ool } = fromWireMessage(wm, this.cfg.abi, 0, 0, (ref) => this.importRef(peer, ref, post));
    this.emit({ type: 'destroyMessage', msg, ool });
    for (const a of post) this.emit(a);
    // A receive right in it dies with it (Mach destroys the port). A home
    // that came without senders holds no send right, so no dead-name
    // notification will tell netmsg: its entry would stay for ever (and
    // its old home's proxy never hear DEAD). Others hear it from their
    // dead-name request, as any home.
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        const e = ref.tag === 'port' ? this.byKey.get(portKey(ref.id)) : undefined;
        if (e && e.role === 'home' && this.sendless.has(e.key)) this.homeDied(e);
      }
    }
  }

  protected destroyLocal(msg: MachMessage, ool: Uint8Array[]): void {
    this.emit({ type: 'destroyMessage', msg, ool });
  }

  /** A right arrived from `peer`: put one right of its kind in netmsg's space. */
  protected importRef(peer: number, ref: RightRef, post: NodeAction[]): number {
    if (ref.right === 'send' && this.deadOnArrival(peer, ref.id)) {
      // The port died while this right was in flight, or its link did (deadOnArrival): Mach delivers a dead name.
      this.sendControl(peer, { t: 'release', node: ref.id.node, serial: ref.id.serial, n: 1 });
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
  protected importSend(peer: number, id: PortId, give: boolean): PortEntry {
    const key = portKey(id);
    let e = this.byKey.get(key);
    if (e && e.role === 'home') {
      // The right came back to the node holding the receive right: it is
      // the original port, not a proxy; the sender need not keep anything.
      if (give) this.emit({ type: 'addSendRef', name: e.name });
      this.sendControl(peer, { t: 'release', node: id.node, serial: id.serial, n: 1 });
      return e;
    }
    if (!e) {
      const name = this.allocName();
      this.emit({ type: 'allocatePort', name });
      e = this.newEntry(id, 'proxy', name);
      this.learn(e, peer);
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
      this.sendControl(peer, { t: 'release', node: id.node, serial: id.serial, n: 1 });
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
  protected unexportRef(peer: number, ref: RightRef): number {
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
      this.edge('queuedRightPutBack');
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
  protected importSendOnce(peer: number, id: PortId): number {
    // A spare one-shot port of the link (NodeConfig.spareOneShots) is already in the port set, empty and unnamed by any right.
    let port = this.links.get(peer)?.spare.pop();
    if (port === undefined) {
      port = this.allocName();
      this.emit({ type: 'allocatePort', name: port });
    }
    const so: SendOnceProxy = { id, key: portKey(id), name: port, peer, learntFrom: undefined };
    this.learn(so, peer);
    this.soProxyByName.set(port, so);
    this.soProxyByKey.set(so.key, so);
    const name = this.allocName();
    this.emit({ type: 'insertSendOnce', name, port });
    return name;
  }

  /**
   * A receive right arrived: this node becomes home (PROTOCOL.md §4.5).
   * `owed` (a relay: the right goes on at once) receives, for each message
   * put back on the port, the link its credit is still owed to; without it,
   * that credit goes back now (the message is queued on the port here).
   */
  protected importReceive(peer: number, id: PortId, st: ReceiveState, post: NodeAction[], owed?: (number | undefined)[], onTo?: number): number {
    const key = portKey(id);
    let e = this.byKey.get(key);
    if (e && e.role === 'home') throw new WireError('out_of_state', `receive right for ${key} which is already home here`);
    let heldSendOnce = 0;
    // Send-once rights made while this node was home before, still unused:
    // counted all the way round in `soRights`, but they reach the port
    // directly again (below).
    let ownSendOnce = 0;
    // Held late send-once messages that go round this node's relays (heldRounds).
    let rounds: { wm: WireMessage; from: number }[] = [];
    if (e) {
      // Its own pending send-once rights are rights to the real port again:
      // their messages are queued on it by the kernel, never by netmsg. The
      // pools and relays along the route counted them for late messages
      // that will now never come that way: tell them (`direct`, §4.5), or
      // they would wait for them until the port dies. Before the RELEASEs
      // below (on the same link when the route is where the right came
      // from): a RELEASE first collected the proxy there while it still
      // counted them, and its port went with netmsg's pool rights on it,
      // whose deaths read as the port's (`2000046` with --held-rights
      // --send-once: DEAD for a live port, a pool left, a SEND_ONCE
      // notification lost). A relay's count
      // (soRelayed) is of rights made upstream, not here: their late
      // messages still come here from there, now for this node's pool, but
      // never down the route either, so the route hears it all the same
      // (`18000075` with --held-rights --send-once: counted as this node's
      // own, no pool right was made for them, and the SEND_ONCE
      // notification that came was destroyed as sent to no port).
      ownSendOnce = this.ownSendOnce(e);
      const ownRoute = e.route;
      this.sendDirect(e, ownRoute, owed !== undefined);
      // Our proxy becomes the real port: the application gets it under the
      // name local senders already use (tests 5 and 9).
      for (const [p, n] of e.imported) if (n > 0 && p !== peer && this.links.has(p)) this.sendControl(p, { t: 'release', node: id.node, serial: id.serial, n });
      const back = e.imported.get(peer) ?? 0;
      if (back > 0) this.sendControl(peer, { t: 'release', node: id.node, serial: id.serial, n: back });
      e.imported.clear();
      // Whether netmsg's own no-senders notification may sit in the port's
      // queue (its request notified the proxy itself): the only message
      // there reclaimPort may discard (§4.5).
      const nsSelf = e.ownsNs && e.nsPort === undefined;
      e.role = 'home';
      const sendOnceOwn = e.soDiscard;
      e.soPending = 0;
      e.soRelayed = false;
      e.soOwn = 0;
      e.soDiscard = 0;
      this.dropNsPort(e);
      e.ownsNs = false;
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
      const all = this.takeHeld(e);
      for (const h of all) this.markArriving(h.wm, -1);
      // A right passing through (owed) leaves again at once (passRounds).
      if (owed === undefined) rounds = this.heldRounds(all, key);
      else if (onTo !== undefined) this.passRounds(all, key, onTo);
      const held = rounds.length > 0 ? all.filter((h) => !rounds.includes(h)) : all;
      // Late send-once messages held from other links take this node's own pool rights (`6000211`).
      const pooled = this.poolHeld(held, peer, key, Math.max(0, (st.soRights ?? 0) - ownSendOnce));
      heldSendOnce = held.filter((h) => h.wm.dest.right === 'sendOnce' && !this.soOut.has(portKey(h.wm.dest.id)) && !pooled.has(h)).length;
      const materialise = (h: { wm: WireMessage; from: number; credited: boolean }) => {
        this.settle(h.wm);
        const inner: NodeAction[] = [];
        const via = pooled.get(h);
        const m = fromWireMessage(h.wm, this.cfg.abi, via ?? e!.name, via === undefined ? destDisposition(h.wm) : MOVE_SEND_ONCE, (ref) => this.importRef(h.from, ref, inner));
        for (const a of inner) this.emit(a);
        if (!h.credited) this.sendControl(h.from, { t: 'credit', node: e!.id.node, serial: e!.id.serial, n: 1 });
        return m;
      };
      for (const h of held) {
        if (h.from !== peer || h.late) continue;
        first.push(materialise(h));
        owed?.push(undefined);
      }
      const markers: { origin: number; round?: number }[] = [];
      for (const [p, list] of e.pending) {
        const link = this.links.get(p);
        for (const q of list) {
          if (link) link.queuedBytes -= q.bytes;
          if (q.flush !== undefined) {
            markers.push({ origin: q.flush, ...roundField(q.round) });
            continue;
          }
          first.push(fromWireMessage(q.msg, this.cfg.abi, e.name, destDisposition(q.msg), (ref) => this.unexportRef(p, ref)));
          if (owed) owed.push(q.from);
          else if (q.from !== undefined && this.links.has(q.from)) this.sendControl(q.from, { t: 'credit', node: id.node, serial: id.serial, n: 1 });
        }
      }
      e.pending.clear();
      e.pendingBytes = 0;
      for (const h of held) {
        if (h.from === peer && !h.late) continue;
        first.push(materialise(h));
        owed?.push(undefined);
      }
      // A marker another node sent round through us finds the port here
      // now: nothing older can follow it, so it goes straight back.
      for (const { origin: o, round } of markers) if (o !== this.cfg.node && this.links.has(this.linkTo(o))) this.sendControl(this.linkTo(o), { t: 'flush', node: e.id.node, serial: e.id.serial, origin: o, ...roundField(round) });
      this.emit({ type: 'reclaimPort', name: e.name, first, nsSelf, sendOnceOwn });
      // Receive rights in the messages put back are home here now, as if
      // delivered (§4.3 rule 4): collect those with nothing outstanding
      // (the old home's RELEASE came while they waited, or its link died),
      // else netmsg keeps its send right and NO SENDERS is lost.
      for (const h of held) this.collectReceived(h.wm);
      if (e.paused) {
        e.paused = false;
        this.emit({ type: 'resumePort', name: e.name });
      }
    } else {
      const name = this.allocName();
      this.emit({ type: 'allocatePort', name });
      e = this.newEntry(id, 'home', name);
      this.learn(e, peer);
    }
    // netmsg keeps one send right as home; made before the make-send count
    // is set so the count the application sees is the port's own. Not when
    // no send right existed at the move (§4.5): none stands for anything.
    const sendless = sendlessState(st);
    if (sendless) this.sendless.add(e.key);
    else this.emit({ type: 'makeSend', name: e.name });
    // While netmsg holds the receive right it makes one send-once right per
    // send-once right still outstanding at the old home: a late send-once
    // message for the port is delivered through one, as Mach would queue
    // it (netmsg cannot make one once the application holds the right).
    // Those already here (held for the migration, put back on the port with
    // MAKE_SEND_ONCE above) need none.
    const so = (st.soRights ?? 0) - heldSendOnce - ownSendOnce;
    this.makePool(e, peer, so, owed !== undefined);
    this.emit({ type: 'setPortStatus', name: e.name, mscount: st.mscount, qlimit: st.qlimit });
    const ns = st.noSendersNotify;
    if (ns && ns.tag === 'port') {
      const self = portKey(ns.id) === key;
      const notify = self ? ('self' as const) : this.importSendOnce(peer, ns.id);
      this.emit({ type: 'requestAppNoSenders', name: e.name, sync: st.noSendersSync, notify });
    }
    // The old home is now a proxy holding one counted transfer from us
    // (counted already if the right waited at the migration gate).
    if (e.receiveCounted) e.receiveCounted = false;
    else bump(e.exported, peer, 1);
    // netmsg's dead-name request rides on its own send right.
    if (!sendless) post.push({ type: 'requestDeadName', name: e.name });
    for (const h of rounds) this.sendRound(h.from, key, h.wm);
    return e.name;
  }

  protected onNoSenders(port: number, mscount: number): void {
    const e = this.nsPorts.get(port) ?? this.byName.get(port);
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

  protected onDeadName(name: number): void {
    const poolKey = this.soPoolByName.get(name);
    if (poolKey !== undefined) {
      // The port died: the pool's send-once right is a dead name now. Once the last one is gone, the relays that would have sent
      // through them hear DEAD (back along the path the receive right came), so the send-once rights they stand for become dead names too; so do relays here (relaysDied).
      this.soPoolByName.delete(name);
      const pool = this.soPools.get(poolKey);
      if (pool) {
        pool.names = pool.names.filter((n) => n !== name);
        if (pool.names.length === 0) {
          this.soPools.delete(poolKey);
          const { node, serial } = portIdOfKey(poolKey);
          this.sendControl(pool.from, { t: 'dead', node, serial });
          this.relaysDied(poolKey, pool.from);
        }
      }
      this.emit({ type: 'deallocate', name });
      return;
    }
    const so = this.soOutByName.get(name);
    if (so) {
      // The reply port died: the remote one-shot becomes a dead name.
      this.soOutByName.delete(name);
      this.soOut.delete(so.key);
      this.emit({ type: 'deallocate', name });
      if (this.links.has(so.peer)) this.sendControl(so.peer, { t: 'dead', node: so.id.node, serial: so.id.serial });
      return;
    }
    const e = this.byName.get(name);
    if (!e || e.role !== 'home') return;
    // The receive right died: every node that holds a transfer hears it.
    this.emit({ type: 'deallocate', name });
    this.homeDied(e);
  }

  protected armNoSenders(e: PortEntry): void {
    // An old home arms netmsg's request only once the application's queued
    // messages are drained (endDrain): until then every notification in the
    // port's queue is the application's and travels with the right (§4.5).
    if (e.nsArmed || (e.role === 'proxy' && isDraining(e))) return;
    e.nsArmed = true;
    if (e.role === 'proxy' && e.soPending > 0 && e.nsPort === undefined) {
      // Applications' send-once rights may still send to the proxy: netmsg's
      // notification must not be one of its send-once messages (§4.5).
      e.nsPort = this.allocName();
      this.emit({ type: 'allocatePort', name: e.nsPort });
      this.nsPorts.set(e.nsPort, e);
    }
    if (e.role === 'proxy') e.ownsNs = true;
    if (e.nsPort !== undefined) this.emit({ type: 'requestNoSenders', name: e.name, sync: e.makeSends, notify: e.nsPort });
    else this.emit({ type: 'requestNoSenders', name: e.name, sync: e.makeSends });
  }

  /** The entry dies with transfers outstanding: their RELEASEs are still to come. */
  protected forget(e: PortEntry, only?: (p: number) => boolean): void {
    for (const [p, n] of e.exported) {
      if (n <= 0 || !this.links.has(p) || (only && !only(p))) continue;
      let f = this.forgotten.get(e.key);
      if (!f) this.forgotten.set(e.key, (f = new Map()));
      bump(f, p, n);
    }
  }

  protected tryCollect(e: PortEntry): void {
    if (e.pinned || !this.byKey.has(e.key)) return;
    if (total(e.exported) > 0 || e.pendingBytes > 0 || e.delivering > 0 || e.gatePins > 0 || isDraining(e) || e.drainHold.length > 0 || e.relayWait || e.migrating || e.held.length > 0) return;
    // Its receive right waits in a link's gate here (its own FLUSH came back,
    // another port's has not): the entry carries the old home's counted
    // transfer (receiveCounted) and becomes home when the gate opens.
    if (this.arriving.has(e.key)) return;
    if (e.role === 'home') {
      // No transfer outstanding anywhere: drop netmsg's one send right; if
      // no local sender remains either, Mach now sends the application its
      // no-senders notification with the port's make-send count.
      if (!this.sendless.delete(e.key)) this.emit({ type: 'deallocate', name: e.name });
      this.removeEntry(e);
      return;
    }
    if (e.localSenders) return;
    // An old home whose receive right still waits to be written (handoff):
    // its one imported transfer is the one the new home counts when the
    // right arrives, so its RELEASE must follow the carrying message on the
    // link. Sent now, it would overtake it (the message may wait for credit
    // on another port), be ignored, and leave the new home's count at 1
    // forever: netmsg's send right would stay and NO SENDERS be lost.
    if (e.handoff !== undefined) return;
    // Keep the proxy until every message it sent is acknowledged by credit:
    // then nothing of its is still travelling when a later right to the
    // same port (or the receive right itself) arrives here (per-port FIFO).
    for (const [p, c] of e.credit) if (this.links.has(p) && c < this.links.get(p)!.window) return;
    for (const [p, n] of e.imported) if (n > 0 && this.links.has(p)) this.sendControl(p, { t: 'release', node: e.id.node, serial: e.id.serial, n });
    this.dropNsPort(e);
    this.removeEntry(e);
    const route = this.routeOf(e);
    // A relay of rights made upstream (soRelayed) makes its lost messages on its port (relayLost, once):
    // destroyed, they went with it (`5000053`); kept as a relay (below), they go on.
    if (e.soRelayed && e.soPending > 0 && e.upstream !== undefined && !this.links.has(e.upstream)) this.relayLost(e);
    if (e.soPending > 0 && route !== undefined && e.upstream !== undefined && !this.links.has(e.upstream) && !e.soRelayed) {
      // A relay whose way back to the old home is lost: those late messages
      // can no longer come; the new home's pool hears it (DEAD from the link
      // its receive right came on) and destroys its rights.
      this.sendControl(route, { t: 'dead', node: e.id.node, serial: e.id.serial });
    } else if (e.soPending > 0 && route !== undefined) {
      // No send right is left, so the send-right transfer is given back
      // (the home's NO SENDERS stays exact: send-once rights are not send
      // rights), but send-once rights made before the move still send to
      // this port: keep it, as a relay for their messages only. Also when
      // a relay of the port is here already (the right left this node
      // before, on another port): destroyed, this port took its send-once
      // rights with it (`3000075` with --held-rights --send-once).
      const r: SendOnceRelay = { id: e.id, key: e.key, route, pending: e.soPending, own: this.ownSendOnce(e), name: e.name, upstream: e.upstream, discard: e.soDiscard, staleBelow: e.staleBelow, soVia: e.soVia };
      this.keepRelay(e, r);
      return;
    }
    this.emit({ type: 'destroyPort', name: e.name });
  }

  /** A proxy's port died upstream: its senders get dead names, downstream hears. */
  protected killProxy(e: PortEntry, from: number | undefined): void {
    this.deadInQueues(e);
    this.forget(e);
    for (const [p, n] of e.exported) if (n > 0 && p !== from && this.links.has(p)) this.sendControl(p, { t: 'dead', node: e.id.node, serial: e.id.serial });
    // Send-once rights it still counts for the old home are dead too: the
    // relays towards it hear DEAD (§4.5).
    if (e.soPending > 0 && e.upstream !== undefined && e.upstream !== from && this.links.has(e.upstream)) this.sendControl(e.upstream, { t: 'dead', node: e.id.node, serial: e.id.serial });
    this.emit({ type: 'destroyPort', name: e.name });
    this.dropNsPort(e);
    this.bury(e.key);
    this.removeEntry(e);
    // Held messages and those behind its drain die with it (Mach destroys a dead port's queue).
    const held = [...this.takeHeld(e), ...e.drainHold];
    e.drainHold = [];
    e.relayWait = false;
    for (const h of held) {
      this.markArriving(h.wm, -1);
      this.dropRemote(h.from, h.wm);
    }
    const pending = [...e.pending];
    e.pending.clear();
    e.pendingBytes = 0;
    for (const [p, list] of pending) {
      const link = this.links.get(p);
      for (const q of list) {
        if (link) link.queuedBytes -= q.bytes;
        if (q.flush === undefined) this.discardQueued(p, q.msg);
      }
    }
  }

  /**
   * A message queued for `to` that will never be sent: undo its transfers as
   * Mach's mach_msg_destroy would release its rights. Send rights give back
   * their count; send-once rights are destroyed (their port gets the
   * send-once notification); a receive right in it dies with the message.
   */
  protected discardQueued(to: number, wm: WireMessage): void {
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
}
