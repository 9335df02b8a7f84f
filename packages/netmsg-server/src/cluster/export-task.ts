import {
  decodeMessage, encodeMessage, getBuiltinInterface, parseNotification,
  MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_NOTIFY_NO_SENDERS, MACH_PORT_RIGHT_PORT_SET,
  MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG, MACH_SEND_TIMEOUT, type MachMessage,
} from 'mach-msg';
import { immediateCalls, type ImmediateMachCalls, type MachKernel, type TaskId } from 'hurd-ffi';
import { FsExport, type FsExportOptions } from '../fs-export.js';
import type { Prefetched } from '../fs/io-ops.js';
import type { Logger } from '../log.js';
import { destroyRights, placeOol, takeOol, unplaceOol } from './task-memory.js';

/** Whether a message has an out-of-line item (takeOol / placeOol have nothing to do without one). */
const hasOol = (msg: MachMessage): boolean => msg.items.some((it) => it.kind === 'ool');
/** Whether a message's body may hold rights for destroyRights (a port item, or out-of-line port names). */
const hasBodyRights = (msg: MachMessage): boolean => msg.items.some((it) => it.kind !== 'data');

/** A routine's message id (the same in both ABIs). */
function routineId(iface: 'io' | 'interrupt', name: string): number {
  const r = [...getBuiltinInterface(iface, 'x86_64').byId.values()].find((x) => x.name === name);
  if (!r) throw new Error(`${iface} has no ${name}`);
  return r.id;
}

/** Receive rights kept ready for FsExport's `takeName` (it names ports synchronously). */
const POOL = 4;
/** Mach's largest queue: requests from many links may wait on one port. */
const QLIMIT = 16;
const IO_READ = routineId('io', 'io_read');
const INTERRUPT_OPERATION = routineId('interrupt', 'interrupt_operation');
/**
 * Requests served at once (a libports server's thread-pool bound): further
 * requests wait in their ports' queues, so senders block as Mach's do.
 */
export const MAX_IN_FLIGHT = 16;

/**
 * The filesystem export as a task on the node's kernel, a libports-style
 * server loop: the task holds the receive right of the control port (the
 * node's root, published to netmsg) and of every port FsExport hands out,
 * all in one port set; it receives requests with mach_msg, answers them with
 * FsExport (a pure request -> reply function), and sends the reply to the
 * request's reply right. Each port it hands out carries a no-senders request
 * to itself; when the last send right anywhere in the cluster is gone
 * (netmsg makes that exact, PROTOCOL.md §4.3) the notification arrives and
 * the port is destroyed. So every right a request carries is a real right in
 * this task, and every port the export made dies when nobody can use it.
 */
export class ExportTask {
  readonly fsx: FsExport;
  private readonly pool: number[] = [];
  private taken: number[] = [];
  private closed = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private refilling: Promise<void> | undefined;
  /** Requests taken off the port set and not finished. */
  private inFlight = 0;
  private slotFree: (() => void) | undefined;
  private readonly running = new Set<Promise<void>>();
  /** The last request of each ordering key (see `orderKey`): the next one runs after it. */
  private readonly tails = new Map<unknown, Promise<void>>();
  /** io_reads waiting on a port (an empty FIFO), which interrupt_operation on that port ends. */
  private readonly waits = new Map<number, Set<AbortController>>();
  /** Requests answered and ports freed by no-senders (logs, tests). */
  requests = 0;
  freedByNoSenders = 0;
  readonly errors: string[] = [];
  /** The kernel's calls without their promise, when its backend has them (`answerAtOnce`). */
  private readonly now: ImmediateMachCalls | undefined;

  private constructor(
    readonly kernel: MachKernel,
    readonly task: TaskId,
    readonly portSet: number,
    readonly controlName: number,
    opts: Omit<FsExportOptions, 'controlName' | 'takeName'>,
    private readonly log: Logger | undefined,
  ) {
    this.now = immediateCalls(kernel);
    this.fsx = new FsExport({
      // Requests arrive laid out for this task's ABI (netmsg fits MIG types to it, mig-abi.ts), so replies go out in it too.
      abi: kernel.abi,
      ...opts,
      controlName,
      takeName: () => {
        const n = this.pool.pop();
        if (n === undefined) throw new Error('export port pool empty');
        this.taken.push(n);
        return n;
      },
    });
  }

