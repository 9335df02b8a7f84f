import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from 'hurd-ffi';
import { connect, isNetmsgServerError, mapFile, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';

// Remote memory over TCP on loopback: a node exports a tree read-write, two
// clients (each its own kernel and netmsg) map the same file through the
// node's file pager and see each other's writes.

const SECRET = 'map client secret 0123456789';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Remote users act as the export's owner; as root, make that an unprivileged one (nobody). */
function ownTree(tree: Tree, files: string[]): void {
  if (process.getuid?.() !== 0) return;
  for (const p of [tree.root, ...files.map((f) => join(tree.root, f))]) chownSync(p, 65534, 65534);
}

describe('client map over TCP', () => {
  let tree: Tree;
  let node: RunningNode;
  let c1: FsClient;
  let c2: FsClient;
  beforeAll(async () => {
    tree = makeTree();
    writeFileSync(join(tree.root, 'shared.bin'), new Uint8Array(2 * PAGE_SIZE + 100));
    ownTree(tree, ['shared.bin', 'hello.txt']);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
    c1 = await connect(`netmsg://127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    c2 = await connect(`netmsg://127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c1?.close();
    await c2?.close();
    await node?.close('test done');
    tree?.cleanup();
  });

  it('two clients map one file, each sees the other\'s writes, the file ends with the last write', async () => {
    const m1 = await mapFile(c1, 'shared.bin', { writable: true });
    const m2 = await mapFile(c2, 'shared.bin', { writable: true });
    expect(m1.size).toBe(3 * PAGE_SIZE);
    await m1.write(PAGE_SIZE - 3, enc('straddles'));
    expect(dec(await m2.read(PAGE_SIZE - 3, 9))).toBe('straddles');
    await m2.write(PAGE_SIZE + 2, enc('DLES!'));
    expect(dec(await m1.read(PAGE_SIZE - 3, 10))).toBe('stradDLES!');
    expect(node.maps.mapped()).toHaveLength(1);
    expect(node.maps.mapped()[0]!.kernels).toBe(2);
    const pager = node.maps.pagerOf('shared.bin')!;
    await m1.unmap();
    await m2.unmap();
    await pager.done;
    const onDisk = readFileSync(join(tree.root, 'shared.bin'));
    expect(onDisk.length).toBe(2 * PAGE_SIZE + 100);
    expect(dec(onDisk.subarray(PAGE_SIZE - 3, PAGE_SIZE + 7))).toBe('stradDLES!');
  });

  it('a read-only mapping reads and refuses writes; the node keeps no pager after unmap', async () => {
    const m = await mapFile(c1, 'hello.txt');
    expect(dec(await m.read(0, 12))).toBe('hello, hurd\n');
    const e = await m.write(0, enc('x')).then(() => undefined, (x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('map_failed');
    const pager = node.maps.pagerOf('hello.txt')!;
    await m.unmap();
    await pager.done;
    expect(node.maps.mapped()).toEqual([]);
    expect(readFileSync(join(tree.root, 'hello.txt'), 'utf8')).toBe('hello, hurd\n');
  });

  it('maps through a symlink that stays inside, never one that leads outside', async () => {
    const m = await mapFile(c1, 'link-in');
    expect(Buffer.from(await m.read(0, 2047)).equals(Buffer.from(tree.files['sub/small.bin']!))).toBe(true);
    const pager = node.maps.pagerOf('sub/small.bin');
    expect(pager).toBeDefined();
    await m.unmap();
    await pager!.done;
    for (const p of ['abs-out', 'sub/rel-out', 'dir-out/secret.txt', '../outside/secret.txt']) {
      const e = await mapFile(c1, p).then(() => undefined, (x: unknown) => x);
      expect(isNetmsgServerError(e), `${p}: ${String(e)}`).toBe(true);
    }
  });

  it('mapping a directory or a missing file fails with a typed error', async () => {
    for (const p of ['sub', 'no-such-file']) {
      const e = await mapFile(c1, p).then(() => undefined, (x: unknown) => x);
      expect(isNetmsgServerError(e), `${p}: ${String(e)}`).toBe(true);
    }
  });
});
