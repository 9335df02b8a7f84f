/**
 * Splits a netmsg-wire byte stream into whole frames, as the bytes that
 * came (`u32 length | u8 kind | payload`): the tracer forwards frames
 * unchanged, so it keeps each one's exact bytes instead of re-encoding it
 * (RawFrameSplitter, during the handshakes), or passes the bytes on as they
 * come while following their frames (FrameScanner, once both links are up).
 * The bound on a frame is mutable because the tracer learns what it
 * advertised to a side only when the other side's HELLO arrives.
 */
import { FRAME_PREFIX, FrameKind, WireError } from 'netmsg-wire';
import { joinBytes } from '../join-bytes.js';

const KINDS: ReadonlySet<number> = new Set(Object.values(FrameKind));

export class RawFrameSplitter {
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  constructor(public maxFrameBytes: number) {}

  /** Whole frames completed by `bytes`; throws WireError on a bad prefix or kind. */
  push(bytes: Uint8Array): Uint8Array[] {
    if (bytes.length > 0) {
      this.#chunks.push(bytes);
      this.#buffered += bytes.length;
    }
    const out: Uint8Array[] = [];
    while (this.#buffered >= FRAME_PREFIX + 1) {
      const head = this.#peek(FRAME_PREFIX + 1);
      const len = new DataView(head.buffer, head.byteOffset, FRAME_PREFIX).getUint32(0, true);
      if (len < 1) throw new WireError('truncated', 'zero-length frame');
      if (len > this.maxFrameBytes) throw new WireError('frame_too_large', `frame of ${len} bytes over ${this.maxFrameBytes}`);
      if (!KINDS.has(head[FRAME_PREFIX] as number)) throw new WireError('unknown_frame_kind', `frame kind ${head[FRAME_PREFIX]}`);
      if (this.#buffered < FRAME_PREFIX + len) break;
      out.push(this.#take(FRAME_PREFIX + len));
    }
    return out;
  }

  /** Bytes pushed and not yet taken as a whole frame (the start of one), in one buffer; the splitter is left empty. */
  takeRest(): Uint8Array | undefined {
    if (this.#buffered === 0) return undefined;
    const rest = this.#gather(this.#buffered, true);
    this.#chunks = [];
    return rest;
  }

  #peek(n: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array;
    return first.length >= n ? first.subarray(0, n) : this.#gather(n, false);
  }

  #take(n: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array;
    if (first.length >= n) {
      const v = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return v;
    }
    return this.#gather(n, true);
  }

  #gather(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.#chunks[consume ? 0 : i] as Uint8Array;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (!consume) i++;
      else if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    if (consume) this.#buffered -= n;
    return out;
  }
}

/** What `FrameScanner.scan` found in a chunk. */
export interface ScanResult {
  /** The bytes scanned: the chunk, or the head bytes held back from the chunk before and the chunk. */
  bytes: Uint8Array;
  /** bytes[0, forward) may be passed on as they are. */
  forward: number;
  /**
   * True if bytes[forward] starts a frame that must not pass this way (a
   * CLOSE, or a bad head): bytes[forward, end) are for the caller to take
   * apart. False: bytes[forward, end) (under 5 bytes) are the start of a
   * frame head, held back until the next chunk completes it.
   */
  stop: boolean;
}

/**
 * The frame boundaries of a stream whose bytes are forwarded as they come
 * (link mode once both handshakes are done): it follows each frame's length
 * prefix and kind across chunks without copying the frames, so a frame's
 * bytes go on as they arrive, and it finds the first frame that must not
 * (a CLOSE, which ends the link, or a head that does not parse: a bad
 * length or kind), before any byte of it is passed on. A head (prefix and
 * kind, 5 bytes) cut by the end of a chunk is held back until the rest of
 * it arrives (under 5 bytes: the receiver could not use them alone).
 */
export class FrameScanner {
  /** Bytes of the current frame's payload still to come. */
  #left = 0;
  /** The start of a head cut by the end of the last chunk (held back, not passed on). */
  #held: Uint8Array | undefined;

  constructor(public maxFrameBytes: number) {}

  /**
   * True while the bytes passed on end inside a frame: the receiver is
   * reading that frame, so nothing else (a CLOSE of the tracer's) may be
   * written to it now.
   */
  get inFrame(): boolean {
    return this.#left > 0;
  }

  scan(chunk: Uint8Array): ScanResult {
    let bytes = chunk;
    if (this.#held !== undefined) {
      // Rare: a head cut between two reads. One copy of this chunk.
      bytes = joinBytes([this.#held, chunk], this.#held.length + chunk.length);
      this.#held = undefined;
    }
    const n = bytes.length;
    let at = 0;
    for (;;) {
      if (this.#left > 0) {
        const k = Math.min(this.#left, n - at);
        this.#left -= k;
        at += k;
      }
      if (at >= n) return { bytes, forward: n, stop: false };
      if (n - at < FRAME_PREFIX + 1) {
        this.#held = bytes.slice(at);
        return { bytes, forward: at, stop: false };
      }
      const len = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 0x1000000;
      const kind = bytes[at + FRAME_PREFIX]!;
      if (len < 1 || len > this.maxFrameBytes || kind === FrameKind.CLOSE || !KINDS.has(kind)) return { bytes, forward: at, stop: true };
      this.#left = len - 1;
      at += FRAME_PREFIX + 1;
    }
  }
}
