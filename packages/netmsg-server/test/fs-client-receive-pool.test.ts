/**
 * The client's receive buffers reused (netmsg-wire receive-pool.ts): a 1 MiB
 * io_read reply lands in a buffer a released earlier reply left, which is
 * only sound if every buffer has one owner at a time. Checked here on a
 * real node over loopback: what `read` returned and what a caller kept
 * without releasing never change, whatever is read or written afterwards
 * (received out-of-line memory is the receiver's own, Mach's rule);
 * `readChunks` yields exactly the file, in order, each chunk intact until
 * the next is asked for; stopping early leaves the last chunk the caller's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { receivePool } from 'netmsg-wire';
import { describe, expect, it } from 'vitest';
import { MAX_TRANSFER } from '../src/index.js';
import { pattern } from './helpers.js';
import { useFileNode } from './fs-harness.js';

const SECRET = 'fs client receive pool test secret';

describe('client receive buffers: reused, never shared (a node on loopback)', () => {
  const sizes = { tiny: 1000, first: 64 * 1024, exact: MAX_TRANSFER, odd: 3 * MAX_TRANSFER + MAX_TRANSFER / 2 + 123, big: 12 * MAX_TRANSFER };
  const files = Object.fromEntries(Object.entries(sizes).map(([k, n], i) => [k, pattern(n, 70 + i)]));
  const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
  const fx = useFileNode(files, SECRET);

  it('read() results never change afterwards; their bulk answers are read into the result itself, taking no receive buffer', async () => {
    const before = receivePool.stats();
    const placed = fx.c.node.landings!.placed;
    const first = await fx.c.read('big.bin');
    const odd = await fx.c.read('odd.bin');
    for (let i = 0; i < 3; i++) expect(same(await fx.c.read('big.bin'), files['big']!)).toBe(true);
    // The file changes on the node: what we read earlier is ours and stays as it was.
    writeFileSync(join(fx.tree.root, 'big.bin'), pattern(sizes.big, 99));
    expect(same(await fx.c.read('big.bin'), pattern(sizes.big, 99))).toBe(true);
    writeFileSync(join(fx.tree.root, 'big.bin'), files['big']!);
    expect(same(first, files['big']!)).toBe(true);
    expect(same(odd, files['odd']!)).toBe(true);
    const after = receivePool.stats();
    // Each full answer was read from the socket into its place in its read's result (cluster/reply-landing.ts).
    expect(fx.c.node.landings!.placed - placed).toBeGreaterThanOrEqual(5 * 12);
    expect(after.made - before.made + after.reused - before.reused).toBe(0);
  });

  it('readChunks yields each file exactly, in order; copies kept stay intact', async () => {
    for (const [k, data] of Object.entries(files)) {
      const kept: Uint8Array[] = [];
      let at = 0;
      for await (const chunk of fx.c.readChunks(`${k}.bin`)) {
        expect(chunk.length, k).toBeGreaterThan(0);
        expect(same(chunk, data.subarray(at, at + chunk.length)), `${k} at ${at}`).toBe(true);
        kept.push(chunk.slice());
        at += chunk.length;
      }
      expect(at, k).toBe(data.length);
      expect(same(Buffer.concat(kept), data), k).toBe(true);
    }
  });

  it('a chunk is the caller\'s until it asks for the next; stopping early leaves the last one its own', async () => {
    const data = files['big']!;
    const it = fx.c.readChunks('big.bin');
    const a = await it.next();
    const b = await it.next();
    expect(a.done || b.done).toBe(false);
    const from = (a.value as Uint8Array).length; // the first io_read's (64 KiB)
    const second = b.value as Uint8Array;
    expect(same(second, data.subarray(from, from + second.length))).toBe(true);
    await it.return(undefined); // stop early: the in-flight reads are dropped, the file released
    for (let i = 0; i < 2; i++) expect(same(await fx.c.read('big.bin'), data)).toBe(true);
    expect(same(second, data.subarray(from, from + second.length))).toBe(true);
    // The released port: a break mid-file leaves the link usable and nothing pending.
    expect(same(await fx.c.read('tiny.bin'), files['tiny']!)).toBe(true);
  });

  it('by hand: a reply released with releaseOol is reused, one kept is never written again', async () => {
    const data = files['big']!;
    const port = await fx.c.lookup('big.bin');
    try {
      const at = (i: number) => fx.c.call(port, 'io_read', { offset: BigInt(i * MAX_TRANSFER), amount: BigInt(MAX_TRANSFER) }).then((r) => r.ool[0]!);
      const kept = await at(0);
      const given = await at(1);
      expect(same(given, data.subarray(MAX_TRANSFER, 2 * MAX_TRANSFER))).toBe(true);
      expect(fx.c.releaseOol(given)).toBe(true);
      expect(fx.c.releaseOol(given)).toBe(false); // once
      expect(fx.c.releaseOol(kept.slice())).toBe(false); // a copy is not a receive buffer
      const buffers = new Set<ArrayBufferLike>();
      for (let i = 2; i < 12; i++) {
        const d = await at(i);
        expect(same(d, data.subarray(i * MAX_TRANSFER, (i + 1) * MAX_TRANSFER))).toBe(true);
        expect(d.buffer).not.toBe(kept.buffer);
        buffers.add(d.buffer);
        fx.c.releaseOol(d);
      }
      // One reply at a time, each released: they keep landing in the same few buffers.
      expect(buffers.size).toBeLessThanOrEqual(3);
      expect(same(kept, data.subarray(0, MAX_TRANSFER))).toBe(true);
    } finally {
      fx.c.release(port);
    }
  });
});
