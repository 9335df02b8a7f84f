import type { PortKey } from './identity.js';
import { NodeDead } from './node-dead.js';
import { LINK_INCARNATION } from './node-core.js';
import type { PortEntry } from './port-table.js';

/**
 * A migration whose route died (PROTOCOL.md §4.5, "A migration whose route
 * died"): the new home's FLUSH marker went up its route to node F and the
 * link to F is lost. What this node forwarded to F before the loss is
 * either lost with the link (Mach destroys a dead port's queue; the claim
 * covers only messages not lost) or F has it, and F forwards it down F's
 * own route to the old home, possibly still in flight on other links. A
 * marker sent straight to the old home was returned at once, ahead of
 * them, and the new home delivered its younger messages first (`42000194`,
 * `55000257`, `62000206`: per-port FIFO). So the re-sent marker names F
 * (`via`, since protocol version 3); the node the right came from (C)
 * passes it to F — directly, or through one neighbour of its that has a
 * link to F — and F sends it down its route behind all of that, as F
 * would have the lost marker; it comes back through the old home's drain
 * as any marker does.
 */
export abstract class NodeLostRoute extends NodeDead {
  /** The new home's marker again, after its route's link `lost` died: to the link the right came on, naming the lost link's far end. */
  protected reflushAfterLoss(e: PortEntry, lost: number): void {
    this.viaOut.set(e, lost % LINK_INCARNATION);
    this.forwardFlush(e, this.cfg.node, lost % LINK_INCARNATION);
  }

  /** The `via` of a migration's re-sent marker, while that migration lasts: a new round after a later loss names it again. */
  protected readonly viaOut = new WeakMap<PortEntry, number>();

  protected override finishMigration(e: PortEntry): void {
    this.viaOut.delete(e);
    super.finishMigration(e);
  }

  /**
   * Its own marker may have been on its way back over a lost link `peer`
   * that was not its route (PROTOCOL.md §4.5, "A marker lost on its way
   * home"): the last node of the round sends it to its origin directly,
   * keeping no record (notePath), so nothing returns it and the migration,
   * with everything held for it, waited for ever (`111000344`). A new round
   * goes up the route behind everything sent there since; whichever comes
   * first finishes the migration, and the origin ignores the other (onFlush).
   */
  protected reflushOnLoss(peer: number): void {
    const self = this.cfg.node;
    for (const e of this.byKey.values()) {
      if (!e.migrating || e.role !== 'proxy' || e.route === undefined || e.route === peer || !this.links.has(e.route)) continue;
      // Not out yet: it waits for a drain (flushWait) or behind what is
      // queued on the route, and leaves in its turn; a second one there
      // would change nothing.
      if (e.flushWait.includes(self) || (e.pending.get(e.route) ?? []).some((q) => q.flush === self)) continue;
      this.edge('markerLostHome');
      // A round re-sent after its route died names the lost route's far
      // end again: a plain marker would be returned at once by the node the
      // right came from, ahead of what that far end forwarded (`via`, above).
      this.forwardFlush(e, self, this.viaOut.get(e));
    }
  }

  /**
   * A marker with `via`. Straight from its origin (this node is C): to F
   * when linked there, else to the first neighbour (by node id) that is
   * neither the origin nor F, asking it to pass the marker to F. From
   * another node, not `bounced` (this node is that neighbour): to F if
   * linked, else back to C, `bounced`. Back `bounced` (C again): to the next
   * neighbour. Each hop leaves a marker record (§4.5, "Markers that find
   * nothing"), so a marker returned, or lost with a link, goes on towards
   * the origin whether or not this node still knows the port. False when
   * no neighbour is left to ask: the marker is then an ordinary one from
   * the origin, returned behind this node's drain as before version 3 (§9:
   * what F forwarded may still overtake it).
   */
  protected passToLostRoute(peer: number, key: PortKey, origin: number, via: number, bounced: boolean): boolean {
    const fromOrigin = peer === this.linkTo(origin);
    if (via === this.cfg.node || origin === this.cfg.node) return false;
    const far = this.linkTo(via);
    const [node, serial] = key.split(':').map(Number) as [number, number];
    const k = `${key}@${origin}`;
    if (!fromOrigin && !bounced) {
      // Asked by C to reach F: a plain marker to F, or back to C.
      if (far !== peer && this.links.has(far)) {
        this.notePath(key, origin, far, peer);
        this.edge('lostRouteProbe');
        this.sendControl(far, { t: 'flush', node, serial, origin });
      } else {
        this.sendControl(peer, { t: 'flush', node, serial, origin, via, bounced: true });
      }
      return true;
    }
    const back = this.linkTo(origin);
    if (fromOrigin) {
      // A marker straight from its origin is a new round of its (onFlush).
      this.markerPath.delete(k);
      // What came for the port from the origin before the marker and waits
      // in that link's gate is older than it, as onFlush marks it: the
      // marker waits for it when it comes back.
      const e = this.byKey.get(key);
      if (e) this.markGated(e, this.gates.get(peer));
      if (far !== peer && this.links.has(far)) {
        this.notePath(key, origin, far, back);
        this.edge('lostRouteProbe');
        this.sendControl(far, { t: 'flush', node, serial, origin });
        return true;
      }
    } else {
      // A neighbour without a link to F sent it back: its record goes.
      this.takeMarkerPath(key, origin, peer);
    }
    const after = fromOrigin ? -1 : peer % LINK_INCARNATION;
    const next = this.askNext(after, origin, via);
    if (next !== undefined) {
      this.notePath(key, origin, next, back);
      this.sendControl(next, { t: 'flush', node, serial, origin, via });
      return true;
    }
    if (fromOrigin) return false;
    // No neighbour reaches F: an ordinary marker from the origin after all.
    this.onFlush(back, key, origin);
    return true;
  }

  /** The live link of the lowest node id above `after` that is neither this node, `origin` nor `via`. */
  private askNext(after: number, origin: number, via: number): number | undefined {
    let best: number | undefined;
    for (const link of this.links.keys()) {
      const n = link % LINK_INCARNATION;
      if (link !== this.linkTo(n) || n <= after || n === origin || n === via || n === this.cfg.node) continue;
      if (best === undefined || n < best % LINK_INCARNATION) best = link;
    }
    return best;
  }
}
