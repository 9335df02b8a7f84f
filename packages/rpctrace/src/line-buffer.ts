/**
 * A trace's text as UTF-8 bytes, appended in place: the command's line
 * path (TraceSession.feedInto, cli/consume.ts) writes its lines here and
 * the file gets the bytes as they are.
 *
 * Why bytes: a storm's lines built as strings (a seqno prefix, the
 * renderer's kept request-and-reply text, joined per line, per chunk and
 * per write) cost more than the tracer's pairing of the line's four
 * messages: the strings' joins, their flattening when written (V8 walks
 * the joined pieces and copies them, then encodes the copy) and their
 * garbage. Here a line is its prefix's few bytes and one copy of the
 * kept text's bytes.
 */

/** ASCII digits. */
const ZERO = 0x30;
const SPACE = 0x20;
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const QUESTION = 0x3f;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
/** `00` to `99`: each number's two ASCII digits at twice its index (render.ts #callLineInto's seqno too). */
export const PAIRS = new Uint8Array(200);
for (let n = 0; n < 100; n++) {
  PAIRS[2 * n] = ZERO + ((n / 10) | 0);
  PAIRS[2 * n + 1] = ZERO + (n % 10);
}
/** Lower-case hex digits (quoteBytes' `\\x` escapes: toString(16)). */
const HEX = new Uint8Array([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);

/**
 * Whether bytes `from` to `to` of a line hold what starts a line for
 * cli/consume.ts's tag (a RegExp `^` with the m flag: \n, \r, U+2028,
 * U+2029; the last two's UTF-8 starts with 0xe2, which is taken for either).
 */
export function breaksLine(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c === 0x0a || c === 0x0d || c === 0xe2) return true;
  }
  return false;
}

export class LineBuffer {
  /**
   * The bytes, `length` of them written. A Buffer for its write(): it
   * encodes a string in place with no object made, where TextEncoder's
   * encodeInto wanted a subarray and gave a result object per string
   * (two per line on a storm whose lines all differ). Both replace a lone
   * surrogate with U+FFFD alike (line-buffer.test.ts).
   */
  bytes: Buffer;
  length = 0;

  constructor(size: number = 1 << 17) {
    this.bytes = Buffer.alloc(size);
  }

  /**
   * Room for `n` more bytes (the buffer grows; what it held is kept). The
   * common case, a compare, is all this holds, so that every writer
   * inlines it: with the growth in it, #callLineInto (its inlining budget
   * spent) called it per line, ~118 instructions a call with its frame
   * (callgrind, BENCHMARKS.md 2026-12-01 section).
   */
  room(n: number): void {
    if (this.length + n > this.bytes.length) this.#grow(n);
  }

