/**
 * The caller's node keeps each remote reply right (a send-once token,
 * PROTOCOL.md §4.4) and asks for its dead-name notification only when the
 * token is still pending at the second sweep after it was made
 * (`sendOnceSweepMs`): an RPC answered before then costs no request (and
 * no PORT_DELETED notification when its reply uses the right up), while a
 * caller whose reply port dies mid-RPC is still reported to the server's
 * node, whose reply right becomes a dead name. In-memory link, two nodes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeMessage, encodeMessage, getBuiltinInterface, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_TYPE_DEAD_NAME, MACH_RCV_MSG, MACH_SEND_MSG,
} from 'mach-msg';
import type { TaskId } from 'hurd-ffi';
import { ClusterNode } from '../src/cluster/cluster-node.js';
import { MigUser } from '../src/cluster/mig-user.js';
import { linkNodes, until } from './helpers.js';

const SECRET = new TextEncoder().encode('deferred dead-name requests');

const link = (a: ClusterNode, b: ClusterNode): Promise<void> => linkNodes(a, b, SECRET);

describe('deferred dead-name requests on kept reply rights', () => {
  const nodes: ClusterNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
  });

  /** Server node 40 (its root: a port of task `owner`), caller node 41 with a task holding a send right to that root. */
  async function setup(sendOnceSweepMs: number) {
    const a = await ClusterNode.create({ nodeId: 40 });
    const b = await ClusterNode.create({ nodeId: 41, sendOnceSweepMs });
    nodes.push(a, b);
    const owner = await a.kernel.taskCreate({ name: 'owner' });
    const p = await a.kernel.portAllocate(owner, MACH_PORT_RIGHT_RECEIVE);
    await a.driver.publishRoot(owner, p.name);
    await link(a, b);
    const { task, name: root } = await b.remoteRoot(40);
    // The caller node's dead-name requests in netmsg's space.
    let requests = 0;
    const request = b.kernel.portRequestNotification.bind(b.kernel);
    b.kernel.portRequestNotification = (t, name, variant, ...rest) => {
      if (t === b.driver.task && variant === MACH_NOTIFY_DEAD_NAME) requests++;
      return request(t, name, variant, ...rest);
    };
    /** The owner takes one request off its port: its reply right's name in the owner's space, and the request's id. */
    const take = async (): Promise<{ reply: number; id: number }> => {
      const r = await a.kernel.msg(owner, { options: MACH_RCV_MSG, rcvName: p.name, rcvSize: 1 << 16 });
      expect(r.kr).toBe(0);
      const m = decodeMessage(r.message!, a.kernel.abi);
      return { reply: m.header.remotePort, id: m.header.id };
    };
    /** The owner answers through its reply right, as a MIG server does. */
    const answer = async (reply: number, id: number): Promise<number> => {
      const msg = { header: { bits: { remote: MACH_MSG_TYPE_MOVE_SEND_ONCE, local: 0, other: 0, complex: false }, remotePort: reply, localPort: 0, seqno: 0, id: id + 100 }, items: [] };
      return (await a.kernel.msg(owner, { options: MACH_SEND_MSG, send: encodeMessage(msg, a.kernel.abi) })).kr;
    };
    return { a, b, owner, task, root, take, answer, requests: () => requests };
  }

  const syncfs = getBuiltinInterface('fsys', 'x86_64').routine('fsys_syncfs');

  async function rpcs(w: Awaited<ReturnType<typeof setup>>, n: number): Promise<void> {
    const user = new MigUser(w.b.kernel, w.task);
    for (let i = 0; i < n; i++) {
      const call = user.call(syncfs.encodeRequest({ wait: 1, do_children: 0 }, { header: { remotePort: w.root } }), [], 30_000);
      const { reply, id } = await w.take();
      expect(await w.answer(reply, id)).toBe(0);
      expect((await call).msg.header.id).toBe(id + 100);
    }
    await user.dispose();
  }

  it('requested at once (sweeps off): one request per RPC', async () => {
    const w = await setup(0);
    await rpcs(w, 5);
    await w.b.driver.idle();
    expect(w.requests()).toBe(5);
    expect(w.b.driver.errors).toEqual([]);
  });

  it('RPCs answered before the second sweep make no request', async () => {
    // A sweep period no test run reaches: every RPC is answered first.
    const w = await setup(600_000);
    await rpcs(w, 5);
    await w.b.driver.idle();
    expect(w.requests()).toBe(0);
    expect(w.b.driver.machine.tables().sendOnceOut).toEqual([]);
    expect(w.b.driver.errors).toEqual([]);
  });

  it("a caller's reply port that dies mid-RPC: the sweep finds the dead name, and the server's reply right dies", async () => {
    const w = await setup(10);
    const before = await w.b.driver.portCount();
    const k = w.b.kernel;
    const rp = await k.portAllocate(w.task, MACH_PORT_RIGHT_RECEIVE);
    const req = syncfs.encodeRequest({ wait: 1, do_children: 0 }, { header: { remotePort: w.root } });
    const sent = await k.msg(w.task, {
      options: MACH_SEND_MSG,
      send: encodeMessage({ header: { ...req.header, bits: { ...req.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: MACH_MSG_TYPE_MAKE_SEND_ONCE }, localPort: rp.name }, items: req.items }, k.abi),
    });
    expect(sent.kr).toBe(0);
    const { reply } = await w.take();
    // The caller gives up: its reply port dies while the server holds the reply right.
    expect(await k.portDestroy(w.task, rp.name)).toBe(0);
    const dead = async (t: TaskId, name: number) => {
      const ty = await w.a.kernel.portType(t, name);
      return ty.kr === 0 && (ty.type & MACH_PORT_TYPE_DEAD_NAME) !== 0;
    };
    await until(() => dead(w.owner, reply));
    expect(w.requests()).toBe(1);
    // Nothing of the call is left on the caller's node: its dead name was deallocated.
    await until(async () => (await w.b.driver.portCount()) === before);
    expect(w.b.driver.machine.tables().sendOnceOut).toEqual([]);
    expect(w.a.driver.machine.tables().sendOnceProxies).toEqual([]);
    expect(w.a.driver.errors).toEqual([]);
    expect(w.b.driver.errors).toEqual([]);
  });
});
