/**
 * Remote memory on the real GNU Mach: a client whose kernel is the `gnumach`
 * backend (GNU Mach 1.8 under QEMU) maps a file exported by a node on the
 * simulated kernel. GNU Mach's vm_map sends memory_object_init to the netmsg
 * proxy of the file's memory object on that kernel; the client's netmsg task
 * carries it (and every data_request / data_unlock / data_return after it)
 * over the loopback link to the node's file pager, whose answers come back
 * the same way. A second client on `sim` maps the same file: writes on
 * either side are seen by the other (the pager's coherence), and the file
 * holds them after both unmap. Then an i386 GNU Mach client maps a file of
 * the x86_64 node: the real kernel's own i386 MIG stubs check every
 * data_supply / lock_request netmsg fits for it (cluster/mig-abi.ts).
 * Each block boots QEMU once; closing must leave none of the QEMUs this
 * process started.
 */
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBuiltinInterface } from 'mach-msg';
import { PAGE_SIZE, type GnumachKernel, type MsgEvent } from 'hurd-ffi';
import { connect, isNetmsgServerError, mapFile, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { whileProgressing } from '../../../test-support/gnumach-progress.js';
import { connectGnumach } from './gnumach-connect.js';

const SECRET = 'gnumach map test secret';
const BOOT_MS = 240_000;
/**
 * The tests' hang guards, beyond the boot: a loaded host slows the guest
 * (QEMU's TCG) without bound, so the work on the real kernel waits while
 * its link makes progress (whileProgressing, which fails a stuck guest
 * within a minute) and its client's calls get GUARDED_CALL_MS, its own
 * connect included (connectGnumach); these only catch what that cannot see
 * (a boot, which has hurd-ffi's own bound).
 */
const WORK_MS = 900_000;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('remote memory on the real GNU Mach: a gnumach client maps a file of a sim node', () => {
  let tree: Tree;
  let node: RunningNode | undefined;
  let real: FsClient | undefined;
  let sim: FsClient | undefined;
  beforeAll(async () => {
    tree = makeTree();
    writeFileSync(join(tree.root, 'shared.bin'), new Uint8Array(2 * PAGE_SIZE + 100));
    if (process.getuid?.() === 0) for (const p of [tree.root, join(tree.root, 'shared.bin'), join(tree.root, 'hello.txt')]) chownSync(p, 65534, 65534);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
    sim = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await real?.close();
    await sim?.close();
    await node?.close();
    tree?.cleanup();
  });

  it('reads, writes seen by a sim client and back, the file holds both after unmap', { timeout: BOOT_MS + WORK_MS }, async () => {
    real = await connectGnumach(`127.0.0.1:${node!.port}`, { secret: SECRET });
    expect(real.kernel.backend).toBe('gnumach');
    expect(ourQemus().length).toBe(1);
    await whileProgressing(real.kernel as GnumachKernel, 'mapping a file of the sim node on the gnumach client', mapShared(real));
    await real.close();
    real = undefined;
    expect(ourQemus()).toEqual([]);
  });

  /** The maps, faults and unmaps of the test above, on `real` (a gnumach client) and the sim client. */
  async function mapShared(real: FsClient): Promise<void> {
    // What GNU Mach itself sent to the proxy of the pager's port, as netmsg's task received it there.
    const mo = getBuiltinInterface('memory_object', 'x86_64');
    const ids = new Map(['memory_object_init', 'memory_object_data_request', 'memory_object_data_return', 'memory_object_terminate']
      .map((n) => [mo.routine(n).layout.request!.id, n]));
    const fromKernel = new Map<string, number>();
    const stop = real.kernel.observe((ev: MsgEvent) => {
      const n = ids.get(ev.msgId);
      if (n && ev.phase === 'receive' && ev.task === real.node.driver.task) fromKernel.set(n, (fromKernel.get(n) ?? 0) + 1);
    });
    const ro = await mapFile(real, 'hello.txt');
    expect(dec(await ro.read(0, 12))).toBe('hello, hurd\n');
    const helloPager = node!.maps.pagerOf('hello.txt')!;
    await ro.unmap();
    await helloPager.done;
    const m1 = await mapFile(real, 'shared.bin', { writable: true });
    const m2 = await mapFile(sim!, 'shared.bin', { writable: true });
    await m1.write(PAGE_SIZE - 3, enc('straddles'));
    expect(dec(await m2.read(PAGE_SIZE - 3, 9))).toBe('straddles');
    await m2.write(PAGE_SIZE + 2, enc('DLES!'));
    expect(dec(await m1.read(PAGE_SIZE - 3, 10))).toBe('stradDLES!');
    expect(node!.maps.mapped()[0]!.kernels).toBe(2);
    const pager = node!.maps.pagerOf('shared.bin')!;
    await m1.unmap();
    await m2.unmap();
    await pager.done;
    const onDisk = readFileSync(join(tree.root, 'shared.bin'));
    expect(onDisk.length).toBe(2 * PAGE_SIZE + 100);
    expect(dec(onDisk.subarray(PAGE_SIZE - 3, PAGE_SIZE + 7))).toBe('stradDLES!');
    stop();
    // Two objects mapped and terminated, pages asked for, the dirty page returned: all by the real kernel.
    expect(fromKernel.get('memory_object_init')).toBe(2);
    expect(fromKernel.get('memory_object_terminate')).toBe(2);
    expect(fromKernel.get('memory_object_data_request')).toBeGreaterThanOrEqual(2);
    expect(fromKernel.get('memory_object_data_return')).toBeGreaterThanOrEqual(1);
    expect(node!.maps.mapped()).toEqual([]);
    expect(real.node.driver.errors).toEqual([]);
  }
});

describe('remote memory across ABIs on the real GNU Mach: an i386 gnumach client maps a file of an x86_64 sim node', () => {
  let tree: Tree;
  let node: RunningNode | undefined;
  let real: FsClient | undefined;
  beforeAll(async () => {
    tree = makeTree();
    writeFileSync(join(tree.root, 'shared.bin'), new Uint8Array(PAGE_SIZE + 10));
    if (process.getuid?.() === 0) for (const p of [tree.root, join(tree.root, 'shared.bin')]) chownSync(p, 65534, 65534);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
  });
  afterAll(async () => {
    await real?.close();
    await node?.close();
    tree?.cleanup();
  });

  it('GNU Mach\'s own i386 MIG stubs take the fitted supplies: reads and a write reach the file', { timeout: BOOT_MS + WORK_MS }, async () => {
    real = await connectGnumach(`127.0.0.1:${node!.port}`, { secret: SECRET, abi: 'i386' });
    expect(real.kernel.backend).toBe('gnumach');
    expect(real.abi).toBe('i386');
    expect(ourQemus().length).toBe(1);
    await whileProgressing(real.kernel as GnumachKernel, 'mapping a file on the i386 gnumach client', mapI386(real));
    await real.close();
    real = undefined;
    expect(ourQemus()).toEqual([]);
  });

  /** The test above's map, faults, write and unmap on `real` (an i386 gnumach client). */
  async function mapI386(real: FsClient): Promise<void> {
    const m = await mapFile(real, 'shared.bin', { writable: true });
    expect(Array.from(await m.read(PAGE_SIZE, 10))).toEqual(new Array(10).fill(0));
    await m.write(PAGE_SIZE + 1, enc('i386'));
    expect(dec(await m.read(PAGE_SIZE + 1, 4))).toBe('i386');
    const pager = node!.maps.pagerOf('shared.bin')!;
    await m.unmap();
    await pager.done;
    const onDisk = readFileSync(join(tree.root, 'shared.bin'));
    expect(onDisk.length).toBe(PAGE_SIZE + 10);
    expect(dec(onDisk.subarray(PAGE_SIZE + 1, PAGE_SIZE + 5))).toBe('i386');
    expect(real.node.driver.errors).toEqual([]);
    expect(real.node.driver.refused).toEqual([]);
  }
});
