import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeMessage, encodeMessage, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND, MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_PORT_DELETED, MACH_PORT_RIGHT_DEAD_NAME, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND,
  MACH_PORT_TYPE_RECEIVE, MACH_RCV_MSG,
  MACH_RCV_TIMEOUT, MACH_SEND_MSG, type MachMessage, type MsgItem,
} from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';
import { ClusterNode } from '../src/cluster/cluster-node.js';

/**
 * The seed's netmsg-test conformance cases (seed-system.md §2.4: test1, test2, test3, test4, test6)
 * between two nodes over a real TCP connection on loopback: a client task on
 * node K, the test server task on node S (its port is S's root). Each checks
 * the exact messages and notifications, then that netmsg's tables on both
 * nodes are back to their roots.
 */

const SECRET = new TextEncoder().encode('seed scenarios over tcp');
const COUNT = 3;

/** A task with the few calls the seed's tests make. */
class T {
  constructor(readonly k: MachKernel, readonly task: TaskId) {}

  async allocate(): Promise<number> {
    const r = await this.k.portAllocate(this.task, MACH_PORT_RIGHT_RECEIVE);
    expect(r.kr).toBe(0);
    return r.name;
  }

  async send(dest: number, id: number, o: { disp?: number; ports?: { disp: number; names: number[] }; ints?: number[] } = {}): Promise<number> {
    const items: MsgItem[] = [];
    if (o.ports) items.push({ kind: 'ports', type: { name: o.ports.disp, size: 64, number: o.ports.names.length, inline: true, longform: false, deallocate: false }, names: o.ports.names });
    if (o.ints?.length) {
      const data = new Uint8Array(4 * o.ints.length);
      o.ints.forEach((v, i) => new DataView(data.buffer).setInt32(4 * i, v, true));
      items.push({ kind: 'data', type: { name: MACH_MSG_TYPE_INTEGER_32, size: 32, number: o.ints.length, inline: true, longform: false, deallocate: false }, data });
    }
    const msg: MachMessage = { header: { bits: { remote: o.disp ?? MACH_MSG_TYPE_COPY_SEND, local: 0, complex: !!o.ports, other: 0 }, remotePort: dest, localPort: 0, seqno: 0, id }, items };
    return (await this.k.msg(this.task, { options: MACH_SEND_MSG, send: encodeMessage(msg, 'x86_64') })).kr;
  }

