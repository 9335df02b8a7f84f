import { portKey, type PortKey } from './identity.js';
import type { WireMessage } from './wire-message.js';
import { idOf, isDraining, type PortEntry, type SendOnceOut, type SendOnceRelay } from './port-table.js';
import { NodeCore } from './node-core.js';

/**
 * Send-once rights made before a receive right moved (PROTOCOL.md §4.5):
 * the old home's dedicated no-senders port, its send-once relays, the new
 * home's pool of send-once rights for late send-once messages, and DIRECT
 * (those rights back where they were made).
 */
export abstract class NodeSendOnce extends NodeCore {
  protected dropNsPort(e: PortEntry): void {
    if (e.nsPort === undefined) return;
    this.nsPorts.delete(e.nsPort);
    this.emit({ type: 'destroyPort', name: e.nsPort });
    e.nsPort = undefined;
  }

  /**
   * Of a proxy's `soPending`, the send-once rights made here (rights to
   * the real port again once the receive right is back here): all of them,
   * or for a relay (`soRelayed`) only its `soOwn` — the rest were made
   * upstream and their late messages still come from there (`18000075`).
   */
  protected ownSendOnce(e: PortEntry): number {
    return e.soRelayed ? Math.min(e.soOwn, e.soPending) : e.soPending;
  }

  /**
   * A send-once message taken off proxy `e`'s port used one of the rights
   * counted when the receive right left (§4.5). Past a relay's put-back
   * messages (`draining`: they came from links) it came through a right
   * made here: one of the relay's own (`soOwn`).
   */
  protected sendOnceTaken(e: PortEntry, notification = false): void {
    if (e.soPending <= 0) return;
    e.soPending--;
    // Put back (`draining`, ahead of any notification made here): from links.
    if (e.draining > 0 || this.tookMadeLost(e, notification)) return;
    if (e.soOwn > 0) e.soOwn--;
  }

  /**
   * SEND_ONCE notifications netmsg made on a relay's port for late messages
   * lost upstream (relayLost, passLost, a send-once relay's upstream lost)
   * and not yet taken off it. They come off the port like the messages of
   * the relay's own rights but are none of them: counted as own, `soOwn`
   * fell short and a right made here was taken for one made upstream
   * (task N11, PROTOCOL.md §4.5, link loss). All SEND_ONCE notifications
   * are alike, so which one pays which count does not matter; how many do.
   */
  private readonly madeLost = new WeakMap<PortEntry | SendOnceRelay, number>();

  /** `n` lost messages made on `holder`'s port (loseSendOnce). */
  protected lostMadeOn(holder: PortEntry | SendOnceRelay, n: number): void {
    if (n > 0) this.madeLost.set(holder, (this.madeLost.get(holder) ?? 0) + n);
  }

  /**
   * Proxy `e`, collected, is kept as send-once relay `r` (node-rights.ts):
   * the same port, so the notifications made on it and not yet taken off
   * are the relay's now.
   */
  protected keepRelay(e: PortEntry, r: SendOnceRelay): void {
    const list = this.soRelays.get(r.key);
    if (list) list.push(r);
    else this.soRelays.set(r.key, [r]);
    this.soRelayByName.set(r.name, r);
    const n = this.madeLost.get(e);
    if (n !== undefined) this.madeLost.set(r, n);
    this.madeLost.delete(e);
  }

  /** Whether a message taken off `holder`'s port (a SEND_ONCE notification when `notification`) is one netmsg made. */
  private tookMadeLost(holder: PortEntry | SendOnceRelay, notification: boolean): boolean {
    const n = notification ? this.madeLost.get(holder) ?? 0 : 0;
    if (n <= 0) return false;
    if (n === 1) this.madeLost.delete(holder);
    else this.madeLost.set(holder, n - 1);
    return true;
  }

  /** How many pool rights this node keeps for `key`. */
  protected poolSize(key: PortKey): number {
    return this.soPools.get(key)?.names.length ?? 0;
  }

