import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeMessage, encodeMessage, getBuiltinInterface, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG, MACH_RCV_TIMEOUT, MACH_SEND_INVALID_MEMORY, MACH_SEND_MSG, type MigArgs,
} from 'mach-msg';
import { checkInvariants, PAGE_SIZE, type SimKernel, type TaskId } from 'hurd-ffi';
import { ClusterNode } from '../src/cluster/cluster-node.js';
import { MigUser } from '../src/cluster/mig-user.js';
import { Mapping } from '../src/client-map.js';
import { createCredentialPolicy } from '../src/credentials.js';
import { HurdErrno } from '../src/errno.js';
import { O_READ, O_WRITE } from '../src/hurd-types.js';
import { MapService } from '../src/pager/map-service.js';
import { linkNodes, makeTree, pattern, untilTurns, type Tree } from './helpers.js';

// The seed's missing test "out-of-line data that faults" (seed-system.md §1.4,
// "MORE TESTS: ... OOL backed by bad memory managers"): a task on node 11 maps
// file X of node 10's export and, without touching the mapping, sends io_write
// for file Y of node 10 whose out-of-line data IS that mapping. GNU Mach's
// vm_map_copyin faults the pages in from X's pager while copying the message
// in; the pager is on node 10, reached through the same link the io_write
// then travels, so the send must not wait on itself. A fault the pager cannot
// satisfy fails the send with MACH_SEND_INVALID_MEMORY (the message is
// destroyed); the sender is told, nothing hangs.

const SECRET = new TextEncoder().encode('cluster ool fault secret');
const ifaces = ['fsys', 'fs', 'io'].map((n) => getBuiltinInterface(n as 'fs', 'x86_64'));
const routineOf = (name: string) => ifaces.find((i) => i.byName.has(name))!.routine(name);
const nameOf = (v: unknown): number => (v as { name: number }).name;

async function call(node: ClusterNode, task: TaskId, port: number, routine: string, args: MigArgs): Promise<MigArgs> {
  const r = routineOf(routine);
  const req = r.encodeRequest(args, { header: { remotePort: port } });
  const user = new MigUser(node.kernel, task);
  const { msg } = await user.call(req, [], 10_000);
  await user.dispose();
  const dec = r.decodeReply(msg);
  if (dec.retCode !== 0) throw new Error(`${routine}: 0x${(dec.retCode >>> 0).toString(16)}`);
  return dec.args;
}

/**
 * io_write as MIG's user stub sends it when the data is more than 2048 bytes:
 * out-of-line, the descriptor pointing at `address` in `task` (no copy made
 * here, deallocate off), mach_msg SEND|RCV on a fresh reply port. Returns
 * mach_msg's code, and the reply's return code and amount when there is one.
 */
async function ioWriteFrom(
  node: ClusterNode, task: TaskId, file: number, address: number, length: number, offset: bigint,
): Promise<{ kr: number; ret?: number; amount?: bigint }> {
  const k = node.kernel;
  const r = routineOf('io_write');
  let placed = 0;
  const req = r.encodeRequest({ data: new Uint8Array(length), offset }, {
    header: { remotePort: file },
    placeOutOfLine: () => {
      placed++;
      return BigInt(address);
    },
  });
  expect(placed).toBe(1);
  const ool = req.items.find((it) => it.kind === 'ool');
  expect(ool?.kind === 'ool' && ool.type.deallocate).toBe(false);
  const rp = await k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE);
  expect(rp.kr).toBe(0);
  try {
    const msg = { header: { ...req.header, bits: { ...req.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: MACH_MSG_TYPE_MAKE_SEND_ONCE }, localPort: rp.name }, items: req.items };
    const out = await k.msg(task, {
      options: MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
      send: encodeMessage(msg, k.abi),
      rcvName: rp.name,
      rcvSize: 1 << 16,
      timeout: 10_000,
    });
    if (out.kr !== 0 || !out.message) return { kr: out.kr };
    const dec = r.decodeReply(decodeMessage(out.message, k.abi));
    return { kr: 0, ret: dec.retCode, amount: dec.retCode === 0 ? BigInt(dec.args['amount'] as number | bigint) : undefined };
  } finally {
    await k.portModRefs(task, rp.name, MACH_PORT_RIGHT_RECEIVE, -1);
  }
}

const link = (a: ClusterNode, b: ClusterNode): Promise<void> => linkNodes(a, b, SECRET);

const until = untilTurns;

type Tables = Awaited<ReturnType<ClusterNode['portTable']>>;
const sameTables = (a: Tables, b: Tables): boolean =>
  a.exportPorts === b.exportPorts && a.netmsgNames === b.netmsgNames && a.identities === b.identities && a.blockedDeliveries === b.blockedDeliveries;

