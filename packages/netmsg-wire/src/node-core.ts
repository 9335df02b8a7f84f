import { WireError } from './errors.js';
import { type PortId, portKey, type PortKey } from './identity.js';
import type { NodeAction, NodeConfig, NodeEvent } from './node-events.js';
import type { Gate, Link, PortEntry, Role, SendOnceOut, SendOnceProxy, SendOncePool, SendOnceRelay } from './port-table.js';
import type { ControlFrame } from './schemas.js';
import type { PortRef, WireMessage } from './wire-message.js';
import { CarrierFollowers } from './carrier-followers.js';

/**
 * Rarely taken branches of receive-right migration (PROTOCOL.md §4.5),
 * counted so the simulator's random sweeps can say how often they reach
 * each: a right held for another port (`heldRight`; in a drain's hold,
 * `heldInDrain`; an entry made for it, `heldNewEntry`; its own FLUSH round,
 * `heldRound`), a gate waiting for such a round (`gateWaitsHeld`) or
 * letting a right go on without making it home (`gatePassesRight`), a right
 * passing through (`relayRight`), with messages put back on its port
 * (`relayPutBack`), one of them carrying a receive right (`putBackRight`),
 * forwarded still owing credit (`relayOwedCredit`), a relay's own round
 * (`relayRound`), a drain's held message waiting for a round
 * (`drainWaitsRound`), a proxy kept over a link loss because its right is
 * held here (`keptOnLinkLoss`), a receive right in a message queued here
 * for credit on a port whose own receive right arrives (`queuedRightPutBack`),
 * a gated message passing older ones for an old home's drain (`gatePassed`),
 * a relay's senders waiting for its marker up the old route (`relayWaits`),
 * a stale marker of its own reaching a relay that waits so, not ending the
 * wait (`staleRelayMarker`),
 * a marker passed on over a link that was lost, sent back (`lostMarkerBack`),
 * a send right in a message that outlived its link made a dead name
 * (`doomedOnArrival`), a stale DEAD for an entry made since the port's
 * old proxy here died, whose receive right waits to go on (`deadBeforeHandoff`),
 * a DEAD its sender sent before it had the receive right this node wrote
 * to it, kept from the entry that right left (`deadBeforeCarrier`), a
 * marker re-sent after its route's link died passed on to that link's far
 * end (`lostRouteProbe`); a new round after a lost link that was not the
 * route (`markerLostHome`); a node asked to pass such a marker on, with no
 * link to that far end, asking a neighbour of its own (`lostRouteAskOn`);
 * a marker of an earlier migration of its own back at its origin while a
 * new one is under way there, dropped (`earlierRound`); a right arriving
 * where its proxy died with its route sends its marker naming that route's
 * far end (`deadRouteRound`); a marker a relay sent up, turned back to it
 * by a proxy made since the right left (`markerTurnedBack`); a marker that
 * waited at a node where the port has since come home, sent back to its
 * origin (`markerHomeBack`, Task N28); a receive right made home again at
 * its old home before the drain there ended, what waited behind the drain
 * put back on the port (`drainBack`); a credit that answered the entry's
 * own in-window message instead of paying a send-once relay's `relayOwed`
 * (`windowBeforeRelayCredit`, §6, Task N23); a send-once relay going with
 * its dead port telling its route (`relayDeadDown`, §4.5, Task N25); a
 * message held for a migration's open round, from the link its receive
 * right came on, credited past the per-port byte bound
 * (`heldPastPortBound`, §6, Task N26); a message through a send right that
 * crossed a DEAD this node sent, arriving for a newer entry here, owed no
 * credit (`deadCrossed`, §6, Task N27); a proxy whose right went back the
 * way it came, killed by a DEAD from there, giving its transfer back
 * (`deadOnWayBack`, §4.4, Task N28); a relay killed by a DEAD its route
 * sent before it had the receive right, telling the route that the late
 * send-once messages it relayed will not come (`relayDeadBack`, §4.4,
 * Task N30); a proxy doomed by a `broken` marker giving its route's
 * transfer back (`doomedRelease`, §4.5, Task N31).
 */
/** A FLUSH marker's `round` field, when it has one (§4.5, since version 4). */
export function roundField(round: number | undefined): { round?: number } {
  return round !== undefined ? { round } : {};
}

