/**
 * LinkSplice: the sans-IO core of link mode. The tracer sits between side
 * `a` (the peer that connected to its --listen address) and side `b` (the
 * peer it connected to with --connect) and is, to each, the other peer:
 *
 * - It holds the link's shared secret and runs netmsg-wire's handshake with
 *   each side (PROTOCOL.md §2), presenting to each side the other side's
 *   HELLO fields (node id, ABI, versions, caps, window, max frame) with a
 *   fresh nonce of its own. So each peer sees the node it would have seen
 *   on a direct link, and every later frame means the same thing to it.
 *   Side a speaks first (netmsg-wire peers send HELLO on connect), so b is
 *   greeted only once a's HELLO says which node a is.
 * - After both handshakes, every frame is forwarded unchanged and in order
 *   (its exact bytes), one queue per direction: frames a side sends before
 *   the other side is authenticated wait in that direction's queue; nothing
 *   here ever waits for the printer.
 * - Once both links are up and nothing waits in a queue, a side's bytes
 *   pass on as they came, chunk by chunk (`pass`): a FrameScanner follows
 *   their frame heads (length within the bound advertised, a known kind)
 *   and stops at the first CLOSE or bad head, which `receive` takes apart
 *   as before. After the handshakes the protocol has no per-frame MAC or
 *   sequence (PROTOCOL.md §2: the HELLO/AUTH exchange authenticates the
 *   link, not each frame), so the bytes a node sent are the bytes the other
 *   would have had on a direct link. Their decoding (`decode`) comes after,
 *   off the forwarding path: a frame whose body the tracer cannot take has
 *   then already reached the other node (which refuses it itself, as on a
 *   direct link), and the tracer still ends both links saying why.
 * - MESSAGE frames (with their OOL_CHUNK runs) are decoded by each side's
 *   Connection, for the trace only.
 * - A CLOSE from one side is forwarded as it came, and both links end; a
 *   side that goes away without one, a frame that does not decode, or the
 *   tracer stopping end both links with a CLOSE saying why, as a dead peer
 *   would. Nothing is dropped silently.
 */
import {
  CloseSchema, Connection, FrameKind, HelloSchema, WireError, encodeFrame, isWireError, packControl, unpackControl, withLimits,
  type ConnectionEvent, type Hello, type PeerInfo, type WireErrorCode, type WireLimits, type WireMessage,
} from 'netmsg-wire';
import { joinBytes } from '../join-bytes.js';
import { FrameScanner, RawFrameSplitter } from './raw-frames.js';

export type Side = 'a' | 'b';

export type SpliceAction =
  /** Bytes for the side's socket, in order. */
  | { type: 'write'; side: Side; bytes: Uint8Array }
  /** A whole frame as it came from `from` (handshake frames included): what --pcap records. */
  | { type: 'frame'; from: Side; bytes: Uint8Array }
  /** A Mach message that crossed from `from` to the other side. */
  | { type: 'message'; from: Side; fromPeer: PeerInfo; toPeer: PeerInfo; msg: WireMessage }
  /** The handshake with `side` completed; `peer` is that side's node. */
  | { type: 'established'; side: Side; peer: PeerInfo }
  /** The splice is over: end both sockets once their writes are out. */
  | { type: 'closed'; code: WireErrorCode | 'normal'; reason: string };

export interface SpliceConfig {
  secret: Uint8Array;
  /**
   * Bounds the tracer checks on what it decodes (out-of-line bytes, ports
   * per message...). Frame sizes are each side's advertised ones. Default:
   * netmsg-wire's defaults, which is what nodes run with unless configured.
   */
  limits?: Partial<WireLimits>;
  /** Nonce source (tests pass a seeded one); default node:crypto. */
  random?: (n: number) => Uint8Array<ArrayBuffer>;
  /** Whether `decode` reports each frame it decodes as a 'frame' action (for --pcap; default true). */
  frames?: boolean;
}

