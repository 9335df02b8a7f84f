/**
 * Remote memory with more than one real GNU Mach kernel at a time:
 * - two gnumach clients, one x86_64 and one i386 (two QEMUs), map one file
 *   of a node on the simulated kernel, writable: each sees the other's
 *   writes (the page straddling write moves the page between the two real
 *   kernels through the pager's lock requests), and the file holds both
 *   after they unmap;
 * - the file pager itself on a gnumach node (its pager task on the real
 *   kernel) serving a gnumach client and a sim client.
 * Every answer the real kernels get is checked the same way as the sim
 * client's, and closing leaves none of the QEMUs this process started.
 */
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_SIZE, type GnumachKernel } from 'hurd-ffi';
import { connect, mapFile, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { GUARDED_CALL_MS, whileProgressing } from '../../../test-support/gnumach-progress.js';
import { connectGnumach } from './gnumach-connect.js';

const SECRET = 'gnumach map kernels secret';
const BOOT_MS = 240_000;
/**
 * The tests' hang guards, beyond the boot: a loaded host slows the guests
 * (QEMU's TCG) without bound, so the work waits while their links make
 * progress (whileProgressing fails them all stuck within a minute) and the
 * clients' calls get GUARDED_CALL_MS, a gnumach client's own connect
 * included (connectGnumach); these only catch what that cannot see (the
 * boots, which have hurd-ffi's own bound).
 */
const WORK_MS = 900_000;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * The links of several real kernels as one, for whileProgressing: a page
 * moving between them keeps one or the other busy, so progress on any is
 * progress (the sum of their productive exchanges); stuck only when all are.
 */
function anyLink(...kernels: GnumachKernel[]): Parameters<typeof whileProgressing>[0] {
  return {
    linkProgress() {
      const up = kernels.map((k) => k.linkProgress()).filter((p) => p !== undefined);
      if (up.length === 0) return undefined;
      const sum = (f: (p: (typeof up)[number]) => number): number => up.reduce((n, p) => n + f(p), 0);
      return {
        productive: sum((p) => p.productive), idlePolls: sum((p) => p.idlePolls), bytesIn: sum((p) => p.bytesIn),
        bytesOut: sum((p) => p.bytesOut), queued: sum((p) => p.queued),
      };
    },
  };
}

describe('remote memory with two real GNU Mach kernels', () => {
  let tree: Tree | undefined;
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    tree?.cleanup();
    tree = undefined;
  });

  /** A read-write node exporting a fresh tree with a 2-page-and-a-bit `shared.bin`. */
  async function nodeWithShared(kernel: 'sim' | 'gnumach'): Promise<RunningNode> {
    tree = makeTree();
    writeFileSync(join(tree.root, 'shared.bin'), new Uint8Array(2 * PAGE_SIZE + 100));
    // As root the export acts as an unprivileged identity (the default user map): let it own the file.
    if (process.getuid?.() === 0) for (const p of [tree.root, join(tree.root, 'shared.bin')]) chownSync(p, 65534, 65534);
    const node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true, kernel }, { logger: silentLogger });
    open.push(node);
    return node;
  }

  async function client(node: RunningNode, options: { kernel?: 'gnumach'; abi?: 'i386' } = {}): Promise<FsClient> {
    const url = `127.0.0.1:${node.port}`;
    const c = options.kernel === 'gnumach'
      ? await connectGnumach(url, { secret: SECRET, ...(options.abi ? { abi: options.abi } : {}) })
      : await connect(url, { secret: SECRET, timeoutMs: GUARDED_CALL_MS, ...options });
    open.push(c);
    return c;
  }

  /** Writes through `a` seen by `b` and back, across the page boundary; the file holds them after both unmap. */
  async function shareOnePage(node: RunningNode, a: FsClient, b: FsClient): Promise<void> {
    const m1 = await mapFile(a, 'shared.bin', { writable: true });
    const m2 = await mapFile(b, 'shared.bin', { writable: true });
    await m1.write(PAGE_SIZE - 3, enc('straddles'));
    expect(dec(await m2.read(PAGE_SIZE - 3, 9))).toBe('straddles');
    await m2.write(PAGE_SIZE + 2, enc('DLES!'));
    expect(dec(await m1.read(PAGE_SIZE - 3, 10))).toBe('stradDLES!');
    expect(node.maps.mapped()[0]!.kernels).toBe(2);
    const pager = node.maps.pagerOf('shared.bin')!;
    await m1.unmap();
    await m2.unmap();
    await pager.done;
    const onDisk = readFileSync(join(tree!.root, 'shared.bin'));
    expect(onDisk.length).toBe(2 * PAGE_SIZE + 100);
    expect(dec(onDisk.subarray(PAGE_SIZE - 3, PAGE_SIZE + 7))).toBe('stradDLES!');
    expect(node.maps.mapped()).toEqual([]);
    expect(a.node.driver.errors).toEqual([]);
    expect(b.node.driver.errors).toEqual([]);
  }

  it('an x86_64 and an i386 GNU Mach client share a page of a sim node\'s file', { timeout: BOOT_MS + WORK_MS }, async () => {
    const node = await nodeWithShared('sim');
    const [x86, i386] = await Promise.all([client(node, { kernel: 'gnumach' }), client(node, { kernel: 'gnumach', abi: 'i386' })]);
    expect([x86.kernel.backend, x86.abi, i386.kernel.backend, i386.abi]).toEqual(['gnumach', 'x86_64', 'gnumach', 'i386']);
    expect(ourQemus().length).toBe(2);
    const links = anyLink(x86.kernel as GnumachKernel, i386.kernel as GnumachKernel);
    await whileProgressing(links, 'a page shared by the x86_64 and i386 gnumach clients', shareOnePage(node, x86, i386));
    for (const o of open.splice(0).reverse()) await o.close();
    expect(ourQemus()).toEqual([]);
  });

  // Two boots, one after the other: the node's QEMU, then its gnumach client's.
  it('the pager on a gnumach node serves a gnumach client and a sim client', { timeout: 2 * BOOT_MS + WORK_MS }, async () => {
    const node = await nodeWithShared('gnumach');
    expect(node.kernel.backend).toBe('gnumach');
    // Not guarded by the node's link: the node's guest has nothing to do while the client's boots.
    const real = await client(node, { kernel: 'gnumach' });
    const sim = await whileProgressing(node.kernel as GnumachKernel, 'a sim client connecting to the gnumach node', client(node));
    expect(ourQemus().length).toBe(2);
    const links = anyLink(node.kernel as GnumachKernel, real.kernel as GnumachKernel);
    await whileProgressing(links, 'a page of the gnumach node shared by a gnumach and a sim client', shareOnePage(node, real, sim));
    expect(node.cluster.driver.errors).toEqual([]);
    for (const o of open.splice(0).reverse()) await o.close();
    expect(ourQemus()).toEqual([]);
  });
});