export type MigrationEdge =
  | 'heldRight' | 'heldInDrain' | 'heldNewEntry' | 'heldRound' | 'gateWaitsHeld' | 'gatePassesRight'
  | 'relayRight' | 'relayPutBack' | 'putBackRight' | 'relayOwedCredit' | 'relayRound' | 'drainWaitsRound' | 'keptOnLinkLoss'
  | 'queuedRightPutBack' | 'gatePassed' | 'relayWaits' | 'staleRelayMarker' | 'lostMarkerBack' | 'markerRetraced' | 'doomedOnArrival' | 'deadBeforeHandoff' | 'deadBeforeCarrier'
  | 'lostRouteProbe' | 'markerLostHome' | 'lostRouteAskOn' | 'earlierRound' | 'deadRouteRound' | 'markerTurnedBack' | 'gateKeepsPort'
  | 'markerHomeBack' | 'drainBack' | 'windowBeforeRelayCredit' | 'relayDeadDown' | 'heldPastPortBound' | 'deadCrossed' | 'deadOnWayBack'
  | 'relayDeadBack' | 'doomedRelease';

/**
 * The step between the numbers of one node id's successive links
 * (`NodeCore.relinks`): above every node id (a u32), so a number names
 * its node (`% LINK_INCARNATION`) and its link.
 */
export const LINK_INCARNATION = 2 ** 32;

/** A control frame as the layers build it: a DEAD's `seen` is the link's, filled in by `sendControl`. */
export type OutgoingControl = Exclude<ControlFrame, { t: 'dead' }> | Omit<Extract<ControlFrame, { t: 'dead' }>, 'seen'>;

/** Whether a message carries a receive right (by identity). */
export function carriesReceive(wm: WireMessage): boolean {
  for (const it of wm.items) if (it.kind === 'ports' && it.right === 'receive' && it.ports.some((r) => r.tag === 'port')) return true;
  return false;
}

/** The send-once tables' placeholder entries (below): no identity, name or link is theirs. */
const SO_NONE_OUT: SendOnceOut = Object.freeze({ id: Object.freeze({ node: -1, serial: -1 }), key: '' as PortKey, name: -1, peer: -1 });
const SO_NONE_PROXY: SendOnceProxy = { id: Object.freeze({ node: -1, serial: -1 }), key: '' as PortKey, name: -1, peer: -1, learntFrom: undefined };

/**
 * The state every layer of the node machine shares (the port table, links,
 * gates, tombstones) and the primitives that change it or emit actions.
 */
