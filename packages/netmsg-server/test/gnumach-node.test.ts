/**
 * A read-write node on the real GNU Mach (`startNode({ kernel: 'gnumach' })`:
 * its netmsg, export, auth and file pager tasks run on GNU Mach 1.8 under
 * QEMU), used by clients on the simulated kernel over loopback links, beside
 * a twin node on `sim` exporting a copy of the same tree:
 * - writes from a remote FsClient (inline, out-of-line, several io_write
 *   chunks, a created file, a truncation) leave the same bytes on disk as
 *   the same writes through the sim node;
 * - the node's auth server (watched by the agent, not polled) gives the
 *   link's handle the mapped identity, and a port reauthenticated through it
 *   with a group dropped is refused what that group allowed, as on `sim`;
 * - a sim client maps a file of the gnumach node: the real kernel's pager
 *   task serves it, writes are seen by a second sim client, the file holds
 *   them after unmap.
 * One boot; closing must leave none of the QEMUs this process started.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACH_RCV_MSG } from 'mach-msg';
import { PAGE_SIZE, type GnumachKernel } from 'hurd-ffi';
import { connect, HurdErrno, isNetmsgServerError, mapFile, O_CREAT, O_READ, O_WRITE, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { pattern } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { GUARDED_CALL_MS, whileProgressing } from '../../../test-support/gnumach-progress.js';

const SECRET = 'gnumach node test secret';
const BOOT_MS = 240_000;
/**
 * The tests' hang guards, beyond the boot: a loaded host slows the guest
 * (QEMU's TCG) without bound, so the clients of the gnumach node wait while
 * its link makes progress (whileProgressing, which fails a stuck guest
 * within a minute) and their calls get GUARDED_CALL_MS; these only catch
 * what that cannot see.
 */
