import { type PortKey, portKey } from './identity.js';
import { NodeDrainBack } from './node-drain-back.js';
import { isDraining, type PortEntry } from './port-table.js';
import type { WireMessage } from './wire-message.js';

/**
 * Messages that crossed a DEAD this node sent (PROTOCOL.md §6 "Credit",
 * "Messages that crossed the DEAD"). A proxy here killed (`killProxy`) or
 * doomed with its chain (`chainDied`) sends DEAD on every link it had
 * exported the identity to, and its transfers there are `forgotten` until
 * their RELEASEs come back. The peer's entry, routed here, dies on that
 * DEAD and drops its credit for this link with it; what it had sent here
 * after this node's DEAD left and before it arrived there crossed it, and
 * arrives here behind nothing that says so. With no entry here it finds
 * none and is answered by DEAD, owed nothing (`unowed`, node-flow.ts). But
 * an entry for the identity may be here again meanwhile (the receive right
 * passing through from a third node, a relay): crediting those messages to
 * it paid the peer's next entry for the identity on this link, window 8 of
 * 5 (`370001121`, §9 task N27).
 *
 * The peer's answer to the DEAD bounds them: killing its entry there, the
 * peer sends the RELEASE of the entry's transfers from this link on the
 * DEAD (node-dead.ts, `onDead`), behind every message that entry sent; a
 * message of a later entry of the peer's comes after that RELEASE (the
 * DEAD went first on this link, then anything this node sent later). So
 * from the DEAD until the `forgotten` count of this link is paid back, a
 * message through a send right to the identity from that link is the
 * dead entry's, and owed nothing.
 *
 * Except where the peer's entry kept its credit because the DEAD was not
 * about it: the peer sent the port's receive right here before the DEAD
 * reached it (`sentBeforeCarrier`, `staleDead`). Its RELEASE comes only
 * when that entry goes, and what it sends meanwhile follows the message
 * carrying the receive right, and is owed. So a receive right for the
 * identity arriving from the link ends the crossing there too: the
 * peer's new chain starts with it. Before it, such a peer's entry was the
 * port's home or held the right, and sent nothing here for it. Charged to
 * the crossing (the `forgotten` count alone: the rule tried first and
 * reverted, §9 the lead's item of 2026-12-02), those messages left the
 * peer's credit short for ever and its proxy never went: NO SENDERS lost
 * (`358001172`, `431001388`).
 */
export abstract class NodeDeadCrossing extends NodeDrainBack {
  /** Per identity, the links a DEAD of a killed or doomed entry went on whose answer has not come back. */
  protected readonly deadCrossing = new Map<PortKey, Set<number>>();

  protected override killProxy(e: PortEntry, from: number | undefined): void {
    const to = this.exportLinks(e, (p) => p !== from);
    super.killProxy(e, from);
    this.openCrossing(e.key, to);
  }

  protected override chainDied(e: PortEntry, route: number | undefined): void {
    // A draining entry sends nothing (chainDied returns at once).
    const to = isDraining(e) ? [] : this.exportLinks(e, (p) => p !== e.migrateFrom);
    super.chainDied(e, route);
    this.openCrossing(e.key, to);
  }

  /** The links `e` exported to that its DEAD is about to go on. */
  private exportLinks(e: PortEntry, send: (p: number) => boolean): number[] {
    const to: number[] = [];
    for (const [p, n] of e.exported) if (n > 0 && send(p) && this.links.has(p)) to.push(p);
    return to;
  }

  private openCrossing(key: PortKey, to: number[]): void {
    for (const p of to) {
      if ((this.forgotten.get(key)?.get(p) ?? 0) === 0) continue;
      let s = this.deadCrossing.get(key);
      if (!s) this.deadCrossing.set(key, (s = new Set()));
      s.add(p);
    }
  }

  /** The crossing ends on `peer`: its answer came (the RELEASEs, a receive right), or the link went. */
  protected endCrossing(key: PortKey, peer: number): void {
    const s = this.deadCrossing.get(key);
    if (s && s.delete(peer) && s.size === 0) this.deadCrossing.delete(key);
  }

  /**
   * Whether a message arriving from `peer` was answered by a DEAD this node
   * sent, and is owed no credit (`unowed`): through a send right, for an
   * identity with no entry here (node-flow.ts `unowed`), or sent while the
   * peer's entry for it had not yet had this node's DEAD (above). A
   * receive right the message carries ends the crossing for its port.
   */
  protected answeredByDead(peer: number, wm: WireMessage, key: PortKey): boolean {
    if (this.deadCrossing.size > 0) {
      for (const it of wm.items) {
        if (it.kind !== 'ports' || it.right !== 'receive') continue;
        for (const r of it.ports) if (r.tag === 'port') this.endCrossing(portKey(r.id), peer);
      }
    }
    if (wm.dest.right !== 'send') return false;
    if (!this.byKey.has(key)) return true;
    if (!this.deadCrossing.get(key)?.has(peer)) return false;
    this.edge('deadCrossed');
    return true;
  }
}
