import { portIdOfKey, type PortKey } from './identity.js';
import { LINK_INCARNATION, NodeCore, roundField } from './node-core.js';
import { NodeLostRoute } from './node-lost-route.js';

/**
 * Where the re-sent marker of a migration whose route died finds the lost
 * link's far end F (PROTOCOL.md §4.5, "A migration whose route died").
 * The node the right came from (C) passes it to F when linked there, else
 * asks its neighbours; since 2026-12-01 (task N7) an asked node without a
 * link to F asks its own neighbours in turn: a depth-first search over the
 * live links, one marker out at a time. With one neighbour hop only, a C
 * none of whose neighbours reached F returned the marker at once, ahead of
 * what F had forwarded on a longer way round to C (five nodes on a ring:
 * `test/lost-route-far.test.ts`, per-port FIFO). No wire change: the ask
 * is the version-3 `via` marker, the answer "not this way" is the same
 * marker back `bounced`.
 */
export abstract class NodeRouteSearch extends NodeLostRoute {
  /**
   * Searches this node is a step of, per `key@origin`: the link it was asked
   * on (C: the link to the origin). A request for the same search from any
   * other node is a loop (the search came round to this node) and goes
   * straight back `bounced`, so the search visits each node once per path
   * and ends. An entry goes when this node's part ends (it passed the
   * marker to F, or no neighbour is left to ask), when either of its links
   * is lost, or when the same link asks again (a new round). One left by a
   * search that found F further on (nothing tells this node) stays, but
   * holds the search's `round` (§4.5, since 2026-12-01, task N10): only a
   * request of that round from another node is a loop, and a later
   * migration's search replaces it (before, it turned that search back as
   * a dead end, and C fell back ahead of what F had forwarded). Bounded as
   * tombstones are.
   */
  private readonly asking = new Map<string, { parent: number; child: number; round?: number }>();

  /**
   * A marker with `via`. Straight from its origin (this node is C), or
   * asked by a node of the search (not `bounced`): to F when linked there
   * (a plain marker, recorded: "Markers that find nothing"), else to the
   * first neighbour by node id that is neither the origin, F nor the node
   * that asked, with `via` kept. Back `bounced` from the neighbour asked:
   * its record goes and the next neighbour is asked. With none left, C
   * takes it as an ordinary marker from the origin (returned behind its
   * drain, as before version 3, §9), and any other node sends it back
   * `bounced` to the node that asked it. False only when C, straight from
   * the origin, has nobody to ask: the caller takes it as a plain marker.
   */
  protected passToLostRoute(peer: number, key: PortKey, origin: number, via: number, bounced: boolean, round?: number): boolean {
    if (via === this.cfg.node || origin === this.cfg.node) return false;
    const fromOrigin = peer === this.linkTo(origin);
    const back = this.linkTo(origin);
    const far = this.linkTo(via);
    const { node, serial } = portIdOfKey(key);
    const k = `${key}@${origin}`;
    const rd = roundField(round);
    let parent: number | undefined;
    let after = -1;
    if (!bounced) {
      if (fromOrigin) {
        // A marker straight from its origin is a new round of its (onFlush).
        this.markerPath.delete(k);
        // What came for the port from the origin before the marker and waits
        // in that link's gate is older than it, as onFlush marks it: the
        // marker waits for it when it comes back.
        const e = this.byKey.get(key);
        if (e) this.markGated(e, this.gates.get(peer));
      } else {
        const on = this.asking.get(k);
        // Only the same search (the same round) coming round is a loop: an
        // entry of an earlier round is one a search left behind when it
        // found F further on, and taken for a loop it turned a later search
        // back here, which then fell back ahead of what F had forwarded
        // (`test/lost-route-stale-search.test.ts`, per-port FIFO; §4.5).
        if (on !== undefined && on.parent !== peer && on.round === round) {
          // The search came round to a node already on its way: a dead end.
          this.sendControl(peer, { t: 'flush', node, serial, origin, via, bounced: true, ...rd });
          return true;
        }
      }
      parent = peer;
      if (far !== peer && this.links.has(far)) {
        this.asking.delete(k);
        this.notePath(key, origin, far, peer, round);
        this.edge('lostRouteProbe');
        this.sendControl(far, { t: 'flush', node, serial, origin, ...rd });
        return true;
      }
    } else {
      // The neighbour asked found no way to F: its record goes.
      const ret = this.takeMarkerPath(key, origin, peer);
      const on = this.asking.get(k);
      parent = (on?.round === round ? on?.parent : undefined) ?? ret?.back ?? (this.links.has(back) ? back : undefined);
      after = peer % LINK_INCARNATION;
    }
    const next = parent === undefined ? undefined : this.askNext(after, origin, via, parent % LINK_INCARNATION);
    if (next !== undefined && parent !== undefined) {
      if (parent !== back) this.edge('lostRouteAskOn');
      this.asking.delete(k);
      this.asking.set(k, { parent, child: next, ...roundField(round) });
      if (this.asking.size > NodeCore.MAX_TOMBSTONES) this.asking.delete(this.asking.keys().next().value!);
      this.notePath(key, origin, next, parent, round);
      this.sendControl(next, { t: 'flush', node, serial, origin, via, ...rd });
      return true;
    }
    this.asking.delete(k);
    if (parent === back) {
      if (fromOrigin && !bounced) return false;
      // No node the search reached has a link to F: an ordinary marker
      // from the origin after all.
      this.onFlush(back, key, origin, false, false, round);
      return true;
    }
    // None of this node's neighbours leads to F: back to the node that asked.
    if (parent !== undefined && this.links.has(parent)) this.sendControl(parent, { t: 'flush', node, serial, origin, via, bounced: true, ...rd });
    return true;
  }

  /** A search step whose link is lost ends here: the marker records return what was out on it (returnLostMarkers). */
  protected override reflushOnLoss(peer: number): void {
    for (const [k, a] of [...this.asking]) if (a.parent === peer || a.child === peer) this.asking.delete(k);
    super.reflushOnLoss(peer);
  }

  /** The live link of the lowest node id above `after` that is neither this node, `origin`, `via` nor `asker`. */
  private askNext(after: number, origin: number, via: number, asker: number): number | undefined {
    let best: number | undefined;
    for (const link of this.links.keys()) {
      const n = link % LINK_INCARNATION;
      if (link !== this.linkTo(n) || n <= after || n === origin || n === via || n === asker || n === this.cfg.node) continue;
      if (best === undefined || n < best % LINK_INCARNATION) best = link;
    }
    return best;
  }
}
