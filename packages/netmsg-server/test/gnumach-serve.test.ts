/**
 * netmsg-server on the real GNU Mach: a node whose kernel is the `gnumach`
 * backend (Debian 13's GNU Mach 1.8 under QEMU, driven through hurd-ffi's
 * agent) runs its netmsg task and its export task there.
 * - A client (on the simulated kernel, over a loopback link) reads, stats
 *   and lists through it, and gets the same bytes and errors as from a node
 *   on the simulated kernel.
 * - A C client task inside the agent image (hurd-ffi conformance/c/fsclient.c)
 *   calls the TypeScript export through the real kernel with the user stubs
 *   the real MIG generated from this project's own io/fs declarations
 *   (mach-msg's built-in .defs; conformance/build.sh): dir_lookup, io_stat,
 *   io_write, io_read. A TypeScript MIG user on a simulated-kernel node makes
 *   the same calls: same bytes, same errors (ENOENT, ENOTDIR, EISDIR, EROFS,
 *   EBADF), and the same bytes on disk after the writes.
 * The x86_64 nodes are `netmsg-server serve --kernel gnumach` (the CLI, in
 * process), once read-only and once `--read-write`; an i386 node is `serve
 * --kernel gnumach --abi i386` answering an x86_64 client; the C client's
 * i386 check runs the export task directly on an i386 GNU Mach (the C
 * client needs the task, not a node). Each block boots QEMU once; closing must leave none of the QEMUs
 * this process started.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBuiltinInterface, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, type Abi } from 'mach-msg';
import { isHurdFfiError, openKernel, type FsClientResult, type GnumachKernel, type MachKernel, type TaskId } from 'hurd-ffi';
import { runCli } from '../src/cli/run.js';
import { ExportTask } from '../src/cluster/export-task.js';
import { MigUser } from '../src/cluster/mig-user.js';
import {
  connect, HurdErrno, isNetmsgServerError, O_CREAT, O_READ, O_WRITE, silentLogger, startNode, unpackStat, type FsClient, type RunningNode,
} from '../src/index.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { GUARDED_CALL_MS, whileProgressing } from '../../../test-support/gnumach-progress.js';

const SECRET = 'gnumach serve test secret';
const BOOT_MS = 240_000;
/** A call on the simulated kernel; on the real one calls wait while its link makes progress (whileProgressing). */
const CALL_MS = 60_000;
/**
 * The blocks' hang guards, beyond the boot: a loaded host slows the guest
 * (QEMU's TCG) without bound, and whileProgressing already fails a stuck
 * guest within a minute, so these only catch what it cannot see.
 */
const WORK_MS = 900_000;
/** fsys_getroot as this process's user (as FsClient presents itself), so that the read-write export lets it write. */
const GETROOT = {
  dotdot_node: { name: 0, disposition: MACH_MSG_TYPE_COPY_SEND }, gen_uids: [process.getuid!()], gen_gids: [process.getgid!()], flags: O_READ,
};
/** fsclient.c reads at most this much (READ_MAX); the TypeScript user stops at the same point. */
const READ_MAX = 32768;


