import { App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, intOf, portsOf } from './app.js';
import { Cluster } from './cluster.js';
import { NOTIFY_NO_SENDERS, type KPort } from './kernel.js';

/**
 * Random schedules over the simulator: operations by applications on 2-4
 * fully linked nodes (new ports, send rights and receive rights passed
 * around, data messages, drops, destroys, link loss), interleaved with
 * randomly chosen protocol steps. The checker watches:
 * - per-port FIFO per sender, and no duplicate delivery;
 * - exactly-once delivery to ports that were never destroyed, while links live;
 * - no-senders never early: when an application receives NO SENDERS, no
 *   application anywhere holds a send right to the port (or to a live proxy
 *   of it), and none is queued in a kernel;
 * - no-senders never lost, and empty tables and spaces once everything is
 *   dropped and destroyed.
 */

export type Op =
  | { op: 'newPort'; node: number }
  | { op: 'giveSend'; holder: number; to: number }
  | { op: 'giveReceive'; holder: number; to: number }
  | { op: 'data'; holder: number }
  | { op: 'drop'; holder: number }
  | { op: 'destroy'; holder: number }
  | { op: 'steps'; n: number }
  | { op: 'cut'; a: number; b: number };

export interface ScheduleResult {
  violations: string[];
  delivered: number;
  steps: number;
}

const DATA_ID = 4242;
const GIFT_ID = 4343;

interface Holding {
  node: number;
  name: number;
  receive: boolean;
}

export function runSchedule(nodes: number, seed: number, ops: Op[], opts: { loss: boolean }): ScheduleResult {
  const c = new Cluster({ nodes, seed, abis: ['i386', 'x86_64'] });
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
  const sent = new Map<string, number>(); // label/sender/seq -> count received
  const seqs = new Map<string, number>(); // label/sender -> next seq
  const lastSeen = new Map<string, number>();
  let delivered = 0;
  let cutHappened = false;
  const rootNames = new Set<string>();
  for (let i = 0; i < nodes; i++) rootNames.add(`${i + 1}/${inbox[i]}`);
  for (const [k, n] of toInbox) rootNames.add(`${k.split('>')[0]}/${n}`);

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
  const sendRightsTo = (label: number): number => {
    let n = 0;
    where.length = 0;
    for (const node of c.nodes) {
      for (const t of node.kernel.tasks) {
        if (t.label === 'netmsg') continue;
        for (const [name, e] of t.space) {
          if (e.port && e.send > 0 && labelOf.get(e.port) === label) {
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
                if (r.kind === 'send' && labelOf.get(r.port) === label) {
                  n++;
                  where.push(`node ${node.id} in a message queued on a port of ${t.label}`);
                }
              }
            }
          }
        }
      }
    }
    return n;
  };

  const drain = () => {
    for (let pass = 0; pass < 1000; pass++) if (drainOnce() === 0) return;
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
            continue; // the right is now held by the app
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
            // After a link loss, rights behind the lost link are doomed but
            // may not have heard DEAD yet (Mach: they die with the link), so
            // the oracle only judges NO SENDERS while every link is up.
            // A notification generated before the receiver made new send
            // rights (its make-send count is behind the port's) is not early.
            const fresh = intOf(r, 0) === e.port!.mscount;
            if (label !== undefined && !cutHappened && fresh) {
              relabel();
              const live = sendRightsTo(label);
              if (live > 0) v.push(`early NO SENDERS on port ${label} at node ${i + 1}: ${live} send rights still exist (${where.join('; ')})`);
            }
            // Re-arm for the next make-send.
            app.requestNoSenders(name, e.port!.mscount + 1);
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
    apps[from.node - 1]!.send(dest, { id: GIFT_ID, ports: { disp, names: [from.name] } });
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
        if (label !== undefined) destroyed.add(label);
        apps[h.node - 1]!.destroy(h.name);
        break;
      }
      case 'steps':
        for (let i = 0; i < op.n; i++) if (!c.step()) break;
        break;
      case 'cut': {
        if (!opts.loss) break;
        const a = (op.a % nodes) + 1;
        const b = (op.b % nodes) + 1;
        if (a !== b && c.linked(a, b)) {
          c.cut(a, b);
          cutHappened = true;
        }
        break;
      }
    }
    drain();
  }
  // Run to quiescence: applications keep receiving (a full queue holds the
  // rest back through credit) until a round delivers nothing.
  for (let round = 0; round < 1000; round++) {
    const before = delivered;
    c.settle();
    drain();
    if (delivered === before && c.nodes.every((n) => n.backlog.length === 0)) break;
  }
  // Exactly once while links live.
  if (!opts.loss) {
    for (const [k, n] of sent) {
      const label = Number(k.split('/')[0]);
      if (!destroyed.has(label) && n !== 1) v.push(`message ${k} delivered ${n} times`);
    }
  }
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
      if (extra.length > 0 || t.sendOnceOut.length > 0 || t.sendOnceProxies.length > 0) v.push(`node ${n.id} leftover entries after link loss: ${JSON.stringify(t)}`);
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
  return { violations: v, delivered, steps: c.steps };
}

/** A deterministic op list from a seed (for the simulate script). */
export function randomOps(seed: number, length: number, loss: boolean): Op[] {
  let s = seed >>> 0 || 1;
  const r = (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  const ops: Op[] = [];
  for (let i = 0; i < length; i++) {
    const k = r(loss ? 20 : 19);
    if (k < 3) ops.push({ op: 'newPort', node: r(4) });
    else if (k < 7) ops.push({ op: 'giveSend', holder: r(64), to: r(4) });
    else if (k < 9) ops.push({ op: 'giveReceive', holder: r(64), to: r(4) });
    else if (k < 13) ops.push({ op: 'data', holder: r(64) });
    else if (k < 15) ops.push({ op: 'drop', holder: r(64) });
    else if (k < 16) ops.push({ op: 'destroy', holder: r(64) });
    else if (k < 19) ops.push({ op: 'steps', n: r(12) });
    else ops.push({ op: 'cut', a: r(4), b: r(4) });
  }
  return ops;
}
