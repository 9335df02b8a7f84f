import type { Abi } from 'mach-msg';
import { Connection, type ConnectionEvent } from '../connection.js';
import { withLimits, type WireLimits } from '../limits.js';
import { NetmsgNode, type NodeAction, type NodeEvent, type ReceiveStatus } from '../node.js';
import {
  Kernel, KTask, MACH_SEND_INVALID_DEST, NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, type KMsg, type KPort,
} from './kernel.js';

/**
 * A deterministic multi-node simulator: N nodes, each a Kernel model with a
 * netmsg task run by the NetmsgNode state machine through a small driver,
 * joined by in-memory byte links that carry the real frame encoding
 * (handshake included). Every step is chosen by a seeded generator, so a
 * run is reproducible from its seed.
 */

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

interface Backlog {
  port: KPort;
  /** Copied in already, as Mach holds a blocked sender's message. */
  kmsg: KMsg;
  token: Extract<NodeAction, { type: 'deliver' }>['token'];
}

export class SimNode {
  readonly kernel = new Kernel();
  readonly netmsg: KTask;
  readonly notifyName: number;
  readonly machine: NetmsgNode;
  readonly conns = new Map<number, Connection>();
  readonly paused = new Set<number>();
  readonly backlog: Backlog[] = [];
  readonly roots = new Map<number, number>();
  /** Protocol errors seen (closeLink actions, closed connections). */
  readonly errors: string[] = [];

  constructor(readonly cluster: Cluster, readonly id: number, readonly abi: Abi, limits: WireLimits, deferSendOnce = false) {
    this.netmsg = this.kernel.task('netmsg');
    this.notifyName = this.kernel.allocate(this.netmsg);
    this.machine = new NetmsgNode({ node: id, abi, limits, ...(deferSendOnce ? { deferSendOnceRequests: true } : {}) });
  }

  task(label: string): KTask {
    return this.kernel.task(label);
  }

  handle(ev: NodeEvent): void {
    const work: NodeEvent[] = [ev];
    while (work.length > 0) {
      const e = work.shift()!;
      for (const a of this.machine.handle(e)) this.perform(a, work);
    }
  }

  /** Publish a task's send right as this node's root: the task gives netmsg a copy. */
  publishRoot(task: KTask, name: number): void {
    const port = task.space.get(name)!.port!;
    const n = this.kernel.allocate(this.netmsg);
    // Give netmsg a send right to the port (as fsys_startup would).
    this.netmsg.space.delete(n);
    port.srights++;
    this.netmsg.space.set(n, { port, send: 1, receive: false, sendOnce: false, dead: 0, dnRequest: null });
    this.handle({ type: 'publishRoot', name: n });
  }

  /** A send right, in `task`, to the root port of `peer`. */
  importRoot(task: KTask, peer: number): number {
    this.handle({ type: 'importRoot', peer });
    const proxy = this.roots.get(peer)!;
    const port = this.netmsg.space.get(proxy)!.port!;
    port.mscount++;
    const existing = task.nameOf(port);
    if (existing !== undefined) {
      task.space.get(existing)!.send++;
      return existing;
    }
    port.srights++;
    const n = task.freshName();
    task.space.set(n, { port, send: 1, receive: false, sendOnce: false, dead: 0, dnRequest: null });
    return n;
  }