/** What `pass` makes of a side's bytes. */
export interface Passed {
  /** Bytes to write to the other side now, as they came (may be empty); `decode` them later, in order. */
  forward: Uint8Array;
  /** Bytes from a frame that may not pass this way (a CLOSE, a bad head) on: for `receive`, after `decode` of `forward`. */
  rest?: Uint8Array;
}

/** Frames a side may send before its peer is known (its HELLO, at most an AUTH). */
const MAX_EARLY_FRAMES = 4;

const other = (s: Side): Side => (s === 'a' ? 'b' : 'a');

export class LinkSplice {
  readonly #cfg: SpliceConfig;
  readonly #split: Record<Side, RawFrameSplitter>;
  readonly #conn: Record<Side, Connection | undefined> = { a: undefined, b: undefined };
  readonly #hello: Record<Side, Hello | undefined> = { a: undefined, b: undefined };
  /** Frames of a side that arrived before its Connection could exist. */
  readonly #early: Record<Side, Uint8Array[]> = { a: [], b: [] };
  /** Frames waiting for their destination side to be authenticated, per destination. */
  readonly #queue: Record<Side, Uint8Array[]> = { a: [], b: [] };
  /**
   * Per side, once its bytes pass as they come: the scanner following
   * their frames (null: no longer, the side's CLOSE or bad frame went to
   * `receive`), and the splitter cutting them into frames for 'frame'
   * actions when decoded.
   */
  readonly #scan: Record<Side, FrameScanner | null | undefined> = { a: undefined, b: undefined };
  readonly #decodeSplit: Record<Side, RawFrameSplitter | undefined> = { a: undefined, b: undefined };
  #closed = false;

