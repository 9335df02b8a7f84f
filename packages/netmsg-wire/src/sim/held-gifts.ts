import type { MigrationEdge } from '../node-core.js';
import { type App, COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, MOVE_SEND_ONCE } from './app.js';
import type { Cluster } from './cluster.js';
import { NOTIFY_NO_SENDERS, type KPort } from './kernel.js';

/**
 * Gifts through any held send right (`giftVia`, `simulate --held-rights`):
 * an application sends a right — a receive right, or a send right — in a
 * message to a port it holds a send right to, not to a node's root inbox.
 * That port may itself be migrating, relayed through a third node, or have
 * its receive right inside another message, so the right lands where the
 * root-inbox gifts never take it: held at a node for another port, put back
 * on a relayed port, queued for credit behind a port whose receive right
 * arrives, cut off by a link loss while held (PROTOCOL.md §4.5, §9).
 *
 * A receive right inside a message queued on a port Q (in a kernel queue,
 * or anywhere netmsg carries Q's messages) is in Q's hands until Q's
 * receiver takes the message: Mach moves it with Q, and destroys it (the
 * port dies, its queue with it) when Q dies. `Carried` follows that:
 * which port's queue each receive right travels in, so the oracle knows
 * which ports die with a destroyed one, and the generator never makes a
 * cycle (a right sent into a queue that its own queue carries, which no
 * receiver could ever take out).
 */
export class Carried {
  /** label of a port whose receive right is in a message to `in` (a label) not yet received. */
  private readonly inQueueOf = new Map<number, number>();

  /** Whether moving `right`'s receive right into `via`'s queue would carry it inside itself. */
  wouldCycle(right: number, via: number): boolean {
    for (let at: number | undefined = via, n = 0; at !== undefined && n < 10_000; at = this.inQueueOf.get(at), n++) if (at === right) return true;
    return false;
  }

  carry(right: number, via: number): void {
    this.inQueueOf.set(right, via);
  }

  /** A receiver took the message: the right is held by an application again. */
  arrived(right: number): void {
    this.inQueueOf.delete(right);
  }

  /** Every port whose receive right travels (transitively) in `label`'s queue: they die with it. */
  within(label: number): number[] {
    const out: number[] = [];
    for (const r of this.inQueueOf.keys()) if (r !== label && this.wouldCycle(label, r)) out.push(r);
    for (const r of out) this.inQueueOf.delete(r);
    return out;
  }
}

/** What `giftVia` needs of the schedule runner. */
export interface GiftContext {
  apps: App[];
  holdings: () => { node: number; name: number; receive: boolean }[];
  labelOf: Map<KPort, number>;
  carried: Carried;
  destroyed: Set<number>;
  giftId: number;
  /** The receiver made a send right (MAKE_SEND): its make-send count grows. */
  madeSend: (node: number, name: number) => void;
  /** The receive right was copied in (MOVE_RECEIVE). */
  receiveMoved: (port: KPort) => void;
}

/**
 * One `giftVia`: the `holder`-th holding (a receive right if `receive`)
 * goes, as a receive right or a send right, to the `via`-th other port
 * its node's application holds a send right to.
 */
export function giftVia(x: GiftContext, op: { holder: number; via: number; receive: boolean }): void {
  const hs = x.holdings().filter((h) => !op.receive || h.receive);
  if (hs.length === 0) return;
  const h = hs[op.holder % hs.length]!;
  const app = x.apps[h.node - 1]!;
  const vias = x.holdings().filter((v) => v.node === h.node && v.name !== h.name && (app.task.space.get(v.name)?.send ?? 0) > 0);
  if (vias.length === 0) return;
  const via = vias[op.via % vias.length]!;
  const port = app.task.space.get(h.name)?.port;
  const viaPort = app.task.space.get(via.name)?.port;
  const right = port ? x.labelOf.get(port) : undefined;
  const to = viaPort ? x.labelOf.get(viaPort) : undefined;
  if (!port || right === undefined || to === undefined) return;
  if (op.receive && x.carried.wouldCycle(right, to)) return;
  const disp = op.receive ? MOVE_RECEIVE : h.receive ? MAKE_SEND : COPY_SEND;
  if (app.send(via.name, { id: x.giftId, ports: { disp, names: [h.name] } }) !== 0) return;
  if (disp === MAKE_SEND) x.madeSend(h.node, h.name);
  if (op.receive) {
    x.receiveMoved(port);
    x.carried.carry(right, to);
    // Sent to a port already destroyed (its DEAD not yet here): the message
    // is destroyed on the way, and the receive right with it.
    if (x.destroyed.has(to)) for (const l of [right, ...x.carried.within(to)]) x.destroyed.add(l);
  }
}

