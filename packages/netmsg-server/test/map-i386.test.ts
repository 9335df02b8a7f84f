import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, getBuiltinInterface, type Abi, type MachMessage, type MsgItem } from 'mach-msg';
import type { MachKernel, MsgEvent } from 'hurd-ffi';
import { PAGE_SIZE } from 'hurd-ffi';
import { connect, fitMigAbi, mapFile, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';

/**
 * Remote memory between kernels of different ABIs: a node of one ABI exports
 * a file read-write; a client whose kernel is of the other ABI maps it with
 * mapFile (io_map, then vm_map: memory_object_init, data_request, data_unlock,
 * data_supply, lock_request, lock_completed, data_return, terminate all cross
 * netmsg between an i386 and an x86_64 kernel), and a second client of the
 * node's ABI maps it too and sees the first one's writes, and the reverse.
 */

const SECRET = 'mixed abi map secret 0123456789';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Remote users act as the export's owner; as root, make that an unprivileged one (nobody). */
function ownTree(tree: Tree, files: string[]): void {
  if (process.getuid?.() !== 0) return;
  for (const p of [tree.root, ...files.map((f) => join(tree.root, f))]) chownSync(p, 65534, 65534);
}

async function until(f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000 && !(await f()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await f()).toBe(true);
}

/**
 * The external memory management messages a kernel sees (sent into it by
 * netmsg, received by the node's file pager), each checked with MIG's strict
 * type check for that kernel's ABI, as GNU Mach's own stubs (the kernel's
 * memory_object_data_supply server, the pager's memory_object server) check them.
 */
function watchMemoryObjectMessages(kernel: MachKernel): { seen: Map<string, number>; rejected: string[]; stop: () => void } {
  const abi = kernel.abi;
  const routines = new Map<number, (msg: MachMessage) => unknown>();
  for (const itf of ['memory_object', 'mach'] as const) {
    const c = getBuiltinInterface(itf, abi);
    for (const [name] of c.byName) {
      if (!name.startsWith('memory_object_')) continue;
      const r = c.routine(name);
      if (r.layout.request) routines.set(r.layout.request.id, (m) => r.decodeRequest(m));
    }
  }
  const seen = new Map<string, number>();
  const rejected: string[] = [];
  const stop = kernel.observe((ev: MsgEvent) => {
    const check = routines.get(ev.msgId);
    if (!check || !ev.bytes || ev.kr !== undefined) return;
    const key = `${ev.phase} ${ev.msgId}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    try {
      check(decodeMessage(ev.bytes, abi));
    } catch (e) {
      rejected.push(`${key}: ${String(e)}`);
    }
  });
  return { seen, rejected, stop };
}

for (const [nodeAbi, clientAbi] of [['x86_64', 'i386'], ['i386', 'x86_64']] as [Abi, Abi][]) {
  describe(`mapFile: an ${clientAbi} client and an ${nodeAbi} client map a file of an ${nodeAbi} node`, () => {
    let tree: Tree;
    let node: RunningNode;
    let foreign: FsClient;
    let native: FsClient;
    let base: Awaited<ReturnType<RunningNode['portTable']>>;
    beforeAll(async () => {
      tree = makeTree();
      writeFileSync(join(tree.root, 'shared.bin'), new Uint8Array(2 * PAGE_SIZE + 100).map((_, i) => 0x41 + (i % 26)));
      ownTree(tree, ['shared.bin']);
      node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true, abi: nodeAbi }, { logger: silentLogger });
      base = await node.portTable();
      foreign = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 30_000, abi: clientAbi });
      native = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 30_000, abi: nodeAbi });
    });
    afterAll(async () => {
      await foreign?.close();
      await native?.close();
      await node?.close('test done');
      tree?.cleanup();
    });

    it('the kernels are of the ABIs they say', () => {
      expect(node.kernel.abi).toBe(nodeAbi);
      expect(foreign.kernel.abi).toBe(clientAbi);
      expect(native.kernel.abi).toBe(nodeAbi);
    });

    it('reads, writes and coherence across the ABIs; the file holds the last writes; ports are freed', async () => {
      const watches = [node.kernel, foreign.kernel, native.kernel].map(watchMemoryObjectMessages);
      const original = readFileSync(join(tree.root, 'shared.bin'));
      const mf = await mapFile(foreign, 'shared.bin', { writable: true });
      const mn = await mapFile(native, 'shared.bin', { writable: true });
      expect(mf.size).toBe(3 * PAGE_SIZE);
      // Reads through the foreign kernel fault pages in from the node's pager (data_request / data_supply).
      expect(Buffer.from(await mf.read(0, 2 * PAGE_SIZE + 100)).equals(original)).toBe(true);
      // A write there (data_unlock), seen by the native kernel (lock_request, data_return, data_supply).
      await mf.write(PAGE_SIZE - 4, enc(`from ${clientAbi}`));
      expect(dec(await mn.read(PAGE_SIZE - 4, 5 + clientAbi.length))).toBe(`from ${clientAbi}`);
      // And back: the native kernel writes on the second page, the foreign one sees it.
      await mn.write(PAGE_SIZE + 20, enc(`from ${nodeAbi}`));
      expect(dec(await mf.read(PAGE_SIZE + 20, 5 + nodeAbi.length))).toBe(`from ${nodeAbi}`);
      expect(dec(await mf.read(PAGE_SIZE - 4, 5 + clientAbi.length))).toBe(`from ${clientAbi}`);
      // One pager, two kernels of different ABIs.
      expect(node.maps.mapped()).toHaveLength(1);
      expect(node.maps.mapped()[0]!.kernels).toBe(2);
      const pager = node.maps.pagerOf('shared.bin')!;
      await mf.unmap();
      await mn.unmap();
      await pager.done;
      const want = Buffer.from(original);
      want.set(enc(`from ${clientAbi}`), PAGE_SIZE - 4);
      want.set(enc(`from ${nodeAbi}`), PAGE_SIZE + 20);
      for (const w of watches) w.stop();
      // Every memory_object message (init, data_request, data_unlock, data_return, lock_completed,
      // terminate to the pager; data_supply, lock_request, ready to the kernels) had the receiving kernel's types.
      const [onNode, onForeign] = watches as [ReturnType<typeof watchMemoryObjectMessages>, ReturnType<typeof watchMemoryObjectMessages>];
      expect([...onNode.seen.keys()].filter((k) => k.startsWith('receive')).length).toBeGreaterThanOrEqual(4);
      expect(onForeign.seen.get('send 2093')).toBeGreaterThan(0);
      expect(onForeign.seen.get('send 2044')).toBeGreaterThan(0);
      for (const w of watches) expect(w.rejected).toEqual([]);
      const onDisk = readFileSync(join(tree.root, 'shared.bin'));
      expect(onDisk.length).toBe(2 * PAGE_SIZE + 100);
      expect(onDisk.equals(want)).toBe(true);
      await node.maps.settle();
      expect(node.maps.mapped()).toHaveLength(0);
      expect(node.maps.errors).toEqual([]);
      // Everything the mappings took on the node is given back once the clients go.
      await foreign.close();
      await native.close();
      await until(async () => {
        const t = await node.portTable();
        return t.exportPorts === base.exportPorts && t.netmsgNames === base.netmsgNames && t.identities === base.identities;
      });
      expect(node.cluster.driver.errors).toEqual([]);
      expect(node.cluster.exportTask!.errors).toEqual([]);
    });
  });
}

describe('fitMigAbi on memory_object messages', () => {
  const mo32 = getBuiltinInterface('memory_object', 'i386');
  const mo64 = getBuiltinInterface('memory_object', 'x86_64');
  const mach32 = getBuiltinInterface('mach', 'i386');
  const mach64 = getBuiltinInterface('mach', 'x86_64');
  // The dispositions the types name: MACH_MSG_TYPE_MAKE_SEND (20) for the control and name ports, MAKE_SEND_ONCE (21) for reply_to.
  const port = { name: 7, disposition: 20 };
  const replyTo = { name: 8, disposition: 21 };

  /** What the receiving kernel does to port items on copyout (its own msgt_size); fitMigAbi leaves them to it. */
  const laidOut = (msg: MachMessage, abi: Abi): MachMessage => ({
    header: msg.header,
    items: msg.items.map((it) => (it.kind === 'ports' ? ({ ...it, type: { ...it.type, size: abi === 'i386' ? 32 : 64 } } as MsgItem) : it)),
  });

  it('kernel to pager: offsets and sizes zero-extended for x86_64, narrowed for i386 when they fit', () => {
    const req32 = mo32.routine('memory_object_data_request').encodeRequest(
      { memory_control: port, offset: 0xfffff000, length: PAGE_SIZE, desired_access: 3 }, { header: { remotePort: 5 } },
    );
    expect(fitMigAbi(req32, 'i386')).toBe(req32);
    const to64 = fitMigAbi(req32, 'x86_64');
    // The offset and length items now have x86_64's types (ports are laid out by the receiving kernel).
    expect([to64.items[1]!.type, to64.items[2]!.type].map((t) => [t.name, t.size, t.number])).toEqual([[11, 64, 1], [11, 64, 1]]);
    expect(mo64.routine('memory_object_data_request').decodeRequest(laidOut(to64, 'x86_64')).args).toMatchObject({ offset: 0xfffff000n, length: BigInt(PAGE_SIZE), desired_access: 3 });
    const back = fitMigAbi(to64, 'i386');
    const a = mo32.routine('memory_object_data_request').decodeRequest(laidOut(back, 'i386')).args;
    // mach-msg reads an i386 MACH_MSG_TYPE_INTEGER_32 as signed: the same 32 bits.
    expect([(a['offset'] as number) >>> 0, a['length'], a['desired_access']]).toEqual([0xfffff000, PAGE_SIZE, 3]);
    const init32 = mo32.routine('memory_object_init').encodeRequest(
      { memory_control: port, memory_object_name: port, memory_object_page_size: PAGE_SIZE }, { header: { remotePort: 5 } },
    );
    expect(mo64.routine('memory_object_init').decodeRequest(laidOut(fitMigAbi(init32, 'x86_64'), 'x86_64')).args).toMatchObject({ memory_object_page_size: BigInt(PAGE_SIZE) });
  });

  it('pager to kernel: data_supply and lock_request offsets fitted both ways', () => {
    const lock64 = mach64.routine('memory_object_lock_request').encodeRequest(
      { offset: 3n * BigInt(PAGE_SIZE), size: BigInt(PAGE_SIZE), should_return: 1, should_flush: 0, lock_value: 2, reply_to: replyTo }, { header: { remotePort: 5 } },
    );
    const lock32 = fitMigAbi(lock64, 'i386');
    expect([lock32.items[0]!.type, lock32.items[1]!.type].map((t) => [t.name, t.size, t.number])).toEqual([[2, 32, 1], [2, 32, 1]]);
    expect(mach32.routine('memory_object_lock_request').decodeRequest(laidOut(lock32, 'i386')).args).toMatchObject({ offset: 3 * PAGE_SIZE, size: PAGE_SIZE, should_return: 1, lock_value: 2 });
    const err32 = mach32.routine('memory_object_data_error').encodeRequest({ offset: PAGE_SIZE, size: 2 * PAGE_SIZE, error_value: 5 }, { header: { remotePort: 5 } });
    expect(mach64.routine('memory_object_data_error').decodeRequest(fitMigAbi(err32, 'x86_64')).args).toEqual({ offset: BigInt(PAGE_SIZE), size: BigInt(2 * PAGE_SIZE), error_value: 5 });
  });

  it('an offset an i386 kernel cannot hold is not truncated: the message keeps its 64-bit item and i386 MIG rejects it', () => {
    const far = 0x1_0000_1000n;
    const req64 = mo64.routine('memory_object_data_request').encodeRequest(
      { memory_control: port, offset: far, length: BigInt(PAGE_SIZE), desired_access: 1 }, { header: { remotePort: 5 } },
    );
    const fitted = fitMigAbi(req64, 'i386');
    expect(fitted.items[1]).toEqual(req64.items[1]);
    expect(() => mo32.routine('memory_object_data_request').decodeRequest(laidOut(fitted, 'i386'))).toThrow();
    // It still encodes for an i386 kernel (netmsg can deliver it; the receiver's stub is what refuses it).
    expect(() => encodeMessage(laidOut(fitted, 'i386'), 'i386')).not.toThrow();
    // Pager to kernel likewise: the lock_request for a page beyond 4 GiB is not narrowed to another page.
    const lock64 = mach64.routine('memory_object_lock_request').encodeRequest(
      { offset: far, size: BigInt(PAGE_SIZE), should_return: 1, should_flush: 1, lock_value: 0, reply_to: replyTo }, { header: { remotePort: 5 } },
    );
    const lock = fitMigAbi(lock64, 'i386');
    expect(lock.items[0]).toEqual(lock64.items[0]);
    expect(() => mach32.routine('memory_object_lock_request').decodeRequest(laidOut(lock, 'i386'))).toThrow();
  });

  it('a task\'s own kernel calls in mach (vm_*) are outside the fitting', () => {
    const vm64 = mach64.routine('vm_allocate').encodeRequest({ address: 0n, size: 0x1_0000_0000n, anywhere: 1 }, { header: { remotePort: 5 } });
    expect(fitMigAbi(vm64, 'i386')).toBe(vm64);
  });
});