export abstract class NodeCore {
  protected readonly byKey = new Map<PortKey, PortEntry>();
  protected readonly byName = new Map<number, PortEntry>();
  /*
   * The four send-once tables go from one entry to none and back on every
   * RPC (a token per request on the caller's node, a one-shot per request on
   * the server's): V8 shrinks a Map's table when a delete leaves it nearly
   * empty and grows it again at the next set, a new table each time. Each
   * keeps one placeholder entry (SO_NONE_OUT / SO_NONE_PROXY: key '', name
   * -1, peer -1, which no identity, name or link has) for its whole life;
   * `tables()` leaves it out and a link's loss never matches it.
   */
  protected readonly soOut = new Map<PortKey, SendOnceOut>([[SO_NONE_OUT.key, SO_NONE_OUT]]);
  protected readonly soOutByName = new Map<number, SendOnceOut>([[SO_NONE_OUT.name, SO_NONE_OUT]]);
  protected readonly soProxyByName = new Map<number, SendOnceProxy>([[SO_NONE_PROXY.name, SO_NONE_PROXY]]);
  protected readonly soProxyByKey = new Map<PortKey, SendOnceProxy>([[SO_NONE_PROXY.key, SO_NONE_PROXY]]);
  /**
   * Tokens whose kept right has no dead-name request yet
   * (`NodeConfig.deferSendOnceRequests`): made since the last sweep
   * (`soYoung`) and before it (`soAging`, requested at the next sweep if
   * still in `soOut`). Used tokens stay listed until a sweep drops them.
   */
  protected soYoung: SendOnceOut[] = [];
  protected soAging: SendOnceOut[] = [];
  protected readonly links = new Map<number, Link>();
  /**
   * Per node id whose link came back after a loss, the number its current
   * link has in these tables: node + k * LINK_INCARNATION for its k-th link
   * after the first (numbered by the node id). A link back under the same
   * node id (netmsg-server re-dials a lost peer) is a new link, with counts
   * of its own (§4.3 rule 5, §6): what this node still holds from the old
   * one — a message held for another port or behind a drain and the rights
   * in it, credit owed to its sender, a delivery token, a one-shot proxy or
   * relay made from it — names the old number, a lost link, exactly as if
   * no link had come back (§4.3, after link loss; §9). Taken as the new
   * link's, such a right made a proxy the peer had never counted: a live
   * right after its port's NO SENDERS. Events and actions name links by
   * node id (`linkEvent`, `nodeActions`); empty until a relink, when both
   * numberings are the same.
   */
  protected readonly relinks = new Map<number, number>();
  /** Node ids that have had a link (a later `linkUp` is a relink). */
  private readonly linkedOnce = new Set<number>();
  /**
   * Send-once relays (old homes' proxies kept for send-once rights only), by
   * identity and by port name. One identity may have several, oldest first:
   * a receive right that left this node twice leaves a relay on each port
   * it had here (§4.5).
   */
  protected readonly soRelays = new Map<PortKey, SendOnceRelay[]>();
  protected readonly soRelayByName = new Map<number, SendOnceRelay>();
  /** New homes' send-once rights for late send-once messages, by identity; pool right name → identity. */
  protected readonly soPools = new Map<PortKey, SendOncePool>();
  protected readonly soPoolByName = new Map<number, PortKey>();
  /** Dedicated no-senders notification ports → their proxy. */
  protected readonly nsPorts = new Map<number, PortEntry>();
  protected readonly gates = new Map<number, Gate>();
  /**
   * Receive rights in this node's hands inside a message that waits here: in
   * a gate (this node is about to be their home) or held for another port
   * (hold, drainHold). Messages for those ports are held meanwhile (§4.5).
   */
  protected readonly arriving = new Map<PortKey, number>();
  /** Identities admitted messages will allocate (per-link limit, `admit`). */
  protected readonly reservations = new WeakMap<WireMessage, { link: Link; n: number }>();
  /**
   * The reservation of the message `admit` let in during the current frame
   * event, kept out of `reservations` while the message is processed in
   * that same event (every RPC's request: a WeakMap insert and delete cost
   * about a tenth of the machine's work per RPC). `parkReservation` moves
   * it into `reservations` if the message still waits when the event ends.
   */
  private admitted: WireMessage | undefined;
  private admittedRes: { link: Link; n: number } | undefined;
  /** `admit`'s scratch set of new identities, empty between calls. */
  private readonly admitFresh = new Set<PortKey>();
  /**
   * Identities known dead, so a transfer still in flight when the port died
   * arrives as MACH_PORT_DEAD instead of resurrecting a proxy. Bounded
   * (oldest forgotten first); PROTOCOL.md §4.4.
   */
  protected readonly tombstones = new Set<PortKey>();
  /**
   * Per identity and link, send-right transfers a killed proxy had
   * exported there: each still comes back as exactly one RELEASE (crossing
   * the DEAD, or sent on the DEAD), and must not be charged to a later
   * entry for the same identity on this node (PROTOCOL.md §4.4).
   */
  protected readonly forgotten = new Map<PortKey, Map<number, number>>();
  /**
   * FLUSH markers this node passed on for another origin, per `key@origin`:
   * the link it went to and the link it came from. A marker coming back on
   * `to` goes on to `back` even when the entry that routed it is gone
   * (collected by a RELEASE or killed by DEAD while the marker was out):
   * without it such a node, not a neighbour of the origin, had nowhere to
   * send it (§4.5, link loss). One record per pair of links, counting the
   * markers out on it: in a fully linked cluster a marker usually returns
   * straight to its origin and never comes back here, so repeated
   * migrations through this node must not add a record each. None for a
   * marker passed to its origin (it ends there); a marker straight from
   * its origin clears the older ones of that port and origin (notePath,
   * onFlush); a lost link returns those passed on over it (linkDown).
   */
  protected readonly markerPath = new Map<string, { to: number; back: number; n: number; round?: number }[]>();

