/**
 * vm_map of an external memory object served by a TypeScript pager, on the
 * backend HURD_FFI_BACKEND names ('sim' by default, 'gnumach' for the real
 * kernel under QEMU), both ABIs. The pager's side is the same code on both:
 * on gnumach it is served through watch() (the kernel's memory_object
 * messages reach Node while the mapping task's call waits on its fault
 * thread), on sim by polling. Each step's messages, as the pager sees them,
 * are logged backend-neutrally (names as "is the control port", no
 * addresses) and must equal one expected sequence: the same on both
 * backends, except where GNU Mach's own paths differ (stated at the step).
 *
 *   HURD_FFI_BACKEND=gnumach pnpm exec vitest run test/vm-map-backends.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  KERN_MEMORY_ERROR,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  MACH_SEND_INVALID_RIGHT,
  type Abi,
  type MachMessage,
  type MsgItem,
} from 'mach-msg';
import { GnumachKernel, openKernel, VirtualClock, type MachKernel, type TaskId } from '../src/index.js';
import { inbox } from './pager-inbox.js';

const BACKEND = (process.env['HURD_FFI_BACKEND'] ?? 'sim') as 'sim' | 'gnumach';
const PAGE = 4096;

const td = (name: number, size: number) => ({ name, size, number: 1, inline: true, longform: false, deallocate: false });
function word(abi: Abi, v: number): MsgItem {
  const data = new Uint8Array(abi === 'x86_64' ? 8 : 4);
  const dv = new DataView(data.buffer);
  if (abi === 'x86_64') dv.setBigUint64(0, BigInt(v), true);
  else dv.setUint32(0, v, true);
  return { kind: 'data', type: td(abi === 'x86_64' ? 11 : 2, abi === 'x86_64' ? 64 : 32), data };
}
function int(v: number, name = 2): MsgItem {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, v, true);
  return { kind: 'data', type: td(name, 32), data };
}
function val(m: MachMessage, i: number): number {
  const it = m.items[i];
  if (it?.kind !== 'data') throw new Error(`item ${i} of message ${m.header.id} is not data`);
  const dv = new DataView(it.data.buffer, it.data.byteOffset, it.data.byteLength);
  return it.data.length === 8 ? Number(dv.getBigUint64(0, true)) : dv.getUint32(0, true);
}
function portOf(m: MachMessage, i: number): number {
  const it = m.items[i];
  if (it?.kind !== 'ports') throw new Error(`item ${i} of message ${m.header.id} is not a port`);
  return it.names[0]!;
}

/** A pager task `p` serving object `mo` (its inbox `box`), and a task `a` holding a send right `send` to it. */
async function pagerAndMapper(k: MachKernel, abi: Abi) {
  const p = await k.taskCreate();
  const a = await k.taskCreate();
  const mo = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const send = (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const box = inbox(k, p, abi);
  await box.serve(mo);
  return { p, a, mo, send, box };
}

/** A pager in task p for an object that task a maps; every step's messages logged. */
async function pagerRun(k: MachKernel, abi: Abi): Promise<unknown[]> {
  const log: unknown[] = [];
  const p = await k.taskCreate();
  const a = await k.taskCreate();
  const b = await k.taskCreate();
  const mo = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const moA = (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const done = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const box = inbox(k, p, abi);
  await box.serve(mo);
  await box.serve(done);
  let control = 0;
  const call = async (id: number, items: MsgItem[]): Promise<number> => {
    const complex = items.some((i) => i.kind !== 'data');
    const bytes = encodeMessage({ header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex, other: 0 }, remotePort: control, localPort: 0, seqno: 0, id }, items }, abi);
    return (await k.msg(p, { options: 1, send: bytes })).kr;
  };
  const noReply: MsgItem = { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, abi === 'x86_64' ? 64 : 32), names: [0] };
  const supply = async (offset: number, data: Uint8Array, lock: number): Promise<number> => {
    const { address } = await k.vmAllocate(p, 0, data.length, true);
    expect(await k.vmWrite(p, address, data)).toBe(0);
    const ool: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: data.length, inline: false, longform: true, deallocate: true }, address: BigInt(address) };
    return call(2093, [word(abi, offset), ool, int(lock), int(0, 0), noReply]);
  };
  /** A kernel -> pager request about pages: [id, is the control port, offset, length, access]. */
  const request = (m: MachMessage) => [m.header.id, portOf(m, 0) === control, val(m, 1), val(m, 2), val(m, 3)];

  // vm_map: memory_object_init (control and name send rights, page size); memory_object_ready.
  const mapping = k.vmMap(a, { memoryObject: moA, offset: 0, size: 2 * PAGE, anywhere: true });
  const init = await box.next(mo);
  control = portOf(init, 0);
  log.push(['init', init.header.id, init.header.bits, init.items.map((i) => i.type.name), val(init, 2), control !== portOf(init, 1)]);
  // vm_map does not wait for memory_object_ready: vm_object_enter sends init
  // and returns, and faults wait for ready (vm_fault_page). Both backends.
  const map = await mapping;
  log.push(['ready', await call(2094, [int(0, 0), int(0)])]);
  log.push(['map', map.kr, map.address % PAGE]);
  const at = map.address;

  // A read of an absent page: data_request (read), data_supply write-locked.
  const rd = k.vmRead(a, at + PAGE + 10, 4);
  log.push(['read fault', request(await box.next(mo))]);
  log.push(['supply', await supply(PAGE, new Uint8Array(PAGE).fill(7), 2 /* VM_PROT_WRITE locked */)]);
  const got = await rd;
  log.push(['read', got.kr, [...(got.data ?? [])]]);

  // A write of the write-locked page: data_unlock; lock_request grants it.
  const wr = k.vmWrite(a, at + PAGE, new Uint8Array([1, 2]));
  const unlock = request(await box.next(mo));
  // GNU Mach's vm_write reaches the page through vm_fault_copy, which asks for
  // VM_PROT_WRITE alone; the sim's vmWrite is a store, which faults for
  // VM_PROT_READ|VM_PROT_WRITE as the i386 trap handler asks.
  log.push(['write fault', unlock.slice(0, 4), unlock[4] === (BACKEND === 'gnumach' ? 2 : 3)]);
  log.push(['grant', await call(2044, [word(abi, PAGE), word(abi, PAGE), int(0), int(0, 0), int(0), noReply])]);
  log.push(['write', await wr]);
  const back = await k.vmRead(a, at + PAGE, 3);
  log.push(['read back', back.kr, [...(back.data ?? [])]]);

  // Flush with RETURN_DIRTY: the written page comes back (data_return), then lock_completed.
  const doneRight: MsgItem = { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND, abi === 'x86_64' ? 64 : 32), names: [done] };
  log.push(['lock_request', await call(2044, [word(abi, 0), word(abi, 2 * PAGE), int(1), int(1, 0), int(0), doneRight])]);
  const ret = await box.next(mo);
  const retData = ret.items[2];
  log.push([
    'data_return',
    ret.header.id,
    portOf(ret, 0) === control,
    val(ret, 1),
    retData?.kind === 'ool' ? Number(retData.type.number) : -1,
    val(ret, 3),
    val(ret, 4),
  ]);
  if (retData?.kind === 'ool') {
    const bytes = await k.vmRead(p, Number(retData.address), 4);
    log.push(['returned bytes', [...(bytes.data ?? [])]]);
  }
  const completed = await box.next(done);
  log.push(['lock_completed', completed.header.id, portOf(completed, 0) === control, val(completed, 1), val(completed, 2)]);

  // data_unavailable zero-fills.
  const r0 = k.vmRead(a, at, 8);
  log.push(['read fault 0', request(await box.next(mo))]);
  log.push(['unavailable', await call(2039, [word(abi, 0), word(abi, PAGE)])]);
  const z = await r0;
  log.push(['zero', z.kr, [...(z.data ?? [])]]);

  // Out-of-line data sent from an absent page: the send faults it in first.
  const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
  const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const ool: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: 16, inline: false, longform: true, deallocate: false }, address: BigInt(at + PAGE + 8) };
  const sent = k.msg(a, {
    options: 1,
    send: encodeMessage({ header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex: true, other: 0 }, remotePort: to, localPort: 0, seqno: 0, id: 5 }, items: [ool] }, abi),
  });
  log.push(['send fault', request(await box.next(mo))]);
  log.push(['supply', await supply(PAGE, new Uint8Array(PAGE).fill(6), 0)]);
  log.push(['sent', (await sent).kr]);
  const rcv = await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: srv, rcvSize: 256, timeout: 0 });
  const item = rcv.message === undefined ? undefined : decodeMessage(rcv.message, abi).items[0];
  const oolGot = item?.kind === 'ool' ? await k.vmRead(b, Number(item.address), 16) : undefined;
  log.push(['received', rcv.kr, [...(oolGot?.data ?? [])]]);
  if (item?.kind === 'ool') log.push(['free received', await k.vmDeallocate(b, Number(item.address), 16)]);

  // The last mapping goes: memory_object_terminate (the pages are clean).
  log.push(['deallocate', await k.vmDeallocate(a, at, 2 * PAGE)]);
  const term = await box.next(mo);
  log.push(['terminate', term.header.id, term.items.map((i) => i.type.name)]);
  log.push(['nothing more', await box.empty(mo), await box.empty(done)]);

  // A second object: data_error fails the access with its code.
  const mo2 = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const mo2A = (await k.portExtractRight(p, mo2, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  await box.serve(mo2);
  const mapping2 = k.vmMap(a, { memoryObject: mo2A, offset: 0, size: PAGE, anywhere: true });
  const init2 = await box.next(mo2);
  control = portOf(init2, 0);
  log.push(['ready 2', await call(2094, [int(0, 0), int(0)])]);
  const map2 = await mapping2;
  const r1 = k.vmRead(a, map2.address, 8);
  log.push(['read fault 2', request(await box.next(mo2))]);
  log.push(['error', await call(2090, [word(abi, 0), word(abi, PAGE), int(KERN_MEMORY_ERROR)])]);
  log.push(['failed read', (await r1).kr]);
  log.push(['deallocate 2', await k.vmDeallocate(a, map2.address, PAGE)]);
  // GNU Mach 1.8 sends no memory_object_terminate for this object when its
  // last mapping goes (seen on both ABIs: after vm_object_copy_slowly failed
  // with VM_FAULT_MEMORY_ERROR, something still holds the object); the sim
  // terminates it. Not waited for on gnumach (README, "vmMap on gnumach").
  if (BACKEND === 'sim') log.push(['terminate 2', (await box.next(mo2)).header.id]);
  for (const t of [a, b, p]) expect(await k.taskTerminate(t)).toBe(0);
  return log;
}

/** A copy map of a COPY_NONE object, then a plain map of a COPY_DELAY one. */
async function copyRun(k: MachKernel, abi: Abi): Promise<unknown[]> {
  const log: unknown[] = [];
  const p = await k.taskCreate();
  const a = await k.taskCreate();
  const box = inbox(k, p, abi);
  let control = 0;
  const call = async (id: number, items: MsgItem[]): Promise<number> => {
    const complex = items.some((i) => i.kind !== 'data');
    const bytes = encodeMessage({ header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex, other: 0 }, remotePort: control, localPort: 0, seqno: 0, id }, items }, abi);
    return (await k.msg(p, { options: 1, send: bytes })).kr;
  };
  const noReply: MsgItem = { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, abi === 'x86_64' ? 64 : 32), names: [0] };
  const supply = async (offset: number, data: Uint8Array): Promise<number> => {
    const { address } = await k.vmAllocate(p, 0, data.length, true);
    expect(await k.vmWrite(p, address, data)).toBe(0);
    const ool: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: data.length, inline: false, longform: true, deallocate: true }, address: BigInt(address) };
    return call(2093, [word(abi, offset), ool, int(0), int(0, 0), noReply]);
  };
  const request = (m: MachMessage) => [m.header.id, portOf(m, 0) === control, val(m, 1), val(m, 2), val(m, 3)];
  const object = async () => {
    const mo = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
    await box.serve(mo);
    return { mo, send: (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, a)).name };
  };

  // copy: true on COPY_NONE (vm_object_copy_slowly): the map waits for ready,
  // reads every page now, and the task gets private memory.
  const o1 = await object();
  const copying = k.vmMap(a, { memoryObject: o1.send, offset: 0, size: 2 * PAGE, anywhere: true, copy: true });
  control = portOf(await box.next(o1.mo), 0);
  log.push(['ready', await call(2094, [int(0, 0), int(0 /* COPY_NONE */)])]);
  for (const off of [0, PAGE]) {
    log.push(['copy fault', request(await box.next(o1.mo))]);
    log.push(['supply', await supply(off, new Uint8Array(PAGE).fill(off === 0 ? 10 : 11))]);
  }
  const copy = await copying;
  log.push(['copy map', copy.kr]);
  // Nobody else maps the object: it ends once copied.
  log.push(['terminate', (await box.next(o1.mo)).header.id]);
  log.push(['copy read', [...((await k.vmRead(a, copy.address + PAGE - 2, 4)).data ?? [])]]);
  log.push(['copy write', await k.vmWrite(a, copy.address, new Uint8Array([1]))]);
  log.push(['copy read back', [...((await k.vmRead(a, copy.address, 2)).data ?? [])]]);
  log.push(['copy deallocate', await k.vmDeallocate(a, copy.address, 2 * PAGE)]);

  // A plain map of a COPY_DELAY object: read, write, and the dirty page back before terminate.
  const o2 = await object();
  const mapping = k.vmMap(a, { memoryObject: o2.send, offset: 0, size: 2 * PAGE, anywhere: true });
  control = portOf(await box.next(o2.mo), 0);
  log.push(['ready', await call(2094, [int(0, 0), int(2 /* COPY_DELAY */)])]);
  const map = await mapping;
  log.push(['map', map.kr]);
  const rd = k.vmRead(a, map.address + PAGE, 4);
  log.push(['read fault', request(await box.next(o2.mo))]);
  log.push(['supply', await supply(PAGE, new Uint8Array(PAGE).fill(3))]);
  log.push(['read', [...((await rd).data ?? [])]]);
  log.push(['write', await k.vmWrite(a, map.address + PAGE + 1, new Uint8Array([9]))]);
  log.push(['read back', [...((await k.vmRead(a, map.address + PAGE, 3)).data ?? [])]]);
  log.push(['deallocate', await k.vmDeallocate(a, map.address, 2 * PAGE)]);
  const ret = await box.next(o2.mo);
  const item = ret.items[2];
  const returned = item?.kind === 'ool' ? await k.vmRead(p, Number(item.address), 3) : undefined;
  log.push(['data_return', ret.header.id, val(ret, 1), [...(returned?.data ?? [])], val(ret, 3)]);
  log.push(['terminate', (await box.next(o2.mo)).header.id]);
  log.push(['nothing more', await box.empty(o1.mo), await box.empty(o2.mo)]);

  // A COPY_DELAY object's data_error: the read fails with it, the task lives on
  // (gnumach: the fault thread copies pages in with vm_copy, so the kernel
  // takes the fault, not the thread).
  const o3 = await object();
  const mapping3 = k.vmMap(a, { memoryObject: o3.send, offset: 0, size: PAGE, anywhere: true });
  control = portOf(await box.next(o3.mo), 0);
  log.push(['ready', await call(2094, [int(0, 0), int(2 /* COPY_DELAY */)])]);
  const map3 = await mapping3;
  const r3 = k.vmRead(a, map3.address, 4);
  log.push(['read fault', request(await box.next(o3.mo))]);
  log.push(['error', await call(2090, [word(abi, 0), word(abi, PAGE), int(KERN_MEMORY_ERROR)])]);
  log.push(['failed read', (await r3).kr]);
  log.push(['task lives', (await k.vmAllocate(a, 0, PAGE, true)).kr]);
  for (const t of [a, p]) expect(await k.taskTerminate(t)).toBe(0);
  return log;
}

