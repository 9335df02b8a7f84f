/**
 * The host side of the agent's fault threads (conformance/c/fault.c).
 *
 * A call that can wait for a pager (vm_map of a memory object, any access to
 * memory mapped from one: vm_read, vm_write, vm_deallocate, a message whose
 * out-of-line data lies there) must block neither the agent's link nor the
 * task's worker, which passes the pager's messages (data_request ...) on to
 * a TypeScript pager that answers through that same link. Such a call runs on
 * the task's second thread: the agent hands it over and answers at once
 * (`fault` request, R 0 kr), and the result comes later, unasked, as an event
 * "F <task> <seq>" with the step's own lines.
 *
 * A message send that may block (no MACH_SEND_TIMEOUT, or a timeout above 0)
 * runs on another thread of the task: while the destination's queue is full
 * the send waits, and the receive that makes room comes through the same
 * link (gnumach-kernel.ts msgOnce). A task has as many sender threads
 * beside the fault thread (slot 0, pager calls only) as it has ports with
 * sends pending at once, as Mach's rule wants it: one sender's messages to
 * one port arrive in order, and a sender blocked on one port's qlimit holds
 * back no send to another port. A send goes to the thread of its
 * destination port while a send of the task to that port is still pending
 * (so they run in the order made), else to an idle thread, else to a new
 * one (the agent starts it on its first request and keeps it for reuse).
 * SEND_THREADS caps them, a guard on the agent's resources: only a task
 * with sends pending to more ports than that at once shares a thread (the
 * least busy one), and only then can a blocked send hold back a send to
 * another port. For a send to an idle thread the
 * agent waits a little (senders.c fault_call, FAULT_WAIT_MS): a send that
 * completes at once is answered in the request's own reply, its F line in
 * it; one to a busy thread, or a blocked one, answers "handed over" and
 * sends its result as an event. A send that must not wait
 * (MACH_SEND_TIMEOUT 0) to a port with a pending send runs on the worker
 * once the earlier ones are in the kernel (OP.sendAfter, senders.c
 * send_after): after them, and answered at once, MACH_SEND_TIMED_OUT when
 * they wait for room, as the kernel answers it.
 *
 * Each call goes to the link when it is made, in the order made, like every
 * other call, so that no later direct call of the task's overtakes it (the
 * netmsg driver issues deliveries and other calls without waiting for each);
 * the agent hands it to the thread's port, and the thread runs its calls in
 * the order they came. At most MAX_IN_FLIGHT per thread are in flight (any
 * more wait here, in order): fewer than the thread's port holds (fault.c
 * sets its qlimit to 16), so the agent never blocks handing a call over.
 * Memory the task mapped with vmMap is remembered here (page-rounded
 * ranges), so that only calls touching it take the fault thread.
 */
import { KERN_INVALID_TASK } from 'mach-msg';
import { HurdFfiError } from '../errors.js';
import type { TaskId } from '../mach-kernel.js';
import { OP, type Reply } from './protocol.js';

type Call = (task: number, op: number, args: readonly number[], data?: Uint8Array) => Promise<Reply>;

const PAGE = 4096;
/** Calls per thread handed to the agent at once: below the thread's port qlimit (MACH_PORT_QLIMIT_MAX, 16). */
export const MAX_IN_FLIGHT = 12;
/** The fault thread's slot: vm_map and task memory that may wait for a pager. */
export const PAGER_SLOT = 0;
/** At most this many sender threads per task, slots 1..SEND_THREADS (steps.h SENDER_THREADS, fault.c FT_SENDERS). */
export const SEND_THREADS = 64;
/** The agent's seq field is 20 bits wide (agent.h FT_PAD). */
const SEQ_MASK = 0xfffff;

interface Slot {
  /** Calls on the link or the thread, and calls waiting for room (in order). */
  inFlight: number;
  waiting: Array<() => void>;
  /** The destination ports of its sends not yet ended, in the order made. */
  sends: number[];
}

