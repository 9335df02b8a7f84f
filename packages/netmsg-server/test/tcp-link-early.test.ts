/**
 * A link attached to a socket whose peer already spoke: the bytes read
 * before `attach` (a dialled socket reads into a holding buffer until a link
 * takes it, transport/in-place-read.ts) are handled after the constructor
 * returned, so a handler that names the link (ClusterNode's `closed` drops
 * it from its set) never runs before the link exists. Found when a client
 * whose kernel took seconds to boot (`--kernel gnumach`) attached to a
 * socket the node had already refused: the attach threw a ReferenceError
 * instead of reporting the link down.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode } from '../src/cluster/cluster-node.js';
import { dialTransport } from '../src/transport/dial.js';
import { until } from './helpers.js';

const SECRET = new TextEncoder().encode('tcp link early bytes secret');

describe('bytes that arrived before the link attached', () => {
  const closing: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c();
  });

  /** A peer that writes `bytes` as soon as a connection comes, and keeps it open. */
  async function speaker(bytes: Uint8Array): Promise<number> {
    const accepted: Socket[] = [];
    const server: Server = createServer((s) => {
      accepted.push(s);
      s.on('error', () => undefined);
      s.write(bytes);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closing.push(() => new Promise<void>((r) => {
      for (const s of accepted) s.destroy();
      server.close(() => r());
    }));
    return (server.address() as { port: number }).port;
  }

  it('a peer that sent garbage first: attach returns, and the link goes down with a typed reason', async () => {
    const port = await speaker(new Uint8Array(64).fill(0xee));
    const node = await ClusterNode.create({ nodeId: 7 });
    closing.push(() => node.close());
    const { socket } = await dialTransport({ host: '127.0.0.1', port });
    // The garbage is read (into the holding buffer) before anything attaches.
    await until(() => socket.bytesRead >= 64);
    const downs: { code: string }[] = [];
    const link = node.attach(socket, { secret: SECRET, onDown: (info) => downs.push(info) });
    expect(link.isClosed).toBe(false);
    expect(downs).toEqual([]);
    await until(() => downs.length > 0);
    expect(downs.length).toBe(1);
    expect(downs[0]!.code).not.toBe('peer_closed');
    expect(link.isClosed).toBe(true);
    expect(node.peers()).toEqual([]);
  });
});