  /**
   * One marker of `key` from `origin` this node passed on to `peer`, coming
   * back: its record's count taken (the record dropped at 0, the key with
   * its last record). Returns that record (its `back` is where the marker
   * goes on), or undefined if none was passed on there.
   */
  protected takeMarkerPath(key: PortKey, origin: number, peer: number): { to: number; back: number; n: number; round?: number } | undefined {
    const k = `${key}@${origin}`;
    const path = this.markerPath.get(k);
    const i = path ? path.findIndex((x) => x.to === peer) : -1;
    const ret = i >= 0 ? path![i] : undefined;
    if (ret !== undefined && --ret.n === 0) path!.splice(i, 1);
    if (path && path.length === 0) this.markerPath.delete(k);
    return ret;
  }
  /**
   * The FLUSH marker records this node keeps for markers it passed on for
   * other origins (§4.5, "Markers that find nothing"): `keys` port and
   * origin pairs, `records` pairs of links under them, `out` markers
   * counted on those records. Read-only, for audits and tests: repeated
   * migrations through a relay must not grow `records` for one port.
   */
  markerRecords(): { keys: number; records: number; out: number } {
    let records = 0;
    let out = 0;
    for (const l of this.markerPath.values()) {
      records += l.length;
      for (const x of l) out += x.n;
    }
    return { keys: this.markerPath.size, records, out };
  }

  /**
   * Per identity and link, send-once messages a send-once relay sent there
   * without taking credit (a relay has no window of its own, §4.5): the
   * receiver still returns one credit for each, which pays this first.
   * Charged to a proxy entry the node has for the same identity, it grew
   * that entry's window past the link's (and passed credit upstream for
   * messages not yet acknowledged, §6).
   */
  protected readonly relayOwed = new Map<PortKey, Map<number, number>>();
  /**
   * Per link, the bytes held messages from it were credited past their
   * port's `maxQueuedBytesPerPort` (a migration's round, node-flow.ts
   * `hold`, §6): one budget of `maxQueuedBytesPerLink` for all the ports of
   * the link, so what a node holds stays within the port bound per port plus
   * the link bound per link.
   */
  protected readonly heldPast = new Map<number, number>();

  /** Takes `e`'s held messages off it, giving back what they took of their link's `heldPast`. */
  protected takeHeld(e: PortEntry): PortEntry['held'] {
    const all = e.held;
    e.held = [];
    e.heldBytes = 0;
    for (const h of all) {
      if (h.past === undefined) continue;
      const left = (this.heldPast.get(h.from) ?? 0) - h.past;
      if (left > 0) this.heldPast.set(h.from, left);
      else this.heldPast.delete(h.from);
    }
    return all;
  }
  /** What must follow a message carrying a receive right (carrier-followers.ts). */
  private readonly afterCarrier = new CarrierFollowers();
  protected static readonly MAX_TOMBSTONES = 65536;
  protected serial = 1;
  /** The last round number given to a migration of this node's own (PortEntry.round). */
  protected rounds = 0;
  protected nextName: number;
  protected out: NodeAction[] = [];

  /** Defined by the flow-control layer (node-flow.ts). */
  protected abstract onCredit(peer: number, key: PortKey, n: number): void;

  /** How often each rarely taken branch of receive-right migration ran (`edgeCounts`). */
  private readonly edgeHits = new Map<MigrationEdge, number>();

  constructor(protected readonly cfg: NodeConfig) {
    this.nextName = cfg.nameBase ?? 0x10000000;
  }

  /** Count one pass through a rare branch (PROTOCOL.md §4.5; the simulator's sweeps report them). */
  protected edge(name: MigrationEdge): void {
    this.edgeHits.set(name, (this.edgeHits.get(name) ?? 0) + 1);
  }

  /**
   * How often each rarely taken branch of receive-right migration ran on
   * this node (a right held for another port, relayed, put back on a
   * relayed port, kept over a link loss...): the simulator's sweeps report
   * them, so a sweep that never reaches a branch says so.
   */
  edgeCounts(): Partial<Record<MigrationEdge, number>> {
    return Object.fromEntries(this.edgeHits);
  }

