import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACH_MSG_TYPE_MOVE_SEND } from 'mach-msg';
import { connect, isNetmsgServerError, O_READ, silentLogger, startNode, type RunningNode } from '../src/index.js';
import { bundleChildNode, makeTree, migCall, until, type Tree } from './helpers.js';

const SECRET = 'peer links shared secret';

function portOf(v: unknown): number {
  return (v as { name: number }).name;
}

/** netmsg knows nothing but roots (its own, and peers' it imported): every transfer was released. */
function onlyRoots(n: RunningNode): boolean {
  const t = n.cluster.driver.machine.tables();
  return t.ports.every((p) => p.pinned) && t.sendOnceOut.length === 0 && t.sendOnceProxies.length === 0;
}

const GETROOT = { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ };

describe('nodes linked with peers (TCP on loopback)', () => {
  const trees: Tree[] = [];
  const nodes: RunningNode[] = [];
  afterAll(async () => {
    for (const n of nodes.reverse()) await n.close('test done');
    for (const t of trees) t.cleanup();
  });

  async function node(peers: string[] = []): Promise<RunningNode> {
    const tree = makeTree();
    trees.push(tree);
    const n = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, peers }, { logger: silentLogger });
    nodes.push(n);
    return n;
  }

  it('three nodes A - B - C: each reads its neighbours\' exports, and a right of A passes through B to C with exact NO SENDERS', async () => {
    const a = await node();
    const b = await node([a.address]);
    const c = await node([b.address]);
    await until(() => a.peers().length === 1 && b.peers().length === 2 && c.peers().length === 1);
    expect(b.peers().sort()).toEqual([a.nodeId, c.nodeId].sort());
    expect(c.peers()).toEqual([b.nodeId]);

    // Baselines: the control port, the spare pool, and what the map service keeps in the export task.
    const baseA = (await a.portTable()).exportPorts;
    const baseB = (await b.portTable()).exportPorts;
    const baseC = (await c.portTable()).exportPorts;
    // A task on C reads B's export; a task on B reads A's.
    for (const [from, to] of [[c, b], [b, a]] as const) {
      const { task, name: root } = await from.remoteRoot(to.nodeId);
      const dir = portOf((await migCall(from.kernel, task, root, 'fsys_getroot', GETROOT))['file']);
      const f = portOf((await migCall(from.kernel, task, dir, 'dir_lookup', { file_name: 'hello.txt', flags: O_READ, mode: 0 }))['result']);
      const r = await migCall(from.kernel, task, f, 'io_read', { offset: 0n, amount: 64n });
      expect(new TextDecoder().decode(r['data'] as Uint8Array)).toBe('hello, hurd\n');
      await from.kernel.taskTerminate(task);
    }
    await until(async () => (await a.portTable()).exportPorts === baseA && (await b.portTable()).exportPorts === baseB);

    // B opens a file of A and hands the right to C (as fsys_getroot's dotdot_node on C's root):
    // C's export gets a real right, a proxy on C routed to B (C has no link to A).
    const { task, name: aRoot } = await b.remoteRoot(a.nodeId);
    const { name: cRoot } = await b.remoteRoot(c.nodeId, task);
    const dir = portOf((await migCall(b.kernel, task, aRoot, 'fsys_getroot', GETROOT))['file']);
    const file = portOf((await migCall(b.kernel, task, dir, 'dir_lookup', { file_name: 'sub/small.bin', flags: O_READ, mode: 0 }))['result']);
    expect((await a.portTable()).exportPorts).toBe(baseA + 2);
    let routes: (number | undefined)[] = [];
    const stop = c.kernel.observe((e) => {
      if (e.phase === 'receive' && e.task === c.cluster.exportTask!.task && e.msgId === 22002) {
        routes = c.cluster.driver.machine.tables().ports.filter((p) => p.role === 'proxy' && p.key.startsWith(`${a.nodeId}:`)).map((p) => p.route);
      }
    });
    const r = await migCall(b.kernel, task, cRoot, 'fsys_getroot', { ...GETROOT, dotdot_node: { name: file, disposition: MACH_MSG_TYPE_MOVE_SEND } });
    stop();
    expect(routes).toEqual([b.nodeId]);
    await b.kernel.taskTerminate(task); // every right B's task held, C's file port included
    void r;
    // C's export let the right go; B's task is gone: NO SENDERS reaches A's export, both ports are freed.
    await until(async () => (await a.portTable()).exportPorts === baseA && (await c.portTable()).exportPorts === baseC);
    for (const n of [a, b, c]) {
      await until(() => onlyRoots(n));
      expect(n.cluster.driver.errors).toEqual([]);
    }
  });

  it('a second link from the same node id is refused; the first keeps working', async () => {
    const a = await node();
    const b = await node([a.address]);
    await until(() => a.peers().includes(b.nodeId));
    const e = await b.dial(a.address).catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('connect_failed');
    const { task, name } = await b.remoteRoot(a.nodeId);
    expect(portOf((await migCall(b.kernel, task, name, 'fsys_getroot', GETROOT))['file'])).not.toBe(0);
    await b.kernel.taskTerminate(task);
  });
});

