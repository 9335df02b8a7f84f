/**
 * A write the socket refuses ends the link with a typed reason instead of
 * throwing out of the event loop turn that writes (TcpLink writes a turn's
 * frames from a setImmediate, where a throw is an uncaught exception of the
 * whole process). The out-of-line bytes of a frame are written as views of
 * the sender's buffer (netmsg-wire's Connection.send: no copy), so a buffer
 * the sender detached before the turn ran (transferred, e.g. to a worker)
 * is what makes such a write fail: Buffer.concat, for a turn of small
 * frames, throws on it; a corked turn of large ones would write its
 * zero-length remains and desynchronise the peer's frame stream. Real
 * sockets on loopback.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkFrame, WireMessage } from 'netmsg-wire';
import { TcpLink } from '../src/tcp-link.js';
import { until } from './helpers.js';

const SECRET = new TextEncoder().encode('tcp link write failure secret');

interface End {
  link: TcpLink;
  frames: LinkFrame[];
  closed: { code: string; reason: string; byPeer: boolean }[];
  up: boolean;
}

function end(socket: Socket, node: number): End {
  const e: End = { frames: [], closed: [], up: false } as unknown as End;
  e.link = new TcpLink(socket, { node, secret: SECRET }, {
    established: () => void (e.up = true),
    frame: (f) => void e.frames.push(f),
    closed: (info) => void e.closed.push(info),
  });
  return e;
}

function withOol(data: Uint8Array): WireMessage {
  return {
    dest: { right: 'send', id: { node: 2, serial: 5 } },
    reply: { tag: 'null' },
    msgId: 4242,
    otherBits: 0,
    items: [{ kind: 'ool', name: 9, size: 8, count: data.length, longform: false, deallocate: false, data }],
  };
}

describe('a link whose socket refuses a write', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  afterEach(async () => {
    process.off('uncaughtException', onUncaught);
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function linkedPair(): Promise<[End, End]> {
    let accepted!: End;
    server = createServer((s) => {
      sockets.push(s);
      accepted = end(s, 2);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const s = netConnect((server.address() as { port: number }).port, '127.0.0.1');
    sockets.push(s);
    const dialled = end(s, 1);
    await until(() => dialled.up && accepted !== undefined && accepted.up);
    return [dialled, accepted];
  }

  for (const bytes of [3000, 256 * 1024]) {
    it(`out-of-line bytes (${bytes}) detached before the turn's write: the link ends as socket_error, nothing is thrown, the peer gets no frame`, async () => {
      process.on('uncaughtException', onUncaught);
      const [a, b] = await linkedPair();
      const data = new Uint8Array(bytes).fill(7);
      a.link.send(withOol(data));
      // The sender gives its buffer away before the link's write turn (setImmediate) runs.
      structuredClone(data.buffer, { transfer: [data.buffer] });
      expect(data.length).toBe(0);
      await until(() => a.closed.length > 0 && b.closed.length > 0);
      expect(uncaught).toEqual([]);
      expect(a.closed).toEqual([{ code: 'socket_error', reason: expect.stringMatching(/^write failed: /) as unknown as string, byPeer: false }]);
      expect(a.link.isClosed).toBe(true);
      expect(b.frames).toEqual([]);
      expect(b.closed.length).toBe(1);
      expect(b.closed[0]!.byPeer).toBe(true);
    });
  }

  it('the link closed right after such a send: its CLOSE cannot follow a cut frame, so it ends as socket_error, nothing thrown', async () => {
    process.on('uncaughtException', onUncaught);
    const [a, b] = await linkedPair();
    const data = new Uint8Array(3000).fill(7);
    a.link.send(withOol(data));
    structuredClone(data.buffer, { transfer: [data.buffer] });
    a.link.close('normal', 'done');
    expect(a.link.isClosed).toBe(true);
    expect(a.closed.map((c) => c.code)).toEqual(['socket_error']);
    await until(() => b.closed.length > 0);
    expect(uncaught).toEqual([]);
    expect(b.frames).toEqual([]);
  });

  it('the same message, not detached, arrives whole (the check above is not what stops it)', async () => {
    const [a, b] = await linkedPair();
    const data = new Uint8Array(3000).fill(7);
    a.link.send(withOol(data));
    await until(() => b.frames.length > 0);
    const f = b.frames[0]!;
    expect(f.kind).toBe('message');
    const item = f.kind === 'message' ? f.msg.items[0] : undefined;
    expect(item?.kind === 'ool' && item.data).toEqual(new Uint8Array(3000).fill(7));
    expect(a.closed).toEqual([]);
  });
});
