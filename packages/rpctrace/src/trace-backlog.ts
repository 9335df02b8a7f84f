/**
 * The traced program's side of the trace pipe (or of the -f socket): records
 * are packed into batches, and a batch leaves with a non-blocking write
 * once per turn of the event loop (flush), and as soon as it is full unless
 * told to hold full batches back (`eager: false`).
 * What the pipe does not take at once stays queued here, in the program's
 * memory, and goes with the next write: the program does not wait for the
 * tracer to read, so a tracer busy decoding does not hold up the
 * program's RPCs.
 *
 * The queue is bounded: past `limit` bytes the program waits (50 µs naps,
 * which leave the CPU to the tracer) until the tracer has read the queue
 * back under it. Nothing is ever dropped while the tracer lives: a write
 * that fails for any reason but EAGAIN (EPIPE: hurd-rpctrace went away)
 * stops tracing, and the program runs on untraced, never hanging on a dead
 * tracer. `finish()` (the program's exit) writes everything left, waiting
 * as long as the tracer reads.
 *
 * A descriptor that stays blocking (not a socket: the preload could not make
 * it non-blocking) works too: every write then takes the whole batch.
 */
import { Buffer } from 'node:buffer';
import { writeSync } from 'node:fs';

/** Default bound of the queue: 64 MiB (a storm of 100,000 null RPCs makes ~35 MB of records). */
export const DEFAULT_BACKLOG = 64 * 1024 * 1024;
/** Size of a batch: one write per batch (a record larger than this gets a batch of its own). */
export const BATCH_BYTES = 256 * 1024;
/**
 * Eager only, and only while bytes are still queued (the tracer is behind):
 * the queue is offered to the descriptor again after this many more bytes
 * of records, not only when the batch is full. The trace pipe (a Unix
 * socket pair) takes about 200-300 KB at a time; offered only once per
 * 256 KiB batch, a tracer that fell behind (its JIT still cold at the
 * start of a storm) could never take more than about that per batch the
 * program made, so it never caught up while the program ran, and the
 * program's exit waited for the whole queue (2026-11-29 20:30, two CPUs:
 * 4-10 MB queued at the exit, an EAGAIN at 133 of about 137 batch writes).
 */
export const EAGER_RETRY_BYTES = 64 * 1024;
/**
 * The first batch of a backlog of the default batch size is this small, so
 * that the path that starts a new batch (reserve's, and writeRecord's new
 * view in wire.ts) first runs some 40 null RPCs into a trace, while the
 * tap's code is still interpreted and gathering type feedback. At 256 KiB it
 * first ran some 750 RPCs in, after V8 had optimised hurd-ffi's message
 * delivery with the tap's observer inlined, and those accesses, never seen
 * before, threw that code away to be compiled again (`node --trace-deopt`:
 * "Insufficient type feedback" in emit -> reserve and in writeRecord, the
 * only bailouts of the tap in a trace). Only the first batch is small:
 * later ones are full size (one write each). (Since 2026-11-30 15:42 the new
 * batch is #reserveSlow's, a call out of the inlined path, and the writer
 * takes the batch's view from the backlog; the small first batch is kept.)
 */
export const FIRST_BATCH_BYTES = 16 * 1024;
/**
 * Batch size for a sink in this process (`sink`: the in-process record
 * loop, which decodes each batch synchronously as it is given). At 256 KiB
 * the record loop read some 3,000 records per call, and V8 compiled its
 * reader's loop on-stack (OSR) in the middle of the first full batch, then
 * again at a call's entry (`node --trace-opt`); at 32 KiB (some 90 null
 * RPCs) it is compiled once. Measured (BENCHMARKS.md, 2026-11-30 13:04
 * section, instructions, whole run at 100,000 RPCs, `-o FILE`): null storm
 * 4,377.3M -> 4,326.1M (steady 11,984 -> 11,542 per RPC), varied storm
 * 7,243.0M -> 6,928.2M; most of the steady fall is fewer full
 * mark-compact collections (GC 88.7M -> 42.1M of the null run). 16
 * KiB was worse (more of the per-batch path compiled), 64 KiB about the
 * same as 32. Since the in-process tap's batch is refilled rather than
 * allocated anew (reuseBatch, 2026-11-30 21:14 section), 64 KiB is the
 * better (-5.5M null, -9.8M varied, one run each): half the batches'
 * per-call path, and no allocation per batch left to weigh against it.
 * A descriptor keeps BATCH_BYTES (one write each); the in-process output
 * is written every 64 KiB and at each turn's end (cli/in-process.ts).
 */