  private perform(a: NodeAction, work: NodeEvent[]): void {
    const k = this.kernel;
    const t = this.netmsg;
    const check = (what: string, code: number) => {
      if (code !== 0) this.cluster.violation(`node ${this.id}: ${what} failed with ${code}`);
    };
    switch (a.type) {
      case 'sendFrame': {
        const c = this.conns.get(a.peer);
        if (!c || !c.isEstablished) return;
        try {
          c.send(a.frame);
        } catch (e) {
          this.cluster.violation(`node ${this.id}: send failed: ${(e as Error).message}`);
        }
        this.cluster.flush(this.id, a.peer);
        return;
      }
      case 'closeLink': {
        this.errors.push(`${a.code}: ${a.reason}`);
        const c = this.conns.get(a.peer);
        if (c) {
          c.close(a.code as 'normal', a.reason);
          this.cluster.flush(this.id, a.peer);
        }
        return;
      }
      case 'allocatePort': {
        const n = k.allocate(t, a.name);
        if (n !== a.name) this.cluster.violation(`node ${this.id}: allocate ${a.name} gave ${n}`);
        return;
      }
      case 'destroyPort':
        this.paused.delete(a.name);
        check(`destroy ${a.name}`, k.destroyReceive(t, a.name));
        return;
      case 'makeSend':
        check(`makeSend ${a.name}`, k.makeSend(t, a.name));
        return;
      case 'addSendRef':
        check(`addSendRef ${a.name}`, k.modRefs(t, a.name, 'send', 1));
        return;
      case 'deallocate':
        check(`deallocate ${a.name}`, k.deallocate(t, a.name));
        return;
      case 'insertSendOnce':
        check(`insertSendOnce ${a.name}`, k.insertSendOnce(t, a.name, a.port));
        return;
      case 'requestNoSenders': {
        const notify = a.notify === undefined ? 'self' : t.space.get(a.notify)?.port ?? null;
        check(`requestNoSenders ${a.name}`, notify === null ? 15 : k.requestNoSenders(t, a.name, a.sync, notify));
        return;
      }
      case 'requestAppNoSenders':
        if (a.notify === 'self') check(`requestAppNoSenders ${a.name}`, k.requestNoSenders(t, a.name, a.sync, 'self'));
        else check(`requestAppNoSenders ${a.name}`, k.requestNoSendersWith(t, a.name, a.sync, a.notify));
        return;
      case 'requestDeadName':
        check(`requestDeadName ${a.name}`, k.requestDeadName(t, a.name, this.notifyName));
        return;
      case 'setPortStatus':
        check(`setPortStatus ${a.name}`, k.setPortStatus(t, a.name, a.mscount, a.qlimit));
        return;
      case 'pausePort':
        this.paused.add(a.name);
        return;
      case 'resumePort':
        this.paused.delete(a.name);
        return;
      case 'reclaimPort': {
        const drained = k.reclaim(t, a.name, a.nsSelf, a.sendOnceOwn);
        if (!drained) {
          this.cluster.violation(`node ${this.id}: reclaim ${a.name} failed`);
          return;
        }
        for (const m of a.first) check('reclaim resend', k.send(t, m.msg, m.ool, { always: true }));
        k.requeue(t.space.get(a.name)!.port!, drained);
        return;
      }
      case 'deliver':
        this.deliver(a, work);
        return;
      case 'destroyMessage':
        k.destroyMessage(t, a.msg, a.ool);
        return;
      case 'rootImported':
        this.roots.set(a.peer, a.name);
        return;
    }
  }

  /**
   * netmsg's send: copied in at once (its rights leave netmsg's space), then
   * queued, or held in the backlog while the queue is full (send-once
   * messages are always queued, as in Mach).
   */
  private deliver(a: Extract<NodeAction, { type: 'deliver' }>, work: NodeEvent[]): void {
    const km = this.kernel.copyinMessage(this.netmsg, a.msg, a.ool, true);
    if (typeof km === 'number') {
      if (km === MACH_SEND_INVALID_DEST) this.kernel.destroyMessage(this.netmsg, a.msg, a.ool);
      else this.cluster.violation(`node ${this.id}: deliver failed with ${km.toString(16)}`);
      if (a.token) work.push({ type: 'delivered', token: a.token });
      return;
    }
    const port = km.dest;
    const full = km.destRight === 'send' && port.queue.length >= port.qlimit;
    if (full || this.backlog.some((b) => b.port === port)) {
      this.backlog.push({ port, kmsg: km, token: a.token });
      return;
    }
    port.queue.push(km);
    if (a.token) work.push({ type: 'delivered', token: a.token, queued: sendsQueued(port) });
  }

  /** Retry deliveries waiting for queue room; true if one went through. */
  retryBacklog(): boolean {
    for (let i = 0; i < this.backlog.length; i++) {
      const b = this.backlog[i]!;
      if (!b.port.dead && b.port.queue.length >= b.port.qlimit) continue;
      if (this.backlog.slice(0, i).some((x) => x.port === b.port)) continue;
      this.backlog.splice(i, 1);
      if (b.port.dead) this.kernel.destroyKmsg(b.kmsg);
      else b.port.queue.push(b.kmsg);
      if (b.token) this.handle(b.port.dead ? { type: 'delivered', token: b.token } : { type: 'delivered', token: b.token, queued: sendsQueued(b.port) });
      return true;
    }
    return false;
  }

  /** Names of netmsg's receive rights with a message ready to take. */
  readyPorts(): number[] {
    const out: number[] = [];
    for (const [n, e] of this.netmsg.space) {
      if (!e.receive || !e.port || e.port.queue.length === 0) continue;
      if (this.paused.has(n)) continue;
      out.push(n);
    }
    return out;
  }

