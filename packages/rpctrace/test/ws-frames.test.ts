/**
 * The attach's WebSocket (RFC 6455) framing and client: frames a client
 * sends are masked and decode back; the parser joins fragments, answers
 * control frames between them, and fails the connection (typed error) on
 * every violation a client must catch; fuzzed on random and mutated input.
 * The client's handshake and echo run against a real node:http server on
 * the loopback.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { isRpcTraceError } from '../src/errors.js';
import { acceptKey, wsConnect } from '../src/attach/ws-client.js';
import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT, WsFrameParser, closePayload, encodeClientFrame, type WsEvent } from '../src/attach/ws-frames.js';

const enc = new TextEncoder();

/** A frame as a server sends it (unmasked), with the FIN bit and opcode given. */
function serverFrame(op: number, payload: Uint8Array, fin = true, lengthForm: 'short' | 16 | 64 = 'short'): Uint8Array {
  const n = payload.length;
  const form = lengthForm === 'short' ? (n < 126 ? 7 : n < 0x10000 ? 16 : 64) : lengthForm;
  const head = form === 7 ? 2 : form === 16 ? 4 : 10;
  const out = new Uint8Array(head + n);
  out[0] = (fin ? 0x80 : 0) | op;
  if (form === 7) out[1] = n;
  else if (form === 16) {
    out[1] = 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  out.set(payload, head);
  return out;
}

/** A client frame decoded by hand: FIN, opcode, the mask bit, the payload unmasked. */
function decodeClientFrame(f: Uint8Array): { fin: boolean; op: number; masked: boolean; payload: Uint8Array; size: number } {
  let len = f[1]! & 0x7f;
  let at = 2;
  if (len === 126) {
    len = (f[2]! << 8) | f[3]!;
    at = 4;
  } else if (len === 127) {
    len = Number(new DataView(f.buffer, f.byteOffset + 2, 8).getBigUint64(0));
    at = 10;
  }
  const masked = (f[1]! & 0x80) !== 0;
  const key = f.subarray(at, at + 4);
  at += masked ? 4 : 0;
  const payload = f.slice(at, at + len);
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
  return { fin: (f[0]! & 0x80) !== 0, op: f[0]! & 0x0f, masked, payload, size: at + len };
}

function cat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function failsWith(bytes: Uint8Array, msg: RegExp, max?: number): void {
  const p = new WsFrameParser(max);
  let err: unknown;
  try {
    p.push(bytes);
  } catch (e) {
    err = e;
  }
  expect(isRpcTraceError(err) && err.code === 'attach_failed').toBe(true);
  expect((err as Error).message).toMatch(msg);
  // A failed connection takes nothing more.
  expect(() => p.push(serverFrame(OP_TEXT, enc.encode('x')))).toThrow(/already failed/);
}

describe('client frames', () => {
  test('are masked with the key given, every length form, and decode back', () => {
    const mask = Uint8Array.of(1, 2, 3, 4);
    for (const n of [0, 1, 125, 126, 65535, 65536, 70000]) {
      const payload = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
      const f = encodeClientFrame(OP_BINARY, payload, mask);
      const d = decodeClientFrame(f);
      expect(d).toMatchObject({ fin: true, op: OP_BINARY, masked: true, size: f.length });
      expect(d.payload).toEqual(payload);
      expect(f[1]! & 0x7f).toBe(n < 126 ? n : n < 0x10000 ? 126 : 127);
    }
    // The masked bytes are the payload XOR the key (RFC 6455 5.3).
    expect([...encodeClientFrame(OP_TEXT, enc.encode('Hi'), mask)]).toEqual([0x81, 0x82, 1, 2, 3, 4, 0x48 ^ 1, 0x69 ^ 2]);
  });

  test('a control frame carries at most 125 bytes; a close payload is the code then the reason', () => {
    expect(() => encodeClientFrame(OP_PING, new Uint8Array(126))).toThrow(/at most 125/);
    expect([...closePayload(1000, 'ok')]).toEqual([0x03, 0xe8, 0x6f, 0x6b]);
  });

  test('fresh masks are random (4 bytes each, not all the same)', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 8; i++) keys.add(Buffer.from(encodeClientFrame(OP_TEXT, new Uint8Array(0)).subarray(2, 6)).toString('hex'));
    expect(keys.size).toBeGreaterThan(1);
  });
});

