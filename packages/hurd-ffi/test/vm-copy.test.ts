/**
 * Copy (copy-on-map) mappings: vm_map with copy=TRUE of an external memory
 * object. Delayed copies (MEMORY_OBJECT_COPY_DELAY) fault from the object
 * for reading and keep private pages for writes; COPY_NONE copies every page
 * at map time (vm_object_copy_slowly).
 */
import { describe, expect, it } from 'vitest';
import { KERN_MEMORY_ERROR, KERN_SUCCESS, MACH_MSG_TYPE_MAKE_SEND_ONCE, type MsgItem } from 'mach-msg';
import { MEMORY_OBJECT_COPY_DELAY, MEMORY_OBJECT_COPY_NONE } from '../src/index.js';
import { sound } from './helpers.js';
import { fill, int, PAGE, pagerWorld, portName, td, val, word } from './pager-world.js';

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
/** lock_request(offset, size, return, flush, lock value) with no reply port. */
const lockItems = (offset: number, size: number, ret: number, flush: boolean): MsgItem[] => [
  word('x86_64', offset),
  word('x86_64', size),
  int(ret),
  int(flush ? 1 : 0, 0),
  int(8),
  { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [0] },
];

/** a maps the object shared, b maps it copy-on-map; delayed copy strategy. */
async function copyWorld() {
  const w = await pagerWorld();
  const A = await w.mapReady(w.a, w.moA, 4 * PAGE, { copyStrategy: MEMORY_OBJECT_COPY_DELAY });
  const B = await w.mapReady(w.b, w.moB, 4 * PAGE, { copy: true });
  expect(B.control).toBe(0);
  return { ...w, A: A.address, B: B.address, control: A.control };
}

describe('vm_map copy=TRUE, delayed copy', () => {
  it("reads the object's data through read faults and keeps its writes private", async () => {
    const w = await copyWorld();
    const { k, a, b } = w;
    const rd = k.vmRead(b, w.B + 10, 4);
    const req = (await w.next())!;
    expect([req.header.id, val(req, 1), val(req, 2), val(req, 3)]).toEqual([2203, 0, PAGE, 1]);
    await w.supply(w.control, 0, fill(7), 0);
    expect((await rd).data).toEqual(bytes(4, 7));
    // The write needs no pager call: the page is copied into b.
    expect(await k.vmWrite(b, w.B, new Uint8Array([1, 2, 3]))).toBe(KERN_SUCCESS);
    expect(await w.next()).toBeUndefined();
    expect((await k.vmRead(b, w.B, 4)).data).toEqual(new Uint8Array([1, 2, 3, 7]));
    // The shared mapping still sees the object's page, without asking the pager.
    expect((await k.vmRead(a, w.A, 4)).data).toEqual(bytes(4, 7));
    expect(await w.next()).toBeUndefined();
    // Returning everything gives the pager nothing: the object's page is clean, b's is private.
    await w.call(w.control, 2044, lockItems(0, 4 * PAGE, 2, true));
    expect(await w.next()).toBeUndefined();
    expect((await k.vmRead(b, w.B, 4)).data).toEqual(new Uint8Array([1, 2, 3, 7]));
    sound(k);
  });

  it('writes a write-locked page without data_unlock: the fault asks only for read access', async () => {
    const w = await copyWorld();
    const { k, b } = w;
    const wr = k.vmWrite(b, w.B + PAGE, new Uint8Array([9]));
    const req = (await w.next())!;
    expect([req.header.id, val(req, 1), val(req, 3)]).toEqual([2203, PAGE, 1]);
    await w.supply(w.control, PAGE, fill(4), 2 /* write locked */);
    expect(await wr).toBe(KERN_SUCCESS);
    expect(await w.next()).toBeUndefined();
    expect((await k.vmRead(b, w.B + PAGE, 2)).data).toEqual(new Uint8Array([9, 4]));
    sound(k);
  });

  it("is a snapshot: other mappings' later writes never reach it", async () => {
    const w = await copyWorld();
    const { k, a, b } = w;
    // Page 2: read by b, then written by a.
    const rd = k.vmRead(b, w.B + 2 * PAGE, 1);
    await w.next();
    await w.supply(w.control, 2 * PAGE, fill(5), 0);
    expect((await rd).data).toEqual(bytes(1, 5));
    expect(await k.vmWrite(a, w.A + 2 * PAGE, new Uint8Array([50]))).toBe(KERN_SUCCESS);
    expect((await k.vmRead(b, w.B + 2 * PAGE, 1)).data).toEqual(bytes(1, 5));
    // Page 3: never touched by b; a's write pushes the old contents to b first.
    const wa = k.vmWrite(a, w.A + 3 * PAGE, new Uint8Array([60]));
    const req = (await w.next())!;
    expect([req.header.id, val(req, 3)]).toEqual([2203, 3]);
    await w.supply(w.control, 3 * PAGE, fill(6), 0);
    expect(await wa).toBe(KERN_SUCCESS);
    expect((await k.vmRead(b, w.B + 3 * PAGE, 2)).data).toEqual(bytes(2, 6));
    expect((await k.vmRead(a, w.A + 3 * PAGE, 2)).data).toEqual(new Uint8Array([60, 6]));
    // Only a's writes go back to the pager.
    await w.call(w.control, 2044, lockItems(0, 4 * PAGE, 1, true));
    const rets: number[] = [];
    for (let m = await w.next(); m !== undefined; m = await w.next()) {
      expect(m.header.id).toBe(2208);
      rets.push(val(m, 1));
    }
    expect(rets).toEqual([2 * PAGE, 3 * PAGE]);
    sound(k);
  });

  it('releases private pages on deallocation and never returns them to the pager', async () => {
    const w = await copyWorld();
    const { k, a, b } = w;
    for (const i of [0, 1]) {
      const wr = k.vmWrite(b, w.B + i * PAGE, new Uint8Array([i + 20]));
      await w.next();
      await w.supply(w.control, i * PAGE, fill(i), 0);
      expect(await wr).toBe(KERN_SUCCESS);
    }
    const region = k.core.tasks.get(b)!.vm.regionAt(w.B)!;
    const store = region.mapping!.copy!;
    expect([...store.pages.keys()].sort()).toEqual([0, 1]);
    // Half of the mapping goes: its private page goes with it, the other half keeps its own.
    expect(await k.vmDeallocate(b, w.B, PAGE)).toBe(KERN_SUCCESS);
    expect([...store.pages.keys()]).toEqual([1]);
    sound(k);
    expect((await k.vmRead(b, w.B + PAGE, 1)).data).toEqual(new Uint8Array([21]));
    expect(await k.vmDeallocate(b, w.B + PAGE, 3 * PAGE)).toBe(KERN_SUCCESS);
    expect(store.pages.size).toBe(0);
    expect(store.ranges).toEqual([]);
    expect(await w.next()).toBeUndefined();
    sound(k);
    // The last (shared, clean) mapping goes: terminate alone, no data_return.
    expect(await k.vmDeallocate(a, w.A, 4 * PAGE)).toBe(KERN_SUCCESS);
    expect((await w.next())!.header.id).toBe(2201);
    expect(await w.next()).toBeUndefined();
    sound(k);
  });

  it('keeps the object alive while a copy maps it, and terminates it with the copy task', async () => {
    const w = await copyWorld();
    const { k, a, b } = w;
    expect(await k.vmDeallocate(a, w.A, 4 * PAGE)).toBe(KERN_SUCCESS);
    expect(await w.next()).toBeUndefined();
    const rd = k.vmRead(b, w.B, 1);
    await w.next();
    await w.supply(w.control, 0, fill(3), 0);
    expect((await rd).data).toEqual(bytes(1, 3));
    await k.vmWrite(b, w.B, new Uint8Array([4]));
    expect(await k.taskTerminate(b)).toBe(KERN_SUCCESS);
    expect((await w.next())!.header.id).toBe(2201);
    expect(await w.next()).toBeUndefined();
    sound(k);
  });
});

