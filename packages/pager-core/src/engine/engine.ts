import type { PagerAction } from '../actions.js';
import { makeConfig, type PagerConfig } from '../config.js';
import type { PagerEvent } from '../events.js';
import {
  KERN_MEMORY_ERROR,
  KERN_INVALID_ARGUMENT,
  KERN_TERMINATED,
  KERN_TIMEDOUT,
  VM_PROT_NONE,
  VM_PROT_NO_CHANGE,
  VM_PROT_WRITE,
  type CallToken,
  type KernelId,
  type PageIndex,
  type ReturnMode,
} from '../types.js';
import {
  cloneState,
  emptyPage,
  emptyState,
  nextErrorKey,
  type EngineState,
  type Holder,
  type PageState,
  type Waiter,
} from './state.js';
import { HANDLERS, type Handler } from './handlers.js';
import { lockRequest } from './lock-request.js';
import { stateKey } from './state-key.js';
import { validateEvent } from './validate.js';

/** Options that depend on the page type. */
export interface EngineOptions<D> {
  /**
   * What to supply when the store answers `readUnavailable`. Without it such
   * a page fails with KERN_MEMORY_ERROR: memory_object_data_unavailable
   * cannot be used by a multi-kernel pager, since the kernel then zero-fills
   * with full access and a non-precious page (README, "data_unavailable").
   */
  zeroPage?: D;
}

/** A read-only view of one page, for tests, the checker and debugging. */
export interface PageView<D> {
  holders: ReadonlyMap<KernelId, Readonly<Holder>>;
  waiters: readonly Readonly<Waiter>[];
  flushSent: ReadonlySet<KernelId>;
  op: PageState<D>['op'];
  pending: { data: D; kernelCopy: boolean; seq: number } | undefined;
  queuedWrites: number;
  invalid: boolean;
  deferred: boolean;
}

/**
 * The multi-client pager coherence engine for one memory object: sans-IO,
 * `handle(event)` returns the actions to perform, in order.
 *
 * Core rules (README has the full argument):
 * - Write access is exclusive and always granted on a precious page, so a
 *   writer can never drop its page silently: it is released only by its
 *   data_return (or death), whatever order its lock_completed arrives in.
 * - Readers are released by the completion of a revoking flush, by their own
 *   re-request (a silent discard), by a data_return, or by death.
 * - A non-empty wait list always means a page-in, an unlock decision, a
 *   pending write-back, or revocation of every conflicting holder is under way
 *   (or postponed by the minimum hold time).
 */
export class PagerEngine<D> {
  readonly config: PagerConfig;
  readonly options: EngineOptions<D>;
  /** @internal */
  s: EngineState<D>;
  private out: PagerAction<D>[] = [];

  constructor(config: Partial<PagerConfig> = {}, options: EngineOptions<D> = {}, state?: EngineState<D>) {
    this.config = state ? (config as PagerConfig) : makeConfig(config);
    this.options = options;
    this.s = state ?? emptyState<D>(this.config.mayCache, this.config.copyStrategy);
  }

  /** Feed one event; returns the actions it causes, in the order to perform them. */
  handle(event: PagerEvent<D>): PagerAction<D>[] {
    validateEvent(event);
    this.out = [];
    (HANDLERS[event.kind] as Handler<D, typeof event.kind>)(this, event as never);
    const out = this.out;
    this.out = [];
    return out;
  }

  /** An independent copy (state is deep-copied; page data is shared by reference). */
  clone(): PagerEngine<D> {
    return new PagerEngine<D>(this.config, this.options, cloneState(this.s));
  }

  /** The kernels that did init and are not dropped. */
  kernels(): KernelId[] {
    return [...this.s.clients.keys()];
  }

  get terminating(): boolean {
    return this.s.terminating;
  }

  /** Tokens of waited calls not completed yet. */
  pendingCalls(): CallToken[] {
    return [...this.s.calls.keys()];
  }

