/**
 * Out-of-line data sent straight from mapped memory: copyin faults the
 * object's pages in (the send waits for data_supply), and a data_error fails
 * the send with MACH_SEND_INVALID_MEMORY, the message destroyed.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  KERN_MEMORY_ERROR,
  KERN_SUCCESS,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_TIMED_OUT,
  MACH_SEND_INVALID_DEST,
  MACH_SEND_INVALID_MEMORY,
  type MsgItem,
} from 'mach-msg';
import { MEMORY_OBJECT_COPY_DELAY } from '../src/index.js';
import { poll, sound } from './helpers.js';
import { fill, int, PAGE, pagerWorld, val, word } from './pager-world.js';

async function oolWorld(copy = false) {
  const w = await pagerWorld();
  const { k, a, b, abi } = w;
  const map = await w.mapReady(a, w.moA, 4 * PAGE, { copy, copyStrategy: MEMORY_OBJECT_COPY_DELAY });
  const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
  const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const ool = (at: number, n: number): MsgItem => ({
    kind: 'ool',
    type: { name: 9, size: 8, number: n, inline: false, longform: true, deallocate: false },
    address: BigInt(at),
  });
  const sendOol = (at: number, n: number, disp: number = MACH_MSG_TYPE_COPY_SEND, dest = to) =>
    k.msg(a, {
      options: 1,
      send: encodeMessage({ header: { bits: { remote: disp, local: 0, complex: true, other: 0 }, remotePort: dest, localPort: 0, seqno: 0, id: 5 }, items: [ool(at, n)] }, abi),
    });
  const received = async () => {
    const got = (await poll(k, b, srv, abi)).msg!.items[0]!;
    if (got.kind !== 'ool') throw new Error('expected out-of-line data');
    return { address: Number(got.address), data: (await k.vmRead(b, Number(got.address), Number(got.type.number))).data! };
  };
  return { ...w, address: map.address, control: map.control, srv, to, sendOol, received };
}

describe('out-of-line data from mapped, non-resident memory', () => {
  it('faults the pages in: the send waits for data_supply, then delivers the data', async () => {
    const w = await oolWorld();
    const { k } = w;
    const s = w.sendOol(w.address + PAGE + 8, 16);
    let settled = false;
    void s.then(() => (settled = true));
    const req = (await w.next())!;
    expect([req.header.id, val(req, 1), val(req, 2), val(req, 3)]).toEqual([2203, PAGE, PAGE, 1]);
    expect(settled).toBe(false);
    expect((await poll(k, w.b, w.srv, w.abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    await w.supply(w.control, PAGE, fill(6), 0);
    expect((await s).kr).toBe(KERN_SUCCESS);
    const got = await w.received();
    expect(got.address % PAGE).toBe(8);
    expect(got.data).toEqual(new Uint8Array(16).fill(6));
    sound(k);
  });

  it('faults only the pages that are not resident, in order, across a page boundary', async () => {
    const w = await oolWorld();
    const { k, a } = w;
    const rd = k.vmRead(a, w.address, 1);
    await w.next();
    await w.supply(w.control, 0, fill(1), 0);
    await rd;
    const s = w.sendOol(w.address + PAGE - 4, 8);
    // The resident first page is copied before the second faults: let the send run up to its wait.
    await new Promise((r) => setImmediate(r));
    const req = (await w.next())!;
    expect([req.header.id, val(req, 1)]).toEqual([2203, PAGE]);
    expect(await w.next()).toBeUndefined();
    await w.supply(w.control, PAGE, fill(2), 0);
    expect((await s).kr).toBe(KERN_SUCCESS);
    expect((await w.received()).data).toEqual(new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2]));
    sound(k);
  });

  it('fails with MACH_SEND_INVALID_MEMORY on data_error, destroying the message and its rights', async () => {
    const w = await oolWorld();
    const { k, a } = w;
    const s = w.sendOol(w.address + 2 * PAGE, 4, MACH_MSG_TYPE_MOVE_SEND);
    expect((await w.next())!.header.id).toBe(2203);
    await w.call(w.control, 2090, [word('x86_64', 2 * PAGE), word('x86_64', PAGE), int(KERN_MEMORY_ERROR)]);
    expect((await s).kr).toBe(MACH_SEND_INVALID_MEMORY);
    expect((await poll(k, w.b, w.srv, w.abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    // The moved send right went with the destroyed message (ipc_kmsg_clean_partial).
    expect((await k.portType(a, w.to)).kr).not.toBe(KERN_SUCCESS);
    sound(k);
  });

  it('checks the header before faulting: a bad destination fails at once, the pager untouched', async () => {
    const w = await oolWorld();
    expect((await w.sendOol(w.address, 4, MACH_MSG_TYPE_COPY_SEND, 0x777)).kr).toBe(MACH_SEND_INVALID_DEST);
    expect(await w.next()).toBeUndefined();
    sound(w.k);
  });

  it("sends a copy mapping's private page without asking the pager", async () => {
    const w = await oolWorld(true);
    const { k, a } = w;
    const wr = k.vmWrite(a, w.address, new Uint8Array([42, 43]));
    const req = (await w.next())!;
    expect([req.header.id, val(req, 3)]).toEqual([2203, 1]);
    await w.supply(w.control, 0, fill(0), 0);
    expect(await wr).toBe(KERN_SUCCESS);
    expect((await w.sendOol(w.address, 3)).kr).toBe(KERN_SUCCESS);
    expect(await w.next()).toBeUndefined();
    expect((await w.received()).data).toEqual(new Uint8Array([42, 43, 0]));
    sound(k);
  });
});
