import { existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect, HurdErrno, isNetmsgServerError, O_CREAT, O_EXCL, O_NOFOLLOW, O_READ, O_WRITE, S_IFDIR, S_IFLNK, S_IFMT, silentLogger, startNode,
  type FsClient, type RunningNode,
} from '../src/index.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const SECRET = 'fs client test secret';

async function failure(p: Promise<unknown>): Promise<{ code: string; kern: number | undefined; message: string }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`);
  return { code: e.code, kern: e.kern, message: e.message };
}

describe('FsClient operations end to end (a node on loopback)', () => {
  let tree: Tree;
  let node: RunningNode;
  let c: FsClient;
  beforeAll(async () => {
    tree = makeTree();
    giveTree(tree.root);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
    c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c?.close();
    await node?.close();
    tree?.cleanup();
  });

  it('write, read, truncate, stat', async () => {
    const data = pattern(200_000, 11);
    let progress = 0;
    await c.write('sub/written.bin', data, { mode: 0o640, onProgress: (n) => { progress = n; } });
    expect(progress).toBe(200_000);
    expect(Buffer.from(readFileSync(join(tree.root, 'sub/written.bin'))).equals(Buffer.from(data))).toBe(true);
    expect(statSync(join(tree.root, 'sub/written.bin')).mode & 0o777).toBe(0o640);
    expect(Buffer.from(await c.read('sub/written.bin')).equals(Buffer.from(data))).toBe(true);
    await c.write('sub/written.bin', new TextEncoder().encode('short')); // O_TRUNC: the old tail is gone
    expect(readFileSync(join(tree.root, 'sub/written.bin'), 'utf8')).toBe('short');
    await c.truncate('sub/written.bin', 2n);
    expect((await c.stat('sub/written.bin')).size).toBe(2n);
    const p = await c.open('sub/written.bin', O_READ | O_WRITE);
    expect(await c.writePort(p, new TextEncoder().encode('XYZ'), 1n)).toBe(3);
    c.release(p);
    expect(readFileSync(join(tree.root, 'sub/written.bin'), 'utf8')).toBe('sXYZ');
  });

  it('mkdir, readdir, rename, hardlink, unlink, rmdir', async () => {
    await c.mkdir('made', 0o750);
    expect((await c.stat('made')).mode & S_IFMT).toBe(S_IFDIR);
    await c.write('made/a.txt', new TextEncoder().encode('A'));
    await c.rename('made/a.txt', 'sub/b.txt');
    expect(existsSync(join(tree.root, 'sub/b.txt'))).toBe(true);
    expect((await c.readdir('made')).map((e) => e.name)).toEqual([]);
    await c.hardlink('sub/b.txt', 'made/c.txt');
    expect(statSync(join(tree.root, 'made/c.txt')).ino).toBe(statSync(join(tree.root, 'sub/b.txt')).ino);
    expect((await failure(c.hardlink('sub/b.txt', 'made/c.txt'))).kern).toBe(HurdErrno.EEXIST);
    expect((await failure(c.rename('sub/b.txt', 'made/c.txt', { excl: true }))).kern).toBe(HurdErrno.EEXIST);
    expect((await failure(c.rmdir('made'))).kern).toBe(HurdErrno.ENOTEMPTY);
    await c.unlink('made/c.txt');
    await c.rmdir('made');
    expect(existsSync(join(tree.root, 'made'))).toBe(false);
  });

  it('chmod, utimens, readlink, O_NOFOLLOW, stat of a link with nofollow', async () => {
    await c.chmod('hello.txt', 0o600);
    expect(statSync(join(tree.root, 'hello.txt')).mode & 0o777).toBe(0o600);
    await c.utimens('hello.txt', 'omit', { sec: 1_500_000_000, nsec: 0 });
    expect(statSync(join(tree.root, 'hello.txt')).mtimeMs).toBe(1_500_000_000_000);
    expect(await c.readlink('link-in')).toBe('sub/small.bin');
    await c.symlink('sub/deep/big.bin', 'made-link');
    expect(await c.readlink('made-link')).toBe('sub/deep/big.bin');
    expect((await c.read('made-link')).length).toBe(300_000);
    expect((await failure(c.symlink('x', 'made-link'))).kern).toBe(HurdErrno.EEXIST);
    expect((await c.stat('link-in', { nofollow: true })).mode & S_IFMT).toBe(S_IFLNK);
    expect((await failure(c.open('link-in', O_READ | O_NOFOLLOW))).kern).toBe(HurdErrno.ELOOP);
    expect((await failure(c.readlink('hello.txt'))).kern).toBe(HurdErrno.EINVAL);
  });

  it('errors are typed rpc_failed with the Hurd errno name; escapes stay inside', async () => {
    const e = await failure(c.read('no/such/file'));
    expect(e).toMatchObject({ code: 'rpc_failed', kern: HurdErrno.ENOENT });
    expect(e.message).toMatch(/ENOENT/);
    expect((await failure(c.open('hello.txt', O_WRITE | O_CREAT | O_EXCL))).kern).toBe(HurdErrno.EEXIST);
    expect((await failure(c.read('abs-out'))).kern).toBe(HurdErrno.ENOENT); // absolute: restarts at the export root
    expect((await failure(c.read('dir-out/secret.txt'))).kern).toBe(HurdErrno.ENOENT);
    expect((await failure(c.write('sub/rel-out', new Uint8Array(1)))).kern).toBe(HurdErrno.ENOENT); // O_CREAT never through a link
    symlinkSync('/sub/../../outside', join(tree.root, 'abs-up'));
    expect((await failure(c.read('abs-up/secret.txt'))).kern).toBe(HurdErrno.ENOENT);
    await c.rename('dir-out', 'sub/moved-out');
    expect((await failure(c.read('sub/moved-out/secret.txt'))).kern).toBe(HurdErrno.ENOENT);
    expect(readFileSync(join(tree.outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE SECRET');
  });

  it('a read-only node refuses writes with EROFS', async () => {
    const ro = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    const rc = await connect(`127.0.0.1:${ro.port}`, { secret: SECRET, timeoutMs: 20_000 });
    try {
      for (const op of [rc.write('x', new Uint8Array(1)), rc.mkdir('d'), rc.unlink('hello.txt'), rc.rename('hello.txt', 'y'), rc.chmod('hello.txt', 0o777), rc.truncate('empty')]) {
        expect((await failure(op)).kern).toBe(HurdErrno.EROFS);
      }
    } finally {
      await rc.close();
      await ro.close();
    }
  });
});