  pageNumbers(): PageIndex[] {
    return [...this.s.pages.keys()];
  }

  inspectPage(page: PageIndex): PageView<D> {
    const p = this.s.pages.get(page) ?? emptyPage<D>();
    return {
      holders: p.holders,
      waiters: p.waiters,
      flushSent: new Set(p.flushSent.keys()),
      op: p.op,
      pending: p.pending,
      queuedWrites: p.queuedWrites,
      invalid: p.invalid,
      deferred: p.deferred,
    };
  }

  /** Data of every queued or in-progress write, oldest first. */
  queuedWrites(): { page: PageIndex; data: D; seq: number; kernelCopy: boolean }[] {
    return [...(this.s.writing ? [this.s.writing] : []), ...this.s.writeQueue].map((w) => ({ ...w }));
  }

  /** A canonical serialisation of the whole state (the checker hashes it). */
  stateKey(): string {
    return stateKey(this.s);
  }

  // ------------------------------------------------------------------ helpers

  private emit(a: PagerAction<D>): void {
    this.out.push(a);
  }

  private page(p: PageIndex): PageState<D> {
    let st = this.s.pages.get(p);
    if (!st) {
      st = emptyPage<D>();
      this.s.pages.set(p, st);
    }
    return st;
  }

  /** Run `f` per page of a kernel message; messages from unknown kernels are ignored. */
  forPages(kernel: KernelId, first: PageIndex, count: number, f: (p: PageIndex, i: number) => void): void {
    if (!this.s.clients.has(kernel)) return;
    for (let i = 0; i < count; i++) f(first + i, i);
  }

  // ------------------------------------------------------------ kernel events

  onInit(kernel: KernelId, pageSize: number): void {
    // Seed bug (3.11): init during shutdown got no answer and the mapping
    // kernel hung. Refuse it with memory_object_destroy instead.
    if (this.s.terminating) return this.emit({ kind: 'destroy', kernel, reason: KERN_TERMINATED });
    if (pageSize !== this.config.pageSize) {
      return this.emit({ kind: 'destroy', kernel, reason: KERN_INVALID_ARGUMENT });
    }
    if (!this.s.clients.has(kernel)) this.s.clients.set(kernel, { locks: [], changeTokens: [] });
    this.emit({ kind: 'ready', kernel, mayCache: this.s.mayCache, copyStrategy: this.s.copyStrategy });
  }

  /**
   * memory_object_data_request for one page. A request from a kernel on the
   * access list means it no longer has the page (it was flushed or dropped
   * silently): that is its release (seed 3.4 rule 3, 3.7 "superset").
   */
  requestPage(kernel: KernelId, p: PageIndex, write: boolean): void {
    const page = this.page(p);
    if (page.holders.has(kernel)) this.release(page, kernel);
    // An unlock refused earlier is reported on the next data_request (Mach 3
    // Kernel Interfaces, memory_object_data_unlock); seed bug 3.11: the error
    // is also recorded, and whatever access is asked.
    const key = nextErrorKey(kernel, p);
    const owed = this.s.nextError.get(key);
    if (owed !== undefined) {
      this.s.nextError.delete(key);
      page.error = owed;
      this.emit({ kind: 'dataError', kernel, page: p, count: 1, error: owed });
      return this.settle(p);
    }
    if (this.s.terminating) {
      this.emit({ kind: 'dataError', kernel, page: p, count: 1, error: KERN_TERMINATED });
      return this.settle(p);
    }
    const already = page.waiters.find((w) => w.kernel === kernel && !w.unlock);
    if (already) {
      // Never enqueue a kernel twice (seed race 14); a write fault after a
      // read fault on a waiting page only raises the access wanted.
      already.write ||= write;
    } else {
      page.waiters.push({ kernel, write, unlock: false });
    }
    this.settle(p);
  }

