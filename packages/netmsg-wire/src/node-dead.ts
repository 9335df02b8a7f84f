import { portIdOfKey, type PortKey, portKey } from './identity.js';
import { NodeMigration } from './node-migration.js';
import type { ReceiveStatus } from './node-events.js';
import { isDraining, type StaleBelow } from './port-table.js';
import type { PortRef, WireMessage } from './wire-message.js';

/**
 * DEAD(identity, seen) from a link (PROTOCOL.md §4.4): the port died, or the
 * chain of routes to it did, or it answers a message of an older entry.
 * `seen` (the messages the sender had received on the link when it sent
 * it) tells a DEAD sent before the sender had a receive right this node
 * wrote to it apart from one sent after: the former cannot be about the
 * entry that right left behind (`sentBeforeCarrier`).
 */
export abstract class NodeDead extends NodeMigration {
  /**
   * Whether a DEAD from `peer` whose sender had received `seen` of this
   * node's messages on the link was sent before the sender had the message
   * carrying the receive right `guard` records (its write index on that
   * link, Infinity while it waits to be written). Such a DEAD cannot be the
   * port's death (the right was alive in that message: Mach destroys a
   * receive right only with its port, and identities are never reused), nor
   * a chain death of this entry's (its only chain on `peer` is that message:
   * `guard` is not set for a proxy that was routed to `peer` already when
   * the right reached this node, relayRights), nor an answer to one of its
   * messages (nothing of it goes to `peer` before the carrying message, the
   * handoff gate): it is about an older entry of this node's for the
   * identity (its proxy killed or collected since), and kills nothing.
   */
  protected sentBeforeCarrier(guard: StaleBelow | undefined, peer: number, seen: number): boolean {
    return guard !== undefined && !guard.routed && this.beforeCarrier(guard, peer, seen);
  }

  /** Whether a DEAD from `peer` with `seen` left before the peer had the message `guard` records. */
  private beforeCarrier(guard: StaleBelow | undefined, peer: number, seen: number): boolean {
    return guard !== undefined && guard.link === peer && seen < guard.index;
  }

  /** The receive right leaves on `peer`: until the peer has it, its DEADs are not this entry's. */
  protected override exportReceive(name: number, peer: number, st: ReceiveStatus | undefined): PortRef {
    const ref = super.exportReceive(name, peer, st);
    const e = this.byName.get(name);
    if (e) e.staleBelow = { link: peer, index: Infinity };
    return ref;
  }

