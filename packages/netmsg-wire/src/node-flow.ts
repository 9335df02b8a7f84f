import { WireError } from './errors.js';
import type { PortKey } from './identity.js';
import { roundField } from './node-core.js';
import { type GateItem, isDraining, type PortEntry, type Queued } from './port-table.js';
import { oolBytes, type WireMessage } from './wire-message.js';
import { NodeRights } from './node-rights.js';

/**
 * Per-port credit flow control (PROTOCOL.md §6): credit queues, end-to-end
 * credit through forwarding nodes, and forwarding along a proxy's route.
 */
export abstract class NodeFlow extends NodeRights {
  protected queueOrSend(e: PortEntry, peer: number, q: Queued): void {
    const pend = e.pending.get(peer);
    if ((pend && pend.length > 0) || e.handoff === peer) {
      this.enqueue(e, peer, q);
      return;
    }
    const credit = e.credit.get(peer) ?? this.links.get(peer)!.window;
    if (credit > 0) {
      e.credit.set(peer, credit - 1);
      this.transmit(e, peer, q);
    } else {
      this.enqueue(e, peer, q);
    }
  }

  protected enqueue(e: PortEntry, peer: number, q: Queued): void {
    const link = this.links.get(peer)!;
    const remote = q.from !== undefined && q.putBack === undefined;
    if (remote && e.pendingBytes + q.bytes > this.cfg.limits.maxQueuedBytesPerPort) {
      throw new WireError('limit_exceeded', `queued bytes for port ${e.key} over the limit`);
    }
    if (remote && link.queuedBytes + q.bytes > this.cfg.limits.maxQueuedBytesPerLink) {
      throw new WireError('limit_exceeded', `queued bytes for link ${peer} over the limit`);
    }
    let pend = e.pending.get(peer);
    if (!pend) e.pending.set(peer, (pend = []));
    pend.push(q);
    e.pendingBytes += q.bytes;
    link.queuedBytes += q.bytes;
    // A stalled receiver pushes back: stop taking messages off the local
    // proxy so its Mach queue fills and local senders block or time out.
    if (!remote && e.role === 'proxy' && !e.paused) {
      e.paused = true;
      this.emit({ type: 'pausePort', name: e.name });
    }
  }

  protected transmit(e: PortEntry, peer: number, q: Queued): void {
    if (q.flush !== undefined) {
      this.sendControl(peer, { t: 'flush', node: e.id.node, serial: e.id.serial, origin: q.flush, ...(q.via !== undefined ? { via: q.via } : {}), ...roundField(q.round) });
      return;
    }
    this.sendMessage(peer, q.msg);
    let list = e.sentFrom.get(peer);
    if (!list) e.sentFrom.set(peer, (list = []));
    list.push(q.from);
  }

  /** `n` messages sent on `peer` were acknowledged: pass the credit upstream. */
  protected creditUpstream(e: PortEntry, peer: number, n: number): void {
    const list = e.sentFrom.get(peer);
    if (!list) return;
    // Oldest first, without splice's array (n is a count or Infinity).
    for (let i = 0; i < n && list.length > 0; i++) {
      const from = list.shift();
      if (from !== undefined && this.links.has(from)) this.sendControl(from, { t: 'credit', node: e.id.node, serial: e.id.serial, n: 1 });
    }
    if (list.length === 0) e.sentFrom.delete(peer);
  }

