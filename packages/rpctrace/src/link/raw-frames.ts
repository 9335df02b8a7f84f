/**
 * Splits a netmsg-wire byte stream into whole frames, as the bytes that
 * came (`u32 length | u8 kind | payload`): the tracer forwards frames
 * unchanged, so it keeps each one's exact bytes instead of re-encoding it.
 * The bound on a frame is mutable because the tracer learns what it
 * advertised to a side only when the other side's HELLO arrives.
 */
import { FRAME_PREFIX, FrameKind, WireError } from 'netmsg-wire';

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