  /** netmsg takes one message off `name` and feeds the machine. */
  receiveOn(name: number): void {
    const r = this.kernel.receive(this.netmsg, name);
    if (!r) return;
    const h = r.msg.header;
    if (name === this.notifyName) {
      if (h.id === NOTIFY_DEAD_NAME) {
        const it = r.msg.items[0];
        if (it && it.kind === 'data') this.handle({ type: 'deadName', name: new DataView(it.data.buffer, it.data.byteOffset).getUint32(0, true) });
      }
      // PORT_DELETED and SEND_ONCE here are by-products of netmsg's own
      // bookkeeping: consumed, never relayed (seed §6 point 8).
      return;
    }
    if (this.machine.portKind(name) === 'notify') {
      // netmsg's dedicated no-senders port for a proxy (§4.5): all netmsg's.
      if (h.id === NOTIFY_NO_SENDERS) {
        const it = r.msg.items[0];
        const mscount = it && it.kind === 'data' ? new DataView(it.data.buffer, it.data.byteOffset).getUint32(0, true) : 0;
        this.handle({ type: 'noSenders', port: name, mscount });
      }
      return;
    }
    if (h.bits.local === 18 && this.machine.portKind(name) === 'proxy' && this.machine.ownsNotifications(name)) {
      // Through a send-once right to a proxy past its drain: netmsg's own
      // request's notification (no task can make a send-once right without
      // the receive right). During an old home's drain the queue is all the
      // application's, its no-senders notification included: it travels.
      if (h.id === NOTIFY_NO_SENDERS) {
        const it = r.msg.items[0];
        const mscount = it && it.kind === 'data' ? new DataView(it.data.buffer, it.data.byteOffset).getUint32(0, true) : 0;
        this.handle({ type: 'noSenders', port: name, mscount });
      }
      return;
    }
    const status: Record<number, ReceiveStatus> = {};
    for (const it of r.msg.items) {
      if (it.kind !== 'ports' || it.type.name !== 16) continue;
      for (const n of it.names) {
        const port = this.netmsg.space.get(n)?.port;
        if (!port) continue;
        // Every message queued now is the application's (netmsg has no
        // request on a port it does not yet hold), notifications included.
        const st: ReceiveStatus = { mscount: port.mscount, qlimit: port.qlimit, queued: port.queue.length, senders: port.srights > 0 };
        const req = this.kernel.takeNoSendersRequest(this.netmsg, port);
        if (req) {
          if (req.name === 'self') st.noSendersSelf = true;
          else st.noSendersNotify = req.name;
          st.noSendersSync = req.sync;
        }
        // Send-once rights not yet received from (mps_sorights: those out
        // there and the destination rights of messages queued on the port).
        const so = port.sorights;
        if (so > 0) st.sendOnce = so;
        status[n] = st;
      }
    }
    this.handle({ type: 'portMessage', port: name, msg: r.msg, ool: r.ool, receiveStatus: status });
  }
}

/**
 * Messages in a port's queue that netmsg would take as messages. Only read
 * while an old home drains (§4.5), when netmsg has no request of its own on
 * the port, so every queued message counts, notifications included.
 */
function sendsQueued(port: KPort): number {
  return port.queue.length;
}

export interface ClusterOptions {
  nodes: number;
  seed?: number;
  abis?: Abi[];
  limits?: Partial<WireLimits>;
  secret?: Uint8Array;
  /**
   * Nodes defer the dead-name requests on kept send-once rights
   * (`NodeConfig.deferSendOnceRequests`); a node's sweep is then a step the
   * generator may pick whenever it has tokens waiting for one. Off by
   * default, so recorded schedules keep their steps.
   */
  deferSendOnce?: boolean;
  /**
   * Steps one `settle` may take before it records "no quiescence" (default
   * 200000). A shrinker lowers it: a candidate that has not settled after
   * a few thousand steps is as good a witness of a livelock as one run to
   * the full bound, and costs a small part of it.
   */
  settleLimit?: number;
  /**
   * Called with the new cluster before anything runs on it (tests watch
   * a whole run through it: `wireTap`, the kernels afterwards).
   */
  observe?: (c: Cluster) => void;
}

type StepKind = { kind: 'link'; from: number; to: number } | { kind: 'port'; node: number; name: number } | { kind: 'backlog'; node: number } | { kind: 'sweep'; node: number };

export class Cluster {
  readonly nodes: SimNode[] = [];
  readonly rng: Rng;
  /** Bytes in flight per directed link "a>b". */
  private readonly wires = new Map<string, Uint8Array[]>();
  readonly violations: string[] = [];
  private readonly secret: Uint8Array;
  readonly limits: WireLimits;
  steps = 0;
  private readonly settleLimit: number;
  /** Called after every step (checkers use it to follow ports as they move). */
  afterStep: (() => void) | undefined;
  /** Sees every chunk of bytes a node writes to a link, in order (tests fingerprint a run with it). */
  wireTap: ((from: number, to: number, bytes: Uint8Array) => void) | undefined;