  static async create(kernel: MachKernel, opts: Omit<FsExportOptions, 'controlName' | 'takeName'>): Promise<ExportTask> {
    const task = await kernel.taskCreate({ name: 'fs-export' });
    const set = await kernel.portAllocate(task, MACH_PORT_RIGHT_PORT_SET);
    const control = await kernel.portAllocate(task, MACH_PORT_RIGHT_RECEIVE);
    if (set.kr !== 0 || control.kr !== 0) throw new Error(`export task setup: kr ${set.kr}/${control.kr}`);
    await kernel.portSetQlimit(task, control.name, QLIMIT);
    await kernel.portMoveMember(task, control.name, set.name);
    const x = new ExportTask(kernel, task, set.name, control.name, opts, opts.log);
    await x.refill();
    x.loop = x.serve();
    return x;
  }

  /** Ports the export holds, the control port included (its spare pool and port set are not counted). */
  async portCount(): Promise<number> {
    const r = await this.kernel.portNames(this.task);
    return r.names.length - this.pool.length - 1;
  }

  /** Requests being served now (tests). */
  get busy(): number {
    return this.inFlight;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    for (const set of this.waits.values()) for (const c of set) c.abort();
    this.slotFree?.();
    await this.loop;
    await Promise.all([...this.running]);
    await this.kernel.taskTerminate(this.task);
  }