/**
 * The names applications hold to labelled ports, remembered while the
 * right is live, so a dead name found later can be told apart: one for a
 * port that died is Mach's; one for a port that lives is a lost right.
 */
export class NameLabels {
  private readonly last = new Map<string, number>();

  note(apps: App[], labelOf: Map<KPort, number>): void {
    apps.forEach((app, i) => {
      for (const [name, e] of app.task.space) {
        const l = e.port ? labelOf.get(e.port) : undefined;
        if (l !== undefined && (e.send > 0 || e.sendOnce)) this.last.set(`${i + 1}/${name}`, l);
      }
    });
  }

  /** With links live: every dead name an application holds stands for a destroyed port. */
  deadForLive(apps: App[], destroyed: Set<number>): string[] {
    const v: string[] = [];
    apps.forEach((app, i) => {
      for (const [name, e] of app.task.space) {
        if (e.dead === 0) continue;
        const l = this.last.get(`${i + 1}/${name}`);
        if (l !== undefined && !destroyed.has(l)) v.push(`node ${i + 1} app name ${name} is a dead name, but port ${l} lives (a live right lost)`);
      }
    });
    return v;
  }
}

/** Once quiescent: nothing in flight or waiting in any node, every credit back (§6). */
export function unsettled(c: Cluster): string[] {
  return c.nodes.flatMap((n) => n.machine.unsettled().map((u) => `node ${n.id} not settled when quiescent: ${u}`));
}

