/**
 * Sends not yet received, per destination kernel port, oldest first: how
 * the tracer (tracer.ts) and the program's `-c` counter (summary-count.ts)
 * pair a request with the server's receive of it. One class, so both forget
 * the same sends at the same time (the counter's tables must equal the
 * tracer's).
 *
 * Why a queue per port with indices: a storm empties and refills one per
 * RPC, so an index instead of Array.shift (which moves or reallocates the
 * store), and an emptied queue is left in its map (no delete and set again)
 * until many ports have one.
 */

/**
 * Bounds on what is remembered: sends to a port nobody receives from (the
 * kernel consumes messages to its own ports unseen) would otherwise pile up
 * for the life of a trace. The oldest go first.
 */
export const MAX_IN_FLIGHT = 1024;
/** Ports with a queue, emptied ones included, before a new port's queue sweeps the emptied ones out. */
export const MAX_QUEUES = 4096;

/** A port's unreceived sends, oldest at `head`; `tail` is one past the newest (empty when equal). */
interface SendQueue<T> {
  readonly calls: (T | undefined)[];
  head: number;
  tail: number;
}

export class SendQueues<T extends { readonly msgId: number }> {
  readonly #queues = new Map<number, SendQueue<T>>();
  /** #queues's size at which emptied queues are swept out. */
  #sweepAt = MAX_QUEUES;
  /**
   * The two ports last pushed to or taken from (-1: none) and their
   * queues, in front of the map: a client's requests to a server port are
   * pushed and taken in turn, and each was a Map probe (~100 instructions,
   * a builtin call) where a compare does. Two, so that a client that
   * alternates two servers (a file and the auth server...) still hits.
   */
  #port0 = -1;
  #queue0: SendQueue<T> | undefined = undefined;
  #port1 = -1;
  #queue1: SendQueue<T> | undefined = undefined;

  /** `call` was sent to `port`: the newest of its queue (the oldest goes past MAX_IN_FLIGHT). */
  push(port: number, call: T): void {
    // The common send: to the last port, whose queue is empty (its last
    // request was received). Short so that the tracer's #onSend, with its
    // inlining budget (V8: 920 bytes of bytecode in all) mostly spent, takes
    // it in; the rest is #pushAny (BENCHMARKS.md 2026-11-30 22:10 section).
    const q0 = port === this.#port0 ? this.#queue0 : undefined;
    if (q0 === undefined || q0.head !== q0.tail) {
      this.#pushAny(port, call);
      return;
    }
    q0.calls[0] = call;
    q0.head = 0;
    q0.tail = 1;
  }

  /**
   * Whether `port`'s queue is in a slot and empty: the tracer then keeps a
   * request's push in its register instead (tracer.ts DEFER_QUEUED), since
   * a push and the take of the same call leave such a queue as they found
   * it. Both slots: a client alternating two servers (the varied storm).
   */
  idle(port: number): boolean {
    const q = port === this.#port0 ? this.#queue0 : port === this.#port1 ? this.#queue1 : undefined;
    return q !== undefined && q.head === q.tail;
  }

  /** push() in full. */
  #pushAny(port: number, call: T): void {
    const q = port === this.#port0 ? (this.#queue0 as SendQueue<T>) : port === this.#port1 ? (this.#queue1 as SendQueue<T>) : this.#queueOf(port);
    if (q.head === q.tail) {
      // Empty: start over at the front (the array keeps its store; slots are overwritten).
      q.head = q.tail = 0;
    } else if (q.tail === q.calls.length && q.head >= q.tail >> 1) compact(q);
    q.calls[q.tail++] = call;
    if (q.tail - q.head > MAX_IN_FLIGHT) q.calls[q.head++] = undefined;
  }

  /** push() to a port in neither slot: its queue, kept in the first slot (the first's goes to the second). */
  #queueOf(port: number): SendQueue<T> {
    const q = this.#queues.get(port) ?? this.#newQueue(port);
    this.#keep(port, q);
    return q;
  }

  #keep(port: number, q: SendQueue<T>): void {
    this.#port1 = this.#port0;
    this.#queue1 = this.#queue0;
    this.#port0 = port;
    this.#queue0 = q;
  }

  /**
   * A port's first queue (push's rare path, a method of its own: V8
   * optimises a function after a number of runs that grows with its
   * bytecode's length, and inlines only short ones).
   */
  #newQueue(port: number): SendQueue<T> {
    if (this.#queues.size >= this.#sweepAt) {
      for (const [p, old] of this.#queues) if (old.head === old.tail) this.#queues.delete(p);
      // The slots' queues may be among those: no slot holds a queue the map does not.
      this.#port0 = this.#port1 = -1;
      this.#queue0 = this.#queue1 = undefined;
      // Many ports with sends pending: the next sweep waits until their number doubles (no sweep per send).
      this.#sweepAt = Math.max(MAX_QUEUES, this.#queues.size * 2);
    }
    const q: SendQueue<T> = { calls: [], head: 0, tail: 0 };
    this.#queues.set(port, q);
    return q;
  }

  /** The oldest unreceived send of `msgId` to `port`; the sends ahead of it were consumed unseen. */
  take(port: number, msgId: number): T | undefined {
    const q = port === this.#port0 ? this.#queue0 : port === this.#port1 ? this.#queue1 : this.#takeQueueOf(port);
    if (q === undefined) return undefined;
    const calls = q.calls;
    let at = q.head;
    while (at < q.tail && (calls[at] as T).msgId !== msgId) at++;
    if (at === q.tail) return undefined;
    const sent = calls[at] as T;
    // The slots up to it are let go (nothing keeps a call it forgot).
    for (let i = q.head; i <= at; i++) calls[i] = undefined;
    q.head = at + 1;
    return sent;
  }

  /** take() from a port in neither slot: its queue if it has one, kept in the first slot. */
  #takeQueueOf(port: number): SendQueue<T> | undefined {
    const q = this.#queues.get(port);
    if (q !== undefined) this.#keep(port, q);
    return q;
  }
}

/** A queue that never empties (sends to a port nobody is seen receiving from), full at its end: moved down. */
function compact<T>(q: SendQueue<T>): void {
  q.calls.copyWithin(0, q.head, q.tail);
  q.calls.fill(undefined, q.tail - q.head, q.tail);
  q.tail -= q.head;
  q.head = 0;
}