  constructor(cfg: SpliceConfig) {
    this.#cfg = cfg;
    const max = withLimits(cfg.limits).maxFrameBytes;
    this.#split = { a: new RawFrameSplitter(max), b: new RawFrameSplitter(max) };
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** The peer on `side`, once authenticated. */
  peer(side: Side): PeerInfo | undefined {
    return this.#conn[side]?.peer;
  }

  /** The node on `side`, as its HELLO said (0 until then). */
  node(side: Side): number {
    return this.#hello[side]?.node ?? 0;
  }

  /** Bytes from a side's socket. Never throws: a bad peer ends the splice with a CLOSE. */
  receive(side: Side, bytes: Uint8Array): SpliceAction[] {
    const out: SpliceAction[] = [];
    if (this.#closed) return out;
    try {
      for (const frame of this.#split[side].push(bytes)) {
        out.push({ type: 'frame', from: side, bytes: frame });
        this.#onFrame(side, frame, out);
        if (this.#closed) break;
      }
    } catch (e) {
      const err = isWireError(e) ? e : new WireError('bad_message', `tracer: ${e instanceof Error ? e.message : String(e)}`);
      this.#fail(side, err.code, err.message, out);
    }
    return out;
  }

  /**
   * The fast path, for bytes a side sends once both links are up: returns
   * undefined when they must go to `receive` instead (a handshake not done,
   * frames waiting in a queue, the splice closed, or this side's bytes no
   * longer passing), else what to write on now and what to `receive` after.
   */
  pass(side: Side, bytes: Uint8Array): Passed | undefined {
    if (this.#closed) return undefined;
    let scanner = this.#scan[side];
    if (scanner === null) return undefined;
    if (scanner === undefined) {
      const to = other(side);
      if (this.#conn[side]?.isEstablished !== true || this.#conn[to]?.isEstablished !== true || this.#queue[to].length > 0) return undefined;
      // From here on this side's bytes pass as they come. What the splitter
      // holds (the start of a frame, never forwarded nor decoded) comes first.
      const split = this.#split[side];
      const held = split.takeRest();
      if (held !== undefined) bytes = joinBytes([held, bytes], held.length + bytes.length);
      scanner = new FrameScanner(split.maxFrameBytes);
      this.#scan[side] = scanner;
      if (this.#cfg.frames !== false) this.#decodeSplit[side] = new RawFrameSplitter(split.maxFrameBytes);
    }
    const r = scanner.scan(bytes);
    const forward = r.forward === r.bytes.length ? r.bytes : r.bytes.subarray(0, r.forward);
    if (!r.stop) return { forward };
    // A CLOSE or a bad head: the splitter takes it (and the rest) from here.
    this.#scan[side] = null;
    return { forward, rest: r.bytes.subarray(r.forward) };
  }

  /**
   * The trace of bytes `pass` let through (already written on), in the
   * order they came: each message decoded, and 'frame' actions. A frame the
   * tracer cannot take ends the splice: both sides get a CLOSE saying why
   * (unless one is inside a frame passed on, where a CLOSE would be read as
   * that frame's bytes: that side's socket just ends).
   */
  decode(side: Side, bytes: Uint8Array): SpliceAction[] {
    const out: SpliceAction[] = [];
    const conn = this.#conn[side];
    if (this.#closed || conn === undefined) return out;
    const split = this.#decodeSplit[side];
    if (split !== undefined) {
      try {
        for (const frame of split.push(bytes)) out.push({ type: 'frame', from: side, bytes: frame });
      } catch {
        // The scanner passed these heads: cannot happen; the Connection below says what is wrong if anything is.
      }
    }
    const events = conn.receive(bytes);
    const to = other(side);
    // Its CLOSE, if the bytes did not decode (not while `side` is reading a frame passed on to it).
    const close = conn.takeOutput();
    if (this.#scan[to]?.inFrame !== true) for (const b of close) out.push({ type: 'write', side, bytes: b });
    const fromPeer = conn.peer;
    const toPeer = this.#conn[to]?.peer;
    for (const ev of events) {
      if (ev.type === 'closed') {
        this.#closeSide(to, 'peer_closed', `hurd-rpctrace: node ${fromPeer?.node ?? '?'} sent a bad frame: ${ev.reason}`, out);
        this.#end(ev.code, ev.reason, out);
        return out;
      }
      if (ev.type === 'frame' && ev.frame.kind === 'message' && fromPeer !== undefined && toPeer !== undefined) {
        out.push({ type: 'message', from: side, fromPeer, toPeer, msg: ev.frame.msg });
      }
    }
    return out;
  }

  /**
   * A frame of `side`'s, passed on, that the tracer's own reading refuses
   * (-c's message heads, which `decode` does not see): the splice ends as
   * when `decode` finds a frame it cannot take, both sides told why.
   */
  refuse(side: Side, reason: string): SpliceAction[] {
    const out: SpliceAction[] = [];
    if (this.#closed) return out;
    this.#fail(side, 'bad_message', `node ${this.node(side)} sent a bad frame: ${reason}`, out);
    return out;
  }

  /** A side's socket ended or failed without a CLOSE: the other side learns it as from a dead peer. */
  lost(side: Side, why: string): SpliceAction[] {
    const out: SpliceAction[] = [];
    if (this.#closed) return out;
    const who = this.#hello[side] === undefined ? `side ${side}` : `node ${this.#hello[side].node}`;
    this.#closeSide(other(side), 'peer_closed', `${who} went away (${why}), seen by hurd-rpctrace`, out);
    this.#end('peer_closed', `${who} went away: ${why}`, out);
    return out;
  }

  /** The tracer stops: queued frames that can go out go out, then both sides get a CLOSE. */
  stop(reason: string): SpliceAction[] {
    const out: SpliceAction[] = [];
    if (this.#closed) return out;
    this.#closeSide('a', 'peer_closed', reason, out);
    this.#closeSide('b', 'peer_closed', reason, out);
    this.#end('peer_closed', reason, out);
    return out;
  }

  #onFrame(side: Side, frame: Uint8Array, out: SpliceAction[]): void {
    const conn = this.#conn[side];
    if (conn?.isEstablished === true) {
      this.#linkFrame(side, conn, frame, out);
      return;
    }
    const kind = frame[4] as number;
    if (kind === FrameKind.CLOSE) {
      // A side refusing the handshake: the other side hears it as it was said.
      this.#forwardClose(side, frame, out);
      return;
    }
    if (this.#hello[side] === undefined) {
      if (kind !== FrameKind.HELLO) throw new WireError('out_of_state', `frame kind ${kind} before HELLO`);
      this.#hello[side] = unpackControl(HelloSchema, frame.subarray(5), 'HELLO');
    }
    if (conn === undefined) {
      this.#early[side].push(frame);
      if (this.#early[side].length > MAX_EARLY_FRAMES) throw new WireError('out_of_state', 'handshake frames before the HELLO exchange');
      this.#greet(out);
      return;
    }
    this.#feed(side, conn, frame, out);
    if (!this.#closed) this.#greet(out);
  }

  /** Creates each side's Connection as soon as the HELLO it must mirror is known. */
  #greet(out: SpliceAction[]): void {
    const a = this.#hello.a;
    const b = this.#hello.b;
    // b is greeted as a: a's HELLO is needed first.
    if (this.#conn.b === undefined && a !== undefined) this.#open('b', a, out);
    if (this.#conn.a === undefined && b !== undefined && this.#conn.b !== undefined) this.#open('a', b, out);
  }

  #open(side: Side, mirror: Hello, out: SpliceAction[]): void {
    const limits = withLimits({ ...this.#cfg.limits, maxFrameBytes: mirror.maxFrame, portWindow: mirror.window });
    const conn = new Connection({
      node: mirror.node,
      abi: mirror.abi,
      secret: this.#cfg.secret,
      limits,
      versions: { vmin: mirror.vmin, vmax: mirror.vmax },
      caps: mirror.caps,
      ...(this.#cfg.random === undefined ? {} : { random: this.#cfg.random }),
    });
    this.#conn[side] = conn;
    // Frames from `side` are bounded by what we advertise to it: the mirrored max frame.
    this.#split[side].maxFrameBytes = mirror.maxFrame;
    const early = this.#early[side];
    this.#early[side] = [];
    for (const f of early) conn.receive(f);
    this.#events(side, conn, conn.start(), out);
    if (this.#closed) return;
    this.#greet(out);
  }

  #feed(side: Side, conn: Connection, frame: Uint8Array, out: SpliceAction[]): void {
    this.#events(side, conn, conn.receive(frame), out);
  }

  #events(side: Side, conn: Connection, events: ConnectionEvent[], out: SpliceAction[]): void {
    for (const b of conn.takeOutput()) out.push({ type: 'write', side, bytes: b });
    for (const ev of events) {
      if (ev.type === 'established') {
        out.push({ type: 'established', side, peer: ev.peer });
        // Frames the other side sent while this one was authenticating.
        this.#flush(side, out);
      } else if (ev.type === 'closed') {
        // The handshake failed (bad proof, version, replay): the Connection wrote a CLOSE to `side`.
        this.#closeSide(other(side), 'peer_closed', `hurd-rpctrace: the link to ${side === 'a' ? 'the listening side' : 'the connecting side'} failed: ${ev.reason}`, out);
        this.#end(ev.code, ev.reason, out);
        return;
      }
    }
  }

  #linkFrame(side: Side, conn: Connection, frame: Uint8Array, out: SpliceAction[]): void {
    const kind = frame[4] as number;
    if (kind === FrameKind.CLOSE) {
      this.#forwardClose(side, frame, out);
      return;
    }
    // Decoded before it is forwarded: a frame the tracer cannot take would be
    // refused by the other node as well, so the link ends here, with reasons.
    const events = conn.receive(frame);
    for (const b of conn.takeOutput()) out.push({ type: 'write', side, bytes: b });
    const to = other(side);
    for (const ev of events) {
      if (ev.type === 'closed') {
        this.#closeSide(to, 'peer_closed', `hurd-rpctrace: node ${conn.peer?.node ?? '?'} sent a bad frame: ${ev.reason}`, out);
        this.#end(ev.code, ev.reason, out);
        return;
      }
    }
    this.#forward(to, frame, out);
    const fromPeer = conn.peer;
    const toPeer = this.#conn[to]?.peer ?? this.#mirrorPeer(to);
    for (const ev of events) {
      if (ev.type === 'frame' && ev.frame.kind === 'message' && fromPeer !== undefined && toPeer !== undefined) {
        out.push({ type: 'message', from: side, fromPeer, toPeer, msg: ev.frame.msg });
      }
    }
  }

  /** The peer on `side` as its HELLO describes it (before its handshake completed). */
  #mirrorPeer(side: Side): PeerInfo | undefined {
    const h = this.#hello[side];
    return h === undefined ? undefined : { node: h.node, abi: h.abi, version: h.vmax, caps: h.caps, window: h.window, maxFrame: h.maxFrame };
  }

  #forward(to: Side, frame: Uint8Array, out: SpliceAction[]): void {
    if (this.#conn[to]?.isEstablished === true) out.push({ type: 'write', side: to, bytes: frame });
    else this.#queue[to].push(frame);
  }

  #flush(to: Side, out: SpliceAction[]): void {
    const q = this.#queue[to];
    this.#queue[to] = [];
    for (const f of q) out.push({ type: 'write', side: to, bytes: f });
  }

  #forwardClose(from: Side, frame: Uint8Array, out: SpliceAction[]): void {
    const to = other(from);
    let reason = 'CLOSE';
    try {
      const c = unpackControl(CloseSchema, frame.subarray(5), 'CLOSE');
      reason = `${c.code}: ${c.reason}`;
    } catch {
      reason = 'CLOSE (undecodable)';
    }
    if (this.#conn[to]?.isEstablished === true) {
      this.#flush(to, out);
      out.push({ type: 'write', side: to, bytes: frame });
    } else {
      this.#closeSide(to, 'peer_closed', `hurd-rpctrace: the other side closed: ${reason}`, out);
    }
    this.#end('peer_closed', `side ${from} closed: ${reason}`, out);
  }

  /** Ends a side's link with a CLOSE, after what is queued for it (if it may get it). */
  #closeSide(side: Side, code: WireErrorCode, reason: string, out: SpliceAction[]): void {
    const conn = this.#conn[side];
    if (conn?.isEstablished === true) this.#flush(side, out);
    if (conn !== undefined && !conn.isClosed) {
      conn.close(code, reason);
      const close = conn.takeOutput();
      // Bytes passed on to `side` that end inside a frame: it is reading that
      // frame, so it gets no CLOSE (it would read it as the frame's bytes);
      // its socket ends, as when a peer dies in the middle of a frame.
      if (this.#scan[other(side)]?.inFrame === true) return;
      for (const b of close) out.push({ type: 'write', side, bytes: b });
    } else if (conn === undefined) {
      out.push({ type: 'write', side, bytes: encodeFrame(FrameKind.CLOSE, packControl({ code, reason: reason.slice(0, 1024) })) });
    }
  }

  #fail(side: Side, code: WireErrorCode, reason: string, out: SpliceAction[]): void {
    this.#closeSide(side, code, reason, out);
    this.#closeSide(other(side), 'peer_closed', `hurd-rpctrace: the other side failed: ${reason}`, out);
    this.#end(code, reason, out);
  }

  #end(code: WireErrorCode | 'normal', reason: string, out: SpliceAction[]): void {
    if (this.#closed) return;
    this.#closed = true;
    out.push({ type: 'closed', code, reason });
  }
}
