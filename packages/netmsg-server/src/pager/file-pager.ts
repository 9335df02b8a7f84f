import type { Clock, MachKernel, TaskId, TimerHandle } from 'hurd-ffi';
import { PAGE_SIZE, realClock } from 'hurd-ffi';
import {
  decodeMessage, encodeMessage, KERN_PROTECTION_FAILURE, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_PORT_DELETED, MACH_NOTIFY_SEND_ONCE, MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND,
  MACH_RCV_MSG, MACH_SEND_MSG, type MachMessage,
} from 'mach-msg';
import {
  actionToMessage, isKernelAction, MSGID, PagerEngine, messageToEvent, type KernelAction, type KernelId,
  type PagerAction, type PagerConfig, type PagerEvent, VM_PROT_NO_CHANGE,
} from 'pager-core';
import { NetmsgServerError } from '../errors.js';
import type { Logger } from '../log.js';
import { FileStore } from './file-store.js';

/**
 * A file pager: pager-core's sans-IO `PagerEngine` driven on a hurd-ffi
 * kernel, for one host file. The pager is a task on the node's kernel that
 * holds the memory object's receive right (and a reply port for
 * lock_completed), receives memory_object_* messages with mach_msg on a port
 * set, turns them into engine events (`messageToEvent`), and performs the
 * engine's actions: kernel-bound ones are sent on the kernel's control port
 * (`actionToMessage`), store-bound ones read or write the file by page.
 *
 * It serves ports on ONE kernel. A kernel on another node maps the object
 * through a netmsg proxy; its memory_object_init reaches this task with a
 * control port that is itself a proxy, so several kernels are just several
 * control ports to the engine, which keeps them coherent (Mach 3 Kernel
 * Principles, ch. 6: one memory object, many kernels, the manager decides).
 *
 * KernelId = the pager task's name for the control port: every message
 * from one kernel carries the same port, and a task has one name per port.
 *
 * The pager ends when the memory object has no senders (MACH_NOTIFY_NO_SENDERS:
 * every kernel terminated it and no one holds a right to map it again) and
 * the engine knows no kernel; then its task is terminated and the file closed.
 */

export interface FilePagerOptions {
  kernel: MachKernel;
  /** An open descriptor of the host file; the pager owns it and closes it at the end. */
  fd: number;
  /** Refuse write access to every kernel (a read-only export: EROFS in the Hurd, KERN_PROTECTION_FAILURE here). */
  readOnly: boolean;
  /** Task name, for snapshots and logs. */
  label?: string;
  /** Engine policies (pageSize is the kernel's, PAGE_SIZE). */
  config?: Partial<Omit<PagerConfig, 'pageSize'>>;
  log?: Logger;
  /** Every memory_object message in or out, for transcripts and counts. */
  onTrace?: (t: PagerTrace) => void;
  /** Called once when the pager has ended (no senders, no kernels) or was closed. */
  onFinished?: () => void;
  /** Called when the last kernel terminated the object (the pager may still get new ones). */
  onKernelsGone?: () => void;
  /**
   * Serve on an existing receive right instead of a new one: `name` in `task`
   * is moved into the pager task (MOVE_RECEIVE; queued messages move with it).
   * io_map hands out a right before the pager task exists (see map-service.ts).
   */
  adopt?: { task: TaskId; name: number };
  /**
   * Evict a kernel that leaves a revoking flush or a lock request unanswered
   * this long (ms; pager-core's lockTimeout policy): it is dropped as a dead
   * kernel, so one stuck node cannot stall the pages others wait for.
   * Default 60 000; 0 waits forever (as the seed did).
   */
  lockTimeoutMs?: number;
  /** The clock for lockTimeout (default the host's; tests pass hurd-ffi's VirtualClock). */
  clock?: Clock;
  /** The same for the read-only object (see `readOnlyObject`). */
  adoptReadOnly?: { task: TaskId; name: number };
}

