/**
 * Link mode over real loopback sockets: two netmsg-wire peers (a client
 * node and a server node), directly connected and then with hurd-rpctrace
 * in between. The tracer must authenticate to both, forward every frame
 * unchanged and in order, print each RPC with the nodes it crossed between,
 * and end both links with a CLOSE when it stops.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { traceLink, type LinkTrace } from '../src/index.js';
import { SECRET, connectClient, ioReadRequest, linkFrames, startServerNode, type Peer, type ServerNode } from './support/link-peer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(opts: Parameters<typeof startServerNode>[1] = {}): Promise<ServerNode> {
  const s = await startServerNode(2, opts);
  cleanups.push(() => s.close());
  return s;
}

async function tracer(target: number, extra: Partial<Parameters<typeof traceLink>[0]> = {}): Promise<{ t: LinkTrace; text: () => string }> {
  let out = '';
  let tick = 0;
  const t = await traceLink({
    listen: { host: '127.0.0.1', port: 0 },
    connect: { host: '127.0.0.1', port: target },
    secret: SECRET,
    write: (s) => (out += s),
    now: () => 1000 * tick++,
    ...extra,
  });
  cleanups.push(() => t.stop());
  return { t, text: () => out };
}

function client(port: number): Peer {
  const c = connectClient(1, port);
  cleanups.push(() => void c.socket.destroy());
  return c;
}

/** Three io_read RPCs, one after the other. */
async function exchange(c: Peer): Promise<string[]> {
  await c.established;
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    const reply = { node: 1, serial: 10 + i };
    c.send(ioReadRequest({ node: 2, serial: 1 }, reply, BigInt(i), BigInt(5 + i)));
    const r = await c.next(reply);
    const data = r.items[1];
    got.push(data?.kind === 'data' ? Buffer.from(data.data.subarray(0, 5 + i)).toString() : '?');
  }
  return got;
}

describe('link mode', () => {
  test('the exchange is byte-identical with and without the tracer, and every RPC prints with its nodes', async () => {
    const direct = await serve();
    const c0 = client(direct.port);
    const plain = await exchange(c0);
    const s0 = direct.peers[0] as Peer;

    const behind = await serve();
    const { t, text } = await tracer(behind.port);
    const c1 = client(t.address.port);
    const traced = await exchange(c1);
    const s1 = behind.peers[0] as Peer;

    expect(traced).toEqual(['abcde', 'abcdef', 'abcdefg']);
    expect(traced).toEqual(plain);
    // Each end saw the same frames, byte for byte, as on the direct link.
    expect(linkFrames(c1)).toEqual(linkFrames(c0));
    expect(linkFrames(s1)).toEqual(linkFrames(s0));
    expect(linkFrames(c1)).toHaveLength(3);
    // Each peer took the tracer for the other node.
    expect((await c1.established).node).toBe(2);
    expect((await s1.established).node).toBe(1);

    await t.stop();
    expect(text().split('\n')).toEqual([
      '--- link 1: node1 (x86_64) <-> node2 (x86_64) ---',
      'node1 -> node2 io_read(io_object: copy-send 2:1, offset: 0, amount: 5) = 0 (data: 5 bytes "abcde")',
      'node1 -> node2 io_read(io_object: copy-send 2:1, offset: 1, amount: 6) = 0 (data: 6 bytes "abcdef")',
      'node1 -> node2 io_read(io_object: copy-send 2:1, offset: 2, amount: 7) = 0 (data: 7 bytes "abcdefg")',
      '--- link 1 closed: hurd-rpctrace stopped ---',
      '',
    ]);
  });

  test('stopping the tracer ends both links with a CLOSE that says why', async () => {
    const s = await serve();
    const { t } = await tracer(s.port);
    const c = client(t.address.port);
    await c.established;
    const server = s.peers[0] as Peer;
    await server.established;
    await t.stop('tracer going away');
    const [cc, sc] = await Promise.all([c.closed, server.closed]);
    expect(cc).toMatchObject({ byPeer: true, reason: 'peer_closed: tracer going away' });
    expect(sc).toMatchObject({ byPeer: true, reason: 'peer_closed: tracer going away' });
  });

  test('a tracer without the right secret gets no link, and neither side is left hanging', async () => {
    const s = await serve();
    const { t, text } = await tracer(s.port, { secret: new TextEncoder().encode('not the secret') });
    const c = client(t.address.port);
    const closed = await c.closed;
    // Whichever proof fails first (the client's check of the tracer's, or the
    // tracer's check of the client's), the link ends as an authentication failure.
    expect(`${closed.code} ${closed.reason}`).toMatch(/auth_failed/);
    // And the node behind the tracer (which the tracer cannot prove itself to either) is not left hanging.
    const server = await (async () => {
      while (s.peers.length === 0) await new Promise((r) => setTimeout(r, 5));
      return s.peers[0] as Peer;
    })();
    const sc = await server.closed;
    expect(`${sc.code} ${sc.reason}`).toMatch(/auth_failed|peer_closed/);
    await t.stop();
    expect(text()).toMatch(/--- link 1 closed: .*auth_failed/);
  });

  test('a node that goes away without CLOSE ends the other link with a CLOSE', async () => {
    const s = await serve();
    const { t, text } = await tracer(s.port);
    const c = client(t.address.port);
    await c.established;
    (s.peers[0] as Peer).socket.destroy();
    const closed = await c.closed;
    expect(closed).toMatchObject({ byPeer: true });
    expect(closed.reason).toMatch(/^peer_closed: node 2 went away/);
    await t.stop();
    expect(text()).toMatch(/--- link 1 closed: node 2 went away/);
  });

  test('a server blocking in a nested RPC to its own client completes through the tracer', async () => {
    const s = await serve({ callBack: { node: 1, serial: 2 } });
    const { t, text } = await tracer(s.port, { showLatency: false });
    const c = client(t.address.port);
    const got = await exchange(c);
    expect(got).toEqual(['abcde', 'abcdef', 'abcdefg']);
    await t.stop();
    const lines = text().split('\n');
    expect(lines[1]).toBe('node1 -> node2 io_read(io_object: copy-send 2:1, offset: 0, amount: 5) <unfinished ...>');
    expect(lines[2]).toBe('node2 -> node1 io_read(io_object: copy-send 1:2, offset: 0, amount: 4) = 0 (data: 4 bytes "back")');
    expect(lines[3]).toBe('node1 <... io_read resumed> = 0 (data: 5 bytes "abcde")');
  });
});
