/**
 * FsClient.readInto / readPortInto: io_read into the caller's own memory.
 * On a real node over loopback: the file lands exactly at the offset given
 * (nothing before or after it is touched) at odd offsets and sizes, from the
 * file pointer, at the end of the file, for an empty file, concurrently into
 * one buffer; a buffer too small, a bad offset, a missing file fail with
 * their typed errors before any bulk read goes out; and reading again into
 * the same buffer takes no receive buffer (every bulk answer is read from
 * the socket into its place), and the node's io_read buffers go back to its pool.
 */
import { receivePool } from 'netmsg-wire';
import { describe, expect, it } from 'vitest';
import { HurdErrno, isNetmsgServerError, MAX_TRANSFER } from '../src/index.js';
import { oolBuffers } from '../src/cluster/ool-buffers.js';
import { IntoLanding } from '../src/read-landing.js';
import { pattern, until } from './helpers.js';
import { useFileNode } from './fs-harness.js';

const SECRET = 'fs client read into test secret';
const SEEK_SET = 0;
const SEEK_CUR = 1;
const GUARD = 0xee;

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
const untouched = (b: Uint8Array): boolean => b.every((x) => x === GUARD);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isNetmsgServerError(e) ? `${e.code}${e.kern === undefined ? '' : `:${e.kern}`}` : `not typed: ${String(e)}`;
  }
  return 'no error';
}

describe('IntoLanding (the caller\'s buffer)', () => {
  it('lands parts one after another from the offset and refuses what does not fit', () => {
    const buf = new Uint8Array(20).fill(GUARD);
    const l = new IntoLanding(buf, 3);
    l.reserve(17);
    l.put(Uint8Array.of(1, 2, 3));
    l.put(new Uint8Array(0));
    l.put(new Uint8Array(14).fill(9));
    expect(l.total).toBe(17);
    expect([...buf.subarray(0, 6)]).toEqual([GUARD, GUARD, GUARD, 1, 2, 3]);
    expect(buf.subarray(6).every((x) => x === 9)).toBe(true);
    expect(() => l.put(Uint8Array.of(1))).toThrow(expect.objectContaining({ code: 'buffer_too_small' }));
    expect(() => new IntoLanding(buf, 0).reserve(21)).toThrow(expect.objectContaining({ code: 'buffer_too_small' }));
    expect(l.total).toBe(17);
  });

  it('refuses offsets outside the buffer and anything but a Uint8Array, with typed errors', () => {
    const buf = new Uint8Array(8);
    for (const off of [-1, 9, 1.5, Number.NaN, Infinity, '1' as unknown as number]) {
      expect(() => new IntoLanding(buf, off), String(off)).toThrow(expect.objectContaining({ code: 'bad_offset' }));
    }
    expect(new IntoLanding(buf, 8).total).toBe(0); // the end itself: room for an empty file
    for (const b of [new ArrayBuffer(8), [1, 2], null]) {
      expect(() => new IntoLanding(b as unknown as Uint8Array, 0)).toThrow(expect.objectContaining({ code: 'bad_option' }));
    }
  });
});