  /**
   * The own count (`soOwn`) of relay `e` after the receive right passed
   * through (relayRights): `own` was counted before, with `pool0` pool
   * rights kept here then. Late messages held from other links took some
   * of them as the right passed (poolHeld): those rights have had their
   * one message (Mach: a send-once right is used once), which goes out in
   * the drain, and a put-back message lowers no own count (sendOnceTaken).
   * Still counted, the own count stood for a right already used, and when
   * the right came home here no pool right was made for a late message
   * relayed from upstream, which was destroyed as one for an unknown port
   * (`436001349` with --held-rights --send-once --defer-send-once: a live
   * port got 5 messages through 7 send-once rights).
   */
  protected ownAfterPass(e: PortEntry, own: number, pool0: number): number {
    const used = Math.max(0, pool0 - this.poolSize(e.key));
    return Math.min(Math.max(0, own - used), e.soPending);
  }

  /** A pool right for a late send-once message to `key`, if any is left. */
  protected takePooled(key: PortKey): number | undefined {
    const pool = this.soPools.get(key);
    const n = pool?.names.shift();
    if (n === undefined) return undefined;
    this.soPoolByName.delete(n);
    if (pool!.names.length === 0) this.soPools.delete(key);
    return n;
  }

  /**
   * The receive right came back here from `peer` (`importReceive`): late
   * send-once messages held during the wait that came on other links came
   * for this node's own pool (made when the port was home here before,
   * §4.5). Had one come before the FLUSH wait it would have been delivered
   * through a pool right, so it takes one now (held message → pool right
   * name); put back with MAKE_SEND_ONCE it left that pool right waiting for
   * a message that had already come, until the port died (`6000211`). Such
   * messages are none of the old home's `soRights`.
   */
  protected poolHeld<H extends { wm: WireMessage; from: number }>(held: H[], peer: number, key: PortKey, arriving: number): Map<H, number> {
    const pooled = new Map<H, number>();
    const late = (h: H) => h.wm.dest.right === 'sendOnce' && !this.soOut.has(portKey(h.wm.dest.id));
    // A pool from `peer` made when the port was home here before, on a port
    // that is a relay now (the right left again): a late message from
    // `peer` may be one it waits for as well as one of the arriving
    // `soRights`. Through the pool right it goes round that relay and comes
    // back as one of them, so every count is paid once; taken as one of
    // them, the pool right and the relays counting it waited for ever
    // (`3000075` with --held-rights --send-once).
    const fromPeer = this.soPools.get(key)?.from === peer;
    const older = fromPeer && this.soRelays.has(key);
    // Without such a relay, late messages held from `peer` beyond the
    // `arriving` ones (the `soRights` made upstream, not this node's own
    // that come back direct) can only be for a pool from `peer` made when
    // the port was home here before: each takes one of its rights. Taken
    // as one of the `soRights`, that pool right waited for a message that
    // had already come (`18000078` with --held-rights --send-once: the
    // right went out and came straight back with this node's own pool
    // right as its one `soRights`).
    let extra = fromPeer && !older ? held.filter((h) => h.from === peer && late(h)).length - arriving : 0;
    for (const h of held) {
      if (!late(h)) continue;
      if (h.from === peer && !older) {
        if (extra <= 0) continue;
        extra--;
      }
      const n = this.takePooled(key);
      if (n === undefined) break;
      pooled.set(h, n);
    }
    return pooled;
  }

  /**
   * The send-once relay of `key` that counts late messages arriving from
   * link `peer`: the one whose upstream it is, else (`any`) the oldest.
   */
  protected relayFor(key: PortKey, peer: number, any: boolean): SendOnceRelay | undefined {
    const list = this.soRelays.get(key);
    if (!list) return undefined;
    return list.find((r) => r.upstream === peer) ?? (any ? list[0] : undefined);
  }

