import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect, isNetmsgServerError, silentLogger, startNode, TcpLink } from '../src/index.js';
import { makeTree, pattern, until } from './helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('links', () => {
  it('serves concurrent clients byte-exact', async () => {
    const tree = makeTree();
    const files = Array.from({ length: 6 }, (_, i) => pattern(10_000 + i * 7_001, 100 + i));
    files.forEach((d, i) => writeFileSync(join(tree.root, `f${i}`), d));
    const node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: 'concurrent secret' }, { logger: silentLogger });
    try {
      const clients = await Promise.all(Array.from({ length: 5 }, () => connect(`127.0.0.1:${node.port}`, { secret: 'concurrent secret' })));
      // The node counts a link once it has the client's proof; the client may be up a moment before.
      await until(() => node.linkCount() === 5);
      await Promise.all(clients.flatMap((c, ci) => files.map(async (d, i) => {
        const j = (i + ci) % files.length;
        const got = await c.read(`f${j}`);
        expect(Buffer.from(got).equals(Buffer.from(files[j]!))).toBe(true);
      })));
      clients.forEach((c) => c.close());
    } finally {
      await node.close();
      tree.cleanup();
    }
  });

  it('a peer that dies mid-RPC fails the pending call at once', async () => {
    const secret = new TextEncoder().encode('dying peer secret');
    let server: Server | undefined;
    const port = await new Promise<number>((resolve) => {
      server = createServer((socket) => {
        // Authenticates, then drops the connection when the first request arrives.
        new TcpLink(socket, { node: 77, secret }, { message: () => socket.destroy() });
      });
      server.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
    try {
      const c = await connect(`127.0.0.1:${port}`, { secret: 'dying peer secret', timeoutMs: 60_000 });
      const e = await c.root().catch((x: unknown) => x);
      expect(isNetmsgServerError(e) && e.code).toBe('link_closed');
      const e2 = await c.read('x').catch((x: unknown) => x);
      expect(isNetmsgServerError(e2) && e2.code).toBe('link_closed');
    } finally {
      await new Promise<void>((r) => server!.close(() => r()));
    }
  });
});
