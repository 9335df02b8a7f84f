import { WireError } from './errors.js';

/**
 * Framing: every frame is `u32 length (LE) | u8 kind | payload`, where length
 * counts the kind byte and the payload. Works over any ordered byte stream.
 */
export const FrameKind = {
  HELLO: 1,
  AUTH: 2,
  CLOSE: 3,
  CONTROL: 4,
  MESSAGE: 5,
  OOL_CHUNK: 6,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const KINDS: ReadonlySet<number> = new Set(Object.values(FrameKind));

export const FRAME_PREFIX = 4;

export interface RawFrame {
  kind: FrameKind;
  payload: Uint8Array;
}

/** Frame header + payload as one buffer. */
export function encodeFrame(kind: FrameKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_PREFIX + 1 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 1 + payload.length, true);
  out[4] = kind;
  out.set(payload, 5);
  return out;
}

/**
 * Incremental frame splitter. It buffers at most one frame (bounded by
 * `maxFrameBytes`); a length prefix over the limit is an error before any
 * allocation for it.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  push(bytes: Uint8Array): RawFrame[] {
    if (bytes.length > 0) {
      this.chunks.push(bytes);
      this.buffered += bytes.length;
    }
    const out: RawFrame[] = [];
    for (;;) {
      if (this.buffered < FRAME_PREFIX) break;
      const head = this.peek(FRAME_PREFIX);
      const len = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
      if (len < 1) throw new WireError('truncated', 'zero-length frame');
      if (len > this.maxFrameBytes) throw new WireError('frame_too_large', `frame of ${len} bytes over ${this.maxFrameBytes}`);
      if (this.buffered < FRAME_PREFIX + len) break;
      const all = this.take(FRAME_PREFIX + len);
      const kind = all[FRAME_PREFIX]!;
      if (!KINDS.has(kind)) throw new WireError('unknown_frame_kind', `frame kind ${kind}`);
      out.push({ kind: kind as FrameKind, payload: all.subarray(FRAME_PREFIX + 1) });
    }
    return out;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return this.gather(n, false);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const v = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return v;
    }
    return this.gather(n, true);
  }

  private gather(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.chunks[i]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (consume) {
        if (k === c.length) {
          this.chunks.shift();
        } else {
          this.chunks[0] = c.subarray(k);
        }
      } else {
        i++;
      }
    }
    if (consume) this.buffered -= n;
    return out;
  }
}
