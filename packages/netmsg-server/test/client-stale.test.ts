/**
 * What a client sees when a file it holds open is removed, or removed and
 * replaced, on the node (README "A file removed or replaced under an open
 * port"). The Hurd's rule (libdiskfs, as POSIX): a port names the node, not
 * the name, so an open port goes on reading the removed file. This export's
 * ports name paths, so it cannot keep the removed file for io_read; what it
 * keeps is the rule's other half: an open port NEVER acts on the file that
 * took its name. The client gets the Hurd's ESTALE for every call on the
 * old port (a typed `rpc_failed` with `kern` = ESTALE), a read in progress
 * fails rather than mixing the two files, a fresh lookup finds the new file,
 * and the stale ports cost the node nothing once released. A mapping made
 * before the replacement is the Hurd's behaviour exactly: its memory object
 * is the node (the pager holds the file open), so it keeps the old bytes,
 * while a new mapping of the name maps the new file.
 * A node on the simulated kernel on loopback, the client a second process-
 * local node over TCP (connect()).
 */
import { renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from 'hurd-ffi';
import {
  connect, HurdErrno, isNetmsgServerError, mapFile, MAX_TRANSFER, O_READ, O_WRITE, silentLogger, startNode, type FsClient, type RunningNode,
} from '../src/index.js';
import { makeTree, pattern, until, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

/** A file written on the host, owned as the export's files are (as root, the export acts as another identity). */
function hostWrite(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data);
  giveTree(path);
}

const SECRET = 'client stale test secret';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
/** The client's first io_read (64 KiB) and read-ahead chunk (MAX_TRANSFER), READ_AHEAD (2) of them in flight: client.ts. */
const FIRST_READ = 64 * 1024;
const CHUNK = MAX_TRANSFER;

/** The typed failure `p` ends with (never a success). */
async function failure(p: Promise<unknown>): Promise<{ code: string; kern: number | undefined }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`);
  return { code: e.code, kern: e.kern };
}
const STALE = { code: 'rpc_failed', kern: HurdErrno.ESTALE };

describe('a file removed or replaced on the node under a client\'s open port', () => {
  let tree: Tree;
  let node: RunningNode;
  let c: FsClient;
  /** Another client of the same node (another link of the one export). */
  let other: FsClient;
  let baseline: number;
  beforeAll(async () => {
    tree = makeTree();
    giveTree(tree.root);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
    c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    other = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    // Both roots made (nothing else: a lookup's port would still be on its way back): the export's ports from here on are the open files'.
    await c.root();
    await other.root();
    baseline = (await node.portTable()).exportPorts;
  });
  afterAll(async () => {
    await other?.close();
    await c?.close();
    await node?.close();
    tree?.cleanup();
  });

  /** Once the client has released them, the node holds no port for the stale opens. */
  async function noPortsLeft(): Promise<void> {
    await until(async () => (await node.portTable()).exportPorts === baseline);
    expect(node.cluster.exportTask!.errors).toEqual([]);
  }

  it('removed on the host: every call on the open port is ESTALE, a new lookup ENOENT', async () => {
    hostWrite(join(tree.root, 'gone.txt'), 'soon gone');
    const p = await c.open('gone.txt', O_READ | O_WRITE);
    expect(dec(await c.readPort(p))).toBe('soon gone');
    unlinkSync(join(tree.root, 'gone.txt'));
    expect(await failure(c.readPort(p))).toEqual(STALE);
    expect(await failure(c.statPort(p))).toEqual(STALE);
    expect(await failure(c.writePort(p, enc('x'), 0n))).toEqual(STALE);
    expect(await failure(c.call(p, 'io_map', {}))).toEqual(STALE);
    expect(await failure(c.stat('gone.txt'))).toEqual({ code: 'rpc_failed', kern: HurdErrno.ENOENT });
    c.release(p);
    await noPortsLeft();
  });

  it('removed and replaced on the host: ESTALE, never the new file, which the stale port leaves untouched', async () => {
    hostWrite(join(tree.root, 'swapped.txt'), 'the old file');
    const p = await c.open('swapped.txt', O_READ | O_WRITE);
    unlinkSync(join(tree.root, 'swapped.txt'));
    hostWrite(join(tree.root, 'swapped.txt'), 'THE NEW FILE');
    expect(await failure(c.readPort(p))).toEqual(STALE);
    expect(await failure(c.writePort(p, enc('clobber'), 0n))).toEqual(STALE);
    expect(await failure(c.call(p, 'file_set_size', { new_size: 0n }))).toEqual(STALE);
    expect(await failure(c.call(p, 'file_chmod', { new_mode: 0o600 }))).toEqual(STALE);
    expect(dec(await c.read('swapped.txt'))).toBe('THE NEW FILE');
    expect((await c.stat('swapped.txt')).mode & 0o777).not.toBe(0o600);
    c.release(p);
    await noPortsLeft();
  });

  it('replaced by another client through the export (rename over it): ESTALE at the first client', async () => {
    await other.write('renamed-over.txt', enc('first'));
    const p = await c.open('renamed-over.txt');
    await other.write('incoming.txt', enc('second'));
    await other.rename('incoming.txt', 'renamed-over.txt');
    expect(await failure(c.readPort(p))).toEqual(STALE);
    expect(dec(await c.read('renamed-over.txt'))).toBe('second');
    // Renamed (not replaced) through the export: the port follows its node, as a Hurd port does.
    const q = await c.open('renamed-over.txt');
    await other.rename('renamed-over.txt', 'moved.txt');
    expect(dec(await c.readPort(q))).toBe('second');
    c.release(p);
    c.release(q);
    await other.unlink('moved.txt');
    await noPortsLeft();
  });

  it('replaced in the middle of a read-ahead: the read fails with ESTALE, never a mix of the two files', async () => {
    // Big enough that reads are still to be issued after the replacement, whatever the 2 in flight had answered.
    const size = FIRST_READ + 5 * CHUNK;
    const old = pattern(size, 21);
    const repl = pattern(size, 22);
    hostWrite(join(tree.root, 'big-swap.bin'), old);
    hostWrite(join(tree.root, 'big-swap.new'), repl);
    const p = await c.open('big-swap.bin');
    let seen = 0;
    const read = c.readPort(p, (n) => {
      // After the first read-ahead chunk: the host renames the new file over the old.
      if (seen < FIRST_READ + CHUNK && n >= FIRST_READ + CHUNK) renameSync(join(tree.root, 'big-swap.new'), join(tree.root, 'big-swap.bin'));
      seen = n;
    });
    expect(await failure(read)).toEqual(STALE);
    expect(seen).toBeGreaterThanOrEqual(FIRST_READ + CHUNK);
    expect(seen).toBeLessThan(size);
    c.release(p);
    // readChunks of a fresh open sees the new file only; a chunk stream broken by a swap ends in ESTALE after old bytes only.
    const got = Buffer.concat(await collect(c.readChunks('big-swap.bin')));
    expect(got.equals(Buffer.from(repl))).toBe(true);
    hostWrite(join(tree.root, 'big-swap.new'), old);
    const prefix: Buffer[] = [];
    let swapped = false;
    const broken = (async () => {
      for await (const chunk of c.readChunks('big-swap.bin')) {
        prefix.push(Buffer.from(chunk));
        if (!swapped && Buffer.concat(prefix).length >= FIRST_READ + CHUNK) {
          swapped = true;
          renameSync(join(tree.root, 'big-swap.new'), join(tree.root, 'big-swap.bin'));
        }
      }
    })();
    expect(await failure(broken)).toEqual(STALE);
    const head = Buffer.concat(prefix);
    expect(head.length).toBeLessThan(size);
    expect(head.equals(Buffer.from(repl.subarray(0, head.length)))).toBe(true);
    rmSync(join(tree.root, 'big-swap.bin'));
    // The link is fine: the client goes on, and the dropped reads' ports are released.
    expect(dec(await c.read('hello.txt'))).toBe('hello, hurd\n');
    await noPortsLeft();
  });

  it('a mapping made before the replacement keeps the old node\'s bytes; a new mapping maps the new file', async () => {
    const old = new Uint8Array(3 * PAGE_SIZE).fill(0x6f); // 'o'
    hostWrite(join(tree.root, 'mapped.bin'), old);
    const m = await mapFile(c, 'mapped.bin');
    expect(dec(await m.read(0, 2))).toBe('oo'); // page 0 in; pages 1 and 2 come after the swap
    hostWrite(join(tree.root, 'mapped.new'), new Uint8Array(3 * PAGE_SIZE).fill(0x6e)); // 'n'
    renameSync(join(tree.root, 'mapped.new'), join(tree.root, 'mapped.bin'));
    expect(dec(await m.read(2 * PAGE_SIZE, 2))).toBe('oo');
    const n = await mapFile(c, 'mapped.bin');
    expect(dec(await n.read(2 * PAGE_SIZE, 2))).toBe('nn');
    expect(node.maps.mapped().length).toBe(2); // two nodes, two pagers
    await m.unmap();
    await n.unmap();
    await until(() => node.maps.mapped().length === 0);
    await noPortsLeft();
  });
});

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of it) out.push(Buffer.from(b));
  return out;
}