export const SINK_BATCH_BYTES = 64 * 1024;

export interface BacklogOptions {
  /** Where the records go (the trace pipe, or the -f socket). */
  fd: number;
  /** Most bytes queued in memory (full batches not yet written) before the program waits. */
  limit?: number;
  /** Batch size (default BATCH_BYTES, or SINK_BATCH_BYTES with a sink; the first batch then FIRST_BATCH_BYTES). */
  batch?: number;
  /** Told once each time the queue is over `limit` and the program starts waiting, with the bytes queued. */
  onWait?: (queued: number) => void;
  /**
   * Switches the descriptor between blocking and non-blocking (true if it
   * did): a wait is then a blocking write, which the kernel wakes when the
   * tracer has read, instead of naps that take CPU from it.
   */
  setBlocking?: (blocking: boolean) => boolean;
  /**
   * Write a batch as soon as it is full (default). When false, full batches
   * wait in the queue until the event loop turns (flush) or the queue
   * passes its bound: on a single CPU, a tracer woken for every batch takes
   * the CPU from the program in the middle of a storm of RPCs (a loop that
   * never yields to the event loop); held back, its work comes when the
   * program is idle or done, and the tracer keeps its normal priority.
   */
  eager?: boolean;
  /**
   * In place of `fd`: the consumer of the records in this very process
   * (hurd-rpctrace running the program in its own process:
   * cli/in-process.ts). It takes every byte it is given, synchronously,
   * and must not throw; the bytes are not used again after it returns.
   * `full`: the batch left because it was full (reserve), not at a turn of
   * the event loop or the end (flush, finish): the sink's owner may then
   * hold its output back (cli/in-process.ts).
   */
  sink?: (bytes: Uint8Array, full: boolean) => void;
  /**
   * With a sink: the sink keeps nothing of the bytes it is given (it copies
   * what it keeps), so a full batch, once the sink has taken it, is filled
   * again instead of a new one being allocated (see #reserveSlow).
   */
  reuseBatch?: boolean;
}

/**
 * Without setBlocking, a wait for the tracer is naps: the first short (50
 * µs), so the program resumes soon after the pipe has room, then doubling
 * up to 2 ms, so that a long wait (the exit, the tracer behind by
 * megabytes) does not keep waking the program on the tracer's CPU.
 */
/**
 * A batch's bytes, not zeroed: only the records written into it ever leave
 * (subarrays up to `used`), so zeroing it was work thrown away. A plain
 * Uint8Array on the memory of Buffer.allocUnsafeSlow (an ArrayBuffer of its
 * own, not Node's shared pool; not a Buffer, whose subarrays would be
 * Buffers for the record loop). Under cachegrind a zeroed 256 KiB batch was
 * about 271,000 instructions (its memset) against 11,000, i.e. about 360
 * per null RPC of the storm (four records, ~347 bytes).
 */
