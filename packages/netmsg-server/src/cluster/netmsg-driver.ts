import {
  decodeMessage, encodeMessage, parseNotification,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_RCV_INVALID_NAME, MACH_RCV_INTERRUPTED,
  MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_SEND_ONCE, MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG, MACH_SEND_MSG, MACH_SEND_INTERRUPTED, MACH_SEND_INVALID_DEST, MACH_SEND_TIMED_OUT, MACH_SEND_TIMEOUT,
  type MachMessage,
} from 'mach-msg';
import { immediateCalls, type ImmediateMachCalls, type MachKernel, type TaskId } from 'hurd-ffi';
import { NetmsgNode, withLimits, type LinkFrame, type NodeAction, type NodeEvent } from 'netmsg-wire';
import { destroyRights, placeOol, RECEIVED, takeOol, unplaceOol } from './task-memory.js';
import { givenBackWhenWritten } from './ool-buffers.js';
import { fitMigAbi, refuseUnfit, type UnfitRefusal } from './mig-abi.js';
import { madeInSend, withReplyMade } from './reply-right.js';
import { performPortAction } from './port-actions.js';
import { drainQueue, isPortDeletedNotice, requeued, takeReceiveRights } from './netmsg-queue.js';
import { microtask } from './microtask.js';
import { RCV_SIZE, SEND_ONCE_SWEEP_MS, SPARE_ONE_SHOTS, hasOol, type NetmsgDriverOptions } from './driver-options.js';
import type { NetmsgServerError } from '../errors.js';

export type { NetmsgDriverOptions } from './driver-options.js';

/** Where the driver writes a link's frames (`written`: once they are, see ool-buffers.ts); the link's owner feeds frames back with `frame`. */
export interface LinkSink {
  send(frame: LinkFrame, written?: () => void): void;
  close(code: string, reason: string): void;
}

/**
 * The driver of a node's one `NetmsgNode` on a hurd-ffi kernel
 * (PROTOCOL.md §7): a `netmsg` task holds the proxies (receive rights in a
 * port set it receives from), its send rights to home ports, and a notify
 * port for its dead-name requests. Every action of the machine is a
 * mach_port_* / mach_msg call on that task; every message taken off the port
 * set and every link frame becomes an event. Events are handled one at a
 * time, in arrival order, and an event's actions are performed in order
 * before the next event is looked at, because the machine assumes the
 * kernel state its earlier actions produced.
 */
export class NetmsgDriver {
  readonly machine: NetmsgNode;
  readonly node: number;
  private readonly links = new Map<number, LinkSink>();
  /**
   * Events waiting to be handled, in arrival order; `done` (when a caller
   * waits) settles once its event is handled, `null` marks an idle() wait.
   * One pump handles them one at a time: a plain queue rather than a
   * promise chain, which cost three promises and a microtask turn per event
   * (six events per null RPC across the two nodes).
   */
  private readonly events: { ev: NodeEvent | null; done: (() => void) | undefined }[] = [];
  private pumping = false;
  private closed = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  /** Settles `loop`: the receive loop has stopped. */
  private loopEnded: () => void = () => undefined;
  private readonly rcvSize: number;
  /** Roots of peers imported so far: peer -> netmsg's proxy name. */
  private readonly roots = new Map<number, number>();
  /** Driver failures (a kernel call that should not fail); tests read them. */
  readonly errors: string[] = [];
  /** Messages refused at delivery because this kernel's ABI cannot hold them (mig-abi.ts `refuseUnfit`). */
  readonly refused: NetmsgServerError[] = [];
  /** Deliveries whose send is still blocked on a full queue. */
  private blocked = 0;
  /** Per port: SEND_ONCE notifications netmsg caused by freeing an application's self no-senders right (to swallow). */
  private readonly selfSoNotices = new Map<number, number>();
  /**
   * Proxies reclaimed (taken out of the port set) during the event being
   * handled. A relay node passes a receive right through in one event: it
   * reclaims its proxy and, sending the right on, makes it a proxy again with
   * no kernel message leaving netmsg's space (the path that would put it back
   * in the set, received()). Left out of the set, netmsg would never take its
   * messages, nor its own NO SENDERS notification: the proxy would never be
   * collected and the new home's NO SENDERS never fire.
   */
  private readonly reclaimed = new Set<number>();
  /** The sweep of kept send-once rights waiting for their dead-name request (`sweepLater`). */
  private sweepTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly sweepMs: number;
  /** The kernel's calls without their promise, if its backend has them (sim): a delivery then completes in its own event. */
  private readonly now: ImmediateMachCalls | undefined;

