/**
 * External memory objects: a test pager (task `p`) serves a memory object
 * port that tasks `a` and `b` map. Every message is checked as the pager
 * receives it.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  KERN_INVALID_ARGUMENT,
  KERN_MEMORY_ERROR,
  KERN_MEMORY_FAILURE,
  KERN_SUCCESS,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_TYPE_RECEIVE,
  MACH_PORT_TYPE_SEND,
  MACH_RCV_TIMED_OUT,
  type Abi,
  type MachMessage,
  type MsgItem,
} from 'mach-msg';
import fc from 'fast-check';
import { checkInvariants } from '../src/index.js';
import { hex, poll, setup, sound } from './helpers.js';
import { memoryObjectInit } from '../src/vm-msgs.js';

import { fill, int, PAGE, pagerWorld, portName, td, val, word } from './pager-world.js';

describe('memory_object messages', () => {
  it('builds memory_object_init exactly as mach-abi.md §9 shows it', () => {
    const m = memoryObjectInit('x86_64', 0x60, 0x61, 0x62, 4096);
    expect(hex(encodeMessage(m, 'x86_64'))).toBe(
      '13000080500000006000000000000000000000000000000000000000980800001440002001000000610000000000000014400020010000006200000000000000' +
        '0b400020010000000010000000000000',
    );
  });
});

describe('vm_map of an external memory object', () => {
  it('sends init (control and name as send rights, page size) and returns without waiting for ready; the first fault waits for it', async () => {
    // GNU Mach: vm_map -> vm_object_enter sends memory_object_init and returns;
    // vm_fault_page makes no data_request before the object is pager_ready.
    const w = await pagerWorld();
    const { k, a } = w;
    const r = await k.vmMap(a, { memoryObject: w.moA, offset: 0, size: PAGE, anywhere: true });
    expect(r.kr).toBe(KERN_SUCCESS);
    expect(r.address % PAGE).toBe(0);
    const init = (await w.next())!;
    expect(init.header.id).toBe(2200);
    expect(init.header.bits).toEqual({ remote: 0, local: 17, complex: true, other: 0 });
    expect(init.items.map((i) => i.type.name)).toEqual([17, 17, 11]);
    expect(val(init, 2)).toBe(PAGE);
    const control = portName(init, 0);
    expect(control).not.toBe(portName(init, 1));
    const rd = k.vmRead(a, r.address + 5, 2);
    let settled = false;
    void rd.then(() => (settled = true));
    // No data_request before ready: the fault waits.
    expect(await w.next()).toBeUndefined();
    expect(settled).toBe(false);
    await w.call(control, 2094, [int(0, 0), int(0)]);
    const req = (await w.next())!;
    expect([req.header.id, val(req, 1), val(req, 2), val(req, 3)]).toEqual([2203, 0, PAGE, 1]);
    expect(settled).toBe(false);
    await w.supply(control, 0, fill(4), 0);
    expect((await rd).data).toEqual(new Uint8Array([4, 4]));
    sound(k);
  });

  it('before ready, a page the pager supplied is used at once, but its data_unlock waits for ready', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    const r = await k.vmMap(a, { memoryObject: w.moA, offset: 0, size: 2 * PAGE, anywhere: true });
    expect(r.kr).toBe(KERN_SUCCESS);
    const control = portName((await w.next())!, 0);
    // An unasked supply (read-only) before ready.
    await w.supply(control, PAGE, fill(6), 2);
    expect((await k.vmRead(a, r.address + PAGE, 1)).data).toEqual(new Uint8Array([6]));
    expect(await w.next()).toBeUndefined();
    const wr = k.vmWrite(a, r.address + PAGE, new Uint8Array([1]));
    let settled = false;
    void wr.then(() => (settled = true));
    expect(await w.next()).toBeUndefined();
    expect(settled).toBe(false);
    await w.call(control, 2094, [int(0, 0), int(0)]);
    const un = (await w.next())!;
    expect([un.header.id, val(un, 1), val(un, 2), val(un, 3)]).toEqual([2204, PAGE, PAGE, 3]);
    await w.call(control, 2044, [word('x86_64', PAGE), word('x86_64', PAGE), int(0), int(0, 0), int(0), { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [0] }]);
    expect(await wr).toBe(KERN_SUCCESS);
    expect((await k.vmRead(a, r.address + PAGE, 2)).data).toEqual(new Uint8Array([1, 6]));
    sound(k);
  });

  it('a copy map waits for ready (vm_object_copy_strategically needs the copy strategy)', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    const m = k.vmMap(a, { memoryObject: w.moA, offset: 0, size: PAGE, anywhere: true, copy: true });
    let settled = false;
    void m.then(() => (settled = true));
    const control = portName((await w.next())!, 0);
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(await w.next()).toBeUndefined();
    expect(settled).toBe(false);
    await w.call(control, 2094, [int(0, 0), int(2 /* MEMORY_OBJECT_COPY_DELAY */)]);
    const r = await m;
    expect(r.kr).toBe(KERN_SUCCESS);
    expect(await w.next()).toBeUndefined();
    sound(k);
  });

  it('a fault waiting for ready fails with KERN_MEMORY_FAILURE when the object is terminated first', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    const r = await k.vmMap(a, { memoryObject: w.moA, offset: 0, size: PAGE, anywhere: true });
    expect((await w.next())!.header.id).toBe(2200);
    const rd = k.vmRead(a, r.address, 1);
    expect(await w.next()).toBeUndefined();
    expect(await k.vmDeallocate(a, r.address, PAGE)).toBe(KERN_SUCCESS);
    expect((await rd).kr).toBe(KERN_MEMORY_FAILURE);
    expect((await w.next())!.header.id).toBe(2201);
    sound(k);
  });

  it('faults a page in with data_request and data_supply; writes ask data_unlock on a read-only page', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const rd = k.vmRead(a, address + PAGE + 10, 4);
    const req = (await w.next())!;
    expect(req.header.id).toBe(2203);
    expect(portName(req, 0)).toBe(control);
    expect([val(req, 1), val(req, 2), val(req, 3)]).toEqual([PAGE, PAGE, 1]);
    await w.supply(control, PAGE, fill(7), 2 /* VM_PROT_WRITE locked: read-only */);
    expect((await rd).data).toEqual(new Uint8Array([7, 7, 7, 7]));
    const wr = k.vmWrite(a, address + PAGE, new Uint8Array([1, 2]));
    const un = (await w.next())!;
    expect(un.header.id).toBe(2204);
    expect([val(un, 1), val(un, 2), val(un, 3)]).toEqual([PAGE, PAGE, 3]);
    // Grant write: lock_request(RETURN_NONE, no flush, lock VM_PROT_NONE), no reply.
    await w.call(control, 2044, [word('x86_64', PAGE), word('x86_64', PAGE), int(0), int(0, 0), int(0), { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [0] }]);
    expect(await wr).toBe(KERN_SUCCESS);
    expect((await k.vmRead(a, address + PAGE, 3)).data).toEqual(new Uint8Array([1, 2, 7]));
    sound(k);
  });

  it('zero-fills on data_unavailable and fails the access on data_error', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const r0 = k.vmRead(a, address, 8);
    expect((await w.next())!.header.id).toBe(2203);
    await w.call(control, 2039, [word('x86_64', 0), word('x86_64', PAGE)]);
    expect((await r0).data).toEqual(new Uint8Array(8));
    const r1 = k.vmRead(a, address + 2 * PAGE, 8);
    expect((await w.next())!.header.id).toBe(2203);
    await w.call(control, 2090, [word('x86_64', 2 * PAGE), word('x86_64', PAGE), int(KERN_MEMORY_ERROR)]);
    expect((await r1).kr).toBe(KERN_MEMORY_ERROR);
    // The page went back to absent: the next access asks again.
    const r2 = k.vmRead(a, address + 2 * PAGE, 1);
    expect((await w.next())!.header.id).toBe(2203);
    await w.supply(control, 2 * PAGE, fill(9), 0);
    expect((await r2).data).toEqual(new Uint8Array([9]));
    sound(k);
  });

  it("two tasks mapping one object see each other's writes once the pager grants them", async () => {
    const w = await pagerWorld();
    const { k, a, b, abi } = w;
    const A = await w.mapReady(a, w.moA);
    // The second map of the same object sends no second init.
    const B = await w.mapReady(b, w.moB);
    expect(B.control).toBe(0);
    const control = A.control;
    const wr = k.vmWrite(a, A.address, new TextEncoder().encode('hello'));
    const req = (await w.next())!;
    expect([req.header.id, val(req, 3)]).toEqual([2203, 3]);
    await w.supply(control, 0, fill(0), 0);
    expect(await wr).toBe(KERN_SUCCESS);
    expect(new TextDecoder().decode((await k.vmRead(b, B.address, 5)).data!)).toBe('hello');
    // The pager flushes with RETURN_DIRTY and asks for lock_completed.
    const reply = (await k.portAllocate(w.p, MACH_PORT_RIGHT_RECEIVE)).name;
    await w.call(control, 2044, [
      word(abi, 0),
      word(abi, PAGE),
      int(1),
      int(1, 0),
      int(8),
      { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [reply] },
    ]);
    const ret = (await w.next())!;
    expect(ret.header.id).toBe(2208);
    expect(val(ret, 1)).toBe(0);
    const ool = ret.items[2]!;
    if (ool.kind !== 'ool') throw new Error('data_return carries its page out of line');
    expect(ool.type.deallocate).toBe(true);
    expect(new TextDecoder().decode((await k.vmRead(w.p, Number(ool.address), 5)).data!)).toBe('hello');
    expect(val(ret, 3)).toBe(1);
    const done = (await poll(k, w.p, reply, abi)).msg!;
    expect(done.header.id).toBe(2206);
    expect([val(done, 1), val(done, 2)]).toEqual([0, PAGE]);
    // Flushed: b's next read faults the page in again.
    const rb = k.vmRead(b, B.address, 5);
    expect((await w.next())!.header.id).toBe(2203);
    await w.supply(control, 0, new TextEncoder().encode('world'.padEnd(PAGE, '\0')), 0);
    expect(new TextDecoder().decode((await rb).data!)).toBe('world');
    sound(k);
  });

  it('evicts under the resident-page limit, returning dirty pages and dropping clean ones', async () => {
    const w = await pagerWorld(2);
    const { k, a } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    for (let i = 0; i < 3; i++) {
      const wr = i === 0 ? k.vmWrite(a, address, new Uint8Array([42])) : k.vmRead(a, address + i * PAGE, 1);
      expect((await w.next())!.header.id).toBe(2203);
      await w.supply(control, i * PAGE, fill(i), 0);
      await wr;
    }
    // Page 0 (dirty, oldest) went back with data_return; clean page 1 stays.
    const ret = (await w.next())!;
    expect([ret.header.id, val(ret, 1), val(ret, 3)]).toEqual([2208, 0, 1]);
    expect((await w.next())).toBeUndefined();
    sound(k);
  });

  it('precious pages come back even when clean: RETURN_ALL and eviction; RETURN_DIRTY skips them', async () => {
    const w = await pagerWorld(1);
    const { k, a, abi } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const r0 = k.vmRead(a, address, 1);
    await w.next();
    await w.supply(control, 0, fill(3), 0, true);
    expect((await r0).data).toEqual(new Uint8Array([3]));
    const lock = (ret: number) =>
      w.call(control, 2044, [word(abi, 0), word(abi, PAGE), int(ret), int(0, 0), int(8), { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [0] }]);
    await lock(1);
    expect(await w.next()).toBeUndefined();
    await lock(2);
    const ret = (await w.next())!;
    expect([ret.header.id, val(ret, 1), val(ret, 3)]).toEqual([2208, 0, 0]);
    // A second resident page pushes the precious one out: returned again, clean.
    const r1 = k.vmRead(a, address + PAGE, 1);
    await w.next();
    await w.supply(control, PAGE, fill(4), 0);
    await r1;
    const ev = (await w.next())!;
    expect([ev.header.id, val(ev, 1), val(ev, 3)]).toEqual([2208, 0, 0]);
    sound(k);
  });

  it('returns dirty pages and sends terminate (receive rights of control and name) when the last mapping goes', async () => {
    const w = await pagerWorld();
    const { k, a, abi } = w;
    const { address, control } = await w.mapReady(a, w.moA, PAGE);
    const wr = k.vmWrite(a, address, new Uint8Array([5]));
    await w.next();
    await w.supply(control, 0, fill(1), 0, true);
    await wr;
    expect(await k.vmDeallocate(a, address, PAGE)).toBe(KERN_SUCCESS);
    const ret = (await w.next())!;
    expect(ret.header.id).toBe(2208);
    const term = (await w.next())!;
    expect(term.header.id).toBe(2201);
    expect(term.header.bits).toEqual({ remote: 0, local: 17, complex: true, other: 0 });
    expect(term.items.map((i) => i.type.name)).toEqual([16, 16]);
    // The pager already held send rights to the control port (init, data_request): the receive right joins them.
    expect((await k.portType(w.p, portName(term, 0))).type).toBe(MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    expect((await k.vmRead(a, address, 1)).kr).not.toBe(KERN_SUCCESS);
    expect((await poll(k, w.p, w.mo, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    sound(k);
  });

  it('sends out-of-line data from resident mapped pages', async () => {
    const w = await pagerWorld();
    const { k, a, b, abi } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
    const ool = (at: number): MsgItem => ({ kind: 'ool', type: { name: 9, size: 8, number: 16, inline: false, longform: true, deallocate: false }, address: BigInt(at) });
    const sendOol = (at: number) =>
      k.msg(a, {
        options: 1,
        send: encodeMessage({ header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex: true, other: 0 }, remotePort: to, localPort: 0, seqno: 0, id: 5 }, items: [ool(at)] }, abi),
      });
    const r = k.vmRead(a, address, 1);
    await w.next();
    await w.supply(control, 0, fill(6), 0);
    await r;
    expect((await sendOol(address + 8)).kr).toBe(KERN_SUCCESS);
    const got = (await poll(k, b, srv, abi)).msg!.items[0]!;
    if (got.kind !== 'ool') throw new Error('expected out-of-line data');
    expect(Number(got.address) % PAGE).toBe(8);
    expect((await k.vmRead(b, Number(got.address), 16)).data).toEqual(new Uint8Array(16).fill(6));
    sound(k);
  });

  it('answers supply_completed and change_completed on the reply ports the pager names', async () => {
    const w = await pagerWorld();
    const { k, a, abi } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const reply = (await k.portAllocate(w.p, MACH_PORT_RIGHT_RECEIVE)).name;
    const r = k.vmRead(a, address, 1);
    await w.next();
    const { address: buf } = await k.vmAllocate(w.p, 0, PAGE, true);
    await w.call(control, 2093, [
      word(abi, 0),
      { kind: 'ool', type: { name: 9, size: 8, number: PAGE, inline: false, longform: true, deallocate: true }, address: BigInt(buf) },
      int(0),
      int(0, 0),
      { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [reply] },
    ]);
    await r;
    const sc = (await poll(k, w.p, reply, abi)).msg!;
    expect(sc.header.id).toBe(2207);
    expect([val(sc, 1), val(sc, 2), val(sc, 3), val(sc, 4)]).toEqual([0, PAGE, KERN_SUCCESS, 0]);
    await w.call(control, 2095, [int(1, 0), int(2), { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [reply] }]);
    const cc = (await poll(k, w.p, reply, abi)).msg!;
    expect(cc.header.id).toBe(2209);
    expect(cc.header.bits).toEqual({ remote: 0, local: 18, complex: false, other: 0 });
    expect([val(cc, 0), val(cc, 1)]).toEqual([1, 2]);
    sound(k);
  });

  it('refuses bad arguments', async () => {
    const w = await pagerWorld();
    const { k, a } = w;
    expect((await k.vmMap(a, { memoryObject: 999, offset: 0, size: PAGE })).kr).toBe(KERN_INVALID_ARGUMENT);
    expect((await k.vmMap(a, { memoryObject: w.moA, offset: 1, size: PAGE })).kr).toBe(KERN_INVALID_ARGUMENT);
    expect((await k.vmMap(a, { memoryObject: w.moA, offset: 1, size: PAGE, copy: true })).kr).toBe(KERN_INVALID_ARGUMENT);
    sound(k);
  });

  it('survives arbitrary pager calls on the control port (huge ranges included)', async () => {
    const w = await pagerWorld(3);
    const { k, a } = w;
    const { address, control } = await w.mapReady(a, w.moA);
    const pending = [k.vmRead(a, address, 4), k.vmWrite(a, address + PAGE, new Uint8Array([1]))];
    const callArb = fc.record({
      id: fc.constantFrom(2039, 2044, 2090, 2093, 2094, 2095, 2092, 1234),
      nums: fc.array(fc.oneof(fc.nat(), fc.constantFrom(0, PAGE, 2 ** 52, 2 ** 53 - 1)), { maxLength: 5 }),
      data: fc.option(fc.nat({ max: 3 * PAGE }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(callArb, async (c) => {
        const items: MsgItem[] = c.nums.map((n) => word('x86_64', n));
        if (c.data !== undefined) {
          const { address: at } = await k.vmAllocate(w.p, 0, Math.max(c.data, 1), true);
          items.splice(1, 0, { kind: 'ool', type: { name: 9, size: 8, number: c.data, inline: false, longform: true, deallocate: true }, address: BigInt(at) });
        }
        await w.call(control, c.id, items);
        for (let m = await w.next(); m !== undefined; m = await w.next()) {
          // Drain whatever the kernel asked for.
        }
        expect(checkInvariants(k)).toEqual([]);
      }),
      { seed: 2093, numRuns: 200 },
    );
    // Settle the outstanding faults and leave.
    await w.call(control, 2039, [word('x86_64', 0), word('x86_64', 2 * PAGE)]);
    for (const p of pending) await p;
    sound(k);
  });
});
