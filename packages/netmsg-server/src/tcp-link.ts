import type { Duplex } from 'node:stream';
import { Connection, withLimits, type ConnectionEvent, type LinkFrame, type PeerInfo, type WireErrorCode, type WireLimits, type WireMessage, type ControlFrame } from 'netmsg-wire';
import type { Logger } from './log.js';
import { takeInPlaceReads } from './transport/in-place-read.js';

/**
 * The stream driver of one netmsg-wire `Connection`: bytes of an ordered
 * byte stream (a TCP, TLS or Unix socket, or an in-memory pair) in, frames
 * out. Nothing but the handshake is looked at before the peer proved it
 * holds the secret (the Connection refuses any other frame, and closes
 * with `auth_failed` on a wrong proof).
 */
export interface TcpLinkHandlers {
  established?(peer: PeerInfo): void;
  message?(msg: WireMessage): void;
  control?(c: ControlFrame): void;
  /** Every frame after the handshake (instead of message/control when given). */
  frame?(f: LinkFrame): void;
  closed?(info: { code: string; reason: string; byPeer: boolean }): void;
}

export interface TcpLinkOptions {
  node: number;
  secret: Uint8Array;
  limits?: WireLimits;
  log?: Logger;
  /** A peer that has not authenticated within this many ms is dropped. */
  handshakeTimeoutMs?: number;
}

/**
 * Largest frame on a node's links (netmsg-wire's default is 64 KiB): an
 * io_read answer of MAX_TRANSFER (16 MiB) travels as ONE out-of-line chunk
 * frame, which the receiving Connection assembles without a second copy and
 * the sender writes as a view of its bytes. A peer with a smaller limit gets
 * frames of its size (the HELLO carries it); before authentication
 * netmsg-wire accepts only 64 KiB frames whatever this is.
 */
export const LINK_FRAME_BYTES = (16 << 20) + 4096;
/** Up to this many bytes of a turn's frames are copied into one buffer and written at once. */
const SMALL_WRITE = 16 * 1024;

export class TcpLink {
  readonly conn: Connection;
  private closedInfo: { code: string; reason: string; byPeer: boolean } | undefined;
  private readonly timer: NodeJS.Timeout;
  private corked = false;
  /** Frames of this turn not written yet. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** `written` callbacks of sendFrame, each with the index in `pending` of its frame's last piece. */
  private pendingWritten: { last: number; written: () => void }[] = [];

