import { WireError } from './errors.js';
import type { ReceivePool } from './receive-pool.js';

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
  /** The frame's buffer came from the reader's receive pool (so also `owned`): a consumer may `lend` it on. */
  pooled?: boolean;
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

/** Bytes of the reader's own buffer for reads placed in place (`receiveBuffer`) between frames. */
const SCRATCH_BYTES = 64 * 1024;

/**
 * A fresh buffer of `n` bytes, not zeroed: the reader fills every byte of a
 * frame before it hands the frame out, so zeroing would be wasted work (and,
 * for a 1 MiB frame, a memset on top of the copy).
 */
function frameBuffer(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/**
 * Incremental frame splitter. It buffers at most one frame (bounded by
 * `maxFrameBytes`); a length prefix over the limit is an error before any
 * allocation for it.
 *
 * A frame that arrives whole in one pushed chunk comes out as a view of it.
 * A frame whose length prefix has arrived but not all of its bytes gets a
 * buffer of its exact size at once, and later bytes are copied straight in
 * (one copy, while they are hot in the cache, instead of keeping every chunk
 * and gathering them at the end). That buffer is also where a caller that
 * reads in place (`receiveBuffer` / `landed`) has the stream put the rest of
 * the frame, so a large frame's body costs no copy at all.
 */
export class FrameReader {
  /** Pushed bytes not yet framed: whole frames, or the start of one whose length prefix is incomplete. */
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** The frame being filled (length prefix included), once its prefix arrived and the rest did not. */
  private partial: Uint8Array | undefined;
  private filled = 0;
  private scratch: Uint8Array | undefined;
  /** The last view `receiveBuffer` lent out. */
  private lent: Uint8Array | undefined;
  private partialPooled = false;

  /** `pool`: where frames of a large size get their buffers (receive-pool.ts); without one, each its own. */
  constructor(
    private maxFrameBytes: number,
    private readonly pool?: ReceivePool,
  ) {}

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

  /**
   * Buffer received bytes; take the frames out with `next`. The reader may
   * keep views of `bytes` until their frames are taken, so the caller must not
   * change them before that.
   */
  feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const p = this.partial;
    if (p) {
      const k = Math.min(bytes.length, p.length - this.filled);
      p.set(k === bytes.length ? bytes : bytes.subarray(0, k), this.filled);
      this.filled += k;
      if (k === bytes.length) return;
      bytes = bytes.subarray(k);
    }
    this.chunks.push(bytes);
    this.buffered += bytes.length;
  }

  /**
   * Where the caller may have the stream put the next received bytes (for
   * instance net.Socket's `onread` buffer), then report how many with
   * `landed`. Inside a frame that is the rest of that frame's own buffer
   * (so the bytes land where they stay, and a read never crosses the frame's
   * end); between frames, a scratch buffer of the reader's that it reuses.
   */
  receiveBuffer(): Uint8Array {
    const p = this.partial;
    this.lent = p ? p.subarray(this.filled) : (this.scratch ??= new Uint8Array(SCRATCH_BYTES));
    return this.lent;
  }

  /**
   * `n` bytes were written at the start of the view `receiveBuffer` returned
   * last. Take the frames out with `next`, then call `settle` before the next
   * `receiveBuffer`: frames taken in between may be views of the scratch
   * buffer (not `owned`), valid only until then.
   */
  landed(n: number): void {
    const v = this.lent;
    this.lent = undefined;
    if (!v || !Number.isInteger(n) || n < 0 || n > v.length) throw new WireError('bad_message', `landed ${n} bytes in a ${v?.length ?? 0}-byte receive buffer`);
    const p = this.partial;
    if (p && v.buffer === p.buffer && v.byteOffset === p.byteOffset + this.filled) this.filled += n;
    else this.feed(v.subarray(0, n));
  }

  /** Copy whatever bytes of the scratch buffer the reader still holds (at most a partial length prefix), so it can be reused. */
  settle(): void {
    const s = this.scratch;
    if (!s || this.chunks.length === 0) return;
    this.chunks = this.chunks.map((c) => (c.buffer === s.buffer ? c.slice() : c));
  }

  /**
   * The next complete frame, if one is buffered. One at a time, so a limit
   * changed after a frame (`setMaxFrameBytes`) applies to the frames after it.
   */
  next(): RawFrame | undefined {
    const p = this.partial;
    if (p) {
      if (this.filled < p.length) return undefined;
      this.partial = undefined;
      this.filled = 0;
      const pooled = this.partialPooled;
      this.partialPooled = false;
      return this.frameOf(p, true, pooled);
    }
    if (this.buffered < FRAME_PREFIX) return undefined;
    const head = this.peek(FRAME_PREFIX);
    // u32 LE read by hand: no DataView object per frame.
    const len = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
    if (len < 1) throw new WireError('truncated', 'zero-length frame');
    if (len > this.maxFrameBytes) throw new WireError('frame_too_large', `frame of ${len} bytes over ${this.maxFrameBytes}`);
    if (this.buffered < FRAME_PREFIX + len) {
      // Every byte buffered belongs to this frame: give it its own buffer now
      // (a pooled one when large: a bulk transfer's frames reuse released buffers).
      const fromPool = this.pool?.take(FRAME_PREFIX + len);
      const frame = fromPool ?? frameBuffer(FRAME_PREFIX + len);
      this.partialPooled = fromPool !== undefined;
      let at = 0;
      for (const c of this.chunks) {
        frame.set(c, at);
        at += c.length;
      }
      this.chunks = [];
      this.buffered = 0;
      this.partial = frame;
      this.filled = at;
      return undefined;
    }
    const owned = this.chunks[0]!.length < FRAME_PREFIX + len;
    return this.frameOf(this.take(FRAME_PREFIX + len), owned);
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buffered + this.filled;
  }

  private frameOf(all: Uint8Array, owned: boolean, pooled = false): RawFrame {
    const kind = all[FRAME_PREFIX]!;
    if (!KINDS.has(kind)) throw new WireError('unknown_frame_kind', `frame kind ${kind}`);
    if (pooled) return { kind: kind as FrameKind, payload: all.subarray(FRAME_PREFIX + 1), owned, pooled };
    return owned ? { kind: kind as FrameKind, payload: all.subarray(FRAME_PREFIX + 1), owned } : { kind: kind as FrameKind, payload: all.subarray(FRAME_PREFIX + 1) };
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
