import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type Abi } from 'mach-msg';
import {
  connect, HurdErrno, isNetmsgServerError, O_READ, O_WRITE, silentLogger, startNode, type FsClient, type RunningNode,
} from '../src/index.js';
import { fitMigAbi } from '../src/cluster/mig-abi.js';
import { isNetmsgServerError as isErr, parseNodeOptions } from '../src/index.js';
import { serveTransportFlags } from '../src/transport/cli-flags.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

/**
 * Peers of different ABIs (issue 7): a client whose kernel and task are
 * i386 against an x86_64 node's export, and an x86_64 client against an
 * i386 node, over TCP on loopback. Each client builds requests and decodes
 * replies with its own ABI's MIG layouts; the export answers in its own task's;
 * the node delivering a message fits vm_size_t, time and stat/statfs items
 * to its kernel's ABI. Results must be byte-exact and identical to a client
 * of the node's own ABI, errors included.
 */

const SECRET = 'mixed abi peers secret';

async function failure(p: Promise<unknown>): Promise<{ code: string; kern: number | undefined }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`);
  return { code: e.code, kern: e.kern };
}

for (const [nodeAbi, clientAbi] of [['x86_64', 'i386'], ['i386', 'x86_64']] as [Abi, Abi][]) {
  describe(`an ${clientAbi} client against an ${nodeAbi} node over TCP`, () => {
    let tree: Tree;
    let node: RunningNode;
    let foreign: FsClient;
    let native: FsClient;
    let base: number;
    beforeAll(async () => {
      tree = makeTree();
      giveTree(tree.root);
      node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true, abi: nodeAbi }, { logger: silentLogger });
      base = (await node.portTable()).exportPorts;
      foreign = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 30_000, abi: clientAbi });
      native = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 30_000, abi: nodeAbi });
    });
    afterAll(async () => {
      await foreign?.close();
      await native?.close();
      await node?.close();
      tree?.cleanup();
    });

    it('the ABIs are what they say', () => {
      expect(node.kernel.abi).toBe(nodeAbi);
      expect(foreign.kernel.abi).toBe(clientAbi);
      expect(foreign.abi).toBe(clientAbi);
      expect(native.abi).toBe(nodeAbi);
    });

    it('lists directories exactly as a native client does', async () => {
      for (const dir of ['', 'sub', 'sub/deep']) {
        const got = await foreign.readdir(dir);
        expect(got.length).toBeGreaterThan(0);
        expect(got).toEqual(await native.readdir(dir));
      }
    });

    it('reads files byte-exact, inline and out-of-line, with io_read amounts in its own vm_size_t', async () => {
      for (const p of ['hello.txt', 'sub/small.bin', 'sub/deep/big.bin']) {
        const want = readFileSync(join(tree.root, p));
        const got = await foreign.read(p);
        expect(Buffer.from(got).equals(want)).toBe(true);
      }
      const port = await foreign.open('sub/small.bin', O_READ);
      try {
        const r = await foreign.call(port, 'io_read', { offset: 10n, amount: clientAbi === 'i386' ? 100 : 100n });
        expect(Buffer.from(r.args['data'] as Uint8Array).equals(readFileSync(join(tree.root, 'sub/small.bin')).subarray(10, 110))).toBe(true);
        const readable = await foreign.call(port, 'io_readable', {});
        expect(BigInt(readable.args['amount'] as number | bigint)).toBe(BigInt(statSync(join(tree.root, 'sub/small.bin')).size));
      } finally {
        foreign.release(port);
      }
    });

    it('writes: io_write amounts come back in its own type; the file on the node holds the bytes', async () => {
      const data = pattern(150_000, 7);
      await foreign.write('sub/from-foreign.bin', data, { mode: 0o640 });
      expect(Buffer.from(readFileSync(join(tree.root, 'sub/from-foreign.bin'))).equals(Buffer.from(data))).toBe(true);
      expect(statSync(join(tree.root, 'sub/from-foreign.bin')).mode & 0o777).toBe(0o640);
      const port = await foreign.open('sub/from-foreign.bin', O_WRITE);
      try {
        const r = await foreign.call(port, 'io_write', { data: new Uint8Array([1, 2, 3]), offset: 5n });
        expect(r.args['amount']).toBe(clientAbi === 'i386' ? 3 : 3n);
      } finally {
        foreign.release(port);
      }
      expect([...readFileSync(join(tree.root, 'sub/from-foreign.bin')).subarray(5, 8)]).toEqual([1, 2, 3]);
      expect(Buffer.from(await native.read('sub/from-foreign.bin')).equals(readFileSync(join(tree.root, 'sub/from-foreign.bin')))).toBe(true);
    });

    it('stats are the same HurdStat a native client gets, and match the host', async () => {
      for (const p of ['hello.txt', 'sub', 'sub/deep/big.bin']) {
        const st = await foreign.stat(p);
        expect(st).toEqual(await native.stat(p));
        const host = statSync(join(tree.root, p), { bigint: true });
        expect(st.ino).toBe(host.ino);
        expect(st.size).toBe(host.size);
        expect(st.mode).toBe(Number(host.mode));
        expect(st.mtime.sec).toBe(host.mtimeMs / 1000n);
      }
    });

    it('times: utimens with seconds, UTIME_OMIT and UTIME_NOW cross both ways', async () => {
      await foreign.utimens('hello.txt', { sec: 1_000_000, nsec: 5 }, { sec: 2_000_000, nsec: 0 });
      const a = statSync(join(tree.root, 'hello.txt'));
      expect(Math.round(a.atimeMs / 1000)).toBe(1_000_000);
      expect(Math.round(a.mtimeMs / 1000)).toBe(2_000_000);
      await foreign.utimens('hello.txt', 'omit', 'now');
      const b = statSync(join(tree.root, 'hello.txt'));
      expect(Math.round(b.atimeMs / 1000)).toBe(1_000_000);
      expect(b.mtimeMs).toBeGreaterThan(a.mtimeMs);
    });

    it('file_statfs: the same numbers in its own fsys_statfsbuf_t', async () => {
      const root = await foreign.root();
      const nativeRoot = await native.root();
      const mine = (await foreign.call(root, 'file_statfs', {})).args['info'] as (number | bigint)[];
      const theirs = (await native.call(nativeRoot, 'file_statfs', {})).args['info'] as (number | bigint)[];
      expect(mine.length).toBe(clientAbi === 'i386' ? 22 : 14);
      // type, bsize, the 64-bit block count (two words on i386), namelen.
      const blocks = (w: (number | bigint)[], abi: Abi): bigint => abi === 'i386' ? (BigInt(w[3]! as number) << 32n) | BigInt((w[2]! as number) >>> 0) : BigInt(w[2]!);
      expect(BigInt(mine[0]!)).toBe(BigInt(theirs[0]!));
      expect(BigInt(mine[1]!)).toBe(BigInt(theirs[1]!));
      expect(blocks(mine, clientAbi)).toBe(blocks(theirs, nodeAbi));
      expect(BigInt(mine[clientAbi === 'i386' ? 14 : 8]!)).toBe(255n);
    });

    it('errors are the same typed errors a native client gets', async () => {
      for (const [what, f] of [
        ['missing file', (c: FsClient) => c.read('no/such/file')],
        ['escape', (c: FsClient) => c.read('../outside/secret.txt')],
        ['read a directory', (c: FsClient) => c.read('sub')],
        ['mkdir over a file', (c: FsClient) => c.mkdir('hello.txt')],
        ['rmdir a non-empty directory', (c: FsClient) => c.rmdir('sub')],
      ] as [string, (c: FsClient) => Promise<unknown>][]) {
        const a = await failure(f(foreign));
        expect(a.code, what).toBe('rpc_failed');
        expect(a, what).toEqual(await failure(f(native)));
      }
      expect((await failure(foreign.read('no/such/file'))).kern).toBe(HurdErrno.ENOENT);
    });

    it('ports are freed on the node once the clients let go', async () => {
      await foreign.close();
      await native.close();
      await until(async () => (await node.portTable()).exportPorts === base);
      expect(node.cluster.driver.errors).toEqual([]);
      expect(node.cluster.exportTask!.errors).toEqual([]);
    });
  });
}

async function until(f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000 && !(await f()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await f()).toBe(true);
}

describe('fitMigAbi (the MIG-aware fitting on delivery)', () => {
  it('leaves messages of this ABI, other interfaces and error replies alone, and fits the others both ways', async () => {
    const { getBuiltinInterface } = await import('mach-msg');
    const io64 = getBuiltinInterface('io', 'x86_64');
    const io32 = getBuiltinInterface('io', 'i386');
    const req64 = io64.routine('io_read').encodeRequest({ offset: 7n, amount: 0x1_0000_0005n }, { header: { remotePort: 5 } });
    expect(fitMigAbi(req64, 'x86_64')).toBe(req64);
    const fitted = fitMigAbi(req64, 'i386');
    // Larger than an i386 vm_size_t: its largest value.
    const a = io32.routine('io_read').decodeRequest(fitted).args;
    expect([a['offset'], (a['amount'] as number) >>> 0]).toEqual([7n, 0xffffffff]);
    const req32 = io32.routine('io_read').encodeRequest({ offset: -1n, amount: 0xfffffff0 }, { header: { remotePort: 5 } });
    expect(io64.routine('io_read').decodeRequest(fitMigAbi(req32, 'x86_64')).args).toEqual({ offset: BigInt.asUintN(64, -1n), amount: 0xfffffff0n });
    const err = io64.routine('io_stat').encodeReply({ retCode: HurdErrno.EBADF });
    expect(fitMigAbi(err, 'i386')).toBe(err);
    const other = { header: { ...req64.header, id: 50000 }, items: req64.items };
    expect(fitMigAbi(other, 'i386')).toBe(other);
    // Every fitted message encodes in the target ABI.
    expect(() => encodeMessage(fitted, 'i386')).not.toThrow();
    // An item with more elements than the i386 short descriptor holds takes the long form there.
    const big = { header: { ...req64.header, id: 50000 }, items: [{ kind: 'ool' as const, type: { name: 9, size: 8, number: 5000, inline: false, longform: false, deallocate: false }, address: 0n }] };
    expect(() => encodeMessage(big, 'i386')).toThrow();
    expect(fitMigAbi(big, 'i386').items[0]!.type.longform).toBe(true);
    expect(fitMigAbi(big, 'x86_64')).toBe(big);
    expect(() => encodeMessage(fitMigAbi(big, 'i386'), 'i386')).not.toThrow();
  });
});

describe('the abi option', () => {
  it('startNode / --config take x86_64 or i386, `serve --abi` maps to it, anything else names the option', () => {
    expect(parseNodeOptions({ abi: 'i386' }).abi).toBe('i386');
    expect(parseNodeOptions({}).abi).toBeUndefined();
    const e = (() => {
      try {
        parseNodeOptions({ abi: 'arm64' });
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(isErr(e) && e.code).toBe('bad_option');
    expect(String((e as Error).message)).toMatch(/option 'abi'/);
    expect(serveTransportFlags({ abi: 'i386' })).toEqual({ abi: 'i386' });
  });
});