  private constructor(
    readonly kernel: MachKernel,
    readonly task: TaskId,
    readonly portSet: number,
    readonly notifyPort: number,
    private readonly opts: NetmsgDriverOptions,
  ) {
    this.node = opts.node;
    this.sweepMs = opts.sendOnceSweepMs ?? SEND_ONCE_SWEEP_MS;
    this.machine = new NetmsgNode({
      node: opts.node, abi: kernel.abi, limits: opts.limits ?? withLimits(), spareOneShots: SPARE_ONE_SHOTS, deferSendOnceRequests: this.sweepMs > 0,
    });
    this.rcvSize = opts.rcvSize ?? RCV_SIZE;
    this.now = immediateCalls(kernel);
  }

  /** Create the netmsg task on `kernel` and start receiving. */
  static async create(kernel: MachKernel, opts: NetmsgDriverOptions): Promise<NetmsgDriver> {
    const task = await kernel.taskCreate({ name: 'netmsg' });
    const set = await kernel.portAllocate(task, MACH_PORT_RIGHT_PORT_SET);
    const notify = await kernel.portAllocate(task, MACH_PORT_RIGHT_RECEIVE);
    if (set.kr !== 0 || notify.kr !== 0) throw new Error(`netmsg task setup: kr ${set.kr}/${notify.kr}`);
    await kernel.portMoveMember(task, notify.name, set.name);
    const d = new NetmsgDriver(kernel, task, set.name, notify.name, opts);
    d.loop = new Promise((ended) => {
      d.loopEnded = ended;
    });
    d.receiveNext();
    return d;
  }

  // ---- links ----

  /** An authenticated link to `peer` is up. A second link from the same node id is refused. */
  linkUp(peer: number, window: number, sink: LinkSink): boolean {
    if (this.closed || this.links.has(peer) || peer === this.node) return false;
    this.links.set(peer, sink);
    this.enqueue({ type: 'linkUp', peer, window }, undefined);
    return true;
  }

  frame(peer: number, frame: LinkFrame): void {
    if (this.links.has(peer)) this.enqueue({ type: 'frame', peer, frame }, undefined);
  }

  linkDown(peer: number): void {
    if (!this.links.delete(peer)) return;
    this.roots.delete(peer);
    this.enqueue({ type: 'linkDown', peer }, undefined);
  }

  hasLink(peer: number): boolean {
    return this.links.has(peer);
  }

  peers(): number[] {
    return [...this.links.keys()];
  }

  // ---- roots ----

  /** Make `task`'s receive right `name` this node's root port (identity serial 0). */
  async publishRoot(task: TaskId, name: number): Promise<void> {
    const r = await this.kernel.portExtractRight(task, name, MACH_MSG_TYPE_MAKE_SEND, this.task);
    if (r.kr !== 0) throw new Error(`publishRoot: make-send: kr ${r.kr}`);
    await this.post({ type: 'publishRoot', name: r.name });
  }

  /**
   * A send right, in `task`, to the root port of `peer` (a proxy of netmsg's).
   * The root is pinned, so rights made on it directly do not disturb the
   * machine's make-send accounting (which only decides when a proxy is collected).
   */
  async importRoot(peer: number, task: TaskId): Promise<number> {
    if (!this.links.has(peer)) throw new Error(`no link to node ${peer}`);
    await this.post({ type: 'importRoot', peer });
    const proxy = this.roots.get(peer);
    if (proxy === undefined) throw new Error(`root of node ${peer} not imported`);
    const r = await this.kernel.portExtractRight(this.task, proxy, MACH_MSG_TYPE_MAKE_SEND, task);
    if (r.kr !== 0) throw new Error(`importRoot: make-send: kr ${r.kr}`);
    return r.name;
  }