  /**
   * What is still in flight or waiting in this node, for audits once the
   * cluster is quiescent (every message delivered, nothing enabled): each
   * port's unreturned credit on a live link (a message never acknowledged:
   * its sender's window shrank for good), messages queued for credit, held
   * for a migration or behind a drain, and gated messages. Empty when all
   * is settled.
   */
  unsettled(): string[] {
    const out: string[] = [];
    for (const e of this.byKey.values()) {
      for (const [p, c] of e.credit) {
        const link = this.links.get(p);
        if (link && c !== link.window) out.push(`${e.key} credit ${c} of ${link.window} on link ${p}`);
      }
      if (e.pendingBytes > 0) out.push(`${e.key} ${e.pendingBytes} bytes queued for credit`);
      if (e.held.length > 0) out.push(`${e.key} ${e.held.length} held for a migration`);
      if (e.drainHold.length > 0) out.push(`${e.key} ${e.drainHold.length} behind a drain`);
      if (e.migrating) out.push(`${e.key} migration not finished`);
      if (e.relayWait) out.push(`${e.key} relay waits for its marker`);
    }
    for (const [p, g] of this.gates) if (g.queue.length > 0) out.push(`${g.queue.length} gated on link ${p}`);
    return out;
  }

  /**
   * Whether a send right to `id` arriving from `peer` is MACH_PORT_DEAD:
   * no entry here takes it, and the port died (a tombstone) or the link it
   * came on is lost. A message from a link can outlive the link here (held
   * for another port, behind a drain or in another link's gate, §4.5) and
   * go on later: its send rights were transfers counted on that link only,
   * forgotten at both ends at the loss, so no chain of counted transfers
   * holds them — doomed, as every right whose chain crossed the lost link
   * (§4.3, after link loss). Made a proxy routed to the lost link, such a
   * right looked live for ever: no DEAD can come that way (`21000074`,
   * §9). A live entry here (home, or a proxy on a live chain) takes it as
   * any redundant transfer (§4.3, rule 2; the RELEASE has no link to go
   * on): the same coalescing as a doomed right sent before its DEAD (§4.3).
   */
  protected deadOnArrival(peer: number, id: PortId): boolean {
    const key = portKey(id);
    if (this.byKey.has(key)) return false;
    if (this.tombstones.has(key)) return true;
    if (this.links.has(peer)) return false;
    this.edge('doomedOnArrival');
    return true;
  }

  /** The number of node `node`'s current link in these tables (`relinks`). */
  protected linkTo(node: number): number {
    return this.relinks.size === 0 ? node : this.relinks.get(node) ?? node;
  }

  /** A link came up to node `node`: its number, a new one if the node had a link before (`relinks`). */
  protected newLink(node: number): number {
    const current = this.linkTo(node);
    if (!this.linkedOnce.has(node) || this.links.has(current)) {
      this.linkedOnce.add(node);
      return current;
    }
    const n = current + LINK_INCARNATION;
    this.relinks.set(node, n);
    return n;
  }

  /** A driver's event naming a link by node id, renamed to the link's number once a link came back (`relinks`). */
  protected linkEvent(ev: NodeEvent): NodeEvent {
    if (this.relinks.size === 0 || (ev.type !== 'frame' && ev.type !== 'linkDown')) return ev;
    return { ...ev, peer: this.linkTo(ev.peer) };
  }

  /** This call's actions with links named by node id again (`relinks`). */
  protected nodeActions(): NodeAction[] {
    if (this.relinks.size === 0) return this.out;
    return this.out.map((a) => (a.type === 'sendFrame' || a.type === 'closeLink' ? { ...a, peer: a.peer % LINK_INCARNATION } : a));
  }

  /**
   * A link number as the tables show it: the node id for a node's current
   * link (or while no link came back), -(node + 1) for a lost link of a node
   * linked again since (never a node id, nor a placeholder's -1).
   */
  protected shownLink(link: number): number {
    if (this.relinks.size === 0 || link < 0) return link;
    const node = link % LINK_INCARNATION;
    return link === this.linkTo(node) ? node : -(node + 1);
  }