  /**
   * The send-once relay of `key` that still counts a late message from its
   * upstream `peer` (beyond `taken` already assigned to it): `pending`
   * less its `own` rights, whose messages come off its port (§4.5). A
   * message from `peer` that went round a relay counting only its own
   * rights paid one of those, and that right's message, when it came,
   * found the relay gone, its port destroyed and the right a dead name
   * (`71000265` with --held-rights --send-once --defer-send-once, 3
   * nodes, links live: a send-once reply never delivered).
   */
  protected relayFrom(key: PortKey, peer: number, taken?: Map<SendOnceRelay, number>): SendOnceRelay | undefined {
    return this.soRelays.get(key)?.find((r) => r.upstream === peer && r.pending - r.own > (taken?.get(r) ?? 0));
  }

  /** A relay sent a send-once message on `route` outside any credit window: its credit coming back is not the entry's. */
  protected owesRelayCredit(key: PortKey, route: number): void {
    let m = this.relayOwed.get(key);
    if (!m) this.relayOwed.set(key, (m = new Map()));
    m.set(route, (m.get(route) ?? 0) + 1);
  }

  /**
   * Late send-once messages held while the receive right came back here
   * that came from the upstream of a send-once relay this node left when
   * the right passed through before: as one arriving after the right
   * (node.ts, `3000040`), each goes round the relays after this one, which
   * counted it, back to this node's pool. Put back on the port at once,
   * the relays here and further on counted it for ever (`3000040` at
   * length 160 with --held-rights --send-once). At most as many per relay
   * as it still counts from its upstream (`relayFrom`: not its own rights,
   * PROTOCOL.md §4.5). Also from `peer`, the link the right came back on,
   * as after the right (node.ts): taken as one of the arriving `soRights`,
   * the relay here, the pool it leads to and the relays after that waited
   * for ever (`41000177`, `57000231`, `72000258`, 2 nodes, links live).
   * That rule (task D, b0b9b05) was reverted for `71000265`, where the
   * relay counted only a right of its own: `relayFrom` leaves such a
   * relay out.
   */
  protected heldRounds<H extends { wm: WireMessage; from: number }>(held: H[], key: PortKey): H[] {
    const out: H[] = [];
    const taken = new Map<SendOnceRelay, number>();
    for (const h of held) {
      if (h.wm.dest.right !== 'sendOnce' || this.soOut.has(portKey(h.wm.dest.id))) continue;
      const relay = this.relayFrom(key, h.from, taken);
      if (!relay) continue;
      taken.set(relay, (taken.get(relay) ?? 0) + 1);
      out.push(h);
    }
    return out;
  }

  /**
   * As heldRounds, where the receive right only passes through on its way
   * to link `onTo`: a relay here from an earlier pass of the right counts
   * such a held message first (the late message follows the right's
   * trail, PROTOCOL.md §4.5). It goes to `onTo` in the drain after the
   * right, as it would round the relay, and pays the relay. Passed on only
   * as one of the count the right carries, the relay waited for ever
   * (`72000258` with --held-rights --send-once --relink, 2 nodes, links
   * live). Sent round at once instead, it overtook the carrying message
   * and the credit for it deadlocked the link (tried, not kept; also when
   * the relay's route is another link: the message came back here behind
   * the drain and the next node's migration never finished, task N11).
   * When the relay's route is another link, the counts that route leads
   * to (the pool where the right stopped after passing here before, the
   * proxy or relay that pool's rights name, and so on round to the link
   * the right came back on) stand for this message too, and it will not
   * come that way: a `DIRECT` for it goes down the relay's route with this
   * node as origin, paying each of them and stopping before this node,
   * whose own count the drain pays (task N11: passed on without it, the
   * relay, the pool and the proxy waited for ever, 4 nodes, links live,
   * test/pass-round-other-way.test.ts).
   */
  protected passRounds<H extends { wm: WireMessage; from: number }>(held: H[], key: PortKey, onTo: number): void {
    for (const h of this.heldRounds(held, key)) {
      const r = this.relayFrom(key, h.from);
      if (!r) continue;
      const { route, id } = r;
      this.relayUsed(r, false);
      if (route !== onTo && this.links.has(route)) this.sendControl(route, { t: 'direct', ...idOf(id), n: 1, origin: this.cfg.node });
    }
  }

