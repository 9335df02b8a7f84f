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
  /** The payload was read into the memory a `BodyPlacer` named (so also `owned`): never lent to the pool. */
  placed?: boolean;
}

/**
 * Where the body of a frame goes, decided from its head: asked once the
 * length prefix and kind of a frame have arrived and the rest has not.
 * Returns memory of exactly `payloadLength` bytes to read the payload
 * straight into (the reader writes nothing outside it), or undefined for a
 * buffer of the reader's own.
 */
export type BodyPlacer = (kind: number, payloadLength: number) => Uint8Array | undefined;

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
  /**
   * Where the unframed bytes of `chunks[0]` start: frames are taken off the
   * first chunk by moving this offset, not by cutting a view of the rest
   * (a typed array per frame, and another for the length prefix, were a
   * visible share of a small RPC's cost).
   */
  private at = 0;
  /** Unframed bytes in `chunks` (from `at` on in the first). */
  private buffered = 0;
  /** The frame being filled (length prefix included), once its prefix arrived and the rest did not. */
  private partial: Uint8Array | undefined;
  private filled = 0;
  private scratch: Uint8Array | undefined;
  /** The last view `receiveBuffer` lent out. */
  private lent: Uint8Array | undefined;
  private partialPooled = false;
  /** The payload being read into placed memory (`placer`), its frame's kind, and `filled` counts its bytes. */
  private target: Uint8Array | undefined;
  private targetKind = 0;
  /** Asked where a frame's body goes (Connection sets it); without one, the reader's own buffers. */
  placer: BodyPlacer | undefined;

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
    const p = this.partial ?? this.target;
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
    const p = this.partial ?? this.target;
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
    const p = this.partial ?? this.target;
    if (p && v.buffer === p.buffer && v.byteOffset === p.byteOffset + this.filled) this.filled += n;
    else this.feed(v.subarray(0, n));
  }

  /** Copy whatever bytes of the scratch buffer the reader still holds (at most a partial length prefix), so it can be reused. */
  settle(): void {
    const s = this.scratch;
    if (!s || this.chunks.length === 0) return;
    this.chunks = this.chunks.map((c, i) => (c.buffer === s.buffer ? c.slice(i === 0 ? this.at : 0) : i === 0 && this.at > 0 ? c.subarray(this.at) : c));
    this.at = 0;
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
    const t = this.target;
    if (t) {
      if (this.filled < t.length) return undefined;
      this.target = undefined;
      this.filled = 0;
      return { kind: this.targetKind as FrameKind, payload: t, owned: true, placed: true };
    }
    if (this.buffered < FRAME_PREFIX) return undefined;
    const first = this.chunks[0]!;
    const at = this.at;
    // u32 LE read by hand, in place when the first chunk holds it: no DataView or view per frame.
    const head = first.length - at >= FRAME_PREFIX ? first : this.gather(FRAME_PREFIX, false);
    const h = head === first ? at : 0;
    const len = (head[h]! | (head[h + 1]! << 8) | (head[h + 2]! << 16) | (head[h + 3]! << 24)) >>> 0;
    if (len < 1) throw new WireError('truncated', 'zero-length frame');
    if (len > this.maxFrameBytes) throw new WireError('frame_too_large', `frame of ${len} bytes over ${this.maxFrameBytes}`);
    if (this.buffered < FRAME_PREFIX + len) {
      if (this.placer && len > 1 && this.buffered > FRAME_PREFIX && this.placeBody(len)) return undefined;
      // Every byte buffered belongs to this frame: give it its own buffer now
      // (a pooled one when large: a bulk transfer's frames reuse released buffers).
      const fromPool = this.pool?.take(FRAME_PREFIX + len);
      const frame = fromPool ?? frameBuffer(FRAME_PREFIX + len);
      this.partialPooled = fromPool !== undefined;
      let to = 0;
      for (let i = 0; i < this.chunks.length; i++) {
        const c = this.chunks[i]!;
        frame.set(i === 0 && at > 0 ? c.subarray(at) : c, to);
        to += c.length - (i === 0 ? at : 0);
      }
      this.chunks = [];
      this.at = 0;
      this.buffered = 0;
      this.partial = frame;
      this.filled = to;
      return undefined;
    }
    const n = FRAME_PREFIX + len;
    if (first.length - at < n) return this.frameOf(this.gather(n, true), true);
    // The whole frame in the first chunk: its payload is a view of it.
    const kind = first[at + FRAME_PREFIX]!;
    if (!KINDS.has(kind)) throw new WireError('unknown_frame_kind', `frame kind ${kind}`);
    const payload = first.subarray(at + FRAME_PREFIX + 1, at + n);
    this.buffered -= n;
    if (at + n === first.length) {
      if (this.chunks.length === 1) this.chunks.length = 0;
      else this.chunks.shift();
      this.at = 0;
    } else this.at = at + n;
    return { kind: kind as FrameKind, payload };
  }

  /**
   * The frame at the front has its head buffered and not all of its body:
   * ask the placer where the body goes. Placed: the body bytes buffered so
   * far are copied there and the rest is read there (`receiveBuffer`).
   */
  private placeBody(len: number): boolean {
    const kind = this.byteAt(FRAME_PREFIX);
    if (!KINDS.has(kind)) throw new WireError('unknown_frame_kind', `frame kind ${kind}`);
    const t = this.placer!(kind, len - 1);
    if (t === undefined || t.length !== len - 1) return false;
    let skip = FRAME_PREFIX + 1;
    let to = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      let c = this.chunks[i]!;
      if (i === 0 && this.at > 0) c = c.subarray(this.at);
      const k = Math.min(skip, c.length);
      skip -= k;
      if (k < c.length) {
        t.set(k === 0 ? c : c.subarray(k), to);
        to += c.length - k;
      }
    }
    this.chunks = [];
    this.at = 0;
    this.buffered = 0;
    this.target = t;
    this.targetKind = kind;
    this.filled = to;
    return true;
  }

  /** The unframed byte `i` places on (across chunks). */
  private byteAt(i: number): number {
    let at = this.at + i;
    for (const c of this.chunks) {
      if (at < c.length) return c[at]!;
      at -= c.length;
    }
    throw new WireError('truncated', 'internal: byte past the buffered ones');
  }

  /** The placed memory a frame is being read into, if any (its body is not complete). */
  get placing(): Uint8Array | undefined {
    return this.target;
  }

  /** Stop reading into placed memory (the link ended): the reader takes nothing more of that frame. */
  abandonPlacing(): void {
    this.target = undefined;
    this.filled = 0;
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

  /** The next `n` unframed bytes (spread over several chunks) copied into a buffer of their own; `consume` takes them off. */
  private gather(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let to = 0;
    let i = 0;
    let from = this.at;
    while (to < n) {
      const c = this.chunks[i]!;
      const k = Math.min(c.length - from, n - to);
      out.set(c.subarray(from, from + k), to);
      to += k;
      if (consume && from + k === c.length) {
        this.chunks.shift();
        this.at = 0;
      } else if (consume) {
        this.at = from + k;
      } else i++;
      from = consume ? this.at : 0;
    }
    if (consume) this.buffered -= n;
    return out;
  }
}
