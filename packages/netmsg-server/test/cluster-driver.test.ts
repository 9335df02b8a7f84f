import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortRef, WireItem, WireMessage } from 'netmsg-wire';
import { getBuiltinInterface, type MigArgs } from 'mach-msg';
import type { TaskId } from 'hurd-ffi';
import { ClusterNode } from '../src/cluster/cluster-node.js';
import { TcpLink } from '../src/tcp-link.js';
import { MigUser } from '../src/cluster/mig-user.js';
import { O_READ } from '../src/hurd-types.js';
import { makeTree, streamPair, until, type Tree } from './helpers.js';

const SECRET = new TextEncoder().encode('in-memory cluster secret');
const ifaces = ['fsys', 'fs', 'io'].map((n) => getBuiltinInterface(n as 'fs', 'x86_64'));

/** A MIG user on `node`'s kernel calling a routine on port `port` of `task`. */
async function call(node: ClusterNode, task: TaskId, port: number, routine: string, args: MigArgs): Promise<MigArgs> {
  const iface = ifaces.find((i) => i.byName.has(routine))!;
  const r = iface.routine(routine);
  const req = r.encodeRequest(args, { header: { remotePort: port } });
  const user = new MigUser(node.kernel, task);
  const { msg } = await user.call(req, [], 10_000).finally(() => user.dispose());
  const dec = r.decodeReply(msg);
  if (dec.retCode !== 0) throw new Error(`${routine}: ${dec.retCode.toString(16)}`);
  return dec.args;
}

function portOf(v: unknown): number {
  return (v as { name: number }).name;
}

/** Two ends of an ordered byte stream: in memory, or a real TCP connection on loopback. */
async function pair(kind: 'memory' | 'tcp'): Promise<[Duplex, Duplex]> {
  if (kind === 'memory') return streamPair();
  return new Promise((resolve, reject) => {
    const server = createServer((accepted) => {
      server.close();
      resolve([dialled, accepted]);
    });
    let dialled: Socket;
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      dialled = netConnect((server.address() as AddressInfo).port, '127.0.0.1');
    });
  });
}

async function link(a: ClusterNode, b: ClusterNode, kind: 'memory' | 'tcp'): Promise<[Duplex, Duplex]> {
  const [x, y] = await pair(kind);
  let up = 0;
  return new Promise<void>((resolve, reject) => {
    const onUp = (_p: unknown, joined: boolean): void => {
      if (!joined) reject(new Error('not joined'));
      else if (++up === 2) resolve();
    };
    a.attach(x, { secret: SECRET, onUp });
    b.attach(y, { secret: SECRET, onUp });
  }).then(() => [x, y]);
}