  /** Resolves once every event posted so far has been handled. */
  idle(): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise((done) => this.events.push({ ev: null, done }));
  }

  /**
   * Names netmsg holds (port set and notify port included), not counting the
   * links' spare reply ports (at most SPARE_ONE_SHOTS a link, destroyed with
   * the link), as the export's count leaves out its spare pool.
   */
  async portCount(): Promise<number> {
    await this.idle();
    return (await this.kernel.portNames(this.task)).names.length - this.machine.spareOneShotCount();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.stop.abort();
    await this.idle();
    await this.loop;
    await this.kernel.taskTerminate(this.task);
  }

  // ---- events ----

  /** Queue `ev`; resolves once it (and every event before it) has been handled. */
  private post(ev: NodeEvent): Promise<void> {
    return new Promise((done) => this.enqueue(ev, done));
  }

  private enqueue(ev: NodeEvent, done: (() => void) | undefined): void {
    this.events.push({ ev, done });
    if (this.pumping) return;
    this.pumping = true;
    // Handled from a microtask, as a promise chain would: never inside the caller's own call.
    microtask(this.pumpNow);
  }

  /** enqueue() from the receive loop's own microtask (no caller of the driver's on the stack): pumped now, not a microtask later. */
  private enqueueFromLoop(ev: NodeEvent, done: (() => void) | undefined): void {
    this.events.push({ ev, done });
    if (this.pumping) return;
    this.pumping = true;
    this.pump();
  }

  /**
   * Handles the queued events in order. Synchronous while each event's
   * actions are (run() returns nothing to wait for: every null RPC's
   * events); from an event that waits for the kernel on, it continues in
   * pumpAfter once that event is done. No promise of its own per turn.
   */
  private readonly pumpNow = (): void => this.pump();

  private pump(): void {
    for (let item = this.events.shift(); item !== undefined; item = this.events.shift()) {
      if (item.ev !== null) {
        let running: Promise<void> | undefined;
        try {
          running = this.run(item.ev);
        } catch (e) {
          this.fail(`event ${item.ev.type}: ${(e as Error).message}`);
        }
        if (running !== undefined) {
          void this.pumpAfter(running, item.ev, item.done);
          return;
        }
      }
      item.done?.();
    }
    this.pumping = false;
    if (this.sweepTimer === undefined && !this.closed && this.machine.sendOnceAwaitingSweep() > 0) this.sweepLater();
  }

  /** pump() once `running` (event `ev`'s kernel calls) is done. */
  private async pumpAfter(running: Promise<void>, ev: NodeEvent, done: (() => void) | undefined): Promise<void> {
    try {
      await running;
    } catch (e) {
      this.fail(`event ${ev.type}: ${(e as Error).message}`);
    }
    done?.();
    this.pump();
  }

  /** One timer at a time, while tokens wait for a sweep; unref'd: it never keeps a process alive. */
  private sweepLater(): void {
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      if (!this.closed) this.enqueue({ type: 'sweepSendOnce' }, undefined);
    }, this.sweepMs);
    this.sweepTimer.unref?.();
  }

  /** A kernel call's code: anything but success is a driver failure. */
  private readonly check = (what: string, kr: number): void => {
    if (kr !== 0) this.fail(`${what}: kr 0x${kr.toString(16)}`);
  };

  private fail(what: string): void {
    this.errors.push(what);
    this.opts.log?.error('netmsg driver', { node: this.node, error: what });
  }

  /**
   * Handles one event and the events its actions add. Synchronous while
   * every action is a frame to send (a credit, a forwarded message) or a
   * delivery the kernel takes at once (no out-of-line data to place: every
   * null RPC's request and reply): no promise, no microtask turn for such
   * events. From the first action that needs to wait for the kernel on,
   * asynchronous (finishRun), in the same order.
   */
  private run(first: NodeEvent): Promise<void> | undefined {
    if (this.closed && first.type !== 'linkDown') return undefined;
    const work: NodeEvent[] = [first];
    while (work.length > 0) {
      const actions = this.machine.handle(work.shift()!);
      for (let i = 0; i < actions.length; i++) {
        const a = actions[i]!;
        let waiting: Promise<void> | undefined;
        try {
          if (a.type === 'sendFrame') this.links.get(a.peer)?.send(a.frame, givenBackWhenWritten(a.frame));
          else if (a.type === 'deliver') waiting = this.deliver(a.msg, a.ool, a.token);
          else if (a.type === 'insertSendOnce' && madeInSend(a, actions[i + 1])) {
            // The request's reply right, made for this delivery only: made by the send itself.
            const d = actions[++i] as Extract<NodeAction, { type: 'deliver' }>;
            waiting = this.deliver(d.msg, d.ool, d.token, a);
          } else return this.finishRun(actions, i, work);
        } catch (e) {
          this.fail(`${a.type}: ${(e as Error).message}`);
        }
        if (waiting !== undefined) return this.finishAfter(waiting, actions[i]!.type, actions, i + 1, work);
      }
      if (this.reclaimed.size > 0) return this.finishRun([], 0, work);
    }
    return undefined;
  }

  /** run() after a delivery that waits (out-of-line data to place, a refusal): then the actions from `from` on. */
  private async finishAfter(waiting: Promise<void>, what: string, actions: NodeAction[], from: number, work: NodeEvent[]): Promise<void> {
    try {
      await waiting;
    } catch (e) {
      this.fail(`${what}: ${(e as Error).message}`);
    }
    await this.finishRun(actions, from, work);
  }

  /** The rest of run(): actions `from` on, then the remaining work, awaiting each kernel call. */
  private async finishRun(actions: NodeAction[], from: number, work: NodeEvent[]): Promise<void> {
    await this.performFrom(actions, from, work);
    while (work.length > 0) await this.performFrom(this.machine.handle(work.shift()!), 0, work);
  }

  /** Actions `from` on, in order, then any reclaimed ports rejoined. */
  private async performFrom(actions: NodeAction[], from: number, work: NodeEvent[]): Promise<void> {
    for (let i = from; i < actions.length; i++) {
      const a = actions[i]!;
      try {
        // A frame to send, the commonest action, needs no kernel call: no await (a microtask turn) for it.
        if (a.type === 'sendFrame') this.links.get(a.peer)?.send(a.frame, givenBackWhenWritten(a.frame));
        else if (a.type === 'insertSendOnce' && madeInSend(a, actions[i + 1])) {
          // The request's reply right, made for this delivery only: made by the send itself.
          const d = actions[++i] as Extract<NodeAction, { type: 'deliver' }>;
          const p = this.deliver(d.msg, d.ool, d.token, a);
          if (p) await p;
        } else if (a.type === 'deliver') {
          // No async layer of perform()'s for a delivery, and none at all when there is nothing to wait for.
          const p = this.deliver(a.msg, a.ool, a.token);
          if (p) await p;
        } else await this.perform(a, work);
      } catch (e) {
        this.fail(`${a.type}: ${(e as Error).message}`);
      }
    }
    if (this.reclaimed.size > 0) await this.rejoinReclaimed();
  }

  private async perform(a: NodeAction, work: NodeEvent[]): Promise<void> {
    const k = this.kernel;
    const t = this.task;
    const check = this.check;
    switch (a.type) {
      case 'sendFrame':
        this.links.get(a.peer)?.send(a.frame, givenBackWhenWritten(a.frame));
        return;
      case 'closeLink': {
        const sink = this.links.get(a.peer);
        this.opts.log?.warn('link closed by protocol', { node: this.node, peer: a.peer, code: a.code, reason: a.reason });
        // The machine has already forgotten the link (it ran its link-down rules).
        this.links.delete(a.peer);
        this.roots.delete(a.peer);
        sink?.close(a.code, a.reason);
        return;
      }
      case 'allocatePort':
      case 'makeSend':
      case 'addSendRef':
      case 'deallocate':
      case 'requestNoSenders':
      case 'requestAppNoSenders':
      case 'requestDeadName':
      case 'setPortStatus':
        return performPortAction({ kernel: k, task: t, notifyPort: this.notifyPort, portSet: this.portSet, check }, a, work);
      case 'destroyPort':
        this.reclaimed.delete(a.name);
        check(`destroy ${a.name}`, await k.portDestroy(t, a.name));
        return;
      case 'insertSendOnce':
        await this.insertSendOnce(a);
        return;
      case 'pausePort':
        this.reclaimed.delete(a.name);
        // Out of the port set: the receive loop stops taking its messages; they wait in its queue.
        await k.portMoveMember(t, a.name, 0);
        return;
      case 'resumePort': {
        // Only a port netmsg still forwards from: a proxy just reclaimed is home now (its
        // receive right is about to be delivered), and its queue is the application's.
        const kind = this.machine.portKind(a.name);
        if (kind === 'proxy' || kind === 'oneShot') await k.portMoveMember(t, a.name, this.portSet);
        return;
      }
      case 'reclaimPort':
        await this.reclaim(a.name, a.first, a.nsSelf, a.sendOnceOwn);
        this.reclaimed.add(a.name);
        return;
      case 'deliver': {
        const p = this.deliver(a.msg, a.ool, a.token);
        if (p) await p;
        return;
      }
      case 'destroyMessage':
        await destroyRights(k, t, a.msg, a.ool);
        return;
      case 'rootImported':
        this.roots.set(a.peer, a.name);
        return;
    }
  }

  /**
   * netmsg's send. The kernel copies the message in at once (its rights
   * leave netmsg's space); if the queue is full the send blocks holding its
   * copied-in message, as a Mach sender does, and `delivered` is reported
   * when it is queued. A dead destination: the message is destroyed here
   * (mach_msg_destroy) and still reported.
   */
  private deliver(
    msg: MachMessage,
    ool: Uint8Array[],
    token: Extract<NodeAction, { type: 'deliver' }>['token'],
    reply?: { name: number; port: number },
  ): Promise<void> | undefined {
    const k = this.kernel;
    const unfit = refuseUnfit(msg, k.abi);
    if (unfit) return this.deliverUnfit(msg, ool, token, unfit, reply);
    // Data items keep their sender's widths on the wire: fit the Hurd interfaces' ABI-dependent MIG types to this kernel's.
    const fitted = fitMigAbi(msg, k.abi);
    if (hasOol(fitted)) return placeOol(k, this.task, fitted, ool).then((placed) => this.send(msg, ool, token, placed, reply));
    // No out-of-line item (every null RPC): nothing to place, nothing to wait for (no promise, no microtask turn).
    this.send(msg, ool, token, fitted, reply);
    return undefined;
  }

  /** The send-once right `name` made from netmsg's receive right `port` (the action, or a reply right madeInSend left to a send that did not make it). */
  private async insertSendOnce(reply: { name: number; port: number }): Promise<void> {
    this.check(`insert send-once ${reply.name}`, await this.kernel.portInsertRight(this.task, reply.name, reply.port, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  }

  private async deliverUnfit(
    msg: MachMessage,
    ool: Uint8Array[],
    token: Extract<NodeAction, { type: 'deliver' }>['token'],
    unfit: UnfitRefusal,
    reply: { name: number; port: number } | undefined,
  ): Promise<void> {
    if (reply) await this.insertSendOnce(reply);
    await this.refuse(msg, ool, unfit);
    if (token) void this.post({ type: 'delivered', token });
  }

  /** deliver()'s send of `placed` (out-of-line data placed): the kernel copies it in at once; completion is handled when it comes. */
  private send(
    msg: MachMessage,
    ool: Uint8Array[],
    token: Extract<NodeAction, { type: 'deliver' }>['token'],
    placed: MachMessage,
    reply: { name: number; port: number } | undefined,
  ): void {
    const k = this.kernel;
    // `reply` (madeInSend): the send makes the reply right with MAKE_SEND_ONCE from the one-shot port's receive right.
    const wire = reply ? withReplyMade(placed, reply.port) : placed;
    const args = { options: MACH_SEND_MSG, send: encodeMessage(wire, k.abi), donate: true }; // The encoding is ours alone: kept as the kernel's copy.
    const sent = this.now ? this.now.msgNow(this.task, args) : k.msg(this.task, args);
    if (!(sent instanceof Promise) && sent.kr === 0) {
      // Queued at once (the sim kernel): the count is the queue's at the send's completion (§7);
      // `delivered` goes behind the events already queued, as below, with no promise turn.
      if (token) this.enqueue(this.deliveredEvent(token, this.now!.portGetReceiveStatusNow(this.task, msg.header.remotePort)), undefined);
      return;
    }
    const failed = async (kr: number): Promise<void> => {
      if (kr !== MACH_SEND_INVALID_DEST) this.fail(`deliver ${msg.header.id}: kr 0x${kr.toString(16)}`);
      // Refused before anything was copied in: the reply right is made now and destroyed with the
      // rest (its SEND_ONCE notification answers the caller). An interrupted or timed-out send had
      // copied it in: the kernel has destroyed or returned the message's rights itself.
      if (reply && kr !== MACH_SEND_INTERRUPTED && kr !== MACH_SEND_TIMED_OUT) await this.insertSendOnce(reply);
      await unplaceOol(k, this.task, placed);
      await destroyRights(k, this.task, msg, ool);
      if (token) this.enqueue({ type: 'delivered', token }, undefined);
    };
    // Do not wait for a blocked send: the next event may be what frees its queue.
    // `delivered` is queued behind the events before it, as post() would, without
    // a promise waiting for it to be handled (nothing here needs that). One
    // handler per step, not a chain: the null RPC's deliveries each cost two
    // promises here (the send's and the status query's).
    this.blocked++;
    const broken = (e: unknown): void => {
      this.blocked--;
      this.fail(`deliver: ${(e as Error).message}`);
    };
    void Promise.resolve(sent).then((r) => {
      try {
        if (r.kr !== 0) void failed(r.kr).then(() => void this.blocked--, broken);
        else if (token) void k.portGetReceiveStatus(this.task, msg.header.remotePort).then((st) => this.queuedAs(token, st), broken);
        else this.blocked--;
      } catch (e) {
        broken(e);
      }
    }, broken);
  }

  /** A delivery with `token` is queued: `delivered`, with the destination's queue length once it holds the message. */
  private queuedAs(token: NonNullable<Extract<NodeAction, { type: 'deliver' }>['token']>, st: { kr: number; status: { msgcount: number } | null }): void {
    this.blocked--;
    this.enqueue(this.deliveredEvent(token, st), undefined);
  }

  private deliveredEvent(token: NonNullable<Extract<NodeAction, { type: 'deliver' }>['token']>, st: { kr: number; status: { msgcount: number } | null }): NodeEvent {
    // Only meaningful while netmsg holds the receive right (an old home draining, §4.5).
    return st.kr === 0 && st.status ? { type: 'delivered', token, queued: st.status.msgcount } : { type: 'delivered', token };
  }

  /**
   * A memory object offset this (i386) kernel's tasks cannot hold: not delivered (the receiver's MIG
   * check would drop it and answer nobody); recorded, the sender answered if it can be (a data_error
   * to the requesting kernel, sent with a zero timeout: never blocking netmsg), the message's rights freed.
   */
  private async refuse(msg: MachMessage, ool: Uint8Array[], r: UnfitRefusal): Promise<void> {
    const k = this.kernel;
    this.refused.push(r.error);
    this.opts.log?.warn('netmsg refused a message', { node: this.node, error: r.error.message });
    if (r.answer) {
      const s = await k.msg(this.task, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: 0, send: encodeMessage(r.answer, k.abi) });
      if (s.kr !== 0 && s.kr !== MACH_SEND_INVALID_DEST) this.fail(`refusal answer: kr 0x${s.kr.toString(16)}`);
    }
    await destroyRights(k, this.task, msg, ool);
  }

  /** Deliveries waiting for queue room (tests, leak checks). */
  get blockedDeliveries(): number {
    return this.blocked;
  }

  /**
   * reclaimPort (§4.5): the proxy becomes the real port. Cancel netmsg's
   * no-senders request (its send-once right, destroyed, yields one SEND_ONCE
   * notification on the port itself: dropped), take the queue off, then put
   * back `first` and the drained messages, in order.
   */
  private async reclaim(name: number, first: { msg: MachMessage; ool: Uint8Array[] }[], nsSelf: boolean, sendOnceOwn: number): Promise<void> {
    const k = this.kernel;
    const t = this.task;
    await k.portMoveMember(t, name, 0);
    const prev = await k.portRequestNotification(t, name, MACH_NOTIFY_NO_SENDERS, 0, 0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    // netmsg's own notifications only (§4.5): the one cancelling its request makes, `sendOnceOwn` more, and its no-senders one when `nsSelf`.
    let dropSendOnce = sendOnceOwn;
    if (prev.kr === 0 && prev.previous !== 0) {
      await k.portDeallocate(t, prev.previous);
      dropSendOnce++;
    }
    await k.portSetQlimit(t, name, 16);
    const drained = await drainQueue(k, t, name, this.rcvSize, dropSendOnce, nsSelf);
    for (const f of first) await this.deliver(f.msg, f.ool, undefined);
    for (const d of drained) {
      const again = requeued(d.msg, name);
      void k.msg(t, { options: MACH_SEND_MSG, send: encodeMessage(again, k.abi) }).then((r) => {
        if (r.kr !== 0) this.fail(`reclaim requeue: kr 0x${r.kr.toString(16)}`);
      });
    }
  }

  /** Back into the port set: the ports reclaimed by the last event that are netmsg's proxies again (relayed on). */
  private async rejoinReclaimed(): Promise<void> {
    for (const name of this.reclaimed) {
      const kind = this.machine.portKind(name);
      if (kind === 'proxy' || kind === 'oneShot') await this.kernel.portMoveMember(this.task, name, this.portSet);
    }
    this.reclaimed.clear();
  }

  // ---- the receive loop ----

  /**
   * The receive loop, as callbacks rather than an async loop (whose awaits
   * and per-message post() promise cost three promises a message): one
   * receive on the port set at a time; the next is made once the message
   * taken is handled, a microtask later, as the awaiting loop resumed, so
   * nothing is taken off the port set ahead of the events queued before it
   * (a pausePort among them must keep its port's messages where they are).
   */
  private readonly receiveNext = (): void => {
    if (this.closed) {
      this.loopEnded();
      return;
    }
    const args = { options: MACH_RCV_MSG, rcvName: this.portSet, rcvSize: this.rcvSize, signal: this.stop.signal };
    // A message already queued is taken at once; otherwise handled when the blocked receive ends.
    const r = this.now ? this.now.msgNow(this.task, args) : this.kernel.msg(this.task, args);
    if (!(r instanceof Promise)) this.onReceived(r);
    else r.then(this.onReceived, this.receiveFailed);
  };

  private readonly receiveFailed = (e: unknown): void => {
    this.fail(`receive: ${(e as Error).message}`);
    this.loopEnded();
  };

  /** The next receive once the message just taken has been handled (the event's `done`). */
  private readonly receiveLater = (): void => microtask(this.receiveNext);

  private readonly onReceived = (r: Awaited<ReturnType<MachKernel['msg']>>): void => {
    const k = this.kernel;
    if (this.closed) {
      if (r.kr === 0 && r.message) {
        const m = decodeMessage(r.message, k.abi);
        takeOol(k, this.task, m)
          .then((ool) => destroyRights(k, this.task, m, ool))
          .catch((e: unknown) => this.fail(`received message: ${(e as Error).message}`))
          .finally(this.loopEnded);
      } else this.loopEnded();
      return;
    }
    if (r.kr !== 0 || !r.message) {
      this.fail(`receive: kr 0x${r.kr.toString(16)}`);
      if (r.kr === MACH_RCV_INVALID_NAME || r.kr === MACH_RCV_INTERRUPTED) this.loopEnded();
      else this.receiveLater();
      return;
    }
    // Once per RPC answered late (its dead-name request used up); re-armed a microtask later, not recursing through a run of these.
    if (isPortDeletedNotice(k.abi, this.notifyPort, r.message)) {
      this.receiveLater();
      return;
    }
    let m: MachMessage;
    let plain: boolean;
    try {
      m = decodeMessage(r.message, k.abi, RECEIVED); // The received buffer is ours alone: its data items are views of it.
      plain = this.isPlainPortMessage(m);
    } catch (e) {
      this.fail(`received message: ${(e as Error).message}`);
      this.receiveLater();
      return;
    }
    // A plain message to a proxy (every request and reply): straight to the machine.
    if (plain) {
      this.enqueueFromLoop({ type: 'portMessage', port: m.header.localPort, msg: m, ool: [] }, this.receiveLater);
      return;
    }
    this.received(m).then(this.receiveNext, (e: unknown) => {
      this.fail(`received message: ${(e as Error).message}`);
      this.receiveNext();
    });
  };

  /**
   * received()'s commonest case without its async layers: a message with no
   * out-of-line item and no port item, on a port netmsg forwards from that is
   * not its notify port, none of whose messages netmsg swallows, and not
   * netmsg's own no-senders notification: queued as `portMessage` as it
   * is; any other message goes through received().
   */
  private isPlainPortMessage(msg: MachMessage): boolean {
    const h = msg.header;
    const port = h.localPort;
    if (h.bits.complex || port === this.notifyPort || this.selfSoNotices.has(port)) return false;
    for (const it of msg.items) if (it.kind !== 'data') return false;
    return !this.isOwnNoSendersNotice(h);
  }

  /** Through a send-once right to a proxy past any drain, or to a dedicated `notify` port: netmsg's own no-senders notice. */
  private isOwnNoSendersNotice(h: MachMessage['header']): boolean {
    const kind = h.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE ? this.machine.portKind(h.localPort) : undefined;
    return (kind === 'proxy' || kind === 'notify') && this.machine.ownsNotifications(h.localPort);
  }

  /** Classify one message taken off the port set (§7) and feed the machine; waits until it is handled. */
  private async received(msg: MachMessage): Promise<void> {
    const k = this.kernel;
    const h = msg.header;
    const port = h.localPort;
    const notices = this.selfSoNotices.get(port);
    if (notices && h.id === MACH_NOTIFY_SEND_ONCE && h.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE && msg.items.length === 0) {
      // The SEND_ONCE notification of a self no-senders right netmsg freed when the receive right left.
      if (notices === 1) this.selfSoNotices.delete(port);
      else this.selfSoNotices.set(port, notices - 1);
      return;
    }
    if (port === this.notifyPort) {
      const n = parseNotification(msg);
      if (n?.kind === 'dead-name') {
        await this.post({ type: 'deadName', name: n.name });
        // The notification held one user reference of the dead name (ipc_right_dnrequest).
        await this.idle();
        await k.portDeallocate(this.task, n.name);
      }
      // PORT_DELETED / SEND_ONCE here are by-products of netmsg's own bookkeeping.
      return;
    }
    if (this.isOwnNoSendersNotice(h)) {
      const n = parseNotification(msg);
      if (n?.kind === 'no-senders') await this.post({ type: 'noSenders', port, mscount: n.mscount });
      return;
    }
    const ool = hasOol(msg) ? await takeOol(k, this.task, msg) : [];
    const status = await takeReceiveRights(k, this.task, msg, ool, this.portSet, this.selfSoNotices);
    await this.post({ type: 'portMessage', port, msg, ool, receiveStatus: status });
  }
}
