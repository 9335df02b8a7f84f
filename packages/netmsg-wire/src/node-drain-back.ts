import { type PortId, portKey } from './identity.js';
import type { NodeAction } from './node-events.js';
import type { ReceiveState } from './wire-message.js';
import { roundField } from './node-core.js';
import { NodeGateOrder } from './node-gate-order.js';

/**
 * A receive right home again at its old home before the drain there ended
 * (PROTOCOL.md §4.5, "Home again before the drain ended"). An old home
 * keeps what arrives for the port behind its drain (`drainHold`) and the
 * FLUSH markers passing meanwhile (`flushWait`) until the drain ends
 * (endDrain): a message there carrying a receive right whose own round is
 * not back (`drainWaitsRound`), or a relay's senders waiting for its marker
 * up the old route (`relayWait`), keeps them past the drain's last message.
 * When a link loss then finished the right's round early and the right was
 * made home here, the entry became home with that hold and those markers
 * still on it: nothing ends the drain of a home (endDrain is for proxies),
 * so the held messages stayed for ever (leftover entries; `421001358` with
 * `--held-rights`, 4 nodes, link loss), and the markers never went back,
 * so their origins' rounds, the proxies behind them and their credit
 * reservations waited for ever, and a send right held in them lost NO
 * SENDERS (`393001208`, same mode). The port is this node's now: what waited
 * behind the drain is put back on the port with what was held for the
 * right's own round, ahead of it (it came earlier, per link), and each
 * waiting marker goes back to its origin, as a marker that finds the port
 * home does (importReceive's pending markers); this node's own marker is
 * moot (the right is here). Only for a right arriving to stay: one passing
 * through (`owed`, a relay) leaves again at once and its entry stays a
 * proxy, whose drain goes on as before. Node-local, no wire change.
 */
export abstract class NodeDrainBack extends NodeGateOrder {
  protected override importReceive(peer: number, id: PortId, st: ReceiveState, post: NodeAction[], owed?: (number | undefined)[], onTo?: number): number {
    const e = this.byKey.get(portKey(id));
    const back = owed === undefined && e !== undefined && e.role === 'proxy' && (e.drainHold.length > 0 || e.flushWait.length > 0 || e.relayWait);
    if (!back) return super.importReceive(peer, id, st, post, owed, onTo);
    this.edge('drainBack');
    const markers = e.flushWait;
    e.flushWait = [];
    e.relayWait = false;
    e.relayRound = undefined;
    // Held messages keep their arrival mark (markArriving): importReceive
    // takes it off every held one, and materialises them, crediting those
    // whose credit is still owed (`credited` unset).
    const behind = e.drainHold.map((h) => ({ wm: h.wm, from: h.from, credited: h.credited === true }));
    e.drainHold = [];
    e.held = [...behind, ...e.held];
    const name = super.importReceive(peer, id, st, post, owed, onTo);
    for (const { origin, round } of markers) {
      if (origin === this.cfg.node) continue;
      const link = this.linkTo(origin);
      if (this.links.has(link)) this.sendControl(link, { t: 'flush', node: id.node, serial: id.serial, origin, ...roundField(round) });
    }
    return name;
  }
}