  /**
   * The new home `e` (netmsg holding the receive right) makes `so` send-once
   * rights on the port for the late send-once messages still to come from
   * `peer` (§4.5), kept in its pool.
   */
  protected makePool(e: PortEntry, peer: number, so: number, passing = false): void {
    const lost = e.soLost;
    e.soLost = false;
    const back = this.relayedHome.get(e.key);
    this.relayedHome.delete(e.key);
    // Come back to a relay (sendDirect), pool rights standing for its
    // relayed count are its upstream's: their late messages, and the
    // DIRECT of the node where they were made should the right go back
    // there, come from there (§4.5, "A relay's count is not its own"). A
    // pool for more than that count (late messages from `peer` too) keeps
    // `peer`, as before: one link per pool (once in 16,000 sweep
    // schedules, `172000055`, passing; PROTOCOL.md §9).
    if (back && back.link !== peer && so <= back.n) peer = back.link;
    if (so <= 0) return;
    if (lost && passing) {
      // The right only passes through (relayRights): made here, the
      // notifications would sit behind the proxy port's local queue, which
      // the drain does not take; passLost makes them once it is a proxy.
      this.soLostPassing = so;
      return;
    }
    if (lost) {
      // The relay the right came through lost its way back to the old home
      // before the pool was made (soLost): their messages can no longer
      // come. Made and destroyed unused, as dropPool does, so the port gets
      // a SEND_ONCE notification for each (`9000257` with --held-rights
      // --send-once, link loss: the pool waited for a reply lost with the
      // link, until the port died, and nothing came).
      this.loseSendOnce(e.name, so);
      return;
    }
    let pool = this.soPools.get(e.key);
    if (!pool) this.soPools.set(e.key, (pool = { names: [], from: peer }));
    pool.from = peer;
    for (let i = 0; i < so; i++) {
      const n = this.allocName();
      this.emit({ type: 'insertSendOnce', name: n, port: e.name });
      this.emit({ type: 'requestDeadName', name: n });
      pool.names.push(n);
      this.soPoolByName.set(n, e.key);
    }
  }

  /**
   * The proxy `e` counts late send-once messages (`soPending`) that would
   * come from its upstream (a relay in its proxy form, soRelayed, §4.5),
   * and the link to its upstream died: those messages can no longer come
   * (they would cross that link; the old home's proxy or relay routed over
   * it died with it, so their rights are dead names there). The relay
   * makes them as Mach would for rights destroyed unused (loseSendOnce):
   * their SEND_ONCE notifications go down the route as the late messages
   * it counts, behind the message carrying the right, and the pools further
   * on deliver them. A DEAD sent down the route instead overtook that
   * message when it waited for credit (the handoff gate, §4.5 step 1), and
   * the next node, not yet holding the right, ignored it (`8000068`,
   * `19000092` with --held-rights --send-once --defer-send-once): the pool
   * made further on waited for ever. While the relay still drains what it
   * put back on its port, some of those may be late messages that came
   * (counted until taken off): it waits for the drain's end (endDrain), so
   * it makes exactly as many as can no longer come.
   */
  protected relayLost(e: PortEntry): void {
    if (this.lostMade.has(e)) return;
    if (isDraining(e)) {
      this.lostAfterDrain.add(e);
      return;
    }
    this.lostMade.add(e);
    // Only the rights made upstream: its own (`soOwn`) are rights to its
    // port, whose messages do not cross the lost link and still come
    // (§4.5, link loss; task N11: made for all, the port got a
    // notification and then the own right's reply).
    const n = e.soPending - this.ownSendOnce(e);
    this.lostMadeOn(e, n);
    this.loseSendOnce(e.name, n);
  }

