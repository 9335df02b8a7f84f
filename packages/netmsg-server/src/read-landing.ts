/**
 * Where readPort's replies land (client.ts): one buffer for the whole
 * file, sized once from io_stat, instead of every reply kept until a final
 * concatenation.
 */

/** Largest result `Landing.reserve` allocates ahead (a huge sparse file's size is only a hint). */
export const RESERVE_MAX = 1 << 30;

/**
 * The bytes of one readPort, in file order. Until the size is known they
 * are kept as they came (a small file is usually one part, returned as it
 * is); once `reserve` is told the size, one buffer of that size is made and
 * every part lands in it as it comes, so each reply's buffer can go at once
 * instead of all of them living until a final concatenation. A file that
 * grows past the reservation doubles it.
 */
export class Landing {
  private parts: Uint8Array[] = [];
  private buf: Uint8Array | null = null;
  total = 0;

  reserve(size: number): void {
    if (this.buf !== null || !Number.isSafeInteger(size) || size <= this.total) return;
    this.grow(Math.min(size, Math.max(RESERVE_MAX, this.total)));
  }

  /**
   * Append `bytes`. Returns true when they were copied into the result, so
   * the caller may give them up (the client releases a received buffer to
   * the link's pool); false when the landing keeps `bytes` themselves.
   */
  put(bytes: Uint8Array): boolean {
    let copied = false;
    if (this.buf === null) this.parts.push(bytes);
    else {
      if (this.total + bytes.length > this.buf.length) this.grow(Math.max(this.total + bytes.length, 2 * this.buf.length));
      this.buf.set(bytes, this.total);
      copied = true;
    }
    this.total += bytes.length;
    return copied;
  }

  result(): Uint8Array {
    if (this.buf === null) {
      if (this.parts.length === 1) return this.parts[0]!;
      this.grow(this.total);
    }
    const buf = this.buf!;
    // A file that shrank under us: do not keep a mostly empty buffer alive.
    return this.total === buf.length ? buf : this.total < buf.length / 2 ? buf.slice(0, this.total) : buf.subarray(0, this.total);
  }

  private grow(size: number): void {
    const next = new Uint8Array(size);
    if (this.buf !== null) next.set(this.buf.subarray(0, this.total));
    else {
      let at = 0;
      for (const p of this.parts) {
        next.set(p, at);
        at += p.length;
      }
      this.parts = [];
    }
    this.buf = next;
  }
}