const fill = (n: number, v: number) => new Array<number>(n).fill(v);

function expected(abi: Abi): unknown[] {
  const wordName = abi === 'x86_64' ? 11 : 2;
  return [
    ['init', 2200, { remote: 0, local: 17, complex: true, other: 0 }, [17, 17, wordName], PAGE, true],
    ['ready', 0],
    ['map', 0, 0],
    ['read fault', [2203, true, PAGE, PAGE, 1]],
    ['supply', 0],
    ['read', 0, [7, 7, 7, 7]],
    ['write fault', [2204, true, PAGE, PAGE], true],
    ['grant', 0],
    ['write', 0],
    ['read back', 0, [1, 2, 7]],
    ['lock_request', 0],
    ['data_return', 2208, true, PAGE, PAGE, 1, 0],
    ['returned bytes', [1, 2, 7, 7]],
    ['lock_completed', 2206, true, 0, 2 * PAGE],
    ['read fault 0', [2203, true, 0, PAGE, 1]],
    ['unavailable', 0],
    ['zero', 0, fill(8, 0)],
    ['send fault', [2203, true, PAGE, PAGE, 1]],
    ['supply', 0],
    ['sent', 0],
    ['received', 0, fill(16, 6)],
    ['free received', 0],
    ['deallocate', 0],
    ['terminate', 2201, [16, 16]],
    ['nothing more', true, true],
    ['ready 2', 0],
    ['read fault 2', [2203, true, 0, PAGE, 1]],
    ['error', 0],
    ['failed read', KERN_MEMORY_ERROR],
    ['deallocate 2', 0],
    ...(BACKEND === 'sim' ? [['terminate 2', 2201]] : []),
  ];
}

