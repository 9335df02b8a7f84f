/**
 * A pager served across a traced link: node 10 runs a memory object server
 * (a task answering memory_object_init with memory_object_ready and
 * memory_object_data_request with memory_object_data_supply), published as
 * the node's root port; node 11's kernel maps that object through its
 * netmsg proxy. The two nodes' netmsg links go through hurd-rpctrace's link
 * mode over loopback TCP: every memory_object call crosses the tracer while
 * the mapping and the page faults wait on it. The mapping completes, the data is
 * the pager's, and the trace shows the calls with the nodes they crossed.
 *
 * The nodes are netmsg-server's own NetmsgDriver (a node's netmsg task on a
 * hurd-ffi kernel) and TcpLink, used here as test fixtures.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { openKernel, PAGE_SIZE, type MachKernel, type TaskId } from 'hurd-ffi';
import {
  decodeMessage,
  encodeMessage,
  getBuiltinInterface,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_SEND_MSG,
  type MachMessage,
  type MsgItem,
} from 'mach-msg';
import { NetmsgDriver, TcpLink } from 'netmsg-server';
import { traceLink, type LinkTrace } from '../src/index.js';
import { SECRET } from './support/link-peer.js';

const VM_PROT_READ = 1;

interface Node {
  id: number;
  kernel: MachKernel;
  driver: NetmsgDriver;
  links: TcpLink[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNode(id: number): Promise<Node> {
  const kernel = openKernel();
  const driver = await NetmsgDriver.create(kernel, { node: id });
  const n: Node = { id, kernel, driver, links: [] };
  cleanups.push(async () => {
    for (const l of n.links) l.close('normal', 'test over');
    await driver.close();
    await kernel.close();
  });
  return n;
}

/** Runs a netmsg-wire link of `n` over `socket` (as netmsg-server's ClusterNode.attach does); resolves once joined. */
function attach(n: Node, socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let peer: number | undefined;
    const link: TcpLink = new TcpLink(socket, { node: n.id, secret: SECRET }, {
      established: (p) => {
        if (!n.driver.linkUp(p.node, p.window, { send: (f) => link.sendFrame(f), close: (code, reason) => link.close(code as 'normal', reason) })) {
          reject(new Error(`node ${n.id}: link to ${p.node} refused`));
          return;
        }
        peer = p.node;
        resolve(p.node);
      },
      frame: (f) => {
        if (peer !== undefined) n.driver.frame(peer, f);
      },
      closed: () => {
        if (peer !== undefined) n.driver.linkDown(peer);
      },
    });
    n.links.push(link);
  });
}

/** `n` accepts links on a loopback port. */
async function listen(n: Node): Promise<number> {
  const server: Server = createServer((s) => void attach(n, s).catch(() => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

async function tracer(target: number): Promise<{ t: LinkTrace; text: () => string }> {
  let out = '';
  let tick = 0;
  const t = await traceLink({
    listen: { host: '127.0.0.1', port: 0 },
    connect: { host: '127.0.0.1', port: target },
    secret: SECRET,
    write: (s) => (out += s),
    now: () => 1000 * tick++,
  });
  cleanups.push(() => t.stop());
  return { t, text: () => out };
}

function int(v: number, name = 2): MsgItem {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, v, true);
  return { kind: 'data', type: { name, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data };
}

/**
 * The pager task on `n`: a memory object whose pages are `page(i)`. It
 * answers init with ready and each data_request with a data_supply of the
 * pages asked (out-of-line, from its own memory), until `stop`.
 */
async function servePager(n: Node, page: (i: number) => Uint8Array): Promise<{ task: TaskId; object: number; calls: string[]; done: Promise<void> }> {
  const k = n.kernel;
  const task = await k.taskCreate({ name: 'pager' });
  const { name: object } = await k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE);
  const abi = k.abi;
  const mo = getBuiltinInterface('memory_object', abi);
  const mach = getBuiltinInterface('mach', abi);
  const calls: string[] = [];
  const send = async (m: MachMessage): Promise<void> => {
    const kr = (await k.msg(task, { options: MACH_SEND_MSG, send: encodeMessage(m, abi) })).kr;
    if (kr !== 0) throw new Error(`pager send: kr ${kr}`);
  };
  const done = (async () => {
    for (;;) {
      const r = await k.msg(task, { options: MACH_RCV_MSG, rcvName: object, rcvSize: 1 << 16 });
      if (r.kr !== 0 || r.message === undefined) return; // the task or its port went away
      const msg = decodeMessage(r.message, abi);
      const id = msg.header.id;
      if (id === mo.routine('memory_object_init').id) {
        const a = mo.routine('memory_object_init').decodeRequest(msg).args as { memory_control: { name: number } };
        calls.push('init');
        await send(mach.routine('memory_object_ready').encodeRequest({ memory_control: a.memory_control.name, may_cache: false, copy_strategy: 0 }));
      } else if (id === mo.routine('memory_object_data_request').id) {
        const a = mo.routine('memory_object_data_request').decodeRequest(msg).args as { memory_control: { name: number }; offset: bigint; length: bigint };
        const offset = Number(a.offset);
        const length = Number(a.length);
        calls.push(`data_request ${offset} ${length}`);
        const data = new Uint8Array(length);
        for (let at = 0; at < length; at += PAGE_SIZE) data.set(page((offset + at) / PAGE_SIZE), at);
        const { address } = await k.vmAllocate(task, 0, length, true);
        await k.vmWrite(task, address, data);
        // memory_object_data_supply (GNU Mach's mach.defs), with the pages out-of-line.
        const supply: MachMessage = {
          header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex: true, other: 0 }, remotePort: a.memory_control.name, localPort: 0, seqno: 0, id: mach.routine('memory_object_data_supply').id },
          items: [
            abi === 'x86_64'
              ? { kind: 'data', type: { name: 11, size: 64, number: 1, inline: true, longform: false, deallocate: false }, data: new Uint8Array(new BigUint64Array([BigInt(offset)]).buffer) }
              : int(offset),
            { kind: 'ool', type: { name: 9, size: 8, number: length, inline: false, longform: true, deallocate: true }, address: BigInt(address) },
            int(0),
            int(0, 0),
            { kind: 'ports', type: { name: MACH_MSG_TYPE_MAKE_SEND_ONCE, size: abi === 'x86_64' ? 64 : 32, number: 1, inline: true, longform: false, deallocate: false }, names: [0] },
          ],
        };
        await send(supply);
      } else {
        calls.push(`msgid ${id}`);
      }
    }
  })();
  return { task, object, calls, done };
}