  /** memory_object_data_unlock for one page: a reader wants to write. */
  unlockPage(kernel: KernelId, p: PageIndex): void {
    const page = this.s.pages.get(p);
    const holder = page?.holders.get(kernel);
    // Not a holder: it lost the page; its fault comes back as a data_request.
    // Already writing, or being revoked: the flush on its way answers the
    // unlock (seed 3.4 data_unlock rule a, race 7 and 15).
    if (!page || !holder || holder.write || holder.discarding || page.flushSent.has(kernel)) return;
    if (page.waiters.some((w) => w.kernel === kernel)) return;
    if (this.s.terminating) return; // shutdown's return flush answers it
    if (!holder.precious) {
      // A non-precious copy cannot be upgraded in place: the kernel could
      // then drop a clean writable page silently, and a writer's
      // lock_completed overtaking its data_return would become ambiguous.
      // Flush it instead; the kernel's fault comes back as a write request.
      this.emit(lockRequest(kernel, p, 1, 'none', true, VM_PROT_NO_CHANGE, false));
      return;
    }
    page.waiters.push({ kernel, write: true, unlock: true });
    this.settle(p);
  }

  returnPage(kernel: KernelId, p: PageIndex, data: D | undefined, dirty: boolean, kernelCopy: boolean): void {
    const page = this.s.pages.get(p);
    const holder = page?.holders.get(kernel);
    // From a kernel we do not believe holds the page: a return that crossed a
    // completed discard, or a duplicate. Its data is never newer than ours.
    // Data sent before the kernel saw a discard (pager_flush) is still its
    // newest data and is kept; what the discard drops never comes back.
    if (!page || !holder) return;
    // A read-only copy cannot be dirty; only a writer's data is written.
    if (dirty && holder.write && data !== undefined) this.enqueueWrite(p, data, kernelCopy);
    if (kernelCopy) {
      const t = holder.expect.shift();
      if (t) this.returnArrived(t);
    } else {
      this.release(page, kernel);
      this.maybeEvicted(p);
    }
    this.settle(p);
  }

  onLockCompleted(kernel: KernelId, first: PageIndex, count: number): void {
    const client = this.s.clients.get(kernel);
    if (!client) return;
    // Completions come back in request order per (kernel, range), so the
    // first matching outstanding request is the one completed.
    const i = client.locks.findIndex((d) => d.page === first && d.count === count);
    if (i < 0) return;
    const [desc] = client.locks.splice(i, 1);
    if (!desc) return;
    for (let p = first; p < first + count; p++) {
      const page = this.s.pages.get(p);
      const holder = page?.holders.get(kernel);
      if (!page || !holder) continue;
      if (desc.internal && page.flushSent.get(kernel)?.lock === desc.id && !holder.write) {
        this.release(page, kernel);
      } else if (desc.discard && holder.discarding === desc.id) {
        this.release(page, kernel);
      }
      // A writer's completion releases nothing: its precious page is always
      // returned, and the data_return is what releases it (README).
      this.settle(p);
    }
    if (desc.token !== undefined) this.replyArrived(desc.token);
  }

  onChangeCompleted(kernel: KernelId): void {
    const token = this.s.clients.get(kernel)?.changeTokens.shift();
    if (token !== undefined) this.replyArrived(token);
  }

  /**
   * A kernel is gone (dead name, terminate, or evicted by the lock timeout).
   * Its pending locks count as completed, it leaves every access and wait
   * list (seed bug 3.11: the wait-list removal edited a copy) and owes nothing.
   */
  dropKernel(kernel: KernelId): void {
    const client = this.s.clients.get(kernel);
    if (!client) return;
    this.s.clients.delete(kernel);
    const touched: PageIndex[] = [];
    for (const [p, page] of this.s.pages) {
      const had = page.holders.has(kernel) || page.waiters.some((w) => w.kernel === kernel);
      this.release(page, kernel);
      page.waiters = page.waiters.filter((w) => w.kernel !== kernel);
      if (had) touched.push(p);
    }
    for (const key of [...this.s.nextError.keys()]) {
      if (key.startsWith(`${kernel}:`)) this.s.nextError.delete(key);
    }
    for (const d of client.locks) if (d.token !== undefined) this.replyArrived(d.token);
    for (const t of client.changeTokens) this.replyArrived(t);
    for (const p of touched) {
      this.maybeEvicted(p);
      this.settle(p);
    }
  }

