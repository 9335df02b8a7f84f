import { randomBytes } from 'node:crypto';
import { ByteWriter } from './bytes.js';
import { WireError, isWireError, type WireErrorCode } from './errors.js';
import { FRAME_PREFIX, FrameKind, FrameReader, encodeFrame, frameHead, type RawFrame } from './frame.js';
import { decodeCommonControl, encodeCommonControlFrame } from './control-codec.js';
import { receivePool } from './receive-pool.js';
import { authProof, chooseVersion, proofMatches } from './handshake.js';
import type { WireLimits } from './limits.js';
import { decodeMessageBody, encodeMessageBody } from './message-codec.js';
import {
  AuthSchema, CloseSchema, ControlSchema, HelloSchema, NONCE_BYTES,
  packControl, unpackControl, type ControlFrame, type Hello,
} from './schemas.js';
import type { WireMessage } from './wire-message.js';

/** What the link carries once established. */
export type LinkFrame = { kind: 'message'; msg: WireMessage } | { kind: 'control'; control: ControlFrame };

export interface PeerInfo {
  node: number;
  abi: 'i386' | 'x86_64';
  version: number;
  caps: string[];
  /** Per-port credit window the peer grants us. */
  window: number;
  maxFrame: number;
}

export type ConnectionEvent =
  | { type: 'established'; peer: PeerInfo }
  | { type: 'frame'; frame: LinkFrame }
  | { type: 'closed'; code: WireErrorCode | 'normal'; reason: string; byPeer: boolean };

export interface ConnectionConfig {
  node: number;
  abi: 'i386' | 'x86_64';
  secret: Uint8Array;
  limits: WireLimits;
  versions?: { vmin: number; vmax: number };
  caps?: string[];
  /** Source of nonces; tests pass a seeded one. Defaults to node:crypto. */
  random?: (n: number) => Uint8Array<ArrayBuffer>;
}

/**
 * The driver's say in where an out-of-line item's bytes land (the
 * connection stays sans-IO; the placer is the node's, which knows what a
 * message answers). Asked when the head of an OOL_CHUNK frame that holds a
 * whole item of the message being assembled has arrived and its body has
 * not: `place` returns memory of exactly `length` bytes to read the body
 * into (the item is then a view of it), or undefined for a receive buffer.
 * `ended` says, once per placement, that the frame is complete (`true`,
 * the item is that memory) or that the link ended first (`false`: some of
 * the memory may have been written, nothing outside it, and no more will
 * be).
 */
export interface OutOfLinePlacer {
  place(msg: WireMessage, oolIndex: number, length: number): Uint8Array | undefined;
  ended(target: Uint8Array, complete: boolean): void;
}

type State = 'new' | 'awaitHello' | 'awaitAuth' | 'established' | 'closed';

interface Assembly {
  msg: WireMessage;
  /** Indices into msg.items of the out-of-line items, in order. */
  items: number[];
  lengths: number[];
  item: number;
  filled: number;
}

/**
 * Room for a MESSAGE frame of `msg`, so the writer need not grow (a
 * 1 KiB MIG string grew a small first buffer four times, copying each time):
 * the frame head and fixed fields, each item's head and inline bytes, and
 * the largest port reference for each port. Only a hint; the writer still
 * grows if it is short.
 */
function frameSizeHint(msg: WireMessage): number {
  let n = 64;
  for (const it of msg.items) n += it.kind === 'data' ? 16 + it.data.length : it.kind === 'ports' ? 16 + 48 * it.ports.length : 16;
  return n;
}

/**
 * 2 since 2026-11-30: DEAD carries `seen` (PROTOCOL.md §4.4, §5), which a
 * version-1 decoder refuses (unknown key) and without which this one
 * refuses a DEAD: the ranges of the two do not meet (`version_mismatch`).
 * 3 since 2026-11-30 (night): FLUSH may carry `via` (§4.5, "A migration
 * whose route died"), which a version-2 decoder refuses (unknown key:
 * `bad_control`, closing the link just after a link loss) and which this
 * one needs its peers to honour, or the FIFO it restores is lost again:
 * refused at the handshake instead (`version_mismatch`), as for 1 → 2.
 * 4 since 2026-12-01: FLUSH carries `round` (§4.5, "A marker lost on its
 * way home"), which a version-3 decoder refuses (unknown key) and which
 * every node passing a marker must copy, or its origin takes a marker of
 * an earlier migration for the new one's again: refused at the handshake.
 */
export const PROTOCOL_VERSION = 4;
/** Largest frame accepted before authentication (the default `maxFrameBytes`; HELLO and AUTH are far smaller). */
export const PREAUTH_FRAME_BYTES = 64 * 1024;