async function failure(p: Promise<unknown>): Promise<{ code: string; kern: number | undefined }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`);
  return { code: e.code, kern: e.kern };
}

/** What a client sees of the tree: the observable answers, compared across kernels. */
async function survey(c: FsClient): Promise<unknown> {
  const st = await c.stat('sub/small.bin');
  return {
    hello: Buffer.from(await c.read('hello.txt')).toString('hex'),
    small: Buffer.from(await c.read('sub/small.bin')).toString('hex'),
    big: Buffer.from(await c.read('sub/deep/big.bin')).toString('hex'),
    stat: { size: st.size, mode: st.mode, nlink: st.nlink, ino: st.ino },
    root: (await c.readdir('.')).map((e) => e.name).sort(),
    sub: (await c.readdir('sub')).map((e) => e.name).sort(),
    missing: await failure(c.read('no/such/file')),
    missingStat: await failure(c.stat('nope.txt')),
    notDir: await failure(c.read('hello.txt/x')),
  };
}

/**
 * Closing a gnumach node waits on its guest (the driver going idle and
 * task_terminate of each task before QEMU stops), which a loaded host slows
 * without bound: while its link makes progress.
 */
function closeGnumach(node: RunningNode): Promise<void> {
  return whileProgressing(node.kernel as GnumachKernel, 'closing the gnumach node', node.close());
}

/** `serve --kernel gnumach` through the CLI, in process; resolves once it serves. */
function serveGnumach(root: string, secretFile: string, readWrite: boolean, extra: string[] = []): { node: Promise<RunningNode>; served: Promise<number> } {
  const err: string[] = [];
  let served!: Promise<number>;
  const node = new Promise<RunningNode>((resolve, reject) => {
    const args = ['serve', '--kernel', 'gnumach', '--export', root, '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--log-level', 'silent', ...extra];
    served = runCli(readWrite ? [...args, '--read-write'] : args, { stdout: () => undefined, stderr: (x) => err.push(x), signals: false, onServing: resolve });
    void served.then((code) => reject(new Error(`serve --kernel gnumach ended with ${code}: ${err.join('')}`)));
  });
  return { node, served };
}

/** A task on `k` holding the export's root directory (fsys_getroot on its control port). */
async function rootDirTask(k: MachKernel, x: ExportTask): Promise<{ task: TaskId; dir: number }> {
  const task = await k.taskCreate({ name: 'fs-client' });
  const control = await k.portExtractRight(x.task, x.controlName, MACH_MSG_TYPE_MAKE_SEND, task);
  expect(control.kr).toBe(0);
  const r = getBuiltinInterface('fsys', k.abi).routine('fsys_getroot');
  const user = new MigUser(k, task);
  const real = k.backend === 'gnumach' ? (k as GnumachKernel) : undefined;
  const call = user.call(r.encodeRequest(GETROOT as never, { header: { remotePort: control.name } }), [], real ? GUARDED_CALL_MS : CALL_MS).finally(() => user.dispose());
  const { msg } = await (real ? whileProgressing(real, 'fsys_getroot from a task on the real kernel', call) : call);
  const dec = r.decodeReply(msg);
  expect(dec.retCode).toBe(0);
  return { task, dir: (dec.args['file'] as { name: number }).name };
}

/** One run of the file client: what it looks up and how, and what it writes. */
interface Case {
  path: string;
  flags?: number;
  mode?: number;
  write?: { data: Uint8Array; offset: number };
}

interface CallResults {
  lookup: number;
  retry: number;
  stat?: number;
  statData?: string;
  write?: number;
  written?: number;
  read?: number;
  data?: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function fromC(r: FsClientResult): CallResults {
  return {
    lookup: r.lookup, retry: r.retry,
    ...(r.stat !== undefined ? { stat: r.stat } : {}),
    ...(r.statData !== undefined ? { statData: hex(r.statData) } : {}),
    ...(r.write !== undefined ? { write: r.write, written: r.written ?? 0 } : {}),
    ...(r.read !== undefined ? { read: r.read, data: hex(r.data ?? new Uint8Array(0)) } : {}),
  };
}

/** The C client's sequence, made by a TypeScript MIG user (MigUser) on `kernel`, in its ABI. */
async function tsClient(kernel: MachKernel, task: TaskId, dir: number, c: Case): Promise<CallResults> {
  const fs = getBuiltinInterface('fs', kernel.abi);
  const io = getBuiltinInterface('io', kernel.abi);
  const user = new MigUser(kernel, task);
  try {
    const call = async (iface: typeof fs, routine: string, port: number, args: Record<string, unknown>) => {
      const r = iface.routine(routine);
      // As MIG's user stub: arrays over 2048 bytes go out-of-line.
      const ool: Uint8Array[] = [];
      const req = r.encodeRequest(args as never, {
        header: { remotePort: port },
        placeOutOfLine: (d) => (ool.push(d.slice()), BigInt(ool.length) << 12n),
      });
      const { msg, ool: got } = await user.call(req, ool, CALL_MS);
      return { msg, ool: got, dec: r.decodeReply(msg) };
    };
    const l = await call(fs, 'dir_lookup', dir, { file_name: c.path, flags: c.flags ?? O_READ, mode: c.mode ?? 0 });
    const out: CallResults = { lookup: l.dec.retCode | 0, retry: 0 };
    if (l.dec.retCode !== 0) return out;
    out.retry = l.dec.args['do_retry'] as number;
    const file = (l.dec.args['result'] as { name: number }).name;
    const s = await call(io, 'io_stat', file, {});
    out.stat = s.dec.retCode | 0;
    const item = s.msg.items[1];
    if (s.dec.retCode === 0 && item?.kind === 'data') out.statData = hex(item.data);
    if (c.write) {
      const w = await call(io, 'io_write', file, { data: c.write.data, offset: BigInt(c.write.offset) });
      out.write = w.dec.retCode | 0;
      out.written = w.dec.retCode === 0 ? Number(w.dec.args['amount']) : 0;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const r = await call(io, 'io_read', file, { offset: BigInt(total), amount: 8192n });
      out.read = r.dec.retCode | 0;
      if (r.dec.retCode !== 0) break;
      const inline = r.dec.args['data'];
      const d = inline instanceof Uint8Array && inline.length > 0 ? inline : (r.ool[0] ?? new Uint8Array(0));
      const take = d.subarray(0, READ_MAX - total);
      chunks.push(Buffer.from(take));
      total += take.length;
      if (d.length === 0 || total >= READ_MAX) break;
    }
    out.data = Buffer.concat(chunks).toString('hex');
    await kernel.portDeallocate(task, file);
    return out;
  } finally {
    await user.dispose();
  }
}

/**
 * What must agree between two exports of the same tree: all of io_statbuf_t
 * but st_atim (reading a file may move its atime between the runs).
 */
function sameTree(r: CallResults, abi: Abi): CallResults {
  if (r.statData === undefined) return r;
  const [from, to] = abi === 'i386' ? [52 * 2, 60 * 2] : [72 * 2, 88 * 2];
  return { ...r, statData: r.statData.slice(0, from) + r.statData.slice(to) };
}

/**
 * Between two copies of a tree (each export writes its own): the stat fields
 * that do not name the copy (inode, device) or its history (times).
 */
function twinTrees(r: CallResults, abi: Abi): unknown {
  if (r.statData === undefined) return r;
  const b = Buffer.from(r.statData, 'hex');
  const words = abi === 'i386'
    ? Array.from({ length: 32 }, (_, i) => b.readInt32LE(4 * i))
    : Array.from({ length: 22 }, (_, i) => b.readBigInt64LE(8 * i));
  const st = unpackStat(words, abi);
  return { ...r, statData: { fstype: st.fstype, mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, size: st.size } };
}

const RW = O_READ | O_WRITE;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Read-only export: lookups, reads, and every way a write is refused. */
const RO_CASES: Case[] = [
  ...['hello.txt', 'sub/small.bin', 'sub/edge.bin', 'empty', 'no/such/file', 'hello.txt/x', 'sub'].map((path) => ({ path })),
  { path: 'hello.txt', flags: RW },
  { path: 'made.txt', flags: RW | O_CREAT, mode: 0o644 },
  { path: 'hello.txt', write: { data: text('nope'), offset: 0 } },
];

/** Read-write export: writes inline and out-of-line, a created file, and the refusals left. */
const RW_CASES: Case[] = [
  { path: 'hello.txt', flags: RW, write: { data: text('HELLO'), offset: 0 } },
  { path: 'sub/small.bin', flags: RW, write: { data: pattern(5000, 7), offset: 1000 } }, // > 2048: out-of-line
  { path: 'made.txt', flags: RW | O_CREAT, mode: 0o640, write: { data: text('made by a MIG stub\n'), offset: 0 } },
  { path: 'empty', flags: O_READ, write: { data: text('x'), offset: 0 } }, // not open for writing
  { path: 'sub', flags: RW }, // a directory opened for writing
  { path: 'no/such', flags: RW | O_CREAT, mode: 0o644 },
];

/** The bytes each written file must hold afterwards (from the tree's original contents). */
function expectedAfterWrites(t: Tree): Record<string, Buffer> {
  const small = Buffer.alloc(6000);
  Buffer.from(t.files['sub/small.bin']!).copy(small);
  Buffer.from(pattern(5000, 7)).copy(small, 1000);
  return {
    'hello.txt': Buffer.from('HELLO, hurd\n'),
    'sub/small.bin': small,
    'made.txt': Buffer.from('made by a MIG stub\n'),
    'empty': Buffer.alloc(0),
  };
}

/** Runs every case through the C client on `real` and the TypeScript user on `sim`. */
async function runCases(
  g: GnumachKernel, real: { task: TaskId; dir: number }, simK: MachKernel, sim: { task: TaskId; dir: number }, cases: Case[],
): Promise<{ got: CallResults[]; want: CallResults[] }> {
  const got: CallResults[] = [];
  const want: CallResults[] = [];
  for (const c of cases) {
    got.push(fromC(await whileProgressing(g, `the C file client on ${JSON.stringify(c.path)}`, g.fsClient(real.task, real.dir, c.path, c))));
    want.push(await tsClient(simK, sim.task, sim.dir, c));
  }
  return { got, want };
}

/**
 * A read-only block's world: a tree with its secret file, a twin node on the
 * simulated kernel and a client of it (`cs`, what the gnumach node's answers
 * are compared with); `node`, `c` and `served` are the block's gnumach node,
 * its client and `serve`'s exit code, closed after the block.
 */
function surveyWorld(): { tree: Tree; secretFile: string; sim?: RunningNode; cs?: FsClient; node?: RunningNode; c?: FsClient; served?: Promise<number> } {
  const w: ReturnType<typeof surveyWorld> = {} as ReturnType<typeof surveyWorld>;
  beforeAll(async () => {
    w.tree = makeTree();
    w.secretFile = join(w.tree.base, 'secret');
    writeFileSync(w.secretFile, SECRET, { mode: 0o600 });
    w.sim = await startNode({ export: w.tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    w.cs = await connect(`127.0.0.1:${w.sim.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await w.c?.close();
    await w.node?.close();
    await w.served;
    await w.cs?.close();
    await w.sim?.close();
    w.tree?.cleanup();
  });
  return w;
}