describe('FsClient.readInto (a node on loopback)', () => {
  const sizes = { empty: 0, tiny: 1000, first: 64 * 1024, firstMore: 64 * 1024 + 1, exact: MAX_TRANSFER, odd: 3 * MAX_TRANSFER + MAX_TRANSFER / 2 + 123, big: 64 * 1024 + 5 * MAX_TRANSFER };
  const files = Object.fromEntries(Object.entries(sizes).map(([k, n], i) => [k, pattern(n, 120 + i)]));
  const fx = useFileNode(files, SECRET);

  it('lands every file exactly at odd offsets, touching nothing before or after it', async () => {
    for (const [k, data] of Object.entries(files)) {
      for (const offset of [0, 1, 7, 4093]) {
        const buf = new Uint8Array(offset + data.length + 13).fill(GUARD);
        expect(await fx.c.readInto(`${k}.bin`, buf, offset), `${k} at ${offset}`).toBe(data.length);
        expect(same(buf.subarray(offset, offset + data.length), data), `${k} at ${offset}`).toBe(true);
        expect(untouched(buf.subarray(0, offset)) && untouched(buf.subarray(offset + data.length)), `${k} at ${offset}`).toBe(true);
      }
    }
  });

  it('fits a file exactly to the end of the buffer, and an empty file at the very end', async () => {
    const data = files['odd']!;
    const buf = new Uint8Array(data.length + 5).fill(GUARD);
    expect(await fx.c.readInto('odd.bin', buf, 5)).toBe(data.length);
    expect(same(buf.subarray(5), data) && untouched(buf.subarray(0, 5))).toBe(true);
    expect(await fx.c.readInto('empty.bin', buf, buf.length)).toBe(0);
    expect(await fx.c.readInto('empty.bin', new Uint8Array(0))).toBe(0);
  });

  it('readPortInto reads from the file pointer, leaves it at the end, and reads nothing there', async () => {
    const data = files['odd']!;
    const port = await fx.c.open('odd.bin');
    try {
      expect(await fx.c.seek(port, 5000n, SEEK_SET)).toBe(5000n);
      const buf = new Uint8Array(data.length).fill(GUARD);
      expect(await fx.c.readPortInto(port, buf, 11)).toBe(data.length - 5000);
      expect(same(buf.subarray(11, 11 + data.length - 5000), data.subarray(5000))).toBe(true);
      expect(untouched(buf.subarray(0, 11)) && untouched(buf.subarray(11 + data.length - 5000))).toBe(true);
      expect(await fx.c.seek(port, 0n, SEEK_CUR)).toBe(BigInt(data.length));
      expect(await fx.c.readPortInto(port, buf, 0)).toBe(0); // EOF
      // Past the end (lseek allows it): nothing, as read(2) there.
      expect(await fx.c.seek(port, BigInt(data.length + MAX_TRANSFER), SEEK_SET)).toBe(BigInt(data.length + MAX_TRANSFER));
      expect(await fx.c.readPortInto(port, buf)).toBe(0);
    } finally {
      fx.c.release(port);
    }
  });

  it('a buffer one byte short fails with buffer_too_small before the bulk reads; bad arguments before any RPC', async () => {
    for (const k of ['tiny', 'firstMore', 'big']) {
      const data = files[k]!;
      const buf = new Uint8Array(data.length + 2).fill(GUARD);
      expect(await code(fx.c.readInto(`${k}.bin`, buf, 3)), k).toBe('buffer_too_small');
      // io_stat's size is checked after the first io_read (64 KiB): nothing past it was asked for.
      expect(untouched(buf.subarray(Math.min(buf.length, 3 + 64 * 1024))), k).toBe(true);
    }
    const rpcs = fx.c.rpcCount;
    expect(await code(fx.c.readInto('tiny.bin', new Uint8Array(10), 11))).toBe('bad_offset');
    expect(await code(fx.c.readInto('tiny.bin', new Uint8Array(10), -1))).toBe('bad_offset');
    expect(await code(fx.c.readInto('tiny.bin', [] as unknown as Uint8Array))).toBe('bad_option');
    expect(fx.c.rpcCount).toBe(rpcs);
    expect(await code(fx.c.readInto('missing.bin', new Uint8Array(10)))).toBe(`rpc_failed:${HurdErrno.ENOENT}`);
    // The link and the files are as before.
    const buf = new Uint8Array(sizes.tiny);
    expect(await fx.c.readInto('tiny.bin', buf)).toBe(sizes.tiny);
    expect(same(buf, files['tiny']!)).toBe(true);
  });

  it('concurrent reads into disjoint parts of one buffer each land exactly', async () => {
    const names = ['big', 'odd', 'tiny', 'exact', 'big', 'firstMore'];
    const at: number[] = [];
    let end = 0;
    for (const k of names) {
      at.push(end + 1);
      end += 1 + files[k]!.length;
    }
    const buf = new Uint8Array(end + 1).fill(GUARD);
    const got = await Promise.all(names.map((k, i) => fx.c.readInto(`${k}.bin`, buf, at[i]!)));
    names.forEach((k, i) => {
      expect(got[i], k).toBe(files[k]!.length);
      expect(same(buf.subarray(at[i]!, at[i]! + got[i]!), files[k]!), k).toBe(true);
      expect(buf[at[i]! - 1], `guard before ${k}`).toBe(GUARD);
    });
    expect(buf[end]).toBe(GUARD);
  });

  it('reading again into the same buffer takes no receive buffer at all: every bulk answer is read into its place; the node gets its io_read buffers back', async () => {
    const data = files['big']!;
    const buf = new Uint8Array(data.length);
    await fx.c.readInto('big.bin', buf); // warm
    const before = receivePool.stats();
    const placed = fx.c.node.landings!.placed;
    const node = { taken: oolBuffers.taken, reused: oolBuffers.reused };
    for (let i = 0; i < 4; i++) {
      buf.fill(0);
      expect(await fx.c.readInto('big.bin', buf)).toBe(data.length);
      expect(same(buf, data)).toBe(true);
    }
    const after = receivePool.stats();
    // Per read: 64 KiB at the pointer (a small frame), then 5 full io_reads, each
    // answer read from the socket straight into its place in `buf` (cluster/reply-landing.ts).
    expect(fx.c.node.landings!.placed - placed).toBe(4 * 5);
    expect(after.made - before.made).toBe(0);
    expect(after.reused - before.reused).toBe(0);
    // Node side: each full answer's buffer came from the pool and went back once written.
    await until(() => oolBuffers.reused - node.reused === oolBuffers.taken - node.taken);
    expect(oolBuffers.taken - node.taken).toBeGreaterThanOrEqual(4 * 5);
  });
});
