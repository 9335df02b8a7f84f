/**
 * netmsg-server on the real GNU Mach: a node whose kernel is the `gnumach`
 * backend (Debian 13's GNU Mach 1.8 under QEMU, x86_64, the ABI the export
 * task's MIG layouts use, driven through hurd-ffi's agent) runs its netmsg
 * task and its export task there.
 * - A client (on the simulated kernel, over a loopback link) reads, stats
 *   and lists through it, and gets the same bytes and errors as from a node
 *   on the simulated kernel.
 * - A C client task inside the agent image (hurd-ffi conformance/c/fsclient.c:
 *   dir_lookup, io_stat, io_read laid out as MIG user stubs lay them out)
 *   calls the TypeScript export through the real kernel; a TypeScript MIG
 *   user on a simulated-kernel node makes the same calls: same bytes, same
 *   errors.
 * The node is `netmsg-server serve --kernel gnumach` (the CLI, in process).
 * Boots QEMU once; stopping the node must leave none of the QEMUs this
 * process started.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBuiltinInterface, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND } from 'mach-msg';
import type { GnumachKernel, MachKernel, TaskId } from 'hurd-ffi';
import { runCli } from '../src/cli/run.js';
import { MigUser } from '../src/cluster/mig-user.js';
import { connect, HurdErrno, isNetmsgServerError, O_READ, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, migCall, type Tree } from './helpers.js';

const SECRET = 'gnumach serve test secret';
const BOOT_MS = 240_000;
const GETROOT = { dotdot_node: { name: 0, disposition: MACH_MSG_TYPE_COPY_SEND }, gen_uids: [], gen_gids: [], flags: O_READ };

/** QEMU processes descending from this process (other runs' are not ours). */
function ourQemus(): string[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const ours = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [, pid, ppid] of rows) if (ours.has(ppid!) && !ours.has(pid!)) (ours.add(pid!), (grew = true));
  }
  return rows.filter(([, pid, , args]) => pid !== String(process.pid) && ours.has(pid!) && /^\S*qemu-system/.test(args!)).map(([, pid]) => pid!);
}

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

/** A task on `node`'s kernel holding the export's root directory (fsys_getroot on the control port). */
async function rootDirTask(node: RunningNode): Promise<{ task: TaskId; dir: number }> {
  const k = node.kernel;
  const x = node.cluster.exportTask!;
  const task = await k.taskCreate({ name: 'fs-client' });
  const control = await k.portExtractRight(x.task, x.controlName, MACH_MSG_TYPE_MAKE_SEND, task);
  expect(control.kr).toBe(0);
  const dir = (await migCall(k, task, control.name, 'fsys_getroot', GETROOT))['file'] as { name: number };
  return { task, dir: dir.name };
}

interface CallResults { lookup: number; retry: number; stat?: number; statData?: string; read?: number; data?: string }

/** The C client's sequence, made by a TypeScript MIG user (MigUser) on `kernel`. */
async function tsClient(kernel: MachKernel, task: TaskId, dir: number, path: string): Promise<CallResults> {
  const fs = getBuiltinInterface('fs', 'x86_64');
  const io = getBuiltinInterface('io', 'x86_64');
  const user = new MigUser(kernel, task);
  try {
    const call = async (iface: typeof fs, routine: string, port: number, args: Record<string, unknown>) => {
      const r = iface.routine(routine);
      const { msg, ool } = await user.call(r.encodeRequest(args as never, { header: { remotePort: port } }), [], 20_000);
      return { msg, ool, dec: r.decodeReply(msg) };
    };
    const l = await call(fs, 'dir_lookup', dir, { file_name: path, flags: O_READ, mode: 0 });
    const out: CallResults = { lookup: l.dec.retCode | 0, retry: 0 };
    if (l.dec.retCode !== 0) return out;
    out.retry = l.dec.args['do_retry'] as number;
    const file = (l.dec.args['result'] as { name: number }).name;
    const s = await call(io, 'io_stat', file, {});
    out.stat = s.dec.retCode | 0;
    const item = s.msg.items[1];
    if (item?.kind === 'data') out.statData = Buffer.from(item.data).toString('hex');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const r = await call(io, 'io_read', file, { offset: BigInt(total), amount: 8192n });
      out.read = r.dec.retCode | 0;
      if (r.dec.retCode !== 0) break;
      const inline = r.dec.args['data'];
      const d = inline instanceof Uint8Array && inline.length > 0 ? inline : (r.ool[0] ?? new Uint8Array(0));
      if (d.length === 0) break;
      chunks.push(Buffer.from(d));
      total += d.length;
    }
    out.data = Buffer.concat(chunks).toString('hex');
    await kernel.portDeallocate(task, file);
    return out;
  } finally {
    await user.dispose();
  }
}

