/**
 * A minimal RFC 6455 client over node:http's upgrade (ws-frames.ts has the
 * framing): enough to speak the Chrome DevTools Protocol to a Node
 * inspector on the loopback. Text messages only go out; pings are answered;
 * a close is answered and ends the socket (RFC 6455 5.5.1).
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { RpcTraceError } from '../errors.js';
import { OP_CLOSE, OP_PONG, OP_TEXT, WsFrameParser, closePayload, encodeClientFrame } from './ws-frames.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a key (RFC 6455 4.2.2: base64 of SHA-1 of key + GUID). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export interface WsClient {
  send(text: string): void;
  /** Sends a close (1000) and ends the socket; resolves once it is closed. */
  close(): Promise<void>;
  /** Each text message. */
  onText: (text: string) => void;
  /** Once, when the connection is gone (why: null after a clean close). */
  onClose: (why: string | null) => void;
}

/** Opens ws://host:port/path; rejects with RpcTraceError('attach_failed') if the handshake fails or times out. */
export function wsConnect(url: string, timeoutMs = 5000): Promise<WsClient> {
  const u = new URL(url);
  if (u.protocol !== 'ws:') return Promise.reject(new RpcTraceError('attach_failed', `websocket: not a ws: URL: ${url}`));
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request({
      host: u.hostname,
      port: Number(u.port || 80),
      path: u.pathname + u.search,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new RpcTraceError('attach_failed', `websocket: no handshake from ${url} in ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(new RpcTraceError('attach_failed', `websocket: ${url}: ${e.message}`));
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      reject(new RpcTraceError('attach_failed', `websocket: ${url} answered HTTP ${res.statusCode ?? '?'} instead of switching protocols`));
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      clearTimeout(timer);
      if (res.headers['sec-websocket-accept'] !== acceptKey(key)) {
        socket.destroy();
        reject(new RpcTraceError('attach_failed', `websocket: ${url} gave a wrong Sec-WebSocket-Accept`));
        return;
      }
      resolve(wrap(socket, head));
    });
    req.end();
  });
}

function wrap(socket: Socket, head: Buffer): WsClient {
  const parser = new WsFrameParser();
  let gone = false;
  let closing = false;
  const client: WsClient = {
    send(text) {
      if (!gone && !closing) socket.write(encodeClientFrame(OP_TEXT, new TextEncoder().encode(text)));
    },
    close() {
      return new Promise((resolve) => {
        if (gone) return resolve();
        socket.once('close', () => resolve());
        if (!closing) {
          closing = true;
          socket.write(encodeClientFrame(OP_CLOSE, closePayload(1000)));
        }
        socket.end();
        // A peer that never closes its side must not hold us.
        setTimeout(() => socket.destroy(), 1000).unref();
      });
    },
    onText: () => undefined,
    onClose: () => undefined,
  };
  /** The connection is over: a failure destroys the socket; a clean close lets our close frame go out first. */
  const end = (why: string | null, destroy = true): void => {
    if (gone) return;
    gone = true;
    if (destroy) socket.destroy();
    else setTimeout(() => socket.destroy(), 1000).unref();
    client.onClose(why);
  };
  const take = (chunk: Uint8Array): void => {
    let events;
    try {
      events = parser.push(chunk);
    } catch (e) {
      end((e as Error).message);
      return;
    }
    for (const ev of events) {
      if (ev.type === 'text') client.onText(ev.text);
      else if (ev.type === 'ping') socket.write(encodeClientFrame(OP_PONG, ev.data));
      else if (ev.type === 'close') {
        if (!closing) {
          closing = true;
          socket.write(encodeClientFrame(OP_CLOSE, closePayload(ev.code ?? 1000)));
        }
        socket.end();
        end(null, false);
        return;
      }
    }
  };
  socket.setNoDelay(true);
  socket.on('data', (d: Buffer) => take(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
  socket.on('error', (e) => end(`websocket: ${e.message}`));
  socket.on('close', () => end(closing ? null : 'websocket: the connection closed', false));
  if (head.length > 0) setImmediate(() => take(new Uint8Array(head.buffer, head.byteOffset, head.byteLength)));
  return client;
}