describe('the frame parser', () => {
  test('whole messages, 16- and 64-bit lengths, fragments with control frames between, byte by byte', () => {
    const big = new Uint8Array(70000).fill(0x61);
    const stream = cat([
      serverFrame(OP_TEXT, enc.encode('{"id":1}')),
      serverFrame(OP_TEXT, enc.encode('hel'), false),
      serverFrame(OP_PING, enc.encode('p')),
      serverFrame(OP_CONTINUATION, enc.encode('lo '), false),
      serverFrame(OP_PONG, new Uint8Array(0)),
      serverFrame(OP_CONTINUATION, enc.encode('wörld')),
      serverFrame(OP_BINARY, new Uint8Array(300).fill(7)),
      serverFrame(OP_BINARY, big),
      serverFrame(OP_CLOSE, closePayload(1001, 'going away')),
      serverFrame(OP_TEXT, enc.encode('after close: ignored')),
    ]);
    const want: WsEvent[] = [
      { type: 'text', text: '{"id":1}' },
      { type: 'ping', data: enc.encode('p') },
      { type: 'pong', data: new Uint8Array(0) },
      { type: 'text', text: 'hello wörld' },
      { type: 'binary', data: new Uint8Array(300).fill(7) },
      { type: 'binary', data: big },
      { type: 'close', code: 1001, reason: 'going away' },
    ];
    expect(new WsFrameParser().push(stream)).toEqual(want);
    const p = new WsFrameParser();
    const got: WsEvent[] = [];
    for (let i = 0; i < stream.length; i += 997) got.push(...p.push(stream.subarray(i, i + 997)));
    expect(got).toEqual(want);
    const q = new WsFrameParser();
    const one: WsEvent[] = [];
    for (const b of stream.subarray(0, 60)) one.push(...q.push(Uint8Array.of(b)));
    expect(one).toEqual(want.slice(0, 4));
    expect(new WsFrameParser().push(serverFrame(OP_CLOSE, new Uint8Array(0)))).toEqual([{ type: 'close', code: null, reason: '' }]);
  });

  test('every violation a client must catch is a typed attach_failed error', () => {
    failsWith(cat([Uint8Array.of(0x81, 0x82, 1, 2, 3, 4, 0, 0)]), /server masked a frame/);
    failsWith(Uint8Array.of(0xc1, 0), /reserved bits/);
    failsWith(serverFrame(OP_PING, new Uint8Array(0), false), /fragmented control frame/);
    failsWith(Uint8Array.of(0x89, 126, 0, 126, ...new Uint8Array(126)), /a length not in its shortest form|longer than 125/);
    failsWith(serverFrame(OP_PING, new Uint8Array(126)), /control frame longer than 125/);
    failsWith(Uint8Array.of(0x8b, 0), /unknown control opcode 11/);
    failsWith(Uint8Array.of(0x83, 0), /unknown data opcode 3/);
    failsWith(serverFrame(OP_CONTINUATION, enc.encode('x')), /continuation frame with no message/);
    failsWith(cat([serverFrame(OP_TEXT, enc.encode('a'), false), serverFrame(OP_TEXT, enc.encode('b'))]), /new message before the previous one ended/);
    failsWith(serverFrame(OP_TEXT, new Uint8Array(10), true, 16), /shortest form/);
    failsWith(serverFrame(OP_TEXT, new Uint8Array(200), true, 64), /shortest form/);
    failsWith(serverFrame(OP_TEXT, Uint8Array.of(0xff, 0xfe)), /not UTF-8/);
    failsWith(serverFrame(OP_CLOSE, Uint8Array.of(3)), /one-byte payload/);
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000]) failsWith(serverFrame(OP_CLOSE, closePayload(code)), new RegExp(`status ${code}`));
    failsWith(serverFrame(OP_CLOSE, Uint8Array.of(3, 0xe8, 0xff)), /close reason that is not UTF-8/);
    failsWith(serverFrame(OP_BINARY, new Uint8Array(100)), /more than 64/, 64);
    failsWith(cat([serverFrame(OP_BINARY, new Uint8Array(40), false), serverFrame(OP_CONTINUATION, new Uint8Array(40))]), /message of more than 64/, 64);
    // A 64-bit length past the bound fails before any payload arrives.
    const huge = Uint8Array.of(0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0);
    failsWith(huge, /a frame of 4294967296 bytes/);
  });

  test('fuzz: random fragmentations of random messages with interleaved pings parse back whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 300 }), fc.integer({ min: 1, max: 4 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 50 }),
        (messages, chunk) => {
          const frames: Uint8Array[] = [];
          const want: WsEvent[] = [];
          for (const [text, parts, ping] of messages) {
            const bytes = enc.encode(text);
            const step = Math.ceil(bytes.length / parts) || 1;
            const pieces: Uint8Array[] = [];
            for (let i = 0; i < Math.max(1, bytes.length); i += step) pieces.push(bytes.subarray(i, i + step));
            const message: WsEvent = { type: 'text', text: new TextDecoder().decode(bytes) };
            pieces.forEach((p, i) => {
              frames.push(serverFrame(i === 0 ? OP_TEXT : OP_CONTINUATION, p, i === pieces.length - 1));
              if (i === pieces.length - 1) want.push(message);
              // A ping after the first fragment: between fragments, or after a one-frame message.
              if (ping && i === 0) {
                frames.push(serverFrame(OP_PING, Uint8Array.of(7)));
                want.push({ type: 'ping', data: Uint8Array.of(7) });
              }
            });
          }
          const stream = cat(frames);
          const p = new WsFrameParser();
          const got: WsEvent[] = [];
          for (let i = 0; i < stream.length; i += chunk) got.push(...p.push(stream.subarray(i, i + chunk)));
          expect(got).toEqual(want);
          expect(p.pending).toBe(0);
        },
      ),
      { seed: 6455, numRuns: 300 },
    );
  });

  test('fuzz: random and mutated bytes give events or a typed error, never anything else', () => {
    const valid = cat([serverFrame(OP_TEXT, enc.encode('{"id":1,"result":{}}')), serverFrame(OP_PING, enc.encode('x')), serverFrame(OP_BINARY, new Uint8Array(130).fill(1))]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((edits) => {
            const b = valid.slice();
            for (const [at, v] of edits) b[at] = v;
            return b;
          }),
        ),
        fc.integer({ min: 1, max: 64 }),
        (bytes, chunk) => {
          const p = new WsFrameParser(1024);
          try {
            for (let i = 0; i < bytes.length; i += chunk) p.push(bytes.subarray(i, i + chunk));
          } catch (e) {
            expect(isRpcTraceError(e) && e.code === 'attach_failed').toBe(true);
          }
        },
      ),
      { seed: 9229, numRuns: 2000 },
    );
  });
});