  /**
   * A receive right passing through: as `exportReceive`, except for a port
   * whose proxy here was routed to `to` already. Its older senders hang off
   * a chain on that link, and a DEAD from there sent before the right
   * arrived may be that chain's death (a link loss beyond the peer): it
   * keeps killing the entry, as before (§4.4). The carrier's index is kept
   * (`routed`) for what the entry, so killed, owes its route
   * (`relayDeadBack`).
   */
  protected override relayRights(from: number, to: number, wm: WireMessage): void {
    let onTo: PortKey[] | undefined;
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        const e = ref.tag === 'port' ? this.byKey.get(portKey(ref.id)) : undefined;
        if (e && e.role === 'proxy' && e.route === to) (onTo ??= []).push(e.key);
      }
    }
    super.relayRights(from, to, wm);
    for (const key of onTo ?? []) {
      const e = this.byKey.get(key);
      if (e?.staleBelow) e.staleBelow = { ...e.staleBelow, routed: true };
    }
  }

  /**
   * A proxy or send-once relay routed to `peer` (`routed`: it was routed
   * there already when the receive right passed through it on its way
   * there) is killed by a DEAD `peer` sent before it had that right (about
   * the peer's older entry, whose chain the relay's older senders hang
   * off). It still counts `pending` late send-once messages to relay down
   * that route (§4.5): with its port gone, their rights here and upstream
   * are dead names (the relays upstream hear DEAD), so none will come. The
   * peer, sending that DEAD, knew nothing of the right, and the pool it
   * made (or makes) for them when the right came waited for ever, the
   * port getting neither the messages nor their SEND_ONCE notifications
   * (`465001493` with --held-rights --send-once --defer-send-once, 4
   * nodes, link loss). So a DEAD goes back down the route, behind the
   * carrying message if it still waits here: there it is a DEAD from the
   * link the right came on, which makes the pool's rights dead or drops
   * them (§4.4, "a new home's send-once pool ... hears a relay's DEAD on
   * that link"), so the port gets Mach's send-once notification for each.
   */
  private relayDeadBack(key: PortKey, guard: StaleBelow | undefined, pending: number, peer: number, seen: number): void {
    if (pending <= 0 || !guard?.routed || !this.beforeCarrier(guard, peer, seen) || !this.links.has(peer)) return;
    this.edge('relayDeadBack');
    const { node, serial } = portIdOfKey(key);
    // Index Infinity: the carrying message is not written yet (exportReceive; sendMessage sets it).
    this.sendBehindCarrier(key, peer, { t: 'dead', node, serial }, guard.index === Infinity);
  }

  protected onDead(peer: number, key: PortKey, seen: number): void {
    // From the link a pool's receive right came on: the chain its late
    // send-once messages would take died. Its rights are destroyed
    // unused (the port gets Mach's send-once notification for each);
    // a relay passes the news on.
    const pool = this.soPools.get(key);
    if (pool && pool.from === peer) this.dropPool(key);
    for (const relay of [...(this.soRelays.get(key) ?? [])]) {
      if (relay.upstream === peer) {
        this.sendControl(relay.route, { t: 'dead', node: relay.id.node, serial: relay.id.serial });
        this.dropRelay(relay);
      } else if (relay.route === peer && !this.sentBeforeCarrier(relay.staleBelow, peer, seen)) {
        // The port died (or the path to it did): the relay's send-once
        // rights are dead names now, as Mach makes them, and so are those
        // of the relays further back.
        if (relay.upstream !== undefined && this.links.has(relay.upstream)) this.sendControl(relay.upstream, { t: 'dead', node: relay.id.node, serial: relay.id.serial });
        this.relayDeadBack(key, relay.staleBelow, relay.pending, peer, seen);
        this.dropRelay(relay);
      }
    }
    const so = this.soProxyByKey.get(key);
    if (so) {
      this.soProxyByKey.delete(key);
      this.unlearn(so);
      this.soProxyByName.delete(so.name);
      this.emit({ type: 'destroyPort', name: so.name });
    }
    const e = this.byKey.get(key);
    // A right to the port from that link still waits here (in a gate, a
    // migration hold or a drain) and will be imported after this DEAD:
    // remember the death, so it arrives as MACH_PORT_DEAD instead of
    // making a proxy no DEAD will ever reach (§4.1).
    // Also while an entry of another route stands: collected before the
    // right is imported, the right made a proxy DEAD had passed (`3000025`).
    // Not the port's death: what relays here are owed stays (entomb, §6).
    if ((!e || e.route !== peer) && this.waitsWithRight(key, peer)) this.entomb(key);
    // Only the proxy's upstream speaks for the port: a DEAD from any other
    // link is about that node's own (now released) chain.
    if (!e || e.role !== 'proxy' || e.route !== peer || this.staleDead(e, peer)) return;
    // Sent before the peer had this entry's receive right: about an older
    // entry of this node's, never this one (§4.4, "A DEAD sent before").
    if (this.sentBeforeCarrier(e.staleBelow, peer, seen)) {
      this.edge('deadBeforeCarrier');
      return;
    }
    // The receive right is in our hands (held for a migration): the
    // chain behind us died, not the port; stop waiting for the marker.
    // The rights local tasks hold on the proxy hung off that chain, so
    // they are doomed (dead names), not the arriving right's.
    // Its one transfer from that link goes back, so the sender (which
    // forgot the entry, §4.4) is paid exactly once per transfer.
    // Not to the link the right came on while it is in our hands (the
    // migration settles that link's transfer). `migrateFrom` says so only
    // then: a proxy whose right came from its route and went back that way
    // (a relay whose upstream is its route, §4.5) is that route's plain
    // proxy again, and killed by its DEAD it gives its transfer back like
    // any other. It kept it, and a home made without senders there (the
    // DEAD was its send-once pool's, §4.5) counted it for ever
    // (`383001225` with --held-rights --send-once --relink, §9 Task N28).
    const imp = e.imported.get(peer) ?? 0;
    const inHands = e.migrating || this.arriving.has(e.key);
    if (imp > 0 && peer === e.migrateFrom && !inHands) this.edge('deadOnWayBack');
    if (imp > 0 && (peer !== e.migrateFrom || !inHands)) {
      // Its receive right still waits to go to that link: behind it (§4.3 rule 3).
      this.sendBehindCarrier(e.key, peer, { t: 'release', node: e.id.node, serial: e.id.serial, n: imp }, e.handoff === peer);
      e.imported.delete(peer);
    }
    // The right is in our hands (a gate, a hold) though its marker came
    // back: the port lives here too, as for a migrating entry.
    const inHand = !e.migrating && peer !== e.migrateFrom && this.arriving.has(e.key);
    if (e.migrating || inHand) {
      if (peer !== e.migrateFrom) {
        this.chainDied(e, peer);
        // The right in our hands stands for the live port now (fresh
        // port, §4.3 "After link loss"): the entry waits for it without a
        // route, as at a link loss (§4.4), so a later DEAD from the dead
        // chain (an answer to a message sent down it before) is not about
        // it. Still routed there, such an answer killed it, and with
        // inHand the first DEAD did: the messages held for it were
        // destroyed, another port's receive right among them, and NO
        // SENDERS was lost (`42000161` with --held-rights --relink).
        if (this.arriving.has(e.key) && !isDraining(e)) e.route = undefined;
      }
      // From the link the right came on: a relay there lost its way
      // back to the old home after passing the right on, so the late
      // send-once messages the right's `soRights` count can no longer
      // come (§4.5, link loss). Its DEAD came before the pool it meant
      // was made: the pool is made dead (importReceive).
      else e.soLost = true;
      if (e.migrating) this.finishMigration(e);
    } else {
      this.relayDeadBack(key, e.staleBelow, e.soPending, peer, seen);
      this.killProxy(e, peer);
    }
    return;
  }

  /** Whether a message from `peer` waiting here carries a send right to `key`. */
  protected waitsWithRight(key: PortKey, peer: number): boolean {
    const has = (wm: WireMessage): boolean => {
      const refs: PortRef[] = [wm.reply];
      for (const it of wm.items) if (it.kind === 'ports') refs.push(...it.ports);
      return refs.some((r) => r.tag === 'port' && r.right === 'send' && portKey(r.id) === key);
    };
    if (this.gates.get(peer)?.queue.some((g) => has(g.wm))) return true;
    for (const e of this.byKey.values()) {
      if (e.held.some((h) => h.from === peer && has(h.wm))) return true;
      if (e.drainHold.some((h) => h.from === peer && has(h.wm))) return true;
    }
    return false;
  }
}