describe.each(['memory', 'tcp'] as const)('NetmsgNode driven on hurd-ffi kernels, %s links', (kind) => {
  const nodes: ClusterNode[] = [];
  let tree: Tree | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
    tree?.cleanup();
    tree = undefined;
  });

  async function cluster(n: number): Promise<ClusterNode[]> {
    tree = makeTree();
    const out: ClusterNode[] = [];
    for (let i = 0; i < n; i++) {
      out.push(await ClusterNode.create({ nodeId: 10 + i, ...(i === 0 ? { export: { root: tree.root, readOnly: true } } : {}) }));
    }
    nodes.push(...out);
    return out;
  }

  it('two nodes: a task on B reads a file of A through both netmsg tasks', async () => {
    const [a, b] = await cluster(2);
    await link(a!, b!, kind);
    const { task, name: root } = await b!.remoteRoot(10);
    const base = await a!.portTable();
    const dir = portOf((await call(b!, task, root, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    const file = portOf((await call(b!, task, dir, 'dir_lookup', { file_name: 'hello.txt', flags: O_READ, mode: 0 }))['result']);
    const r = await call(b!, task, file, 'io_read', { offset: 0n, amount: 100n });
    expect(new TextDecoder().decode(r['data'] as Uint8Array)).toBe('hello, hurd\n');
    expect((await a!.portTable()).exportPorts).toBe(base.exportPorts + 2);
    // Dropping the task's rights: B's proxies see no senders, RELEASE, A's netmsg
    // drops its send rights, the export task gets NO SENDERS and destroys both ports.
    await b!.kernel.portDeallocate(task, file);
    await b!.kernel.portDeallocate(task, dir);
    await until(async () => (await a!.portTable()).exportPorts === base.exportPorts);
    expect(a!.exportTask!.freedByNoSenders).toBe(2);
    expect(a!.driver.errors).toEqual([]);
    expect(b!.driver.errors).toEqual([]);
    expect(a!.exportTask!.errors).toEqual([]);
  });

  it('three nodes: a right from A given by B to C is used by C (forwarding), and freed when all let go', async () => {
    const [a, b, c] = await cluster(3);
    await link(a!, b!, kind);
    await link(b!, c!, kind);
    // C's root: a port of a task on C (C serves no export).
    const k = c!.kernel;
    const cTask = await k.taskCreate({ name: 'receiver' });
    const cPort = await k.portAllocate(cTask, 1);
    await c!.driver.publishRoot(cTask, cPort.name);
    const base = await a!.portTable();
    // On B: open a file of A, and send the right to C's root.
    const { task: bTask, name: aRoot } = await b!.remoteRoot(10);
    const { name: cRoot } = await b!.remoteRoot(12, bTask);
    const dir = portOf((await call(b!, bTask, aRoot, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    const file = portOf((await call(b!, bTask, dir, 'dir_lookup', { file_name: 'sub/small.bin', flags: O_READ, mode: 0 }))['result']);
    await b!.kernel.portDeallocate(bTask, dir);
    const { encodeMessage, decodeMessage } = await import('mach-msg');
    const give = encodeMessage({
      header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: cRoot, localPort: 0, seqno: 0, id: 4242 },
      items: [{ kind: 'ports', type: { name: 17, size: 64, number: 1, inline: true, longform: false, deallocate: false }, names: [file] }],
    }, 'x86_64');
    expect((await b!.kernel.msg(bTask, { options: 1, send: give })).kr).toBe(0);
    // C receives it: a send right to C's proxy, routed to B (not to A: C has no link to A).
    const got = await k.msg(cTask, { options: 2, rcvName: cPort.name, rcvSize: 4096, timeout: 10_000 });
    expect(got.kr).toBe(0);
    const m = decodeMessage(got.message!, 'x86_64');
    expect(m.header.id).toBe(4242);
    const it = m.items[0]!;
    const onC = it.kind === 'ports' ? it.names[0]! : 0;
    expect(onC).not.toBe(0);
    const r = await call(c!, cTask, onC, 'io_read', { offset: 0n, amount: 4096n });
    expect((r['data'] as Uint8Array).length).toBe(2047);
    const routes = c!.driver.machine.tables().ports.filter((p) => p.role === 'proxy' && p.key.startsWith('10:'));
    expect(routes.map((p) => p.route)).toEqual([11]);
    // B lets go first: the file stays open for C (B's proxy forwards).
    await b!.kernel.portDeallocate(bTask, file);
    await until(async () => (await b!.portTable()).identities > 0);
    expect((await a!.portTable()).exportPorts).toBe(base.exportPorts + 1);
    expect(((await call(c!, cTask, onC, 'io_seek', { offset: 0n, whence: 0 }))['newp'])).toBe(0n);
    // C lets go: NO SENDERS reaches the export through B; the port is freed.
    await k.portDeallocate(cTask, onC);
    await until(async () => (await a!.portTable()).exportPorts === base.exportPorts);
    for (const n of [a!, b!, c!]) expect(n.driver.errors).toEqual([]);
  });

  it('a receive right moves from B to C: messages queued before and sent after reach the new home in order', async () => {
    const [, b, c] = await cluster(3);
    await link(b!, c!, kind);
    const { encodeMessage, decodeMessage } = await import('mach-msg');
    const k = c!.kernel;
    const cTask = await k.taskCreate({ name: 'receiver' });
    const cPort = await k.portAllocate(cTask, 1);
    await c!.driver.publishRoot(cTask, cPort.name);
    // On B: a port with two messages queued on it, and a send right kept by a sender task.
    const kb = b!.kernel;
    const owner = await kb.taskCreate({ name: 'owner' });
    const port = (await kb.portAllocate(owner, 1)).name;
    const sender = await kb.taskCreate({ name: 'sender' });
    const ins = await kb.portExtractRight(owner, port, 20, sender);
    const msgTo = (dest: number, id: number, disp = 19) => encodeMessage({
      header: { bits: { remote: disp, local: 0, complex: false, other: 0 }, remotePort: dest, localPort: 0, seqno: 0, id }, items: [],
    }, 'x86_64');
    for (const id of [1, 2]) expect((await kb.msg(sender, { options: 1, send: msgTo(ins.name, id) })).kr).toBe(0);
    // The owner gives the receive right to C's root.
    const { name: cRoot } = await b!.remoteRoot(12, owner);
    const carry = encodeMessage({
      header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: cRoot, localPort: 0, seqno: 0, id: 77 },
      items: [{ kind: 'ports', type: { name: 16, size: 64, number: 1, inline: true, longform: false, deallocate: false }, names: [port] }],
    }, 'x86_64');
    expect((await kb.msg(owner, { options: 1, send: carry })).kr).toBe(0);
    for (const id of [3, 4]) expect((await kb.msg(sender, { options: 1, send: msgTo(ins.name, id) })).kr).toBe(0);
    const got = await k.msg(cTask, { options: 2 | 0x100, rcvName: cPort.name, rcvSize: 4096, timeout: 10_000 });
    expect(got.kr).toBe(0);
    const it = decodeMessage(got.message!, 'x86_64').items[0]!;
    const moved = it.kind === 'ports' ? it.names[0]! : 0;
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await k.msg(cTask, { options: 2 | 0x100, rcvName: moved, rcvSize: 4096, timeout: 10_000 });
      expect(r.kr).toBe(0);
      ids.push(decodeMessage(r.message!, 'x86_64').header.id);
    }
    expect(ids).toEqual([1, 2, 3, 4]);
    // As on one Mach kernel, a receive right that moved starts again at make-send count 0
    // (ipc_port_clear_receiver): netmsg's own make-send at the new home is not counted.
    expect((await k.portGetReceiveStatus(cTask, moved)).status?.mscount).toBe(0);
    // The sender on B lets go: the port, now on C, gets its NO SENDERS.
    await k.portRequestNotification(cTask, moved, 0o106, 1, moved, 21);
    await kb.portDeallocate(sender, ins.name);
    const ns = await k.msg(cTask, { options: 2 | 0x100, rcvName: moved, rcvSize: 4096, timeout: 10_000 });
    expect(ns.kr).toBe(0);
    expect(decodeMessage(ns.message!, 'x86_64').header.id).toBe(0o106);
    for (const n of [b!, c!]) expect(n.driver.errors).toEqual([]);
  });

  it('a peer that breaks the protocol loses its link (out_of_state); the node keeps serving others', async () => {
    const [a, b] = await cluster(2);
    await link(a!, b!, kind);
    // A raw peer: authenticates, then releases a transfer of A's root it never received.
    const [x, y] = await pair(kind);
    const closed = new Promise<{ code: string; reason: string; byPeer: boolean }>((resolve) => {
      a!.attach(x, { secret: SECRET });
      const raw: TcpLink = new TcpLink(y, { node: 99, secret: SECRET }, {
        established: () => raw.sendControl({ t: 'release', node: 10, serial: 0, n: 1 }),
        closed: (info) => resolve(info),
      });
    });
    const info = await closed;
    // The CLOSE frame names the violation (the receiving Connection reports any CLOSE as peer_closed).
    expect(info.byPeer).toBe(true);
    expect(info.reason).toMatch(/^out_of_state: release of 1 transfers/);
    await until(() => !a!.peers().includes(99));
    // The good link is unaffected.
    const { task, name: root } = await b!.remoteRoot(10);
    const dir = portOf((await call(b!, task, root, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    expect(dir).not.toBe(0);
    expect(a!.driver.errors).toEqual([]);
  });

  it('survives an authenticated peer sending arbitrary messages (seeded fuzz), then frees all it was given', async () => {
    const [a, b] = await cluster(2);
    await link(a!, b!, kind);
    const base = await a!.portTable();
    const [x, y] = await pair(kind);
    const ref = fc.oneof(
      fc.constant<PortRef>({ tag: 'null' }),
      fc.constant<PortRef>({ tag: 'dead' }),
      fc.record({ node: fc.constantFrom(10, 99, 7), serial: fc.integer({ min: 0, max: 6 }) }).map((id): PortRef => ({ tag: 'port', right: 'send', id })),
    );
    const item = fc.oneof(
      fc.record({ n: fc.integer({ min: 0, max: 4 }), bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }) })
        .map(({ n, bytes }): WireItem => ({ kind: 'data', name: 2, size: 32, count: n, longform: false, data: bytes.slice(0, 4 * n) })),
      fc.array(ref, { minLength: 1, maxLength: 3 }).map((ports): WireItem => ({ kind: 'ports', right: 'send', inline: true, longform: false, deallocate: false, ports })),
    );
    const ids = [22002, 21000, 21012, 21018, 20018, 20024, 0, 4242];
    const messages = fc.sample(fc.record({
      // Mostly A's root (the export's control port), sometimes identities A never made.
      dest: fc.oneof(
        { weight: 6, arbitrary: fc.constant({ right: 'send' as const, id: { node: 10, serial: 0 } }) },
        { weight: 1, arbitrary: fc.record({ right: fc.constantFrom('send' as const, 'sendOnce' as const), id: fc.record({ node: fc.constantFrom(10, 99), serial: fc.integer({ min: 0, max: 6 }) }) }) },
      ),
      reply: fc.oneof(fc.constant<PortRef>({ tag: 'null' }), fc.integer({ min: 1, max: 1000 }).map((serial): PortRef => ({ tag: 'port', right: 'sendOnce', id: { node: 99, serial } }))),
      msgId: fc.constantFrom(...ids),
      otherBits: fc.constant(0),
      items: fc.array(item, { maxLength: 4 }),
    }), { seed: 42, numRuns: 150 }) as WireMessage[];
    let closedWith = '';
    const served = a!.exportTask!.requests;
    const done = new Promise<void>((resolve) => {
      a!.attach(x, { secret: SECRET });
      const raw: TcpLink = new TcpLink(y, { node: 99, secret: SECRET }, {
        established: () => {
          for (const m of messages) raw.send(m);
          // Closed once the export has served most of them (not after a fixed
          // time, which a loaded machine may not meet); if the link is cut
          // early by a protocol error, `closed` comes first with its reason.
          const close = (): void => raw.close('normal', 'fuzz done');
          void until(() => closedWith !== '' || a!.exportTask!.requests - served > 100).then(close, close);
        },
        closed: (info) => {
          closedWith = info.reason;
          resolve();
        },
      });
    });
    await done;
    // The requests reached the export (the link was not cut early by a protocol error).
    expect(a!.exportTask!.requests - served).toBeGreaterThan(100);
    expect(closedWith).toBe('fuzz done');
    await until(() => !a!.peers().includes(99));
    // Nothing the peer made or was given outlives its link.
    await until(async () => (await a!.portTable()).exportPorts === base.exportPorts);
    await until(async () => (await a!.portTable()).identities === base.identities);
    expect(a!.driver.errors).toEqual([]);
    expect(a!.exportTask!.errors).toEqual([]);
    // And the node still serves its other link.
    const { task, name: root } = await b!.remoteRoot(10);
    const dir = portOf((await call(b!, task, root, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    const file = portOf((await call(b!, task, dir, 'dir_lookup', { file_name: 'hello.txt', flags: O_READ, mode: 0 }))['result']);
    expect(new TextDecoder().decode((await call(b!, task, file, 'io_read', { offset: 0n, amount: 64n }))['data'] as Uint8Array)).toBe('hello, hurd\n');
  });

  it('link loss: a call pending on the far node fails at once (server died), and netmsg returns to its baseline', async () => {
    const [, b] = await cluster(2);
    // A2's root: a task that takes requests and never answers.
    const a2 = await ClusterNode.create({ nodeId: 20 });
    nodes.push(a2);
    const silent = await a2.kernel.taskCreate({ name: 'silent' });
    const p = await a2.kernel.portAllocate(silent, 1);
    await a2.driver.publishRoot(silent, p.name);
    const [x] = await link(a2, b!, kind);
    const before = await b!.portTable();
    const { task, name: root } = await b!.remoteRoot(20);
    const pending = call(b!, task, root, 'fsys_syncfs', { wait: 1, do_children: 0 }).catch((err: unknown) => err);
    // The request is queued on A2's port (nobody receives it) once A2 has delivered it.
    await until(async () => {
      const st = await a2.kernel.portGetReceiveStatus(silent, p.name);
      return (st.status?.msgcount ?? 0) === 1;
    });
    x.destroy();
    const e = await pending;
    expect(e).toBeInstanceOf(Error);
    expect(String(e)).toMatch(/serverDied/);
    await until(async () => b!.peers().length === 0 && a2.peers().length === 0);
    await b!.kernel.portDeallocate(task, root);
    await until(async () => {
      const t = await b!.portTable();
      return t.identities === 0 && t.netmsgNames === before.netmsgNames;
    });
    expect(b!.driver.errors).toEqual([]);
  });
});
