import { App, COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, MOVE_SEND, MOVE_SEND_ONCE, intOf, portsOf } from './app.js';
import { portKey } from '../identity.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { NOTIFY_NO_SENDERS, NOTIFY_SEND_ONCE, type KPort } from './kernel.js';
import { linkOp } from './link-ops.js';
import { Carried, edgeCounts, giftVia, NameLabels, unsettled, watchDeadOnWay, watchTravellingNoSenders } from './held-gifts.js';
import type { MigrationEdge } from '../node-core.js';

export { randomOps } from './random-ops.js';

/**
 * Random schedules over the simulator: operations by applications on 2-4
 * fully linked nodes (new ports, send rights and receive rights passed
 * around, data messages, drops, destroys, link loss, relinks), interleaved with
 * randomly chosen protocol steps. The checker watches:
 * - per-port FIFO per sender, and no duplicate delivery;
 * - exactly-once delivery to ports that were never destroyed, while links live;
 * - exact no-senders, with or without link loss: when an application
 *   receives NO SENDERS carrying the port's current make-send count, no live
 *   send right to the port exists anywhere — in a task, or in a message
 *   queued in any kernel — and none appears later without a new make-send
 *   (a right that was in flight); a send right is live when its proxy's
 *   chain of routes still reaches the port's home over live links (rights
 *   behind a lost link are doomed: Mach makes them dead names, and dead
 *   names are not send rights);
 * - the make-send count: the port's count is always the number of send
 *   rights its receiver made since it got the receive right (Mach starts
 *   the count again at 0 when a receive right moves,
 *   ipc_port_clear_receiver; netmsg never adds to it, also across
 *   migrations), a notification never carries more, and no count is
 *   notified twice while one receiver holds the right;
 * - no-senders never lost: once every application dropped its rights, every
 *   port that ever had a send right has received NO SENDERS with its final
 *   make-send count, and its real port has no send right left anywhere;
 * - empty tables and spaces once everything is dropped and destroyed.
 */

export type Op =
  | { op: 'newPort'; node: number }
  | { op: 'giveSend'; holder: number; to: number }
  | { op: 'giveReceive'; holder: number; to: number }
  | { op: 'data'; holder: number }
  | { op: 'drop'; holder: number }
  | { op: 'destroy'; holder: number }
  | { op: 'steps'; n: number }
  | { op: 'cut'; a: number; b: number }
  /** A lost link comes back under the same node ids (link-ops.ts). */
  | { op: 'relink'; a: number; b: number }
  /** The receiver of a port gives another node's application a send-once right to it (an RPC's reply right). */
  | { op: 'soGive'; holder: number; to: number }
  /** An application uses a send-once right it holds (one message), or destroys it unused. */
  | { op: 'soUse'; holder: number; destroy: boolean }
  /** A right (a receive right if `receive`) goes in a message to another port its holder's application has a send right to (held-gifts.ts). */
  | { op: 'giftVia'; holder: number; via: number; receive: boolean };

export interface ScheduleResult {
  violations: string[];
  delivered: number;
  steps: number;
  /** How often each rare migration branch ran (summed over the nodes). */
  edges: Partial<Record<MigrationEdge, number>>;
}

const DATA_ID = 4242;
const GIFT_ID = 4343;
const SO_GIFT_ID = 4444;
const SO_REPLY_ID = 4545;

interface Holding {
  node: number;
  name: number;
  receive: boolean;
}

