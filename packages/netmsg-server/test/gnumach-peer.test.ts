/**
 * A node on the real GNU Mach (`startNode({ kernel: 'gnumach', peers })`: its
 * netmsg, export and auth tasks run on GNU Mach 1.8 under QEMU) linked as a
 * PEER to a node on the simulated kernel: the gnumach node dials the sim
 * node through `peers` (the `--peer` path, not `connect()`), over TCP on
 * loopback. Over that one link:
 * - the scenarios of the seed's netmsg-test suite (seed-scenarios.ts:
 *   test1-13 and 5a, and the "more" tests, 200 KB out of line among them: send rights,
 *   send-once replies, receive rights moving with their queues and
 *   no-senders requests, NO SENDERS / DEAD NAME / PORT_DELETED across the
 *   link, out-of-line port arrays, a client task exiting), in both directions: client task on
 *   the sim node and server task on the gnumach node, then the other way
 *   round, each followed by the check that both nodes' netmsg tables are
 *   back to what they were after setup. test5a (a no-senders request the
 *   gnumach server made on the port itself, moving with the receive right)
 *   is the one the real kernel broke: see hurd-ffi's GnumachKernel
 *   portRequestNotification;
 * - a task on the sim node reads a file of the gnumach node's export (served
 *   by the export task on the real kernel) through the peer link, and the
 *   export's ports go back to their baseline once the task is gone.
 * The sim node is a seed-host NodeHost (a ClusterNode without an export,
 * accepting links as startNode does, without the request gate), so that its
 * root can be the sim server task's service port, as in the seed's setup; the
 * gnumach node's root is its export's control port, so the sim client gets
 * its right to the gnumach server's service port as a third-party right (the
 * gnumach server sends it to the sim node's root).
 * Not here: a task on the gnumach node reading a file of the sim node (the
 * sim node has no export, its root being the service port); the
 * three-node (relay) topology is gnumach-relay.test.ts. One boot; closing must leave none of the
 * QEMUs this process started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND } from 'mach-msg';
import { MigUser } from '../src/cluster/mig-user.js';
import type { GnumachKernel } from 'hurd-ffi';
import { O_READ, silentLogger, startNode, type RunningNode } from '../src/index.js';
import { makeTree, migCall, type Tree } from './helpers.js';
import { NodeHost, SEED_SECRET } from './seed-host.js';
import { backToBaseline, SEED_SCENARIOS, tables, Task, type Exec, type SeedWorld } from './seed-scenarios.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { GUARDED_CALL_MS, untilProgressing, whileProgressing, withSteps } from '../../../test-support/gnumach-progress.js';

const BOOT_MS = 240_000;
const SIM_ID = 71;
const GNU_ID = 72;
const GETROOT = { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ };

/**
 * The scenarios' waits: a loaded host slows the guest (QEMU's TCG) without
 * bound ("out-of-line data in chunks" sends 200 KB out of line, which
 * crosses the agent's serial link in about 20 s quiet, 23 s at load 10), so
 * a task's receive has no bound of its own (GUARDED_CALL_MS) and a scenario
 * runs while it moves (`scenario` below: the guest's productive exchanges or
 * a task operation done on either node); one that has not moved for a
 * minute fails with what the link was doing.
 */
const RECEIVE_MS = GUARDED_CALL_MS;
/**
 * The hang guard of the scenarios, the export reads and the closes, which
 * all wait on the guest (the export task's answers; the driver going idle
 * and task_terminate of each task before QEMU stops): whileProgressing
 * fails a stuck guest within a minute, so this only catches what it cannot
 * see.
 */
const WORK_MS = 900_000;

/** Closes the gnumach node, waiting while its link makes progress. */
function closeGnu(gnu: RunningNode): Promise<void> {
  return whileProgressing(gnu.kernel as GnumachKernel, 'closing the gnumach node', gnu.close('test done'));
}

function portOf(v: unknown): number {
  return (v as { name: number }).name;
}

