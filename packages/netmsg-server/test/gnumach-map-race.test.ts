/**
 * Remote memory on the real GNU Mach (1.8 under QEMU), two cases the other
 * gnumach-map tests do not cover:
 * - a gnumach client's mapFile racing another kernel's io_map and vm_map of
 *   the same file (a sim client mapping it twice, writer and reader, at the
 *   same moment): the node makes one pager and its memory object rights
 *   once (an io_map that finds no right ready gets EAGAIN and retries), both
 *   kernels map it, each sees the other's writes, and the file holds them
 *   after they unmap;
 * - the file's node dies (its process SIGKILLed) while the gnumach kernel
 *   has the file mapped, a page of it written and not yet returned, and a
 *   fault waiting for the node (stopped with SIGSTOP first): the survivor's
 *   calls fail at once with `link_closed`; the waiting fault, and faults on
 *   pages the kernel never had, fail with KERN_MEMORY_ERROR once the link is
 *   gone (its memory object, a netmsg proxy, went with it) instead of
 *   waiting for a pager that will never answer; unmapping does not hang, and closing the client
 *   stops its QEMU.
 * Each block boots one QEMU; closing must leave none of the QEMUs this
 * process started. The waits on the real kernel last while its link makes
 * progress (whileProgressing: a loaded host slows QEMU's TCG without bound)
 * and fail once it has made none for a minute: they only turn a hang into a
 * failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERN_MEMORY_ERROR } from 'mach-msg';
import { PAGE_SIZE, type GnumachKernel } from 'hurd-ffi';
import { connect, isNetmsgServerError, mapFile, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { bundleChildNode, makeTree, until, type Tree } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { whileProgressing } from '../../../test-support/gnumach-progress.js';
import { connectGnumach } from './gnumach-connect.js';

const SECRET = 'gnumach map race secret';
const BOOT_MS = 240_000;
/**
 * The tests' hang guards, beyond the boot: whileProgressing fails a stuck
 * guest within a minute (the gnumach client's own connect too:
 * connectGnumach), so these only catch what it cannot see (a guest busy for
 * ever, or a boot, which has hurd-ffi's own bound).
 */
const WORK_MS = 900_000;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A file of `size` zero bytes in the tree, owned as the export's files are (as root the export acts as 65534). */
function shared(tree: Tree, name: string, size: number): void {
  writeFileSync(join(tree.root, name), new Uint8Array(size));
  if (process.getuid?.() === 0) for (const p of [tree.root, join(tree.root, name)]) chownSync(p, 65534, 65534);
}

describe('a gnumach client\'s mapFile racing a sim client\'s io_map of the same file', () => {
  let tree: Tree;
  let node: RunningNode | undefined;
  let real: FsClient | undefined;
  let sim: FsClient | undefined;
  beforeAll(async () => {
    tree = makeTree();
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
    sim = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await real?.close();
    await sim?.close();
    await node?.close();
    tree?.cleanup();
  });

  it('one pager, both kernels map it, writes cross both ways, the file holds them', { timeout: BOOT_MS + WORK_MS }, async () => {
    real = await connectGnumach(`127.0.0.1:${node!.port}`, { secret: SECRET });
    expect(real.kernel.backend).toBe('gnumach');
    expect(ourQemus().length).toBe(1);
    await whileProgressing(real.kernel as GnumachKernel, 'three rounds of racing maps', race(real));
    expect(real.node.driver.errors).toEqual([]);
    expect(sim!.node.driver.errors).toEqual([]);
    await real.close();
    real = undefined;
    expect(ourQemus()).toEqual([]);
  });

  /** The test above's rounds, with `real` the gnumach client. */
  async function race(real: FsClient): Promise<void> {
    // Three rounds, each on a fresh file (so the pager and its rights are made during the race), writable
    // and read-only in turn on the real kernel.
    for (const [round, realWrites] of [[0, true], [1, false], [2, true]] as const) {
      const name = `race-${round}.bin`;
      shared(tree, name, 2 * PAGE_SIZE + 100);
      // The real kernel's map, and two of the sim kernel's (a writer and a reader) at the same moment.
      const [m1, m2, m3] = await Promise.all([
        mapFile(real, name, { writable: realWrites }), mapFile(sim!, name, { writable: true }), mapFile(sim!, name),
      ]);
      const pager = node!.maps.pagerOf(name)!;
      await m2.write(PAGE_SIZE - 2, enc(`sim${round}`));
      expect(dec(await m1.read(PAGE_SIZE - 2, 4))).toBe(`sim${round}`);
      if (realWrites) {
        await m1.write(PAGE_SIZE + 10, enc(`gnu${round}`));
        expect(dec(await m2.read(PAGE_SIZE + 10, 4))).toBe(`gnu${round}`);
        expect(dec(await m3.read(PAGE_SIZE + 10, 4))).toBe(`gnu${round}`);
      }
      expect(dec(await m3.read(PAGE_SIZE - 2, 4))).toBe(`sim${round}`);
      // One pager for all (vm_map returns before the kernel's memory_object_init is served: checked after the
      // faults), initialised three times: by the real kernel, and by the sim kernel for its write and read objects.
      expect(node!.maps.mapped().map((m) => [m.file, m.kernels])).toEqual([[name, 3]]);
      expect(node!.maps.pagerOf(name)).toBe(pager);
      await m1.unmap();
      await m2.unmap();
      await m3.unmap();
      await pager.done;
      const onDisk = readFileSync(join(tree.root, name));
      expect(dec(onDisk.subarray(PAGE_SIZE - 2, PAGE_SIZE + 2))).toBe(`sim${round}`);
      if (realWrites) expect(dec(onDisk.subarray(PAGE_SIZE + 10, PAGE_SIZE + 14))).toBe(`gnu${round}`);
      expect(node!.maps.mapped()).toEqual([]);
    }
  }
});

