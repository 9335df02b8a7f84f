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
 * The blocked calls waiting on each AbortSignal. One 'abort' listener per
 * signal runs them all: adding and removing an EventTarget listener for
 * every blocked receive (a driver's receive loop passes the same signal each
 * time) cost about as much as the receive itself.
 */
const abortWaiters = new WeakMap<AbortSignal, Set<BlockedCall>>();

function waitAbort(signal: AbortSignal, call: BlockedCall): Set<BlockedCall> {
  let set = abortWaiters.get(signal);
  if (set === undefined) {
    const waiting = new Set<BlockedCall>();
    set = waiting;
    abortWaiters.set(signal, waiting);
    signal.addEventListener(
      'abort',
      () => {
        // In the order the calls blocked; each removes itself. One that
        // throws (an observer) does not keep the others blocked, as with a
        // listener each.
        let failure: { e: unknown } | undefined;
        for (const c of [...waiting]) {
          try {
            c.abort();
          } catch (e) {
            failure ??= { e };
          }
        }
        waiting.clear();
        if (failure !== undefined) throw failure.e;
      },
      { once: true },
    );
  }
  set.add(call);
  return set;
}

const unset = (): void => undefined;

export abstract class BlockedCall {
  private done = false;
  private resolve: (out: MsgOutcome) => void = unset;
  private timer: TimerHandle | null = null;
  private aborters: Set<BlockedCall> | null = null;

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
    if (this.aborters !== null) this.aborters.delete(this);
    this.task.blocked.delete(this);
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