  /**
   * Whether a DEAD from `peer`, `e`'s route, is stale: `e` was made after
   * this node saw the port die (a tombstone: its earlier proxy here was
   * killed, its senders got dead names then) and `e`'s receive right is in
   * this node's hands, waiting to be written to `peer` (e.handoff). Nothing
   * of `e` has reached `peer` yet (what it sends there waits behind the
   * handoff, node-flow.ts) and the port lives (its receive right is here),
   * so the DEAD answers the old proxy's messages or reports the old chain's
   * death, both already applied to the old proxy: `e` hangs off no broken
   * chain (§4.4, "Dead names"). Killed, `e` destroyed the messages queued
   * behind its handoff (the old home's drain: a live port's messages) and
   * made dead names of the live rights hanging off it (§9, 2026-11-30,
   * task C, after `30000230`).
   */
  protected staleDead(e: PortEntry, peer: number): boolean {
    if (e.handoff !== peer || !this.tombstones.has(e.key)) return false;
    this.edge('deadBeforeHandoff');
    return true;
  }

  /** The port of a home entry died: every node holding a transfer hears it. */
  protected homeDied(e: PortEntry): void {
    this.deadInQueues(e);
    for (const [p, n] of e.exported) if (n > 0 && this.links.has(p)) this.sendControl(p, { t: 'dead', node: e.id.node, serial: e.id.serial });
    this.bury(e.key);
    this.removeEntry(e);
  }

  /**
   * The port `d` stands for died. Send rights to it in messages still
   * waiting here for credit become MACH_PORT_DEAD (Mach copies out a right
   * to a dead port in a message as a dead name) and stop counting: else the
   * DEAD sent now would overtake the transfer it is about, and the receiver
   * would make a proxy no DEAD ever reaches.
   */
  protected deadInQueues(d: PortEntry): void {
    for (const e of this.byKey.values()) {
      for (const [p, list] of e.pending) {
        for (const q of list) {
          if (q.flush !== undefined) continue;
          const fix = (ref: PortRef): PortRef => {
            if (ref.tag !== 'port' || ref.right !== 'send' || portKey(ref.id) !== d.key) return ref;
            const have = d.exported.get(p) ?? 0;
            if (have > 0) d.exported.set(p, have - 1);
            return { tag: 'dead' };
          };
          q.msg.reply = fix(q.msg.reply);
          for (const it of q.msg.items) if (it.kind === 'ports') it.ports = it.ports.map(fix);
        }
      }
    }
  }

  protected newEntry(id: PortId, role: Role, name: number): PortEntry {
    const e: PortEntry = {
      id, key: portKey(id), role, name,
      exported: new Map(), imported: new Map(), makeSends: 0, localSenders: false, nsArmed: false,
      route: undefined, credit: new Map(), pending: new Map(), pendingBytes: 0, paused: false, pinned: false, delivering: 0,
      migrating: false, held: [], heldBytes: 0, draining: 0, drainDeliveries: 0, gateWait: 0, flushWait: [], flushed: false, gatePins: 0, drainHold: [], drainFrom: [], handoff: undefined, receiveCounted: false, staleBelow: undefined, migrateFrom: undefined, upstream: undefined, relayWait: false, sentFrom: new Map(), learntFrom: undefined, soPending: 0, nsPort: undefined, soDiscard: 0, soRelayed: false, soOwn: 0, soVia: undefined, soLost: false, ownsNs: false,
    };
    this.byKey.set(e.key, e);
    this.byName.set(name, e);
    return e;
  }

  /** The identity died here (its home entry, its proxy killed): its relays' credit owed here goes with it (§6). */
  protected bury(key: PortKey): void {
    this.relayOwed.delete(key);
    this.entomb(key);
  }

  /**
   * Rights to `key` arriving from now on are dead names (§4.1); nothing
   * else changes. A DEAD for a right still waiting from its link (onDead)
   * is about that link's chain only: the port may live, and the credit
   * for the send-once messages this node's relays sent on other links
   * still comes (`relayOwed`, §6). Dropped there, such a credit went to
   * this node's next entry for the identity, routed on the link it came
   * from: "credit 6 of 5" (`421001277`, §9).
   */
  protected entomb(key: PortKey): void {
    this.tombstones.add(key);
    if (this.tombstones.size > NodeCore.MAX_TOMBSTONES) {
      const oldest = this.tombstones.values().next().value;
      if (oldest !== undefined) this.tombstones.delete(oldest);
    }
  }