  /**
   * Send-once relay `r`'s upstream link `peer` died: it makes the late
   * messages it still counts from there (`pending - own`, less those held
   * here, heldLate); its own rights' messages come off its port as before.
   */
  protected relayUpstreamLost(r: SendOnceRelay, peer: number): void {
    const n = r.pending - r.own - this.heldLate(r.key, peer);
    this.lostMadeOn(r, n);
    this.loseSendOnce(r.name, n);
  }

  /** Proxies whose relayLost waits for the end of their drain. */
  protected readonly lostAfterDrain = new Set<PortEntry>();
  /**
   * Relays (proxy form) that made their lost messages already, for this
   * pass of the right (passLost or relayLost): the upstream's loss later
   * (the link dying after a DEAD marked the right, or in the same linkDown
   * that let the right go on) must not make them again (two messages for
   * one right, `5000053` with --held-rights --send-once, 2026-11-30).
   */
  protected readonly lostMade = new Set<PortEntry>();

  /**
   * `n` send-once rights made on port `name` (netmsg holds its receive
   * right: a proxy or a send-once relay) and destroyed unused: the kernel
   * queues a SEND_ONCE notification for each on the port, the one message
   * each lost right owes (§4.4). The proxy or relay forwards them as the
   * late send-once messages it counts (its own notifications go to
   * `nsPort` meanwhile; a relay's port is netmsg's only for them), one
   * fewer each: a relay goes after the last, so never more than it counts.
   */
  protected loseSendOnce(name: number, n: number): void {
    for (let i = 0; i < n; i++) {
      const so = this.allocName();
      this.emit({ type: 'insertSendOnce', name: so, port: name });
      this.emit({ type: 'deallocate', name: so });
    }
  }

  /**
   * Late send-once messages for `key` from link `peer` held here while the
   * port's receive right waits for its FLUSH: they came before the link
   * died, so they are none of those a relay upstream of that link can no
   * longer get (§4.4, link loss: it makes "the late messages it counts,
   * which can no longer come"); at the FLUSH each goes round the relay
   * (heldRounds). Made as notifications too, the port got two messages
   * for one send-once right, a reply and its SEND_ONCE notification
   * (`45000212` with --held-rights --send-once --defer-send-once, link
   * loss).
   */
  protected heldLate(key: PortKey, peer: number): number {
    const e = this.byKey.get(key);
    return e ? e.held.filter((h) => h.from === peer && h.wm.dest.right === 'sendOnce' && !this.soOut.has(portKey(h.wm.dest.id))).length : 0;
  }

  /**
   * The right came home to a relay (sendDirect → makePool): the relay's
   * upstream `link` and its relayed count `n`, the late messages that
   * still come from there, now for the pool (§4.5, "A relay's count is not
   * its own"). Labelled with the link the right came back on instead, the
   * pool refused the DIRECT of the node where those rights were made
   * (from the upstream) when the right went back there, and one pool
   * right waited for ever (`246000748` with --held-rights --send-once
   * --defer-send-once, 3 nodes, links live). Per port, not one field:
   * between the two, importReceive puts held messages back, and a receive
   * right in one comes home here too (its own sendDirect and makePool).
   */
  private readonly relayedHome = new Map<PortKey, { link: number; n: number }>();

  /** Pool rights for lost late messages of a receive right passing through (makePool → passLost). */
  private soLostPassing = 0;