  async receive(name: number): Promise<MachMessage> {
    const r = await this.k.msg(this.task, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, rcvSize: 4096, timeout: 10_000 });
    expect(r.kr).toBe(0);
    return decodeMessage(r.message!, 'x86_64');
  }

  async ids(name: number, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await this.receive(name)).header.id);
    return out;
  }

  async requestNoSenders(name: number): Promise<void> {
    expect((await this.k.portRequestNotification(this.task, name, MACH_NOTIFY_NO_SENDERS, 1, name, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(0);
  }

  async requestDeadName(name: number, notify: number): Promise<void> {
    expect((await this.k.portRequestNotification(this.task, name, MACH_NOTIFY_DEAD_NAME, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(0);
  }

  async valid(name: number): Promise<boolean> {
    return (await this.k.portType(this.task, name)).kr === 0;
  }
}

function portsOf(m: MachMessage): number[] {
  const it = m.items.find((i) => i.kind === 'ports');
  return it?.kind === 'ports' ? it.names : [];
}

function intOf(m: MachMessage, i: number): number {
  const it = m.items.find((x) => x.kind === 'data');
  return it?.kind === 'data' ? new DataView(it.data.buffer, it.data.byteOffset).getInt32(4 * i, true) : NaN;
}

function onlyRoots(n: ClusterNode): boolean {
  const t = n.driver.machine.tables();
  return t.ports.every((p) => p.pinned) && t.sendOnceOut.length === 0 && t.sendOnceProxies.length === 0;
}

async function settle(f: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
}

describe('the seed\'s netmsg-test cases between two nodes over TCP', () => {
  let nodes: ClusterNode[] = [];
  afterEach(async () => {
    for (const n of nodes) await n.close();
    nodes = [];
  });

  /** Node K (client) and node S (server), linked over a loopback TCP connection. */
  async function setup(): Promise<{ k: ClusterNode; s: ClusterNode; client: T; server: T; srv: number; toServer: number }> {
    const k = await ClusterNode.create({ nodeId: 1 });
    const s = await ClusterNode.create({ nodeId: 2 });
    nodes = [k, s];
    const server = new T(s.kernel, await s.kernel.taskCreate({ name: 'netmsg-test server' }));
    const srv = await server.allocate();
    await s.driver.publishRoot(server.task, srv);
    const [a, b] = await new Promise<[Socket, Socket]>((resolve) => {
      const l = createServer((acc) => {
        l.close();
        resolve([d, acc]);
      });
      let d: Socket;
      l.listen(0, '127.0.0.1', () => (d = netConnect((l.address() as AddressInfo).port, '127.0.0.1')));
    });
    await new Promise<void>((resolve) => {
      let up = 0;
      k.attach(a, { secret: SECRET, onUp: () => ++up === 2 && resolve() });
      s.attach(b, { secret: SECRET, onUp: () => ++up === 2 && resolve() });
    });
    const client = new T(k.kernel, await k.kernel.taskCreate({ name: 'netmsg-test client' }));
    const { name: toServer } = await k.remoteRoot(2, client.task);
    return { k, s, client, server, srv, toServer };
  }

  /** S_test1: COUNT messages to P, a dead-name request, then destroy / transfer back / keep. */
  async function serverTest1(server: T, srv: number): Promise<{ P: number; D: number; transfer: boolean; destroy: boolean }> {
    const req = await server.receive(srv);
    expect(req.header.id).toBe(50000);
    const P = portsOf(req)[0]!;
    const [, destroy, transfer, copy] = [intOf(req, 0), intOf(req, 1), intOf(req, 2), intOf(req, 3)];
    for (let i = 0; i < COUNT; i++) expect(await server.send(P, i)).toBe(0);
    const D = await server.allocate();
    await server.requestDeadName(P, D);
    if (copy) expect(await server.k.portModRefs(server.task, P, MACH_PORT_RIGHT_SEND, 1)).toBe(0);
    if (destroy) {
      expect(await server.k.portDeallocate(server.task, P)).toBe(0);
      expect(await server.valid(P)).toBe(false);
    } else if (transfer) {
      expect(await server.send(P, COUNT + 1, { ports: { disp: MACH_MSG_TYPE_MOVE_SEND, names: [P] } })).toBe(0);
      expect(await server.valid(P)).toBe(!!copy);
    }
    if (copy) for (let i = COUNT; i < 2 * COUNT; i++) expect(await server.send(P, i)).toBe(0);
    return { P, D, transfer: !!transfer, destroy: !!destroy };
  }

  it('test1: a send right across, destroyed remotely: the messages, then NO SENDERS with make-send count 1; the server sees PORT_DELETED', async () => {
    const { k, s, client, server, srv, toServer } = await setup();
    const T1 = await client.allocate();
    expect(await client.send(toServer, 50000, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [T1] }, ints: [COUNT, 1, 0, 0] })).toBe(0);
    await client.requestNoSenders(T1);
    const { D } = await serverTest1(server, srv);
    expect(await client.ids(T1, COUNT)).toEqual([0, 1, 2]);
    const ns = await client.receive(T1);
    expect(ns.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
    expect(intOf(ns, 0)).toBe(1);
    expect((await server.receive(D)).header.id).toBe(MACH_NOTIFY_PORT_DELETED);
    await client.k.portDestroy(client.task, T1);
    expect(await client.valid(T1)).toBe(false);
    await settle(() => onlyRoots(k) && onlyRoots(s));
  });

  it('test3: a send right across, the local receive right destroyed: the server sees DEAD NAME', async () => {
    const { k, s, client, server, srv, toServer } = await setup();
    const T3 = await client.allocate();
    expect(await client.send(toServer, 50000, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [T3] }, ints: [COUNT, 0, 0, 0] })).toBe(0);
    const { P, D } = await serverTest1(server, srv);
    expect(await client.ids(T3, COUNT)).toEqual([0, 1, 2]);
    await client.k.portDestroy(client.task, T3);
    const dn = await server.receive(D);
    expect(dn.header.id).toBe(MACH_NOTIFY_DEAD_NAME);
    expect(intOf(dn, 0) >>> 0).toBe(P);
    // The dead name: the server's reference and the notification's.
    expect((await server.k.portGetRefs(server.task, P, MACH_PORT_RIGHT_DEAD_NAME)).refs).toBe(2);
    await server.k.portModRefs(server.task, P, MACH_PORT_RIGHT_DEAD_NAME, -2);
    await settle(() => onlyRoots(k) && onlyRoots(s));
  });

  it('test4: a send right goes across and comes back under the same name; then NO SENDERS', async () => {
    const { k, s, client, server, srv, toServer } = await setup();
    const T4 = await client.allocate();
    expect(await client.send(toServer, 50000, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [T4] }, ints: [COUNT, 0, 1, 0] })).toBe(0);
    await client.requestNoSenders(T4);
    const { D } = await serverTest1(server, srv);
    expect(await client.ids(T4, COUNT)).toEqual([0, 1, 2]);
    const back = await client.receive(T4);
    expect(back.header.id).toBe(COUNT + 1);
    expect(portsOf(back)).toEqual([T4]); // home again: the task's own name
    expect(await client.k.portModRefs(client.task, T4, MACH_PORT_RIGHT_SEND, -1)).toBe(0);
    expect((await client.receive(T4)).header.id).toBe(MACH_NOTIFY_NO_SENDERS);
    expect((await server.receive(D)).header.id).toBe(MACH_NOTIFY_PORT_DELETED);
    await client.k.portDestroy(client.task, T4);
    await settle(() => onlyRoots(k) && onlyRoots(s));
  });

  it('test6: a copy kept remotely, the send right returned; the copy still works; the server then sees DEAD NAME', async () => {
    const { k, s, client, server, srv, toServer } = await setup();
    const T6 = await client.allocate();
    expect(await client.send(toServer, 50000, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [T6] }, ints: [COUNT, 0, 1, 1] })).toBe(0);
    const { P, D } = await serverTest1(server, srv);
    expect(await client.ids(T6, COUNT)).toEqual([0, 1, 2]);
    const back = await client.receive(T6);
    expect(back.header.id).toBe(COUNT + 1);
    expect(portsOf(back)).toEqual([T6]);
    expect(await client.k.portModRefs(client.task, T6, MACH_PORT_RIGHT_SEND, -1)).toBe(0);
    expect(await client.ids(T6, COUNT)).toEqual([3, 4, 5]);
    await client.k.portDestroy(client.task, T6);
    const dn = await server.receive(D);
    expect(dn.header.id).toBe(MACH_NOTIFY_DEAD_NAME);
    await server.k.portModRefs(server.task, P, MACH_PORT_RIGHT_DEAD_NAME, -2);
    await settle(() => onlyRoots(k) && onlyRoots(s));
  });

  it('test2: a receive right across; the local senders go away: the server gets the messages in order, then NO SENDERS', async () => {
    const { k, s, client, server, srv, toServer } = await setup();
    const T2 = await client.allocate();
    expect(await client.k.portInsertRight(client.task, T2, T2, MACH_MSG_TYPE_MAKE_SEND)).toBe(0);
    expect(await client.send(toServer, 50001, { ports: { disp: MACH_MSG_TYPE_MOVE_RECEIVE, names: [T2] }, ints: [COUNT, 1] })).toBe(0);
    for (let i = 0; i < COUNT; i++) expect(await client.send(T2, i)).toBe(0);
    expect(await client.k.portDeallocate(client.task, T2)).toBe(0);
    expect(await client.valid(T2)).toBe(false);
    const req = await server.receive(srv);
    expect(req.header.id).toBe(50001);
    const P = portsOf(req)[0]!;
    expect((await server.k.portType(server.task, P)).type & MACH_PORT_TYPE_RECEIVE).toBe(MACH_PORT_TYPE_RECEIVE);
    await server.requestNoSenders(P);
    expect(await server.ids(P, COUNT)).toEqual([0, 1, 2]);
    expect((await server.receive(P)).header.id).toBe(MACH_NOTIFY_NO_SENDERS);
    await server.k.portDestroy(server.task, P);
    await settle(() => onlyRoots(k) && onlyRoots(s));
  });
});
