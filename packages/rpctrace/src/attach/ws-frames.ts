/**
 * RFC 6455 frames, sans-IO: what the attach client (ws-client.ts) sends to a
 * Node inspector and parses back. Node 20 has no WebSocket client without a
 * flag, and the inspector speaks nothing else, so the few parts a client
 * needs are here: masked frames out (RFC 6455 5.3: a client MUST mask every
 * frame), unmasked frames in (5.1: a client MUST fail the connection on a
 * masked server frame), 7/16/64-bit lengths (5.2), fragmented messages
 * (continuation frames, 5.4) with control frames between fragments, and the
 * close frame's status code (5.5.1).
 */
import { randomFillSync } from 'node:crypto';
import { RpcTraceError } from '../errors.js';
import { joinBytes } from '../join-bytes.js';

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Largest message accepted (the inspector's replies here are a few KiB). */
export const WS_MAX_MESSAGE = 16 * 1024 * 1024;

/** What the parser hands out: whole messages (fragments joined) and control frames. */
export type WsEvent =
  | { type: 'text'; text: string }
  | { type: 'binary'; data: Uint8Array }
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  | { type: 'close'; code: number | null; reason: string };

function fail(why: string): never {
  throw new RpcTraceError('attach_failed', `websocket: ${why}`);
}

/**
 * One frame as a client sends it: FIN set, masked with `mask` (4 bytes; a
 * fresh random key by default, RFC 6455 5.3 wants it unpredictable).
 */
export function encodeClientFrame(opcode: number, payload: Uint8Array, mask?: Uint8Array): Uint8Array {
  if ((opcode & 0x8) !== 0 && payload.length > 125) fail('a control frame carries at most 125 bytes');
  const key = mask ?? randomFillSync(new Uint8Array(4));
  const n = payload.length;
  const lenBytes = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
  const head = 2 + lenBytes + 4;
  const out = new Uint8Array(head + n);
  out[0] = 0x80 | (opcode & 0x0f);
  if (lenBytes === 0) out[1] = 0x80 | n;
  else if (lenBytes === 2) {
    out[1] = 0x80 | 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 0x80 | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  out.set(key.subarray(0, 4), 2 + lenBytes);
  for (let i = 0; i < n; i++) out[head + i] = payload[i]! ^ key[i & 3]!;
  return out;
}

/** A close frame's payload: the status code, big-endian, then the reason in UTF-8. */
export function closePayload(code: number, reason = ''): Uint8Array {
  const r = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the server's byte stream into events. push() throws
 * RpcTraceError('attach_failed') on a protocol violation, after which the
 * parser takes nothing more (the connection is to be failed, RFC 6455 7.1.7).
 */
export class WsFrameParser {
  #buf: Uint8Array = new Uint8Array(0);
  /** Opcode of the fragmented message being assembled, or -1. */
  #fragOp = -1;
  #frags: Uint8Array[] = [];
  #fragLen = 0;
  #failed = false;
  #closed = false;
  readonly #max: number;

  constructor(maxMessage = WS_MAX_MESSAGE) {
    this.#max = maxMessage;
  }

  push(chunk: Uint8Array): WsEvent[] {
    if (this.#failed) fail('the connection already failed');
    try {
      return this.#push(chunk);
    } catch (e) {
      this.#failed = true;
      throw e;
    }
  }

  #push(chunk: Uint8Array): WsEvent[] {
    if (this.#closed) return [];
    const buf = this.#buf.length === 0 ? chunk : joinBytes([this.#buf, chunk], this.#buf.length + chunk.length);
    const out: WsEvent[] = [];
    let at = 0;
    for (;;) {
      if (buf.length - at < 2) break;
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      const fin = (b0 & 0x80) !== 0;
      if ((b0 & 0x70) !== 0) fail('reserved bits set (no extension was negotiated)');
      const op = b0 & 0x0f;
      if ((b1 & 0x80) !== 0) fail('the server masked a frame');
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - at < 4) break;
        len = (buf[at + 2]! << 8) | buf[at + 3]!;
        if (len < 126) fail('a length not in its shortest form');
        head = 4;
      } else if (len === 127) {
        if (buf.length - at < 10) break;
        const big = new DataView(buf.buffer, buf.byteOffset + at + 2, 8).getBigUint64(0);
        if (big > BigInt(this.#max)) fail(`a frame of ${big} bytes (more than ${this.#max})`);
        len = Number(big);
        if (len < 0x10000) fail('a length not in its shortest form');
        head = 10;
      }
      const control = (op & 0x8) !== 0;
      if (control) {
        if (!fin) fail('a fragmented control frame');
        if (len > 125) fail('a control frame longer than 125 bytes');
        if (op !== OP_CLOSE && op !== OP_PING && op !== OP_PONG) fail(`unknown control opcode ${op}`);
      } else if (op !== OP_CONTINUATION && op !== OP_TEXT && op !== OP_BINARY) fail(`unknown data opcode ${op}`);
      if (len > this.#max) fail(`a frame of ${len} bytes (more than ${this.#max})`);
      if (buf.length - at < head + len) break;
      const payload = buf.slice(at + head, at + head + len);
      at += head + len;
      if (control) {
        if (op === OP_PING) out.push({ type: 'ping', data: payload });
        else if (op === OP_PONG) out.push({ type: 'pong', data: payload });
        else {
          out.push(parseClose(payload));
          this.#closed = true;
          break;
        }
        continue;
      }
      if (op === OP_CONTINUATION) {
        if (this.#fragOp < 0) fail('a continuation frame with no message to continue');
      } else if (this.#fragOp >= 0) fail('a new message before the previous one ended');
      else this.#fragOp = op;
      this.#fragLen += len;
      if (this.#fragLen > this.#max) fail(`a message of more than ${this.#max} bytes`);
      this.#frags.push(payload);
      if (fin) {
        const data = this.#frags.length === 1 ? this.#frags[0]! : joinBytes(this.#frags, this.#fragLen);
        const textual = this.#fragOp === OP_TEXT;
        this.#fragOp = -1;
        this.#frags = [];
        this.#fragLen = 0;
        if (textual) {
          let text: string;
          try {
            text = utf8.decode(data);
          } catch {
            fail('a text message that is not UTF-8');
          }
          out.push({ type: 'text', text });
        } else out.push({ type: 'binary', data });
      }
    }
    this.#buf = at >= buf.length ? new Uint8Array(0) : buf.slice(at);
    return out;
  }

  /** Bytes of a frame not complete yet. */
  get pending(): number {
    return this.#buf.length;
  }
}

function parseClose(p: Uint8Array): WsEvent {
  if (p.length === 0) return { type: 'close', code: null, reason: '' };
  if (p.length === 1) fail('a close frame with a one-byte payload');
  const code = (p[0]! << 8) | p[1]!;
  // RFC 6455 7.4: codes a peer may send (1004-1006 and 1015 are never sent; <1000 unused).
  if (code < 1000 || code === 1004 || code === 1005 || code === 1006 || code === 1015 || (code > 1014 && code < 3000) || code > 4999) fail(`a close frame with status ${code}`);
  let reason: string;
  try {
    reason = utf8.decode(p.subarray(2));
  } catch {
    fail('a close reason that is not UTF-8');
  }
  return { type: 'close', code, reason };
}