  /** One refill at a time, shared by the requests that need it. */
  private refillShared(): Promise<void> {
    this.refilling ??= this.refill().finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  private async refill(): Promise<void> {
    while (this.pool.length < POOL) {
      const r = await this.kernel.portAllocate(this.task, MACH_PORT_RIGHT_RECEIVE);
      if (r.kr !== 0) throw new Error(`port_allocate: kr ${r.kr}`);
      this.pool.push(r.name);
    }
  }

  private fail(what: string): void {
    this.errors.push(what);
    this.log?.error('fs-export task', { error: what });
  }

  /**
   * The receive loop of a multi-threaded MIG server: take a request, start
   * serving it, take the next, with at most MAX_IN_FLIGHT being served.
   * Replies may leave out of order, as from libports' threads; what must
   * stay in order does (`orderKey`).
   */
  private async serve(): Promise<void> {
    const k = this.kernel;
    while (!this.closed) {
      if (this.inFlight >= MAX_IN_FLIGHT) {
        await new Promise<void>((r) => (this.slotFree = r));
        continue;
      }
      const args = { options: MACH_RCV_MSG, rcvName: this.portSet, rcvSize: 4 << 20, signal: this.stop.signal };
      const got = this.now ? this.now.msgNow(this.task, args) : k.msg(this.task, args);
      // A request already queued is taken without waiting for a promise.
      const r = got instanceof Promise ? await got : got;
      if (this.closed) return;
      if (r.kr !== 0 || !r.message) {
        this.fail(`receive: kr 0x${r.kr.toString(16)}`);
        continue;
      }
      let msg: MachMessage;
      try {
        msg = decodeMessage(r.message, k.abi);
      } catch (e) {
        this.fail(`request: ${(e as Error).message}`);
        continue;
      }
      this.dispatch(msg);
    }
  }

  /**
   * What a request must wait for. Requests on ports of one open (io_duplicate
   * shares it: the file pointer and the open modes) are served in the order
   * they were received, as libdiskfs's node lock serialises them, so reads
   * at the file pointer return consecutive pieces; a port's no-senders
   * notification comes after the requests received before it on that port.
   * interrupt_operation waits for nothing: it must reach a request that is
   * still waiting (glibc sends it to the interrupted call's port).
   */
  private orderKey(msg: MachMessage): unknown {
    if (msg.header.id === INTERRUPT_OPERATION) return undefined;
    const port = msg.header.localPort;
    const o = this.fsx.port(port);
    return o?.kind === 'node' ? o.po : port;
  }

  private dispatch(msg: MachMessage): void {
    const key = this.orderKey(msg);
    const prev = key === undefined ? undefined : this.tails.get(key);
    if (prev === undefined && this.answerAtOnce(msg, key)) return;
    this.inFlight++;
    // One async call per request (a then/catch/finally chain cost three promises).
    const slot: { run?: Promise<void> } = {};
    const run = this.serveOne(msg, key, prev, slot);
    slot.run = run;
    if (key !== undefined) this.tails.set(key, run);
    this.running.add(run);
  }

  /** Serve `msg` after `prev` (the last request of its ordering key), or only wait for `prev` when `served`; never rejects. */
  private async serveOne(msg: MachMessage, key: unknown, prev: Promise<void> | undefined, slot: { run?: Promise<void> }, served = false): Promise<void> {
    try {
      if (prev) await prev;
      if (!served) await this.handle(msg);
    } catch (e) {
      this.fail(`request: ${(e as Error).message}`);
    } finally {
      // handle() always awaits first, so dispatch() has filled `slot` by now.
      if (key !== undefined && this.tails.get(key) === slot.run) this.tails.delete(key);
      this.running.delete(slot.run!);
      this.inFlight--;
      const free = this.slotFree;
      this.slotFree = undefined;
      free?.();
    }
  }

  /**
   * handle() for a request that waits for nothing, in the receive loop's own
   * turn: nothing before it on its ordering key, no out-of-line data to take,
   * not an io_read (its bytes are read off the loop), not a notification or
   * interrupt_operation, and a backend with immediate calls. If its answer
   * needs nothing from the kernel but the reply's send (no port made, no
   * right to free, no out-of-line data to place: a null RPC, io_stat...) it
   * is sent here, with no promise; otherwise the rest is finished as handle()
   * would, in order behind it. false: not such a request, handle() serves it.
   * FsExport's answer is computed exactly as handle() computes it: same
   * request view, same pool check, same reply.
   */
  private answerAtOnce(msg: MachMessage, key: unknown): boolean {
    const now = this.now;
    const h = msg.header;
    if (now === undefined || h.id === IO_READ || h.id === INTERRUPT_OPERATION || h.bits.complex || hasOol(msg) || this.pool.length < POOL) return false;
    if (h.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE && h.id === MACH_NOTIFY_NO_SENDERS) return false;
    let out: ReturnType<FsExport['handle']>;
    try {
      const request: MachMessage = { header: { ...h, bits: { ...h.bits, remote: h.bits.local, local: h.bits.remote }, remotePort: h.localPort, localPort: h.remotePort }, items: msg.items };
      this.taken = [];
      out = this.fsx.handle(request, [], undefined);
      this.requests++;
    } catch (e) {
      this.fail(`request: ${(e as Error).message}`);
      return true;
    }
    if (out === null || this.taken.length > 0 || hasOol(out.reply)) {
      // Kernel calls to wait for: finished as handle() finishes, as a request in flight.
      this.track(msg, key, this.finish(msg, out, this.taken, []));
      return true;
    }
    let s: ReturnType<ImmediateMachCalls['msgNow']>;
    try {
      // The encoding is ours alone (donate): the kernel keeps it as its copy instead of copying it again.
      s = now.msgNow(this.task, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: 0, send: encodeMessage(out.reply, this.kernel.abi), donate: true });
    } catch (e) {
      // As a throw in handle() (serveOne reports it): never out of the receive loop.
      this.fail(`request: ${(e as Error).message}`);
      return true;
    }
    if (s instanceof Promise || s.kr !== 0) this.track(msg, key, Promise.resolve(s).then((r) => this.replyFailed(r.kr, out.reply, out.reply, [])));
    return true;
  }

  /** A request finished outside serveOne (answerAtOnce): in flight, and first on its ordering key, until `run` ends. */
  private track(msg: MachMessage, key: unknown, work: Promise<void>): void {
    this.inFlight++;
    const slot: { run?: Promise<void> } = {};
    const run = this.serveOne(msg, key, work, slot, true);
    slot.run = run;
    if (key !== undefined) this.tails.set(key, run);
    this.running.add(run);
  }

  /** The host bytes of an io_read, read off the event loop; interrupt_operation on its port ends a wait. */
  private async prefetch(port: number, request: MachMessage): Promise<Prefetched | undefined> {
    const c = new AbortController();
    let set = this.waits.get(port);
    if (!set) this.waits.set(port, (set = new Set()));
    set.add(c);
    try {
      return await this.fsx.prefetch(request, c.signal);
    } finally {
      set.delete(c);
      if (set.size === 0) this.waits.delete(port);
    }
  }

