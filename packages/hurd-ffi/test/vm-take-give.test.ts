/**
 * vmReadDeallocate (vm_read + vm_deallocate of a range given up) and
 * vmAllocateWrite (vm_allocate + vm_write of bytes given up), on the backend
 * HURD_FFI_BACKEND names ('sim' by default, 'gnumach' for the real kernel
 * under QEMU), both ABIs. The simulated kernel hands the pages over instead
 * of copying them; what every task sees must stay Mach's copy semantics:
 * a range taken is gone, a range given is the task's own, a send with
 * `deallocate` moves the pages out of the sender, a send without it leaves
 * them, and no later write by anyone shows through in another task.
 *
 *   HURD_FFI_BACKEND=gnumach pnpm exec vitest run test/vm-take-give.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  KERN_INVALID_ADDRESS,
  KERN_INVALID_ARGUMENT,
  KERN_INVALID_TASK,
  KERN_MEMORY_ERROR,
  KERN_SUCCESS,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  type Abi,
  type MsgItem,
} from 'mach-msg';
import { checkInvariants, GnumachKernel, openKernel, SimKernel, VirtualClock, type MachKernel, type TaskId } from '../src/index.js';
import { fill, int, PAGE, pagerWorld, portName, word } from './pager-world.js';

const BACKEND = (process.env['HURD_FFI_BACKEND'] ?? 'sim') as 'sim' | 'gnumach';
const ABIS: Abi[] = ['i386', 'x86_64'];

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 12)) & 0xff;
  return b;
}

/**
 * Sim only: byte ranges of one buffer held by two places at once: two pages
 * (of any tasks), or a page and one of `held` (bytes a caller took). Mach's
 * tasks never share anonymous memory, so this must always be empty.
 */
function sharing(k: MachKernel, held: Uint8Array[] = []): string[] {
  if (!(k instanceof SimKernel)) return [];
  const spans: { buf: ArrayBufferLike; from: number; to: number; who: string }[] = [];
  for (const t of k.core.tasks.values()) {
    for (const [pg, page] of t.vm.pages) spans.push({ buf: page.buffer, from: page.byteOffset, to: page.byteOffset + page.length, who: `task ${t.id} page ${pg}` });
  }
  held.forEach((h, i) => spans.push({ buf: h.buffer, from: h.byteOffset, to: h.byteOffset + h.length, who: `held ${i}` }));
  const bad: string[] = [];
  const byBuf = new Map<ArrayBufferLike, typeof spans>();
  for (const s of spans) byBuf.set(s.buf, [...(byBuf.get(s.buf) ?? []), s]);
  for (const list of byBuf.values()) {
    list.sort((x, y) => x.from - y.from);
    for (let i = 1; i < list.length; i++) if (list[i]!.from < list[i - 1]!.to) bad.push(`${list[i - 1]!.who} and ${list[i]!.who}`);
  }
  return bad;
}

function sound(k: MachKernel, held: Uint8Array[] = []): void {
  expect(sharing(k, held)).toEqual([]);
  if (k instanceof SimKernel) expect(checkInvariants(k)).toEqual([]);
}

