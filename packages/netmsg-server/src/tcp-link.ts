import type { Duplex } from 'node:stream';
import { Connection, withLimits, type ConnectionEvent, type LinkFrame, type PeerInfo, type WireErrorCode, type WireLimits, type WireMessage, type ControlFrame } from 'netmsg-wire';
import type { Logger } from './log.js';

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

export class TcpLink {
  readonly conn: Connection;
  private closedInfo: { code: string; reason: string; byPeer: boolean } | undefined;
  private readonly timer: NodeJS.Timeout;
  private corked = false;

  constructor(
    readonly socket: Duplex & { setNoDelay?(on: boolean): unknown },
    private readonly opts: TcpLinkOptions,
    private readonly on: TcpLinkHandlers,
  ) {
    this.conn = new Connection({ node: opts.node, abi: 'x86_64', secret: opts.secret, limits: opts.limits ?? withLimits() });
    socket.setNoDelay?.(true);
    this.timer = setTimeout(() => {
      if (!this.conn.isEstablished) this.close('auth_failed', 'handshake timed out');
    }, opts.handshakeTimeoutMs ?? 10_000);
    this.timer.unref();
    socket.on('data', (b: Buffer) => this.handle(this.conn.receive(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))));
    socket.on('error', (e) => this.finish({ code: 'socket_error', reason: e.message, byPeer: true }));
    socket.on('close', () => this.finish({ code: 'peer_closed', reason: 'connection closed', byPeer: true }));
    this.handle(this.conn.start());
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

  sendFrame(frame: LinkFrame): void {
    if (this.isClosed) return;
    this.conn.send(frame);
    this.flush();
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
    // leave in one write: cork now, uncork once the turn's promise chains
    // have run.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        if (!this.socket.destroyed) this.socket.uncork();
      });
    }
    for (const b of out) this.socket.write(b);
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
        // Our CLOSE (if any) is flushed above; then the stream ends.
        this.socket.end();
        this.finish({ code: ev.code, reason: ev.reason, byPeer: ev.byPeer });
      }
      if (this.isClosed) return;
    }
  }

  private finish(info: { code: string; reason: string; byPeer: boolean }): void {
    if (this.closedInfo) return;
    this.closedInfo = info;
    clearTimeout(this.timer);
    if (!this.socket.destroyed) {
      const s = this.socket as Duplex & { destroySoon?(): void };
      if (s.destroySoon) s.destroySoon();
      else s.end(() => s.destroy());
    }
    this.on.closed?.(info);
  }
}
