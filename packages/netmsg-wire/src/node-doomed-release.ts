import { NodeDeadCrossing } from './node-dead-crossing.js';
import { isDraining, type PortEntry } from './port-table.js';

/**
 * A doomed proxy gives its route's transfer back (PROTOCOL.md §4.3 rule 3,
 * §4.4 "every such transfer comes back as exactly one RELEASE", §4.5 "A
 * doomed proxy"). The proxy here that is about to become the port's home
 * turned out to hang off a broken chain: its FLUSH marker came back
 * `broken` (node-migration.ts `onFlush`), and `chainDied` destroys its port
 * and stops counting what it imported on its route. The node on that
 * route still counts that transfer — as `exported` while its proxy lives,
 * as `forgotten` once the chain's DEAD killed it — and is paid only by a
 * RELEASE. On the other way to the same end (DEAD from the route,
 * node-dead.ts `onDead`) the RELEASE goes first; on this one the count was
 * dropped unsent. The route's forgotten count then took the next RELEASE
 * from this node for the identity: that of the transfer the port's next
 * home there counted when the receive right went on to it through here (a
 * relay, §4.5), and that home kept netmsg's send right for ever: NO
 * SENDERS lost (`532001667` with --held-rights --relink, §9 Task N31).
 * A later DEAD from the route finds nothing imported and sends none again.
 */
export abstract class NodeDoomedRelease extends NodeDeadCrossing {
  protected override chainDied(e: PortEntry, route: number | undefined): void {
    // A draining entry is left as it is (chainDied returns at once).
    const imp = route !== undefined && !isDraining(e) ? e.imported.get(route) ?? 0 : 0;
    if (imp > 0 && route !== e.migrateFrom && this.links.has(route!)) {
      this.edge('doomedRelease');
      // Behind the message its receive right waits in for that link, if any (§4.3 rule 3).
      this.sendBehindCarrier(e.key, route!, { t: 'release', node: e.id.node, serial: e.id.serial, n: imp }, e.handoff === route);
      e.imported.delete(route!);
    }
    super.chainDied(e, route);
  }
}
