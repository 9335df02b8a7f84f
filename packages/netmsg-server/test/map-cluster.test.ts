import { readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeMessage, encodeMessage, getBuiltinInterface, KERN_MEMORY_ERROR, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG, type MachMessage, type MigArgs,
} from 'mach-msg';
import { checkInvariants, memoryObjectAccess, memoryObjectInit, PAGE_SIZE, VirtualClock, type Clock, type SimKernel, type TaskId } from 'hurd-ffi';
import { ClusterNode } from '../src/cluster/cluster-node.js';
import { MigUser } from '../src/cluster/mig-user.js';
import { Mapping } from '../src/client-map.js';
import { createCredentialPolicy } from '../src/credentials.js';
import { HurdErrno } from '../src/errno.js';
import { O_READ, O_WRITE } from '../src/hurd-types.js';
import { MapService } from '../src/pager/map-service.js';
import { linkNodes, makeTree, untilTurns, type Tree } from './helpers.js';

// Remote memory across kernels: node 10 exports a tree and serves io_map with
// its MapService; nodes 11 and 12 (each its own simulated GNU Mach and
// NetmsgNode, in-memory links) map the same file. The pager on node 10 sees
// each remote kernel as a control port (a netmsg proxy) and keeps them coherent.

const SECRET = new TextEncoder().encode('map cluster secret');
const ifaces = ['fsys', 'fs', 'io'].map((n) => getBuiltinInterface(n as 'fs', 'x86_64'));

class CallError extends Error {
  constructor(readonly routine: string, readonly code: number) {
    super(`${routine}: 0x${code.toString(16)}`);
  }
}

async function call(node: ClusterNode, task: TaskId, port: number, routine: string, args: MigArgs): Promise<MigArgs> {
  const r = ifaces.find((i) => i.byName.has(routine))!.routine(routine);
  const req = r.encodeRequest(args, { header: { remotePort: port } });
  const { msg } = await new MigUser(node.kernel, task).call(req, [], 10_000);
  const dec = r.decodeReply(msg);
  if (dec.retCode !== 0) throw new CallError(routine, dec.retCode);
  return dec.args;
}

const nameOf = (v: unknown): number => (v as { name: number }).name;

const link = (a: ClusterNode, b: ClusterNode): Promise<void> => linkNodes(a, b, SECRET);

const until = untilTurns;

/** Lets queued work run (immediates): no time passes on any clock. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** This process's descriptors open on `path`. */
function fdsOn(path: string): string[] {
  const real = realpathSync(path);
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === real;
    } catch {
      return false;
    }
  });
}