  /** Count an entry against the per-link limit of the link that made it. */
  protected learn(e: PortEntry | SendOnceProxy, peer: number): void {
    const link = this.links.get(peer);
    if (!link || e.learntFrom) return;
    e.learntFrom = link;
    link.learnt++;
  }

  protected unlearn(e: PortEntry | SendOnceProxy): void {
    if (e.learntFrom) e.learntFrom.learnt--;
    e.learntFrom = undefined;
  }

  /**
   * A message arrived on `peer`: the identities it would make this node
   * allocate are checked against `maxPortsPerLink` before anything happens
   * (so an over-limit message is refused whole, never half-imported), and
   * reserved until the message is processed — it may wait in a gate, a
   * migration hold or a drain first. Over the limit is a typed
   * `limit_exceeded`: the caller closes that link only.
   */
  protected admit(peer: number, wm: WireMessage): void {
    const link = this.links.get(peer);
    if (!link) return;
    // Per message, no array of refs and no new set: an RPC's reply right
    // is send-once, so usually nothing is looked up at all.
    const fresh = this.admitFresh;
    // (clear() allocates a new table even when empty, so only when needed.)
    if (fresh.size > 0) fresh.clear();
    let oneShots = this.admitRef(wm.reply, fresh);
    for (const it of wm.items) {
      if (it.kind !== 'ports') continue;
      for (const ref of it.ports) oneShots += this.admitRef(ref, fresh);
    }
    const n = fresh.size + oneShots;
    if (fresh.size > 0) fresh.clear();
    if (n === 0) return;
    if (link.learnt + link.reserved + n > this.cfg.limits.maxPortsPerLink) {
      throw new WireError('limit_exceeded', `link ${peer}: ${link.learnt + link.reserved} port identities live, message adds ${n}, limit ${this.cfg.limits.maxPortsPerLink}`);
    }
    link.reserved += n;
    this.admitted = wm;
    this.admittedRes = { link, n };
  }

  /** The frame event is over: a message admitted in it that still waits keeps its reservation in `reservations`. */
  protected parkReservation(): void {
    if (this.admitted !== undefined && this.admittedRes !== undefined) this.reservations.set(this.admitted, this.admittedRes);
    this.admitted = undefined;
    this.admittedRes = undefined;
  }

  private reservationOf(wm: WireMessage): { link: Link; n: number } | undefined {
    return wm === this.admitted ? this.admittedRes : this.reservations.get(wm);
  }

  /**
   * `admit` for one right: adds its identity to `fresh` if this node would
   * allocate an entry for it, and returns the one-shot proxies it needs.
   */
  private admitRef(ref: PortRef, fresh: Set<PortKey>): number {
    if (ref.tag !== 'port') return 0;
    if (ref.right === 'sendOnce') return 1;
    const key = portKey(ref.id);
    if (!this.byKey.has(key) && !this.tombstones.has(key)) fresh.add(key);
    // A receive right's no-senders request travels as a send-once token
    // (a one-shot proxy here) unless it notifies the port itself.
    const ns = ref.right === 'receive' ? ref.state.noSendersNotify : null;
    return ns && ns.tag === 'port' && portKey(ns.id) !== key ? 1 : 0;
  }

  /** One of the message's reserved identities was allocated ahead of the rest. */
  protected useReservation(wm: WireMessage): void {
    const r = this.reservationOf(wm);
    if (!r || r.n === 0) return;
    r.n--;
    r.link.reserved = Math.max(0, r.link.reserved - 1);
  }

  /** The message's rights are being imported (or destroyed): its reservation ends. */
  protected settle(wm: WireMessage): void {
    const r = this.reservationOf(wm);
    if (!r) return;
    if (wm === this.admitted) {
      this.admitted = undefined;
      this.admittedRes = undefined;
    } else this.reservations.delete(wm);
    r.link.reserved = Math.max(0, r.link.reserved - r.n);
  }