describe('the node of a file a gnumach kernel has mapped dies (its process SIGKILLed)', () => {
  let dir: string;
  let tree: Tree;
  let child: ChildProcess | undefined;
  let real: FsClient | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netmsg-gnumach-map-death-'));
    tree = makeTree();
    shared(tree, 'mapped.bin', 4 * PAGE_SIZE);
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await real?.close();
    rmSync(dir, { recursive: true, force: true });
    tree.cleanup();
  });

  it('the survivor gets errors at once, nothing hangs, and its QEMU is stopped', { timeout: BOOT_MS + WORK_MS }, async () => {
    const script = bundleChildNode(dir);
    child = spawn(process.execPath, [script, JSON.stringify({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [port, nodeId] = await new Promise<[number, number]>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready (\d+) (\d+)/.exec(out);
        if (m) resolve([Number(m[1]), Number(m[2])]);
      });
      child!.once('exit', (code) => reject(new Error(`node process exited ${code} before it was ready`)));
    });
    real = await connectGnumach(`127.0.0.1:${port}`, { secret: SECRET });
    expect(real.kernel.backend).toBe('gnumach');
    expect(ourQemus().length).toBe(1);
    const k = real.kernel as GnumachKernel;
    const m = await whileProgressing(k, 'mapping mapped.bin', mapFile(real, 'mapped.bin', { writable: true }));
    await whileProgressing(k, 'writing the mapping', m.write(10, enc('dirty, never returned')));
    expect(dec(await whileProgressing(k, 'reading the mapping', m.read(10, 5)))).toBe('dirty');

    // A fault in flight when the node dies: the node stopped (SIGSTOP) cannot answer the data_request the
    // kernel sends for page 3; the pause gives it time to reach the node's socket (either way the fault must end).
    child.kill('SIGSTOP');
    let inFlight: unknown = 'pending';
    const pageThree = m.read(3 * PAGE_SIZE, 4).then(() => (inFlight = null), (x: unknown) => (inFlight = x));
    await new Promise((r) => setTimeout(r, 1000));
    expect(inFlight).toBe('pending');
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // GNU Mach ends the fault with a memory error once the link (and with it the memory object's proxy) is gone.
    // Each wait below is on an error, not a hang: a call that waited for the dead node would leave the guest's
    // link with only idle receive polls, which whileProgressing fails within a minute as the fixed bound did;
    // a slow guest still answering gets the time it needs.
    await whileProgressing(k, 'a fault in flight when the node died', pageThree);
    expect(isNetmsgServerError(inFlight) && [inFlight.code, inFlight.kern]).toEqual(['map_failed', KERN_MEMORY_ERROR]);
    // An RPC: link_closed at once.
    const e = await whileProgressing(k, 'io_stat after the node died', real.stat('hello.txt').then(() => null, (x: unknown) => x));
    expect(isNetmsgServerError(e) && e.code).toBe('link_closed');
    await until(() => !real!.node.peers().includes(nodeId));
    // A page the kernel never had: its pager is gone, so the fault fails (a typed map_failed), never waits.
    const fault = await whileProgressing(k, 'a fault after the node died', m.read(2 * PAGE_SIZE, 4).then(() => null, (x: unknown) => x));
    expect(isNetmsgServerError(fault) && [fault.code, fault.kern]).toEqual(['map_failed', KERN_MEMORY_ERROR]);
    const writeFault = await whileProgressing(k, 'a write fault after the node died', m.write(PAGE_SIZE + 1, enc('x')).then(() => null, (x: unknown) => x));
    expect(isNetmsgServerError(writeFault) && [writeFault.code, writeFault.kern]).toEqual(['map_failed', KERN_MEMORY_ERROR]);
    expect(real.node.driver.errors).toEqual([]);
    // Unmapping (the kernel would return the dirty page to a pager that is gone) does not hang.
    await whileProgressing(k, 'vm_deallocate after the node died', m.unmap().catch(() => undefined));
    // Closing ends the link before stopping QEMU: the stall bound (a minute, as before) also bounds the stop.
    await whileProgressing(k, 'closing the client', real.close());
    real = undefined;
    expect(ourQemus()).toEqual([]);
  });
});