for (const abi of ['x86_64', 'i386'] as const) {
  describe(`vm_map of an object served by a TypeScript pager, ${BACKEND} (${abi})`, () => {
    let k: MachKernel;
    beforeAll(async () => {
      k = openKernel({ backend: BACKEND, abi, clock: new VirtualClock(), qemu: { bootTimeoutMs: 240_000 } });
      if (k instanceof GnumachKernel) await k.ready();
    }, 300_000);
    afterAll(async () => {
      await k.close();
    });

    it('init/ready, data_request -> supply, read, write -> data_unlock, flush -> data_return, unavailable, OOL send, deallocate -> terminate; data_error', { timeout: 300_000 }, async () => {
      expect(await pagerRun(k, abi)).toEqual(expected(abi));
    });

    it('copy map of a COPY_NONE object (pages read at map time), plain map of a COPY_DELAY object, its data_error', { timeout: 300_000 }, async () => {
      expect(await copyRun(k, abi)).toEqual([
        ['ready', 0],
        ['copy fault', [2203, true, 0, PAGE, 1]],
        ['supply', 0],
        ['copy fault', [2203, true, PAGE, PAGE, 1]],
        ['supply', 0],
        ['copy map', 0],
        ['terminate', 2201],
        ['copy read', [10, 10, 11, 11]],
        ['copy write', 0],
        ['copy read back', [1, 10]],
        ['copy deallocate', 0],
        ['ready', 0],
        ['map', 0],
        ['read fault', [2203, true, PAGE, PAGE, 1]],
        ['supply', 0],
        ['read', [3, 3, 3, 3]],
        ['write', 0],
        ['read back', [3, 9, 3]],
        ['deallocate', 0],
        ['data_return', 2208, PAGE, [3, 9, 3], 1],
        ['terminate', 2201],
        ['nothing more', true, true],
        ['ready', 0],
        ['read fault', [2203, true, 0, PAGE, 1]],
        ['error', 0],
        ['failed read', KERN_MEMORY_ERROR],
        ['task lives', 0],
      ]);
    });

    it('a task ended while its read waits for the pager: the read answers, nothing hangs', { timeout: 300_000 }, async () => {
      const { p, a, mo, send, box } = await pagerAndMapper(k, abi);
      const mapping = k.vmMap(a, { memoryObject: send, offset: 0, size: PAGE, anywhere: true });
      const init = await box.next(mo);
      const ready = encodeMessage(
        { header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex: false, other: 0 }, remotePort: portOf(init, 0), localPort: 0, seqno: 0, id: 2094 }, items: [int(0, 0), int(0)] },
        abi,
      );
      expect((await k.msg(p, { options: 1, send: ready })).kr).toBe(0);
      const map = await mapping;
      const rd = k.vmRead(a, map.address, 4);
      expect((await box.next(mo)).header.id).toBe(2203); // never answered
      expect(await k.taskTerminate(a)).toBe(0);
      const got = await rd;
      // The sim fails the waiting fault (KERN_MEMORY_FAILURE); on gnumach the
      // fault thread died with its task, and the host answers KERN_INVALID_TASK.
      expect(got).toEqual({ kr: BACKEND === 'gnumach' ? 16 : 9, data: null });
      expect(await k.taskTerminate(p)).toBe(0);
    });

    it('the pager task dies while a read waits for its data_request: the read fails with KERN_MEMORY_ERROR (vm_object_destroy), a resident page is still read', { timeout: 300_000 }, async () => {
      const { p, a, mo, send, box } = await pagerAndMapper(k, abi);
      const mapping = k.vmMap(a, { memoryObject: send, offset: 0, size: 2 * PAGE, anywhere: true });
      const control = portOf(await box.next(mo), 0);
      const call = async (id: number, items: MsgItem[]): Promise<number> => {
        const complex = items.some((i) => i.kind !== 'data');
        const bytes = encodeMessage({ header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex, other: 0 }, remotePort: control, localPort: 0, seqno: 0, id }, items }, abi);
        return (await k.msg(p, { options: 1, send: bytes })).kr;
      };
      expect(await call(2094, [int(0, 0), int(0)])).toBe(0);
      const map = await mapping;
      expect(map.kr).toBe(0);
      // Page 0 made resident: an unavailable answer zero-fills it.
      const r0 = k.vmRead(a, map.address, 2);
      expect((await box.next(mo)).header.id).toBe(2203);
      expect(await call(2039, [word(abi, 0), word(abi, PAGE)])).toBe(0);
      expect(await r0).toEqual({ kr: 0, data: new Uint8Array(2) });
      const rd = k.vmRead(a, map.address + PAGE, 4);
      expect((await box.next(mo)).header.id).toBe(2203); // never answered
      expect(await k.taskTerminate(p)).toBe(0);
      expect(await rd).toEqual({ kr: KERN_MEMORY_ERROR, data: null });
      expect(await k.vmRead(a, map.address, 2)).toEqual({ kr: 0, data: new Uint8Array(2) });
      expect((await k.vmRead(a, map.address + PAGE, 1)).kr).toBe(KERN_MEMORY_ERROR);
      expect(await k.vmDeallocate(a, map.address, 2 * PAGE)).toBe(0);
      expect(await k.taskTerminate(a)).toBe(0);
    });

    it('answers bad calls with Mach codes: no task, no object right, bad numbers', { timeout: 120_000 }, async () => {
      expect(await k.vmMap(9999, { memoryObject: 1, offset: 0, size: PAGE })).toEqual({ kr: 16, address: 0 }); // KERN_INVALID_TASK
      const t = await k.taskCreate();
      expect(await k.vmMap(t, { memoryObject: 1, offset: 0, size: -1 })).toEqual({ kr: 4, address: 0 }); // KERN_INVALID_ARGUMENT
      expect(await k.vmMap(t, { memoryObject: 1, offset: Number.NaN, size: PAGE })).toEqual({ kr: 4, address: 0 });
      // A name that is no send right: the sim checks it (KERN_INVALID_ARGUMENT);
      // GNU Mach's MIG request carries it as a port, and mach_msg refuses it.
      const bad = await k.vmMap(t, { memoryObject: 0x5151, offset: 0, size: PAGE, anywhere: true });
      expect(bad).toEqual({ kr: BACKEND === 'gnumach' ? MACH_SEND_INVALID_RIGHT : 4, address: 0 });
      const own = (await k.portAllocate(t, MACH_PORT_RIGHT_RECEIVE)).name;
      expect(await k.portInsertRight(t, own, own, MACH_MSG_TYPE_MAKE_SEND)).toBe(0);
      const unaligned = await k.vmMap(t, { memoryObject: own, offset: 1, size: PAGE, anywhere: true });
      // Refused on both; the code differs (sim KERN_INVALID_ARGUMENT, GNU Mach
      // 1.8 was seen answering MIG_SERVER_DIED: README).
      expect(unaligned.kr).not.toBe(0);
      expect(unaligned.address).toBe(0);
      // The task still works afterwards: its worker and fault thread are free.
      const mem = await k.vmAllocate(t, 0, PAGE, true);
      expect(mem.kr).toBe(0);
      expect(await k.vmWrite(t, mem.address, new Uint8Array([5, 6]))).toBe(0);
      expect((await k.vmRead(t, mem.address, 2)).data).toEqual(new Uint8Array([5, 6]));
      expect(await k.taskTerminate(t)).toBe(0);
    });
  });
}

