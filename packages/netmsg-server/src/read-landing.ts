/**
 * Where readPort's replies land (client.ts): one buffer for the whole
 * file, sized once from io_stat, instead of every reply kept until a final
 * concatenation; or the caller's own buffer (readInto).
 */
import { NetmsgServerError } from './errors.js';

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
   * Once the result is reserved: where the answer for the bytes from `at`
   * may be read in straight from the socket (the result from there, at most
   * `amount` bytes, never past its end; cluster/reply-landing.ts).
   */
  window(at: number, amount: number): Uint8Array | undefined {
    const b = this.buf;
    if (b === null || !Number.isSafeInteger(at) || at < 0 || at >= b.length) return undefined;
    return b.subarray(at, Math.min(b.length, at + amount));
  }

  /**
   * Append `bytes`. Returns true when they are in the result (copied, or read
   * into their place there already: `window`), so the caller may give them up
   * (the client releases a received buffer to the link's pool); false when
   * the landing keeps `bytes` themselves.
   */
  put(bytes: Uint8Array): boolean {
    let copied = false;
    if (this.buf === null) this.parts.push(bytes);
    else {
      if (this.total + bytes.length > this.buf.length) this.grow(Math.max(this.total + bytes.length, 2 * this.buf.length));
      if (bytes.buffer !== this.buf.buffer || bytes.byteOffset !== this.buf.byteOffset + this.total) this.buf.set(bytes, this.total);
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

/**
 * Where readPortInto's replies land: the caller's own memory, `buffer` from
 * byte `offset` on, as read(2) fills the buffer it is given. No result is
 * made, so a caller that reads again into the same buffer pays neither an
 * allocation nor its first-touch page faults. A bulk io_read's out-of-line
 * answer is read from the socket straight into its place (`window`,
 * cluster/reply-landing.ts); any other reply's bytes are copied in once
 * and the reply's buffer goes back to the link's receive pool.
 * The file must fit: io_stat's size is checked before the bulk reads go
 * out (`reserve`), and every part as it comes (a file that grew), with the
 * typed error `buffer_too_small`.
 */
export class IntoLanding {
  total = 0;
  private readonly room: number;

  constructor(
    private readonly buffer: Uint8Array,
    private readonly offset: number,
  ) {
    checkInto(buffer, offset);
    this.room = buffer.length - offset;
  }

  /** The file's size, once known (io_stat): refused at once when it cannot fit. */
  reserve(size: number): void {
    if (size > this.room) throw tooSmall(size, this.room);
  }

  /**
   * Where the answer for the bytes from `at` (counted from the first byte
   * of this landing) may be read in straight from the socket: the buffer
   * from there, at most `amount` bytes and never past its end; undefined
   * when `at` is outside the room.
   */
  window(at: number, amount: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(at) || at < 0 || at >= this.room) return undefined;
    const start = this.offset + at;
    return this.buffer.subarray(start, Math.min(this.buffer.length, start + amount));
  }

  /**
   * Put `bytes` after what landed so far (the caller then gives them back to
   * the receive pool): nothing to copy when they were read into that very
   * place already (`window`), else copied in.
   */
  put(bytes: Uint8Array): void {
    if (this.total + bytes.length > this.room) throw tooSmall(this.total + bytes.length, this.room);
    const at = this.offset + this.total;
    if (bytes.buffer !== this.buffer.buffer || bytes.byteOffset !== this.buffer.byteOffset + at) this.buffer.set(bytes, at);
    this.total += bytes.length;
  }
}

/** readInto's arguments: `bad_option` for a buffer that is not a Uint8Array, `bad_offset` for an offset outside it. */
export function checkInto(buffer: unknown, offset: unknown): void {
  if (!(buffer instanceof Uint8Array)) throw new NetmsgServerError('bad_option', 'readInto: the buffer must be a Uint8Array (a Buffer is one)');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset > buffer.length) {
    throw new NetmsgServerError('bad_offset', `readInto: offset ${String(offset)} is not an integer from 0 to the buffer's length (${buffer.length})`);
  }
}

function tooSmall(need: number, room: number): NetmsgServerError {
  return new NetmsgServerError('buffer_too_small', `readInto: the file needs at least ${need} bytes, the buffer has ${room} from the offset given`);
}