describe('netmsg-server on the real GNU Mach (x86_64, read-only)', () => {
  const w = surveyWorld();

  it('serves lookup, read, stat and readdir to a client as the simulated kernel does', { timeout: BOOT_MS + WORK_MS }, async () => {
    const s = serveGnumach(w.tree.root, w.secretFile, false);
    w.served = s.served;
    w.node = await s.node;
    expect(w.node.kernel.backend).toBe('gnumach');
    expect(ourQemus().length).toBe(1);
    w.c = await whileProgressing(w.node.kernel as GnumachKernel, 'connecting to the gnumach node', connect(`127.0.0.1:${w.node.port}`, { secretFile: w.secretFile, timeoutMs: GUARDED_CALL_MS }));
    const real = (await whileProgressing(w.node.kernel as GnumachKernel, 'a client\'s survey through the gnumach node', survey(w.c))) as { missing: { kern: number }; notDir: { kern: number } };
    expect(real.missing.kern).toBe(HurdErrno.ENOENT);
    expect(real.notDir.kern).toBe(HurdErrno.ENOTDIR);
    expect(real).toEqual(await survey(w.cs!));
    expect(w.node.cluster.exportTask!.errors).toEqual([]);
    expect(w.node.cluster.driver.errors).toEqual([]);
  });

  it('answers a C client built from MIG stubs of our declarations as it answers a MIG user on the simulated kernel', { timeout: WORK_MS }, async () => {
    expect(w.node).toBeDefined();
    const g = w.node!.kernel as GnumachKernel;
    const real = await rootDirTask(g, w.node!.cluster.exportTask!);
    const simRoot = await rootDirTask(w.sim!.kernel, w.sim!.cluster.exportTask!);
    const { got, want } = await runCases(g, real, w.sim!.kernel, simRoot, RO_CASES);
    expect(got.map((r) => sameTree(r, 'x86_64'))).toEqual(want.map((r) => sameTree(r, 'x86_64')));
    const at = (path: string, flags?: number, write = false) => got[RO_CASES.findIndex((x) => x.path === path && x.flags === flags && !!x.write === write)]!;
    expect(at('hello.txt').data).toBe(hex(text('hello, hurd\n')));
    expect(at('sub/edge.bin').data).toBe(hex(w.tree.files['sub/edge.bin']!)); // 2049 bytes: out-of-line
    expect(at('sub/small.bin').data).toBe(hex(w.tree.files['sub/small.bin']!)); // 2047 bytes: inline
    expect(Buffer.from(at('hello.txt').statData!, 'hex').readBigInt64LE(64)).toBe(12n); // st_size
    expect(at('no/such/file').lookup).toBe(HurdErrno.ENOENT);
    expect(at('hello.txt/x').lookup).toBe(HurdErrno.ENOTDIR);
    expect(at('sub').read).toBe(HurdErrno.EISDIR);
    expect(at('hello.txt', RW).lookup).toBe(HurdErrno.EROFS);
    expect(at('made.txt', RW | O_CREAT).lookup).toBe(HurdErrno.EROFS);
    expect(at('hello.txt', undefined, true).write).toBe(HurdErrno.EROFS);
    expect(at('hello.txt', undefined, true).data).toBe(hex(text('hello, hurd\n')));
    expect(readFileSync(join(w.tree.root, 'hello.txt'), 'utf8')).toBe('hello, hurd\n');
    // What the client cannot carry is refused before anything reaches the agent.
    const refused = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isHurdFfiError(e) ? e.code : String(e)));
    expect(await refused(g.fsClient(real.task, real.dir, 'x'.repeat(1024)))).toBe('invalid_option');
    expect(await refused(g.fsClient(real.task, real.dir, 'hello.txt', { write: { data: new Uint8Array(16385), offset: 0 } }))).toBe('invalid_option');
    expect(await refused(g.fsClient(real.task, real.dir, 'hello.txt', { write: { data: text('x'), offset: -1 } }))).toBe('invalid_option');
    expect(sameTree(fromC(await whileProgressing(g, 'the C file client, again', g.fsClient(real.task, real.dir, 'hello.txt'))), 'x86_64')).toEqual(sameTree(got[0]!, 'x86_64')); // and it still works
    expect(w.node!.cluster.exportTask!.errors).toEqual([]);
  });

  it('close() stops the QEMU it started', { timeout: WORK_MS }, async () => {
    expect(w.node).toBeDefined();
    const g = w.node!.kernel as GnumachKernel;
    // The client's link goes down through the node's netmsg task on the guest.
    if (w.c) await whileProgressing(g, 'closing the client of the gnumach node', w.c.close());
    w.c = undefined;
    await closeGnumach(w.node!);
    w.node = undefined;
    expect(await w.served).toBe(0);
    expect(ourQemus()).toEqual([]);
  });
});