function batchBytes(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

const NAP_MIN_MS = 0.05;
const NAP_MAX_MS = 2;

export class TraceBacklog {
  /** The batch being filled: the caller writes records at `used` (after `reserve`). */
  buf: Uint8Array;
  /** A DataView of `buf` (made with each batch, so the tap's observer needs no view of its own per batch). */
  view: DataView;
  used = 0;
  /** Set once a write failed (the tracer is gone): nothing more is written or kept. */
  broken = false;
  /** Times the program waited on a full queue (for tests and benchmarks). */
  waits = 0;
  /**
   * Times records left for the descriptor (flush, or a full batch written
   * at once): a coarse clock (backlog-observer.ts) reads the time again after each.
   */
  flushes = 0;
  readonly #fd: number;
  readonly #limit: number;
  readonly #batch: number;
  readonly #onWait: ((queued: number) => void) | undefined;
  readonly #setBlocking: ((blocking: boolean) => boolean) | undefined;
  readonly #eager: boolean;
  readonly #sink: ((bytes: Uint8Array, full: boolean) => void) | undefined;
  readonly #reuse: boolean;
  /** Set while #reserveSlow hands a full batch to the sink (the sink's `full`). */
  #full = false;
  /** Start of the part of `buf` not yet queued. */
  #start = 0;
  /** Batches (or parts) waiting to be written, oldest first; `#head` bytes of the first are written. */
  readonly #queue: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  readonly #pause = new Int32Array(new SharedArrayBuffer(4));
  /** Eager: `used` past which reserve offers the queue again (Infinity: not eager). */
  #retryAt: number;

  constructor(o: BacklogOptions) {
    this.#fd = o.fd;
    this.#batch = o.batch ?? (o.sink === undefined ? BATCH_BYTES : SINK_BATCH_BYTES);
    this.#limit = Math.max(0, o.limit ?? DEFAULT_BACKLOG);
    this.#onWait = o.onWait;
    this.#setBlocking = o.setBlocking;
    this.#eager = o.eager ?? true;
    this.#sink = o.sink;
    this.#reuse = o.sink !== undefined && o.reuseBatch === true;
    this.buf = batchBytes(o.batch === undefined ? Math.min(FIRST_BATCH_BYTES, this.#batch) : this.#batch);
    this.view = viewOf(this.buf);
    this.#retryAt = this.#eager ? EAGER_RETRY_BYTES : Infinity;
  }

  /** Bytes queued and not yet written (the batch being filled not counted). */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Makes room for a record of `size` bytes in `buf` at `used`: a full batch
   * is queued and written (waiting only if the queue is over its bound).
   * Returns `used`, the offset to write at.
   */
  reserve(size: number): number {
    const used = this.used;
    // The common case alone, small enough to be inlined into the tap's observer (and that into hurd-ffi's emit).
    if (used + size <= this.buf.length && used < this.#retryAt) return used;
    return this.#reserveSlow(size);
  }

  /** reserve's other cases: the eager retry point passed, or a full batch (a new one started). */
  #reserveSlow(size: number): number {
    if (this.used + size <= this.buf.length) {
      this.#retry();
      return this.used;
    }
    this.#enqueue();
    /*
     * A sink that keeps nothing of its bytes (reuseBatch): the full batch is
     * given to it now and, taken whole (a sink takes everything), filled
     * again from its start. A new batch each time was an ArrayBuffer
     * allocated outside V8's heap (Buffer.allocUnsafeSlow, its size check,
     * a DataView): ~1,100 of them of 32 KiB in a storm of 100,000 null
     * RPCs (BENCHMARKS.md, 2026-11-30 21:14 section).
     */
    if (this.#reuse && this.#eager && this.buf.length >= size && this.buf.length >= this.#batch) {
      this.used = 0;
      this.#start = 0;
      this.flushes++;
      this.#giveFull();
      this.#retryAt = EAGER_RETRY_BYTES;
      if (this.#queued === 0 || this.broken) return 0;
      // Not taken (a sink takes all: never so far): a new batch, the old one left to the queue.
      this.buf = batchBytes(this.#batch);
      this.view = viewOf(this.buf);
      return 0;
    }
    this.buf = batchBytes(Math.max(this.#batch, size));
    this.view = viewOf(this.buf);
    this.used = 0;
    this.#start = 0;
    if (this.#eager) {
      this.flushes++;
      if (this.#sink === undefined) this.#write(false);
      else this.#giveFull();
      this.#retryAt = EAGER_RETRY_BYTES;
    }
    if (this.#queued > this.#limit) this.#waitUnder(this.#limit);
    return 0;
  }

  /** #write for a full batch, the sink told it is one (its `full`). */
  #giveFull(): void {
    this.#full = true;
    try {
      this.#write(false);
    } finally {
      this.#full = false;
    }
  }

  /**
   * Eager, EAGER_RETRY_BYTES into a batch: if the tracer is behind (bytes
   * still queued), what the batch holds so far joins the queue and the
   * descriptor takes what it can, without waiting; otherwise the batch goes
   * whole when full, as before (no more writes, nor wake-ups of the
   * tracer, when it keeps up).
   */
  #retry(): void {
    this.#retryAt = this.used + EAGER_RETRY_BYTES;
    if (this.#queued === 0 || this.broken) return;
    this.flushes++;
    this.#enqueue();
    this.#write(false);
  }

  /**
   * Queues what was written since the last flush and writes what the
   * descriptor takes without waiting. Returns true if bytes are still queued.
   */
  flush(): boolean {
    this.flushes++;
    this.#enqueue();
    this.#write(false);
    return this.#queued > 0;
  }

  /** Writes everything, waiting on the tracer as long as it takes (the program's exit). */
  finish(): void {
    this.#enqueue();
    this.#waitUnder(0);
  }

  #enqueue(): void {
    if (this.broken) {
      this.used = this.#start = 0;
      return;
    }
    if (this.used > this.#start) {
      this.#queue.push(this.buf.subarray(this.#start, this.used));
      this.#queued += this.used - this.#start;
      this.#start = this.used;
    }
  }

  /**
   * Writes queued bytes in order until no more than `under` are queued, or
   * (not waiting) until the descriptor is full.
   */
  #write(wait: boolean, under = 0): void {
    let blocking = false;
    try {
      blocking = this.#writeLoop(wait, under);
    } finally {
      if (blocking) this.#setBlocking?.(false);
    }
  }

  /** #write's loop; true if it switched the descriptor to blocking (to be switched back). */
  #writeLoop(wait: boolean, under: number): boolean {
    let nap = NAP_MIN_MS;
    let blocking = false;
    while (this.#queued > under && !this.broken) {
      const head = this.#queue[0]!;
      let n: number;
      try {
        n = this.#sink === undefined ? writeSync(this.#fd, head, this.#head, head.length - this.#head) : this.#give(this.#sink, head);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
          // hurd-rpctrace went away: stop tracing, let the program run on.
          this.#drop();
          break;
        }
        if (!wait) break;
        if (!blocking && this.#setBlocking?.(true) === true) blocking = true;
        else {
          Atomics.wait(this.#pause, 0, 0, nap);
          nap = Math.min(nap * 2, NAP_MAX_MS);
        }
        continue;
      }
      nap = NAP_MIN_MS;
      this.#head += n;
      this.#queued -= n;
      if (this.#head === head.length) {
        this.#queue.shift();
        this.#head = 0;
      }
    }
    return blocking;
  }

  /** The sink's write: all of what is left of `head`. */
  #give(sink: (bytes: Uint8Array, full: boolean) => void, head: Uint8Array): number {
    sink(this.#head === 0 ? head : head.subarray(this.#head), this.#full);
    return head.length - this.#head;
  }

  #waitUnder(bound: number): void {
    if (this.#queued <= bound || this.broken) return;
    this.waits++;
    this.#onWait?.(this.#queued);
    this.#write(true, bound);
  }

  #drop(): void {
    this.broken = true;
    this.#queue.length = 0;
    this.#queued = 0;
    this.#head = 0;
    this.used = this.#start = 0;
  }
}
