import { portKey, type PortKey } from './identity.js';
import type { OutgoingControl } from './node-core.js';
import type { PortEntry } from './port-table.js';
import type { WireMessage } from './wire-message.js';

/**
 * Control frames that must follow a message still queued for credit, about
 * the receive right it carries to the link it waits for (the handoff gate,
 * PROTOCOL.md §4.5 step 1): the RELEASE of the imported transfer of a proxy
 * killed by DEAD from that link or doomed by a `broken` marker (the new
 * home counts that transfer when the message arrives, so the RELEASE goes
 * behind it, as §4.3 rule 3 has it for a collected proxy), and the DEAD a
 * relay so killed sends back when it relayed late send-once messages (the
 * new home's pool for them is made when the message arrives, node-dead.ts
 * `relayDeadBack`). Dropped with the message if it never goes: the map is
 * weak.
 */
export class CarrierFollowers {
  private readonly after = new WeakMap<WireMessage, OutgoingControl[]>();

  /**
   * Put `control` behind the message that waits in one of `entries`'
   * credit queues for `peer` and carries `key`'s receive right. False if
   * no such message waits (the caller sends it at once).
   */
  follow(entries: Iterable<PortEntry>, key: PortKey, peer: number, control: OutgoingControl): boolean {
    for (const d of entries) {
      for (const q of d.pending.get(peer) ?? []) {
        if (q.flush !== undefined) continue;
        const carries = q.msg.items.some((it) => it.kind === 'ports' && it.right === 'receive' && it.ports.some((r) => r.tag === 'port' && portKey(r.id) === key));
        if (!carries) continue;
        const list = this.after.get(q.msg);
        if (list) list.push(control);
        else this.after.set(q.msg, [control]);
        return true;
      }
    }
    return false;
  }

  /** The frames that follow `msg`, once it is written; each is given once. */
  take(msg: WireMessage): readonly OutgoingControl[] {
    const list = this.after.get(msg);
    if (list === undefined) return [];
    this.after.delete(msg);
    return list;
  }
}
