import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_SEND_ONCE, MACH_PORT_RIGHT_DEAD_NAME,
} from 'mach-msg';
import { childHost, bundleSeedChild, describeSeedSuite, localHost, type Host } from './seed-world.js';
import { makeSeedWorld, Task, type SeedWorld } from './seed-scenarios.js';

/**
 * The seed's netmsg-test suite between node PROCESSES over TCP on loopback:
 * the client task's node is this test process, the server's node a child
 * process, and for the three-node topology a relay node in a second child
 * between them (the client's and the server's nodes have no link; the
 * client's right to the service port is a third party's). Each child is
 * ended at the end of its block (stdin closed, SIGKILL if it lingers).
 */

describeSeedSuite('the seed\'s netmsg-test suite: two node processes over TCP', 2, async (dir) => {
  const script = bundleSeedChild(dir);
  const hosts = [await localHost(1), await childHost(script, 2)];
  return { hosts, world: ([c, s]) => makeSeedWorld({ client: c!.exec, server: s!.exec }, { client: 1, server: 2 }) };
});

describeSeedSuite('the seed\'s netmsg-test suite: three node processes (client - relay - server) over TCP', 3, async (dir) => {
  const script = bundleSeedChild(dir);
  const hosts = [await localHost(1), await childHost(script, 2), await childHost(script, 3)];
  return { hosts, world: ([c, s, r]) => makeSeedWorld({ client: c!.exec, server: s!.exec, relay: r!.exec }, { client: 1, server: 2, relay: 3 }) };
});

describeSeedSuite('the seed\'s netmsg-test suite: an x86_64 client node and an i386 server node process over TCP', 2, async (dir) => {
  const script = bundleSeedChild(dir);
  const hosts = [await localHost(1, 'x86_64'), await childHost(script, 2, 'i386')];
  return { hosts, world: ([c, s]) => makeSeedWorld({ client: c!.exec, server: s!.exec }, { client: 1, server: 2 }) };
});

describeSeedSuite('the seed\'s netmsg-test suite: an i386 client node and an x86_64 server node process over TCP', 2, async (dir) => {
  const script = bundleSeedChild(dir);
  const hosts = [await localHost(1, 'i386'), await childHost(script, 2, 'x86_64')];
  return { hosts, world: ([c, s]) => makeSeedWorld({ client: c!.exec, server: s!.exec }, { client: 1, server: 2 }) };
});

/**
 * The seed's "server survives client disconnect" and "lingering ports"
 * (§2.5 more tests) with a real process death: a node process killed with
 * SIGKILL while its task has an RPC pending and rights crossed both ways.
 * The surviving node's tasks see what Mach shows when a task holding those
 * rights dies: NO SENDERS for the port the dead side held, DEAD NAME for its
 * port, a dead reply right; a pending caller gets the SEND_ONCE notification
 * (MIG_SERVER_DIED); netmsg's tables go back to what they were before the
 * link; and the survivor links to and serves a new node.
 */