/**
 * One end of a link, sans-IO: bytes in (`receive`), bytes out (`takeOutput`).
 * Runs the handshake, splits and assembles frames, and turns every protocol
 * fault into one typed CLOSE frame and one `closed` event. It never throws
 * from `receive`: a peer cannot crash it with any byte string.
 */
export class Connection {
  private state: State = 'new';
  private readonly reader: FrameReader;
  private out: Uint8Array[] = [];
  private myHelloBytes: Uint8Array | undefined;
  private myHello: Hello | undefined;
  private peerHelloBytes: Uint8Array | undefined;
  private peerHello: Hello | undefined;
  private assembly: Assembly | undefined;
  private sendFrameMax: number;
  private placer: OutOfLinePlacer | undefined;
  peer: PeerInfo | undefined;

  constructor(private readonly cfg: ConnectionConfig) {
    // Before the peer proved the secret it can make us buffer at most one
    // frame of PREAUTH_FRAME_BYTES, however large `maxFrameBytes` is.
    this.reader = new FrameReader(Math.min(cfg.limits.maxFrameBytes, PREAUTH_FRAME_BYTES), receivePool);
    this.sendFrameMax = cfg.limits.maxFrameBytes;
  }

  /** Let `placer` choose where whole out-of-line items are read (see OutOfLinePlacer); undefined: receive buffers only. */
  setPlacer(placer: OutOfLinePlacer | undefined): void {
    this.placer = placer;
    this.reader.placer = placer ? this.placeBody : undefined;
  }

  /** FrameReader's BodyPlacer: only an OOL_CHUNK that is exactly the next whole item of the message being assembled. */
  private readonly placeBody = (kind: number, length: number): Uint8Array | undefined => {
    const asm = this.assembly;
    const p = this.placer;
    if (p === undefined || kind !== FrameKind.OOL_CHUNK || asm === undefined || asm.filled !== 0 || asm.lengths[asm.item] !== length) return undefined;
    if (this.state !== 'established') return undefined;
    const t = p.place(asm.msg, asm.item, length);
    return t !== undefined && t.length === length ? t : undefined;
  };

  /**
   * The stream under this connection is gone (a socket closed or failed
   * without a CLOSE frame): a body being read into placed memory never
   * completes, so its placer hears so now. The connection takes no more bytes.
   */
  streamEnded(): void {
    this.endPlacing();
    this.state = 'closed';
  }