const newSlot = (): Slot => ({ inFlight: 0, waiting: [], sends: [] });

export class FaultThreads {
  private seq = 1;
  private readonly pending = new Map<number, { task: TaskId; resolve: (r: Reply) => void }>();
  private readonly threads = new Map<TaskId, Slot[]>();
  private readonly mapped = new Map<TaskId, Array<[number, number]>>();

  constructor(private readonly call: Call) {}

  /**
   * Runs step `op` (args as steps.c takes them) on `task`'s fault thread,
   * after the task's earlier ones. The request goes to the link now (in the
   * same turn as a direct call made next would), unless MAX_IN_FLIGHT of
   * the thread's are out: then once one ends, in order.
   */
  run(task: TaskId, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    return this.enqueue(task, PAGER_SLOT, null, () => this.once(task, PAGER_SLOT, op, args, data));
  }

  /**
   * A msg step (`words` as steps.c takes them) whose message goes to `port`
   * (any number naming the destination port; sends to one port keep their
   * order). `mayWait`: the send may block (no MACH_SEND_TIMEOUT, a timeout
   * above 0, or out-of-line data the kernel may fault in): on a sender
   * thread. Else null when no send of the task to `port` is pending (the
   * caller runs it on the worker at once), or the send after the pending
   * ones (OP.sendAfter; on the thread behind them if that thread also has
   * an earlier send to another port).
   */
  send(task: TaskId, port: number, mayWait: boolean, words: readonly number[], data: Uint8Array): Promise<Reply> | null {
    const slots = this.threads.get(task);
    const held = slots === undefined ? -1 : slots.findIndex((s, i) => i !== PAGER_SLOT && s.sends.includes(port));
    if (!mayWait && held < 0) return null;
    const all = slots ?? this.slotsOf(task);
    if (!mayWait) {
      const before = all[held]!.sends.slice(0, all[held]!.sends.lastIndexOf(port) + 1);
      if (before.every((p) => p === port)) return this.enqueue(task, held, port, () => this.call(task, OP.sendAfter, [held, ...words], data));
    }
    const slot = held >= 0 ? held : this.idlest(all);
    return this.enqueue(task, slot, port, () => this.once(task, slot, OP.msg, words, data));
  }

  /**
   * The sender thread for a send to a port with no send pending: the first
   * idle one, else a new one while fewer than SEND_THREADS, else the one
   * with the fewest pending sends (the lowest of equals).
   */
  private idlest(slots: Slot[]): number {
    for (let i = 1; i < slots.length; i++) if (slots[i]!.sends.length === 0) return i;
    if (slots.length <= SEND_THREADS) {
      slots.push(newSlot());
      return slots.length - 1;
    }
    let best = 1;
    for (let i = 2; i < slots.length; i++) if (slots[i]!.sends.length < slots[best]!.sends.length) best = i;
    return best;
  }

  /** The task's slots: the pager thread's, then the sender threads' made so far. */
  private slotsOf(task: TaskId): Slot[] {
    let slots = this.threads.get(task);
    if (slots === undefined) {
      slots = [newSlot()];
      this.threads.set(task, slots);
    }
    return slots;
  }

  private enqueue(task: TaskId, slot: number, port: number | null, start: () => Promise<Reply>): Promise<Reply> {
    const slots = this.slotsOf(task);
    const q = slots[slot]!;
    if (port !== null) q.sends.push(port);
    const ended = (): void => {
      q.inFlight--;
      if (port !== null) q.sends.splice(q.sends.indexOf(port), 1);
      const next = q.waiting.shift();
      if (next !== undefined) next();
      else if (this.threads.get(task) === slots && slots.every((s) => s.inFlight === 0 && s.waiting.length === 0)) this.threads.delete(task);
    };
    const go = (): Promise<Reply> => {
      q.inFlight++;
      const p = start();
      p.then(ended, ended);
      return p;
    };
    if (q.inFlight < MAX_IN_FLIGHT && q.waiting.length === 0) return go();
    return new Promise<Reply>((resolve, reject) => q.waiting.push(() => go().then(resolve, reject)));
  }

