/**
 * The export task serves several requests at once (a libports-style pool of
 * in-flight requests): a read that waits (an empty FIFO with a writer, as a
 * Hurd pipe read without O_NONBLOCK waits) does not hold up another
 * client's io_stat or read, nor another port of the same client, whose
 * replies then arrive before it (out of order, as from a multi-threaded MIG
 * server). What must stay in order does: reads at the file pointer of one
 * open, pipelined on one port or on io_duplicate'd ports, return
 * consecutive pieces. interrupt_operation ends a waiting read with EINTR,
 * and O_NONBLOCK makes it EAGAIN at once. Real nodes on loopback, a real
 * FIFO (mkfifo(1)); nothing is timed: each "does not block" check awaits
 * the other call while the waiting read is provably still pending.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants as FS, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { getBuiltinInterface } from 'mach-msg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect, HurdErrno, isNetmsgServerError, O_NONBLOCK, O_READ, silentLogger, startNode, type FsClient, type RunningNode,
} from '../src/index.js';
import { MAX_IN_FLIGHT } from '../src/cluster/export-task.js';
import { makeTree, pattern, until, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const SECRET = 'export concurrency test secret';

/** A promise and whether it has settled yet. */
function track<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  const q = p.finally(() => {
    done = true;
  });
  q.catch(() => undefined);
  return { p: q, settled: () => done };
}

function dataOf(r: { args: Record<string, unknown>; ool: Uint8Array[] }): Uint8Array {
  const d = r.args['data'];
  return d instanceof Uint8Array && d.length > 0 ? d : (r.ool[0] ?? new Uint8Array(0));
}

describe('concurrent export task (a node on loopback)', () => {
  let tree: Tree;
  let node: RunningNode;
  let a: FsClient;
  let b: FsClient;
  let writer: number;
  const big = pattern(50_000, 77);

  beforeAll(async () => {
    tree = makeTree();
    writeFileSync(join(tree.root, 'seq.bin'), big);
    const mk = spawnSync('mkfifo', [join(tree.root, 'pipe')]);
    if (mk.status !== 0) throw new Error(`mkfifo: ${mk.stderr}`);
    giveTree(tree.root);
    // A writer that never closes while the tests run: the FIFO is empty, not at EOF (O_RDWR never blocks on Linux).
    writer = openSync(join(tree.root, 'pipe'), FS.O_RDWR | FS.O_NONBLOCK);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    a = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 60_000 });
    b = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 60_000 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await node?.close();
    if (writer !== undefined) closeSync(writer);
    tree?.cleanup();
  });

  it('a read waiting on an empty FIFO does not block another client, nor another port of the same client', async () => {
    const fifo = await a.lookup('pipe', O_READ);
    const waiting = track(a.call(fifo, 'io_read', { offset: -1n, amount: 100n }));
    // Another client: io_stat and a whole read, answered while the FIFO read still waits.
    const st = await b.stat('hello.txt');
    expect(st.size).toBe(BigInt(tree.files['hello.txt']!.length));
    expect(Buffer.from(await b.read('sub/deep/big.bin')).equals(Buffer.from(tree.files['sub/deep/big.bin']!))).toBe(true);
    // The same client on another port: its reply overtakes the older request's.
    expect(Buffer.from(await a.read('sub/small.bin')).equals(Buffer.from(tree.files['sub/small.bin']!))).toBe(true);
    expect(waiting.settled()).toBe(false);
    expect(node.cluster.exportTask?.busy).toBeGreaterThanOrEqual(1);
    writeSync(writer, 'through the pipe');
    expect(new TextDecoder().decode(dataOf(await waiting.p))).toBe('through the pipe');
    a.release(fifo);
  });

  it('interrupt_operation on the port ends a waiting read with EINTR; O_NONBLOCK answers EAGAIN at once', async () => {
    const fifo = await a.lookup('pipe', O_READ);
    const waiting = track(a.call(fifo, 'io_read', { offset: -1n, amount: 100n }));
    expect((await b.stat('hello.txt')).size).toBe(12n);
    expect(waiting.settled()).toBe(false);
    const intr = getBuiltinInterface('interrupt', 'x86_64').routine('interrupt_operation');
    const reply = await a.rawCall(intr.encodeRequest({}, { header: { remotePort: fifo } }), []);
    expect(intr.decodeReply(reply.msg).retCode).toBe(0);
    const e = await waiting.p.then(() => undefined, (x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code === 'rpc_failed' && e.kern === HurdErrno.EINTR).toBe(true);

    await a.call(fifo, 'io_set_some_openmodes', { bits_to_set: O_NONBLOCK });
    const e2 = await a.call(fifo, 'io_read', { offset: -1n, amount: 100n }).then(() => undefined, (x: unknown) => x);
    expect(isNetmsgServerError(e2) && e2.kern === HurdErrno.EAGAIN).toBe(true);
    a.release(fifo);
  });

  it('keeps reads at one open\'s file pointer in order: pipelined on one port and on an io_duplicate of it', async () => {
    const port = await a.lookup('seq.bin', O_READ);
    const piece = 1000;
    const n = 24;
    const reads = Array.from({ length: n }, () => a.call(port, 'io_read', { offset: -1n, amount: BigInt(piece) }));
    const got = await Promise.all(reads);
    got.forEach((r, i) => expect(Buffer.from(dataOf(r)).equals(Buffer.from(big.subarray(i * piece, (i + 1) * piece))), `read ${i}`).toBe(true));

    const dup = (await a.call(port, 'io_duplicate', {})).args['newport'] as { name: number } | number;
    const dupName = typeof dup === 'number' ? dup : dup.name;
    const from = n * piece;
    const mixed = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      a.call(i % 2 === 0 ? port : dupName, 'io_read', { offset: -1n, amount: BigInt(piece) })));
    mixed.forEach((r, i) => expect(Buffer.from(dataOf(r)).equals(Buffer.from(big.subarray(from + i * piece, from + (i + 1) * piece))), `mixed ${i}`).toBe(true));
    a.release(dupName);
    a.release(port);
  });

  it(`serves at most ${MAX_IN_FLIGHT} requests at once; the rest wait in their ports' queues and are served as places free up`, async () => {
    const clients = [a, b];
    const n = MAX_IN_FLIGHT + 4;
    const ports = await Promise.all(Array.from({ length: n }, (_, i) => clients[i % 2]!.lookup('pipe', O_READ)));
    const reads = ports.map((p, i) => track(clients[i % 2]!.call(p, 'io_read', { offset: -1n, amount: 100n })));
    await until(() => node.cluster.exportTask?.busy === MAX_IN_FLIGHT);
    // A request beyond the bound waits too (io_stat on the root queues behind the pool, not served yet).
    const stat = track(b.stat(''));
    // Give it every chance to be served (event-loop turns, no clock): it must not be.
    for (let i = 0; i < 500; i++) await new Promise((r) => setImmediate(r));
    expect(node.cluster.exportTask?.busy).toBe(MAX_IN_FLIGHT);
    expect(stat.settled()).toBe(false);
    // Each write feeds one waiting read (a read takes what the pipe holds); the queued ones get their turn.
    for (let k = 1; k <= n; k++) {
      writeSync(writer, 'x');
      await until(() => reads.filter((r) => r.settled()).length >= k);
    }
    const got = await Promise.all(reads.map((r) => r.p));
    expect(got.map((r) => new TextDecoder().decode(dataOf(r))).join('')).toBe('x'.repeat(n));
    expect((await stat.p).mode & 0o170000).toBe(0o040000);
    ports.forEach((p, i) => clients[i % 2]!.release(p));
  });
});
