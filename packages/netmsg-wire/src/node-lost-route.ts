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
 * passes it to F — directly, or through the nodes a search over the live
 * links reaches (node-route-search.ts) — and F sends it down its route
 * behind all of that, as F
 * would have the lost marker; it comes back through the old home's drain
 * as any marker does.
 */
export abstract class NodeLostRoute extends NodeDead {
  /** The new home's marker again, after its route's link `lost` died: to the link the right came on, naming the lost link's far end. */
  protected reflushAfterLoss(e: PortEntry, lost: number): void {
    this.viaOut.set(e, lost % LINK_INCARNATION);
    this.forwardFlush(e, this.cfg.node, lost % LINK_INCARNATION, e.round);
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
      if (e.flushWait.some((w) => w.origin === self) || (e.pending.get(e.route) ?? []).some((q) => q.flush === self)) continue;
      this.edge('markerLostHome');
      // A round re-sent after its route died names the lost route's far
      // end again: a plain marker would be returned at once by the node the
      // right came from, ahead of what that far end forwarded (`via`, above).
      this.forwardFlush(e, self, this.viaOut.get(e), e.round);
    }
  }
}