/** xorshift32: deterministic, seeded. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

interface Cluster {
  home: ClusterNode;
  maps: MapService;
  others: ClusterNode[];
  tree: Tree;
}

describe('remote memory: one file pager, several kernels', () => {
  const nodes: ClusterNode[] = [];
  const services: MapService[] = [];
  let tree: Tree | undefined;
  afterEach(async () => {
    for (const s of services.splice(0)) await s.close();
    for (const n of nodes.splice(0)) await n.close();
    tree?.cleanup();
    tree = undefined;
  });

  async function cluster(remotes: number, readOnly = false, opts: { clock?: Clock; stockIdleMs?: number } = {}): Promise<Cluster> {
    tree = makeTree();
    let maps: MapService | undefined;
    const hook = (rel: readonly string[], modes: number) => (maps ? maps.ioMap(rel, modes) : HurdErrno.EOPNOTSUPP);
    // Remote users act as the test process's own identity (it owns the tree).
    const credentials = createCredentialPolicy({ fallback: { uid: process.getuid!(), gid: process.getgid!() } });
    const home = await ClusterNode.create({ nodeId: 10, export: { root: tree.root, readOnly, ioMap: hook, credentials } });
    maps = new MapService({ kernel: home.kernel, root: tree.root, readOnly, ...opts });
    await maps.attach(home.exportTask!.task);
    services.push(maps);
    nodes.push(home);
    const others: ClusterNode[] = [];
    for (let i = 0; i < remotes; i++) {
      const n = await ClusterNode.create({ nodeId: 11 + i });
      nodes.push(n);
      others.push(n);
      await link(home, n);
    }
    return { home, maps, others, tree };
  }

  /** On `node`: a task, the file opened through the export, io_map, vm_map. */
  async function mapOn(node: ClusterNode, file: string, writable: boolean, size = 2 * PAGE_SIZE, vmWritable = writable): Promise<Mapping> {
    const { task, obj, names } = await ioMapOn(node, file, writable);
    const m = await Mapping.create(node.kernel, task, obj, size, vmWritable);
    for (const n of names) await node.kernel.portDeallocate(task, n);
    return m;
  }

  /** On `node`: a task, the file opened through the export, io_map; the object to map and every name the task got. */
  async function ioMapOn(node: ClusterNode, file: string, writable: boolean): Promise<{ task: TaskId; obj: number; names: number[] }> {
    const { task, name: root } = await node.remoteRoot(10);
    const dir = nameOf((await call(node, task, root, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    const f = nameOf((await call(node, task, dir, 'dir_lookup', { file_name: file, flags: O_READ | (writable ? O_WRITE : 0), mode: 0 }))['result']);
    let objs: MigArgs | undefined;
    for (let i = 0; i < 8 && !objs; i++) {
      try {
        objs = await call(node, task, f, 'io_map', {});
      } catch (e) {
        if (!(e instanceof CallError && e.code === HurdErrno.EAGAIN)) throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const obj = nameOf(objs![writable ? 'memobjwt' : 'memobjrd']);
    expect(obj).not.toBe(0);
    return { task, obj, names: [nameOf(objs!['memobjrd']), nameOf(objs!['memobjwt']), f, dir, root].filter((n) => n !== 0) };
  }

  function shared(c: Cluster, bytes: Uint8Array): string {
    writeFileSync(join(c.tree.root, 'shared.bin'), bytes);
    return join(c.tree.root, 'shared.bin');
  }

  it('two kernels see each other\'s writes; the file holds the last write after unmap; the pager ends', async () => {
    const c = await cluster(2);
    const path = shared(c, new Uint8Array(2 * PAGE_SIZE));
    const [b, d] = c.others as [ClusterNode, ClusterNode];
    const base = await c.home.portTable();
    const mb = await mapOn(b, 'shared.bin', true);
    const md = await mapOn(d, 'shared.bin', true);
    await mb.write(0, new TextEncoder().encode('from node 11'));
    expect(new TextDecoder().decode(await md.read(0, 12))).toBe('from node 11');
    await md.write(5, new TextEncoder().encode('NODE 12'));
    expect(new TextDecoder().decode(await mb.read(0, 12))).toBe('from NODE 12');
    // One pager for the file, two kernels (two control ports, both netmsg proxies on node 10).
    expect(c.maps.mapped()).toHaveLength(1);
    expect(c.maps.mapped()[0]!.kernels).toBe(2);
    const pager = c.maps.pagerOf('shared.bin')!;
    await mb.unmap();
    await md.unmap();
    await pager.done;
    expect(new TextDecoder().decode(readFileSync(path).subarray(0, 12))).toBe('from NODE 12');
    await c.maps.settle();
    expect(c.maps.mapped()).toHaveLength(0);
    expect(c.maps.errors).toEqual([]);
    // No leak on node 10: the export task and netmsg hold what they held before the mappings.
    await until(async () => {
      const t = await c.home.portTable();
      return t.exportPorts === base.exportPorts && t.netmsgNames === base.netmsgNames && t.identities === base.identities;
    });
    for (const n of nodes) expect(checkInvariants(n.kernel as SimKernel)).toEqual([]);
  });

  it('a node that dies holding a dirty page: the pager drops its kernel, the other kernel goes on, the pager ends', async () => {
    const c = await cluster(2);
    const path = shared(c, new Uint8Array(2 * PAGE_SIZE));
    const [b, d] = c.others as [ClusterNode, ClusterNode];
    const mb = await mapOn(b, 'shared.bin', true);
    const md = await mapOn(d, 'shared.bin', true);
    await mb.write(0, new TextEncoder().encode('saved by 11\0'));
    expect(new TextDecoder().decode(await md.read(0, 11))).toBe('saved by 11');
    await md.write(0, new TextEncoder().encode('LOST BY 12\0'));
    const pager = c.maps.pagerOf('shared.bin')!;
    expect(pager.kernelCount()).toBe(2);
    // Node 12 goes away with its write access: its link ends, its proxies on node 10 die,
    // the pager gets a dead-name notification for its control port.
    await d.close('killed');
    await until(async () => pager.kernelCount() === 1);
    // Node 11 still faults and gets the last version anyone saved.
    expect(new TextDecoder().decode(await mb.read(0, 11))).toBe('saved by 11');
    await mb.write(100, new TextEncoder().encode('after'));
    await mb.unmap();
    await pager.done;
    const disk = readFileSync(path);
    expect(new TextDecoder().decode(disk.subarray(0, 11))).toBe('saved by 11');
    expect(new TextDecoder().decode(disk.subarray(100, 105))).toBe('after');
    expect(c.maps.errors).toEqual([]);
  });

  for (const seed of [1, 7, 42]) {
    it(`three kernels, seeded interleaved writes and reads (seed ${seed}): every read sees the last write`, async () => {
      const c = await cluster(2);
      const size = 3 * PAGE_SIZE;
      const initial = new Uint8Array(size).map((_, i) => i & 0xff);
      const path = shared(c, initial);
      const model = initial.slice();
      // Kernels: node 10's own (a local task mapping through the same pager) and nodes 11, 12.
      const local = await c.home.kernel.taskCreate({ name: 'local-mapper' });
      const mapsOn = [await mapOn(c.others[0]!, 'shared.bin', true, size), await mapOn(c.others[1]!, 'shared.bin', true, size)];
      await c.maps.settle();
      const pager = c.maps.pagerOf('shared.bin')!;
      const right = await pager.sendRight(local);
      const mLocal = await Mapping.create(c.home.kernel, local, right, size, true);
      await c.home.kernel.portDeallocate(local, right);
      const all = [mLocal, ...mapsOn];
      const r = rng(seed);
      let reads = 0;
      for (let step = 0; step < 60; step++) {
        const m = all[r(all.length)]!;
        // Offsets cluster on page edges now and then, so writes straddle pages.
        const at = r(4) === 0 ? PAGE_SIZE * (1 + r(2)) - r(8) : r(size - 16);
        const len = 1 + r(16);
        if (r(2) === 0) {
          const data = new Uint8Array(len).map(() => r(256));
          await m.write(at, data);
          model.set(data, at);
        } else {
          expect(await m.read(at, len)).toEqual(model.subarray(at, at + len));
          reads++;
        }
      }
      expect(reads).toBeGreaterThan(10);
      expect(pager.kernelCount()).toBe(3);
      for (const m of all) await m.unmap();
      await pager.done;
      expect(new Uint8Array(readFileSync(path))).toEqual(model);
      expect(c.maps.errors).toEqual([]);
    });
  }

  it('io_maps of one file racing from several tasks and nodes share one pager (EAGAIN retried while rights are made)', async () => {
    const c = await cluster(2);
    shared(c, new TextEncoder().encode('x'.repeat(PAGE_SIZE)));
    const [b, d] = c.others as [ClusterNode, ClusterNode];
    const ms = await Promise.all([mapOn(b, 'shared.bin', true), mapOn(d, 'shared.bin', true), mapOn(b, 'shared.bin', false), mapOn(d, 'shared.bin', false), mapOn(b, 'shared.bin', true)]);
    expect(c.maps.mapped()).toHaveLength(1);
    await ms[0]!.write(0, new TextEncoder().encode('Y'));
    for (const m of ms) expect(new TextDecoder().decode(await m.read(0, 2))).toBe('Yx');
    const pager = c.maps.pagerOf('shared.bin')!;
    for (const m of ms) await m.unmap();
    await pager.done;
    expect(c.maps.errors).toEqual([]);
  });

  it('on a read-write export, a reader\'s object stays coherent with a writer but never writes, even mapped read|write', async () => {
    const c = await cluster(2);
    const path = shared(c, new TextEncoder().encode('original text'.padEnd(PAGE_SIZE, '.')));
    const [b, d] = c.others as [ClusterNode, ClusterNode];
    const writer = await mapOn(b, 'shared.bin', true);
    // Opened O_READ only: io_map gives the read-only object; the task maps it read|write anyway.
    const reader = await mapOn(d, 'shared.bin', false, 2 * PAGE_SIZE, true);
    expect(new TextDecoder().decode(await reader.read(0, 8))).toBe('original');
    await expect(reader.write(0, new TextEncoder().encode('FORGED'))).rejects.toMatchObject({ code: 'map_failed' });
    await writer.write(0, new TextEncoder().encode('REWRITTEN'));
    expect(new TextDecoder().decode(await reader.read(0, 9))).toBe('REWRITTEN');
    // A write fault on a page the reader never had is refused too.
    await expect(reader.write(PAGE_SIZE + 1, new TextEncoder().encode('x'))).rejects.toMatchObject({ code: 'map_failed' });
    expect(new TextDecoder().decode(await writer.read(0, 13))).toBe('REWRITTENtext');
    const pager = c.maps.pagerOf('shared.bin')!;
    expect(pager.kernelCount()).toBe(2);
    await writer.unmap();
    await reader.unmap();
    await pager.done;
    expect(readFileSync(path, 'utf8').slice(0, 13)).toBe('REWRITTENtext');
  });

  it('a read-only export gives only the read object; a write through it fails, the file is unchanged', async () => {
    const c = await cluster(1, true);
    const path = shared(c, new TextEncoder().encode('read-only contents'));
    const b = c.others[0]!;
    const { task, name: root } = await b.remoteRoot(10);
    const dir = nameOf((await call(b, task, root, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    const f = nameOf((await call(b, task, dir, 'dir_lookup', { file_name: 'shared.bin', flags: O_READ, mode: 0 }))['result']);
    const objs = await call(b, task, f, 'io_map', {});
    expect(nameOf(objs['memobjwt'])).toBe(0);
    const rd = nameOf(objs['memobjrd']);
    const m = await Mapping.create(b.kernel, task, rd, PAGE_SIZE, false);
    expect(new TextDecoder().decode(await m.read(0, 18))).toBe('read-only contents');
    await expect(m.write(0, new Uint8Array([1]))).rejects.toMatchObject({ code: 'map_failed' });
    // Even a read|write vm_map of the read object cannot write: the pager refuses the unlock.
    const rw = await Mapping.create(b.kernel, task, rd, PAGE_SIZE, true);
    await expect(rw.write(0, new TextEncoder().encode('X'))).rejects.toMatchObject({ code: 'map_failed' });
    await m.unmap();
    await rw.unmap();
    expect(readFileSync(path, 'utf8')).toBe('read-only contents');
  });

  it('io_map on a directory answers EOPNOTSUPP', async () => {
    const c = await cluster(1);
    const b = c.others[0]!;
    const { task, name: root } = await b.remoteRoot(10);
    const dir = nameOf((await call(b, task, root, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }))['file']);
    await expect(call(b, task, dir, 'io_map', {})).rejects.toMatchObject({ code: HurdErrno.EOPNOTSUPP });
  });
  it('a file io_mapped but never vm_mapped: its pager task and descriptor go once the stock is idle and the client\'s rights are gone; a mapped file keeps its pager', async () => {
    const clock = new VirtualClock();
    const c = await cluster(1, false, { clock, stockIdleMs: 1000 });
    const mappedPath = shared(c, new TextEncoder().encode('mapped'));
    const idlePath = join(c.tree.root, 'idle.bin');
    writeFileSync(idlePath, 'never mapped');
    const b = c.others[0]!;
    const base = await c.home.portTable();
    const held = await ioMapOn(b, 'idle.bin', true);
    const m = await mapOn(b, 'shared.bin', true);
    await c.maps.settle();
    const idle = c.maps.pagerOf('idle.bin')!;
    const kept = c.maps.pagerOf('shared.bin')!;
    expect(fdsOn(idlePath)).toHaveLength(1);
    // Time passes with no io_map: the service gives up its stock, but the client still holds the object.
    clock.advance(1000);
    await c.maps.settle();
    await turns(50);
    expect(idle.isFinished).toBe(false);
    // The client lets go of its rights: no one holds the object, its pager ends.
    for (const n of held.names) expect(await b.kernel.portDeallocate(held.task, n)).toBe(0);
    await until(async () => idle.isFinished);
    await idle.done;
    expect(fdsOn(idlePath)).toEqual([]);
    expect(c.home.kernel.snapshot(idle.task)).toBeNull();
    // The mapped file keeps its pager, its task and its descriptor, and goes on serving.
    expect(kept.isFinished).toBe(false);
    expect(kept.kernelCount()).toBe(1);
    expect(c.home.kernel.snapshot(kept.task)).not.toBeNull();
    expect(fdsOn(mappedPath)).toHaveLength(1);
    await m.write(0, new TextEncoder().encode('MAPPED'));
    expect(new TextDecoder().decode(await m.read(0, 6))).toBe('MAPPED');
    expect(c.maps.mapped().map((f) => f.file)).toEqual(['shared.bin']);
    await m.unmap();
    await kept.done;
    expect(fdsOn(mappedPath)).toEqual([]);
    expect(readFileSync(mappedPath, 'utf8')).toBe('MAPPED');
    // No leak on node 10.
    await until(async () => {
      const t = await c.home.portTable();
      return t.exportPorts === base.exportPorts && t.netmsgNames === base.netmsgNames && t.identities === base.identities;
    });
    expect(c.maps.errors).toEqual([]);
  });

  it('a file io_mapped and never vm_mapped whose client let go at once: its pager ends when the stock is idle', async () => {
    const clock = new VirtualClock();
    const c = await cluster(1, false, { clock, stockIdleMs: 1000 });
    const idlePath = join(c.tree.root, 'idle.bin');
    writeFileSync(idlePath, 'never mapped');
    const b = c.others[0]!;
    const held = await ioMapOn(b, 'idle.bin', false);
    for (const n of held.names) await b.kernel.portDeallocate(held.task, n);
    await c.maps.settle();
    const idle = c.maps.pagerOf('idle.bin')!;
    await turns(50);
    // The service's own stock of rights still holds it.
    expect(idle.isFinished).toBe(false);
    clock.advance(999);
    await turns(50);
    expect(idle.isFinished).toBe(false);
    clock.advance(1);
    await until(async () => idle.isFinished);
    expect(fdsOn(idlePath)).toEqual([]);
    // A later io_map of the file gets a new pager.
    const again = await mapOn(b, 'idle.bin', false);
    expect(new TextDecoder().decode(await again.read(0, 5))).toBe('never');
    expect(c.maps.pagerOf('idle.bin')).not.toBe(idle);
    await again.unmap();
    expect(c.maps.errors).toEqual([]);
  });

  it('the node shuts down its pager while a kernel\'s fault waits on it: the fault fails (KERN_MEMORY_ERROR) instead of waiting for ever', async () => {
    // The waiting fault is made deterministic by a task on node 10 acting as a
    // kernel that takes write access to page 0 and never answers the revoke:
    // node 11's read of page 0 waits on the pager (the lock timeout's clock never moves).
    const c = await cluster(1, false, { clock: new VirtualClock() });
    shared(c, new TextEncoder().encode('zero'.padEnd(2 * PAGE_SIZE, '.')));
    const b = c.others[0]!;
    const m = await mapOn(b, 'shared.bin', true);
    expect(new TextDecoder().decode(await m.read(PAGE_SIZE, 1))).toBe('.');
    const pager = c.maps.pagerOf('shared.bin')!;
    const k = c.home.kernel;
    const stuck = await k.taskCreate({ name: 'stuck-kernel' });
    const obj = await pager.sendRight(stuck);
    const control = (await k.portAllocate(stuck, MACH_PORT_RIGHT_RECEIVE)).name;
    const name = (await k.portAllocate(stuck, MACH_PORT_RIGHT_RECEIVE)).name;
    const send = async (msg: MachMessage) => expect((await k.msg(stuck, { options: MACH_SEND_MSG, send: encodeMessage(msg, k.abi) })).kr).toBe(0);
    const receive = async () => decodeMessage((await k.msg(stuck, { options: MACH_RCV_MSG, rcvName: control, rcvSize: 8192 })).message!, k.abi);
    await send(memoryObjectInit(k.abi, obj, control, name, PAGE_SIZE));
    expect((await receive()).header.id).toBe(2094); // ready
    await send(memoryObjectAccess(k.abi, 2203, obj, control, 0, PAGE_SIZE, 3)); // data_request read|write
    expect((await receive()).header.id).toBe(2093); // data_supply: the stuck task holds write access
    let outcome: unknown = 'pending';
    const reading = m.read(0, 4).then((v) => (outcome = v), (e: unknown) => (outcome = e));
    expect((await receive()).header.id).toBe(2044); // the revoke, never answered
    await turns(50);
    expect(outcome).toBe('pending');
    // Node shutdown: the map service closes its pagers; their tasks and object ports die.
    await c.maps.close();
    await until(async () => outcome !== 'pending');
    await reading;
    expect(outcome).toMatchObject({ code: 'map_failed', kern: KERN_MEMORY_ERROR });
    // Later faults fail the same way; a page the kernel had is still read; unmap does not hang.
    await expect(m.read(0, 1)).rejects.toMatchObject({ code: 'map_failed', kern: KERN_MEMORY_ERROR });
    expect(new TextDecoder().decode(await m.read(PAGE_SIZE, 1))).toBe('.');
    await m.unmap();
    await k.taskTerminate(stuck);
    for (const n of nodes) expect(checkInvariants(n.kernel as SimKernel)).toEqual([]);
  });
});