  /**
   * A receive right passes through `e` (relayRights) after a DEAD from the
   * link it came on, or that link's loss, said its late send-once messages
   * can no longer come (soLost, node.ts): the pool the next node makes for
   * them would wait for ever (`33000173` with --held-rights --send-once,
   * link loss: the right was held here for another port and went on with
   * that port's drain, the mark dropped). So the relay makes them as Mach
   * would (loseSendOnce) once it is a proxy: forwarded, they reach the port
   * through the next node's pool rights, one message for each right
   * (§4.5). As many as the pool it would have made had the right stopped
   * here (makePool): less the late messages held here, which go on in the
   * drain.
   */
  protected passLost(e: PortEntry): void {
    const n = this.soLostPassing;
    this.soLostPassing = 0;
    // A new pass: what an earlier one made says nothing of this one.
    this.lostMade.delete(e);
    if (n > 0) this.lostMade.add(e);
    this.lostMadeOn(e, n);
    this.loseSendOnce(e.name, n);
  }

  /** A message passing through (node-rights.ts). */
  protected abstract relayRights(from: number, to: number, wm: WireMessage): void;
  /** A message from `peer` destroyed as Mach destroys one sent to a dead port (node-rights.ts). */
  protected abstract dropRemote(peer: number, wm: WireMessage): void;

  /** A late send-once message from a relay's upstream goes on round the relays after it (heldRounds; credited when held). */
  protected sendRound(from: number, key: PortKey, wm: WireMessage): void {
    const relay = this.relayFrom(key, from);
    if (!relay) return;
    const route = relay.route;
    this.relayUsed(relay, false);
    if (!this.links.has(route)) {
      this.dropRemote(from, wm);
      return;
    }
    this.relayRights(from, route, wm);
    this.sendMessage(route, wm);
    this.owesRelayCredit(key, route);
  }

  /**
   * One of a relay's send-once rights sent its message: taken off its port
   * (`offPort`, one of its own) or received from a link (one from upstream).
   */
  protected relayUsed(r: SendOnceRelay, offPort: boolean, notification = false): void {
    r.pending--;
    if (offPort && !this.tookMadeLost(r, notification) && r.own > 0) r.own--;
    r.own = Math.min(r.own, r.pending);
    if (r.pending <= 0) this.dropRelay(r);
  }

  protected dropPool(key: PortKey): void {
    const pool = this.soPools.get(key);
    if (!pool) return;
    this.soPools.delete(key);
    for (const n of pool.names) {
      this.soPoolByName.delete(n);
      this.emit({ type: 'deallocate', name: n });
    }
  }