for (const abi of ABIS) {
  describe(`vmReadDeallocate and vmAllocateWrite on ${BACKEND} (${abi})`, () => {
    let k: MachKernel;
    const tasks: TaskId[] = [];
    beforeAll(async () => {
      k = openKernel({ backend: BACKEND, abi, clock: new VirtualClock(), qemu: { bootTimeoutMs: 240_000 } });
      if (k instanceof GnumachKernel) await k.ready();
    }, 300_000);
    afterAll(async () => {
      for (const t of tasks) await k.taskTerminate(t);
      await k.close();
    });
    const task = async (): Promise<TaskId> => {
      const t = await k.taskCreate();
      tasks.push(t);
      return t;
    };

    /** Task b's receive right and a send right to it in task a; send one OOL item from a, receive it in b. */
    async function link(a: TaskId, b: TaskId) {
      const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
      const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
      const send = async (at: number, n: number, deallocate: boolean): Promise<number> => {
        const ool: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: n, inline: false, longform: true, deallocate }, address: BigInt(at) };
        const bytes = encodeMessage({ header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: to, localPort: 0, seqno: 0, id: 7 }, items: [ool] }, abi);
        return (await k.msg(a, { options: 1, send: bytes })).kr;
      };
      const received = async (): Promise<number> => {
        const r = await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: srv, rcvSize: 1024, timeout: 1000 });
        expect(r.kr).toBe(KERN_SUCCESS);
        const it = decodeMessage(r.message!, abi).items[0]!;
        if (it.kind !== 'ool') throw new Error('expected out-of-line data');
        return Number(it.address);
      };
      return { send, received };
    }

    it('vmAllocateWrite: the bytes at a fresh page-aligned range, zeros after them to the page end', { timeout: 180_000 }, async () => {
      const a = await task();
      const data = pattern(3 * PAGE + 123, 1);
      const want = data.slice();
      const r = await k.vmAllocateWrite(a, data);
      expect(r.kr).toBe(KERN_SUCCESS);
      expect(r.address % PAGE).toBe(0);
      expect(r.address).not.toBe(0);
      const got = await k.vmRead(a, r.address, 4 * PAGE);
      expect(got.data!.subarray(0, want.length)).toEqual(want);
      expect(got.data!.subarray(want.length)).toEqual(new Uint8Array(4 * PAGE - want.length));
      // Exactly the rounded size is allocated: the next page is not the task's.
      expect((await k.vmRead(a, r.address + 4 * PAGE, 1)).kr).toBe(KERN_INVALID_ADDRESS);
      // A second range does not overlap the first.
      const r2 = await k.vmAllocateWrite(a, pattern(PAGE, 2));
      expect(r2.kr).toBe(KERN_SUCCESS);
      expect(r2.address >= r.address + 4 * PAGE || r2.address + PAGE <= r.address).toBe(true);
      expect((await k.vmRead(a, r.address, want.length)).data).toEqual(want);
      expect(await k.vmDeallocate(a, r.address, want.length)).toBe(KERN_SUCCESS);
      expect(await k.vmDeallocate(a, r2.address, PAGE)).toBe(KERN_SUCCESS);
      sound(k);
    });

    it('vmAllocateWrite of nothing is address 0; a bad task or argument is refused', async () => {
      const a = await task();
      expect(await k.vmAllocateWrite(a, new Uint8Array(0))).toEqual({ kr: KERN_SUCCESS, address: 0 });
      if (k instanceof SimKernel) {
        expect((await k.vmAllocateWrite(a, 'x' as unknown as Uint8Array)).kr).toBe(KERN_INVALID_ARGUMENT);
        expect((await k.vmAllocateWrite(9999, pattern(10, 1))).kr).toBe(KERN_INVALID_TASK);
        expect((await k.vmReadDeallocate(9999, 0x1000, 10)).kr).toBe(KERN_INVALID_TASK);
        expect((await k.vmReadDeallocate(a, -1, 10)).kr).toBe(KERN_INVALID_ARGUMENT);
      }
    });

    it('vmReadDeallocate: the bytes, then the pages they span are gone; neighbours stay', { timeout: 180_000 }, async () => {
      const a = await task();
      const region = (await k.vmAllocate(a, 0, 8 * PAGE, true)).address;
      const all = pattern(8 * PAGE, 3);
      expect(await k.vmWrite(a, region, all)).toBe(KERN_SUCCESS);
      // Bytes 100 into page 2 to 50 into page 5: pages 2..5 go.
      const from = region + 2 * PAGE + 100;
      const n = 3 * PAGE - 50;
      const got = await k.vmReadDeallocate(a, from, n);
      expect(got.kr).toBe(KERN_SUCCESS);
      expect(got.data).toEqual(all.subarray(2 * PAGE + 100, 2 * PAGE + 100 + n));
      for (const p of [2, 3, 4, 5]) expect((await k.vmRead(a, region + p * PAGE, 1)).kr).toBe(KERN_INVALID_ADDRESS);
      expect((await k.vmRead(a, region, 2 * PAGE)).data).toEqual(all.subarray(0, 2 * PAGE));
      expect((await k.vmRead(a, region + 6 * PAGE, 2 * PAGE)).data).toEqual(all.subarray(6 * PAGE));
      sound(k, [got.data!]);
      // The taken bytes are the caller's: changing them changes no task's memory.
      got.data!.fill(0xee);
      expect((await k.vmRead(a, region, 2 * PAGE)).data).toEqual(all.subarray(0, 2 * PAGE));
      expect((await k.vmRead(a, region + 6 * PAGE, 2 * PAGE)).data).toEqual(all.subarray(6 * PAGE));
      // The freed range allocated again is zero filled, not the bytes taken.
      const again = await k.vmAllocate(a, region + 2 * PAGE, 4 * PAGE, false);
      expect(again).toEqual({ kr: KERN_SUCCESS, address: region + 2 * PAGE });
      expect((await k.vmRead(a, region + 2 * PAGE, 4 * PAGE)).data).toEqual(new Uint8Array(4 * PAGE));
      expect(await k.vmWrite(a, region + 2 * PAGE, new Uint8Array(4 * PAGE).fill(0x11))).toBe(KERN_SUCCESS);
      expect(got.data).toEqual(new Uint8Array(n).fill(0xee));
      expect(await k.vmDeallocate(a, region, 8 * PAGE)).toBe(KERN_SUCCESS);
      sound(k, [got.data!]);
    });

    it('vmReadDeallocate of a range not wholly mapped fails and deallocates nothing', { timeout: 180_000 }, async () => {
      const a = await task();
      const region = (await k.vmAllocate(a, 0, 2 * PAGE, true)).address;
      const all = pattern(2 * PAGE, 4);
      expect(await k.vmWrite(a, region, all)).toBe(KERN_SUCCESS);
      expect(await k.vmDeallocate(a, region + PAGE, PAGE)).toBe(KERN_SUCCESS);
      const r = await k.vmReadDeallocate(a, region, 2 * PAGE);
      expect(r.kr).not.toBe(KERN_SUCCESS);
      expect(r.data).toBeNull();
      expect((await k.vmRead(a, region, PAGE)).data).toEqual(all.subarray(0, PAGE));
      expect(await k.vmReadDeallocate(a, region, 0)).toEqual({ kr: KERN_SUCCESS, data: new Uint8Array(0) });
      expect((await k.vmRead(a, region, PAGE)).data).toEqual(all.subarray(0, PAGE));
      expect(await k.vmDeallocate(a, region, PAGE)).toBe(KERN_SUCCESS);
      sound(k);
    });

    it('given pages sent with deallocate move: the receiver has the bytes, the sender\'s range is gone, reusing it shares nothing', { timeout: 180_000 }, async () => {
      const a = await task();
      const b = await task();
      const { send, received } = await link(a, b);
      const data = pattern(8 * PAGE, 5);
      const want = data.slice();
      const at = (await k.vmAllocateWrite(a, data)).address;
      expect(await send(at, want.length, true)).toBe(KERN_SUCCESS);
      const got = await received();
      expect((await k.vmRead(b, got, want.length)).data).toEqual(want);
      expect((await k.vmRead(a, at, 1)).kr).toBe(KERN_INVALID_ADDRESS);
      // The sender's old range, allocated again, is fresh zeros; writes on either side stay there.
      expect(await k.vmAllocate(a, at, want.length, false)).toEqual({ kr: KERN_SUCCESS, address: at });
      expect((await k.vmRead(a, at, want.length)).data).toEqual(new Uint8Array(want.length));
      expect(await k.vmWrite(a, at, new Uint8Array(want.length).fill(0xaa))).toBe(KERN_SUCCESS);
      expect((await k.vmRead(b, got, want.length)).data).toEqual(want);
      expect(await k.vmWrite(b, got + PAGE, new Uint8Array(PAGE).fill(0xbb))).toBe(KERN_SUCCESS);
      expect((await k.vmRead(a, at, want.length)).data).toEqual(new Uint8Array(want.length).fill(0xaa));
      sound(k);
      // The receiver takes them out in turn.
      const taken = await k.vmReadDeallocate(b, got, want.length);
      const expected = want.slice();
      expected.fill(0xbb, PAGE, 2 * PAGE);
      expect(taken.data).toEqual(expected);
      expect((await k.vmRead(b, got, 1)).kr).toBe(KERN_INVALID_ADDRESS);
      sound(k, [taken.data!]);
      expect(await k.vmDeallocate(a, at, want.length)).toBe(KERN_SUCCESS);
    });

    it('given pages sent without deallocate are copied: both tasks keep their own bytes', { timeout: 180_000 }, async () => {
      const a = await task();
      const b = await task();
      const { send, received } = await link(a, b);
      const data = pattern(4 * PAGE + 7, 6);
      const want = data.slice();
      const at = (await k.vmAllocateWrite(a, data)).address;
      expect(await send(at, want.length, false)).toBe(KERN_SUCCESS);
      const got = await received();
      expect((await k.vmRead(b, got, want.length)).data).toEqual(want);
      expect((await k.vmRead(a, at, want.length)).data).toEqual(want);
      expect(await k.vmWrite(a, at, new Uint8Array(PAGE).fill(0xaa))).toBe(KERN_SUCCESS);
      expect(await k.vmWrite(b, got + 2 * PAGE, new Uint8Array(PAGE).fill(0xbb))).toBe(KERN_SUCCESS);
      const mineA = want.slice();
      mineA.fill(0xaa, 0, PAGE);
      const mineB = want.slice();
      mineB.fill(0xbb, 2 * PAGE, 3 * PAGE);
      expect((await k.vmRead(a, at, want.length)).data).toEqual(mineA);
      expect((await k.vmRead(b, got, want.length)).data).toEqual(mineB);
      sound(k);
      const takenB = await k.vmReadDeallocate(b, got, want.length);
      const takenA = await k.vmReadDeallocate(a, at, want.length);
      expect(takenB.data).toEqual(mineB);
      expect(takenA.data).toEqual(mineA);
      sound(k, [takenA.data!, takenB.data!]);
    });
  });
}