export function runSchedule(nodes: number, seed: number, ops: Op[], opts: { loss: boolean; deferSendOnce?: boolean; settleLimit?: number; limits?: ClusterOptions['limits']; observe?: (c: Cluster) => void }): ScheduleResult {
  const c = new Cluster({ nodes, seed, abis: ['i386', 'x86_64'], ...(opts.deferSendOnce ? { deferSendOnce: true } : {}), ...(opts.settleLimit !== undefined ? { settleLimit: opts.settleLimit } : {}), ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.observe ? { observe: opts.observe } : {}) });
  const apps: App[] = [];
  const inbox: number[] = [];
  const v: string[] = [];
  for (let i = 1; i <= nodes; i++) {
    const app = new App(c, i, c.node(i).task('app'));
    apps.push(app);
    const ib = app.allocate();
    inbox.push(ib);
    c.node(i).publishRoot(app.task, ib);
  }
  for (let a = 1; a <= nodes; a++) for (let b = a + 1; b <= nodes; b++) c.connect(a, b);
  const toInbox = new Map<string, number>();
  for (let a = 1; a <= nodes; a++) for (let b = 1; b <= nodes; b++) if (a !== b) toInbox.set(`${a}>${b}`, c.node(a).importRoot(apps[a - 1]!.task, b));
  c.settle();
  const baseTables = c.nodes.map((n) => JSON.stringify(n.machine.tables()));
  const linkUse = (n: (typeof c.nodes)[number]) => c.nodes.map((m) => JSON.stringify(n.machine.linkPorts(m.id) ?? null)).join(',');
  const baseUse = c.nodes.map(linkUse);

  // Logical port labels: a real port gets one at creation; proxies and
  // migrated ports inherit it through their identity.
  let nextLabel = 1;
  const labelOf = new Map<KPort, number>();
  const labelByKey = new Map<string, number>();
  const destroyed = new Set<number>();
  const carried = new Carried();
  const names = new NameLabels();
  const sent = new Map<string, number>(); // label/sender/seq -> count received
  const seqs = new Map<string, number>(); // label/sender -> next seq
  const lastSeen = new Map<string, number>();
  let delivered = 0;
  let cutHappened = false;
  const rootNames = new Set<string>();
  for (let i = 0; i < nodes; i++) rootNames.add(`${i + 1}/${inbox[i]}`);
  for (const [k, n] of toInbox) rootNames.add(`${k.split('>')[0]}/${n}`);

  // A receive right netmsg delivers on a port it allocated for it, whose
  // entry is gone again within the same step (collected at once, or the
  // fresh port of a doomed proxy, PROTOCOL.md §4.5), never shows in the
  // tables relabel reads between steps: remember, per node, the port each
  // name netmsg allocated got and the identity each arriving receive right
  // was given a name for.
  const allocated = new Map<string, KPort>();
  const arrivedAs = new Map<string, string>();
  for (const n of c.nodes) {
    const k = n.kernel;
    const allocate = k.allocate.bind(k);
    k.allocate = (task, name) => {
      const got = allocate(task, name);
      const port = task === n.netmsg && got > 0 ? task.space.get(got)?.port : undefined;
      if (port) allocated.set(`${n.id}/${got}`, port);
      return got;
    };
    const m = n.machine as unknown as { importReceive: (peer: number, id: { node: number; serial: number }, ...rest: unknown[]) => number };
    const importReceive = m.importReceive.bind(m);
    m.importReceive = (peer, id, ...rest) => {
      const name = importReceive(peer, id, ...rest);
      arrivedAs.set(`${n.id}/${name}`, portKey(id));
      return name;
    };
  }
  const deadOnWay = watchDeadOnWay(c);
  const nsTravel = watchTravellingNoSenders(c, labelOf);
  const relabel = () => {
    for (const n of c.nodes) {
      for (const p of n.machine.tables().ports) {
        const port = n.netmsg.space.get(p.name)?.port;
        if (!port) continue;
        const l = labelOf.get(port) ?? labelByKey.get(p.key);
        if (l === undefined) continue;
        labelOf.set(port, l);
        labelByKey.set(p.key, l);
      }
    }
    for (const [where, key] of arrivedAs) {
      const port = allocated.get(where);
      const l = labelByKey.get(key);
      if (!port || l === undefined) continue;
      if (!labelOf.has(port)) labelOf.set(port, l);
      arrivedAs.delete(where);
    }
  };

  c.afterStep = relabel;

  const holdings = (): Holding[] => {
    const out: Holding[] = [];
    apps.forEach((app, i) => {
      for (const [name, e] of app.task.space) {
        if (rootNames.has(`${i + 1}/${name}`)) continue;
        if (!e.port || (e.send === 0 && !e.receive)) continue;
        if (!labelOf.has(e.port)) continue;
        out.push({ node: i + 1, name, receive: e.receive });
      }
    });
    return out;
  };

  const where: string[] = [];
  /**
   * Whether a send right to `port` held on `node` is live: the real port, or
   * a proxy whose chain of routes reaches the node where the port is home
   * over live links. A right behind a lost link is doomed (Mach makes it a
   * dead name; DEAD may simply not have reached it yet).
   */
  const liveRight = (node: number, port: KPort, tabs: Map<number, ReturnType<typeof c.nodes[number]['machine']['tables']>>): boolean => {
    const sim = c.node(node);
    if (port.dead) return false; // a right in a queued message to a dead port is a dead name
    if (port.receiver !== sim.netmsg) return true; // the real port (or in transit as a real port)
    const tablesOf = (n: number) => {
      let t = tabs.get(n);
      if (!t) tabs.set(n, (t = c.node(n).machine.tables()));
      return t;
    };
    const name = sim.netmsg.nameOf(port);
    let entry = name === undefined ? undefined : tablesOf(node).ports.find((p) => p.name === name && p.role === 'proxy');
    if (!entry) return false;
    const key = entry.key;
    const seen = new Set<number>([node]);
    for (let at = node; ;) {
      const route = entry.route;
      if (route === undefined || !c.linked(at, route) || seen.has(route) || deadOnWay(route, at, key)) return false;
      at = route;
      seen.add(at);
      entry = tablesOf(at).ports.find((p) => p.key === key);
      // A chain node without the entry: doomed only if the port died there
      // (a link loss upstream killed it); an entry missing for any other
      // reason is a count the protocol lost, and the right is still live.
      if (!entry) return !c.node(at).machine.sawDie(key);
      if (entry.role === 'home') return true;
    }
  };
  const sendRightsTo = (label: number): number => {
    let n = 0;
    where.length = 0;
    const tabs = new Map<number, ReturnType<typeof c.nodes[number]['machine']['tables']>>();
    for (const node of c.nodes) {
      for (const t of node.kernel.tasks) {
        if (t.label === 'netmsg') continue;
        for (const [name, e] of t.space) {
          if (e.port && e.send > 0 && labelOf.get(e.port) === label && liveRight(node.id, e.port, tabs)) {
            n++;
            where.push(`node ${node.id} ${t.label} name ${name}`);
          }
        }
      }
      for (const t of node.kernel.tasks) {
        for (const e of t.space.values()) {
          if (!e.receive || !e.port) continue;
          for (const m of e.port.queue) {
            for (const it of m.items) {
              if (it.kind !== 'ports') continue;
              for (const r of it.rights) {
                if (r.kind === 'send' && labelOf.get(r.port) === label && liveRight(node.id, r.port, tabs)) {
                  n++;
                  where.push(`node ${node.id} in message ${m.id} queued on a port of ${t.label}${t.label === 'netmsg' ? ` (${node.machine.portKind(t.nameOf(e.port) ?? -1)} ${node.machine.identityOf(t.nameOf(e.port) ?? -1)?.node}:${node.machine.identityOf(t.nameOf(e.port) ?? -1)?.serial})` : ''}, right to ${node.netmsg.nameOf(r.port) !== undefined ? `netmsg ${node.machine.portKind(node.netmsg.nameOf(r.port)!)} ${JSON.stringify(node.machine.identityOf(node.netmsg.nameOf(r.port)!))}` : 'real port'}`);
                }
              }
            }
          }
        }
      }
    }
    return n;
  };
  /**
   * Send rights the receiver made, per port, since the receive right last
   * moved (the make-send count Mach keeps: MOVE_RECEIVE resets it to 0).
   */
  const made = new Map<number, number>();
  /** Per port, the most send rights made while one receiver held it (bounds a notification generated before a move). */
  const madeMax = new Map<number, number>();
  /** Per port, the make-send counts NO SENDERS was received with since the receive right last moved. */
  const notified = new Map<number, Set<number>>();
  /**
   * Per port, NO SENDERS notifications that were queued on it when its
   * receive right last moved: they travel with the right, in queue order, and
   * carry a count of an earlier holder.
   */
  const nsBeforeMove = new Map<number, number>();
  /** Ports whose last NO SENDERS carried their current make-send count. */
  const quiet = new Set<number>();
  /** Send-once rights applications hold (label of their port, serial), and what became of them. */
  const soHeld: { node: number; name: number; label: number; seq: number }[] = [];
  let soSeq = 0;
  const soUsed = new Set<string>();
  const soDestroyed = new Map<number, number>();
  const soGot = new Map<string, number>();
  const soNotified = new Map<number, number>();
  /** Per port, send-once rights its receivers made for other nodes, and messages received through send-once rights (replies and SEND_ONCE notifications). */
  const soMade = new Map<number, number>();
  const soMsgs = new Map<number, number>();
  /**
   * Send-once notifications a port is owed besides those of its
   * applications' destroyed rights: re-arming a request that notifies the
   * port itself while one is still armed (a NO SENDERS generated before the
   * move arrived after the moved request was re-armed) destroys the
   * replaced request's send-once right, which Mach notifies too.
   */
  const soOwed = new Map<number, number>();
  const rearm = (app: App, name: number, port: KPort, sync: number): void => {
    const label = labelOf.get(port);
    if (label !== undefined && port.nsRequest?.notify === port) soOwed.set(label, (soOwed.get(label) ?? 0) + 1);
    app.requestNoSenders(name, sync);
  };

  const drain = () => {
    for (let pass = 0; pass < 1000; pass++) if (drainOnce() === 0) break;
    audit();
  };
  /**
   * After NO SENDERS, no live send right may appear without a new make-send
   * (one that was in flight or queued in netmsg when the notification came
   * would); and a port's make-send count is its receivers' alone.
   */
  const audit = () => {
    relabel();
    for (const label of [...quiet]) {
      if (destroyed.has(label)) {
        quiet.delete(label);
        continue;
      }
      const live = sendRightsTo(label);
      if (live > 0) {
        v.push(`send right to port ${label} exists after its NO SENDERS with no new make-send (${where.join('; ')}) keys ${[...labelByKey].filter(([, l]) => l === label).map(([k]) => k).join(',')}`);
        quiet.delete(label);
      }
    }
    apps.forEach((app, i) => {
      for (const e of app.task.space.values()) {
        if (!e.receive || !e.port) continue;
        const label = labelOf.get(e.port);
        if (label === undefined) continue;
        const want = made.get(label) ?? 0;
        if (e.port.mscount !== want) v.push(`port ${label} at node ${i + 1} has make-send count ${e.port.mscount}, its receivers made ${want}`);
      }
    });
  };
  const makeSendOf = (h: Holding): void => {
    const port = apps[h.node - 1]!.task.space.get(h.name)?.port;
    const label = port ? labelOf.get(port) : undefined;
    if (label === undefined) return;
    made.set(label, (made.get(label) ?? 0) + 1);
    madeMax.set(label, Math.max(madeMax.get(label) ?? 0, made.get(label)!));
    quiet.delete(label);
  };
  /** The receive right was copied in (MOVE_RECEIVE): its count starts again. */
  const receiveMoved = (port: KPort): void => {
    const label = labelOf.get(port);
    if (label === undefined) return;
    made.set(label, 0);
    notified.delete(label);
    nsBeforeMove.set(label, port.queue.filter((m) => m.id === NOTIFY_NO_SENDERS).length);
  };
  const drainOnce = (): number => {
    let got = 0;
    relabel();
    apps.forEach((app, i) => {
      for (const [name, e] of [...app.task.space]) {
        if (!e.receive || !e.port) continue;
        for (;;) {
          const r = app.receive(name);
          if (!r) break;
          got++;
          const id = r.msg.header.id;
          if (id === GIFT_ID) {
            relabel();
            for (const n of portsOf(r)) {
              const l = app.task.space.get(n)?.receive ? labelOf.get(app.task.space.get(n)!.port!) : undefined;
              if (l !== undefined) carried.arrived(l);
            }
            continue; // the right is now held by the app
          }
          if (id === SO_GIFT_ID) {
            const so = r.msg.header.remotePort;
            if (so !== 0 && so >>> 0 !== 0xffffffff) soHeld.push({ node: i + 1, name: so, label: intOf(r, 0)!, seq: intOf(r, 1)! });
            continue;
          }
          if (id === SO_REPLY_ID || id === NOTIFY_SEND_ONCE) {
            // One send-once right's one message: through a send-once right,
            // at the port wherever its receive right now is, exactly once.
            const label = labelOf.get(e.port!);
            if (label !== undefined) soMsgs.set(label, (soMsgs.get(label) ?? 0) + 1);
            if (r.msg.header.bits.local !== MOVE_SEND_ONCE) v.push(`send-once message ${id} on port ${label} at node ${i + 1} arrived through a ${r.msg.header.bits.local === MOVE_SEND ? 'send' : 'other'} right`);
            if (id === SO_REPLY_ID) {
              const k = `${intOf(r, 0)}/${intOf(r, 1)}`;
              if (intOf(r, 0) !== label) v.push(`send-once reply ${k} arrived on port ${label}`);
              soGot.set(k, (soGot.get(k) ?? 0) + 1);
              if (soGot.get(k)! > 1) v.push(`send-once reply ${k} delivered twice`);
            } else if (label !== undefined) {
              soNotified.set(label, (soNotified.get(label) ?? 0) + 1);
            }
            continue;
          }
          if (id === DATA_ID) {
            const label = intOf(r, 0)!;
            const sender = intOf(r, 1)!;
            const seq = intOf(r, 2)!;
            const key = `${label}/${sender}/${seq}`;
            sent.set(key, (sent.get(key) ?? 0) + 1);
            if (sent.get(key)! > 1) v.push(`duplicate delivery ${key}`);
            const fk = `${label}/${sender}`;
            const last = lastSeen.get(fk) ?? -1;
            if (seq <= last) v.push(`FIFO violated on port ${label} from node ${sender}: ${seq} after ${last}`);
            lastSeen.set(fk, seq);
            delivered++;
            continue;
          }
          if (id === NOTIFY_NO_SENDERS) {
            const label = labelOf.get(e.port!);
            const count = intOf(r, 0)!;
            const older = label === undefined ? 0 : nsBeforeMove.get(label) ?? 0;
            if (label !== undefined && older > 0) {
              // Generated for an earlier holder, before the right moved: its
              // count is that holder's, so only the bound applies; then
              // re-arm for the current count (it fires at once if no sender
              // is left), as for any stale notification.
              nsBeforeMove.set(label, older - 1);
              if (count > (madeMax.get(label) ?? 0)) v.push(`NO SENDERS on port ${label} at node ${i + 1} with make-send count ${count}, but no holder made that many send rights`);
              rearm(app, name, e.port!, e.port!.mscount);
              continue;
            }
            // A notification generated before the receiver made new send
            // rights (its make-send count is behind the port's) is not early.
            const fresh = count === e.port!.mscount;
            if (label !== undefined) {
              const want = made.get(label) ?? 0;
              if (count > want) v.push(`NO SENDERS on port ${label} at node ${i + 1} with make-send count ${count}, but only ${want} send rights were made`);
              let seen = notified.get(label);
              if (!seen) notified.set(label, (seen = new Set()));
              if (seen.has(count)) v.push(`NO SENDERS on port ${label} twice for make-send count ${count}`);
              seen.add(count);
              if (fresh) {
                // Judged with or without link loss: rights behind a lost link
                // are doomed and do not count; every live one does.
                relabel();
                const live = sendRightsTo(label);
                if (live > 0) v.push(`early NO SENDERS on port ${label} at node ${i + 1}${cutHappened ? ' (after a link loss)' : ''}: ${live} send rights still exist (${where.join('; ')})`);
                quiet.add(label);
              }
            }
            // Re-arm for the next make-send; a stale notification re-arms
            // for the current count (it fires at once if no sender is left).
            rearm(app, name, e.port!, fresh ? e.port!.mscount + 1 : e.port!.mscount);
          }
        }
      }
    });
    return got;
  };

  const pick = (h: number, want?: (x: Holding) => boolean): Holding | undefined => {
    const hs = holdings().filter(want ?? (() => true));
    return hs.length ? hs[h % hs.length] : undefined;
  };

  const gift = (from: Holding, to: number, disp: number): void => {
    const dest = toInbox.get(`${from.node}>${to}`);
    if (dest === undefined || from.node === to) return;
    const port = apps[from.node - 1]!.task.space.get(from.name)?.port;
    const code = apps[from.node - 1]!.send(dest, { id: GIFT_ID, ports: { disp, names: [from.name] } });
    if (code === 0 && disp === MAKE_SEND) makeSendOf(from);
    if (code === 0 && disp === MOVE_RECEIVE && port) receiveMoved(port);
  };

  for (const op of ops) {
    switch (op.op) {
      case 'newPort': {
        const app = apps[(op.node % nodes)]!;
        const n = app.allocate();
        const port = app.task.space.get(n)!.port!;
        labelOf.set(port, nextLabel++);
        app.requestNoSenders(n, 1);
        break;
      }
      case 'giveSend': {
        const h = pick(op.holder);
        if (h) gift(h, (op.to % nodes) + 1, h.receive ? MAKE_SEND : COPY_SEND);
        break;
      }
      case 'giveReceive': {
        const h = pick(op.holder, (x) => x.receive);
        if (h) gift(h, (op.to % nodes) + 1, MOVE_RECEIVE);
        break;
      }
      case 'data': {
        const h = pick(op.holder, (x) => !x.receive || (apps[x.node - 1]!.task.space.get(x.name)?.send ?? 0) > 0);
        if (!h) break;
        const e = apps[h.node - 1]!.task.space.get(h.name)!;
        const label = e.port ? labelOf.get(e.port) : undefined;
        if (label === undefined || e.send === 0) break;
        const fk = `${label}/${h.node}`;
        const seq = seqs.get(fk) ?? 0;
        const code = apps[h.node - 1]!.send(h.name, { id: DATA_ID, ints: [label, h.node, seq] });
        if (code === 0) {
          seqs.set(fk, seq + 1);
          sent.set(`${label}/${h.node}/${seq}`, sent.get(`${label}/${h.node}/${seq}`) ?? 0);
        }
        break;
      }
      case 'drop': {
        const h = pick(op.holder, (x) => (apps[x.node - 1]!.task.space.get(x.name)?.send ?? 0) > 0);
        if (h) apps[h.node - 1]!.deallocate(h.name);
        break;
      }
      case 'destroy': {
        const h = pick(op.holder, (x) => x.receive);
        if (!h) break;
        const port = apps[h.node - 1]!.task.space.get(h.name)!.port!;
        const label = labelOf.get(port);
        // Receive rights in messages queued on it die with it (Mach destroys its queue).
        if (label !== undefined) for (const l of [label, ...carried.within(label)]) destroyed.add(l);
        apps[h.node - 1]!.destroy(h.name);
        break;
      }
      case 'steps':
        for (let i = 0; i < op.n; i++) if (!c.step()) break;
        break;
      case 'soGive': {
        const h = pick(op.holder, (x) => x.receive);
        if (!h) break;
        const to = (op.to % nodes) + 1;
        const dest = toInbox.get(`${h.node}>${to}`);
        const port = apps[h.node - 1]!.task.space.get(h.name)?.port;
        const label = port ? labelOf.get(port) : undefined;
        if (dest === undefined || h.node === to || label === undefined) break;
        if (apps[h.node - 1]!.send(dest, { id: SO_GIFT_ID, reply: { name: h.name, disp: MAKE_SEND_ONCE }, ints: [label, soSeq++] }) === 0) soMade.set(label, (soMade.get(label) ?? 0) + 1);
        break;
      }
      case 'soUse': {
        if (soHeld.length === 0) break;
        const s = soHeld.splice(op.holder % soHeld.length, 1)[0]!;
        const app = apps[s.node - 1]!;
        const en = app.task.space.get(s.name);
        if (!en || !en.sendOnce) {
          if (en && en.dead > 0) app.deallocate(s.name);
          break;
        }
        if (op.destroy) {
          app.deallocate(s.name);
          soDestroyed.set(s.label, (soDestroyed.get(s.label) ?? 0) + 1);
        } else if (app.send(s.name, { id: SO_REPLY_ID, disp: MOVE_SEND_ONCE, ints: [s.label, s.seq] }) === 0) {
          soUsed.add(`${s.label}/${s.seq}`);
        } else {
          // Not sent (nothing consumed): destroyed unused after all.
          app.deallocate(s.name);
          soDestroyed.set(s.label, (soDestroyed.get(s.label) ?? 0) + 1);
        }
        break;
      }
      case 'giftVia':
        giftVia({ apps, holdings, labelOf, carried, destroyed, giftId: GIFT_ID, madeSend: (node, name) => makeSendOf({ node, name, receive: true }), receiveMoved }, op);
        break;
      case 'cut':
      case 'relink':
        if (opts.loss && linkOp(c, op, nodes)) cutHappened = true;
        break;
    }
    drain();
    names.note(apps, labelOf);
  }
  // Run to quiescence: applications keep receiving (a full queue holds the
  // rest back through credit) until a round delivers nothing.
  for (let round = 0; round < 1000; round++) {
    const before = delivered;
    c.settle();
    drain();
    if (delivered === before && c.nodes.every((n) => n.backlog.length === 0)) break;
  }
  // Quiescent: nothing waiting, all credit back (§6); links live: no dead name for a live port.
  v.push(...unsettled(c), ...(opts.loss ? [] : names.deadForLive(apps, destroyed)));
  // Dead names everywhere after destruction: once quiescent, no application
  // anywhere holds a send or send-once right to a live port (a proxy that
  // missed its DEAD) standing for a port whose receive right was destroyed.
  relabel();
  for (const node of c.nodes) {
    for (const t of node.kernel.tasks) {
      if (t.label === 'netmsg') continue;
      for (const [name, e] of t.space) {
        if (!e.port || e.port.dead || (e.send === 0 && !e.sendOnce)) continue;
        const label = labelOf.get(e.port);
        if (label !== undefined && destroyed.has(label)) v.push(`node ${node.id} ${t.label} name ${name} still a live right to destroyed port ${label} (DEAD NAME missed) [${e.sendOnce ? 'send-once' : 'send'}; ${node.netmsg.nameOf(e.port) !== undefined ? `netmsg ${node.machine.portKind(node.netmsg.nameOf(e.port)!)} ${JSON.stringify(node.machine.identityOf(node.netmsg.nameOf(e.port)!))}` : [...node.netmsg.space].some(([, x]) => x.port === e.port && x.receive) ? `netmsg receive ${JSON.stringify(node.machine.tables().sendOnceRelays)}` : 'real'}]`);
      }
    }
  }
  // Exactly once while links live.
  if (!opts.loss) {
    for (const [k, n] of sent) {
      const label = Number(k.split('/')[0]);
      if (!destroyed.has(label) && n !== 1) v.push(`message ${k} delivered ${n} times`);
    }
  }
  // Never lost: once every application dropped its send rights (and the
  // rights that were still travelling arrived and were dropped too), every
  // port still held has no sender left anywhere and has received NO SENDERS
  // with its final make-send count.
  const dropAll = (): void => {
    apps.forEach((app, i) => {
      for (const [name, e] of [...app.task.space]) {
        if (rootNames.has(`${i + 1}/${name}`)) continue;
        if (e.send > 0 || e.dead > 0) while (app.task.space.get(name) && (app.task.space.get(name)!.send > 0 || app.task.space.get(name)!.dead > 0)) app.deallocate(name);
      }
    });
  };
  // Send-once rights still held are destroyed first (each gives its port a
  // send-once notification), counted as destroyed unused.
  for (const s of soHeld.splice(0)) {
    const en = apps[s.node - 1]!.task.space.get(s.name);
    if (!en) continue;
    if (en.sendOnce) soDestroyed.set(s.label, (soDestroyed.get(s.label) ?? 0) + 1);
    apps[s.node - 1]!.deallocate(s.name);
  }
  const settleAndDrain = (): void => {
    for (let k = 0; k < 100; k++) {
      c.settle();
      const before = delivered;
      const steps = c.steps;
      drain();
      if (delivered === before && steps === c.steps && c.nodes.every((n) => n.readyPorts().length === 0)) break;
    }
  };
  for (let round = 0; round < 4; round++) {
    dropAll();
    settleAndDrain();
  }
  // Every send-once right is used or destroyed now and every message has
  // arrived: no send-once relay or pool may still wait for one (they stand
  // for rights that no longer exist; PROTOCOL.md §4.5). With link loss a
  // pool may stay until its port dies (§9), so only judged while links live.
  if (!opts.loss) {
    for (const n of c.nodes) {
      const t = n.machine.tables();
      if (t.sendOnceRelays.length > 0 || t.sendOncePools.length > 0) v.push(`node ${n.id}: send-once relays ${JSON.stringify(t.sendOnceRelays)} and pools ${JSON.stringify(t.sendOncePools)} left after every send-once right was used or destroyed`);
    }
  }
  // Every send-once right used while links lived reached its port once (a
  // port destroyed meanwhile excepted), and every one destroyed unused gave
  // the port exactly one send-once notification (Mach: a send-once right
  // destroyed unused yields one MACH_NOTIFY_SEND_ONCE; none comes from
  // anywhere else).
  if (!opts.loss) {
    for (const k of soUsed) {
      const label = Number(k.split('/')[0]);
      if (!destroyed.has(label) && (soGot.get(k) ?? 0) !== 1) v.push(`send-once reply ${k} delivered ${soGot.get(k) ?? 0} times`);
    }
    for (const label of new Set([...soDestroyed.keys(), ...soNotified.keys()])) {
      if (destroyed.has(label)) continue;
      const n = soDestroyed.get(label) ?? 0;
      const want = n + (soOwed.get(label) ?? 0);
      const got = soNotified.get(label) ?? 0;
      if (got !== want) v.push(`port ${label}: ${n} send-once rights destroyed unused${want !== n ? ` (and ${want - n} requests replaced)` : ''}, ${got} send-once notifications`);
    }
  }
  // With or without link loss: every send-once right made to a port whose receive right is still
  // held gave it exactly one message — its reply, or a SEND_ONCE notification when it was destroyed
  // unused or died with a link (a right in a lost message, a one-shot proxy behind a lost link, a
  // pool's late message that can no longer come). Mach has no other fate for a send-once right while
  // its port lives; so also for that of an application's NO SENDERS sent on with its receive right.
  const heldLabels = new Set<number>();
  for (const app of apps) for (const e of app.task.space.values()) if (e.receive && e.port && labelOf.has(e.port)) heldLabels.add(labelOf.get(e.port)!);
  for (const label of new Set([...soMade.keys(), ...soMsgs.keys(), ...nsTravel.labels()])) {
    if (destroyed.has(label) || !heldLabels.has(label)) continue;
    const { taken, put } = nsTravel.of(label), want = (soMade.get(label) ?? 0) + (soOwed.get(label) ?? 0) + taken;
    const got = (soMsgs.get(label) ?? 0) + put;
    if (got !== want) v.push(`port ${label}: ${soMade.get(label) ?? 0} send-once rights made${(soOwed.get(label) ?? 0) > 0 ? ` (and ${soOwed.get(label)} requests replaced)` : ''}${taken > 0 ? ` (and ${taken} NO SENDERS sent on, ${put} put on ports)` : ''}, ${got - put} messages through send-once rights (replies and SEND_ONCE notifications)`);
  }
  apps.forEach((app, i) => {
    for (const e of app.task.space.values()) {
      if (!e.receive || !e.port) continue;
      const label = labelOf.get(e.port);
      if (label === undefined || destroyed.has(label)) continue;
      const want = made.get(label) ?? 0;
      if (e.port.srights !== 0) {
        const holders: string[] = [];
        for (const t of c.node(i + 1).kernel.tasks) for (const [n, x] of t.space) if (x.port === e.port && x.send > 0) holders.push(`${t.label} name ${n}${t.label === 'netmsg' ? ` (${c.node(i + 1).machine.portKind(n)})` : ''}`);
        v.push(`port ${label} at node ${i + 1}: ${e.port.srights} send rights left after every application dropped its own (NO SENDERS lost; held by ${holders.join('; ')})`);
      }
      else if (want > 0 && !notified.get(label)?.has(want)) v.push(`port ${label} at node ${i + 1}: no NO SENDERS with make-send count ${want} (got ${[...(notified.get(label) ?? [])].join(',') || 'none'})`);
    }
  });
  // Tear down: drop every right, destroy every receive right, settle.
  for (let round = 0; round < 4; round++) {
    apps.forEach((app, i) => {
      for (const [name, e] of [...app.task.space]) {
        if (rootNames.has(`${i + 1}/${name}`)) continue;
        if (e.send > 0 || e.dead > 0) while (app.task.space.get(name) && (app.task.space.get(name)!.send > 0 || app.task.space.get(name)!.dead > 0)) app.deallocate(name);
        if (app.task.space.get(name)?.receive) {
          // Never lost: a port whose last sender is gone has its NO SENDERS.
          app.destroy(name);
        }
      }
    });
    for (let k = 0; k < 100; k++) {
      c.settle();
      const before = delivered;
      drain();
      if (delivered === before) break;
    }
  }
  for (const n of c.nodes) {
    const t = n.machine.tables();
    if (!opts.loss) {
      if (JSON.stringify(t) !== baseTables[n.id - 1]) v.push(`node ${n.id} tables not back to setup: ${JSON.stringify(t)}`);
    } else {
      const extra = t.ports.filter((p) => !p.pinned);
      if (extra.length > 0 || t.sendOnceOut.length > 0 || t.sendOnceProxies.length > 0 || t.sendOnceRelays.length > 0 || t.sendOncePools.length > 0) v.push(`node ${n.id} leftover entries after link loss: ${JSON.stringify(t)}`);
    }
    for (const [name, e] of n.netmsg.space) {
      if (name === n.notifyName) continue;
      const p = n.machine.portKind(name);
      if (p === undefined && !(e.dead > 0 && opts.loss)) v.push(`node ${n.id} netmsg holds stray name ${name}`);
    }
    // The per-link identity accounting returns to the setup state (no
    // reservation leaks, every learnt identity given back).
    if (!opts.loss && linkUse(n) !== baseUse[n.id - 1]) v.push(`node ${n.id} per-link port counts ${linkUse(n)}, setup ${baseUse[n.id - 1]}`);
    for (const m of c.nodes) if ((n.machine.linkPorts(m.id)?.reserved ?? 0) !== 0) v.push(`node ${n.id} reservation left on link ${m.id}`);
    if (n.backlog.length > 0) v.push(`node ${n.id} backlog not empty`);
    for (const err of n.errors) v.push(`node ${n.id} protocol error: ${err}`);
  }
  for (const x of c.violations) v.push(x);
  return { violations: v, delivered, steps: c.steps, edges: edgeCounts(c) };
}