  /**
   * `n` send-once rights made at `origin` while the port was home there, and
   * counted for late messages from `peer`, reach the port directly again
   * (its receive right came back to `origin`, §4.5). Their messages will
   * never come this way: the pool here gives up as many rights (destroyed:
   * their SEND_ONCE notifications land on this node's proxy or relay port
   * and are netmsg's own, consumed), the proxy or relay counts `n` fewer,
   * and the news goes on down the route until it is back at `origin`.
   */
  protected onDirect(peer: number, key: PortKey, n: number, origin: number): void {
    if (origin === this.cfg.node) return;
    const e = this.byKey.get(key);
    const pool = this.soPools.get(key);
    const relay = e ? undefined : (this.soRelays.get(key)?.find((r) => r.soVia === peer) ?? this.relayFor(key, peer, pool?.from === peer));
    const proxy = e && e.role === 'proxy' ? e : undefined;
    // Only from the way the receive right came (the pool's link, a relay's
    // upstream) or the way the late messages a relay counts come from
    // (`soVia`, sendDirect): the origin is that way. Anything else is stale.
    if (!(pool?.from === peer || proxy?.upstream === peer || relay?.upstream === peer || proxy?.soVia === peer || relay?.soVia === peer)) return;
    let dropped = 0;
    // Only rights to a port netmsg receives from (a proxy or a relay): at a
    // home they are rights to the application's port, and destroying them
    // would give it notifications for rights that never died.
    if (pool && pool.from === peer && (proxy || relay)) {
      while (dropped < n && pool.names.length > 0) {
        const name = pool.names.pop()!;
        this.soPoolByName.delete(name);
        this.emit({ type: 'deallocate', name });
        dropped++;
      }
      if (pool.names.length === 0) this.soPools.delete(key);
    }
    let next: number | undefined;
    let on = n;
    if (proxy && proxy.soRelayed && proxy.soOwn > 0) {
      // A relay in proxy form pays only what it counts from upstream, never
      // its own rights (`soOwn`: their messages come off its port, §4.5).
      // Those stood, down the route the right took when it passed here,
      // for the rights the `DIRECT` is about (the origin's pool rights for
      // them, which this node's own `DIRECT` for them went to destroy, and
      // which the origin, home again before it came, counted as its own):
      // paid here, the proxy went before its own right's message came, and
      // that reply was lost, the origin's pool right left (`73000274`, 3
      // nodes, links live). So the rest ends here.
      on = Math.min(n, Math.max(0, proxy.soPending - this.ownSendOnce(proxy)));
      if (on > 0) next = this.routeOf(proxy);
      proxy.soPending -= on;
      proxy.soDiscard += dropped;
    } else if (proxy) {
      // Passed on only while this proxy counted some: a chain of routes a
      // link loss left cyclic cannot keep it circulating.
      if (proxy.soPending > 0) next = this.routeOf(proxy);
      proxy.soPending = Math.max(0, proxy.soPending - n);
      proxy.soDiscard += dropped;
    } else if (relay) {
      // Its own rights stay at most what it counts.
      relay.pending -= n;
      relay.own = Math.min(relay.own, Math.max(0, relay.pending));
      relay.discard += dropped;
      next = relay.route;
    }
    if (next !== undefined && next !== this.linkTo(origin) && this.links.has(next)) this.sendControl(next, { t: 'direct', ...idOf(proxy?.id ?? relay!.id), n: on, origin });
    // A relay left with nothing to wait for goes (the notifications queued
    // on its port go with it).
    if (relay && relay.pending <= 0) this.dropRelay(relay);
  }

  /**
   * The receive right came back to proxy `e` (importReceive): its
   * `soPending` send-once rights go `DIRECT` down its old `route` (§4.5,
   * "back where they were made"; a relay's count too, "A relay's count is
   * not its own"). A relay the right only passes through (`passing`) makes
   * no pool for the relayed part of that count: the `DIRECT` paid as many
   * rights counted in the arriving `soRights` (the pool down the route),
   * which it passes on, so that many of its next count stand for late
   * messages from its old upstream. Remembered as `soVia`: when the right
   * comes back to where those rights were made, that node's `DIRECT`
   * comes from there, not from the relay's new upstream; refused as
   * stale, the relay waited for ever (`44000151` with --held-rights
   * --send-once --relink, 3 nodes, links live: the right went 1 → 3 → 2
   * → 3 → 1, passing node 3 twice). A relay the right stops at remembers
   * its upstream and relayed count for the pool (`relayedHome`, makePool).
   */
  protected sendDirect(e: PortEntry, route: number | undefined, passing: boolean): void {
    e.soVia = passing && e.soRelayed && e.upstream !== undefined && e.soPending > this.ownSendOnce(e) ? e.upstream : undefined;
    const relayed = e.soRelayed ? e.soPending - this.ownSendOnce(e) : 0;
    if (!passing && relayed > 0 && e.upstream !== undefined) this.relayedHome.set(e.key, { link: e.upstream, n: relayed });
    if (e.soPending > 0 && route !== undefined && this.links.has(route)) this.sendControl(route, { t: 'direct', ...idOf(e.id), n: e.soPending, origin: this.cfg.node });
  }