/** One memory_object message seen by the pager: `in` from a kernel, `out` to one. */
export interface PagerTrace {
  dir: 'in' | 'out';
  kernel: KernelId;
  routine: string;
  page?: number;
  count?: number;
  detail?: string;
}

export interface FilePagerStats {
  /** memory_object messages received from kernels. */
  fromKernels: number;
  /** Kernels evicted for leaving a lock request unanswered (lockTimeoutMs). */
  evictions: number;
  /** Messages sent to kernels. */
  toKernels: number;
  storeReads: number;
  storeWrites: number;
}

const RCV_SIZE = 1 << 16;
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
/** mach_msg receive returns for a terminated task or an aborted wait (loop exits). */
interface Outgoing {
  queue: { bytes: Uint8Array; placed: bigint | undefined }[];
  running: boolean;
  /** Its kernel terminated or died: stop, and read nothing into a failed send. */
  cancelled: boolean;
}

const ROUTINE: Record<number, string> = Object.fromEntries(Object.entries(MSGID).map(([k, v]) => [v, k]));

export class FilePager {
  readonly stats: FilePagerStats = { fromKernels: 0, evictions: 0, toKernels: 0, storeReads: 0, storeWrites: 0 };
  private evicted: KernelId[] = [];
  /** Resolves when the pager has ended. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly engine: PagerEngine<Uint8Array>;
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private readonly lockTimeout: number;
  private ticker: TimerHandle | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private finished = false;
  /** Kernels that initialised the object through the read-only port: never given write access. */
  private readonly roKernels = new Set<KernelId>();
  private nextToken = 1;
  private readonly waits = new Map<number, () => void>();
  /** Kernels whose dead-name notification is armed. */
  private readonly watched = new Set<KernelId>();

  private constructor(
    private readonly o: FilePagerOptions,
    readonly task: TaskId,
    /** Receive right of the memory object, in the pager task. */
    readonly memoryObject: number,
    /**
     * Receive right of the read-only memory object (0 for a read-only pager,
     * whose one object is read-only anyway). The same file, the same engine:
     * a kernel that maps it is kept coherent with the writers, but is never
     * given write access, whatever access its vm_map asked for. io_map hands
     * it to opens without O_WRITE, so a reader cannot write through a mapping.
     */
    readonly readOnlyObject: number,
    private readonly replyPort: number,
    private readonly portSet: number,
    private readonly store: FileStore,
  ) {
    // Precious supplies: an upgrade by data_unlock is decided in place (2 messages,
    // pager-core README), and a refused unlock (read-only file) is answered with
    // data_error. Without them the engine upgrades a reader by flush + re-fault,
    // and a write lock from the store would make that loop forever.
    // may_cache FALSE: GNU Mach keeps an object that may persist in its object cache after the last
    // mapping goes (vm_object_deallocate), its dirty pages unreturned and no memory_object_terminate
    // until the cache evicts it, so the file would not hold a kernel's writes after unmap and the
    // pager would never finish (seen on GNU Mach 1.8; the simulated kernel caches no object).
    const config = { precious: true, mayCache: false, lockTimeout: o.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, ...(o.config ?? {}), pageSize: PAGE_SIZE };
    this.clock = o.clock ?? realClock;
    this.lockTimeout = config.lockTimeout;
    if (o.readOnly) config.precious = true;
    this.engine = new PagerEngine<Uint8Array>(config);
    this.done = new Promise((res) => (this.resolveDone = res));
  }

