import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeMessage, getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_NOTIFY_NO_SENDERS, MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG, MACH_RCV_TIMEOUT, MACH_SEND_INVALID_DEST, MIG_BAD_ARGUMENTS, MIG_BAD_ID,
} from 'mach-msg';
import {
  connect, CONTROL_PORT, HurdErrno, isNetmsgServerError, O_READ, O_WRITE, O_CREAT, S_IFDIR, S_IFMT, S_IFREG, silentLogger, startNode,
  type FsClient, type RunningNode,
} from '../src/index.js';
import { makeTree, until, type Tree } from './helpers.js';

const SECRET = 'test secret 0123456789';

/** The node's port table once netmsg and the export are idle. */
async function settled(n: RunningNode): Promise<Awaited<ReturnType<RunningNode['portTable']>>> {
  let last = await n.portTable();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setImmediate(r));
    const t = await n.portTable();
    if (JSON.stringify(t) === JSON.stringify(last)) return t;
    last = t;
  }
  return last;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('a node on loopback, read-only export', () => {
  let tree: Tree;
  let node: RunningNode;
  let client: FsClient;
  beforeAll(async () => {
    tree = makeTree();
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    client = await connect(`netmsg://127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    client?.close();
    await node?.close('test done');
    tree?.cleanup();
  });

  it('lists the tree', async () => {
    const root = (await client.readdir('')).map((e) => e.name).sort();
    expect(root).toEqual(['abs-in', 'abs-out', 'dir-out', 'empty', 'hello.txt', 'link-in', 'sub']);
    const sub = await client.readdir('sub');
    expect(sub.map((e) => e.name).sort()).toEqual(['deep', 'edge.bin', 'rel-out', 'small.bin']);
    expect(sub.find((e) => e.name === 'deep')?.type).toBe(4); // DT_DIR
    expect(sub.find((e) => e.name === 'small.bin')?.type).toBe(8); // DT_REG
    expect(sub.find((e) => e.name === 'rel-out')?.type).toBe(10); // DT_LNK
  });

  it('reads every file byte-exact (inline and out-of-line replies)', async () => {
    for (const [p, d] of Object.entries(tree.files)) {
      expect(Buffer.from(await client.read(p)).equals(Buffer.from(d)), p).toBe(true);
    }
  });

  it('stats files and directories', async () => {
    const st = await client.stat('sub/deep/big.bin');
    expect(st.size).toBe(300_000n);
    expect(st.mode & S_IFMT).toBe(S_IFREG);
    const d = await client.stat('sub');
    expect(d.mode & S_IFMT).toBe(S_IFDIR);
  });

  it('follows symlinks that stay inside, and io_seek moves the file pointer', async () => {
    expect(Buffer.from(await client.read('link-in')).equals(Buffer.from(tree.files['sub/small.bin']!))).toBe(true);
    expect(new TextDecoder().decode(await client.read('abs-in'))).toBe('hello, hurd\n');
    const port = await client.lookup('hello.txt');
    expect(await client.seek(port, 7n, 0)).toBe(7n);
    expect(new TextDecoder().decode(await client.readPort(port))).toBe('hurd\n');
    expect(await client.seek(port, -2n, 2)).toBe(10n);
  });

  it('never resolves outside the export', async () => {
    const attempts = ['../outside/secret.txt', '../../outside/secret.txt', 'sub/../../outside/secret.txt', '/../outside/secret.txt',
      'sub/rel-out', 'abs-out', 'dir-out/secret.txt'];
    for (const p of attempts) {
      const e = await rejection(client.read(p));
      expect(isNetmsgServerError(e) && e.code === 'rpc_failed', `${p}: ${String(e)}`).toBe(true);
    }
    // `..` at the root is the root itself (a root with no root parent).
    const names = (await client.readdir('../..')).map((e) => e.name);
    expect(names).toContain('hello.txt');
    expect(names).not.toContain('outside');
  });

  it('refuses writes with EROFS, as the Hurd encodes it', async () => {
    for (const flags of [O_READ | O_WRITE, O_WRITE, O_WRITE | O_CREAT]) {
      const e = await rejection(client.lookup('hello.txt', flags));
      expect(isNetmsgServerError(e) && e.kern).toBe(HurdErrno.EROFS);
    }
    const e2 = await rejection(client.lookup('new-file', O_WRITE | O_CREAT));
    expect(isNetmsgServerError(e2) && e2.kern).toBe(0x4000001e);
    const port = await client.lookup('hello.txt');
    const e3 = await rejection(client.call(port, 'io_write', { data: new Uint8Array([1, 2, 3]), offset: 0n }));
    expect(isNetmsgServerError(e3) && e3.kern).toBe(HurdErrno.EROFS);
  });

  it('answers an unknown id with MIG_BAD_ID and a malformed request with MIG_BAD_ARGUMENTS', async () => {
    const io = getBuiltinInterface('io', 'x86_64');
    const root = await client.root();
    const stat = io.routine('io_stat').encodeRequest({}, { header: { remotePort: root } });
    for (const [port, id] of [[root, 21999], [root, 22002], [CONTROL_PORT, 20018]] as const) {
      const { msg } = await client.rawCall({ ...stat, header: { ...stat.header, remotePort: port, id } });
      expect(msg.header.id).toBe(id + 100);
      expect(io.routine('io_stat').decodeReply({ ...msg, header: { ...msg.header, id: 21113 } }).retCode).toBe(MIG_BAD_ID);
    }
    // A port this link never held: the send error, at once.
    const { msg: nodest } = await client.rawCall({ ...stat, header: { ...stat.header, remotePort: 0x5555 } });
    expect(io.routine('io_stat').decodeReply(nodest).retCode).toBe(MACH_SEND_INVALID_DEST);
    // io_seek with its offset item missing: the server stub's type check fails.
    const seek = io.routine('io_seek').encodeRequest({ offset: 0n, whence: 0 }, { header: { remotePort: root } });
    const { msg } = await client.rawCall({ ...seek, items: seek.items.slice(1) });
    expect(io.routine('io_seek').decodeReply(msg).retCode).toBe(MIG_BAD_ARGUMENTS);
  });

  it('frees every port the client released (NO SENDERS through both netmsg tasks; no leaks)', async () => {
    expect(node.route).toBe('kernel');
    await client.root();
    const base = await settled(node);
    const clientBase = await client.node.portTable();
    for (const p of Object.keys(tree.files)) await client.read(p);
    await client.readdir('sub');
    await client.stat('sub/deep');
    await client.read('link-in');
    await client.read('nope').catch(() => undefined);
    await until(async () => (await node.portTable()).exportPorts === base.exportPorts);
    const held = await client.lookup('hello.txt');
    expect((await node.portTable()).exportPorts).toBe(base.exportPorts + 1);
    client.release(held);
    await until(async () => (await node.portTable()).exportPorts === base.exportPorts);
    expect(await settled(node)).toEqual(base);
    await until(async () => (await client.node.portTable()).identities === clientBase.identities);
    expect(node.cluster.driver.errors).toEqual([]);
    expect(node.cluster.exportTask!.errors).toEqual([]);
  });

  it('a right the client sends (fsys_getroot dotdot) is a real right on the node, and its NO SENDERS comes back exactly', async () => {
    const k = client.kernel;
    const p = await k.portAllocate(client.task, MACH_PORT_RIGHT_RECEIVE);
    // Our no-senders request on the port (sync 1: after the first make-send).
    const req = await k.portRequestNotification(client.task, p.name, MACH_NOTIFY_NO_SENDERS, 1, p.name, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect(req.kr).toBe(0);
    const before = (await node.portTable()).identities;
    // Watch what the export task receives on the node's kernel.
    const seen: number[] = [];
    const stop = node.kernel.observe((e) => {
      if (e.phase !== 'receive' || e.task !== node.cluster.exportTask!.task || e.msgId !== 22002 || !e.bytes) return;
      const it = decodeMessage(e.bytes, 'x86_64').items[0];
      if (it?.kind === 'ports') seen.push(...it.names);
    });
    const r = await client.call(CONTROL_PORT, 'fsys_getroot', {
      dotdot_node: { name: p.name, disposition: MACH_MSG_TYPE_MAKE_SEND }, gen_uids: [], gen_gids: [], flags: O_READ,
    });
    stop();
    // fsys_getroot (22002) arrived with dotdot_node as a send right named in the export task.
    expect(seen.length).toBe(1);
    expect(seen[0]).not.toBe(0);
    client.release((r.args['file'] as { name: number }).name);
    // The export got a send right (a proxy of the node's netmsg) and, as MIG's server does, let it go:
    // the client's port then has no senders anywhere, and its notification arrives.
    const got = await k.msg(client.task, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p.name, rcvSize: 256, timeout: 10_000 });
    expect(got.kr).toBe(0);
    const m = decodeMessage(got.message!, 'x86_64');
    expect(m.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
    await until(async () => (await node.portTable()).identities === before);
    await k.portDestroy(client.task, p.name);
  });

  it('refuses a peer with the wrong secret', async () => {
    const e = await rejection(connect(`127.0.0.1:${node.port}`, { secret: 'not the secret at all', timeoutMs: 20_000 }));
    expect(isNetmsgServerError(e) && e.code).toBe('connect_failed');
    expect(String(e)).toMatch(/auth_failed|peer_closed/);
    // The good link is unaffected.
    expect(new TextDecoder().decode(await client.read('hello.txt'))).toBe('hello, hurd\n');
  });
});