  constructor(opts: ClusterOptions) {
    this.rng = new Rng(opts.seed ?? 1);
    this.secret = opts.secret ?? new TextEncoder().encode('cluster secret');
    this.limits = withLimits(opts.limits);
    this.settleLimit = opts.settleLimit ?? 200000;
    for (let i = 0; i < opts.nodes; i++) this.nodes.push(new SimNode(this, i + 1, opts.abis?.[i % opts.abis.length] ?? 'i386', this.limits, opts.deferSendOnce));
    opts.observe?.(this);
  }

  node(id: number): SimNode {
    return this.nodes[id - 1]!;
  }

  violation(v: string): void {
    this.violations.push(v);
  }

  /** Open an authenticated link between two nodes and run until established. */
  connect(a: number, b: number): void {
    this.relink(a, b);
    this.settle();
  }

  /**
   * Open a link between two nodes, its handshake left to the ordinary link
   * steps: also a lost link coming back under the same node ids, as
   * netmsg-server's re-dial of a configured peer does (schedules' `relink`).
   */
  relink(a: number, b: number): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const n = this.node(x);
      const c = new Connection({ node: x, abi: n.abi, secret: this.secret, limits: this.limits, random: (k) => this.rng.bytes(k) });
      n.conns.set(y, c);
      this.wires.set(`${x}>${y}`, []);
    }
    this.node(a).conns.get(b)!.start();
    this.node(b).conns.get(a)!.start();
    this.flush(a, b);
    this.flush(b, a);
  }

  /** Link loss: the connection vanishes without a goodbye; both ends see it. */
  cut(a: number, b: number): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      this.wires.delete(`${x}>${y}`);
      const n = this.node(x);
      if (n.conns.delete(y)) n.handle({ type: 'linkDown', peer: y });
    }
  }

  linked(a: number, b: number): boolean {
    return this.wires.has(`${a}>${b}`);
  }

  flush(from: number, to: number): void {
    const c = this.node(from).conns.get(to);
    const w = this.wires.get(`${from}>${to}`);
    if (!c || !w) return;
    for (const b of c.takeOutput()) {
      this.wireTap?.(from, to, b);
      w.push(b);
    }
  }

  private enabled(): StepKind[] {
    const out: StepKind[] = [];
    for (const [k, q] of this.wires) {
      if (q.length === 0) continue;
      const [f, t] = k.split('>').map(Number) as [number, number];
      out.push({ kind: 'link', from: f, to: t });
    }
    for (const n of this.nodes) {
      for (const name of n.readyPorts()) out.push({ kind: 'port', node: n.id, name });
      if (n.backlog.some((b) => b.port.dead || b.port.queue.length < b.port.qlimit)) out.push({ kind: 'backlog', node: n.id });
      if (n.machine.sendOnceAwaitingSweep() > 0) out.push({ kind: 'sweep', node: n.id });
    }
    return out;
  }

  /** Run one step chosen by the generator; false when nothing is enabled. */
  step(): boolean {
    const en = this.enabled();
    if (en.length === 0) return false;
    this.run(en[this.rng.int(en.length)]!);
    this.afterStep?.();
    return true;
  }

  /** Run until quiescent. */
  settle(limit = this.settleLimit): void {
    for (let i = 0; i < limit; i++) if (!this.step()) return;
    this.violation('settle: no quiescence');
  }

  private run(s: StepKind): void {
    this.steps++;
    if (s.kind === 'port') {
      this.node(s.node).receiveOn(s.name);
      return;
    }
    if (s.kind === 'backlog') {
      this.node(s.node).retryBacklog();
      return;
    }
    if (s.kind === 'sweep') {
      this.node(s.node).handle({ type: 'sweepSendOnce' });
      return;
    }
    const q = this.wires.get(`${s.from}>${s.to}`)!;
    // Deliver one chunk, sometimes split, to exercise reassembly.
    let chunk = q.shift()!;
    if (chunk.length > 1 && this.rng.int(8) === 0) {
      const cut = 1 + this.rng.int(chunk.length - 1);
      q.unshift(chunk.subarray(cut));
      chunk = chunk.subarray(0, cut);
    }
    const n = this.node(s.to);
    const c = n.conns.get(s.from);
    if (!c) return;
    const evs: ConnectionEvent[] = c.receive(chunk);
    this.flush(s.to, s.from);
    for (const ev of evs) {
      if (ev.type === 'established') n.handle({ type: 'linkUp', peer: s.from, window: ev.peer.window });
      else if (ev.type === 'frame') n.handle({ type: 'frame', peer: s.from, frame: ev.frame });
      else {
        if (ev.code !== 'normal') n.errors.push(`${ev.code}: ${ev.reason}`);
        this.cut(s.from, s.to);
        return;
      }
    }
  }
}