  // ------------------------------------------------------ backing store events

  onReadDone(p: PageIndex, src: { data: D; writeLock: boolean } | 'unavailable'): void {
    const page = this.s.pages.get(p);
    if (!page || page.op !== 'pagein') return;
    page.op = 'idle';
    const head = page.waiters[0];
    // The data is only used if the batch it was read for can still be served
    // (e.g. its requester did not die, leaving a writer at the head while
    // readers hold the page); otherwise settle again.
    if (!head || head.unlock || this.conflicts(page, head).length > 0) return this.settle(p);
    if (src === 'unavailable') {
      if (this.options.zeroPage === undefined) {
        page.error = KERN_MEMORY_ERROR;
        this.failRequests(page, p, KERN_MEMORY_ERROR);
        return this.settle(p);
      }
      return this.serve(page, p, this.options.zeroPage, false);
    }
    this.serve(page, p, src.data, src.writeLock);
  }

  onReadFailed(p: PageIndex, error: number): void {
    const page = this.s.pages.get(p);
    if (!page || page.op !== 'pagein') return;
    page.op = 'idle';
    page.error = error;
    this.failRequests(page, p, error);
    this.settle(p);
  }

  onUnlockFinished(p: PageIndex, error: number): void {
    const page = this.s.pages.get(p);
    if (!page || page.op !== 'unlock') return;
    page.op = 'idle';
    const head = page.waiters[0];
    const holder = head ? page.holders.get(head.kernel) : undefined;
    if (head && head.unlock && holder && page.holders.size === 1 && !this.s.terminating) {
      page.waiters.shift();
      if (error === 0) {
        holder.write = true;
        holder.since = this.s.now;
        this.emit(lockRequest(head.kernel, p, 1, 'none', false, VM_PROT_NONE, false));
      } else {
        // An unlock cannot be refused directly: flush the page and fail the
        // kernel's next data_request (Mach 3 Kernel Interfaces; seed 3.9).
        page.error = error;
        this.s.nextError.set(nextErrorKey(head.kernel, p), error);
        this.revoke(page, p, head.kernel);
      }
    }
    this.settle(p);
  }

  // ------------------------------------------------------------- write-back

  /** Queue a dirty return; at most one write runs at a time, in version order. */
  private enqueueWrite(p: PageIndex, data: D, kernelCopy: boolean): void {
    const page = this.page(p);
    const seq = this.s.nextSeq++;
    this.s.writeQueue.push({ seq, page: p, data, kernelCopy });
    page.queuedWrites++;
    page.pending = { data, kernelCopy, seq };
    this.pumpWrites();
  }

  private pumpWrites(): void {
    while (!this.s.writing && this.s.writeQueue.length > 0) {
      const w = this.s.writeQueue.shift()!;
      if (this.s.writeQueue.some((x) => x.page === w.page)) {
        // Newer data for the page is queued: never write a stale version.
        this.page(w.page).queuedWrites--;
        this.s.lastFinishedSeq = w.seq;
        continue;
      }
      this.s.writing = w;
      this.emit({ kind: 'writePage', page: w.page, data: w.data, seq: w.seq });
    }
    this.checkCalls();
  }