describe('no copies in the simulated kernel', () => {
  it('bytes given, sent with deallocate, received and taken are the same bytes all along', async () => {
    const k = openKernel({ backend: 'sim', abi: 'x86_64', clock: new VirtualClock() });
    const a = await k.taskCreate();
    const b = await k.taskCreate();
    const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
    const data = pattern(256 * PAGE, 7);
    const want = data.slice();
    const at = (await k.vmAllocateWrite(a, data)).address;
    const ool: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: data.length, inline: false, longform: true, deallocate: true }, address: BigInt(at) };
    const bytes = encodeMessage({ header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: to, localPort: 0, seqno: 0, id: 7 }, items: [ool] }, 'x86_64');
    expect((await k.msg(a, { options: 1, send: bytes })).kr).toBe(KERN_SUCCESS);
    const r = await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: srv, timeout: 0 });
    const it = decodeMessage(r.message!, 'x86_64').items[0]!;
    if (it.kind !== 'ool') throw new Error('expected out-of-line data');
    const taken = await k.vmReadDeallocate(b, Number(it.address), data.length);
    expect(taken.data!.buffer).toBe(data.buffer);
    expect(taken.data!.byteOffset).toBe(data.byteOffset);
    expect(Buffer.from(taken.data!).equals(want)).toBe(true);
    sound(k, [taken.data!]);
    await k.close();
  });
});

