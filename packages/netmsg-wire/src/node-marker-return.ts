import { portKey, type PortKey } from './identity.js';
import { roundField } from './node-core.js';
import { NodeLostProxy } from './node-lost-proxy.js';
import type { ReceiveStatus } from './node-events.js';
import { isDraining, type PortEntry } from './port-table.js';
import type { PortRef, WireMessage } from './wire-message.js';

/**
 * A relay's marker turned back by a proxy made since the right left
 * (PROTOCOL.md §4.5, "A relay's marker past a newer proxy"). A relay sends
 * the new home's marker up its `upstream` so it passes the old home's drain
 * and comes back down through the relay, behind what the relay forwarded
 * to the new home: the messages the new home had sent on towards the old
 * home before the right came, which come back that way (argument (b) of the
 * per-port FIFO claim). That holds while the upstream node's route is the
 * relay: the right left it that way. A node whose proxy for the port was
 * collected since and made anew by a send right from the new home is
 * routed straight there; it sent the marker on by its route, the marker
 * reached the new home ahead of what the relay had forwarded, and that was
 * put back behind the sender's younger message held from another link
 * (`180000596` with `--held-rights --send-once --defer-send-once`, 4 nodes:
 * FIFO). Such a node has nothing of the old route (the proxy the right
 * left was collected: all it sent was acknowledged, §6), so it sends the
 * marker back to the relay, whose marker record passes it down the
 * relay's route behind what the relay sent there. Node-local, no wire change.
 * The same for an entry made for the receive right come back round a cycle
 * of relays, while it migrates (`backRound`): the right went U → R → O → U,
 * U's new entry is routed to O, and O's own marker, passed up from R, went
 * straight to O ahead of what R drained towards O (`317001009` with
 * `--held-rights --send-once --defer-send-once`, 3 nodes: FIFO).
 * And a marker that waited where its port has since come home goes back to
 * its origin (`forwardFlush`, 2026-12-02: `303000958`, `331001082`).
 */
export abstract class NodeMarkerReturn extends NodeLostProxy {
  /** The link the port's receive right last left this entry on (exportReceive, relayRights). */
  private readonly rightWent = new WeakMap<PortEntry, number>();

  protected override exportReceive(name: number, peer: number, st: ReceiveStatus | undefined): PortRef {
    const ref = super.exportReceive(name, peer, st);
    const e = this.byName.get(name);
    if (e) this.rightWent.set(e, peer);
    return ref;
  }

  protected override relayRights(from: number, to: number, wm: WireMessage): void {
    super.relayRights(from, to, wm);
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        const e = ref.tag === 'port' ? this.byKey.get(portKey(ref.id)) : undefined;
        if (e) this.rightWent.set(e, to);
      }
    }
  }

  protected override onFlush(peer: number, key: PortKey, origin: number, broken = false, bounced = false, round?: number): void {
    if (!broken && !bounced && this.turnBack(peer, key, origin, round)) return;
    super.onFlush(peer, key, origin, broken, bounced, round);
  }

  /**
   * A marker that waited here (`flushWait`, behind a drain or the port's
   * gated messages; endDrain passes it on) while the port's receive right
   * came home to this node has no route to go on by. The base class
   * dropped it, and its origin, a relay waiting for its own marker
   * (`relayWait`), waited for ever (`303000958` with `--held-rights`, 3
   * nodes: "2:5 relay waits for its marker", NO SENDERS lost, once a relay
   * waits also when its right goes back the way it came, `331001082`).
   * With the port home here nothing older follows it through this node
   * (as for markers in the right's own hold, node-rights.ts), so it goes
   * straight back to its origin on the direct link, behind what this node
   * sent there (PROTOCOL.md §4.5, "A relay's senders behind the old home's
   * queue"). With no such link it is dropped as before (not seen).
   */
  protected override forwardFlush(e: PortEntry, origin: number, via?: number, round?: number): void {
    if (e.role === 'home' && origin !== this.cfg.node && this.routeOf(e) === undefined && this.byKey.get(e.key) === e) {
      const to = this.linkTo(origin);
      if (this.links.has(to)) {
        this.edge('markerHomeBack');
        this.sendControl(to, { t: 'flush', node: e.id.node, serial: e.id.serial, origin, ...roundField(round) });
      }
      return;
    }
    super.forwardFlush(e, origin, via, round);
  }

  /**
   * A marker from a node other than its origin, not returned here before,
   * reaching a proxy routed straight to the origin that the right did not
   * leave that way, from a node holding no transfer of ours (so not routed
   * here), with nothing for the port waiting here (no drain, no
   * hold, nothing from that node in its gate, no migration of its own
   * but the one `backRound` allows): back to that node. Its
   * record of the marker sends it on down its route (onFlush: a marker
   * coming back on a recorded link), and ours, kept for the way back,
   * sends it on by our route if it comes here again.
   */
  private turnBack(peer: number, key: PortKey, origin: number, round: number | undefined): boolean {
    const e = this.byKey.get(key);
    if (!e || e.role !== 'proxy' || origin === this.cfg.node) return false;
    const home = this.linkTo(origin);
    if (peer === home || this.routeOf(e) !== home || !this.links.has(peer)) return false;
    // The right left this entry on that route: the old home (or a relay)
    // whose route the marker must follow, behind its drain.
    if (this.rightWent.get(e) === home) return false;
    // A node routed to us holds a transfer from us (a proxy lives on exactly
    // one, from its route: importSend gives any other back at once): then
    // it may have passed the marker along the forward chain of the origin's
    // own route, which must go on by ours.
    if ((e.exported.get(peer) ?? 0) > 0) return false;
    if (isDraining(e) || e.drainHold.length > 0 || e.flushWait.length > 0 || e.relayWait) return false;
    if (e.migrating && !this.backRound(e, home, peer)) return false;
    if (this.markerPath.get(`${key}@${origin}`)?.some((x) => x.to === peer)) return false;
    if (this.gates.get(peer)?.queue.some((g) => this.destEntry(g.wm) === e)) return false;
    this.notePath(key, origin, peer, peer, round);
    this.edge('markerTurnedBack');
    // The marker keeps its migration's number (§4.5, "Markers name their migration").
    this.sendControl(peer, { t: 'flush', node: e.id.node, serial: e.id.serial, origin, ...roundField(round) });
    return true;
  }

  /**
   * A migrating entry that may turn a marker back (PROTOCOL.md §4.5, "A
   * relay's marker past a newer proxy"): the right came here from the
   * origin (`migrateFrom`, the route's link), into an entry that is no
   * relay's (no `upstream`: the marker came up a chain of relays to the
   * node the right came round to, so nothing of this node's is on the way
   * down it), with nothing queued for credit on that route and nothing held
   * from the marker's link (what is older than the marker stays here).
   */
  private backRound(e: PortEntry, home: number, peer: number): boolean {
    return e.migrateFrom === home && e.upstream === undefined && (e.pending.get(home)?.length ?? 0) === 0 && !e.held.some((h) => h.from === peer);
  }
}