  onWriteFinished(seq: number, error: number): void {
    const w = this.s.writing;
    if (!w || w.seq !== seq) return;
    this.s.writing = undefined;
    this.s.lastFinishedSeq = seq;
    const page = this.page(w.page);
    page.queuedWrites--;
    const newest = page.pending?.seq === seq;
    if (error !== 0) {
      page.error = error;
      // The store now holds stale data; only a newer return can fix it (seed
      // 3.9). Seed bug 3.11: INVALID is honoured, never read around.
      if (newest) page.invalid = true;
    } else if (newest) {
      page.invalid = false;
    }
    if (page.queuedWrites === 0) page.pending = undefined;
    this.maybeEvicted(w.page);
    this.pumpWrites();
    this.settle(w.page);
  }

  private maybeEvicted(p: PageIndex): void {
    const page = this.s.pages.get(p);
    if (!this.config.precious || !page) return;
    if (page.holders.size === 0 && page.waiters.length === 0 && page.queuedWrites === 0) {
      this.emit({ kind: 'evicted', page: p });
    }
  }

  // ------------------------------------------------------ the page's progress

  /** Holders that must be revoked before `head` can be served. */
  private conflicts(page: PageState<D>, head: Waiter): KernelId[] {
    const ks = [...page.holders.keys()];
    if (head.unlock) return ks.filter((k) => k !== head.kernel);
    if (head.write) return ks;
    return ks.filter((k) => page.holders.get(k)!.write);
  }

  /**
   * Drive a page toward serving its wait list. Idempotent; every handler
   * calls it for each page it touched.
   */
  private settle(p: PageIndex): void {
    const page = this.s.pages.get(p);
    if (!page) return;
    page.deferred = false;
    if (page.waiters.length === 0 || page.op !== 'idle') return;
    if (this.s.terminating) {
      // No new grants during shutdown; unlockers are answered by its flush.
      page.waiters = page.waiters.filter((w) => !w.unlock);
      return this.failRequests(page, p, KERN_TERMINATED);
    }
    const head = page.waiters[0]!;
    const conflicting = this.conflicts(page, head);
    if (conflicting.length > 0) {
      for (const k of conflicting) {
        if (page.flushSent.has(k)) continue;
        const holder = page.holders.get(k)!;
        if (this.config.minHoldTime > 0 && this.s.now - holder.since < this.config.minHoldTime) {
          page.deferred = true; // a later tick revokes it
          continue;
        }
        this.revoke(page, p, k);
      }
      return;
    }
    if (head.unlock) {
      page.op = 'unlock';
      return this.emit({ kind: 'unlockPage', page: p });
    }
    if (page.pending) {
      // Waiters arriving during a page-out are served from the returned
      // data, not a stale read (seed race 3); kernel_copy data is never given
      // to another kernel (3.7), so then wait for the write to finish.
      if (!page.pending.kernelCopy) this.serve(page, p, page.pending.data, false);
      return;
    }
    if (page.invalid) {
      // Seed bug 3.11: it sent data_error and then read and supplied anyway.
      this.failRequests(page, p, page.error || KERN_MEMORY_ERROR);
      return this.settle(p);
    }
    page.op = 'pagein';
    this.emit({ kind: 'readPage', page: p });
  }

  /**
   * Supply the head of the wait list: a writer alone (precious, lock 0), or
   * a batch of readers (lock VM_PROT_WRITE). A writer the store write-locks
   * gets a read-only copy and comes back with data_unlock (seed 3.4).
   */
  private serve(page: PageState<D>, p: PageIndex, data: D, writeLock: boolean): void {
    const head = page.waiters[0];
    if (!head) return;
    const now = this.s.now;
    if (head.write && !writeLock) {
      page.waiters.shift();
      page.holders.set(head.kernel, { write: true, precious: true, since: now, discarding: 0, expect: [] });
      this.emit({ kind: 'dataSupply', kernel: head.kernel, page: p, data, lockValue: VM_PROT_NONE, precious: true });
    } else {
      let w: Waiter | undefined = head;
      do {
        // A writer the store write-locked gets its read-only copy precious
        // whatever the configuration: its data_unlock must reach the store's
        // unlock decision (pager_unlock_page). Non-precious, unlockPage
        // would flush it instead, its fault would come back as a write
        // request, the store would write-lock it again: a loop.
        const precious = this.config.precious || w.write;
        page.waiters.shift();
        page.holders.set(w.kernel, { write: false, precious, since: now, discarding: 0, expect: [] });
        this.emit({ kind: 'dataSupply', kernel: w.kernel, page: p, data, lockValue: VM_PROT_WRITE, precious });
        w = page.waiters[0];
      } while (w && !w.write && !w.unlock);
    }
    // Anyone still waiting makes the new holders revocable at once (or after
    // the minimum hold time).
    this.settle(p);
  }