  constructor(
    readonly socket: Duplex & { setNoDelay?(on: boolean): unknown },
    private readonly opts: TcpLinkOptions,
    private readonly on: TcpLinkHandlers,
  ) {
    this.conn = new Connection({ node: opts.node, abi: 'x86_64', secret: opts.secret, limits: opts.limits ?? withLimits({ maxFrameBytes: LINK_FRAME_BYTES }) });
    socket.setNoDelay?.(true);
    this.timer = setTimeout(() => {
      if (!this.conn.isEstablished) this.close('auth_failed', 'handshake timed out');
    }, opts.handshakeTimeoutMs ?? 10_000);
    this.timer.unref();
    const reads = takeInPlaceReads(socket);
    let early: Uint8Array[] = [];
    if (reads) {
      // A socket we dialled reads into the buffers the Connection names
      // (transport/in-place-read.ts): a large frame's body straight into its
      // own buffer, small frames into one reused scratch buffer.
      let lent: Uint8Array | undefined;
      early = reads.attach({
        buffer: () => (lent = this.conn.receiveBuffer()),
        read: (n, buf) => this.handle(buf === lent ? this.conn.landed(n) : this.conn.receive(buf.slice(0, n))),
      });
    } else {
      socket.on('data', (b: Buffer) => this.handle(this.conn.receive(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))));
    }
    socket.on('error', (e) => this.finish({ code: 'socket_error', reason: e.message, byPeer: true }));
    socket.on('close', () => this.finish({ code: 'peer_closed', reason: 'connection closed', byPeer: true }));
    this.handle(this.conn.start());
    // Bytes the socket read before this link attached (the peer's HELLO, or
    // its refusal if it gave up waiting), as if they arrived now; but after
    // the constructor returned, so that no handler (`closed`, `established`)
    // runs before the caller holds this link.
    if (early.length > 0) {
      queueMicrotask(() => {
        for (const b of early) if (!this.isClosed) this.handle(this.conn.receive(b));
      });
    }
  }

  get isClosed(): boolean {
    return this.closedInfo !== undefined;
  }

  get peer(): PeerInfo | undefined {
    return this.conn.peer;
  }

  send(msg: WireMessage): void {
    this.conn.send({ kind: 'message', msg });
    this.flush();
  }

  /**
   * `written`: called once the socket has written every byte of the frame
   * (its write callbacks succeeded), so the caller may reuse buffers the
   * frame's out-of-line bytes are views of (cluster/ool-buffers.ts). Never
   * called if the link closes first or the write fails.
   */
  sendFrame(frame: LinkFrame, written?: () => void): void {
    if (this.isClosed) return;
    const before = this.pending.length;
    this.conn.send(frame);
    this.flush();
    if (written && this.pending.length > before) this.pendingWritten.push({ last: this.pending.length - 1, written });
  }

  sendControl(control: ControlFrame): void {
    this.conn.send({ kind: 'control', control });
    this.flush();
  }

  /** End the link with a reason the peer receives in a CLOSE frame. */
  close(code: WireErrorCode | 'normal', reason: string): void {
    this.handle(this.conn.close(code, reason));
  }

  private flush(): void {
    if (this.socket.destroyed) return;
    const out = this.conn.takeOutput();
    if (out.length === 0) return;
    // Frames written during one turn of the event loop (a request, the
    // credits and releases the node state machine answers with, a reply)
    // leave in one write once the turn's promise chains have run: small
    // ones copied into one buffer (one write request, one syscall), large
    // ones (out-of-line data, views of the sender's bytes) gathered by the
    // stream (cork, writev).
    for (const b of out) {
      this.pending.push(b);
      this.pendingBytes += b.length;
    }
    if (!this.corked) {
      this.corked = true;
      setImmediate(this.writeTurn);
    }
  }

  private readonly writeTurn = (): void => void this.writeSafely();

  /**
   * writePending, ending the link instead of throwing: it runs from a
   * setImmediate (or a socket event), where a throw would be an uncaught
   * exception of the whole process. The only pieces a write can refuse are
   * out-of-line bytes, views of the sender's buffer: one the sender
   * detached (transferred) before this turn. The peer's frame stream is cut
   * then, so the link cannot go on. Returns whether the link is still open.
   */
  private writeSafely(): boolean {
    try {
      this.writePending();
      return true;
    } catch (e) {
      this.socket.destroy();
      this.finish({ code: 'socket_error', reason: `write failed: ${e instanceof Error ? e.message : String(e)}`, byPeer: false });
      return false;
    }
  }

  private writePending(): void {
    this.corked = false;
    const out = this.pending;
    const bytes = this.pendingBytes;
    const written = this.pendingWritten;
    this.pending = [];
    this.pendingBytes = 0;
    if (written.length > 0) this.pendingWritten = [];
    if (this.socket.destroyed || this.socket.writableEnded || out.length === 0) return;
    if (written.length === 0) {
      if (out.length === 1) this.socket.write(out[0]!);
      else if (bytes <= SMALL_WRITE) this.socket.write(Buffer.concat(out, bytes));
      else {
        checkIntact(out, bytes);
        this.socket.cork();
        for (const b of out) this.socket.write(b);
        this.socket.uncork();
      }
      return;
    }
    checkIntact(out, bytes);
    // A frame whose sender waits for it to be written: its last piece's write
    // callback says so (a stream calls them in order, after the bytes left).
    if (out.length > 1) this.socket.cork();
    let w = 0;
    for (let i = 0; i < out.length; i++) {
      const upTo = w;
      while (w < written.length && written[w]!.last === i) w++;
      if (w === upTo) this.socket.write(out[i]!);
      else {
        const done = written.slice(upTo, w);
        this.socket.write(out[i]!, (e) => {
          if (!e) for (const d of done) d.written();
        });
      }
    }
    if (out.length > 1) this.socket.uncork();
  }

  private handle(events: ConnectionEvent[]): void {
    this.flush();
    for (const ev of events) {
      if (ev.type === 'established') {
        clearTimeout(this.timer);
        this.on.established?.(ev.peer);
      } else if (ev.type === 'frame') {
        if (this.on.frame) this.on.frame(ev.frame);
        else if (ev.frame.kind === 'message') this.on.message?.(ev.frame.msg);
        else this.on.control?.(ev.frame.control);
      } else {
        // Our CLOSE (if any) is written now, before the stream ends.
        if (this.writeSafely()) this.socket.end();
        this.finish({ code: ev.code, reason: ev.reason, byPeer: ev.byPeer });
      }
      if (this.isClosed) return;
    }
  }

  private finish(info: { code: string; reason: string; byPeer: boolean }): void {
    if (this.closedInfo) return;
    this.closedInfo = info;
    // A body being read into a caller's memory ends here (its placer hears so).
    this.conn.streamEnded();
    clearTimeout(this.timer);
    try {
      this.writePending();
    } catch {
      // Out-of-line bytes detached before the write (writeSafely): the stream is cut short as it ends anyway.
      this.socket.destroy();
    }
    if (!this.socket.destroyed) {
      const s = this.socket as Duplex & { destroySoon?(): void };
      if (s.destroySoon) s.destroySoon();
      else s.end(() => s.destroy());
    }
    this.on.closed?.(info);
  }
}

/**
 * Throws unless `pieces` still hold the `bytes` they held when queued: a
 * view whose buffer was detached since reads as empty, and writing it would
 * send a frame shorter than its head says (Buffer.concat, the small-turn
 * path, throws on such a view by itself).
 */
function checkIntact(pieces: Uint8Array[], bytes: number): void {
  let n = 0;
  for (const b of pieces) n += b.length;
  if (n !== bytes) throw new Error(`${bytes - n} bytes of out-of-line data were detached before they were written`);
}
