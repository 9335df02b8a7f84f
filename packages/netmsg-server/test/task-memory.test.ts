/**
 * Out-of-line bytes through task memory (src/cluster/task-memory.ts):
 * placeOol gives the bytes to the sending task, a send with deallocate moves
 * them, takeOol takes them out of the receiving task. On the simulated
 * kernel the same buffer travels the whole way (no copy), and neither task
 * keeps any memory for it afterwards.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_RCV_TIMEOUT, MACH_SEND_MSG, type MachMessage } from 'mach-msg';
import { openKernel, SimKernel, VirtualClock } from 'hurd-ffi';
import { placeOol, takeOol } from '../src/cluster/task-memory.js';

const PAGE = 4096;

describe('placeOol / takeOol', () => {
  it('moves the bytes between two tasks as they are; no memory is left behind', async () => {
    const k = openKernel({ backend: 'sim', abi: 'x86_64', clock: new VirtualClock() });
    if (!(k instanceof SimKernel)) throw new Error('sim kernel expected');
    const a = await k.taskCreate();
    const b = await k.taskCreate();
    const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
    const big = Uint8Array.from({ length: 64 * PAGE }, (_, i) => (i * 7) & 0xff);
    const odd = Uint8Array.from({ length: 3 * PAGE + 5 }, (_, i) => (i * 3) & 0xff);
    const want = [big.slice(), odd.slice(), new Uint8Array(0)];
    const ool = (n: number) => ({ kind: 'ool' as const, type: { name: 9, size: 8, number: n, inline: false, longform: true, deallocate: false }, address: 0n });
    const msg: MachMessage = {
      header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: to, localPort: 0, seqno: 0, id: 99 },
      items: [ool(big.length), ool(odd.length), ool(0)],
    };
    const placed = await placeOol(k, a, msg, [big, odd, new Uint8Array(0)]);
    expect(placed.items.map((i) => i.type.deallocate)).toEqual([true, true, false]);
    expect((await k.msg(a, { options: MACH_SEND_MSG, send: encodeMessage(placed, k.abi) })).kr).toBe(0);
    const r = await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: srv, timeout: 0 });
    expect(r.kr).toBe(0);
    const got = await takeOol(k, b, decodeMessage(r.message!, k.abi));
    expect(got.map((g) => Buffer.from(g).toString('hex'))).toEqual(want.map((w) => Buffer.from(w).toString('hex')));
    // Whole pages were handed along, not copied.
    expect(got[0]!.buffer).toBe(big.buffer);
    for (const t of [a, b]) expect(k.core.tasks.get(t)!.vm.regions).toEqual([]);
    await k.close();
  });
});
