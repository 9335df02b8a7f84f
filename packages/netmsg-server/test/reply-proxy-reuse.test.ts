/**
 * The server node's reply ports (one-shot proxies of the callers' reply
 * rights) are kept per link and reused for the next request's reply right
 * (NetmsgNode `spareOneShots`): an RPC then costs the node no port made and
 * none destroyed. A reused port must never carry a reply to another caller
 * than the one whose right it stands for, and a caller that gives up (its
 * reply port destroyed) must not leave its port in the pool nor anywhere
 * else: the port is destroyed and its late reply reaches nobody. Real nodes
 * on loopback, a real FIFO (mkfifo(1)); nothing is timed.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants as FS, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { getBuiltinInterface } from 'mach-msg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallFailed, connect, MigUser, O_READ, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, until, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const SECRET = 'reply proxy reuse test secret';
/** Files of distinct sizes: a stat's answer tells which request it answers. */
const FILES = 24;
const sizeOf = (i: number): number => 1 + i * 37;

describe('reply ports reused by the server node', () => {
  let tree: Tree;
  let node: RunningNode;
  let client: FsClient;
  let writer: number;

  beforeAll(async () => {
    tree = makeTree();
    for (let i = 0; i < FILES; i++) writeFileSync(join(tree.root, `f${i}`), new Uint8Array(sizeOf(i)));
    const mk = spawnSync('mkfifo', [join(tree.root, 'pipe')]);
    if (mk.status !== 0) throw new Error(`mkfifo: ${mk.stderr}`);
    giveTree(tree.root);
    // An empty FIFO with a writer: a read of it waits until the test writes.
    writer = openSync(join(tree.root, 'pipe'), FS.O_RDWR | FS.O_NONBLOCK);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    client = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 60_000 });
  });
  afterAll(async () => {
    await client?.close();
    await node?.close();
    if (writer !== undefined) closeSync(writer);
    tree?.cleanup();
  });

  /**
   * Both port tables once nothing moves (released rights travel and are
   * freed asynchronously): unchanged over 20 event-loop turns in a row.
   */
  async function quiet(): Promise<[Awaited<ReturnType<RunningNode['portTable']>>, Awaited<ReturnType<RunningNode['portTable']>>]> {
    let last = '';
    let same = 0;
    for (let i = 0; i < 2000; i++) {
      const t = [await node.portTable(), await client.node.portTable()] as const;
      const now = JSON.stringify(t);
      same = now === last ? same + 1 : 0;
      if (same >= 20) return [t[0], t[1]];
      last = now;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error('port tables never settled');
  }

  /** netmsg's names on the node as the kernel counts them (the spare reply ports included). */
  const rawNames = async (): Promise<number> => (await node.kernel.portNames(node.cluster.driver.task)).names.length;

  it('concurrent calls, answered in any order, each get their own reply while ports are reused', async () => {
    const machine = node.cluster.driver.machine;
    for (let round = 0; round < 4; round++) {
      const sizes = await Promise.all(Array.from({ length: FILES }, (_, i) => client.stat(`f${(i * 5 + round) % FILES}`).then((s) => s.size)));
      expect(sizes).toEqual(Array.from({ length: FILES }, (_, i) => BigInt(sizeOf((i * 5 + round) % FILES))));
    }
    // Ports were kept for reuse, no more than a link keeps, and nothing else is left over.
    const spare = machine.spareOneShotCount();
    expect(spare).toBeGreaterThan(0);
    expect(spare).toBeLessThanOrEqual(16);
    const t = await node.portTable();
    expect(await rawNames()).toBe(t.netmsgNames + spare);
    expect(machine.tables().sendOnceProxies).toEqual([]);
    // Sequential calls now make no port in netmsg's space on the node: every reply right comes from a kept port.
    const k = node.kernel;
    const allocate = k.portAllocate.bind(k);
    let made = 0;
    k.portAllocate = (task, right) => {
      if (task === node.cluster.driver.task) made++;
      return allocate(task, right);
    };
    try {
      for (let i = 0; i < 20; i++) expect((await client.stat(`f${i % FILES}`)).size).toBe(BigInt(sizeOf(i % FILES)));
    } finally {
      k.portAllocate = allocate;
    }
    expect(made).toBe(0);
    expect(machine.spareOneShotCount()).toBe(spare);
  });

  it('a caller that gave up: its reply port is destroyed, not kept, and its late reply reaches no other caller', async () => {
    const machine = node.cluster.driver.machine;
    const [base, clientBase] = await quiet();
    // Calls in flight together leave ports in the link's pool.
    await Promise.all(Array.from({ length: 4 }, (_, i) => client.stat(`f${i}`)));
    const spareBefore = machine.spareOneShotCount();
    const io = getBuiltinInterface('io', client.abi).routine('io_read');
    const fifo = await client.lookup('pipe', O_READ);
    // A second MIG user in the client's task: its call waits on the empty FIFO.
    const quitter = new MigUser(client.kernel, client.task);
    const req = io.encodeRequest({ offset: -1n, amount: 100n }, { header: { remotePort: fifo } });
    const waiting = quitter.call(req, [], 60_000).then(
      () => 'answered',
      (e: unknown) => (e instanceof CallFailed ? e.failure.kind : String(e)),
    );
    await until(() => machine.tables().sendOnceProxies.length === 1 && node.cluster.exportTask!.busy === 1);
    const oneShot = machine.tables().sendOnceProxies[0]!.name;
    // It gives up: its reply port is destroyed (as mig_dealloc_reply_port does after an interrupted call).
    quitter.interrupt();
    expect(await waiting).toBe('interrupted');
    // The client's netmsg hears its reply right die and tells the node: the one-shot port goes, not into the pool.
    await until(() => machine.tables().sendOnceProxies.length === 0);
    // Destroyed in the kernel (not kept): its name is gone from netmsg's space. It was a kept port
    // (the pool had some), so the pool is one fewer.
    expect(machine.portKind(oneShot)).toBeUndefined();
    expect((await node.kernel.portType(node.cluster.driver.task, oneShot)).kr).not.toBe(0);
    expect(spareBefore).toBeGreaterThan(0);
    expect(machine.spareOneShotCount()).toBe(spareBefore - 1);
    // Other calls meanwhile, on reused ports, get their own answers.
    const sizes = await Promise.all(Array.from({ length: 8 }, (_, i) => client.stat(`f${i}`).then((s) => s.size)));
    expect(sizes).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(sizeOf(i))));
    // The FIFO read completes now: its reply right is a dead name, the reply goes nowhere.
    writeSync(writer, 'late reply data');
    await until(() => node.cluster.exportTask!.busy === 0);
    for (let i = 0; i < 8; i++) expect((await client.stat(`f${FILES - 1 - i}`)).size).toBe(BigInt(sizeOf(FILES - 1 - i)));
    await quitter.dispose();
    client.release(fifo);
    // Nothing leaks on either side.
    await until(async () => {
      const t = await node.portTable();
      const c = await client.node.portTable();
      return t.exportPorts === base.exportPorts && t.netmsgNames === base.netmsgNames && t.identities === base.identities
        && c.netmsgNames === clientBase.netmsgNames && c.identities === clientBase.identities;
    });
    expect(node.cluster.driver.errors).toEqual([]);
  });

  it('a lost link takes its spare reply ports with it', async () => {
    const machine = node.cluster.driver.machine;
    const other = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 60_000 });
    const base = machine.spareOneShotCount();
    await Promise.all(Array.from({ length: 6 }, (_, i) => other.stat(`f${i}`)));
    await until(() => machine.spareOneShotCount() > base);
    await other.close();
    await until(() => machine.spareOneShotCount() === base);
    expect(await rawNames()).toBe((await node.portTable()).netmsgNames + base);
  });
});
