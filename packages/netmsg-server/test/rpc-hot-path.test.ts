/**
 * The null RPC's hot path (BENCHMARKS.md run 10, null RPC): the driver's
 * event queue, the PORT_DELETED notifications it drops from their raw
 * header, the MIG user without out-of-line data. Many round trips leave
 * every netmsg task as it was: no name gained, nothing left queued on its
 * notify port, no driver error, and each reply reaches its own caller.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startNode, type RunningNode } from '../src/index.js';
import type { FsClient } from '../src/client.js';
import type { NetmsgDriver } from '../src/cluster/netmsg-driver.js';

const SECRET = 'rpc hot path test secret';

async function notifyQueued(d: NetmsgDriver): Promise<number> {
  const st = await d.kernel.portGetReceiveStatus(d.task, d.notifyPort);
  expect(st.kr).toBe(0);
  return st.status!.msgcount;
}

describe('null RPCs through two nodes', () => {
  let dir: string;
  let node: RunningNode;
  let c: FsClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netmsg-server-hot-path-'));
    chmodSync(dir, 0o755);
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`.repeat(i + 1));
    node = await startNode({ export: dir, listen: '127.0.0.1:0', secret: SECRET, logLevel: 'silent' });
    c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET });
  });

  afterAll(async () => {
    await c?.close();
    await node?.close('bye');
    rmSync(dir, { recursive: true, force: true });
  });

  it('leave both netmsg tasks as they were, and every reply goes to its own caller', async () => {
    const server = node.cluster.driver;
    const client = c.node.driver;
    const root = await c.root();
    for (let i = 0; i < 5; i++) await c.call(root, 'io_server_version', {});
    await server.idle();
    await client.idle();
    const before = { server: await server.portCount(), client: await client.portCount() };
    for (let i = 0; i < 300; i++) await c.call(root, 'io_server_version', {});
    await server.idle();
    await client.idle();
    // No name gained per call (the reply proxies and send-once rights are gone), nothing left on the notify ports.
    expect(await server.portCount()).toBe(before.server);
    expect(await client.portCount()).toBe(before.client);
    expect(await notifyQueued(server)).toBe(0);
    expect(await notifyQueued(client)).toBe(0);
    // Concurrent calls on different files: each answer is the one its caller asked for.
    const names = [0, 1, 2, 3].map((i) => `f${i}.txt`);
    for (let round = 0; round < 10; round++) {
      const got = await Promise.all(names.map((n) => c.read(n)));
      expect(got.map((b) => Buffer.from(b).toString())).toEqual([0, 1, 2, 3].map((i) => `file ${i}\n`.repeat(i + 1)));
    }
    expect(server.errors).toEqual([]);
    expect(client.errors).toEqual([]);
    expect(server.blockedDeliveries).toBe(0);
    expect(client.blockedDeliveries).toBe(0);
  });
});
