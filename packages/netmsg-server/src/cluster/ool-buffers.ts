import type { LinkFrame } from 'netmsg-wire';

/**
 * Whole buffers for the out-of-line data a node sends over its links, given
 * back once the link's socket has written them: the node's free list of
 * pages for bulk replies (an io_read answer of up to 16 MiB).
 *
 * The bytes of an io_read answer go, without a copy, from the host read
 * (`prefetchRead`, into a buffer taken here) into the export task's memory
 * (vm_allocate + vm_write by ownership, hurd-ffi page runs), into the reply's
 * kmsg (copyin with deallocate takes the pages), into the netmsg task
 * (copyout adopts them), out of it (vm_read + vm_deallocate takes them) and
 * into the link's writev as views. At each step the pages leave the task
 * that gave them (Mach's src_destroy): when the socket has written them, the
 * buffer is nobody's, and a fresh allocation per answer (its page
 * faults, malloc/free, and V8 collections driven by external memory) can be
 * replaced by reusing it.
 *
 * Safety does not rest on the path being the usual one: a buffer is taken
 * back only if this pool lent it and has not had it back since (identity of
 * its ArrayBuffer), and only from a frame the link finished writing. Where
 * any step copied instead (a page run split by a write, a partial last page,
 * a kernel observer, a local delivery to a task of this node) the bytes
 * written are a copy, not a lent buffer, and the lent one is simply left to
 * the garbage collector; it is never reused while anything may see it.
 */
export class OolBufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** Buffers out of the pool: only these are taken back, each once. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  /** Buffers handed out, and how many of them were reused ones (tests, benches). */
  taken = 0;
  reused = 0;

  /**
   * `bytes`: the size of every buffer; `keep`: how many free ones are kept
   * (more given back are dropped), which bounds the memory the pool holds.
   */
  constructor(
    readonly bytes: number,
    readonly keep: number,
  ) {}

  /** A buffer of `bytes` bytes, not zeroed (the caller overwrites what it sends). It is the caller's until given back. */
  take(): Uint8Array {
    this.taken++;
    let ab = this.free.pop();
    if (ab) this.reused++;
    else ab = pageAligned(this.bytes);
    this.lent.add(ab);
    return new Uint8Array(ab);
  }

  /**
   * Nobody uses the bytes of `view` any more: if it is a view of a buffer
   * this pool lent (and has not had back), the buffer is free again.
   * Anything else is ignored. Returns whether it was taken back.
   */
  giveBack(view: Uint8Array): boolean {
    const ab = view.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.lent.has(ab)) return false;
    this.lent.delete(ab);
    if (this.free.length < this.keep) this.free.push(ab);
    return true;
  }

  /** Free buffers held (tests). */
  get idle(): number {
    return this.free.length;
  }

  /** Drop every free buffer (cluster/idle-trim.ts); lent ones come back as usual. Returns the bytes dropped. */
  trimIdle(): number {
    const bytes = this.free.length * this.bytes;
    this.free.length = 0;
    return bytes;
  }
}

/** WebAssembly pages are 64 KiB. */
const WASM_PAGE = 64 * 1024;

/**
 * A fresh buffer whose first byte starts a page. The kernel copies between
 * the page cache or socket buffers (page aligned) and user memory with
 * `rep movsb`, which on this machine's CPU (AMD EPYC) runs about four times
 * slower when the user buffer is not aligned to a cache line: 0.5-0.6 ms
 * per MiB instead of 0.13 (pread into a buffer at page offset 16, the offset
 * of glibc's large, mmapped allocations, against page offsets 0 or 64;
 * BENCHMARKS.md). An ArrayBuffer's address cannot be chosen from
 * JavaScript, but a WebAssembly memory is page aligned (V8 maps it by
 * itself). Where one cannot be made (no WebAssembly, or address space
 * refused), a plain ArrayBuffer: correct, only slower to copy.
 */
export function pageAligned(bytes: number): ArrayBuffer {
  const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
  if (bytes > 0 && bytes % WASM_PAGE === 0 && wasm) {
    try {
      const pages = bytes / WASM_PAGE;
      return new wasm.Memory({ initial: pages, maximum: pages }).buffer;
    } catch {
      // Fall through: a plain buffer.
    }
  }
  return new ArrayBuffer(bytes);
}

/**
 * Pools of buffers of a few sizes, one interface: an answer is read into a
 * buffer of the smallest size that holds it, so a 1 MiB answer does not take
 * (and, eight in flight, make afresh) a 16 MiB buffer, and a buffer given
 * back goes to the pool that lent it. `taken` and `reused` add up the pools'.
 */
export class OolBufferTiers {
  /** The pools, smallest buffers first. */
  readonly pools: readonly OolBufferPool[];

  constructor(pools: readonly OolBufferPool[]) {
    this.pools = [...pools].sort((a, b) => a.bytes - b.bytes);
  }

  /** The largest answer a pooled buffer holds. */
  get bytes(): number {
    return this.pools[this.pools.length - 1]?.bytes ?? 0;
  }

  /** A buffer of at least `want` bytes (its whole length: the caller uses a view), from the smallest pool that fits; `want` <= `bytes`. */
  take(want: number): Uint8Array {
    const pool = this.pools.find((p) => p.bytes >= want);
    if (!pool) throw new RangeError(`no pooled buffer holds ${want} bytes`);
    return pool.take();
  }

  /** OolBufferPool.giveBack on the pool that lent `view`'s buffer, if any. */
  giveBack(view: Uint8Array): boolean {
    for (const p of this.pools) if (p.giveBack(view)) return true;
    return false;
  }

  get taken(): number {
    return this.pools.reduce((n, p) => n + p.taken, 0);
  }

  get reused(): number {
    return this.pools.reduce((n, p) => n + p.reused, 0);
  }

  /** Free buffers held, all pools (tests). */
  get idle(): number {
    return this.pools.reduce((n, p) => n + p.idle, 0);
  }

  /** OolBufferPool.trimIdle on every pool: the bytes dropped. */
  trimIdle(): number {
    return this.pools.reduce((n, p) => n + p.trimIdle(), 0);
  }
}

/**
 * Out-of-line buffers of io_read answers: 16 MiB ones (MAX_READ, what a bulk
 * reader asks for), 2 free at most, as a client reading ahead keeps 2 such
 * answers in flight (client.ts READ_AHEAD); and 4 MiB ones, 8 free at most,
 * for answers of 256 KiB to 4 MiB (a reader of 1 MiB pieces, 8 in flight).
 * 64 MiB idle at most. The export's other requests at once get fresh ones.
 */
export const oolBuffers = new OolBufferTiers([new OolBufferPool(4 << 20, 8), new OolBufferPool(16 << 20, 2)]);

/**
 * What the netmsg task does once a frame it sends is written: out-of-line
 * bytes it took from its memory are its alone (vm_read + vm_deallocate took
 * the pages), so buffers of `pool` among them go back to it. Undefined for a
 * frame without out-of-line bytes (nothing to wait for).
 */
export function givenBackWhenWritten(f: LinkFrame, pool: Pick<OolBufferPool, 'giveBack'> = oolBuffers): (() => void) | undefined {
  if (f.kind !== 'message') return undefined;
  const msg = f.msg;
  for (const it of msg.items) {
    if (it.kind === 'ool' && it.data.length > 0) {
      return () => {
        for (const o of msg.items) if (o.kind === 'ool') pool.giveBack(o.data);
      };
    }
  }
  return undefined;
}