function world(client: Task, server: Task, srv: number, toServer: number, hosts: Exec[], gk: GnumachKernel): SeedWorld {
  return {
    topology: 2, client, server, srv, toServer, hosts,
    until: (what, cond) => untilProgressing(gk, what, cond),
    async otherClient(label) {
      await client.exec('task', label);
      expect(await client.copySendTo(toServer, label)).toBe(0);
      return { task: new Task(client.exec, label, client.abi, RECEIVE_MS), toServer };
    },
  };
}

describe('a gnumach node and a sim node linked as peers (TCP on loopback)', () => {
  let tree: Tree | undefined;
  let sim: NodeHost | undefined;
  let gnu: RunningNode | undefined;
  /** client on sim, server on gnumach; and the other way round. */
  let toGnu: SeedWorld;
  let toSim: SeedWorld;
  let base: string[];
  /** Task operations done on either node: progress of a scenario besides the guest's own. */
  let steps = 0;
  const counted = (e: Exec): Exec => (op, ...args) => e(op, ...args).finally(() => void steps++);

  /** One scenario and the tables' return to the baseline, while the guest or the tasks make progress. */
  function scenario(name: string, w: SeedWorld, run: (w: SeedWorld) => Promise<void>): Promise<void> {
    const gk = gnu!.kernel as GnumachKernel;
    return whileProgressing(withSteps(gk, () => steps), name, run(w).then(() => backToBaseline(w, base)));
  }

  beforeAll(async () => {
    tree = makeTree();
    sim = await NodeHost.create(SIM_ID);
    const se: Exec = counted((op, ...args) => sim!.exec({ op, args }));
    await se('task', 'server');
    const simServer = new Task(se, 'server', 'x86_64', RECEIVE_MS);
    const srvOnSim = await simServer.allocate();
    await se('publishRoot', 'server', srvOnSim);
    const port = (await se('listen')) as number;

    gnu = await startNode(
      { kernel: 'gnumach', export: tree.root, listen: '127.0.0.1:0', secret: SEED_SECRET, nodeId: GNU_ID, peers: [`127.0.0.1:${port}`] },
      { logger: silentLogger },
    );
    expect(gnu.kernel.backend).toBe('gnumach');
    await untilProgressing(gnu.kernel as GnumachKernel, 'the peer link coming up', () => gnu!.peers().includes(SIM_ID) && sim!.node.peers().includes(GNU_ID));
    const gh = NodeHost.of(gnu.cluster);
    const ge: Exec = counted((op, ...args) => gh.exec({ op, args }));

    // Client on gnumach, server on sim: the client imports the sim node's root, the service port.
    await ge('task', 'client');
    const gnuClient = new Task(ge, 'client', (await ge('abi')) as 'x86_64', RECEIVE_MS);
    const toSrvOnSim = (await ge('importRoot', SIM_ID, 'client')) as number;

    // Server on gnumach, client on sim: the gnumach server sends a send right to its service port to the sim root;
    // the sim server task hands it to the sim client (the same name) and drops its own.
    await ge('task', 'server');
    const gnuServer = new Task(ge, 'server', gnuClient.abi, RECEIVE_MS);
    const srvOnGnu = await gnuServer.allocate();
    const simRoot = (await ge('importRoot', SIM_ID, 'server')) as number;
    expect(await gnuServer.send(simRoot, 1, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [srvOnGnu] } })).toBe(0);
    const intro = await simServer.receive(srvOnSim);
    expect(intro.id).toBe(1);
    const toSrvOnGnu = intro.ports[0]!;
    await se('task', 'client');
    const simClient = new Task(se, 'client', 'x86_64', RECEIVE_MS);
    expect(await simServer.copySendTo(toSrvOnGnu, 'client')).toBe(0);
    expect(await simServer.deallocate(toSrvOnGnu)).toBe(0);

    const gk = gnu.kernel as GnumachKernel;
    toGnu = world(simClient, gnuServer, srvOnGnu, toSrvOnGnu, [se, ge], gk);
    toSim = world(gnuClient, simServer, srvOnSim, toSrvOnSim, [se, ge], gk);
    base = await tables(toGnu);
  }, BOOT_MS);

  afterAll(async () => {
    if (gnu) await closeGnu(gnu);
    await sim?.exec({ op: 'close', args: [] });
    tree?.cleanup();
  }, WORK_MS);

  it('the link is the gnumach node\'s configured peer', () => {
    expect(gnu!.peers()).toEqual([SIM_ID]);
    expect(sim!.node.peers()).toEqual([GNU_ID]);
    expect(ourQemus().length).toBe(1);
  });

  for (const [name, run, opts] of SEED_SCENARIOS) {
    if (opts?.notOn?.includes(2)) continue;
    it(`sim client -> gnumach server: ${name}`, () => scenario(name, toGnu, run), WORK_MS);
    it(`gnumach client -> sim server: ${name}`, () => scenario(name, toSim, run), WORK_MS);
  }

  it('a task on the sim node reads a file of the gnumach node\'s export through the peer link', async () => {
    const gk = gnu!.kernel as GnumachKernel;
    const baseline = (await gnu!.portTable()).exportPorts;
    await whileProgressing(gk, 'reads of the gnumach node\'s export from a sim task', readExport(baseline));
    // NO SENDERS across the link: the real kernel's export drops the ports the sim task held.
    await untilProgressing(gk, 'NO SENDERS across the link: the export\'s ports back to their baseline', async () => (await gnu!.portTable()).exportPorts === baseline);
    expect(gnu!.cluster.exportTask!.errors).toEqual([]);
  }, WORK_MS);

  /** The test above's calls on the export, from a task on the sim node, which it then terminates. */
  async function readExport(baseline: number): Promise<void> {
    const k = sim!.node.kernel;
    const { task, name: root } = await sim!.node.remoteRoot(GNU_ID);
    const dir = portOf((await migCall(k, task, root, 'fsys_getroot', GETROOT, GUARDED_CALL_MS))['file']);
    const small = portOf((await migCall(k, task, dir, 'dir_lookup', { file_name: 'hello.txt', flags: O_READ, mode: 0 }, GUARDED_CALL_MS))['result']);
    const r = await migCall(k, task, small, 'io_read', { offset: 0n, amount: 64n }, GUARDED_CALL_MS);
    expect(new TextDecoder().decode(r['data'] as Uint8Array)).toBe('hello, hurd\n');
    // Out of line: a 300000-byte file, 64 KiB from offset 100000.
    const big = portOf((await migCall(k, task, dir, 'dir_lookup', { file_name: 'sub/deep/big.bin', flags: O_READ, mode: 0 }, GUARDED_CALL_MS))['result']);
    // 64 KiB come back out of line: the MIG user takes the region the kernel put in the sim task.
    const io = getBuiltinInterface('io', 'x86_64').routine('io_read');
    const user = new MigUser(k, task);
    const reply = await user.call(io.encodeRequest({ offset: 100_000n, amount: 65_536n }, { header: { remotePort: big } }), [], GUARDED_CALL_MS).finally(() => user.dispose());
    expect(io.decodeReply(reply.msg).retCode).toBe(0);
    expect(reply.ool.length).toBe(1);
    expect(Buffer.from(reply.ool[0]!).equals(Buffer.from(tree!.files['sub/deep/big.bin']!.subarray(100_000, 165_536)))).toBe(true);
    expect((await gnu!.portTable()).exportPorts).toBe(baseline + 3); // the directory and the two files
    expect(await k.taskTerminate(task)).toBe(0);
  }

  it('close() stops the QEMU it started', { timeout: WORK_MS }, async () => {
    await closeGnu(gnu!);
    gnu = undefined;
    expect(ourQemus()).toEqual([]);
  });
});