  private async once(task: TaskId, slot: number, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    // A seq still pending (a send blocked while a million others went by) is skipped: each names one call.
    while (this.pending.has(this.seq)) this.seq = (this.seq + 1) & SEQ_MASK || 1;
    const seq = this.seq;
    this.seq = (this.seq + 1) & SEQ_MASK || 1;
    const done = new Promise<Reply>((resolve) => this.pending.set(seq, { task, resolve }));
    let handed: Reply;
    try {
      handed = await this.call(task, OP.fault, [seq, slot, op, ...args], data);
    } catch (e) {
      this.pending.delete(seq);
      throw e;
    }
    // A message send's result within the agent's short wait (senders.c fault_call): the reply itself.
    if (handed.fault !== undefined) {
      this.pending.delete(seq);
      if (handed.refused !== undefined || handed.kr === null) throw new HurdFfiError('link_lost', `the fault thread could not run the call: ${handed.refused ?? 'no result'}`);
      return handed;
    }
    // Not handed over (no such task: KERN_INVALID_TASK): that is the call's result.
    if (handed.kr !== 0) {
      this.pending.delete(seq);
      return handed;
    }
    const r = await done;
    if (r.refused !== undefined || r.kr === null) throw new HurdFfiError('link_lost', `the fault thread could not run the call: ${r.refused ?? 'no result'}`);
    return r;
  }

  /** Takes an event frame if it is a fault thread's result. */
  onEvent(r: Reply): boolean {
    if (r.fault === undefined) return false;
    const p = this.pending.get(r.fault.seq);
    this.pending.delete(r.fault.seq);
    p?.resolve(r);
    return true;
  }

  /** The link is gone: calls still waiting for their result fail with link_lost. */
  fail(): void {
    for (const p of this.pending.values()) p.resolve({ tag: 0, kr: null, vals: [], names: [], refused: 'the agent link is gone' });
    this.pending.clear();
  }

  /** A successful vm_map of [address, address + size) in `task`. */
  addMapping(task: TaskId, address: number, size: number): void {
    const list = this.mapped.get(task) ?? [];
    list.push([address, address + Math.ceil(size / PAGE) * PAGE]);
    this.mapped.set(task, list);
  }

  /** vm_deallocate of [address, address + size): mappings wholly inside it are gone (a partly freed one is kept, which only costs a detour). */
  removeRange(task: TaskId, address: number, size: number): void {
    const list = this.mapped.get(task);
    if (list === undefined) return;
    const start = Math.floor(address / PAGE) * PAGE;
    const end = Math.ceil((address + size) / PAGE) * PAGE;
    const left = list.filter(([s, e]) => s < start || e > end);
    if (left.length === 0) this.mapped.delete(task);
    else this.mapped.set(task, left);
  }

  overlaps(task: TaskId, address: number, size: number): boolean {
    const list = this.mapped.get(task);
    if (list === undefined) return false;
    const end = address + Math.max(size, 1);
    return list.some(([s, e]) => address < e && end > s);
  }

  hasMappings(task: TaskId): boolean {
    return this.mapped.has(task);
  }

  /**
   * Whether some task maps an object. Then every task-memory call takes the
   * fault thread: memory no task mapped may still hold a delayed copy of an
   * object's pages (out-of-line data received from a COPY_DELAY mapping),
   * which faults when read.
   */
  anyMappings(): boolean {
    return this.mapped.size > 0;
  }

  /** The task ended: a call its fault thread was still running answers KERN_INVALID_TASK (its result can no longer come). */
  forget(task: TaskId): void {
    this.mapped.delete(task);
    for (const [seq, p] of this.pending) {
      if (p.task !== task) continue;
      this.pending.delete(seq);
      p.resolve({ tag: 0, kr: KERN_INVALID_TASK, vals: [], names: [] });
    }
  }
}