const WORK_MS = 900_000;
const ROOT = process.geteuid?.() === 0;
const ME = process.getuid!();
/** Owner and group of the group-only file; the remote user acts as LOCAL with groups PRIMARY and GROUP. */
const OWNER = ROOT ? 4242 : ME;
const GROUP = ROOT ? 4343 : process.getgid!();
const LOCAL = ROOT ? 5000 : ME;
const PRIMARY = ROOT ? 5001 : process.getgid!();
const MAP_USER = [`${ME}:${LOCAL}:${PRIMARY},${GROUP}`];
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** An export: `group.txt` only GROUP may read; `w/` the remote user's (LOCAL) to write in. */
function nodeTree(tag: string): { dir: string; cleanup(): void } {
  const base = mkdtempSync(join(tmpdir(), `netmsg-gnumach-${tag}-`));
  const dir = join(base, 'export');
  mkdirSync(join(dir, 'w'), { recursive: true });
  writeFileSync(join(dir, 'group.txt'), 'only the group');
  writeFileSync(join(dir, 'w', 'seed.bin'), pattern(10_000, 3));
  writeFileSync(join(dir, 'w', 'shared.bin'), new Uint8Array(2 * PAGE_SIZE + 100));
  if (ROOT) {
    chownSync(dir, OWNER, GROUP);
    chownSync(join(dir, 'group.txt'), OWNER, GROUP);
    for (const p of ['w', 'w/seed.bin', 'w/shared.bin']) chownSync(join(dir, p), LOCAL, PRIMARY);
  }
  chmodSync(join(dir, 'group.txt'), 0o640);
  return { dir, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** The same writes, through any client. */
async function writeAll(c: FsClient): Promise<void> {
  await c.write('w/small.txt', enc('written through a link\n')); // inline io_write
  await c.write('w/big.bin', pattern(150_000, 11)); // out-of-line, three io_write chunks
  const f = await c.open('w/seed.bin', O_READ | O_WRITE);
  expect(await c.writePort(f, pattern(3000, 5), 4096n)).toBe(3000);
  c.release(f);
  const made = await c.lookup('w/made.txt', O_READ | O_WRITE | O_CREAT, 0o640);
  expect(await c.writePort(made, enc('made here'), 0n)).toBe(9);
  c.release(made);
  await c.truncate('w/seed.bin', 8000n);
}

function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(join(dir, 'w')).sort()) out[n] = readFileSync(join(dir, 'w', n)).toString('hex');
  return out;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; kern: number | undefined }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`);
  return { code: e.code, kern: e.kern };
}

describe('a read-write node on the real GNU Mach, used from sim clients', () => {
  const trees: { dir: string; cleanup(): void }[] = [];
  let real: RunningNode | undefined;
  let twin: RunningNode | undefined;
  let c: FsClient | undefined;
  let c2: FsClient | undefined;
  let ct: FsClient | undefined;
  beforeAll(async () => {
    trees.push(nodeTree('real'), nodeTree('sim'));
    twin = await startNode({ export: trees[1]!.dir, listen: '127.0.0.1:0', secret: SECRET, readWrite: true, mapUser: MAP_USER }, { logger: silentLogger });
    ct = await connect(`127.0.0.1:${twin.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c?.close();
    await c2?.close();
    await real?.close();
    await ct?.close();
    await twin?.close();
    for (const t of trees) t.cleanup();
  });

  it('writes from a remote FsClient land the same bytes on disk as through a sim node', { timeout: BOOT_MS + WORK_MS }, async () => {
    real = await startNode(
      { kernel: 'gnumach', export: trees[0]!.dir, listen: '127.0.0.1:0', secret: SECRET, readWrite: true, mapUser: MAP_USER },
      { logger: silentLogger },
    );
    expect(real.kernel.backend).toBe('gnumach');
    expect(ourQemus().length).toBe(1);
    const gk = real.kernel as GnumachKernel;
    c = await whileProgressing(gk, 'connecting to the gnumach node', connect(`127.0.0.1:${real.port}`, { secret: SECRET, timeoutMs: GUARDED_CALL_MS }));
    await whileProgressing(gk, 'writes through the gnumach node', writeAll(c));
    await writeAll(ct!);
    const got = filesOf(trees[0]!.dir);
    expect(got).toEqual(filesOf(trees[1]!.dir));
    expect(Object.keys(got)).toEqual(['big.bin', 'made.txt', 'seed.bin', 'shared.bin', 'small.txt']);
    expect(got['big.bin']).toBe(Buffer.from(pattern(150_000, 11)).toString('hex'));
    const seed = Buffer.from(pattern(10_000, 3)).subarray(0, 8000);
    Buffer.from(pattern(3000, 5)).copy(seed, 4096);
    expect(got['seed.bin']).toBe(seed.toString('hex'));
    expect(real.cluster.exportTask!.errors).toEqual([]);
  });

  it('its auth server reauthenticates a port as the sim node\'s does', { timeout: WORK_MS }, async () => {
    expect(real!.cluster.auth).toBeDefined();
    // The auth task is served through the agent's watch: it never polls a receive over the link.
    const k = real!.kernel;
    const authTask = real!.cluster.auth!.task;
    const msg = k.msg.bind(k);
    let authReceives = 0;
    k.msg = (task, args) => {
      if (task === authTask && (args.options & MACH_RCV_MSG) !== 0) authReceives++;
      return msg(task, args);
    };
    const gk = k as GnumachKernel;
    const want = { euids: [LOCAL], auids: [LOCAL], egids: [PRIMARY, GROUP], agids: [PRIMARY, GROUP] };
    expect(await whileProgressing(gk, 'getIds from the gnumach node', c!.getIds())).toEqual(want);
    expect(await ct!.getIds()).toEqual(want);
    /** Through client `k`: a read the group allows, a port reauthenticated with the group dropped, and back. */
    const reauthThrough = async (k: FsClient): Promise<void> => {
      expect(dec(await k.read('group.txt'))).toBe('only the group');
      const restricted = await k.makeAuth({ euids: [LOCAL], egids: [PRIMARY] });
      expect(await k.getIds(restricted)).toEqual({ euids: [LOCAL], auids: [], egids: [PRIMARY], agids: [] });
      const dir = await k.lookup('', 0);
      const weaker = await k.reauthenticate(dir, restricted);
      if (ROOT) expect((await failure(k.lookup('group.txt', O_READ, 0, { from: weaker }))).kern).toBe(HurdErrno.EACCES);
      expect(dec(await k.readPort(await k.lookup('w/small.txt', O_READ, 0, { from: weaker })))).toBe('written through a link\n');
      const again = await k.reauthenticate(weaker, await k.authHandle());
      expect(dec(await k.readPort(await k.lookup('group.txt', O_READ, 0, { from: again })))).toBe('only the group');
    };
    await whileProgressing(gk, 'reauthenticating through the gnumach node', reauthThrough(c!));
    await reauthThrough(ct!);
    expect(real!.cluster.reauth!.stats).toEqual(twin!.cluster.reauth!.stats);
    expect(real!.cluster.reauth!.stats.authenticated).toBe(2);
    k.msg = msg;
    expect(authReceives).toBe(0);
    expect(real!.cluster.auth!.errors).toEqual([]);
  });

  it('a sim client maps a file of the gnumach node; a second sees its writes; the file holds them', { timeout: WORK_MS }, async () => {
    const gk = real!.kernel as GnumachKernel;
    c2 = await whileProgressing(gk, 'a second client connecting to the gnumach node', connect(`127.0.0.1:${real!.port}`, { secret: SECRET, timeoutMs: GUARDED_CALL_MS }));
    await whileProgressing(gk, 'two sim clients mapping a file of the gnumach node', mapShared(c!, c2));
  });

  /** The test above's maps, faults and unmaps through clients `a` and `b` of the gnumach node. */
  async function mapShared(a: FsClient, b: FsClient): Promise<void> {
    const m1 = await mapFile(a, 'w/shared.bin', { writable: true });
    const m2 = await mapFile(b, 'w/shared.bin', { writable: true });
    expect(m1.size).toBe(3 * PAGE_SIZE);
    await m1.write(PAGE_SIZE - 3, enc('straddles'));
    expect(dec(await m2.read(PAGE_SIZE - 3, 9))).toBe('straddles');
    await m2.write(PAGE_SIZE + 2, enc('DLES!'));
    expect(dec(await m1.read(PAGE_SIZE - 3, 10))).toBe('stradDLES!');
    expect(real!.maps.mapped()[0]!.kernels).toBe(2);
    const pager = real!.maps.pagerOf('w/shared.bin')!;
    await m1.unmap();
    await m2.unmap();
    await pager.done;
    const onDisk = readFileSync(join(trees[0]!.dir, 'w', 'shared.bin'));
    expect(onDisk.length).toBe(2 * PAGE_SIZE + 100);
    expect(dec(onDisk.subarray(PAGE_SIZE - 3, PAGE_SIZE + 7))).toBe('stradDLES!');
    expect(real!.maps.mapped()).toEqual([]);
  }

  it('close() stops the QEMU it started', { timeout: WORK_MS }, async () => {
    await c?.close();
    await c2?.close();
    c = c2 = undefined;
    // Closing the node waits on the guest (its driver going idle, task_terminate of each task) before QEMU stops.
    if (real) await whileProgressing(real.kernel as GnumachKernel, 'closing the gnumach node', real.close());
    real = undefined;
    expect(ourQemus()).toEqual([]);
  });
});