describe('vm_map copy=TRUE, MEMORY_OBJECT_COPY_NONE', () => {
  it('copies every page at map time with read faults; the task gets private memory', async () => {
    const w = await pagerWorld();
    const { k, a, b } = w;
    const A = await w.mapReady(a, w.moA, 2 * PAGE, { copyStrategy: MEMORY_OBJECT_COPY_NONE });
    const m = k.vmMap(b, { memoryObject: w.moB, offset: 0, size: 2 * PAGE, copy: true });
    let settled = false;
    void m.then(() => (settled = true));
    for (const i of [0, 1]) {
      const req = (await w.next())!;
      expect([req.header.id, val(req, 1), val(req, 2), val(req, 3)]).toEqual([2203, i * PAGE, PAGE, 1]);
      expect(settled).toBe(false);
      await w.supply(A.control, i * PAGE, fill(i + 1), 0);
    }
    const r = await m;
    expect(r.kr).toBe(KERN_SUCCESS);
    // The copy is b's own memory: a's write does not reach it, b's write does not leave it.
    expect(await k.vmWrite(a, A.address, new Uint8Array([99]))).toBe(KERN_SUCCESS);
    expect(await k.vmWrite(b, r.address + PAGE, new Uint8Array([77]))).toBe(KERN_SUCCESS);
    expect((await k.vmRead(b, r.address, 1)).data).toEqual(bytes(1, 1));
    expect((await k.vmRead(b, r.address + PAGE, 2)).data).toEqual(new Uint8Array([77, 2]));
    expect((await k.vmRead(a, A.address + PAGE, 1)).data).toEqual(bytes(1, 2));
    expect(await w.next()).toBeUndefined();
    expect(await k.vmDeallocate(b, r.address, 2 * PAGE)).toBe(KERN_SUCCESS);
    expect(await w.next()).toBeUndefined();
    sound(k);
  });

  it('fails the map with the fault error on data_error, and terminates an object nobody maps', async () => {
    const w = await pagerWorld();
    const { k, b } = w;
    const m = k.vmMap(b, { memoryObject: w.moB, offset: 0, size: 2 * PAGE, copy: true });
    const init = (await w.next())!;
    const control = portName(init, 0);
    await w.call(control, 2094, [int(0, 0), int(MEMORY_OBJECT_COPY_NONE)]);
    expect((await w.next())!.header.id).toBe(2203);
    await w.supply(control, 0, fill(1), 0);
    const req = (await w.next())!;
    expect([req.header.id, val(req, 1)]).toEqual([2203, PAGE]);
    await w.call(control, 2090, [word('x86_64', PAGE), word('x86_64', PAGE), int(KERN_MEMORY_ERROR)]);
    expect((await m).kr).toBe(KERN_MEMORY_ERROR);
    expect((await w.next())!.header.id).toBe(2201);
    expect(k.core.tasks.get(b)!.vm.regions).toEqual([]);
    sound(k);
  });
});
