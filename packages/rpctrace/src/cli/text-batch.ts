/**
 * The trace's text on its way to a file descriptor, batched as bytes: the
 * owner writes it out once 64 KiB wait (or when it chooses: a turn of the
 * event loop, a batch of records, the end), not once per line. Strings are
 * encoded into the batch in place, never into a Buffer of their own.
 */
export class TextBatch {
  /** When this many bytes wait, add* says it is time to drain. */
  static readonly DRAIN_AT = 64 * 1024;
  private pending = Buffer.allocUnsafe(128 * 1024);
  /** Bytes waiting. */
  used = 0;

  /** Appends `s` as UTF-8; true when DRAIN_AT bytes or more wait. */
  addText(s: string): boolean {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    this.room(s.length * 3);
    this.used += this.pending.write(s, this.used);
    return this.used >= TextBatch.DRAIN_AT;
  }

  /** Appends a copy of `b` (the caller may reuse it); true when DRAIN_AT bytes or more wait. */
  addBytes(b: Uint8Array): boolean {
    this.room(b.length);
    this.pending.set(b, this.used);
    this.used += b.length;
    return this.used >= TextBatch.DRAIN_AT;
  }

  /** Gives the waiting bytes (the first `n` of `bytes`) to `write`, then empties the batch. */
  drain(write: (bytes: Buffer, n: number) => void): void {
    if (this.used > 0) write(this.pending, this.used);
    this.used = 0;
  }

  private room(n: number): void {
    if (this.used + n <= this.pending.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.pending.length * 2, this.used + n));
    this.pending.copy(bigger, 0, 0, this.used);
    this.pending = bigger;
  }
}