describe('vmReadDeallocate of object-backed memory (sim)', () => {
  it('reads through the pager, then the mapping goes: its object is terminated', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    const { address, control } = await w.mapReady(a, w.moA, 2 * PAGE);
    const rd = k.vmReadDeallocate(a, address + PAGE - 2, 4);
    const req1 = (await w.next())!;
    expect(req1.header.id).toBe(2203);
    await w.supply(control, 0, fill(1), 0);
    const req2 = (await w.next())!;
    expect(req2.header.id).toBe(2203);
    await w.supply(control, PAGE, fill(2), 0);
    const r = await rd;
    expect(r).toEqual({ kr: KERN_SUCCESS, data: new Uint8Array([1, 1, 2, 2]) });
    // Both pages were deallocated: the last mapping of the object went, so memory_object_terminate.
    expect((await k.vmRead(a, address, 1)).kr).toBe(KERN_INVALID_ADDRESS);
    const term = (await w.next())!;
    expect(term.header.id).toBe(2201);
    expect(portName(term, 0)).toBe(control);
    sound(k);
  });

  it('a failed fault (data_error) fails it and leaves the mapping', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    const { address, control } = await w.mapReady(a, w.moA, PAGE);
    const rd = k.vmReadDeallocate(a, address, 8);
    expect((await w.next())!.header.id).toBe(2203);
    await w.call(control, 2090, [word('x86_64', 0), word('x86_64', PAGE), int(KERN_MEMORY_ERROR)]);
    const r = await rd;
    expect(r).toEqual({ kr: KERN_MEMORY_ERROR, data: null });
    const again = k.vmRead(a, address, 1);
    expect((await w.next())!.header.id).toBe(2203);
    await w.supply(control, 0, fill(9), 0);
    expect((await again).data).toEqual(new Uint8Array([9]));
    sound(k);
  });
});