  private endPlacing(): void {
    const t = this.reader.placing;
    if (t !== undefined) {
      this.reader.abandonPlacing();
      this.placer?.ended(t, false);
    }
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Queue our HELLO. Call once, before or after the first `receive`. */
  start(): ConnectionEvent[] {
    if (this.state !== 'new') return [];
    const random = this.cfg.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const v = this.cfg.versions ?? { vmin: PROTOCOL_VERSION, vmax: PROTOCOL_VERSION };
    this.myHello = {
      vmin: v.vmin,
      vmax: v.vmax,
      node: this.cfg.node,
      abi: this.cfg.abi,
      caps: this.cfg.caps ?? [],
      nonce: random(NONCE_BYTES),
      window: this.cfg.limits.portWindow,
      maxFrame: this.cfg.limits.maxFrameBytes,
    };
    this.myHelloBytes = packControl(this.myHello);
    this.out.push(encodeFrame(FrameKind.HELLO, this.myHelloBytes));
    this.state = 'awaitHello';
    // A HELLO that arrived before start() is answered now.
    const events: ConnectionEvent[] = [];
    if (this.peerHelloBytes) {
      try {
        this.answerHello();
      } catch (e) {
        this.fail(isWireError(e) ? e : new WireError('bad_message', String(e)), events);
      }
    }
    return events;
  }

  /** Bytes to write to the stream, in order. */
  takeOutput(): Uint8Array[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** Feed received bytes; returns what happened. Never throws. */
  receive(bytes: Uint8Array): ConnectionEvent[] {
    if (this.state === 'closed') return [];
    const events: ConnectionEvent[] = [];
    try {
      this.reader.feed(bytes);
      this.drain(events);
    } catch (e) {
      this.failWith(e, events);
    }
    return events;
  }

  /**
   * In-place receiving, for a stream that reads into a buffer it is given
   * (net.Socket's `onread`): where to put the next received bytes. Inside a
   * frame it is the rest of that frame's own buffer, so a large frame's
   * body is read where it stays (no gathering copy); between frames, a
   * scratch buffer the connection reuses. Report the bytes with `landed`.
   */
  receiveBuffer(): Uint8Array {
    return this.reader.receiveBuffer();
  }

  /** `n` bytes were put at the start of the last `receiveBuffer()`; otherwise as `receive`. Never throws. */
  landed(n: number): ConnectionEvent[] {
    if (this.state === 'closed') return [];
    const events: ConnectionEvent[] = [];
    try {
      this.reader.landed(n);
      this.drain(events);
    } catch (e) {
      this.failWith(e, events);
    } finally {
      // Nothing decoded keeps a view of the scratch buffer (frames decode to
      // copies; out-of-line bytes of a frame that is not `owned` are copied).
      this.reader.settle();
    }
    return events;
  }

  private drain(events: ConnectionEvent[]): void {
    // One frame at a time: the frame limit rises once AUTH is checked (PREAUTH_FRAME_BYTES).
    for (let f = this.reader.next(); f; f = this.isClosed ? undefined : this.reader.next()) this.onFrame(f, events);
  }

  private failWith(e: unknown, events: ConnectionEvent[]): void {
    const err = isWireError(e) ? e : new WireError('bad_message', `decoder failure: ${(e as Error)?.message ?? String(e)}`);
    this.fail(err, events);
  }

  /** Send a link frame; only once established. */
  send(frame: LinkFrame): void {
    if (this.state === 'closed') throw new WireError('closed', 'link closed');
    if (this.state !== 'established') throw new WireError('out_of_state', 'link not established');
    if (frame.kind === 'control') {
      this.out.push(encodeCommonControlFrame(frame.control) ?? encodeFrame(FrameKind.CONTROL, packControl(frame.control)));
      return;
    }
    // The body is written behind room for the frame's head, which is filled
    // in after: the frame is built in place, not copied out of a body buffer.
    const w = new ByteWriter(frameSizeHint(frame.msg));
    w.reserve(FRAME_PREFIX + 1);
    const { body: whole, ool } = encodeMessageBody(frame.msg, w);
    const bodyLength = whole.length - FRAME_PREFIX - 1;
    if (bodyLength + 1 > this.sendFrameMax) {
      throw new WireError('unencodable', `message body of ${bodyLength} bytes does not fit a ${this.sendFrameMax}-byte frame`);
    }
    w.patchU32(0, bodyLength + 1);
    whole[FRAME_PREFIX] = FrameKind.MESSAGE;
    this.out.push(whole);
    // Out-of-line bytes follow as a contiguous run of OOL_CHUNK frames: each
    // frame's 5-byte head, then a view of the caller's bytes (no copy; the
    // stream gathers them, writev), so the caller must not change `ool` later.
    const room = this.sendFrameMax - 1;
    for (const data of ool) {
      for (let at = 0; at < data.length; at += room) {
        const end = Math.min(data.length, at + room);
        this.out.push(frameHead(FrameKind.OOL_CHUNK, end - at), data.subarray(at, end));
      }
    }
  }

  /** Close in order: a CLOSE frame with the reason, then nothing more. */
  close(code: WireErrorCode | 'normal', reason: string): ConnectionEvent[] {
    if (this.state === 'closed') return [];
    this.endPlacing();
    this.out.push(encodeFrame(FrameKind.CLOSE, packControl({ code, reason: reason.slice(0, 1024) })));
    this.state = 'closed';
    return [{ type: 'closed', code, reason, byPeer: false }];
  }

  private fail(err: WireError, events: ConnectionEvent[]): void {
    events.push(...this.close(err.code, err.message));
  }

  private onFrame(f: RawFrame, events: ConnectionEvent[]): void {
    if (this.assembly && f.kind !== FrameKind.OOL_CHUNK && f.kind !== FrameKind.CLOSE) {
      throw new WireError('out_of_state', `frame kind ${f.kind} inside an out-of-line run`);
    }
    switch (f.kind) {
      case FrameKind.CLOSE: {
        const c = unpackControl(CloseSchema, f.payload, 'CLOSE');
        this.endPlacing();
        this.state = 'closed';
        events.push({ type: 'closed', code: 'peer_closed', reason: `${c.code}: ${c.reason}`, byPeer: true });
        return;
      }
      case FrameKind.HELLO: {
        if (this.peerHelloBytes) throw new WireError('out_of_state', 'second HELLO');
        if (this.state !== 'new' && this.state !== 'awaitHello') throw new WireError('out_of_state', 'HELLO after handshake');
        // Decoded from our own copy: the nonce is a view of the bytes it is
        // decoded from, and the payload may be a buffer the reader reuses.
        const bytes = f.payload.slice();
        this.peerHello = unpackControl(HelloSchema, bytes, 'HELLO');
        this.peerHelloBytes = bytes;
        if (this.state === 'awaitHello') this.answerHello();
        return;
      }
      case FrameKind.AUTH: {
        if (this.state !== 'awaitAuth') throw new WireError('out_of_state', 'AUTH before HELLO or after the handshake');
        const a = unpackControl(AuthSchema, f.payload, 'AUTH');
        const expected = authProof(this.cfg.secret, this.peerHelloBytes!, this.myHelloBytes!);
        if (!proofMatches(expected, a.mac)) throw new WireError('auth_failed', 'peer proof does not match');
        const p = this.peerHello!;
        const version = chooseVersion(this.myHello!, p)!;
        this.peer = { node: p.node, abi: p.abi, version, caps: p.caps, window: p.window, maxFrame: p.maxFrame };
        this.sendFrameMax = Math.min(this.cfg.limits.maxFrameBytes, p.maxFrame);
        this.state = 'established';
        this.reader.setMaxFrameBytes(this.cfg.limits.maxFrameBytes);
        events.push({ type: 'established', peer: this.peer });
        return;
      }
      case FrameKind.CONTROL: {
        this.requireEstablished();
        const control = decodeCommonControl(f.payload) ?? unpackControl(ControlSchema, f.payload, 'CONTROL');
        events.push({ type: 'frame', frame: { kind: 'control', control } });
        return;
      }
      case FrameKind.MESSAGE: {
        this.requireEstablished();
        const { msg, oolLengths } = decodeMessageBody(f.payload, this.cfg.limits);
        if (oolLengths.length === 0) {
          // No out-of-line item (every null RPC's request and reply): complete as it is.
          events.push({ type: 'frame', frame: { kind: 'message', msg } });
          return;
        }
        const items: number[] = [];
        msg.items.forEach((it, i) => {
          if (it.kind === 'ool') items.push(i);
        });
        const asm: Assembly = { msg, items, lengths: oolLengths, item: 0, filled: 0 };
        this.skipEmpty(asm);
        if (asm.item >= asm.items.length) {
          events.push({ type: 'frame', frame: { kind: 'message', msg } });
        } else {
          this.assembly = asm;
        }
        return;
      }
      case FrameKind.OOL_CHUNK: {
        this.requireEstablished();
        const asm = this.assembly;
        if (!asm) throw new WireError('out_of_state', 'OOL_CHUNK without a message');
        let data = f.payload;
        while (data.length > 0) {
          if (asm.item >= asm.items.length) throw new WireError('bad_message', 'OOL_CHUNK past the announced out-of-line bytes');
          const idx = asm.items[asm.item]!;
          const it = asm.msg.items[idx]!;
          if (it.kind !== 'ool') throw new WireError('bad_message', 'internal: item kind');
          const len = asm.lengths[asm.item]!;
          const k = Math.min(len - asm.filled, data.length);
          // A chunk holding the whole item, in a buffer the reader gathered (not the caller's
          // bytes, which it may reuse): the item is a view of it, no second copy.
          if (asm.filled === 0 && k === len && f.owned === true) {
            it.data = data.subarray(0, len);
            // Read into the placer's memory: the item is that memory, and the placement is over.
            if (f.placed === true) this.placer?.ended(f.payload, true);
            // A pooled frame that is this one item and nothing else: its receiver
            // may give it back when done (receive-pool.ts). A frame shared by
            // several items is never lent, so no release can pull bytes from
            // under another item.
            if (f.pooled === true && len === f.payload.length) receivePool.lend(it.data);
          } else {
            if (asm.filled === 0) it.data = new Uint8Array(len);
            it.data.set(data.subarray(0, k), asm.filled);
          }
          asm.filled += k;
          data = data.subarray(k);
          if (asm.filled === len) {
            asm.item++;
            asm.filled = 0;
            this.skipEmpty(asm);
          }
        }
        if (asm.item >= asm.items.length) {
          this.assembly = undefined;
          events.push({ type: 'frame', frame: { kind: 'message', msg: asm.msg } });
        }
        return;
      }
    }
  }

  private skipEmpty(asm: Assembly): void {
    while (asm.item < asm.items.length && asm.lengths[asm.item] === 0) asm.item++;
  }

  private requireEstablished(): void {
    // A connection that has not authenticated gets nothing: no frame of the
    // link protocol is looked at before the peer's proof verified.
    if (this.state !== 'established') throw new WireError('out_of_state', 'link frame before authentication');
  }

  private answerHello(): void {
    const p = this.peerHello!;
    const me = this.myHello!;
    if (p.node === me.node || Buffer.compare(p.nonce, me.nonce) === 0) {
      throw new WireError('handshake_replay', 'peer HELLO repeats our node id or nonce');
    }
    if (chooseVersion(me, p) === undefined) {
      throw new WireError('version_mismatch', `peer speaks ${p.vmin}..${p.vmax}, we speak ${me.vmin}..${me.vmax}`);
    }
    const mac = authProof(this.cfg.secret, this.myHelloBytes!, this.peerHelloBytes!);
    this.out.push(encodeFrame(FrameKind.AUTH, packControl({ mac })));
    this.state = 'awaitAuth';
  }
}