  /** data_error to every waiter that asked for data; unlockers keep waiting. */
  private failRequests(page: PageState<D>, p: PageIndex, error: number): void {
    const keep: Waiter[] = [];
    for (const w of page.waiters) {
      if (w.unlock) keep.push(w);
      else this.emit({ kind: 'dataError', kernel: w.kernel, page: p, count: 1, error });
    }
    page.waiters = keep;
  }

  /**
   * Send a revoking flush. A writer's page is precious, so RETURN_ALL makes
   * it come back and no reply is needed; a reader's clean copy is dropped
   * (RETURN_NONE) and the reply tells us when.
   */
  private revoke(page: PageState<D>, p: PageIndex, kernel: KernelId): void {
    const holder = page.holders.get(kernel);
    if (!holder) return;
    if (holder.write) {
      page.flushSent.set(kernel, { at: this.s.now, lock: 0 });
      this.emit(lockRequest(kernel, p, 1, 'all', true, VM_PROT_NO_CHANGE, false));
    } else {
      const id = this.s.nextLockId++;
      page.flushSent.set(kernel, { at: this.s.now, lock: id });
      this.s.clients.get(kernel)?.locks.push({
        id,
        page: p,
        count: 1,
        internal: true,
        discard: false,
        token: undefined,
        sentAt: this.s.now,
      });
      this.emit(lockRequest(kernel, p, 1, 'none', true, VM_PROT_NO_CHANGE, true));
    }
  }

  private release(page: PageState<D>, kernel: KernelId): void {
    // Whatever returns it owed are in (or will never come: it has no page).
    for (const t of page.holders.get(kernel)?.expect ?? []) if (t) this.returnArrived(t);
    page.holders.delete(kernel);
    page.flushSent.delete(kernel);
    // Its pending upgrade died with its copy; its fault will re-request.
    if (page.waiters.some((w) => w.kernel === kernel && w.unlock)) {
      page.waiters = page.waiters.filter((w) => !(w.kernel === kernel && w.unlock));
    }
  }

  // ------------------------------------------------------- file server calls

  /**
   * pager_sync / pager_return / pager_flush over a range: one lock request
   * per kernel holding any page of it (sync: only writers can be dirty).
   */
  lockObject(first: PageIndex, count: number, mode: ReturnMode, flush: boolean, token: CallToken | undefined): void {
    const discard = flush && mode === 'none';
    let returns = 0;
    // One lock request per kernel; a discard's id marks the holders it releases.
    const targets = new Map<KernelId, number>();
    for (let p = first; p < first + count; p++) {
      const page = this.s.pages.get(p);
      if (!page) continue;
      for (const [k, h] of page.holders) {
        if (!flush && !h.write) continue; // sync: only writers can be dirty
        if (!targets.has(k)) targets.set(k, this.s.nextLockId++);
        if (discard) h.discarding = targets.get(k)!;
        else if (h.write) {
          h.expect.push(token ?? 0);
          if (token !== undefined) returns++;
        }
      }
    }
    if (token !== undefined) this.s.calls.set(token, { replies: 0, returns, first, count, untilSeq: undefined });
    for (const [k, id] of targets) {
      const reply = token !== undefined || discard;
      if (reply) {
        this.s.clients.get(k)!.locks.push({ id, page: first, count, internal: false, discard, token, sentAt: this.s.now });
        if (token !== undefined) this.s.calls.get(token)!.replies++;
      }
      this.emit(lockRequest(k, first, count, mode, flush, VM_PROT_NO_CHANGE, reply));
    }
    if (token !== undefined) this.callRepliesDone(token);
  }

