import type { GateItem } from './port-table.js';
import { NodeGatePins } from './node-gate-pins.js';

/**
 * A gate splits no port (PROTOCOL.md §4.5, "A gate splits no port"): a
 * link's gate does not let a port's message leave for the port's route
 * while a later message of the same port stays in it, waiting for a
 * receive right's round. The gate is one FIFO stage per port; the message
 * it lets go is on the route, and the later one is behind it only while the
 * route stays. When the receive right then comes back here (to stay), what
 * this node sent on the route comes back with its FLUSH round, on a link
 * whose gate still holds the later message, and goes behind it there
 * (`onWireMessage`'s `behindGate`, right for the link's own later messages):
 * "0 after 1" (`320000983` with `--held-rights`, 4 nodes; the link losses
 * only shaped the routes, §9). Kept, the older message waits in order with
 * the later one, and the right coming back finds both still gated, in order.
 *
 * Only a message that would be forwarded now (its port a proxy here,
 * neither migrating here nor arriving in this node's hands), and only while
 * a later one for the port waits for a round of its own (`waiting`, or a
 * receive right in hand still settling). Also a message an old home's or a
 * relay's drain waits for (`drainOf`): the right passed on and came back
 * (task N15's trace, §9). Node-local, no wire change.
 */
export abstract class NodeGateOrder extends NodeGatePins {
  protected override keptForPort(queue: GateItem[], i: number): boolean {
    const d = this.destEntry(queue[i]!.wm);
    if (d === undefined || d.role !== 'proxy' || d.migrating || this.arriving.has(d.key)) return false;
    for (let j = i + 1; j < queue.length; j++) {
      const later = queue[j]!;
      if (this.destEntry(later.wm) !== d) continue;
      if (later.waiting.size > 0 || this.heldRightsMigrating(later.wm)) {
        this.edge('gateKeepsPort');
        return true;
      }
    }
    return false;
  }
}