describe('a seed node process killed with SIGKILL', () => {
  let dir: string;
  const hosts: Host[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netmsg-seed-kill-'));
  });
  afterAll(async () => {
    for (const h of hosts.reverse()) await h.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** A port of each side held by the other, and an RPC from the client pending at the server. */
  async function crossRights(w: SeedWorld): Promise<{ Q: number; I: number; D: number; reply: number; inbox: number; pendingReply: number }> {
    const { client: c, server: s } = w;
    const Q = await s.allocate();
    expect(await s.requestNoSenders(Q)).toBe(0);
    const inbox = await c.allocate();
    expect(await c.requestNoSenders(inbox)).toBe(0);
    expect(await c.send(w.toServer, 50004, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [inbox] } })).toBe(0);
    const I = (await s.receive(w.srv)).ports[0]!;
    const D = await s.allocate();
    expect(await s.requestDeadName(I, D)).toBe(0);
    expect(await s.send(I, 1, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [Q] } })).toBe(0);
    expect((await c.receive(inbox)).ports.length).toBe(1);
    const reply = await c.allocate();
    expect(await c.send(w.toServer, 60002, { reply: { name: reply, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
    const pendingReply = (await s.receive(w.srv)).replyPort;
    return { Q, I, D, reply, inbox, pendingReply };
  }

  async function until(f: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 1000 && !(await f()); i++) await new Promise((r) => setTimeout(r, 10));
  }

  it('the client\'s node dies: the server sees NO SENDERS, DEAD NAME and a dead reply right, and serves a new client node', async () => {
    const script = bundleSeedChild(dir);
    const server = await localHost(2);
    hosts.push(server);
    const before = (await server.exec('tables')) as string;
    const client = await childHost(script, 1);
    hosts.push(client);
    const w = await makeSeedWorld({ client: client.exec, server: server.exec }, { client: 1, server: 2 });
    const s = w.server;
    const { Q, I, D, pendingReply } = await crossRights(w);
    client.child.kill('SIGKILL');
    await client.close();
    const ns = await s.receive(Q);
    expect([ns.id, ns.ints[0]]).toEqual([MACH_NOTIFY_NO_SENDERS, 1]);
    expect((await s.receive(D)).id).toBe(MACH_NOTIFY_DEAD_NAME);
    expect(await s.rights(I)).toBe('D2');
    await until(async () => (await s.rights(pendingReply)) === 'D1');
    expect(await s.rights(pendingReply)).toBe('D1');
    expect(await s.send(pendingReply, 60102, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE })).toBe(0x10000003); // MACH_SEND_INVALID_DEST
    expect(await s.deallocate(pendingReply)).toBe(0);
    expect(await s.modRefs(I, MACH_PORT_RIGHT_DEAD_NAME, -2)).toBe(0);
    expect(await s.destroy(D)).toBe(0);
    expect(await s.destroy(Q)).toBe(0);
    // Nothing but its own root (published after `before` was taken): every entry of the dead link is gone.
    const onlyRoot = async (): Promise<boolean> => {
      const t = JSON.parse((await server.exec('tables')) as string) as { ports: { key: string; pinned: boolean }[]; sendOnceOut: unknown[]; sendOnceProxies: unknown[] };
      return t.ports.length === 1 && t.ports[0]!.key === '2:0' && t.ports[0]!.pinned && t.sendOnceOut.length === 0 && t.sendOnceProxies.length === 0;
    };
    await until(onlyRoot);
    expect(await onlyRoot()).toBe(true);
    expect(JSON.parse(before)).toEqual({ ports: [], sendOnceOut: [], sendOnceProxies: [], sendOnceRelays: [], sendOncePools: [] });
    expect(await server.exec('errors')).toEqual([]);
    // The server survives: a new client node (node 3) links and its RPC is answered.
    const again = await childHost(script, 3);
    hosts.push(again);
    await again.exec('dial', (await server.exec('listen')) as number);
    await until(async () => ((await server.exec('peers')) as number[]).includes(3) && ((await again.exec('peers')) as number[]).includes(2));
    expect(await server.exec('peers')).toEqual([3]);
    await again.exec('task', 'client');
    const c2 = new Task(again.exec, 'client', 'x86_64');
    const toServer = (await again.exec('importRoot', 2, 'client')) as number;
    const r2 = await c2.allocate();
    expect(await c2.send(toServer, 60002, { reply: { name: r2, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
    const req = await s.receive(w.srv);
    expect(await s.send(req.replyPort, 60102, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE })).toBe(0);
    expect((await c2.receive(r2)).id).toBe(60102);
  }, 120_000);

  it('the server\'s node dies: the client\'s pending RPC gets SEND_ONCE, its rights become dead names, its port gets NO SENDERS', async () => {
    const script = bundleSeedChild(dir);
    const client = await localHost(4);
    hosts.push(client);
    const before = (await client.exec('tables')) as string;
    const server = await childHost(script, 5);
    hosts.push(server);
    const w = await makeSeedWorld({ client: client.exec, server: server.exec }, { client: 4, server: 5 });
    const c = w.client;
    const { reply, inbox } = await crossRights(w);
    const q = w.toServer;
    server.child.kill('SIGKILL');
    await server.close();
    expect((await c.receive(reply)).id).toBe(MACH_NOTIFY_SEND_ONCE); // MIG_SERVER_DIED for the caller
    const ns = await c.receive(inbox);
    expect([ns.id, ns.ints[0]]).toEqual([MACH_NOTIFY_NO_SENDERS, 1]);
    await until(async () => (await c.rights(q)) === 'D1');
    expect(await c.rights(q)).toBe('D1');
    expect(await c.deallocate(q)).toBe(0);
    expect(await c.destroy(reply)).toBe(0);
    expect(await c.destroy(inbox)).toBe(0);
    await until(async () => (await client.exec('tables')) === before);
    expect(await client.exec('tables')).toBe(before);
    expect(await client.exec('errors')).toEqual([]);
  }, 120_000);
});
