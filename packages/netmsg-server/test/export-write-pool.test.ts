/**
 * The export's io_write gives the request's out-of-line data back to the
 * link's receive pool once the write is complete (netmsg-wire
 * receive-pool.ts; MIG's server stub vm_deallocates a received data_t after
 * the routine). A node on loopback, real files in a temp dir and a real
 * FIFO (mkfifo(1)) to keep the export busy; nothing is timed. 1 MiB
 * io_writes (each one pooled OOL_CHUNK frame on the node's side) land in
 * buffers earlier writes gave back, and no buffer is handed to a new frame
 * while the write of the data in it is still to finish, also when the
 * requests wait in their ports' queues while later frames arrive: what
 * reaches the file is exactly what each request carried.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants as FS, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MachMessage } from 'mach-msg';
import { receivePool } from 'netmsg-wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MAX_TRANSFER, O_CREAT, O_READ, O_WRITE, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { MAX_IN_FLIGHT } from '../src/cluster/export-task.js';
import { makeTree, pattern, until, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const SECRET = 'export write pool test secret';
const MIB = MAX_TRANSFER;

describe('io_write: the request\'s receive buffer goes back to the pool once the file is written (a node on loopback)', () => {
  // A writable node (useFileNode's is read-only), its client on loopback.
  const fx = {} as { node: RunningNode; c: FsClient; other: FsClient; tree: Tree };
  let writer: number | undefined;
  beforeAll(async () => {
    fx.tree = makeTree();
    const mk = spawnSync('mkfifo', [join(fx.tree.root, 'pipe')]);
    if (mk.status !== 0) throw new Error(`mkfifo: ${mk.stderr}`);
    giveTree(fx.tree.root);
    // A writer kept open: the FIFO is empty, not at EOF, so reads on it wait (O_RDWR never blocks on Linux).
    writer = openSync(join(fx.tree.root, "pipe"), FS.O_RDWR | FS.O_NONBLOCK);
    fx.node = await startNode({ export: fx.tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
    fx.c = await connect(`127.0.0.1:${fx.node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    // Another client (link) that keeps the export busy: a link lets in at most 16 unanswered requests (RequestGate).
    fx.other = await connect(`127.0.0.1:${fx.node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await fx.c?.close();
    await fx.other?.close();
    await fx.node?.close();
    if (writer !== undefined) closeSync(writer);
    fx.tree?.cleanup();
  });
  const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

  /**
   * Watch the export serve io_writes: per request, the buffer its data is
   * in, whether that data was still what the client sent when the write
   * began (`expect` by offset), and whether the pool handed that buffer to
   * another frame while the write was running.
   */
  function watchWrites(expectAt: (offset: bigint) => Uint8Array | undefined) {
    const fsx = fx.node.cluster.exportTask!.fsx;
    const handle = fsx.handle.bind(fsx);
    const take = receivePool.take.bind(receivePool);
    const writing = new Set<ArrayBufferLike>();
    const seen: { buffer: ArrayBufferLike; intact: boolean }[] = [];
    let takenWhileWriting = 0;
    receivePool.take = (n: number) => {
      const b = take(n);
      if (b && writing.has(b.buffer)) takenWhileWriting++;
      return b;
    };
    fsx.handle = (req: MachMessage, ool: readonly Uint8Array[], pre) => {
      const data = ool[0];
      if (!data || data.length < MIB) return handle(req, ool, pre);
      const offsetItem = req.items.find((it) => it.kind === 'data' && it.type.size === 64);
      const offset = offsetItem && offsetItem.kind === 'data' ? new DataView(offsetItem.data.buffer, offsetItem.data.byteOffset).getBigInt64(0, true) : -1n;
      const want = expectAt(offset);
      seen.push({ buffer: data.buffer, intact: want !== undefined && same(data, want) });
      writing.add(data.buffer);
      try {
        return handle(req, ool, pre);
      } finally {
        writing.delete(data.buffer);
      }
    };
    return {
      seen,
      takenWhileWriting: () => takenWhileWriting,
      stop: () => {
        fsx.handle = handle;
        receivePool.take = take;
      },
    };
  }

  it('one write after another: each 1 MiB request lands in the buffer the previous write gave back', async () => {
    const n = 8;
    const parts = Array.from({ length: n }, (_, i) => pattern(MIB, 10 + i));
    const w = watchWrites((off) => parts[Number(off) / MIB]);
    const port = await fx.c.lookup('seq.bin', O_WRITE | O_CREAT, 0o644);
    const before = receivePool.stats();
    try {
      for (let i = 0; i < n; i++) {
        const r = await fx.c.call(port, 'io_write', { data: parts[i]!, offset: BigInt(i * MIB) });
        expect(Number(r.args['amount'])).toBe(MIB);
      }
    } finally {
      fx.c.release(port);
      w.stop();
    }
    const after = receivePool.stats();
    expect(w.seen).toHaveLength(n);
    expect(w.seen.every((s) => s.intact)).toBe(true);
    // Every request's buffer was given back, and later requests reused them.
    expect(after.released - before.released).toBeGreaterThanOrEqual(n);
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(n - 1);
    expect(new Set(w.seen.map((s) => s.buffer)).size).toBeLessThan(n);
    expect(w.takenWhileWriting()).toBe(0);
    expect(same(readFileSync(join(fx.tree.root, 'seq.bin')), Buffer.concat(parts))).toBe(true);
  });

  it('writes that wait behind a busy export: each keeps its own bytes until written, then its buffer serves a later frame', async () => {
    const n = 12;
    const parts = Array.from({ length: n }, (_, i) => pattern(MIB, 40 + i));
    const w = watchWrites((off) => parts[Number(off) / MIB]);
    // One open per range (each port has its own credit on the link) and the
    // export's every place taken by another link's reads waiting on an empty FIFO: all the
    // writes' frames arrive, and their messages wait in the ports' queues,
    // before any of them is served. A buffer given back before its write
    // (on delivery, say) would be taken by a later frame meanwhile.
    const ports = await Promise.all(parts.map(() => fx.c.lookup('queued.bin', O_WRITE | O_CREAT, 0o644)));
    const fifos = await Promise.all(Array.from({ length: MAX_IN_FLIGHT }, () => fx.other.lookup('pipe', O_READ)));
    const before = receivePool.stats();
    try {
      const reads = fifos.map((f) => fx.other.call(f, 'io_read', { offset: -1n, amount: 1n }));
      await until(() => fx.node.cluster.exportTask?.busy === MAX_IN_FLIGHT);
      const order = [3, 0, 7, 1, 11, 5, 2, 9, 4, 10, 6, 8];
      const writes = order.map((i) => fx.c.call(ports[i]!, 'io_write', { data: parts[i]!, offset: BigInt(i * MIB) }).then((r) => Number(r.args['amount'])));
      // Every frame in (the pool handed out a buffer for each), none served yet.
      await until(() => receivePool.stats().made + receivePool.stats().reused - before.made - before.reused >= n);
      expect(w.seen).toHaveLength(0);
      writeSync(writer!, 'x'.repeat(MAX_IN_FLIGHT));
      await Promise.all(reads);
      expect(await Promise.all(writes)).toEqual(order.map(() => MIB));
      // Again, the export idle now: these land in the buffers the first round gave back.
      const mid = receivePool.stats();
      await Promise.all(order.map((i) => fx.c.call(ports[i]!, 'io_write', { data: parts[i]!, offset: BigInt(i * MIB) })));
      expect(receivePool.stats().reused - mid.reused).toBeGreaterThan(0);
    } finally {
      for (const p of ports) fx.c.release(p);
      for (const f of fifos) fx.other.release(f);
      w.stop();
    }
    const after = receivePool.stats();
    expect(w.seen).toHaveLength(2 * n);
    expect(w.seen.every((s) => s.intact)).toBe(true);
    expect(w.takenWhileWriting()).toBe(0);
    expect(after.released - before.released).toBeGreaterThanOrEqual(2 * n);
    expect(same(readFileSync(join(fx.tree.root, 'queued.bin')), Buffer.concat(parts))).toBe(true);
  });

  it('small and inline writes are left alone (nothing of theirs is a receive buffer to give back)', async () => {
    const port = await fx.c.lookup('small.bin', O_WRITE | O_CREAT, 0o644);
    const before = receivePool.stats();
    try {
      await fx.c.call(port, 'io_write', { data: pattern(1000, 3), offset: 0n }); // inline
      await fx.c.call(port, 'io_write', { data: pattern(64 * 1024, 4), offset: 1000n }); // out-of-line, under the pool's size
    } finally {
      fx.c.release(port);
    }
    expect(receivePool.stats().released - before.released).toBe(0);
    expect(same(readFileSync(join(fx.tree.root, 'small.bin')), Buffer.concat([pattern(1000, 3), pattern(64 * 1024, 4)]))).toBe(true);
  });
});
