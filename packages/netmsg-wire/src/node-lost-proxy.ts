import { type PortId, portKey, type PortKey } from './identity.js';
import { LINK_INCARNATION, NodeCore } from './node-core.js';
import { NodeRouteSearch } from './node-route-search.js';
import type { PortEntry, Role } from './port-table.js';
import type { WireMessage } from './wire-message.js';

/**
 * A receive right arriving where the port's proxy died with its route
 * (PROTOCOL.md §4.5, "A right arriving where its proxy died with its
 * route"). The proxy sent messages on its route to node F, and the link to
 * F was lost before they were acknowledged: each one either died with the
 * link (Mach destroys a dead port's queue) or reached F, which forwards it
 * down F's own route towards wherever the receive right was. The proxy
 * was killed (its senders got dead names), but the port lives: when its
 * receive right later comes here, the new entry's marker, sent plainly to
 * the node the right came from (C), was returned by C at once while such a
 * message was still on its way there behind F, and this node's task, with a
 * new right, had its younger messages queued first (`192000635` with
 * `--held-rights`, 4 nodes, link loss: FIFO). The round is the one of "A
 * migration whose route died", whose route died before the right came: the
 * marker names F (`via`, since protocol version 3), and C passes it to F,
 * which sends it down its route behind what it forwarded. It uses the
 * fields FLUSH already has (`via`, and `round` as every marker does).
 */
export abstract class NodeLostProxy extends NodeRouteSearch {
  /**
   * Per port, the far end (node id) of the lost route of a proxy killed
   * with it while messages it sent there were unacknowledged. Bounded as
   * the tombstones are; a new entry for the port takes it or drops it.
   */
  private readonly lostRoutes = new Map<PortKey, number>();
  /** While startMigration runs: the far ends for the entries it makes for rights whose proxy here died so. */
  private arrivingVia: Map<PortKey, number> | undefined;

  /**
   * A link is lost (linkDown, before its credit is given up): a proxy
   * routed over it dies. Only its messages not yet acknowledged can still
   * be on the way (credit is end to end, §6), so only then is F recorded.
   */
  protected noteLostRoute(e: PortEntry, peer: number): void {
    if (e.role !== 'proxy' || e.route !== peer || this.arriving.has(e.key)) return;
    this.lostRoutes.delete(e.key);
    if ((e.sentFrom.get(peer)?.length ?? 0) === 0) return;
    this.lostRoutes.set(e.key, peer % LINK_INCARNATION);
    if (this.lostRoutes.size > NodeCore.MAX_TOMBSTONES) this.lostRoutes.delete(this.lostRoutes.keys().next().value!);
  }

  protected override newEntry(id: PortId, role: Role, name: number): PortEntry {
    // A proxy made anew (a send right arriving): its first transfer opens a
    // new path, and the record is about an earlier one (taken by
    // startMigration first when a receive right makes the entry).
    this.lostRoutes.delete(portKey(id));
    return super.newEntry(id, role, name);
  }

  protected override startMigration(peer: number, wm: WireMessage, mode: 'gate' | 'held' | 'passing' = 'gate'): Set<PortKey> | undefined {
    let via: Map<PortKey, number> | undefined;
    // A right only passing through makes no entry (startMigration), so it
    // leaves the record for a later arrival.
    if (mode !== 'passing') {
      for (const it of wm.items) {
        if (it.kind !== 'ports' || it.right !== 'receive') continue;
        for (const ref of it.ports) {
          if (ref.tag !== 'port') continue;
          const key = portKey(ref.id);
          const far = this.lostRoutes.get(key);
          if (far === undefined || this.byKey.has(key)) continue;
          this.lostRoutes.delete(key);
          // From F itself: what F forwarded is behind the right on this link.
          if (far !== peer % LINK_INCARNATION) (via ??= new Map()).set(key, far);
        }
      }
    }
    this.arrivingVia = via;
    try {
      return super.startMigration(peer, wm, mode);
    } finally {
      this.arrivingVia = undefined;
    }
  }

  protected override forwardFlush(e: PortEntry, origin: number, via?: number, round?: number): void {
    const far = via === undefined && origin === this.cfg.node ? this.arrivingVia?.get(e.key) : undefined;
    if (far !== undefined) {
      // As a round re-sent after its route died (reflushAfterLoss): a new
      // round after a later loss names F again (reflushOnLoss).
      this.viaOut.set(e, far);
      this.edge('deadRouteRound');
      super.forwardFlush(e, origin, far, round);
      return;
    }
    super.forwardFlush(e, origin, via, round);
  }
}
