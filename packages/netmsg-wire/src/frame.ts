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
  /** The payload is a buffer of the reader's own (gathered across pushes), not a view of bytes the caller pushed. */
  owned?: boolean;
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

/** The head of a frame (length prefix and kind) whose payload of `payloadLength` bytes is written after it. */
export function frameHead(kind: FrameKind, payloadLength: number): Uint8Array {
  const out = new Uint8Array(FRAME_PREFIX + 1);
  new DataView(out.buffer).setUint32(0, 1 + payloadLength, true);
  out[4] = kind;
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

  constructor(private maxFrameBytes: number) {}

  /** Change the frame size limit (for frames not yet started). */
  setMaxFrameBytes(n: number): void {
    this.maxFrameBytes = n;
  }

  push(bytes: Uint8Array): RawFrame[] {
    this.feed(bytes);
    const out: RawFrame[] = [];
    for (let f = this.next(); f; f = this.next()) out.push(f);
    return out;
  }

  /** Buffer received bytes; take the frames out with `next`. */
  feed(bytes: Uint8Array): void {
    if (bytes.length > 0) {
      this.chunks.push(bytes);
      this.buffered += bytes.length;
    }
  }

  /**
   * The next complete frame, if one is buffered. One at a time, so a limit
   * changed after a frame (`setMaxFrameBytes`) applies to the frames after it.
   */
  next(): RawFrame | undefined {
    if (this.buffered < FRAME_PREFIX) return undefined;
    const head = this.peek(FRAME_PREFIX);
    const len = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
    if (len < 1) throw new WireError('truncated', 'zero-length frame');
    if (len > this.maxFrameBytes) throw new WireError('frame_too_large', `frame of ${len} bytes over ${this.maxFrameBytes}`);
    if (this.buffered < FRAME_PREFIX + len) return undefined;
    const owned = this.chunks[0]!.length < FRAME_PREFIX + len;
    const all = this.take(FRAME_PREFIX + len);
    const kind = all[FRAME_PREFIX]!;
    if (!KINDS.has(kind)) throw new WireError('unknown_frame_kind', `frame kind ${kind}`);
    return owned ? { kind: kind as FrameKind, payload: all.subarray(FRAME_PREFIX + 1), owned } : { kind: kind as FrameKind, payload: all.subarray(FRAME_PREFIX + 1) };
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