  /**
   * The port died here (its receive right, home here): a send-once relay
   * this node keeps for it (left when the right passed through before) is
   * doomed too, as every route ends at the dead port. Its port goes, so its
   * send-once rights become dead names as Mach makes them, netmsg's own
   * pool rights among them (their dead-name requests fire and empty the
   * pool), and the news goes up its upstream (§4.5, "the port's death").
   * Kept, it and the older pool here whose rights name its port waited for
   * a message the relays upstream, killed by this death's DEAD, could no
   * longer send (`26000148` with --held-rights --send-once).
   */
  protected override homeDied(e: PortEntry): void {
    super.homeDied(e);
    this.relaysDied(e.key, undefined);
  }

  /**
   * The port `key` died, learnt here by its home's dead-name notification
   * or by the last of a pool's send-once rights to it turning a dead name
   * (Mach makes one only when the port dies): the relays kept here for it
   * go as in homeDied. The pool's way matters when a RELEASE collected the
   * home while its notification was in flight (that then finds no entry):
   * the pool's DEAD drops the relays upstream, so a relay kept here would
   * wait for ever for their late message (`26000148`'s shrink, task H).
   * `told`: a link that has heard DEAD for the port already.
   */
  protected relaysDied(key: PortKey, told: number | undefined): void {
    for (const r of [...(this.soRelays.get(key) ?? [])]) {
      if (r.upstream !== undefined && r.upstream !== told && this.links.has(r.upstream)) this.sendControl(r.upstream, { t: 'dead', node: r.id.node, serial: r.id.serial });
      this.relayDiedDown(r, told);
      this.dropRelay(r);
    }
  }

  /**
   * A relay going with its dead port tells its route too: the relays down
   * it count late messages through this relay's send-once rights, dead
   * names now, so none will come (Mach: a right to a dead port yields no
   * message). The DEAD walking back from where the port died reaches them
   * only while the trail's links live; a link loss on that walk left them
   * waiting for ever (`436001313` with --held-rights --send-once
   * --defer-send-once: the right went 1 → 2 → 4 → 1, died at node 1, and
   * the link 1–4 was lost with the DEAD on it; node 2's relay stayed).
   * The port is dead, so the news is true wherever it lands (§4.5, the
   * port's death).
   */
  private relayDiedDown(r: SendOnceRelay, told: number | undefined): void {
    if (r.route === told || r.route === r.upstream || !this.links.has(r.route)) return;
    this.edge('relayDeadDown');
    this.sendControl(r.route, { t: 'dead', node: r.id.node, serial: r.id.serial });
  }

  protected dropRelay(r: SendOnceRelay): void {
    const list = this.soRelays.get(r.key)?.filter((x) => x !== r) ?? [];
    if (list.length > 0) this.soRelays.set(r.key, list);
    else this.soRelays.delete(r.key);
    this.soRelayByName.delete(r.name);
    this.emit({ type: 'destroyPort', name: r.name });
  }

  /**
   * netmsg keeps `so`'s real right until its one message comes back; a
   * dead-name request on it tells when the reply port dies first (§4.4).
   * At once, or at the second sweep from now while the token is still
   * pending (`NodeConfig.deferSendOnceRequests`).
   */
  protected watchSendOnce(so: SendOnceOut): void {
    if (this.cfg.deferSendOnceRequests) this.soYoung.push(so);
    else this.emit({ type: 'requestDeadName', name: so.name });
  }

  /**
   * `sweepSendOnce`: the tokens made before the previous sweep and still
   * pending get their dead-name request now (a request on a right already
   * dead reports the death at once: the driver's `deadName`); the tokens
   * made since wait for the next sweep.
   */
  protected sweepSendOnce(): void {
    const aging = this.soAging;
    for (let i = 0; i < aging.length; i++) {
      const so = aging[i]!;
      // Still pending: the same token is in soOut (keys are never reused; its name may be).
      if (this.soOut.get(so.key) === so) this.emit({ type: 'requestDeadName', name: so.name });
    }
    aging.length = 0;
    this.soAging = this.soYoung;
    this.soYoung = aging;
  }
}