/** io_statbuf_t without st_atim (x86_64 bytes 72-87): reading a file may move its atime between the runs. */
function withoutAtime(r: CallResults): CallResults {
  return r.statData === undefined ? r : { ...r, statData: r.statData.slice(0, 144) + r.statData.slice(176) };
}

const PATHS = ['hello.txt', 'sub/small.bin', 'sub/edge.bin', 'empty', 'no/such/file', 'hello.txt/x', 'sub'];

describe('netmsg-server on the real GNU Mach (x86_64)', () => {
  let tree: Tree;
  let node: RunningNode | undefined;
  let sim: RunningNode | undefined;
  let c: FsClient | undefined;
  let cs: FsClient | undefined;
  let served: Promise<number> | undefined;
  let secretFile: string;
  beforeAll(async () => {
    tree = makeTree();
    secretFile = join(tree.base, 'secret');
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
    sim = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    cs = await connect(`127.0.0.1:${sim.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c?.close();
    await node?.close();
    await served;
    await cs?.close();
    await sim?.close();
    tree?.cleanup();
  });

  it('serves lookup, read, stat and readdir to a client as the simulated kernel does', { timeout: BOOT_MS + 240_000 }, async () => {
    const err: string[] = [];
    node = await new Promise<RunningNode>((resolve, reject) => {
      served = runCli(['serve', '--kernel', 'gnumach', '--export', tree.root, '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--log-level', 'silent'], {
        stdout: () => undefined, stderr: (x) => err.push(x), signals: false, onServing: resolve,
      });
      void served.then((code) => reject(new Error(`serve --kernel gnumach ended with ${code}: ${err.join('')}`)));
    });
    expect(node.kernel.backend).toBe('gnumach');
    expect(ourQemus().length).toBe(1);
    c = await connect(`127.0.0.1:${node.port}`, { secretFile, timeoutMs: 60_000 });
    const real = (await survey(c)) as { missing: { kern: number }; notDir: { kern: number } };
    expect(real.missing.kern).toBe(HurdErrno.ENOENT);
    expect(real.notDir.kern).toBe(HurdErrno.ENOTDIR);
    expect(real).toEqual(await survey(cs!));
    expect(node.cluster.exportTask!.errors).toEqual([]);
    expect(node.cluster.driver.errors).toEqual([]);
  });

  it('answers a C client task on the real kernel (MIG layouts) as it answers a MIG user on the simulated kernel', { timeout: 240_000 }, async () => {
    expect(node).toBeDefined();
    const g = node!.kernel as GnumachKernel;
    const real = await rootDirTask(node!);
    const simRoot = await rootDirTask(sim!);
    for (const path of PATHS) {
      const r = await g.fsClient(real.task, real.dir, path);
      const got: CallResults = {
        lookup: r.lookup, retry: r.retry,
        ...(r.stat !== undefined ? { stat: r.stat } : {}),
        ...(r.statData !== undefined ? { statData: Buffer.from(r.statData).toString('hex') } : {}),
        ...(r.read !== undefined ? { read: r.read, data: Buffer.from(r.data ?? []).toString('hex') } : {}),
      };
      const want = await tsClient(sim!.kernel, simRoot.task, simRoot.dir, path);
      expect(withoutAtime(got), path).toEqual(withoutAtime(want));
      if (path === 'sub/edge.bin') expect(got.data).toBe(Buffer.from(tree.files['sub/edge.bin']!).toString('hex')); // 2049 bytes: out-of-line
      if (path === 'hello.txt') expect(got.data).toBe(Buffer.from('hello, hurd\n').toString('hex'));
    }
    expect((await g.fsClient(real.task, real.dir, 'no/such/file')).lookup).toBe(HurdErrno.ENOENT);
    expect((await g.fsClient(real.task, real.dir, 'sub')).read).toBe(HurdErrno.EISDIR);
    expect(node!.cluster.exportTask!.errors).toEqual([]);
  });

  it('close() stops the QEMU it started', { timeout: 60_000 }, async () => {
    await c?.close();
    c = undefined;
    await node?.close();
    node = undefined;
    expect(await served).toBe(0);
    expect(ourQemus()).toEqual([]);
  });
});
