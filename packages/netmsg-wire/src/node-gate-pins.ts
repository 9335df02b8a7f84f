import type { PortId, PortKey } from './identity.js';
import type { PortEntry, Role } from './port-table.js';
import type { WireMessage } from './wire-message.js';
import { NodeMarkerReturn } from './node-marker-return.js';

/**
 * Gated messages pin an entry made after them, unless it is made for a
 * receive right arriving to stay (PROTOCOL.md §4.5, "A gate older than its
 * port's entry"). A link's gate is one FIFO stage per port (the per-port
 * FIFO argument): a later message of the link for a port goes behind an
 * older one waiting there for another receive right's round, which the node
 * knows by the pins gated messages put on their destination's entry
 * (`gatedFor`; a proxy's message is taken as local while `gatePins` > 0). A
 * message gated while this node had no entry for its port (its proxy died
 * with a lost link) pinned nothing; when a receive right passing through
 * then made an entry, the link's next message to the port found no pin and
 * went on ahead of the gated one (`320000983` with `--held-rights`, 4
 * nodes, link loss: FIFO, shrunk). So a new entry counts the gated messages
 * already waiting for it; their release unpins it as before (`pinDest`),
 * and it is not collected while they wait (`tryCollect`). Not an entry made
 * migrating here (the right arriving to stay, startMigration): it holds and
 * credits what comes meanwhile, and gating that uncredited instead
 * deadlocked credit against a marker waiting for it (`303000923`, §9).
 * Node-local, no wire change.
 */
export abstract class NodeGatePins extends NodeMarkerReturn {
  /** Pins a new entry took for messages gated before it (undone if it turns out migrating here). */
  private readonly olderGated = new WeakMap<PortEntry, number>();

  protected override newEntry(id: PortId, role: Role, name: number): PortEntry {
    const e = super.newEntry(id, role, name);
    let n = 0;
    for (const gate of this.gates.values()) for (const item of gate.queue) if (this.destEntry(item.wm) === e) n++;
    if (n > 0) {
      e.gatePins += n;
      this.olderGated.set(e, n);
    }
    return e;
  }

  protected override startMigration(peer: number, wm: WireMessage, mode: 'gate' | 'held' | 'passing' = 'gate'): Set<PortKey> | undefined {
    const keys = super.startMigration(peer, wm, mode);
    for (const k of keys ?? []) {
      const e = this.byKey.get(k);
      const n = e === undefined ? undefined : this.olderGated.get(e);
      if (e === undefined || n === undefined || !e.migrating) continue;
      e.gatePins = Math.max(0, e.gatePins - n);
      this.olderGated.delete(e);
    }
    return keys;
  }
}
