/**
 * Receive buffers for large frames, reused once their last owner gives them
 * back: the receiving half of a bulk transfer (1 MiB io_read replies, each
 * one OOL_CHUNK frame) would otherwise make a fresh 1 MiB buffer per frame,
 * which costs first-touch page faults and external-memory pressure that
 * starts V8's full collections every few tens of MiB.
 *
 * Ownership follows Mach's out-of-line rule: received out-of-line memory is
 * the receiver's alone until it vm_deallocates it. A frame buffer taken here
 * is handed, as the out-of-line item it carries, along to whoever receives
 * the message (the simulated kernel moves the same bytes from task to task
 * without copying); that final owner may give it back with `release` when it
 * is done with it, exactly as a Mach receiver deallocates. The pool only
 * takes back a buffer it lent (`lend`), only once per lending, and only as
 * the very view it lent; everything else is refused, and a buffer nobody
 * gives back is simply collected by the garbage collector. So the same
 * bytes are never handed to two owners: a buffer is in the idle list or
 * lent, never both, and `take` hands out idle buffers only.
 */

/** Frames below this many bytes get a buffer of their own, as before (small frames are cheap and many). */
export const POOL_MIN_BYTES = 256 * 1024;
/** Bytes of idle buffers the pool keeps at most (netmsg-server reads 2 answers of 16 MiB ahead while its reader holds a third: 3 frames of 16 MiB + 4 KiB, and some). */
export const POOL_MAX_IDLE_BYTES = 52 * 1024 * 1024;
/** A released buffer serves a frame up to this many bytes smaller than itself. */
const GRAIN = 4096;

export interface ReceivePoolStats {
  /** Buffers made fresh by `take`. */
  made: number;
  /** `take`s served by a released buffer. */
  reused: number;
  /** Successful `release`s. */
  released: number;
  /** Idle buffers and their bytes. */
  idle: number;
  idleBytes: number;
}

export class ReceivePool {
  private idle: ArrayBuffer[] = [];
  private idleBytes = 0;
  /** Buffers lent out as one view each, until released. */
  private readonly lent = new WeakMap<ArrayBuffer, { offset: number; length: number }>();
  private readonly stats_ = { made: 0, reused: 0, released: 0 };

  constructor(
    readonly minBytes = POOL_MIN_BYTES,
    readonly maxIdleBytes = POOL_MAX_IDLE_BYTES,
  ) {}

  /**
   * A buffer of `n` bytes (not zeroed: the frame reader writes every byte
   * before handing a frame out), or undefined when `n` is under `minBytes`
   * (the caller makes its own). The caller owns it; it returns to the pool
   * only through `lend` + `release`.
   */
  take(n: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(n) || n < this.minBytes) return undefined;
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const b = this.idle[i]!;
      // Frames of about the same size share buffers (a bulk transfer's are all one size).
      if (b.byteLength < n || b.byteLength >= n + GRAIN) continue;
      this.idle[i] = this.idle[this.idle.length - 1]!;
      this.idle.pop();
      this.idleBytes -= b.byteLength;
      this.stats_.reused++;
      return new Uint8Array(b, 0, n);
    }
    this.stats_.made++;
    // allocUnsafeSlow: a buffer of its own (not a slice of Node's shared pool), not zeroed.
    return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
  }

  /**
   * `view` (a part of a buffer `take` gave) goes to an owner who may give it
   * back with `release`. Only the first lending of a buffer counts: a buffer
   * already lent stays lent as it was.
   */
  lend(view: Uint8Array): void {
    const b = view.buffer as ArrayBuffer;
    if (this.lent.has(b)) return;
    this.lent.set(b, { offset: view.byteOffset, length: view.length });
  }

  /**
   * The owner of bytes that came from a receive is done with them (as a
   * Mach receiver's vm_deallocate of out-of-line memory): when they are the
   * very view the pool lent, the buffer is idle again and a later frame
   * reuses it, so the caller must not touch `bytes` afterwards. Returns
   * whether the pool took them; anything else (a copy, a part of the view,
   * a second release, not a Uint8Array) is refused and left alone.
   */
  release(bytes: unknown): boolean {
    if (!(bytes instanceof Uint8Array)) return false;
    const b = bytes.buffer as ArrayBuffer;
    const l = this.lent.get(b);
    if (l === undefined || l.offset !== bytes.byteOffset || l.length !== bytes.length) return false;
    this.lent.delete(b);
    this.stats_.released++;
    if (this.idleBytes + b.byteLength <= this.maxIdleBytes) {
      this.idle.push(b);
      this.idleBytes += b.byteLength;
    }
    return true;
  }

  stats(): ReceivePoolStats {
    return { ...this.stats_, idle: this.idle.length, idleBytes: this.idleBytes };
  }

  /**
   * Drop every idle buffer (the garbage collector takes them): what a
   * long-lived process does once a burst of bulk transfers is over, so the
   * pool's bound is not held for ever. Lent buffers are not affected; a
   * later frame makes a fresh buffer. Returns the bytes dropped.
   */
  trimIdle(): number {
    const bytes = this.idleBytes;
    this.idle = [];
    this.idleBytes = 0;
    return bytes;
  }
}

/** The process's pool, shared by every connection's frame reader. */
export const receivePool = new ReceivePool();

/**
 * Give back out-of-line bytes received over a link once done with them (a
 * receiver's vm_deallocate): see `ReceivePool.release`. Never touch `bytes`
 * afterwards. Returns whether they were a pooled receive buffer.
 */
export function releaseReceived(bytes: Uint8Array): boolean {
  return receivePool.release(bytes);
}
