/**
 * The death of a memory object's port (GNU Mach's vm_object_destroy, run by
 * ipc_kobject_destroy when the pager's receive right is destroyed): faults
 * waiting on the pager (for memory_object_ready, a data_request or a
 * data_unlock) fail at once with KERN_MEMORY_ERROR; resident pages stay
 * usable; faults that need the pager afterwards fail the same way; the
 * kernel's rights to the control and name ports go, and when the last
 * mapping goes nothing is sent. (vm_object_abort_activity wakes the faults,
 * which retry and find no pager: the request's send fails, VM_FAULT_MEMORY_ERROR.)
 */
import { describe, expect, it } from 'vitest';
import {
  KERN_INVALID_ARGUMENT, KERN_MEMORY_ERROR, KERN_MEMORY_FAILURE, KERN_SUCCESS, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_NOTIFY_PORT_DESTROYED, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_TYPE_DEAD_NAME,
} from 'mach-msg';
import type { SimKernel } from '../src/index.js';
import { sound } from './helpers.js';
import { fill, PAGE, pagerWorld, portName } from './pager-world.js';

/**
 * What a promise settled to after the kernel has had every chance to run
 * (the sim settles everything in microtasks and immediates), or 'pending'.
 * Not a timing bound: a fault that nothing wakes stays pending for ever.
 */
async function settled<T>(p: Promise<T>): Promise<T | 'pending'> {
  let out: T | 'pending' = 'pending';
  void p.then((v) => (out = v));
  for (let i = 0; i < 20 && out === 'pending'; i++) await new Promise((res) => setImmediate(res));
  return out;
}

/** The kernel holds no right for the object any more, and no port outlives the test's tasks. */
function kernelSpaceEmpty(k: SimKernel): void {
  expect([...k.core.kernelTask.space.entries.keys()]).toEqual([]);
}

