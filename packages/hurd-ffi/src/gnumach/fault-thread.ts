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
 * runs here too: while the destination's queue is full the send waits, and
 * the receive that makes room comes through the same link (gnumach-kernel.ts
 * msgOnce). For a send the agent waits a little (agent.c fault_call,
 * FAULT_WAIT_MS): a send that completes at once is answered in the request's
 * own reply, its F line in it; only a blocked one answers "handed over" and
 * sends its result as an event.
 *
 * Each call goes to the link when it is made, in the order made, like every
 * other call, so that no later direct call of the task's overtakes it (the
 * netmsg driver issues deliveries and other calls without waiting for each);
 * the agent hands it to the thread's port, and the thread runs the calls in
 * the order they came: a task's sends keep their order (Mach: one thread's
 * messages to a port arrive in order), and a send blocked on a full queue
 * holds back the task's later fault-thread calls, not its other calls. At
 * most MAX_IN_FLIGHT per task are in flight (any more wait here, in order):
 * fewer than the thread's port holds (fault.c sets its qlimit to 16), so
 * the agent never blocks handing a call over. Memory the task mapped with
 * vmMap is remembered here (page-rounded ranges), so that only calls
 * touching it take this path.
 */
import { KERN_INVALID_TASK } from 'mach-msg';
import { HurdFfiError } from '../errors.js';
import type { TaskId } from '../mach-kernel.js';
import { OP, type Reply } from './protocol.js';

type Call = (task: number, op: number, args: readonly number[], data?: Uint8Array) => Promise<Reply>;

const PAGE = 4096;
/** Calls per task handed to the agent at once: below the fault thread's port qlimit (MACH_PORT_QLIMIT_MAX, 16). */
export const MAX_IN_FLIGHT = 12;

export class FaultThreads {
  private seq = 1;
  private readonly pending = new Map<number, { task: TaskId; resolve: (r: Reply) => void }>();
  /** Per task: calls on the link or the thread, and calls waiting for room (in order). */
  private readonly queues = new Map<TaskId, { inFlight: number; waiting: Array<() => void> }>();
  private readonly mapped = new Map<TaskId, Array<[number, number]>>();

  constructor(private readonly call: Call) {}

  /**
   * Runs step `op` (args as steps.c takes them) on `task`'s fault thread,
   * after the task's earlier ones. The request goes to the link now (in the
   * same turn as a direct call made next would), unless MAX_IN_FLIGHT of
   * the task's are out: then once one ends, in order.
   */
  run(task: TaskId, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    let q = this.queues.get(task);
    if (q === undefined) {
      q = { inFlight: 0, waiting: [] };
      this.queues.set(task, q);
    }
    if (q.inFlight < MAX_IN_FLIGHT && q.waiting.length === 0) return this.start(task, q, op, args, data);
    const queue = q;
    return new Promise<Reply>((resolve, reject) => queue.waiting.push(() => this.start(task, queue, op, args, data).then(resolve, reject)));
  }

  private start(task: TaskId, q: { inFlight: number; waiting: Array<() => void> }, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    q.inFlight++;
    const p = this.once(task, op, args, data);
    const ended = (): void => {
      q.inFlight--;
      const next = q.waiting.shift();
      if (next !== undefined) next();
      else if (q.inFlight === 0 && this.queues.get(task) === q) this.queues.delete(task);
    };
    p.then(ended, ended);
    return p;
  }

  private async once(task: TaskId, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0 || 1;
    const done = new Promise<Reply>((resolve) => this.pending.set(seq, { task, resolve }));
    let handed: Reply;
    try {
      handed = await this.call(task, OP.fault, [seq, op, ...args], data);
    } catch (e) {
      this.pending.delete(seq);
      throw e;
    }
    // A message send's result within the agent's short wait (agent.c fault_call): the reply itself.
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
