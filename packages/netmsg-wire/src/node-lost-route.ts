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
 * (`via`, since protocol version 3); the node the right came from passes
 * it to F, which sends it down its route behind all of that, as F would
 * have the lost marker; it comes back through the old home's drain as
 * any marker does.
 */
export abstract class NodeLostRoute extends NodeDead {
  /** The new home's marker again, after its route's link `lost` died: to the link the right came on, naming the lost link's far end. */
  protected reflushAfterLoss(e: PortEntry, lost: number): void {
    this.forwardFlush(e, this.cfg.node, lost % LINK_INCARNATION);
  }

  /**
   * A re-sent marker (`via`) straight from its origin: pass it to `via`
   * when this node has a link there, and remember the way back (a marker
   * record, §4.5 "Markers that find nothing"), so that when it returns
   * from F (or F's link dies, returnLostMarkers) it goes on to the origin
   * whether or not this node still knows the port. False when it cannot
   * (no link to F, or F is this node): the marker is then taken as an
   * ordinary one and returned at once, as before version 3 (§9: what F
   * forwarded may then still overtake it).
   */
  protected passToLostRoute(peer: number, key: PortKey, origin: number, via: number): boolean {
    if (via === this.cfg.node || peer !== this.linkTo(origin)) return false;
    const far = this.linkTo(via);
    if (far === peer || !this.links.has(far)) return false;
    // A marker straight from its origin is a new round of its (onFlush).
    this.markerPath.delete(`${key}@${origin}`);
    this.notePath(key, origin, far, peer);
    // What came for the port from the origin before the marker and waits
    // in that link's gate is older than it, as onFlush marks it: the marker
    // waits for it when it comes back from F.
    const e = this.byKey.get(key);
    if (e) this.markGated(e, this.gates.get(peer));
    const [node, serial] = key.split(':').map(Number) as [number, number];
    this.edge('lostRouteProbe');
    this.sendControl(far, { t: 'flush', node, serial, origin });
    return true;
  }
}
