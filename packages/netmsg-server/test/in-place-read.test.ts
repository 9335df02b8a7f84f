/**
 * A socket we dial is read in place (transport/in-place-read.ts: net.Socket's
 * `onread` with the buffer the link's Connection names). Bytes read before a
 * link attaches reach it first and in order; a peer that floods before then
 * is read only up to a bound, then the socket stops reading until the link
 * attaches; large out-of-line messages arrive byte-exact over a real
 * loopback link.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { WireMessage } from 'netmsg-wire';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpLink, dialTransport } from '../src/index.js';
import { pattern, until } from './helpers.js';

const secret = new TextEncoder().encode('in-place read test secret');
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    sockets.push(s);
    onSocket(s);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function oolMessage(data: Uint8Array, msgId: number): WireMessage {
  return {
    dest: { right: 'send', id: { node: 2, serial: 9 } }, reply: { tag: 'null' }, msgId, otherBits: 0,
    items: [{ kind: 'ool', name: 9, size: 8, count: data.length, longform: true, deallocate: false, data }],
  };
}

describe('in-place reads of a dialled socket', () => {
  it('the peer\'s HELLO read before the link attached is taken first; 1 MiB messages arrive byte-exact', async () => {
    const sizes = [1 << 20, 70_000, 0, 1 << 20, 5];
    const data = sizes.map((n, i) => pattern(n, 40 + i));
    const port = await listen((socket) => {
      const server: TcpLink = new TcpLink(socket, { node: 1, secret }, {
        established: () => data.forEach((d, i) => server.send(oolMessage(d, 100 + i))),
      });
    });
    const { socket } = await dialTransport({ host: '127.0.0.1', port });
    sockets.push(socket);
    // The node's HELLO is read (into the holding buffer) before any link exists.
    await until(() => socket.bytesRead > 0);
    const got: WireMessage[] = [];
    const link = new TcpLink(socket, { node: 2, secret }, { message: (m) => got.push(m) });
    try {
      await until(() => got.length === sizes.length);
      got.forEach((m, i) => {
        expect(m.msgId).toBe(100 + i);
        const it = m.items[0];
        expect(it?.kind === 'ool' && Buffer.from(it.data).equals(Buffer.from(data[i]!))).toBe(true);
      });
    } finally {
      link.close('normal', 'done');
    }
  });

  it('a peer that floods before the link attaches is read only up to a bound, then refused by the link', async () => {
    const flood = new Uint8Array(4 << 20).fill(0x41);
    const port = await listen((socket) => {
      socket.on('error', () => {});
      socket.write(flood);
    });
    const { socket } = await dialTransport({ host: '127.0.0.1', port });
    sockets.push(socket);
    await until(() => socket.bytesRead >= 64 * 1024);
    // Reading stopped: many turns later the socket has still read far less than was sent.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(socket.bytesRead).toBeLessThan(256 * 1024);
    let closed: { code: string } | undefined;
    new TcpLink(socket, { node: 2, secret }, { closed: (info) => (closed = info) });
    await until(() => closed !== undefined);
    // 'AAAA' as a length prefix is far over the pre-authentication frame limit.
    expect(closed!.code).toBe('frame_too_large');
  });
});
