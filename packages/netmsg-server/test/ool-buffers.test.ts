/**
 * The node's out-of-line buffer pool (cluster/ool-buffers.ts): an io_read
 * answer's bytes are read into a buffer of the pool, travel without a copy
 * through the export task, the kernel and the netmsg task to the link, and
 * the buffer comes back to the pool only once the link's socket has written
 * them. A buffer is reused only after that, so no answer already sent (nor
 * one still queued for the socket) ever shows bytes of a later read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import type { LinkFrame, WireMessage } from 'netmsg-wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, dialTransport, silentLogger, startNode, TcpLink, type FsClient, type RunningNode } from '../src/index.js';
import { givenBackWhenWritten, oolBuffers, OolBufferPool, OolBufferTiers, pageAligned } from '../src/cluster/ool-buffers.js';
import { makeTree, pattern, until, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const MIB = 1 << 20;

function oolMessage(data: Uint8Array, msgId: number): WireMessage {
  return {
    dest: { right: 'send', id: { node: 2, serial: 9 } }, reply: { tag: 'null' }, msgId, otherBits: 0,
    items: [{ kind: 'ool', name: 9, size: 8, count: data.length, longform: true, deallocate: false, data }],
  };
}

describe('OolBufferPool', () => {
  it('takes back only buffers it lent, each once, and reuses them last in, first out', () => {
    const pool = new OolBufferPool(4096, 2);
    const a = pool.take();
    const b = pool.take();
    expect(a.length).toBe(4096);
    expect(a.buffer).not.toBe(b.buffer);
    expect(pool.giveBack(new Uint8Array(4096))).toBe(false);
    // A view of a lent buffer (an answer shorter than the buffer) gives the whole buffer back.
    expect(pool.giveBack(a.subarray(0, 100))).toBe(true);
    expect(pool.giveBack(a)).toBe(false);
    expect(pool.giveBack(b)).toBe(true);
    expect(pool.idle).toBe(2);
    expect(pool.take().buffer).toBe(b.buffer);
    expect(pool.take().buffer).toBe(a.buffer);
    expect(pool.reused).toBe(2);
    expect(pool.take().buffer).not.toBe(a.buffer);
    expect(pool.taken).toBe(5);
  });

  it('in tiers: an answer takes a buffer of the smallest size that holds it, and goes back to the pool that lent it', () => {
    const small = new OolBufferPool(4096, 2);
    const large = new OolBufferPool(4 * 4096, 1);
    const tiers = new OolBufferTiers([large, small]);
    expect(tiers.bytes).toBe(4 * 4096);
    const a = tiers.take(100);
    const b = tiers.take(4096);
    const c = tiers.take(4097);
    expect([a.length, b.length, c.length]).toEqual([4096, 4096, 4 * 4096]);
    expect([small.taken, large.taken, tiers.taken]).toEqual([2, 1, 3]);
    expect(() => tiers.take(4 * 4096 + 1)).toThrow(RangeError);
    expect(tiers.giveBack(new Uint8Array(4096))).toBe(false);
    expect(tiers.giveBack(c.subarray(0, 5000))).toBe(true);
    expect(tiers.giveBack(c)).toBe(false);
    expect(tiers.giveBack(a)).toBe(true);
    expect([small.idle, large.idle, tiers.idle]).toEqual([1, 1, 2]);
    // Each size reuses its own buffers only.
    expect(tiers.take(4 * 4096).buffer).toBe(c.buffer);
    expect(tiers.take(10).buffer).toBe(a.buffer);
    expect([small.reused, large.reused, tiers.reused]).toEqual([1, 1, 2]);
    // givenBackWhenWritten gives a frame's bytes back through the tiers.
    const d = tiers.take(3000);
    tiers.giveBack(b);
    const done = givenBackWhenWritten({ kind: 'message', msg: oolMessage(d.subarray(0, 3000), 2) }, tiers);
    done!();
    expect(small.idle).toBe(2);
  });

  it('makes buffers of the size asked, whole WebAssembly pages or not, zero filled and writable', () => {
    for (const n of [MIB, 64 * 1024, 1000, 0]) {
      const ab = pageAligned(n);
      expect(ab.byteLength).toBe(n);
      const v = new Uint8Array(ab);
      expect(v.every((b) => b === 0)).toBe(true);
      v.fill(0x5a);
      expect(v.every((b) => b === 0x5a)).toBe(true);
    }
    // Each one its own buffer (the pool tells lent buffers apart by identity).
    expect(pageAligned(MIB)).not.toBe(pageAligned(MIB));
  });

  it('keeps at most `keep` free buffers', () => {
    const pool = new OolBufferPool(1024, 1);
    const xs = [pool.take(), pool.take(), pool.take()];
    for (const x of xs) expect(pool.giveBack(x)).toBe(true);
    expect(pool.idle).toBe(1);
  });

  it('a frame gives back only its out-of-line buffers lent by the pool, and only when it carries some', () => {
    const pool = new OolBufferPool(1024, 4);
    const lent = pool.take();
    const control: LinkFrame = { kind: 'control', control: { t: 'credit', key: 'k', n: 1 } as never };
    expect(givenBackWhenWritten(control, pool)).toBeUndefined();
    expect(givenBackWhenWritten({ kind: 'message', msg: oolMessage(new Uint8Array(0), 1) }, pool)).toBeUndefined();
    const foreign = new Uint8Array(1024);
    const msg = oolMessage(lent.subarray(0, 1000), 2);
    msg.items.push({ kind: 'ool', name: 9, size: 8, count: 1024, longform: true, deallocate: false, data: foreign });
    const done = givenBackWhenWritten({ kind: 'message', msg }, pool);
    expect(done).toBeDefined();
    expect(pool.idle).toBe(0);
    done!();
    expect(pool.idle).toBe(1);
    expect(pool.take().buffer).toBe(lent.buffer);
  });
});

describe('TcpLink.sendFrame `written`', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const secret = new TextEncoder().encode('ool buffers test secret');
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('is called once per frame, after its bytes left: a sender scribbling on them then changes nothing received', async () => {
    const N = 24;
    const data = Array.from({ length: N }, (_, i) => pattern(i % 3 === 2 ? 70_000 + i : MIB, 300 + i));
    const sent = data.map((d) => d.slice());
    const written: number[] = [];
    let linkOut: TcpLink | undefined;
    const port = await new Promise<number>((resolve) => {
      const server = createServer((socket) => {
        sockets.push(socket);
        linkOut = new TcpLink(socket, { node: 1, secret }, {
          established: () => {
            sent.forEach((d, i) => linkOut!.sendFrame({ kind: 'message', msg: oolMessage(d, 100 + i) }, () => {
              written.push(i);
              // The bytes are the sender's again: a later read would overwrite them.
              d.fill(0xee);
            }));
            // A frame sent without a callback, and a control frame, in between.
            linkOut!.sendFrame({ kind: 'message', msg: oolMessage(new Uint8Array(10).fill(7), 999) });
          },
        });
      });
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    const { socket } = await dialTransport({ host: '127.0.0.1', port });
    sockets.push(socket);
    const got: WireMessage[] = [];
    const link = new TcpLink(socket, { node: 2, secret }, { message: (m) => got.push(m) });
    try {
      await until(() => got.length === N + 1 && written.length === N);
      expect(written).toEqual(Array.from({ length: N }, (_, i) => i));
      got.slice(0, N).forEach((m, i) => {
        const it = m.items[0];
        expect(m.msgId).toBe(100 + i);
        expect(it?.kind === 'ool' && Buffer.from(it.data).equals(Buffer.from(data[i]!)), `message ${i}`).toBe(true);
      });
      expect(sent.every((d) => d.every((b) => b === 0xee))).toBe(true);
    } finally {
      link.close('normal', 'done');
    }
  });

  it('is not called for a frame sent after the link closed', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer((socket) => {
        sockets.push(socket);
        socket.on('error', () => {});
      });
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    const { socket } = await dialTransport({ host: '127.0.0.1', port });
    sockets.push(socket);
    const link = new TcpLink(socket, { node: 2, secret }, {});
    link.close('normal', 'done');
    let called = false;
    link.sendFrame({ kind: 'message', msg: oolMessage(new Uint8Array(MIB), 1) }, () => (called = true));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(called).toBe(false);
  });
});

describe('io_read answers through the pool (a node on loopback)', () => {
  let tree: Tree;
  let node: RunningNode;
  let c: FsClient;
  const SIZE = 12 * MIB + 12_345;
  const file = pattern(SIZE, 77);
  beforeAll(async () => {
    tree = makeTree();
    writeFileSync(join(tree.root, 'big.bin'), file);
    giveTree(tree.root);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: 'ool pool secret' }, { logger: silentLogger });
    c = await connect(`127.0.0.1:${node.port}`, { secret: 'ool pool secret', timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await c?.close();
    await node?.close();
    tree?.cleanup();
  });

  it('reuses buffers, and every answer (8 in flight, 1 MiB each, a short last one) holds exactly the file\'s bytes', async () => {
    const port = await c.lookup('big.bin');
    try {
      const before = { taken: oolBuffers.taken, reused: oolBuffers.reused, large: oolBuffers.pools.at(-1)!.taken };
      for (let round = 0; round < 3; round++) {
        // Offsets in a scrambled order, so neighbouring answers come from different places of the file.
        const offsets = Array.from({ length: Math.ceil(SIZE / MIB) }, (_, i) => ((i * 5) % Math.ceil(SIZE / MIB)) * MIB);
        const answers = new Map<number, Uint8Array>();
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < offsets.length) {
            const off = offsets[next++]!;
            const r = await c.call(port, 'io_read', { offset: BigInt(off), amount: BigInt(MIB) });
            const d = r.args['data'];
            answers.set(off, d instanceof Uint8Array && d.length > 0 ? d : (r.ool[0] ?? new Uint8Array(0)));
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        for (const off of offsets) {
          const want = file.subarray(off, Math.min(SIZE, off + MIB));
          expect(Buffer.from(answers.get(off)!).equals(Buffer.from(want)), `round ${round} offset ${off}`).toBe(true);
        }
      }
      // Every 1 MiB answer read into the pool; most of them into a buffer given back by an earlier answer's write.
      expect(oolBuffers.taken - before.taken).toBeGreaterThanOrEqual(3 * 13);
      expect(oolBuffers.reused - before.reused).toBeGreaterThan(0);
      // A 1 MiB answer takes a buffer of the small tier (4 MiB), never one of the 16 MiB ones kept for bulk reads.
      expect(oolBuffers.pools[0]!.bytes).toBe(4 * MIB);
      expect(oolBuffers.pools.at(-1)!.taken).toBe(before.large);
    } finally {
      c.release(port);
    }
  });
});