  protected override onCredit(peer: number, key: PortKey, n: number): void {
    const owed = this.relayOwed.size > 0 ? this.relayOwed.get(key) : undefined;
    const o = owed?.get(peer) ?? 0;
    // n = 0 is no credit but a call to send what waited (the handoff gate
    // opened, §4.5): it owes nothing and must reach the queue below.
    const e = this.byKey.get(key);
    if (o > 0 && n > 0) {
      // Credit for send-once messages a relay sent outside any window, but
      // only what is left after this node's own in-window messages in
      // flight there (window less the entry's credit): those were sent
      // first, under a window of 1 the only one, and the entry waits on
      // their credit (to send what it queued, to let its receive right go,
      // to be collected, §6). Paid to relayOwed instead, it left the entry
      // short for ever when the relay's own credit never came to it
      // (`289000885`, `295000897` with --send-once --relink --port-window 1:
      // "credit 0 of 1", bytes queued for credit; §6, §9 Task N23).
      const c = e?.credit.get(peer);
      const mine = c !== undefined ? Math.max(0, this.links.get(peer)!.window - c) : 0;
      const k = Math.min(o, Math.max(0, n - mine));
      if (k < Math.min(o, n)) this.edge('windowBeforeRelayCredit');
      n -= k;
      if (o > k) owed!.set(peer, o - k);
      else if (owed!.delete(peer) && owed!.size === 0) this.relayOwed.delete(key);
      if (n === 0) return;
    }
    if (!e) return;
    this.creditUpstream(e, peer, n);
    let credit = (e.credit.get(peer) ?? this.links.get(peer)!.window) + n;
    const pend = e.pending.get(peer);
    const link = this.links.get(peer)!;
    while (pend && pend.length > 0 && e.handoff !== peer && (credit > 0 || pend[0]!.flush !== undefined)) {
      const q = pend.shift()!;
      if (q.flush === undefined) credit--;
      e.pendingBytes -= q.bytes;
      link.queuedBytes -= q.bytes;
      this.transmit(e, peer, q);
    }
    e.credit.set(peer, credit);
    // Not while its receive right waits here (in a gate after its FLUSH came
    // back, or held for another port): what local senders queue meanwhile
    // is the port's and waits on it; taken off, it went to the old home
    // and came back behind their next messages (per-port FIFO, §4.5).
    this.resumeIfFree(e);
    this.tryCollect(e);
  }

  /**
   * A paused proxy port with nothing queued, no migration, no relay marker
   * out and no right arriving for it is resumed; so is one still draining
   * (the messages at the head of its queue are older than the marker's
   * wait, and `endDrain` pauses it again): a relay's put-back drain paused
   * for credit otherwise waited for its own marker, which waited upstream
   * for credit held behind that drain (`12000112`, §4.5). Also while its
   * receive right is back in this node's hands (migrating): that round
   * waits for this drain (flushWait), so a drain paused for credit then
   * waited for ever (`6000029` with --held-rights --relink, §9).
   * Not while older messages for it wait here, in a gate (`gateWait`) or
   * behind a receive right's round (`drainHold`, endDrain): a relay's
   * senders' older messages come back among them from the old home, so its
   * next ones wait on the port until those are passed on (§4.5, "A relay's
   * senders behind the old home's queue"; `63000229`, links live: FIFO).
   */
  protected resumeIfFree(e: PortEntry): void {
    if (e.paused && e.pendingBytes === 0 && (e.draining > 0 || e.drainDeliveries > 0 || (!e.migrating && !e.relayWait && e.gateWait === 0 && e.drainHold.length === 0 && !this.arriving.has(e.key)))) {
      e.paused = false;
      this.emit({ type: 'resumePort', name: e.name });
    }
  }

  /**
   * `creditTo`: where this message's credit goes once the next hop gives
   * it (the sender; -1, no link, for a message held here whose credit was
   * given already, or one no credit is owed for, `unowed`).
   */
  protected forward(e: PortEntry, peer: number, wm: WireMessage, creditTo: number = this.creditLink(peer, wm)): void {
    const next = this.routeOf(e);
    if (next === undefined) {
      this.dropRemote(peer, wm);
      this.sendControl(peer, { t: 'dead', node: wm.dest.id.node, serial: wm.dest.id.serial });
      return;
    }
    // A send-once message to the port itself uses up one of the send-once
    // rights counted when its receive right passed (§4.5).
    if (wm.dest.right === 'sendOnce' && e.soPending > 0) e.soPending--;
    this.relayRights(peer, next, wm);
    // Strictly behind whatever waits here for the port: what waits may be
    // the old home's drained queue, older than anything arriving now.
    this.queueOrSend(e, next, { msg: wm, bytes: 64 + oolBytes(wm), from: creditTo });
  }

  /**
   * Messages that arrived for an identity this node had no entry for, kept
   * (in a gate, behind a receive right they carry) instead of destroyed at
   * once. No entry here means this node's entry for the identity was
   * killed, and its DEAD went to every link it had exported to (§4.4),
   * the sender's among them, ahead of any answer to this message: the
   * sender dropped its credit for the message with its entry's chain
   * (killProxy, chainDied), as for every message that finds no entry here
   * and gets DEAD instead of credit. A gate only delays such a message; it
   * does not change what answers it. Taken later by an entry the identity
   * has here since (its receive right arrived), it was credited before
   * 2026-12-01, and the credit reached the sender's next entry for the
   * identity on that link: "credit 6 of 5" (`219000707`, §6, §9).
   */
  protected readonly unowed = new WeakSet<WireMessage>();

