import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND, MIG_BAD_ARGUMENTS, type MachMessage } from 'mach-msg';
import { PAGE_SIZE } from 'hurd-ffi';
import { VM_PROT_READ } from 'pager-core';
import { connect, ioMap, isNetmsgServerError, mapFile, O_READ, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { refuseUnfit } from '../src/cluster/mig-abi.js';
import { makeTree, type Tree } from './helpers.js';

/**
 * A memory object offset an i386 task cannot hold (4 GiB and beyond) is
 * refused by the node that would deliver it into an i386 task, and the
 * sender hears of it: an x86_64 kernel's data_request for such a page gets
 * memory_object_data_error back, so its fault fails instead of waiting.
 */

const SECRET = 'unfit offset secret 0123456789';
const GiB4 = 2 ** 32;

/** An x86_64 kernel's memory_object request, as it arrives from the wire (64-bit offset and length). */
function request(routine: string, offset: bigint, length: bigint): MachMessage {
  const r = getBuiltinInterface('memory_object', 'x86_64').routine(routine);
  const args = routine === 'memory_object_data_return'
    ? { memory_control: { name: 7, disposition: MACH_MSG_TYPE_MAKE_SEND }, offset, data: new Uint8Array(8), dirty: 1, kernel_copy: 0 }
    : { memory_control: { name: 7, disposition: MACH_MSG_TYPE_MAKE_SEND }, offset, length, desired_access: 1 };
  return r.encodeRequest(args as never, { header: { remotePort: 5 }, placeOutOfLine: () => 0x1000n });
}

describe('refuseUnfit (pure)', () => {
  it('refuses a data_request beyond 4 GiB for an i386 task and answers data_error on its control right', () => {
    const r = refuseUnfit(request('memory_object_data_request', BigInt(GiB4 + PAGE_SIZE), BigInt(PAGE_SIZE)), 'i386');
    expect(r?.error.code).toBe('abi_unfit');
    expect(r?.error.kern).toBe(MIG_BAD_ARGUMENTS);
    expect(r?.error.message).toMatch(/memory_object_data_request: offset\/length 0x100001000, 0x1000 does not fit/);
    const answer = getBuiltinInterface('mach', 'x86_64').routine('memory_object_data_error').decodeRequest(r!.answer!);
    expect(r!.answer!.header.remotePort).toBe(7);
    expect(answer.args).toEqual({ offset: BigInt(GiB4 + PAGE_SIZE), size: BigInt(PAGE_SIZE), error_value: MIG_BAD_ARGUMENTS });
  });

  it('refuses a data_return beyond 4 GiB with nobody to answer; leaves what fits, and every x86_64 receiver, alone', () => {
    const ret = refuseUnfit(request('memory_object_data_return', BigInt(GiB4), 0n), 'i386');
    expect(ret?.error.code).toBe('abi_unfit');
    expect(ret?.answer).toBeUndefined();
    expect(refuseUnfit(request('memory_object_data_request', BigInt(GiB4 - PAGE_SIZE), BigInt(PAGE_SIZE)), 'i386')).toBeUndefined();
    expect(refuseUnfit(request('memory_object_data_unlock', BigInt(GiB4), BigInt(PAGE_SIZE)), 'x86_64')).toBeUndefined();
    const fs = getBuiltinInterface('io', 'x86_64').routine('io_read').encodeRequest({ offset: BigInt(GiB4), amount: 10n } as never, { header: { remotePort: 5 } });
    expect(refuseUnfit(fs, 'i386')).toBeUndefined(); // sizes of the fs interfaces are fitted (clamped), never refused
  });
});

describe('an x86_64 client maps an i386 node\'s file beyond 4 GiB', () => {
  let tree: Tree;
  let node: RunningNode;
  let c: FsClient;
  beforeAll(async () => {
    tree = makeTree();
    writeFileSync(join(tree.root, 'big.bin'), new Uint8Array(PAGE_SIZE));
    if (process.getuid?.() === 0) for (const p of [tree.root, join(tree.root, 'big.bin')]) chownSync(p, 65534, 65534);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, abi: 'i386' }, { logger: silentLogger });
    c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c?.close();
    await node?.close('test done');
    tree?.cleanup();
  });

  it('the fault fails with the pager\'s data_error at once; a page below 4 GiB still reads', async () => {
    const port = await c.lookup('big.bin', O_READ);
    const objs = await ioMap(c, port);
    const k = c.kernel;
    const far = await k.vmMap(c.task, { memoryObject: objs.read, offset: GiB4, size: PAGE_SIZE, anywhere: true, access: VM_PROT_READ });
    expect(far.kr).toBe(0);
    const r = await k.vmRead(c.task, far.address, 16);
    expect(r.kr).not.toBe(0); // a memory error, not a wait
    expect(node.cluster.driver.refused.map((e) => [e.code, e.kern])).toEqual([['abi_unfit', MIG_BAD_ARGUMENTS]]);
    expect(isNetmsgServerError(node.cluster.driver.refused[0])).toBe(true);
    expect(node.cluster.driver.errors).toEqual([]);
    const near = await mapFile(c, 'big.bin');
    expect(Array.from(await near.read(0, 4))).toEqual([0, 0, 0, 0]);
    await near.unmap();
    expect(await k.vmDeallocate(c.task, far.address, PAGE_SIZE)).toBe(0);
    for (const n of [objs.read, objs.write]) if (n !== 0) await k.portDeallocate(c.task, n);
    c.release(port);
  });
});
