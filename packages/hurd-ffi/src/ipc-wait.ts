/**
 * A thread blocked in mach_msg (a send on a full queue, a receive on an
 * empty one): it settles exactly once, with whatever ends the wait first: a
 * message or a wakeup (the waker calls `wake`), its timeout
 * (MACH_*_TIMED_OUT), its AbortSignal (MACH_*_INTERRUPTED), or its task's
 * termination.
 *
 * One object per blocked call, its methods on the prototype: the closures,
 * the second promise layer and the per-call Set entries a generic helper
 * made cost about as much as the receive itself, and every null RPC blocks
 * four receives. A timer is set only for a call with a timeout; a signal
 * costs one shared listener (`waitAbort`).
 */
import type { IpcKernel, Task } from './ipc-kernel.js';
import type { TimerHandle } from './clock.js';

export interface MsgOutcome {
  kr: number;
  /** The received message, or the sender's message returned by a failed send. */
  message?: Uint8Array;
  /** Size of the received message (with MACH_RCV_TOO_LARGE: the size needed). */
  size?: number;
}

/**
 * Blocked calls in the order they blocked, linked through the calls
 * themselves (each call is on two: its task's and its AbortSignal's). Not a
 * Set: a task or a receive loop's signal holds one blocked call at a time,
 * and V8 shrinks a Set's table (a runtime call and a new table) every time a
 * delete leaves it empty, which every settled call did twice: about 2% of a
 * null RPC's CPU. Adding and removing here allocate nothing.
 */
export class BlockedCalls {
  first: BlockedCall | null = null;
  last: BlockedCall | null = null;

  /** `bySignal`: the list of an AbortSignal's calls (their second pair of links), not a task's. */
  constructor(private readonly bySignal: boolean) {}

  /** The calls, in order, as an array: each one removes itself as it settles. */
  toArray(): BlockedCall[] {
    const out: BlockedCall[] = [];
    for (let c = this.first; c !== null; c = this.bySignal ? c.sigNext : c.taskNext) out.push(c);
    return out;
  }

  add(c: BlockedCall): void {
    const last = this.last;
    if (this.bySignal) {
      c.sigPrev = last;
      c.sigNext = null;
      if (last === null) this.first = c;
      else last.sigNext = c;
    } else {
      c.taskPrev = last;
      c.taskNext = null;
      if (last === null) this.first = c;
      else last.taskNext = c;
    }
    this.last = c;
  }

  /** Takes `c` off this list (nothing if it is not on it). */
  remove(c: BlockedCall): void {
    const prev = this.bySignal ? c.sigPrev : c.taskPrev;
    const next = this.bySignal ? c.sigNext : c.taskNext;
    if (prev === null && this.first !== c) return;
    if (prev === null) this.first = next;
    else if (this.bySignal) prev.sigNext = next;
    else prev.taskNext = next;
    if (next === null) this.last = prev;
    else if (this.bySignal) next.sigPrev = prev;
    else next.taskPrev = prev;
    if (this.bySignal) c.sigPrev = c.sigNext = null;
    else c.taskPrev = c.taskNext = null;
  }
}

/**
 * The blocked calls waiting on each AbortSignal. One 'abort' listener per
 * signal runs them all: adding and removing an EventTarget listener for
 * every blocked receive (a driver's receive loop passes the same signal each
 * time) cost about as much as the receive itself.
 */
const abortWaiters = new WeakMap<AbortSignal, BlockedCalls>();

function waitAbort(signal: AbortSignal, call: BlockedCall): BlockedCalls {
  let list = abortWaiters.get(signal);
  if (list === undefined) {
    const waiting = new BlockedCalls(true);
    list = waiting;
    abortWaiters.set(signal, waiting);
    signal.addEventListener(
      'abort',
      () => {
        // In the order the calls blocked; each removes itself. One that
        // throws (an observer) does not keep the others blocked, as with a
        // listener each.
        let failure: { e: unknown } | undefined;
        for (const c of waiting.toArray()) {
          try {
            c.abort();
          } catch (e) {
            failure ??= { e };
          }
        }
        for (const c of waiting.toArray()) waiting.remove(c);
        if (failure !== undefined) throw failure.e;
      },
      { once: true },
    );
  }
  list.add(call);
  return list;
}

const unset = (): void => undefined;

export abstract class BlockedCall {
  private done = false;
  private resolve: (out: MsgOutcome) => void = unset;
  private timer: TimerHandle | null = null;
  private aborters: BlockedCalls | null = null;
  /** This call's places on its task's list and on its signal's (BlockedCalls). */
  taskPrev: BlockedCall | null = null;
  taskNext: BlockedCall | null = null;
  sigPrev: BlockedCall | null = null;
  sigNext: BlockedCall | null = null;

  constructor(
    readonly k: IpcKernel,
    readonly task: Task,
  ) {}

  /** The outcome of a timeout, an interrupt, a termination (each leaves its queue first). */
  protected abstract timedOut(): MsgOutcome;
  protected abstract interrupted(): MsgOutcome;
  protected abstract terminated(): MsgOutcome;
  /** Puts the call on its queue; it may settle at once. */
  protected abstract enter(): void;

  get settled(): boolean {
    return this.done;
  }

  /**
   * Blocks: the returned promise settles with the call. The call is
   * registered with its task (termination ends it), entered on its queue,
   * and, unless that already settled it, given its timer and signal.
   */
  block(timeout: number | null, signal: AbortSignal | undefined): Promise<MsgOutcome> {
    const p = new Promise<MsgOutcome>((resolve) => {
      this.resolve = resolve;
    });
    this.task.blocked.add(this);
    this.enter();
    if (this.done) return p;
    if (timeout !== null) this.timer = this.k.clock.setTimer(timeout, () => this.expire());
    if (signal !== undefined) {
      if (signal.aborted) this.abort();
      else this.aborters = waitAbort(signal, this);
    }
    return p;
  }

  /** Settles the call (once): its timer and abort registration go, its task forgets it. */
  protected settle(out: MsgOutcome): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) this.timer.cancel();
    if (this.aborters !== null) this.aborters.remove(this);
    this.task.blocked.remove(this);
    this.resolve(out);
  }

  /** Task termination (task_terminate). */
  terminate(): void {
    if (!this.done) this.settle(this.terminated());
  }

  /** The call's AbortSignal fired. */
  abort(): void {
    if (this.done) return;
    this.settle(this.interrupted());
    this.k.flush();
  }

  private expire(): void {
    if (this.done) return;
    this.settle(this.timedOut());
    this.k.flush();
  }
}
