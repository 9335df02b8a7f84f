/**
 * Out-of-line data handed over whole (vm-map.ts takeAnon / adoptAnon):
 * a send with `deallocate` takes the sender's pages instead of copying
 * them, and copyout gives them to the receiver. What each task sees must
 * stay exactly Mach's copy semantics: the receiver gets the bytes as they
 * were at send time, zero beyond them, and no later write by either task,
 * to the transferred pages or to their neighbours, shows through the other.
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage, KERN_SUCCESS, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE, type MsgItem } from 'mach-msg';
import { poll, setup, sound } from './helpers.js';

const PAGE = 4096;

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 12)) & 0xff;
  return b;
}

async function world() {
  const { k, a, b, abi } = await setup();
  const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
  const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const ool = (at: number, n: number, deallocate: boolean): MsgItem => ({
    kind: 'ool',
    type: { name: 9, size: 8, number: n, inline: false, longform: true, deallocate },
    address: BigInt(at),
  });
  const send = (at: number, n: number, deallocate: boolean) =>
    k.msg(a, {
      options: 1,
      send: encodeMessage({ header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: to, localPort: 0, seqno: 0, id: 7 }, items: [ool(at, n, deallocate)] }, abi),
    });
  const received = async () => {
    const got = (await poll(k, b, srv, abi)).msg!.items[0]!;
    if (got.kind !== 'ool') throw new Error('expected out-of-line data');
    return Number(got.address);
  };
  return { k, a, b, send, received };
}

describe('out-of-line transfer of whole pages', () => {
  it('moves a deallocated range: the receiver has the bytes, the sender keeps its neighbours, neither sees the other write', async () => {
    const { k, a, b, send, received } = await world();
    // One vm_write lays 8 fresh pages out back to back; pages 2..5 travel.
    const region = (await k.vmAllocate(a, 0, 8 * PAGE, true)).address;
    const all = pattern(8 * PAGE, 1);
    expect(await k.vmWrite(a, region, all)).toBe(KERN_SUCCESS);
    expect((await send(region + 2 * PAGE, 4 * PAGE, true)).kr).toBe(KERN_SUCCESS);
    const at = await received();
    expect((await k.vmRead(b, at, 4 * PAGE)).data).toEqual(all.subarray(2 * PAGE, 6 * PAGE));
    // The sent range is gone from the sender; the rest is intact.
    expect((await k.vmRead(a, region + 2 * PAGE, PAGE)).kr).not.toBe(KERN_SUCCESS);
    expect((await k.vmRead(a, region, 2 * PAGE)).data).toEqual(all.subarray(0, 2 * PAGE));
    expect((await k.vmRead(a, region + 6 * PAGE, 2 * PAGE)).data).toEqual(all.subarray(6 * PAGE));
    // Writes on each side stay on that side.
    expect(await k.vmWrite(a, region + PAGE, new Uint8Array(PAGE).fill(0xaa))).toBe(KERN_SUCCESS); // next to the sent pages, same backing
    expect(await k.vmWrite(a, region + 6 * PAGE, new Uint8Array(2 * PAGE).fill(0xbb))).toBe(KERN_SUCCESS);
    expect(await k.vmWrite(b, at, new Uint8Array(4 * PAGE).fill(0xcc))).toBe(KERN_SUCCESS);
    expect((await k.vmRead(b, at, 4 * PAGE)).data).toEqual(new Uint8Array(4 * PAGE).fill(0xcc));
    expect((await k.vmRead(a, region, PAGE)).data).toEqual(all.subarray(0, PAGE));
    expect((await k.vmRead(a, region + PAGE, PAGE)).data).toEqual(new Uint8Array(PAGE).fill(0xaa));
    sound(k);
  });

  it('a range that does not end on a page: the receiver sees zeros after the data, not the sender\'s page tail', async () => {
    const { k, a, b, send, received } = await world();
    const region = (await k.vmAllocate(a, 0, 3 * PAGE, true)).address;
    const all = pattern(3 * PAGE, 2);
    await k.vmWrite(a, region, all);
    const n = 2 * PAGE + 100;
    expect((await send(region, n, true)).kr).toBe(KERN_SUCCESS);
    const at = await received();
    const got = (await k.vmRead(b, at, 3 * PAGE)).data!;
    expect(got.subarray(0, n)).toEqual(all.subarray(0, n));
    expect(got.subarray(n)).toEqual(new Uint8Array(3 * PAGE - n));
    sound(k);
  });

  it('a send without deallocate copies: later writes by the sender do not reach the message', async () => {
    const { k, a, b, send, received } = await world();
    const region = (await k.vmAllocate(a, 0, 4 * PAGE, true)).address;
    const all = pattern(4 * PAGE, 3);
    await k.vmWrite(a, region, all);
    expect((await send(region + 10, 3 * PAGE, false)).kr).toBe(KERN_SUCCESS);
    await k.vmWrite(a, region, new Uint8Array(4 * PAGE).fill(0xdd));
    const at = await received();
    expect((await k.vmRead(b, at, 3 * PAGE)).data).toEqual(all.subarray(10, 10 + 3 * PAGE));
    expect((await k.vmRead(a, region, 4 * PAGE)).data).toEqual(new Uint8Array(4 * PAGE).fill(0xdd));
    sound(k);
  });

  it('pages written one at a time (not one backing) still transfer exactly', async () => {
    const { k, a, b, send, received } = await world();
    const region = (await k.vmAllocate(a, 0, 4 * PAGE, true)).address;
    const pages = [0, 1, 2, 3].map((i) => pattern(PAGE, 10 + i));
    for (const [i, p] of pages.entries()) await k.vmWrite(a, region + i * PAGE, p);
    // Overwrite the middle across a page boundary, so contents mix.
    const mid = pattern(PAGE, 99);
    await k.vmWrite(a, region + PAGE + 2048, mid);
    const want = (await k.vmRead(a, region, 4 * PAGE)).data!;
    expect((await send(region, 4 * PAGE, true)).kr).toBe(KERN_SUCCESS);
    const at = await received();
    expect((await k.vmRead(b, at, 4 * PAGE)).data).toEqual(want);
    sound(k);
  });
});
