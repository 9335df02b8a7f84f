import type { PortEntry } from './port-table.js';
import { oolBytes, type WireMessage } from './wire-message.js';

/**
 * What a relay holds while its own FLUSH marker is out up its `upstream`
 * (`relayWait`; PROTOCOL.md §4.5, "A relay's senders behind the old home's
 * queue", and "The new home's messages behind the old home's queue"). Pure
 * functions of the entry, so the rule reads in one place.
 *
 * Every message for the port that reaches the relay while its marker is out
 * waits in `drainHold` behind the old home's drain, except the drain itself
 * (what comes from `upstream`, passed on at once: the marker comes back
 * behind it). That includes what comes from the relay's `route`, the new
 * home: a message the new home's sender sent to its old route (through this
 * relay) before the receive right reached it is younger than that sender's
 * message the old home had queued, which comes down in the old home's drain
 * after the right. Passed on at once (before 2026-12-01), it reached the new
 * home on the same link ahead of the older one and was queued first
 * (`300000907` with `--held-rights --send-once --defer-send-once`, 3 nodes,
 * links live: the right of port 14 went 1 → 3 → 2, node 2's m1 came back
 * from relay 3 before node 1 drained m0: "FIFO violated ... 0 after 1").
 */
export function relayHolds(e: PortEntry, from: number): boolean {
  return e.relayWait && from !== e.upstream;
}

/**
 * Whether the relay holds a message that came from its route (the new
 * home's, going back there). A marker passing here towards the route waits
 * behind it (in `flushWait`): the new home makes the right home when its
 * marker is back, and its task's next message would then be queued ahead of
 * the held one. The new home's own marker, coming from the route, still goes
 * up `upstream` at once (it overtakes nothing going down), and comes back
 * behind the relay's marker, whose return lets the held messages go first.
 */
export function holdsFromRoute(e: PortEntry): boolean {
  return e.relayWait && e.route !== undefined && e.drainHold.some((h) => h.from === e.route);
}

/** Whether a marker of `origin`'s with `round` is relay `self`'s own, which ends its wait (relayWait; its own round since 2026-12-01, §4.5). */
export function isRelayMarker(e: PortEntry | undefined, self: number, origin: number, round: number | undefined): boolean {
  return e !== undefined && e.relayWait && origin === self && round === e.relayRound;
}

/**
 * Whether a message held here while the relay waits is credited at once
 * (within the per-port byte limit), as a new home credits what it holds
 * for its migration (node-flow.ts `hold`): the relay's own marker, which
 * ends the hold, may come back through the sender's node and wait there in
 * the link's queue behind that node's messages waiting for the very
 * credit these held ones owe: through the route's node (`269000898`,
 * `274000877`), and, since a relay whose right goes back to `upstream`
 * waits too (Task N28), through any node a proxy up there turns it back
 * to. Credited from the route only, a sender the marker was turned back to
 * (node 2, by node 1 routed to it) queued the marker behind its next
 * message at credit 0 of 1, the credit of its previous one, held here
 * (`261000829` with `--held-rights --port-window 1`, 3 nodes, links live;
 * PROTOCOL.md §4.5, §9 Task N29). What `upstream` sends is the old home's
 * drain, passed on at once, never held. Only the moment of credit changes:
 * what is held is passed on in the same order.
 */
export function relayCredits(e: PortEntry, from: number, wm: WireMessage, limit: number): boolean {
  if (!e.relayWait || from === e.upstream) return false;
  let bytes = 64 + oolBytes(wm);
  for (const h of e.drainHold) if (h.credited) bytes += 64 + oolBytes(h.wm);
  return bytes <= limit;
}
