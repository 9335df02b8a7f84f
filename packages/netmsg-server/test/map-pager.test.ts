import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, constants as FS } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkInvariants, memoryObjectAccess, memoryObjectInit, openKernel, PAGE_SIZE, VirtualClock, type MachKernel, type SimKernel,
} from 'hurd-ffi';
import {
  decodeMessage, encodeMessage, MACH_MSG_TYPE_BYTE, MACH_RCV_MSG, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_INTEGER_64, MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_SEND_MSG, type MachMessage, type MsgItem,
} from 'mach-msg';
import { FilePager } from '../src/pager/file-pager.js';

// A FilePager on one simulated GNU Mach kernel, tasks mapping its object.

let dir: string;
let kernel: MachKernel;
let clock: VirtualClock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'map-pager-'));
  clock = new VirtualClock();
  kernel = openKernel({ abi: 'x86_64', clock });
});
afterEach(async () => {
  await kernel.close();
  rmSync(dir, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function pagerFor(path: string, readOnly: boolean): Promise<FilePager> {
  const fd = openSync(path, readOnly ? FS.O_RDONLY : FS.O_RDWR);
  return FilePager.create({ kernel, fd, readOnly, label: 'pager' });
}

async function mapIn(pager: FilePager, name: string, size: number, access?: number): Promise<{ task: number; address: number }> {
  const task = await kernel.taskCreate({ name });
  const right = await pager.sendRight(task);
  const m = await kernel.vmMap(task, { memoryObject: right, offset: 0, size, anywhere: true, ...(access !== undefined ? { access } : {}) });
  expect(m.kr).toBe(0);
  // The task keeps its mapping; its right to the object is no longer needed.
  expect(await kernel.portDeallocate(task, right)).toBe(0);
  return { task, address: m.address };
}

describe('FilePager on one kernel', () => {
  it('serves the file to two tasks, writes reach the file at unmap, and the pager ends', async () => {
    const initial = new Uint8Array(2 * PAGE_SIZE);
    initial.set(enc('first page'), 0);
    initial.set(enc('second page'), PAGE_SIZE);
    const path = file('a.bin', initial);
    const pager = await pagerFor(path, false);
    const a = await mapIn(pager, 'task-a', 2 * PAGE_SIZE);
    const b = await mapIn(pager, 'task-b', 2 * PAGE_SIZE);

    const r1 = await kernel.vmRead(a.task, a.address, 10);
    expect(dec(r1.data!)).toBe('first page');
    expect(await kernel.vmWrite(b.task, b.address + PAGE_SIZE, enc('SECOND'))).toBe(0);
    const r2 = await kernel.vmRead(a.task, a.address + PAGE_SIZE, 11);
    expect(dec(r2.data!)).toBe('SECOND page');
    // One kernel: one memory_object_init however many tasks map.
    expect(pager.kernelCount()).toBe(1);

    expect(await kernel.vmDeallocate(a.task, a.address, 2 * PAGE_SIZE)).toBe(0);
    expect(await kernel.vmDeallocate(b.task, b.address, 2 * PAGE_SIZE)).toBe(0);
    await pager.done;
    expect(pager.isFinished).toBe(true);
    const onDisk = readFileSync(path);
    expect(dec(onDisk.subarray(PAGE_SIZE, PAGE_SIZE + 11))).toBe('SECOND page');
    expect(dec(onDisk.subarray(0, 10))).toBe('first page');
    expect(onDisk.length).toBe(2 * PAGE_SIZE);
    expect(checkInvariants(kernel as SimKernel)).toEqual([]);
  });

  it('sync writes dirty pages back while the mapping stays', async () => {
    const path = file('s.bin', new Uint8Array(PAGE_SIZE));
    const pager = await pagerFor(path, false);
    const a = await mapIn(pager, 'task-a', PAGE_SIZE);
    expect(await kernel.vmWrite(a.task, a.address + 100, enc('synced'))).toBe(0);
    expect(dec(readFileSync(path).subarray(100, 106))).not.toBe('synced');
    await pager.sync();
    expect(dec(readFileSync(path).subarray(100, 106))).toBe('synced');
    expect(pager.stats.storeWrites).toBeGreaterThan(0);
    await kernel.vmDeallocate(a.task, a.address, PAGE_SIZE);
    await pager.done;
  });

  it('a mapping never grows the file: writes past EOF are clipped', async () => {
    const path = file('short.txt', enc('0123456789'));
    const pager = await pagerFor(path, false);
    expect(pager.pages()).toBe(1);
    const a = await mapIn(pager, 'task-a', PAGE_SIZE);
    const r = await kernel.vmRead(a.task, a.address, 16);
    expect([...r.data!.subarray(10)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await kernel.vmWrite(a.task, a.address + 5, enc('ABCDEFGHIJ'))).toBe(0);
    await kernel.vmDeallocate(a.task, a.address, PAGE_SIZE);
    await pager.done;
    expect(readFileSync(path, 'utf8')).toBe('01234ABCDE');
  });

  it('a read-only pager gives read access and refuses writes', async () => {
    const path = file('ro.txt', enc('read only'));
    const pager = await pagerFor(path, true);
    const a = await mapIn(pager, 'task-a', PAGE_SIZE);
    expect(dec((await kernel.vmRead(a.task, a.address, 9)).data!)).toBe('read only');
    const w = await kernel.vmWrite(a.task, a.address, enc('WRITE'));
    expect(w).not.toBe(0);
    await kernel.vmDeallocate(a.task, a.address, PAGE_SIZE);
    await pager.done;
    expect(readFileSync(path, 'utf8')).toBe('read only');
  });

  it('close() ends the pager while mapped; unmapping afterwards does not hang', async () => {
    const path = file('c.txt', enc('closing'));
    const pager = await pagerFor(path, false);
    const a = await mapIn(pager, 'task-a', 2 * PAGE_SIZE);
    expect(dec((await kernel.vmRead(a.task, a.address, 7)).data!)).toBe('closing');
    await pager.close();
    expect(pager.isFinished).toBe(true);
    // The resident page is still there; the pager's port is dead.
    expect(dec((await kernel.vmRead(a.task, a.address, 7)).data!)).toBe('closing');
    expect(await kernel.vmDeallocate(a.task, a.address, 2 * PAGE_SIZE)).toBe(0);
    expect(checkInvariants(kernel as SimKernel)).toEqual([]);
  });

  it('survives a task sending it garbage (seeded fuzz): forged ids, bad layouts, fake kernels; then serves a real mapping and ends', async () => {
    const path = file('f.txt', enc('fuzzed but fine'));
    const pager = await pagerFor(path, false);
    const fuzzer = await kernel.taskCreate({ name: 'fuzzer' });
    const obj = await pager.sendRight(fuzzer);
    const own = await kernel.portAllocate(fuzzer, MACH_PORT_RIGHT_RECEIVE);
    let x = 12345;
    const r = (n: number) => {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      return x % n;
    };
    const ids = [2200, 2201, 2202, 2203, 2204, 2205, 2206, 2207, 2208, 2209, 70, 72, 65, 71, 21000, 0, 9999];
    for (let i = 0; i < 300; i++) {
      const items: MsgItem[] = [];
      const n = r(6);
      for (let j = 0; j < n; j++) {
        const kind = r(4);
        if (kind === 0) items.push({ kind: 'ports', type: { name: MACH_MSG_TYPE_MAKE_SEND, size: 64, number: 1, inline: true, longform: false, deallocate: false }, names: [own.name] });
        else if (kind === 1) items.push({ kind: 'data', type: { name: MACH_MSG_TYPE_INTEGER_64, size: 64, number: 1, inline: true, longform: false, deallocate: false }, data: new Uint8Array(8).map(() => r(3) === 0 ? r(256) : 0) });
        else if (kind === 2) items.push({ kind: 'data', type: { name: MACH_MSG_TYPE_INTEGER_32, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: new Uint8Array(4).map(() => r(256)) });
        else items.push({ kind: 'data', type: { name: MACH_MSG_TYPE_BYTE, size: 8, number: 1 + r(20), inline: true, longform: false, deallocate: false }, data: new Uint8Array(0) });
      }
      for (const it of items) if (it.kind === 'data' && it.type.name === MACH_MSG_TYPE_BYTE) it.data = new Uint8Array(it.type.number);
      const msg: MachMessage = {
        header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: r(3) === 0 ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0, complex: items.some((it) => it.kind === 'ports'), other: 0 }, remotePort: obj, localPort: own.name, seqno: 0, id: ids[r(ids.length)]! },
        items,
      };
      if (msg.header.bits.local === 0) msg.header.localPort = 0;
      const sent = await kernel.msg(fuzzer, { options: MACH_SEND_MSG, send: encodeMessage(msg, 'x86_64') });
      expect(sent.kr).toBe(0);
      if (process.env['FUZZ_DEBUG']) console.log('sent', i, msg.header.id, pager.stats);
    }
    // Fake kernels (the fuzzer's port as a control port) die with the fuzzer.
    if (process.env['FUZZ_DEBUG']) console.log('terminating fuzzer');
    await kernel.taskTerminate(fuzzer);
    if (process.env['FUZZ_DEBUG']) console.log('terminated');
    const a = await mapIn(pager, 'task-a', PAGE_SIZE);
    expect(dec((await kernel.vmRead(a.task, a.address, 15)).data!)).toBe('fuzzed but fine');
    expect(await kernel.vmWrite(a.task, a.address, enc('FUZZED'))).toBe(0);
    await kernel.vmDeallocate(a.task, a.address, PAGE_SIZE);
    await pager.done;
    expect(readFileSync(path, 'utf8')).toBe('FUZZED but fine');
    expect(checkInvariants(kernel as SimKernel)).toEqual([]);
  });

  it('evicts a kernel that never answers a revoking lock request (lockTimeoutMs, virtual clock); the waiting kernel is served', async () => {
    const path = file('stuck.txt', enc('before'));
    const pager = await FilePager.create({ kernel, fd: openSync(path, FS.O_RDWR), readOnly: false, lockTimeoutMs: 1000, clock });
    // A task that behaves like a kernel until it holds write access, then goes silent.
    const stuck = await kernel.taskCreate({ name: 'stuck-kernel' });
    const obj = await pager.sendRight(stuck);
    const control = (await kernel.portAllocate(stuck, MACH_PORT_RIGHT_RECEIVE)).name;
    const name = (await kernel.portAllocate(stuck, MACH_PORT_RIGHT_RECEIVE)).name;
    const send = async (m: MachMessage) => expect((await kernel.msg(stuck, { options: MACH_SEND_MSG, send: encodeMessage(m, 'x86_64') })).kr).toBe(0);
    const receive = async () => decodeMessage((await kernel.msg(stuck, { options: MACH_RCV_MSG, rcvName: control, rcvSize: 8192 })).message!, 'x86_64');
    await send(memoryObjectInit('x86_64', obj, control, name, PAGE_SIZE));
    expect((await receive()).header.id).toBe(2094); // memory_object_ready
    await send(memoryObjectAccess('x86_64', 2203, obj, control, 0, PAGE_SIZE, 3)); // data_request, read|write
    const supply = await receive();
    expect(supply.header.id).toBe(2093); // data_supply with write access: the stuck kernel is the writer
    // A real task now reads the page: the pager revokes the stuck writer (lock_request, flush) and waits.
    const a = await mapIn(pager, 'task-a', PAGE_SIZE);
    let got: string | undefined;
    const reading = kernel.vmRead(a.task, a.address, 6).then((r) => (got = dec(r.data!)));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBeUndefined();
    expect(pager.stats.evictions).toBe(0);
    // Time passes on the virtual clock: the ticker sees the flush unanswered past the timeout.
    clock.advance(600);
    await new Promise((r) => setTimeout(r, 5));
    expect(pager.stats.evictions).toBe(0);
    clock.advance(600);
    await reading;
    expect(got).toBe('before');
    expect(pager.stats.evictions).toBe(1);
    expect(pager.kernelCount()).toBe(1);
    await kernel.taskTerminate(stuck);
    await kernel.vmDeallocate(a.task, a.address, PAGE_SIZE);
    await pager.done;
    expect(readFileSync(path, 'utf8')).toBe('before');
  });
});