  /** room() when the buffer is too small: a new one of twice the size (or more) with what it held. */
  #grow(n: number): void {
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const b = Buffer.alloc(size);
    b.set(this.bytes.subarray(0, this.length));
    this.bytes = b;
  }

  /** `s` in UTF-8. */
  text(s: string): void {
    if (s === '') return;
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    this.room(s.length * 3);
    this.length += this.bytes.write(s, this.length);
  }

  /**
   * `s` in UTF-8, as text(s): a short string of ASCII (a routine's or an
   * argument's name, a number's digits) stored code unit by code unit in
   * the JIT's code; a longer one, or one with a code unit past ASCII, by
   * Buffer's write (a call into the runtime, which flattens and encodes:
   * on a storm whose lines all differ, the encoding of a line's request
   * and reply strings cost more than making them).
   */
  str(s: string): void {
    const n = s.length;
    if (n > 64) {
      this.text(s);
      return;
    }
    this.room(n * 3);
    const out = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Written again whole from its start, encoded.
        this.length += out.write(s, this.length);
        return;
      }
      out[at++] = c;
    }
    this.length = at;
  }

  /**
   * `x` (a whole number from 0 to 2^32 - 1) in decimal, as String(x).
   * seqno()'s digit loop, written again on purpose: shared through two
   * helper functions it cost 8.8M more instructions of the 100,000-RPC
   * `-o FILE` storm (x1.002, 2026-11-30 review).
   */
  decimal(x: number): void {
    this.room(10);
    const out = this.bytes;
    const at = this.length;
    let digits = 1;
    for (let y = x >>> 0; y >= 10; y = (y / 10) >>> 0) digits++;
    let y = x >>> 0;
    for (let i = at + digits - 1; i >= at; i--) {
      const q = (y / 10) >>> 0;
      out[i] = ZERO + (y - q * 10);
      y = q;
    }
    this.length = at + digits;
  }

  /**
   * values.ts's quoteBytes(b, max) in UTF-8 (its text is ASCII): the
   * printable bytes copied as they are, the others as C escapes, cut after
   * `max` bytes with `...`.
   */
  quoted(b: Uint8Array, max: number): void {
    const n = Math.min(b.length, max);
    // Each byte at most 4 (\xHH), and the quotes and dots.
    this.room(n * 4 + 5);
    const out = this.bytes;
    let at = this.length;
    out[at++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = b[i] as number;
      if (c >= 0x20 && c < 0x7f && c !== QUOTE && c !== BACKSLASH) {
        out[at++] = c;
        continue;
      }
      out[at++] = BACKSLASH;
      if (c === QUOTE || c === BACKSLASH) out[at++] = c;
      else if (c === 0x0a) out[at++] = 0x6e; // n
      else if (c === 0x09) out[at++] = 0x74; // t
      else if (c === 0) out[at++] = ZERO;
      else {
        out[at++] = 0x78; // x
        out[at++] = HEX[c >>> 4] as number;
        out[at++] = HEX[c & 15] as number;
      }
    }
    out[at++] = QUOTE;
    if (b.length > max) {
      out[at++] = DOT;
      out[at++] = DOT;
      out[at++] = DOT;
    }
    this.length = at;
  }

  /** `b` as it is. */
  put(b: Uint8Array): void {
    this.room(b.length);
    // TypedArray.set even for a line's some tens of bytes: a byte loop costs more, above all while the JIT is cold.
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  /** A line's end. */
  newline(): void {
    this.room(1);
    this.bytes[this.length++] = 0x0a;
  }

  /**
   * render.ts's seqno prefix: `[` the seqno padded to 5 `] ` (a u32: up
   * to 10 digits), `[    ?] ` for none. render.ts #callLineInto (a storm's
   * line) writes a number's prefix itself, the same way: keep the two alike
   * (line-render.test.ts compares them).
   */
  seqno(seqno: number | null): void {
    this.room(13);
    const out = this.bytes;
    let at = this.length;
    out[at++] = OPEN;
    if (seqno === null) {
      out[at++] = SPACE;
      out[at++] = SPACE;
      out[at++] = SPACE;
      out[at++] = SPACE;
      out[at++] = QUESTION;
    } else {
      // msgh_seqno is a u32 (`>>> 0` keeps the quotients whole without Math.floor). Its digits counted
      // and written two at a time (a table of pairs): half the divisions of a digit-by-digit loop. Loops,
      // not a chain of compares by length: a compare first run at seqno 10000, tens of thousands of
      // records into a trace, would throw the optimised code away (V8: insufficient type feedback).
      const x = seqno >>> 0;
      let digits = 1;
      let y = x;
      for (; y >= 100; y = (y / 100) >>> 0) digits += 2;
      if (y >= 10) digits++;
      for (let i = digits; i < 5; i++) out[at++] = SPACE;
      at += digits;
      let i = at - 1;
      y = x;
      while (y >= 100) {
        const q = (y / 100) >>> 0;
        const r = (y - q * 100) << 1;
        out[i] = PAIRS[r + 1] as number;
        out[i - 1] = PAIRS[r] as number;
        i -= 2;
        y = q;
      }
      if (y >= 10) {
        out[i] = PAIRS[(y << 1) + 1] as number;
        out[i - 1] = PAIRS[y << 1] as number;
      } else out[i] = ZERO + y;
    }
    out[at++] = CLOSE;
    out[at++] = SPACE;
    this.length = at;
  }

  /** The bytes written, as text (a caller with no byte sink: stderr). */
  toString(): string {
    return new TextDecoder().decode(this.bytes.subarray(0, this.length));
  }
}