  /** The link a message's credit goes back to once it is acknowledged: `peer`, or -1 (none) for an `unowed` one. */
  protected creditLink(peer: number, wm: WireMessage): number {
    return this.unowed.has(wm) ? -1 : peer;
  }

  protected hold(target: PortEntry, peer: number, wm: WireMessage): void {
    // Credit goes back at once (within the per-port byte limit): the marker
    // we wait for may sit behind these very messages in an upstream queue.
    const bytes = 64 + oolBytes(wm);
    let credited = target.heldBytes + bytes <= this.cfg.limits.maxQueuedBytesPerPort;
    let past: number | undefined;
    const linkPast = this.heldPast.get(peer) ?? 0;
    if (!credited && this.roundLink(target, peer) && linkPast + bytes <= this.cfg.limits.maxQueuedBytesPerLink) {
      this.edge('heldPastPortBound');
      credited = true;
      past = bytes;
      this.heldPast.set(peer, linkPast + bytes);
    }
    target.heldBytes += bytes;
    // Held after the marker came back (the right waits in a gate): put back
    // after every message held before it, from any link (§4.5, `95000298`).
    // One its sender's DEAD answered (`unowed`) is owed nothing now or later.
    const unowed = this.unowed.has(wm);
    target.held.push({ wm, from: peer, credited: credited || unowed, ...(target.migrating ? {} : { late: true as const }), ...(past === undefined ? {} : { past }) });
    // A receive right in a held message is in this node's hands until the
    // message goes on (§4.5): what arrives for that port is held too.
    this.markArriving(wm, 1);
    if (credited && !unowed) this.sendControl(peer, { t: 'credit', node: target.id.node, serial: target.id.serial, n: 1 });
  }

  /**
   * Whether a message held for `e`'s open round came on the link its
   * receive right came on (`migrateFrom`): the link its FLUSH marker comes
   * back on, behind everything its sender had for the port (an old home
   * behind its drain, a relay behind what it passes down; §4.5), and
   * behind what every node further up the marker's way had. All of that is
   * older than the marker and reaches this node on that link, and all of
   * it waits for credit (each hop's window, and end to end, §6) that only
   * this hold gives back. Credited only within `maxQueuedBytesPerPort`,
   * the marker stayed queued behind it for ever: `261000789` at
   * `--port-window 1 --max-queued-bytes-per-port 300` (2 nodes, links
   * live), node 1 holding node 2's drain of 2:14 (node 1's own older
   * messages among it, so the marker may not overtake them) with the
   * fifth message uncredited and node 2's sixth and the FLUSH (origin 1,
   * round 23) queued behind credit 0 of 1 (§6, §9 Task N26). So such a
   * message is credited at once past the port's bound, out of one budget
   * of `maxQueuedBytesPerLink` per link shared by all its ports
   * (`heldPast`, node-core.ts); the round's other links keep the port's
   * bound (W uncredited messages each beyond it).
   * Only credit moves: the order in which anything is held, sent or put
   * back is unchanged.
   */
  protected roundLink(e: PortEntry, peer: number): boolean {
    return e.migrating && peer === e.migrateFrom;
  }

  /**
   * Set when gated messages may have become free to pass their gates
   * outside a marker's passage: a receive right left this node while
   * messages for its port waited in a gate (`exportReceive`). §4.5
   * "Crossing migrations" lets such a message leave ahead of older gated
   * ones, but the test ran only when a round ended or a marker passed; if
   * the marker that would pass waits for the very credit those messages
   * owe, nothing ever re-ran it (`194000603`, 2 nodes, links live: a
   * credit deadlock). NetmsgNode.handle runs passGated at the end of the
   * event, once the message carrying the right is written.
   */
  protected passDue = false;

  /** Whether gated message `i` stays because a later message of its gate for the same port does (node-gate-order.ts, §4.5). */
  protected abstract keptForPort(queue: GateItem[], i: number): boolean;

  /** Marks `e`'s messages in every link's gate as before its marker (markGated), and asks for a pass (passDue). */
  protected markGates(e: PortEntry): void {
    for (const gate of this.gates.values()) this.markGated(e, gate);
    if (e.gateWait > 0) this.passDue = true;
  }
}