describe('a peer node process killed with SIGKILL mid-RPC', () => {
  let dir: string;
  let tree: Tree;
  let child: ChildProcess | undefined;
  let script: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netmsg-server-kill-'));
    tree = makeTree();
    script = bundleChildNode(dir);
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    tree.cleanup();
  });

  it('callers get typed errors at once, nothing hangs, and port counts return to their baseline', async () => {
    child = spawn(process.execPath, [script, JSON.stringify({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [port, childId] = await new Promise<[number, number]>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready (\d+) (\d+)/.exec(out);
        if (m) resolve([Number(m[1]), Number(m[2])]);
      });
      child!.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const b = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, peers: [`127.0.0.1:${port}`] }, { logger: silentLogger });
    try {
      await until(() => b.peers().includes(childId));
      const base = await b.portTable();
      const client = await connect(`127.0.0.1:${port}`, { secret: SECRET, timeoutMs: 60_000 });
      const { task, name: root } = await b.remoteRoot(childId);
      // Two callers keep the child busy: a client of the child, and a task on node B reading through B's netmsg.
      let clientReads = 0;
      let taskReads = 0;
      const viaClient = (async () => {
        for (;;) {
          await client.read('sub/deep/big.bin');
          clientReads++;
        }
      })().catch((x: unknown) => x);
      const viaNode = (async () => {
        const dir = portOf((await migCall(b.kernel, task, root, 'fsys_getroot', GETROOT, 60_000))['file']);
        for (;;) {
          const f = portOf((await migCall(b.kernel, task, dir, 'dir_lookup', { file_name: 'sub/deep/big.bin', flags: O_READ, mode: 0 }, 60_000))['result']);
          await migCall(b.kernel, task, f, 'io_read', { offset: 0n, amount: 65536n }, 60_000);
          await b.kernel.portDeallocate(task, f);
          taskReads++;
        }
      })().catch((x: unknown) => x);
      await until(() => clientReads > 0 && taskReads > 0);
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const [e1, e2] = await Promise.all([viaClient, viaNode]);
      // The client's link closed: link_closed. The task on B: its reply right died with the link (MIG_SERVER_DIED)
      // or the destination died (MACH_SEND_INVALID_DEST) — never a hang.
      expect(isNetmsgServerError(e1) && e1.code).toBe('link_closed');
      expect(String(e2)).toMatch(/serverDied|0x10000003|0xfffffecc/);
      await until(() => !b.peers().includes(childId));
      await b.kernel.taskTerminate(task);
      await until(async () => {
        const t = await b.portTable();
        return t.identities === base.identities && t.exportPorts === base.exportPorts && t.netmsgNames === base.netmsgNames;
      });
      expect(b.cluster.driver.errors).toEqual([]);
      await client.close();
    } finally {
      await b.close();
    }
  });
});