describe('the client, against a real server on the loopback', () => {
  let server: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    // Upgraded sockets are the test's: server.close() waits for them.
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((r) => (server === null || !server.listening ? r() : server.close(() => r())));
    server = null;
  });
  const closeServer = async (): Promise<void> => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((r) => server!.close(() => r()));
  };

  /** A server that answers the handshake (with a wrong key if told) and runs `talk` on the socket. */
  async function serve(talk: (s: Socket) => void, wrongKey = false): Promise<number> {
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket: Socket) => {
      sockets.push(socket);
      const key = String(req.headers['sec-websocket-key']);
      expect(req.headers['sec-websocket-version']).toBe('13');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wrongKey ? acceptKey('x') : acceptKey(key)}\r\n\r\n`);
      talk(socket);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return (server.address() as { port: number }).port;
  }

  test('the accept key is RFC 6455\'s example', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('sends masked text, gets fragmented echoes, answers a ping, closes cleanly', async () => {
    const fromClient: { op: number; masked: boolean; text: string }[] = [];
    let serverGotClose: () => void = () => undefined;
    const gotClose = new Promise<void>((r) => (serverGotClose = r));
    const port = await serve((s) => {
      let buf: Uint8Array = new Uint8Array(0);
      s.on('data', (d: Buffer) => {
        buf = cat([buf, new Uint8Array(d)]);
        while (buf.length >= 2) {
          const len7 = buf[1]! & 0x7f;
          const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + 4 + (len7 < 126 ? len7 : len7 === 126 ? (buf[2]! << 8) | buf[3]! : Infinity);
          if (buf.length < need) return;
          const f = decodeClientFrame(buf);
          buf = buf.slice(f.size);
          const text = new TextDecoder().decode(f.payload);
          fromClient.push({ op: f.op, masked: f.masked, text });
          if (f.op === OP_TEXT) {
            // Echo in two fragments with a ping between.
            const b = enc.encode(text.toUpperCase());
            s.write(cat([serverFrame(OP_TEXT, b.subarray(0, 2), false), serverFrame(OP_PING, enc.encode('are you there')), serverFrame(OP_CONTINUATION, b.subarray(2))]));
          } else if (f.op === OP_PONG && text === 'are you there') s.write(serverFrame(OP_CLOSE, closePayload(1000, 'bye')));
          else if (f.op === OP_CLOSE) {
            s.end();
            serverGotClose();
          }
        }
      });
    });
    const ws = await wsConnect(`ws://127.0.0.1:${port}/abc`);
    const texts: string[] = [];
    const closed = new Promise<string | null>((r) => (ws.onClose = r));
    ws.onText = (t) => texts.push(t);
    ws.send('hello inspector');
    expect(await closed).toBeNull();
    await gotClose;
    expect(texts).toEqual(['HELLO INSPECTOR']);
    expect(fromClient).toEqual([
      { op: OP_TEXT, masked: true, text: 'hello inspector' },
      { op: OP_PONG, masked: true, text: 'are you there' },
      { op: OP_CLOSE, masked: true, text: new TextDecoder().decode(closePayload(1000)) },
    ]);
  });

  test('a bad handshake or a protocol violation is a typed error, not a crash', async () => {
    const bad = await serve(() => undefined, true);
    await expect(wsConnect(`ws://127.0.0.1:${bad}/`)).rejects.toMatchObject({ code: 'attach_failed', message: /wrong Sec-WebSocket-Accept/ });
    await closeServer();
    const masked = await serve((s) => s.write(Uint8Array.of(0x81, 0x81, 1, 2, 3, 4, 0x41)));
    const ws = await wsConnect(`ws://127.0.0.1:${masked}/`);
    expect(await new Promise<string | null>((r) => (ws.onClose = r))).toMatch(/server masked a frame/);
    await closeServer();
    server = createServer((_q, res) => res.writeHead(404).end('no'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    await expect(wsConnect(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`)).rejects.toMatchObject({ code: 'attach_failed', message: /HTTP 404/ });
    await expect(wsConnect('http://127.0.0.1:1/')).rejects.toMatchObject({ code: 'attach_failed', message: /not a ws: URL/ });
  });
});