describe('a memory object whose port dies (vm_object_destroy)', () => {
  it('a fault waiting for memory_object_ready fails with KERN_MEMORY_ERROR as soon as the pager task dies; later faults too; unmap sends nothing', async () => {
    const w = await pagerWorld();
    const { k, a, p } = w;
    const r = await k.vmMap(a, { memoryObject: w.moA, offset: 0, size: 2 * PAGE, anywhere: true });
    expect(r.kr).toBe(KERN_SUCCESS);
    expect((await w.next())!.header.id).toBe(2200);
    const rd = k.vmRead(a, r.address, 1);
    expect(await settled(rd)).toBe('pending');
    expect(await k.taskTerminate(p)).toBe(KERN_SUCCESS);
    expect(await settled(rd)).toEqual({ kr: KERN_MEMORY_ERROR, data: null });
    // A later fault on the same object: still no pager to ask.
    expect(await settled(k.vmRead(a, r.address + PAGE, 1))).toEqual({ kr: KERN_MEMORY_ERROR, data: null });
    expect(await settled(k.vmWrite(a, r.address, new Uint8Array([1])))).toBe(KERN_MEMORY_ERROR);
    // The object's port is dead: a new map of it is refused.
    expect((await k.vmMap(w.b, { memoryObject: w.moB, offset: 0, size: PAGE, anywhere: true })).kr).toBe(KERN_INVALID_ARGUMENT);
    kernelSpaceEmpty(k);
    expect(await k.vmDeallocate(a, r.address, 2 * PAGE)).toBe(KERN_SUCCESS);
    kernelSpaceEmpty(k);
    sound(k);
    await k.close();
    expect(k.core.ports.size).toBe(0);
  });

  it('a fault waiting for its data_request fails when the receive right is destroyed; a resident page stays readable; the pager\'s control right is a dead name', async () => {
    const w = await pagerWorld();
    const { k, a, p } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const first = k.vmRead(a, address, 2);
    expect((await w.next())!.header.id).toBe(2203);
    await w.supply(control, 0, fill(5), 2 /* write locked: read-only */);
    expect(await first).toEqual({ kr: KERN_SUCCESS, data: new Uint8Array([5, 5]) });
    const rd = k.vmRead(a, address + PAGE, 1);
    const req = (await w.next())!;
    expect(req.header.id).toBe(2203);
    expect(await settled(rd)).toBe('pending');
    expect(await k.portDestroy(p, w.mo)).toBe(KERN_SUCCESS);
    expect(await settled(rd)).toEqual({ kr: KERN_MEMORY_ERROR, data: null });
    // GNU Mach keeps the resident pages of the object (vm_object_abort_activity does not free them).
    expect(await k.vmRead(a, address + 1, 1)).toEqual({ kr: KERN_SUCCESS, data: new Uint8Array([5]) });
    // But a write to it would need a data_unlock, which has nowhere to go.
    expect(await settled(k.vmWrite(a, address, new Uint8Array([9])))).toBe(KERN_MEMORY_ERROR);
    // The kernel destroyed the control port (ipc_port_dealloc_kernel): the pager holds a dead name.
    expect((await k.portType(p, control)).type).toBe(MACH_PORT_TYPE_DEAD_NAME);
    kernelSpaceEmpty(k);
    expect(await k.vmDeallocate(a, address, 4 * PAGE)).toBe(KERN_SUCCESS);
    sound(k);
  });

  it('a write waiting for its data_unlock fails when the pager dies; a dirty page is not returned at unmap', async () => {
    const w = await pagerWorld();
    const { k, a, p } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const first = k.vmRead(a, address, 1);
    await w.next();
    await w.supply(control, 0, fill(3), 0 /* writable */);
    expect((await first).kr).toBe(KERN_SUCCESS);
    expect(await k.vmWrite(a, address, new Uint8Array([8]))).toBe(KERN_SUCCESS);
    const second = k.vmRead(a, address + PAGE, 1);
    await w.next();
    await w.supply(control, PAGE, fill(4), 2 /* read-only */);
    expect((await second).kr).toBe(KERN_SUCCESS);
    const wr = k.vmWrite(a, address + PAGE, new Uint8Array([1]));
    const un = (await w.next())!;
    expect(un.header.id).toBe(2204);
    expect(await settled(wr)).toBe('pending');
    expect(await k.taskTerminate(p)).toBe(KERN_SUCCESS);
    expect(await settled(wr)).toBe(KERN_MEMORY_ERROR);
    // The dirty page is still the task's to read.
    expect(await k.vmRead(a, address, 2)).toEqual({ kr: KERN_SUCCESS, data: new Uint8Array([8, 3]) });
    expect(await k.vmDeallocate(a, address, 4 * PAGE)).toBe(KERN_SUCCESS);
    kernelSpaceEmpty(k);
    sound(k);
  });

  it('a copy map waiting for ready fails with KERN_MEMORY_ERROR when the pager dies (no copy strategy given: copied slowly, and no page can be read)', async () => {
    const w = await pagerWorld();
    const { k, a, p } = w;
    const m = k.vmMap(a, { memoryObject: w.moA, offset: 0, size: PAGE, anywhere: true, copy: true });
    expect((await w.next())!.header.id).toBe(2200);
    expect(await settled(m)).toBe('pending');
    expect(await k.taskTerminate(p)).toBe(KERN_SUCCESS);
    expect(await settled(m)).toEqual({ kr: KERN_MEMORY_ERROR, address: 0 });
    kernelSpaceEmpty(k);
    sound(k);
  });

  it('a port-destroyed request keeps the port alive: the fault keeps waiting, for the task that gets the right', async () => {
    const w = await pagerWorld();
    const { k, a, p } = w;
    const r = await k.vmMap(a, { memoryObject: w.moA, offset: 0, size: PAGE, anywhere: true });
    const control = portName((await w.next())!, 0);
    const rd = k.vmRead(a, r.address, 1);
    const heir = await k.taskCreate({ name: 'heir' });
    const notify = (await k.portAllocate(heir, MACH_PORT_RIGHT_RECEIVE)).name;
    const so = (await k.portExtractRight(heir, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, p)).name;
    expect((await k.portRequestNotification(p, w.mo, MACH_NOTIFY_PORT_DESTROYED, 0, so, MACH_MSG_TYPE_MOVE_SEND_ONCE)).kr).toBe(KERN_SUCCESS);
    expect(await k.portDestroy(p, w.mo)).toBe(KERN_SUCCESS);
    expect(await settled(rd)).toBe('pending');
    expect((await k.portType(p, control)).type).not.toBe(MACH_PORT_TYPE_DEAD_NAME);
    // The object ends the usual way: terminated with its last mapping.
    expect(await k.vmDeallocate(a, r.address, PAGE)).toBe(KERN_SUCCESS);
    expect(await settled(rd)).toEqual({ kr: KERN_MEMORY_FAILURE, data: null });
    sound(k);
  });
});