const pattern = (i: number): Uint8Array => new Uint8Array(PAGE_SIZE).map((_, j) => (j === 0 ? 0x50 + i : 0x61 + ((i + j) % 26)));

describe('a pager across a traced link', () => {
  test('vm_map and a fault on node 11 are served by the pager on node 10 through hurd-rpctrace; the lines show the memory_object calls', async () => {
    const home = await startNode(10);
    const pager = await servePager(home, pattern);
    await home.driver.publishRoot(pager.task, pager.object);
    const homePort = await listen(home);
    const { t, text } = await tracer(homePort);

    const far = await startNode(11);
    const socket = connect({ host: '127.0.0.1', port: t.address.port });
    expect(await attach(far, socket)).toBe(10);
    const mapper = await far.kernel.taskCreate({ name: 'mapper' });
    const object = await far.driver.importRoot(10, mapper);

    // memory_object_init crosses to node 10 and memory_object_ready comes back before
    // the first page can be asked for (the map or the first fault waits for it).
    const map = await far.kernel.vmMap(mapper, { memoryObject: object, offset: 0, size: 2 * PAGE_SIZE, anywhere: true, access: VM_PROT_READ });
    expect(map.kr).toBe(0);
    // The fault waits for data_request to cross and data_supply (out-of-line pages) to come back.
    const second = await far.kernel.vmRead(mapper, map.address + PAGE_SIZE, PAGE_SIZE);
    expect(second.kr).toBe(0);
    expect(second.data).toEqual(pattern(1));
    const first = await far.kernel.vmRead(mapper, map.address, 16);
    expect(first.data).toEqual(pattern(0).subarray(0, 16));
    expect(pager.calls).toEqual(['init', `data_request ${PAGE_SIZE} ${PAGE_SIZE}`, `data_request 0 ${PAGE_SIZE}`]);

    await far.driver.idle();
    // The trace of what crossed is written in batches, off the forwarding path: all of it now.
    t.flush();
    // Each memory_object call is one line, with the nodes it went between and
    // the cluster identities (node:serial) of the ports it carries, in order.
    expect(text().split('\n').slice(0, 7)).toEqual([
      '--- link 1: node11 (x86_64) <-> node10 (x86_64) ---',
      'node11 -> node10 memory_object_init(memory_object: copy-send 10:0, memory_control: send 11:1, memory_object_name: send 11:2, memory_object_page_size: 4096);',
      'node10 -> node11 memory_object_ready(memory_control: copy-send 11:1, may_cache: false, copy_strategy: 0);',
      'node11 -> node10 memory_object_data_request(memory_object: copy-send 10:0, memory_control: send 11:1, offset: 4096, length: 4096, desired_access: 1);',
      'node10 -> node11 memory_object_data_supply(memory_control: copy-send 11:1, offset: 4096, data: ool 4096 bytes, lock_value: 0, precious: false, reply_to: null);',
      'node11 -> node10 memory_object_data_request(memory_object: copy-send 10:0, memory_control: send 11:1, offset: 0, length: 4096, desired_access: 1);',
      'node10 -> node11 memory_object_data_supply(memory_control: copy-send 11:1, offset: 0, data: ool 4096 bytes, lock_value: 0, precious: false, reply_to: null);',
    ]);
    expect(home.driver.errors).toEqual([]);
    expect(far.driver.errors).toEqual([]);
  });
});