describe('out-of-line data that faults (remote pager, same link)', () => {
  const nodes: ClusterNode[] = [];
  const services: MapService[] = [];
  let tree: Tree | undefined;
  afterEach(async () => {
    for (const s of services.splice(0)) await s.close();
    for (const n of nodes.splice(0)) await n.close();
    tree?.cleanup();
    tree = undefined;
  });

  /** Node `nodeId` exporting `root` read-write and serving io_map. */
  async function exporter(nodeId: number, root: string): Promise<{ node: ClusterNode; maps: MapService }> {
    let maps: MapService | undefined;
    const hook = (rel: readonly string[], modes: number) => (maps ? maps.ioMap(rel, modes) : HurdErrno.EOPNOTSUPP);
    // Remote users act as the test process's own identity (it owns the tree).
    const credentials = createCredentialPolicy({ fallback: { uid: process.getuid!(), gid: process.getgid!() } });
    const node = await ClusterNode.create({ nodeId, export: { root, readOnly: false, ioMap: hook, credentials } });
    nodes.push(node);
    maps = new MapService({ kernel: node.kernel, root, readOnly: false });
    await maps.attach(node.exportTask!.task);
    services.push(maps);
    return { node, maps };
  }

  /** Node 10 exports a tree read-write and serves io_map; node 11 is linked to it. */
  async function cluster(): Promise<{ home: ClusterNode; maps: MapService; client: ClusterNode; tree: Tree }> {
    tree = makeTree();
    const { node: home, maps } = await exporter(10, tree.root);
    const client = await ClusterNode.create({ nodeId: 11 });
    nodes.push(client);
    await link(home, client);
    return { home, maps, client, tree };
  }

  /** In `task` on `node`: a port for `file` of node 10's export, opened with `flags`. */
  async function open(node: ClusterNode, task: TaskId, file: string, flags: number, peer = 10): Promise<number> {
    const { name: root } = await node.remoteRoot(peer, task);
    const dir = nameOf((await call(node, task, root, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    const f = nameOf((await call(node, task, dir, 'dir_lookup', { file_name: file, flags, mode: 0 }))['result']);
    await node.kernel.portDeallocate(task, dir);
    await node.kernel.portDeallocate(task, root);
    return f;
  }

  /** vm_map of `file`'s read object in `task`, touching no page. */
  /** Drop the file right and the mapping, wait for the pager to end cleanly, end the task. */
  async function unmapAndEnd(c: Awaited<ReturnType<typeof cluster>>, task: TaskId, y: number, m: Mapping, pager: NonNullable<ReturnType<MapService['pagerOf']>>): Promise<void> {
    await c.client.kernel.portDeallocate(task, y);
    await m.unmap();
    await pager.done;
    await c.maps.settle();
    expect(c.maps.mapped()).toEqual([]);
    expect(c.maps.errors).toEqual([]);
    await c.client.kernel.taskTerminate(task);
  }

  async function mapUntouched(node: ClusterNode, task: TaskId, file: string, size: number, peer = 10): Promise<Mapping> {
    const f = await open(node, task, file, O_READ, peer);
    let objs: MigArgs | undefined;
    for (let i = 0; i < 8 && !objs; i++) {
      try {
        objs = await call(node, task, f, 'io_map', {});
      } catch (e) {
        if (!String(e).includes(`0x${HurdErrno.EAGAIN.toString(16)}`)) throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const rd = nameOf(objs!['memobjrd']);
    expect(rd).not.toBe(0);
    const m = await Mapping.create(node.kernel, task, rd, size, false);
    for (const n of [rd, nameOf(objs!['memobjwt']), f]) if (n) await node.kernel.portDeallocate(task, n);
    return m;
  }

  it('io_write whose out-of-line data is an unfaulted remote mapping: the pages fault in over the link, Y equals X', async () => {
    const c = await cluster();
    const size = 3 * PAGE_SIZE + 1000; // > 2048: MIG sends it out-of-line; four pages, the last one partial
    const x = pattern(size, 0x5eed);
    writeFileSync(join(c.tree.root, 'x.bin'), x);
    writeFileSync(join(c.tree.root, 'y.bin'), new Uint8Array(0));
    const baseHome = await c.home.portTable();
    // Node 11's baseline after one task has reached node 10's root (its netmsg keeps that proxy)
    // and node 10 has released what that task held.
    const warm = await c.client.kernel.taskCreate({ name: 'warm-up' });
    await c.client.kernel.portDeallocate(warm, await open(c.client, warm, 'y.bin', O_READ));
    await c.client.kernel.taskTerminate(warm);
    await until(async () => sameTables(await c.home.portTable(), baseHome));
    const baseClient = await c.client.portTable();
    const task = await c.client.kernel.taskCreate({ name: 'ool-sender' });
    const m = await mapUntouched(c.client, task, 'x.bin', size);
    const pager = c.maps.pagerOf('x.bin')!;
    expect(pager).toBeDefined();
    const y = await open(c.client, task, 'y.bin', O_WRITE);
    const fromKernelsBefore = pager.stats.fromKernels;
    const w = await ioWriteFrom(c.client, task, y, m.address, size, 0n);
    expect(w).toEqual({ kr: 0, ret: 0, amount: BigInt(size) });
    // The copyin itself asked node 10's pager for the pages (no one touched them before).
    expect(pager.stats.fromKernels).toBeGreaterThan(fromKernelsBefore);
    expect(new Uint8Array(readFileSync(join(c.tree.root, 'y.bin')))).toEqual(x);
    // The mapping still reads X (the send did not take it: deallocate was off).
    expect(await m.read(0, size)).toEqual(x);
    await unmapAndEnd(c, task, y, m, pager);
    await until(async () => sameTables(await c.home.portTable(), baseHome) && sameTables(await c.client.portTable(), baseClient));
    for (const n of nodes) expect(checkInvariants(n.kernel as SimKernel)).toEqual([]);
    expect(new Uint8Array(readFileSync(join(c.tree.root, 'x.bin')))).toEqual(x);
  });

  it('out-of-line data running past the mapping into unmapped memory: the send fails with MACH_SEND_INVALID_MEMORY, Y is unchanged, nothing leaks', async () => {
    const c = await cluster();
    const size = 2 * PAGE_SIZE;
    const x = pattern(size, 0xfa17);
    writeFileSync(join(c.tree.root, 'x.bin'), x);
    writeFileSync(join(c.tree.root, 'y.bin'), 'unchanged');
    const baseHome = await c.home.portTable();
    const task = await c.client.kernel.taskCreate({ name: 'ool-sender' });
    const m = await mapUntouched(c.client, task, 'x.bin', size);
    // The page after the mapping is unmapped: a read there fails (no pager to ask).
    expect((await c.client.kernel.vmRead(task, m.address + m.size, PAGE_SIZE)).kr).not.toBe(0);
    const y = await open(c.client, task, 'y.bin', O_WRITE);
    const w = await ioWriteFrom(c.client, task, y, m.address, m.size + PAGE_SIZE, 0n);
    expect(w).toEqual({ kr: MACH_SEND_INVALID_MEMORY });
    expect(readFileSync(join(c.tree.root, 'y.bin'), 'utf8')).toBe('unchanged');
    // The failed send destroyed the message: the file right it carried (COPY_SEND) is still
    // the task's, and a correct io_write through it works.
    const ok = await ioWriteFrom(c.client, task, y, m.address, m.size, 0n);
    expect(ok).toEqual({ kr: 0, ret: 0, amount: BigInt(size) });
    expect(new Uint8Array(readFileSync(join(c.tree.root, 'y.bin')))).toEqual(x);
    const pager = c.maps.pagerOf('x.bin')!;
    await unmapAndEnd(c, task, y, m, pager);
    await until(async () => sameTables(await c.home.portTable(), baseHome));
    for (const n of nodes) expect(checkInvariants(n.kernel as SimKernel)).toEqual([]);
  });

  it('out-of-line data mapped from a node that has gone: the fault cannot be served, the send fails, nothing hangs', async () => {
    const c = await cluster();
    // Node 12 exports its own tree (X's home); node 11 links to it too.
    const other = makeTree();
    try {
      const { node: far } = await exporter(12, other.root);
      await link(far, c.client);
      const size = 2 * PAGE_SIZE;
      writeFileSync(join(other.root, 'x.bin'), pattern(size, 0xdead));
      writeFileSync(join(c.tree.root, 'y.bin'), 'unchanged');
      const baseHome = await c.home.portTable();
      const task = await c.client.kernel.taskCreate({ name: 'ool-sender' });
      const m = await mapUntouched(c.client, task, 'x.bin', size, 12);
      const y = await open(c.client, task, 'y.bin', O_WRITE);
      // X's pager goes away with its node: the memory object on node 11 is a dead proxy now.
      await far.close('killed');
      const w = await ioWriteFrom(c.client, task, y, m.address, size, 0n);
      expect(w).toEqual({ kr: MACH_SEND_INVALID_MEMORY });
      expect(readFileSync(join(c.tree.root, 'y.bin'), 'utf8')).toBe('unchanged');
      // A plain read of the mapping fails the same way (a memory error, not a wait).
      expect((await c.client.kernel.vmRead(task, m.address, 16)).kr).not.toBe(0);
      // The file port the failed message carried is still the task's: an anonymous-memory io_write works.
      const anon = await c.client.kernel.vmAllocate(task, 0, size, true);
      expect(await c.client.kernel.vmWrite(task, anon.address, pattern(size, 7))).toBe(0);
      expect(await ioWriteFrom(c.client, task, y, anon.address, size, 0n)).toEqual({ kr: 0, ret: 0, amount: BigInt(size) });
      expect(new Uint8Array(readFileSync(join(c.tree.root, 'y.bin')))).toEqual(pattern(size, 7));
      await c.client.kernel.portDeallocate(task, y);
      await m.unmap();
      await c.client.kernel.taskTerminate(task);
      await until(async () => sameTables(await c.home.portTable(), baseHome));
      for (const n of [c.home, c.client]) expect(checkInvariants(n.kernel as SimKernel)).toEqual([]);
    } finally {
      other.cleanup();
    }
  });
});