  static async create(o: FilePagerOptions): Promise<FilePager> {
    const k = o.kernel;
    const task = await k.taskCreate({ name: o.label ?? 'file-pager' });
    const must = async <T extends { kr: number }>(what: string, p: Promise<T>): Promise<T> => {
      const r = await p;
      if (r.kr !== 0) {
        await k.taskTerminate(task);
        throw new NetmsgServerError('map_failed', `file pager: ${what} failed: kern_return 0x${r.kr.toString(16)}`, r.kr);
      }
      return r;
    };
    const mo = o.adopt
      ? await must('move the memory object receive right', k.portExtractRight(o.adopt.task, o.adopt.name, MACH_MSG_TYPE_MOVE_RECEIVE, task))
      : await must('port_allocate (memory object)', k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE));
    const ro = o.readOnly
      ? { name: 0 }
      : o.adoptReadOnly
        ? await must('move the read-only object receive right', k.portExtractRight(o.adoptReadOnly.task, o.adoptReadOnly.name, MACH_MSG_TYPE_MOVE_RECEIVE, task))
        : await must('port_allocate (read-only object)', k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE));
    const reply = await must('port_allocate (reply)', k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE));
    const set = await must('port_allocate (port set)', k.portAllocate(task, MACH_PORT_RIGHT_PORT_SET));
    for (const n of [mo.name, ro.name, reply.name]) {
      if (n !== 0) await must('port_move_member', k.portMoveMember(task, n, set.name).then((kr) => ({ kr })));
    }
    for (const n of [mo.name, ro.name]) {
      // sync 1: fires once a right was made and none is left (at once for an adopted port whose rights are all gone).
      if (n !== 0) await k.portRequestNotification(task, n, MACH_NOTIFY_NO_SENDERS, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    }
    const pager = new FilePager(o, task, mo.name, ro.name, reply.name, set.name, new FileStore(o.fd, PAGE_SIZE, o.readOnly));
    void pager.serve();
    return pager;
  }

  get readOnly(): boolean {
    return this.o.readOnly;
  }

  /** True once the pager stopped serving; a new mapping needs a new pager. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** Kernels that have the object initialised now. */
  kernelCount(): number {
    return this.engine.kernels().length;
  }

  /**
   * Nothing under way in the engine: no page has waiters, an outstanding
   * revoking flush, a store operation or a queued write, and no waited call.
   * (Messages still in flight to or from kernels are not known here.)
   */
  isIdle(): boolean {
    if (this.engine.pendingCalls().length > 0 || this.engine.queuedWrites().length > 0 || this.outgoing.size > 0) return false;
    for (const p of this.engine.pageNumbers()) {
      const v = this.engine.inspectPage(p);
      if (v.waiters.length > 0 || v.flushSent.size > 0 || v.op !== 'idle' || v.queuedWrites > 0) return false;
    }
    return true;
  }

  /** Pages the file covers now (the size to map). */
  pages(): number {
    return this.store.pages();
  }

  /**
   * A send right to the memory object (or, with `readOnly`, to the
   * read-only object), made in the pager task and put into `to` (MAKE_SEND):
   * its name there.
   */
  async sendRight(to: TaskId, readOnly = false): Promise<number> {
    if (this.finished) throw new NetmsgServerError('map_failed', 'file pager: already finished');
    const port = readOnly && this.readOnlyObject !== 0 ? this.readOnlyObject : this.memoryObject;
    const r = await this.o.kernel.portExtractRight(this.task, port, MACH_MSG_TYPE_MAKE_SEND, to);
    if (r.kr !== 0) throw new NetmsgServerError('map_failed', `file pager: make send right: 0x${r.kr.toString(16)}`, r.kr);
    return r.name;
  }

  /**
   * pager_sync: every kernel's dirty pages go back and are written to the
   * file; resolves when the engine reports the call completed (every reply
   * and every owed return arrived, every write done).
   */
  sync(): Promise<void> {
    return this.call((wait) => ({ kind: 'sync', page: 0, count: this.store.pages(), wait }));
  }

  private call(make: (wait: number) => PagerEvent<Uint8Array>): Promise<void> {
    if (this.finished) return Promise.resolve();
    const token = this.nextToken++;
    const p = new Promise<void>((res) => this.waits.set(token, res));
    void this.exclusive(() => this.run(make(token)));
    return p;
  }

  /** Stop serving now (node shutdown): the task and its ports die, kernels see the object's port dead. */
  async close(): Promise<void> {
    await this.finish('closed');
  }

  // ------------------------------------------------------------ the loop

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const p = this.chain.then(f);
    this.chain = p.catch((e: unknown) => this.o.log?.error('file pager: internal error', { error: String(e) }));
    return p;
  }

  private async serve(): Promise<void> {
    const k = this.o.kernel;
    while (!this.finished) {
      const r = await k.msg(this.task, { options: MACH_RCV_MSG, rcvName: this.portSet, rcvSize: RCV_SIZE, signal: this.abort.signal });
      if (this.finished) return;
      if (r.kr !== 0 || !r.message) {
        // A receive fails only if the task or its port set is gone, or the wait was cancelled.
        await this.finish(`receive failed: 0x${r.kr.toString(16)}`);
        return;
      }
      const bytes = r.message;
      await this.exclusive(() => this.onMessage(bytes));
    }
  }

  private async onMessage(bytes: Uint8Array): Promise<void> {
    if (this.finished) return;
    const k = this.o.kernel;
    let msg: MachMessage;
    try {
      msg = decodeMessage(bytes, k.abi);
    } catch (e) {
      this.o.log?.warn('file pager: undecodable message dropped', { error: String(e) });
      return;
    }
    const id = msg.header.id;
    // The kernel's own notifications come on a send-once right this task made
    // (no-senders on the object port, dead-name on the reply port); a message
    // with a notification id from anyone else is a forgery and is dropped.
    const notification = msg.header.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE;
    const isNotifyId = id === MACH_NOTIFY_NO_SENDERS || id === MSGID.dead_name || id === MACH_NOTIFY_PORT_DELETED || id === MACH_NOTIFY_SEND_ONCE;
    const objectPort = msg.header.localPort === this.memoryObject || (this.readOnlyObject !== 0 && msg.header.localPort === this.readOnlyObject);
    if (isNotifyId && !(notification && (id === MACH_NOTIFY_NO_SENDERS ? objectPort : msg.header.localPort === this.replyPort))) {
      this.o.log?.warn('file pager: forged notification dropped', { id });
      await this.discardRights(msg);
      return;
    }
    if (id === MACH_NOTIFY_NO_SENDERS) {
      const port = msg.header.localPort;
      const st = await k.portGetReceiveStatus(this.task, port);
      if (st.status) {
        // Re-arm: with senders (a right made after the notification was generated), for when they go;
        // without, for the next right made and dropped.
        const sync = st.status.srights ? st.status.mscount : st.status.mscount + 1;
        await k.portRequestNotification(this.task, port, MACH_NOTIFY_NO_SENDERS, sync, port, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      }
      await this.maybeFinish();
      return;
    }
    if (id === MACH_NOTIFY_PORT_DELETED || id === MACH_NOTIFY_SEND_ONCE) return; // a watched control name we destroyed ourselves
    if (id !== MSGID.dead_name && (id < 2200 || id > 2209)) {
      this.o.log?.warn('file pager: message outside memory_object dropped', { id });
      await this.discardRights(msg);
      return;
    }
    const pages = id === MSGID.memory_object_data_return ? await this.returnedPages(msg) : [];
    let ev: PagerEvent<Uint8Array> | undefined;
    try {
      ev = messageToEvent<Uint8Array>(msg, { pageSize: PAGE_SIZE, readPages: () => pages });
    } catch (e) {
      this.o.log?.warn('file pager: malformed memory_object message dropped', { id, error: String(e) });
      await this.discardRights(msg, id === MSGID.memory_object_data_return);
      return;
    }
    if (ev === undefined || !('kernel' in ev)) {
      await this.discardRights(msg, id === MSGID.memory_object_data_return); // supply_completed, copy: nothing to do but free what they carry
      return;
    }
    if (ev.kind !== 'init' && ev.kind !== 'kernelDied' && !this.engine.kernels().includes(ev.kernel)) {
      // Not from a kernel that initialised the object (a stale message after
      // terminate, or a task pretending to be a kernel): the engine knows no such kernel.
      this.o.log?.warn('file pager: message from an unknown kernel dropped', { id });
      await this.discardRights(msg, id === MSGID.memory_object_data_return);
      return;
    }
    if (ev.kind === 'kernelDied') {
      this.watched.delete(ev.kernel);
      // The name is a dead name now (its user references, plus the notification's): free it whole.
      await k.portDestroy(this.task, ev.kernel);
      if (!this.engine.kernels().includes(ev.kernel)) return;
    } else {
      this.stats.fromKernels++;
      this.trace({ dir: 'in', kernel: ev.kernel, routine: ROUTINE[id] ?? `msg ${id}`, ...rangeOf(ev), ...eventDetail(ev) });
    }
    if (ev.kind === 'init' && msg.header.localPort === this.readOnlyObject && this.readOnlyObject !== 0) this.roKernels.add(ev.kernel);
    if (this.roKernels.has(ev.kernel) && (ev.kind === 'dataRequest' || ev.kind === 'dataUnlock') && ev.access === 'write') {
      // A kernel that mapped the read-only object asks for write access: refuse
      // it here, the engine never sees it (so it never revokes anyone for it).
      // An absent page gets data_error; a read copy is flushed first (it is
      // clean), so the retried fault arrives as a data_request and gets data_error.
      await k.portModRefs(this.task, ev.kernel, MACH_PORT_RIGHT_SEND, -1);
      if (ev.kind === 'dataRequest') {
        await this.toKernel({ kind: 'dataError', kernel: ev.kernel, page: ev.page, count: ev.count, error: KERN_PROTECTION_FAILURE });
      } else {
        await this.toKernel({ kind: 'lockRequest', kernel: ev.kernel, page: ev.page, count: ev.count, shouldReturn: 'none', flush: true, lockValue: VM_PROT_NO_CHANGE, reply: false });
      }
      return;
    }
    if (ev.kind === 'init') {
      // The name port is of no use to this pager; drop its right.
      const nameItem = msg.items[1];
      if (nameItem?.kind === 'ports' && nameItem.names[0]) await k.portDeallocate(this.task, nameItem.names[0]);
      if (!this.watched.has(ev.kernel)) {
        // A kernel that dies (its node gone: the proxy dies) must leave every list.
        const n = await k.portRequestNotification(this.task, ev.kernel, MACH_NOTIFY_DEAD_NAME, 0, this.replyPort, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        if (n.kr === 0) this.watched.add(ev.kernel);
      }
    } else if (ev.kind !== 'terminate' && ev.kind !== 'kernelDied' && ev.kind !== 'changeCompleted') {
      // Every message carries a new send right (MAKE_SEND) to the same control port: keep one uref.
      await k.portModRefs(this.task, ev.kernel, MACH_PORT_RIGHT_SEND, -1);
    }
    await this.run(ev);
    if (ev.kind === 'terminate') {
      // memory_object_terminate moves the control and name receive rights to the pager: destroy both.
      this.watched.delete(ev.kernel);
      await this.cancelOutgoing(ev.kernel);
      for (const it of msg.items) if (it.kind === 'ports') for (const n of it.names) if (n) await k.portDestroy(this.task, n);
    }
    if (ev.kind === 'terminate' || ev.kind === 'kernelDied') {
      this.roKernels.delete(ev.kernel);
      await this.cancelOutgoing(ev.kernel);
      if (this.engine.kernels().length === 0) this.o.onKernelsGone?.();
      await this.maybeFinish();
    }
  }

  /**
   * A dropped message's rights and memory must not pile up in the pager
   * task: send rights lose one user-reference, other rights are destroyed,
   * never the pager's own ports; out-of-line memory is deallocated.
   */
  private async discardRights(msg: MachMessage, oolFreed = false): Promise<void> {
    const k = this.o.kernel;
    const own = new Set([this.memoryObject, this.readOnlyObject, this.replyPort, this.portSet].filter((n) => n !== 0));
    const drop = async (name: number): Promise<void> => {
      if (name === 0 || name === 0xffffffff) return;
      if (own.has(name)) {
        await k.portModRefs(this.task, name, MACH_PORT_RIGHT_SEND, -1);
        return;
      }
      const t = await k.portType(this.task, name);
      if (t.kr !== 0) return;
      // MACH_PORT_TYPE_SEND (1 << 16) alone, or with a dead-name request: one reference goes.
      if ((t.type & 0x1f0000) === 0x10000) await k.portDeallocate(this.task, name);
      else await k.portDestroy(this.task, name);
    };
    // The reply right in the header (a memory_object message has none).
    if (msg.header.bits.remote !== 0) await drop(msg.header.remotePort);
    for (const it of msg.items) {
      if (it.kind === 'ports') for (const n of it.names) await drop(n);
      else if (it.kind === 'ool' && it.address !== 0n && !oolFreed) {
        const bytes = Math.ceil((it.type.number * it.type.size) / 8);
        if (bytes > 0) await k.vmDeallocate(this.task, Number(it.address), bytes);
      }
    }
  }

  /** data_return's pages are out of line in this task: read them, then free the region (its dealloc bit). */
  private async returnedPages(msg: MachMessage): Promise<Uint8Array[]> {
    const ool = msg.items.find((i) => i.kind === 'ool');
    if (ool === undefined || ool.kind !== 'ool') return [];
    const bytes = (ool.type.number * ool.type.size) / 8;
    if (bytes === 0) return [];
    const k = this.o.kernel;
    const got = await k.vmRead(this.task, Number(ool.address), bytes);
    await k.vmDeallocate(this.task, Number(ool.address), bytes);
    if (got.kr !== 0 || !got.data) return [];
    const out: Uint8Array[] = [];
    for (let at = 0; at < bytes; at += PAGE_SIZE) out.push(got.data.slice(at, at + PAGE_SIZE));
    return out;
  }

  /** One event through the engine; every action performed in order, store completions fed back. */
  private async run(first: PagerEvent<Uint8Array>): Promise<void> {
    if (this.lockTimeout > 0 && first.kind !== 'tick') {
      // The engine's clock moves only with ticks: tick first, so lock requests
      // sent now are stamped now, and overdue kernels go before anything else.
      await this.runOne({ kind: 'tick', now: this.clock.now() });
      const gone = 'kernel' in first && first.kind !== 'init' && !this.engine.kernels().includes(first.kernel);
      if (!gone) await this.runOne(first);
    } else {
      await this.runOne(first);
    }
    await this.afterEvictions();
    this.armTicker();
  }

  /** Kernels the lock-timeout policy evicted: drop their control port and queue, as for a dead kernel. */
  private async afterEvictions(): Promise<void> {
    const k = this.o.kernel;
    for (const kernel of this.evicted.splice(0)) {
      this.watched.delete(kernel);
      this.roKernels.delete(kernel);
      await this.cancelOutgoing(kernel);
      await k.portDestroy(this.task, kernel);
      if (this.engine.kernels().length === 0) this.o.onKernelsGone?.();
      await this.maybeFinish();
    }
  }

  /** While kernels have the object, tick the engine every half lockTimeout. */
  private armTicker(): void {
    if (this.lockTimeout <= 0 || this.ticker || this.finished || this.engine.kernels().length === 0) return;
    this.ticker = this.clock.setTimer(this.lockTimeout / 2, () => {
      this.ticker = undefined;
      if (this.finished) return;
      void this.exclusive(() => this.run({ kind: 'tick', now: this.clock.now() }));
    });
  }

  private async runOne(first: PagerEvent<Uint8Array>): Promise<void> {
    const queue: PagerEvent<Uint8Array>[] = [first];
    while (queue.length > 0) {
      const ev = queue.shift()!;
      for (const a of this.engine.handle(ev)) {
        if (isKernelAction(a)) {
          await this.toKernel(a);
        } else {
          const next = this.perform(a);
          if (next) queue.push(next);
        }
      }
    }
  }

  /** A store or file-server action; its completion event, if any. */
  private perform(a: PagerAction<Uint8Array>): PagerEvent<Uint8Array> | undefined {
    switch (a.kind) {
      case 'readPage':
        this.stats.storeReads++;
        try {
          // A read-only pager never lets a kernel write (the write lock stays on).
          return { kind: 'readDone', page: a.page, data: this.store.readPage(a.page), writeLock: this.o.readOnly };
        } catch (e) {
          this.o.log?.warn('file pager: read failed', { page: a.page, error: String(e) });
          return { kind: 'readFailed', page: a.page, error: 10 /* KERN_MEMORY_ERROR */ };
        }
      case 'writePage':
        this.stats.storeWrites++;
        try {
          this.store.writePage(a.page, a.data);
          return { kind: 'writeDone', seq: a.seq };
        } catch (e) {
          this.o.log?.warn('file pager: write failed', { page: a.page, error: String(e) });
          return { kind: 'writeFailed', seq: a.seq, error: 10 };
        }
      case 'unlockPage':
        // pager_unlock_page: a read-only file refuses, as the Hurd's pagers do for read-only filesystems.
        return this.o.readOnly ? { kind: 'unlockFailed', page: a.page, error: KERN_PROTECTION_FAILURE } : { kind: 'unlockDone', page: a.page };
      case 'completed': {
        const w = this.waits.get(a.token);
        this.waits.delete(a.token);
        w?.();
        return undefined;
      }
      case 'evictKernel':
        // The engine already handled it as a dead kernel; forget its port here (after this event).
        this.o.log?.warn('file pager: kernel evicted', { kernel: a.kernel, reason: a.reason });
        this.evicted.push(a.kernel);
        this.stats.evictions++;
        return undefined;
      default:
        return undefined; // evicted notices: nothing to do
    }
  }

  /**
   * Queues a kernel-bound action for its control port. Each kernel has its
   * own FIFO drained by its own sender, so a kernel (or a task posing as
   * one, or a netmsg proxy whose queue is full) that does not take its
   * messages delays only itself, never the pager's loop or other kernels;
   * Mach keeps messages in order per sender and port, and so does the queue.
   */
  private async toKernel(a: KernelAction<Uint8Array>): Promise<void> {
    const k = this.o.kernel;
    let placed: { address: bigint; bytes: number; deallocate: boolean } | undefined;
    if (a.kind === 'dataSupply') {
      // Out-of-line data must be in the pager's address space; the kernel takes it (dealloc bit).
      const buf = await k.vmAllocate(this.task, 0, PAGE_SIZE, true);
      if (buf.kr !== 0) throw new NetmsgServerError('map_failed', `file pager: vm_allocate: 0x${buf.kr.toString(16)}`, buf.kr);
      const w = await k.vmWrite(this.task, buf.address, a.data);
      if (w !== 0) throw new NetmsgServerError('map_failed', `file pager: vm_write: 0x${w.toString(16)}`, w);
      placed = { address: BigInt(buf.address), bytes: PAGE_SIZE, deallocate: true };
    }
    const msg = actionToMessage(a, {
      abi: k.abi,
      pageSize: PAGE_SIZE,
      placeData: () => placed!,
      replyPort: () => this.replyPort,
    });
    this.stats.toKernels++;
    this.trace({ dir: 'out', kernel: a.kernel, routine: ROUTINE[msg.header.id] ?? `msg ${msg.header.id}`, ...rangeOf(a), ...detailOf(a) });
    let out = this.outgoing.get(a.kernel);
    if (!out) {
      out = { queue: [], running: false, cancelled: false };
      this.outgoing.set(a.kernel, out);
    }
    out.queue.push({ bytes: encodeMessage(msg, k.abi), placed: placed?.address });
    if (!out.running) void this.drain(a.kernel, out);
  }

  private readonly outgoing = new Map<KernelId, Outgoing>();

  /** The kernel is gone (terminate, death): what is still queued for it is dropped, and a failure of a send in flight means nothing. */
  private async cancelOutgoing(kernel: KernelId): Promise<void> {
    const out = this.outgoing.get(kernel);
    if (!out) return;
    out.cancelled = true;
    this.outgoing.delete(kernel);
    for (const m of out.queue.splice(0)) if (m.placed !== undefined) await this.o.kernel.vmDeallocate(this.task, Number(m.placed), PAGE_SIZE);
  }

  private async drain(kernel: KernelId, out: Outgoing): Promise<void> {
    const k = this.o.kernel;
    out.running = true;
    try {
      while (out.queue.length > 0 && !this.finished) {
        const m = out.queue.shift()!;
        const r = await k.msg(this.task, { options: MACH_SEND_MSG, send: m.bytes, signal: this.abort.signal });
        if (r.kr === 0) continue;
        if (m.placed !== undefined) await k.vmDeallocate(this.task, Number(m.placed), PAGE_SIZE);
        if (this.finished || out.cancelled) continue;
        this.o.log?.warn('file pager: send to kernel failed', { kernel, kr: r.kr });
        // The control port is dead (its kernel or node is gone): the kernel leaves every list.
        for (const rest of out.queue.splice(0)) if (rest.placed !== undefined) await k.vmDeallocate(this.task, Number(rest.placed), PAGE_SIZE);
        void this.exclusive(async () => {
          if (this.engine.kernels().includes(kernel)) await this.run({ kind: 'kernelDied', kernel });
          if (this.engine.kernels().length === 0) this.o.onKernelsGone?.();
          await this.maybeFinish();
        });
        return;
      }
    } finally {
      out.running = false;
      if (out.queue.length === 0 && this.outgoing.get(kernel) === out) this.outgoing.delete(kernel);
    }
  }

  private trace(t: PagerTrace): void {
    this.o.onTrace?.(t);
  }

  /** Ends the pager when no kernel has the object and nobody holds a right to either object port. */
  private async maybeFinish(): Promise<void> {
    if (this.finished || this.engine.kernels().length > 0) return;
    for (const port of [this.memoryObject, this.readOnlyObject]) {
      if (port === 0) continue;
      const st = await this.o.kernel.portGetReceiveStatus(this.task, port);
      if (st.status?.srights) return;
    }
    await this.finish('no senders');
  }

  private async finish(why: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.o.log?.debug('file pager: finished', { why, ...this.stats });
    this.abort.abort();
    this.ticker?.cancel();
    this.ticker = undefined;
    for (const w of this.waits.values()) w();
    this.waits.clear();
    await this.o.kernel.taskTerminate(this.task);
    this.store.close();
    this.o.onFinished?.();
    this.resolveDone();
  }
}

function rangeOf(x: { kind: string } & Partial<{ page: number; count: number; data: unknown }>): { page?: number; count?: number } {
  if (typeof x.page !== 'number') return {};
  const count = typeof x.count === 'number' ? x.count : Array.isArray(x.data) ? x.data.length : 1;
  return { page: x.page, count };
}

function detailOf(a: KernelAction<Uint8Array>): { detail?: string } {
  switch (a.kind) {
    case 'dataSupply':
      return { detail: a.lockValue === 0 ? 'read|write' : 'read-only' };
    case 'lockRequest':
      return { detail: `return ${a.shouldReturn}${a.flush ? ', flush' : ''}` };
    default:
      return {};
  }
}

function eventDetail(ev: PagerEvent<Uint8Array>): { detail?: string } {
  switch (ev.kind) {
    case 'dataRequest':
    case 'dataUnlock':
      return { detail: ev.access };
    case 'dataReturn':
      return { detail: ev.dirty ? 'dirty' : 'clean' };
    default:
      return {};
  }
}
