import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachKernel } from 'hurd-ffi';
import { connect, isNetmsgServerError, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, until, type Tree } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';

/**
 * `connect(url, { kernel })`: a client kernel that cannot start is a typed
 * error, and the socket already dialled is closed (no link left on either
 * side). QEMU is made unreachable by an empty PATH in this test's own worker.
 * `kernelOpened` hands the caller the client's kernel before connect waits
 * on it (the gnumach tests watch a guest's progress through it).
 */
const SECRET = 'connect kernel secret';
const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('connect with a kernel that cannot start', () => {
  let tree: Tree;
  let node: RunningNode;
  beforeAll(async () => {
    tree = makeTree();
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
  });
  afterAll(async () => {
    await node?.close();
    tree?.cleanup();
  });

  it('rejects with kernel_unavailable and leaves no socket open', async () => {
    const before = sockets();
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    const e = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, kernel: 'gnumach', timeoutMs: 20_000 })
      .then(() => undefined, (x: unknown) => x)
      .finally(() => (process.env['PATH'] = path));
    expect(isNetmsgServerError(e) && e.code).toBe('kernel_unavailable');
    expect((e as Error).message).toMatch(/kernel 'gnumach'/);
    await until(() => sockets() === before);
    expect(node.cluster.peers()).toEqual([]);
    expect(ourQemus()).toEqual([]);
  });
});

describe('connect\'s kernelOpened', () => {
  let tree: Tree;
  let node: RunningNode;
  let c: FsClient | undefined;
  beforeAll(async () => {
    tree = makeTree();
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
  });
  afterAll(async () => {
    await c?.close();
    await node?.close();
    tree?.cleanup();
  });

  it('is called once, before connect resolves, with the kernel the client then runs on', async () => {
    const opened: { kernel: MachKernel; settled: boolean }[] = [];
    let settled = false;
    const p = connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000, kernelOpened: (k) => opened.push({ kernel: k, settled }) });
    c = await p.finally(() => (settled = true));
    expect(opened.length).toBe(1);
    expect(opened[0]!.settled).toBe(false);
    expect(opened[0]!.kernel).toBe(c.kernel);
    expect(await c.read('hello.txt')).toEqual(new TextEncoder().encode('hello, hurd\n'));
  });
});