  /** Receive rights in `wm` come into (n > 0) or leave (n < 0) this node's hands (`arriving`). */
  protected markArriving(wm: WireMessage, n: number): void {
    for (const it of wm.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const ref of it.ports) {
        if (ref.tag !== 'port') continue;
        const k = portKey(ref.id);
        const v = (this.arriving.get(k) ?? 0) + n;
        if (v > 0) this.arriving.set(k, v);
        else this.arriving.delete(k);
      }
    }
  }

  protected removeEntry(e: PortEntry): void {
    this.unlearn(e);
    this.byKey.delete(e.key);
    if (this.byName.get(e.name) === e) this.byName.delete(e.name);
  }

  /**
   * The port entry a message is addressed to: a send right's port, or a
   * send-once message to a port itself (a send-once right made from the
   * receive right before it moved; tokens are in `soOut`, never in `byKey`).
   */
  protected destEntry(wm: WireMessage, key: PortKey = portKey(wm.dest.id)): PortEntry | undefined {
    if (wm.dest.right === 'sendOnce' && this.soOut.has(key)) return undefined;
    return this.byKey.get(key);
  }

  /**
   * The name in netmsg's space of the send-once right a message to `dest`
   * arriving now would be delivered through (a token of a request this node
   * sent on, its reply right kept here), if it is one. Read-only: lets a
   * driver tell, before the message is complete, which reply it is.
   */
  sendOnceTarget(dest: WireMessage['dest']): number | undefined {
    if (dest.right !== 'sendOnce' || dest.id.node !== this.cfg.node) return undefined;
    const so = this.soOut.get(portKey(dest.id));
    return so === undefined || so.peer < 0 ? undefined : so.name;
  }

    protected freshId(): PortId {
    return { node: this.cfg.node, serial: this.serial++ };
  }

  protected allocName(): number {
    return this.nextName++;
  }

  protected routeOf(e: PortEntry): number | undefined {
    // One route per proxy for its whole life keeps per-port FIFO: the link
    // its first transfer came from. Third-party rights therefore follow the
    // forwarding chain (PROTOCOL.md §4.6).
    if (e.route !== undefined && this.links.has(e.route)) return e.route;
    return undefined;
  }

  protected sendMessage(peer: number, msg: WireMessage): void {
    const link = this.links.get(peer);
    if (!link) return;
    link.written++;
    this.emit({ type: 'sendFrame', peer, frame: { kind: 'message', msg } });
    // A receive right is now on the link: what waited for it follows.
    for (const it of msg.items) {
      if (it.kind !== 'ports' || it.right !== 'receive') continue;
      for (const c of this.afterCarrier.take(msg)) this.sendControl(peer, c);
      for (const ref of it.ports) {
        if (ref.tag !== 'port') continue;
        const e = this.byKey.get(portKey(ref.id));
        if (!e || e.handoff !== peer) continue;
        e.handoff = undefined;
        // The peer has the right once it has read this message (node-dead.ts).
        if (e.staleBelow?.link === peer) e.staleBelow = { ...e.staleBelow, index: link.written };
        this.onCredit(peer, e.key, 0);
      }
    }
  }

  /**
   * Send `control` on `peer`, behind the message queued here for credit
   * that carries `key`'s receive right there when `waits` says the right
   * still waits to be written to `peer` and such a message is queued
   * (`afterCarrier`); at once otherwise. A RELEASE sent at once overtook
   * that message, found no entry at the new home and was ignored, and the
   * new home's count of the transfer stayed at 1: netmsg kept its send
   * right and NO SENDERS was lost (`30000230`, link loss).
   */
  protected sendBehindCarrier(key: PortKey, peer: number, control: OutgoingControl, waits: boolean): void {
    if (!waits || !this.afterCarrier.follow(this.byKey.values(), key, peer, control)) this.sendControl(peer, control);
  }

  protected sendControl(peer: number, control: OutgoingControl): void {
    const link = this.links.get(peer);
    if (!link) return;
    // A DEAD says how many of the peer's messages this node had received (§4.4, node-dead.ts).
    const frame: ControlFrame = control.t === 'dead' ? { t: 'dead', node: control.node, serial: control.serial, seen: link.seen } : control;
    this.emit({ type: 'sendFrame', peer, frame: { kind: 'control', control: frame } });
  }

  protected emit(a: NodeAction): void {
    this.out.push(a);
  }
}