  private async handle(msg: MachMessage): Promise<void> {
    const k = this.kernel;
    const h = msg.header;
    const port = h.localPort;
    if (h.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE && h.id === MACH_NOTIFY_NO_SENDERS && port !== this.controlName) {
      await this.noSenders(port, parseNotification(msg));
      return;
    }
    if (h.id === INTERRUPT_OPERATION) for (const c of this.waits.get(port) ?? []) c.abort();
    // No out-of-line item (most requests): nothing to take, no kernel call to wait for.
    const ool = hasOol(msg) ? await takeOol(k, this.task, msg) : [];
    // FsExport reads send orientation: remotePort = its port, localPort = the reply right.
    const request: MachMessage = { header: { ...h, bits: { ...h.bits, remote: h.bits.local, local: h.bits.remote }, remotePort: port, localPort: h.remotePort }, items: msg.items };
    const pre = h.id === IO_READ ? await this.prefetch(port, request) : undefined;
    // From the pool check to the end of fsx.handle nothing awaits, so no other request takes names in between.
    while (this.pool.length < POOL) await this.refillShared();
    this.taken = [];
    const out = this.fsx.handle(request, ool, pre);
    this.requests++;
    await this.finish(msg, out, this.taken, ool);
  }

  /** The rest of handle() once FsExport answered: the request's rights freed, the new ports armed, the reply sent. */
  private async finish(msg: MachMessage, out: ReturnType<FsExport['handle']>, taken: number[], ool: Uint8Array[]): Promise<void> {
    const k = this.kernel;
    const h = msg.header;
    // FsExport keeps no right a request carries (fsys_getroot's dotdot, ...): MIG's server frees them on success.
    if (hasBodyRights(msg)) await destroyRights(k, this.task, { header: { ...h, bits: { ...h.bits, remote: 0, local: 0 } }, items: msg.items }, ool);
    if (!out) {
      await destroyRights(k, this.task, { header: { ...h, bits: { ...h.bits, local: 0 } }, items: [] }, []);
      return;
    }
    for (const n of taken) {
      // Armed before the reply makes the first send right (mscount 0 < sync 1: not fired yet).
      await k.portSetQlimit(this.task, n, QLIMIT);
      await k.portRequestNotification(this.task, n, MACH_NOTIFY_NO_SENDERS, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      await k.portMoveMember(this.task, n, this.portSet);
    }
    const placed = hasOol(out.reply) ? await placeOol(k, this.task, out.reply, out.ool) : out.reply;
    // MIG servers never block on a reply (MACH_SEND_TIMEOUT 0); a send-once reply is never refused for room anyway.
    const s = await k.msg(this.task, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: 0, send: encodeMessage(placed, k.abi), donate: true });
    if (s.kr !== 0) await this.replyFailed(s.kr, out.reply, placed, taken);
  }

  /** The reply's send failed (the caller is gone): undo what the reply would have given. */
  private async replyFailed(kr: number, reply: MachMessage, placed: MachMessage, taken: number[]): Promise<void> {
    if (kr === 0) return;
    const k = this.kernel;
    await unplaceOol(k, this.task, placed);
    for (const n of taken) {
      this.fsx.release(n);
      await k.portDestroy(this.task, n);
    }
    await destroyRights(k, this.task, { header: { ...reply.header, bits: { ...reply.header.bits, local: 0 } }, items: [] }, []);
  }

  /** The last send right to a port the export handed out is gone: free it (unless a newer right exists). */
  private async noSenders(port: number, n: ReturnType<typeof parseNotification>): Promise<void> {
    const k = this.kernel;
    const st = await k.portGetReceiveStatus(this.task, port);
    if (st.kr !== 0 || !st.status) return;
    const mscount = n?.kind === 'no-senders' ? n.mscount : 0;
    if (st.status.srights || st.status.mscount !== mscount) {
      // A right was made after the notification was generated: re-arm.
      await k.portRequestNotification(this.task, port, MACH_NOTIFY_NO_SENDERS, st.status.mscount, port, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      return;
    }
    this.fsx.release(port);
    await k.portDestroy(this.task, port);
    this.freedByNoSenders++;
  }
}