describe('netmsg-server on the real GNU Mach (x86_64, --read-write): a C client writes', () => {
  let realTree: Tree;
  let simTree: Tree;
  let node: RunningNode | undefined;
  let sim: RunningNode | undefined;
  let served: Promise<number> | undefined;
  beforeAll(async () => {
    realTree = makeTree();
    simTree = makeTree();
    // Run as root, the export acts as the tree's owner: an ordinary user (fs-harness.ts).
    giveTree(realTree.root);
    giveTree(simTree.root);
    sim = await startNode({ export: simTree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
  });
  afterAll(async () => {
    await node?.close();
    await served;
    await sim?.close();
    realTree?.cleanup();
    simTree?.cleanup();
  });

  it('io_write through MIG stubs lands the same bytes on disk as through the simulated kernel', { timeout: BOOT_MS + WORK_MS }, async () => {
    const secretFile = join(realTree.base, 'secret');
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
    const s = serveGnumach(realTree.root, secretFile, true);
    served = s.served;
    node = await s.node;
    expect(node.readOnly).toBe(false);
    const g = node.kernel as GnumachKernel;
    const real = await rootDirTask(g, node.cluster.exportTask!);
    const simRoot = await rootDirTask(sim!.kernel, sim!.cluster.exportTask!);
    const { got, want } = await runCases(g, real, sim!.kernel, simRoot, RW_CASES);
    expect(got.map((r) => twinTrees(r, 'x86_64'))).toEqual(want.map((r) => twinTrees(r, 'x86_64')));
    const [hello, small, made, empty, sub, missing] = got;
    expect(hello!.write).toBe(0);
    expect(hello!.written).toBe(5);
    expect(hello!.data).toBe(hex(text('HELLO, hurd\n')));
    expect(small!.written).toBe(5000);
    expect(made!.lookup).toBe(0);
    expect(empty!.write).toBe(HurdErrno.EBADF);
    expect(sub!.lookup).toBe(HurdErrno.EISDIR);
    expect(missing!.lookup).toBe(HurdErrno.ENOENT);
    for (const [path, bytes] of Object.entries(expectedAfterWrites(realTree))) {
      expect(readFileSync(join(realTree.root, path)).equals(bytes), path).toBe(true);
      expect(readFileSync(join(simTree.root, path)).equals(bytes), path).toBe(true);
    }
    expect(statSync(join(realTree.root, 'made.txt')).mode & 0o777).toBe(statSync(join(simTree.root, 'made.txt')).mode & 0o777);
    expect(node.cluster.exportTask!.errors).toEqual([]);
    await closeGnumach(node);
    node = undefined;
    expect(await served).toBe(0);
    expect(ourQemus()).toEqual([]);
  });
});

describe('netmsg-server on the real GNU Mach (i386, read-only): serve --abi i386', () => {
  const w = surveyWorld();

  it('an x86_64 client sees the same answers as from an x86_64 node on the simulated kernel, and close stops the QEMU', { timeout: BOOT_MS + WORK_MS }, async () => {
    const s = serveGnumach(w.tree.root, w.secretFile, false, ['--abi', 'i386']);
    w.served = s.served;
    w.node = await s.node;
    expect([w.node.kernel.backend, w.node.kernel.abi]).toEqual(['gnumach', 'i386']);
    expect(ourQemus().length).toBe(1);
    w.c = await whileProgressing(w.node.kernel as GnumachKernel, 'connecting to the i386 gnumach node', connect(`127.0.0.1:${w.node.port}`, { secret: SECRET, timeoutMs: GUARDED_CALL_MS }));
    expect(w.c.abi).toBe('x86_64');
    const real = (await whileProgressing(w.node.kernel as GnumachKernel, 'a client\'s survey through the i386 gnumach node', survey(w.c))) as { missing: { kern: number } };
    expect(real.missing.kern).toBe(HurdErrno.ENOENT);
    expect(real).toEqual(await survey(w.cs!));
    expect(w.node.cluster.exportTask!.errors).toEqual([]);
    expect(w.node.cluster.driver.errors).toEqual([]);
    await whileProgressing(w.node.kernel as GnumachKernel, 'closing the client of the i386 gnumach node', w.c.close());
    w.c = undefined;
    await closeGnumach(w.node);
    w.node = undefined;
    expect(await w.served).toBe(0);
    expect(ourQemus()).toEqual([]);
  });
});

describe('the export on the real GNU Mach (i386): a C client built from i386 MIG stubs', () => {
  let realTree: Tree;
  let simTree: Tree;
  let g: GnumachKernel | undefined;
  let simK: MachKernel | undefined;
  let xs: ExportTask[] = [];
  beforeAll(() => {
    realTree = makeTree();
    simTree = makeTree();
    // Run as root, the export acts as the tree's owner: an ordinary user (fs-harness.ts).
    giveTree(realTree.root);
    giveTree(simTree.root);
  });
  afterAll(async () => {
    for (const x of xs) await x.close();
    await g?.close();
    await simK?.close();
    realTree?.cleanup();
    simTree?.cleanup();
  });

  it('reads, writes and errors match the simulated i386 kernel', { timeout: BOOT_MS + WORK_MS }, async () => {
    g = openKernel({ backend: 'gnumach', abi: 'i386' }) as GnumachKernel;
    simK = openKernel({ backend: 'sim', abi: 'i386' });
    const xr = await ExportTask.create(g, { root: realTree.root, readOnly: false, abi: 'i386' });
    const xsim = await ExportTask.create(simK, { root: simTree.root, readOnly: false, abi: 'i386' });
    xs = [xr, xsim];
    expect(ourQemus().length).toBe(1);
    const real = await rootDirTask(g, xr);
    const simRoot = await rootDirTask(simK, xsim);
    const cases: Case[] = [...RW_CASES, { path: 'sub/edge.bin' }, { path: 'hello.txt/x' }, { path: 'sub' }];
    const { got, want } = await runCases(g, real, simK, simRoot, cases);
    expect(got.map((r) => twinTrees(r, 'i386'))).toEqual(want.map((r) => twinTrees(r, 'i386')));
    expect(got[0]!.data).toBe(hex(text('HELLO, hurd\n')));
    expect(got[1]!.written).toBe(5000);
    expect(got[3]!.write).toBe(HurdErrno.EBADF);
    expect(got[RW_CASES.length]!.data).toBe(hex(realTree.files['sub/edge.bin']!));
    expect(got[RW_CASES.length + 1]!.lookup).toBe(HurdErrno.ENOTDIR);
    expect(got[RW_CASES.length + 2]!.read).toBe(HurdErrno.EISDIR);
    for (const [path, bytes] of Object.entries(expectedAfterWrites(realTree))) {
      expect(readFileSync(join(realTree.root, path)).equals(bytes), path).toBe(true);
      expect(readFileSync(join(simTree.root, path)).equals(bytes), path).toBe(true);
    }
    expect(xr.errors).toEqual([]);
    for (const x of xs) await x.close();
    xs = [];
    await g.close();
    g = undefined;
    expect(ourQemus()).toEqual([]);
  });
});