/** The cluster's edge counts, summed over its nodes. */
export function edgeCounts(c: Cluster): Partial<Record<MigrationEdge, number>> {
  const sum: Partial<Record<MigrationEdge, number>> = {};
  for (const n of c.nodes) for (const [k, v] of Object.entries(n.machine.edgeCounts()) as [MigrationEdge, number][]) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

/**
 * The oracle's view of DEAD notices on their way down links (sent by one
 * node's machine, not yet handled by the other's): whether one for
 * identity `key` is on its way from node `from` to node `to`. A proxy such
 * a DEAD reaches from its route is killed (its rights become dead names),
 * so a right hanging off it is doomed already, also where the route's
 * entry for the identity is a home again: a doomed proxy that became the
 * home on a fresh port keeps its identity (PROTOCOL.md §4.5, "a doomed
 * proxy"), and a right it passed on before it learnt of the broken chain
 * is killed by the DEAD it sends (`41000326`). A link that is cut loses
 * what was on it; the oracle asks only about live links.
 */
export function watchDeadOnWay(c: Cluster): (from: number, to: number, key: string) => boolean {
  const onWay = new Map<string, number>();
  for (const n of c.nodes) {
    const m = n.machine;
    const handle = m.handle.bind(m);
    m.handle = (ev) => {
      if (ev.type === 'frame' && ev.frame.kind === 'control' && ev.frame.control.t === 'dead') {
        const k = `${ev.peer}>${n.id}/${ev.frame.control.node}:${ev.frame.control.serial}`;
        const left = (onWay.get(k) ?? 0) - 1;
        if (left > 0) onWay.set(k, left);
        else onWay.delete(k);
      }
      const acts = handle(ev);
      for (const a of acts) {
        if (a.type !== 'sendFrame' || a.frame.kind !== 'control' || a.frame.control.t !== 'dead') continue;
        const k = `${n.id}>${a.peer}/${a.frame.control.node}:${a.frame.control.serial}`;
        onWay.set(k, (onWay.get(k) ?? 0) + 1);
      }
      return acts;
    };
  }
  return (from, to, key) => (onWay.get(`${from}>${to}/${key}`) ?? 0) > 0;
}

/**
 * The oracle's count of applications' NO SENDERS notifications that travel
 * between nodes as send-once messages. A notification already queued on a
 * port when its receive right left its node goes with the old home's drain
 * and reaches the port through a send-once right the new home makes for it
 * (PROTOCOL.md §4.5): per hop, netmsg takes it off a port (`taken`, the
 * port it left) and puts it on one (`put`: a delivery through a pool right
 * or a put-back with MAKE_SEND_ONCE). Lost on the way with a link, its
 * send-once right gives the port Mach's SEND_ONCE notification instead
 * (§4.4, link loss: a late message that can no longer come), one message
 * through a send-once right that no application made (`32000158` with
 * --held-rights, link loss). So a port owes one message through a
 * send-once right for each one taken, and each one put is such a message.
 * One is counted taken when the receive right leaves with it queued, not
 * when the drain takes it off: lost with a link before the drain came to
 * it (the old home's port destroyed with its queue), it gives the SEND_ONCE
 * notification all the same, made by the relay that counted it (Mach
 * destroys an undelivered message through a send-once right to a live port
 * with that notification; `115000407` with --held-rights, `102000332` with
 * --held-rights --relink, link loss).
 * The kernel's own notifications on netmsg's ports (its requests, §4.5)
 * never reach the machine as port messages, so are never counted.
 */
export function watchTravellingNoSenders(c: Cluster, labelOf: Map<KPort, number>): { labels: () => number[]; of: (label: number) => { taken: number; put: number } } {
  const taken = new Map<KPort, number>();
  const put = new Map<KPort, number>();
  /** Per port, notifications counted as taken when its receive right left and not yet taken off it by the drain. */
  const queuedAtMove = new Map<KPort, number>();
  const bump = (m: Map<KPort, number>, p: KPort | undefined) => {
    if (p) m.set(p, (m.get(p) ?? 0) + 1);
  };
  for (const n of c.nodes) {
    const m = n.machine;
    const handle = m.handle.bind(m);
    // Ports are looked up before the driver performs anything (a port may be destroyed then).
    const portOf = (name: number) => n.netmsg.space.get(name)?.port ?? undefined;
    const isNs = (h: { id: number }) => h.id === NOTIFY_NO_SENDERS;
    m.handle = (ev) => {
      if (ev.type === 'portMessage' && isNs(ev.msg.header) && ev.msg.header.bits.local === MOVE_SEND_ONCE) {
        // One counted when its receive right left (below) is not counted again.
        const p = portOf(ev.port);
        const q = p ? queuedAtMove.get(p) ?? 0 : 0;
        if (p && q > 0) queuedAtMove.set(p, q - 1);
        else bump(taken, p);
      }
      if (ev.type === 'portMessage' && ev.receiveStatus) {
        for (const name of Object.keys(ev.receiveStatus)) {
          const p = portOf(Number(name));
          if (!p) continue;
          for (const km of p.queue) {
            if (km.destRight !== 'sendOnce' || km.id !== NOTIFY_NO_SENDERS) continue;
            bump(taken, p);
            queuedAtMove.set(p, (queuedAtMove.get(p) ?? 0) + 1);
          }
        }
      }
      const acts = handle(ev);
      for (const a of acts) {
        const msgs = a.type === 'deliver' ? [a.msg] : a.type === 'reclaimPort' ? a.first.map((f) => f.msg) : [];
        for (const msg of msgs) {
          const r = msg.header.bits.remote;
          if (isNs(msg.header) && (r === MOVE_SEND_ONCE || r === MAKE_SEND_ONCE)) bump(put, portOf(a.type === 'reclaimPort' ? a.name : msg.header.remotePort));
        }
      }
      return acts;
    };
  }
  // Per port label, read at the end (a port's label is known once the oracle relabels).
  const sum = (m: Map<KPort, number>, label: number) => [...m].reduce((t, [p, k]) => t + (labelOf.get(p) === label ? k : 0), 0);
  return {
    labels: () => [...taken.keys(), ...put.keys()].flatMap((p) => labelOf.get(p) ?? []),
    of: (label) => ({ taken: sum(taken, label), put: sum(put, label) }),
  };
}