  onChangeAttributes(mayCache: boolean, copyStrategy: number, token: CallToken | undefined): void {
    this.s.mayCache = mayCache;
    this.s.copyStrategy = copyStrategy;
    if (token !== undefined) this.s.calls.set(token, { replies: 0, returns: 0, first: 0, count: 0, untilSeq: undefined });
    for (const [k, client] of this.s.clients) {
      if (token !== undefined) {
        client.changeTokens.push(token);
        this.s.calls.get(token)!.replies++;
      }
      this.emit({ kind: 'changeAttributes', kernel: k, mayCache, copyStrategy, reply: token !== undefined });
    }
    if (token !== undefined) this.callRepliesDone(token);
  }

  /**
   * pager_shutdown: stop granting, fail the waiters, make every kernel return
   * and drop everything, and (if waited) finish when all writes are done.
   */
  onShutdown(token: CallToken | undefined): void {
    this.s.terminating = true;
    let lo = Infinity;
    let hi = -Infinity;
    for (const [p] of this.s.pages) {
      this.settle(p);
      lo = Math.min(lo, p);
      hi = Math.max(hi, p);
    }
    if (lo <= hi) this.lockObject(lo, hi - lo + 1, 'all', true, token);
    else if (token !== undefined) this.emit({ kind: 'completed', token });
  }

  onTick(now: number): void {
    if (now > this.s.now) this.s.now = now;
    const timeout = this.config.lockTimeout;
    if (timeout > 0) {
      const late = new Set<KernelId>();
      for (const [k, c] of this.s.clients) {
        if (c.locks.some((d) => now - d.sentAt >= timeout)) late.add(k);
      }
      for (const page of this.s.pages.values()) {
        for (const [k, f] of page.flushSent) if (now - f.at >= timeout) late.add(k);
      }
      for (const k of late) {
        this.emit({ kind: 'evictKernel', kernel: k, reason: KERN_TIMEDOUT });
        this.dropKernel(k);
      }
    }
    if (this.config.minHoldTime > 0) {
      for (const [p, page] of this.s.pages) if (page.deferred) this.settle(p);
    }
  }

  // ------------------------------------------------------------ waited calls

  private replyArrived(token: CallToken): void {
    const call = this.s.calls.get(token);
    if (!call) return;
    call.replies--;
    this.callRepliesDone(token);
  }

  private returnArrived(token: CallToken): void {
    const call = this.s.calls.get(token);
    if (!call) return;
    call.returns--;
    this.callRepliesDone(token);
  }

  /** All replies and returns are in: now wait for the last write overlapping the range. */
  private callRepliesDone(token: CallToken): void {
    const call = this.s.calls.get(token);
    if (!call || call.replies > 0 || call.returns > 0) return;
    let until = 0;
    for (const w of [...(this.s.writing ? [this.s.writing] : []), ...this.s.writeQueue]) {
      if (w.page >= call.first && w.page < call.first + call.count) until = Math.max(until, w.seq);
    }
    call.untilSeq = until;
    this.checkCalls();
  }

  private checkCalls(): void {
    for (const [token, call] of this.s.calls) {
      if (call.replies === 0 && call.returns === 0 && call.untilSeq !== undefined && this.s.lastFinishedSeq >= call.untilSeq) {
        this.s.calls.delete(token);
        this.emit({ kind: 'completed', token });
      }
    }
  }
}
