/**
 * The size of one io_read answer (fs/export.ts MAX_TRANSFER, 16 MiB) and the
 * link frame that carries it (tcp-link.ts LINK_FRAME_BYTES). Hurd's io_read
 * takes the amount from the caller and may answer fewer bytes: a request
 * over the cap gets exactly the cap, the file's own bytes. Between two nodes
 * of this build such an answer is ONE out-of-line frame, which the receiver
 * lands in a pooled buffer it lends as the item (releasable once); a peer
 * that announced a smaller frame limit (an older build: 1 MiB + 4 KiB) gets
 * the same bytes split over OOL_CHUNK frames and gathered. A short answer
 * (a read at or past the end of the file, as a client reading ahead sends
 * at the end of every file) gives the node's pooled buffer straight back.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { POOL_MIN_BYTES, receivePool, withLimits, type WireMessage } from 'netmsg-wire';
import { afterEach, describe, expect, it } from 'vitest';
import { dialTransport, MAX_TRANSFER, TcpLink } from '../src/index.js';
import { oolBuffers } from '../src/cluster/ool-buffers.js';
import { pattern, until } from './helpers.js';
import { useFileNode } from './fs-harness.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

describe('io_read answers of MAX_TRANSFER (a node on loopback)', () => {
  const file = pattern(2 * MAX_TRANSFER + 4321, 41);
  const fx = useFileNode({ big: file }, 'io-read transfer test secret');

  it('is 16 MiB, and a request for more is answered with exactly that much, the file\'s bytes', async () => {
    expect(MAX_TRANSFER).toBe(16 << 20);
    const port = await fx.c.lookup('big.bin');
    try {
      for (const [offset, amount, want] of [
        [0, 2 * MAX_TRANSFER, MAX_TRANSFER],
        [4321, MAX_TRANSFER + 1, MAX_TRANSFER],
        [2 * MAX_TRANSFER - 5, 3 * MAX_TRANSFER, 5 + 4321], // short: the end of the file
      ] as const) {
        const r = await fx.c.call(port, 'io_read', { offset: BigInt(offset), amount: BigInt(amount) });
        const d = r.ool[0]!;
        expect(d.length, `${offset}+${amount}`).toBe(want);
        expect(same(d, file.subarray(offset, offset + want)), `${offset}+${amount}`).toBe(true);
        // A large answer is one frame, one lent receive buffer: released once, then not
        // again. A small one (under POOL_MIN_BYTES) has a buffer of its own, never lent.
        expect(fx.c.releaseOol(d)).toBe(want >= POOL_MIN_BYTES);
        expect(fx.c.releaseOol(d)).toBe(false);
      }
    } finally {
      fx.c.release(port);
    }
  });

  it('a short answer (past the end, or a small tail) leaves no pool buffer lent: the next read reuses it', async () => {
    const port = await fx.c.lookup('big.bin');
    try {
      await fx.c.call(port, 'io_read', { offset: 0n, amount: BigInt(MAX_TRANSFER) }); // the pool holds a buffer from here on
      const taken = oolBuffers.taken;
      const reused = oolBuffers.reused;
      // What a client reading ahead sends at the end of every file: reads at and past its end.
      for (const offset of [file.length, file.length + MAX_TRANSFER, file.length - 100, file.length - 4321, file.length, file.length]) {
        const r = await fx.c.call(port, 'io_read', { offset: BigInt(offset), amount: BigInt(MAX_TRANSFER) });
        const d = r.ool[0] ?? (r.args['data'] as Uint8Array);
        expect(same(d, file.subarray(offset)), `at ${offset}`).toBe(true);
      }
      expect(oolBuffers.taken - taken).toBe(6);
      expect(oolBuffers.reused - reused).toBe(6);
    } finally {
      fx.c.release(port);
    }
  });
});

describe('a MAX_TRANSFER (16 MiB) out-of-line item over a link', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const secret = new TextEncoder().encode('link frame size test secret');
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** Sends `data` as one out-of-line item from a default link to one made with `limits`; answers the received item. */
  async function across(data: Uint8Array, limits?: ReturnType<typeof withLimits>): Promise<Uint8Array> {
    const port = await new Promise<number>((resolve) => {
      const server = createServer((socket) => {
        sockets.push(socket);
        const out: TcpLink = new TcpLink(socket, { node: 1, secret }, {
          established: () => out.sendFrame({ kind: 'message', msg: {
            dest: { right: 'send', id: { node: 2, serial: 9 } }, reply: { tag: 'null' }, msgId: 7, otherBits: 0,
            items: [{ kind: 'ool', name: 9, size: 8, count: data.length, longform: true, deallocate: false, data }],
          } }),
        });
      });
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    const { socket } = await dialTransport({ host: '127.0.0.1', port });
    sockets.push(socket);
    const got: WireMessage[] = [];
    const link = new TcpLink(socket, { node: 2, secret, ...(limits ? { limits } : {}) }, { message: (m) => got.push(m) });
    try {
      await until(() => got.length === 1);
      const it = got[0]!.items[0]!;
      if (it.kind !== 'ool') throw new Error(`item ${it.kind}`);
      return it.data;
    } finally {
      link.close('normal', 'done');
    }
  }

  it('travels as one frame between nodes of this build (its receive buffer is lent, released once)', async () => {
    const data = pattern(MAX_TRANSFER, 5);
    const got = await across(data);
    expect(same(got, data)).toBe(true);
    expect(receivePool.release(got)).toBe(true);
    expect(receivePool.release(got)).toBe(false);
  });

  it('reaches a peer with a 1 MiB frame limit intact, in frames of its size, gathered (nothing lent)', async () => {
    const data = pattern(MAX_TRANSFER + 12_345, 6);
    const got = await across(data, withLimits({ maxFrameBytes: (1 << 20) + 4096 }));
    expect(same(got, data)).toBe(true);
    expect(receivePool.release(got)).toBe(false);
  });
});
