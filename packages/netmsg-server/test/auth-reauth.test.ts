import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROL_PORT, connect, dialTransport, dropRendezvous, HurdErrno, isNetmsgServerError, newRendezvous, O_READ, parseDialUrl,
  sendReauthenticate, silentLogger, startNode, userAuthenticate, type FsClient, type RunningNode,
} from '../src/index.js';
import { until } from './helpers.js';

/**
 * Reauthentication over real TCP loopback links: the node's auth server,
 * io_reauthenticate on the export, the client's half, FS_RETRY_REAUTH.
 */
const SECRET = 'reauth test secret';
const ROOT = typeof process.geteuid === 'function' && process.geteuid() === 0;
const ME = process.getuid!();
/** Owner of the files (not the mapped user), and the group only the mapped user's supplementary group reaches. */
const OWNER = ROOT ? 4242 : ME;
const GROUP = ROOT ? 4343 : process.getgid!();
/** The remote user (this process's uid) acts as local uid 5000, groups 5001 and GROUP. */
const LOCAL = 5000;
const PRIMARY = 5001;

async function failure(p: Promise<unknown>): Promise<{ code: string; kern: number | undefined }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`);
  return { code: e.code, kern: e.kern };
}

/** An export whose `group.txt` only group GROUP may read (0640, owned by OWNER). */
function groupTree(tag: string): { dir: string; cleanup(): void } {
  const base = mkdtempSync(join(tmpdir(), `netmsg-auth-${tag}-`));
  const dir = join(base, 'export');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'group.txt'), `only group ${GROUP} (${tag})`);
  writeFileSync(join(dir, 'sub', 'open.txt'), 'anyone');
  for (const p of [dir, join(dir, 'sub'), join(dir, 'sub', 'open.txt'), join(dir, 'group.txt')]) {
    if (ROOT) chownSync(p, OWNER, GROUP);
  }
  chmodSync(join(dir, 'group.txt'), 0o640);
  chmodSync(join(dir, 'sub', 'open.txt'), 0o644);
  return { dir, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

describe('reauthentication across a link', () => {
  const trees: { cleanup(): void }[] = [];
  let node: RunningNode;
  let c: FsClient;
  beforeAll(async () => {
    const t = groupTree('a');
    trees.push(t);
    node = await startNode({
      export: t.dir, listen: '127.0.0.1:0', secret: SECRET, mapUser: [`${ME}:${LOCAL}:${PRIMARY},${GROUP}`],
    }, { logger: silentLogger });
    c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c?.close();
    await node?.close();
    for (const t of trees) t.cleanup();
  });

  it('the link\'s auth handle holds exactly the mapped identity', async () => {
    expect(await c.getIds()).toEqual({ euids: [LOCAL], auids: [LOCAL], egids: [PRIMARY, GROUP], agids: [PRIMARY, GROUP] });
  });

  it('a port reauthenticated with fewer ids is refused what the dropped group allowed', async () => {
    expect(text(await c.read('group.txt'))).toMatch(/^only group/);
    const restricted = await c.makeAuth({ euids: [LOCAL], egids: [PRIMARY] });
    expect(await c.getIds(restricted)).toEqual({ euids: [LOCAL], auids: [], egids: [PRIMARY], agids: [] });
    const dir = await c.lookup('', 0);
    const weaker = await c.reauthenticate(dir, restricted);
    // The same directory, now for uid 5000 with group 5001 only: group.txt is out of reach, the rest is not.
    expect((await failure(c.lookup('group.txt', O_READ, 0, { from: weaker }))).kern).toBe(HurdErrno.EACCES);
    expect(text(await c.readPort(await c.lookup('sub/open.txt', O_READ, 0, { from: weaker })))).toBe('anyone');
    // A file port keeps its open (same peropen: file pointer shared) under the new ids.
    const f = await c.lookup('group.txt', O_READ);
    await c.seek(f, 5n, 0);
    const g = await c.reauthenticate(f, restricted);
    expect(await c.seek(g, 0n, 1)).toBe(5n);
    // Reauthenticated with the full handle, the directory reaches group.txt again.
    const again = await c.reauthenticate(weaker);
    expect(text(await c.readPort(await c.lookup('group.txt', O_READ, 0, { from: again })))).toMatch(/^only group/);
    // io_restrict_auth on a reauthenticated port intersects the vouched-for ids (no policy mapping).
    const lessGroup = ((await c.call(again, 'io_restrict_auth', { uids: [LOCAL], gids: [PRIMARY] })).args['new_object'] as { name: number }).name;
    expect((await failure(c.lookup('group.txt', O_READ, 0, { from: lessGroup }))).kern).toBe(HurdErrno.EACCES);
    const same = ((await c.call(again, 'io_restrict_auth', { uids: [LOCAL], gids: [PRIMARY, GROUP] })).args['new_object'] as { name: number }).name;
    expect(text(await c.readPort(await c.lookup('group.txt', O_READ, 0, { from: same })))).toMatch(/^only group/);
    for (const p of [dir, weaker, f, g, again, restricted, lessGroup, same]) c.release(p);
  });

  it('a client cannot gain ids it does not have', async () => {
    // From its handle: any foreign id is EPERM (auth_makeauth's rule).
    for (const ask of [{ euids: [0] }, { euids: [LOCAL], egids: [0] }, { auids: [LOCAL + 1] }, { egids: [PRIMARY, 77] }]) {
      expect((await failure(c.makeAuth(ask))).kern).toBe(HurdErrno.EPERM);
    }
    // From the control port: the ids asked are claims, mapped by the policy like fsys_getroot's.
    const other = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    try {
      // A claim of root (or, when this process is root and so mapped, of another unmapped uid) with group 0.
      const claim = ME === 0 ? 31337 : 0;
      other.identity = { uids: [claim], gids: [0] };
      const ids = await other.getIds();
      const fallback = node.cluster.exportTask!.fsx.policy.map([claim], [0]);
      expect(ids).toEqual({ euids: [fallback.uid], auids: [fallback.uid], egids: fallback.gids, agids: fallback.gids });
      expect([...ids.euids, ...ids.egids]).not.toContain(0);
      // That handle cannot be widened to the mapped user's ids, nor to root's.
      expect((await failure(other.makeAuth({ euids: [LOCAL] }))).kern).toBe(HurdErrno.EPERM);
      expect((await failure(other.makeAuth({ euids: [0] }))).kern).toBe(HurdErrno.EPERM);
    } finally {
      await other.close();
    }
  });

  it('an i386 client reauthenticates against this x86_64 node the same way', async () => {
    const d = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000, abi: 'i386' });
    try {
      expect(d.abi).toBe('i386');
      expect(await d.getIds()).toEqual({ euids: [LOCAL], auids: [LOCAL], egids: [PRIMARY, GROUP], agids: [PRIMARY, GROUP] });
      const weaker = await d.reauthenticate(await d.lookup('', 0), await d.makeAuth({ euids: [LOCAL], egids: [PRIMARY] }));
      expect((await failure(d.lookup('group.txt', O_READ, 0, { from: weaker }))).kern).toBe(HurdErrno.EACCES);
      expect(text(await d.read('group.txt'))).toMatch(/^only group/);
    } finally {
      await d.close();
    }
  });

  it('meets at the rendezvous whichever half arrives first', async () => {
    const auth = await c.authHandle();
    const core = node.cluster.auth!.core;
    for (const first of ['user', 'server'] as const) {
      const dir = await c.lookup('sub', 0);
      const r = await newRendezvous(c);
      let got: Promise<number>;
      if (first === 'user') {
        got = userAuthenticate(c, auth, r);
        await until(() => core.pending().users === 1);
        await sendReauthenticate(c, dir, r);
      } else {
        await sendReauthenticate(c, dir, r);
        await until(() => core.pending().servers === 1);
        got = userAuthenticate(c, auth, r);
      }
      const fresh = await got;
      await dropRendezvous(c, r);
      expect(core.pending()).toEqual({ users: 0, servers: 0 });
      expect(text(await c.readPort(await c.lookup('open.txt', O_READ, 0, { from: fresh })))).toBe('anyone');
      c.release(dir);
      c.release(fresh);
    }
  });
});

describe('FS_RETRY_REAUTH through `..` at the root, with fsys_getroot\'s dotdot from another node', () => {
  const trees: { cleanup(): void }[] = [];
  let parent: RunningNode;
  let child: RunningNode;
  let c: FsClient;
  beforeAll(async () => {
    const p = groupTree('parent');
    const a = groupTree('child');
    trees.push(p, a);
    const mapUser = [`${ME}:${LOCAL}:${PRIMARY},${GROUP}`];
    parent = await startNode({ export: p.dir, listen: '127.0.0.1:0', secret: SECRET, mapUser }, { logger: silentLogger });
    child = await startNode({ export: a.dir, listen: '127.0.0.1:0', secret: SECRET, mapUser }, { logger: silentLogger });
    c = await connect(`127.0.0.1:${child.port}`, { secret: SECRET, timeoutMs: 20_000 });
    // The client's node also links to the parent node (one task holds rights of both).
    const s = await dialTransport(parseDialUrl(`127.0.0.1:${parent.port}`).address, { timeoutMs: 20_000 });
    await new Promise<void>((resolve, reject) => {
      c.node.attach(s.socket, { secret: new TextEncoder().encode(SECRET), onUp: (_p, joined) => (joined ? resolve() : reject(new Error('not joined'))) });
    });
  });
  afterAll(async () => {
    await c?.close();
    await child?.close();
    await parent?.close();
    for (const t of trees) t.cleanup();
  });

  it('the client reauthenticates the dotdot port with the parent node\'s auth and goes on there', async () => {
    const { name: parentControl } = await c.node.remoteRoot(parent.nodeId, c.task);
    await c.root(); // the client keeps its root port for its lifetime: make it before the baseline
    const baseChild = await child.cluster.portTable();
    const parentAuth = await c.makeAuth({ euids: c.identity.uids, egids: c.identity.gids }, parentControl);
    const ids = { gen_uids: c.identity.uids, gen_gids: c.identity.gids };
    // An unauthenticated port to the parent's directory (no ids at all), as a parent filesystem passes it.
    const parentDir = (await c.call(parentControl, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, ...ids, flags: 0 })).args['file'] as { name: number };
    const unauth = (await c.call(parentDir.name, 'io_restrict_auth', { uids: [], gids: [] })).args['new_object'] as { name: number };
    expect((await failure(c.lookup('group.txt', O_READ, 0, { from: unauth.name }))).kern).toBe(HurdErrno.EACCES);
    // The child's root with that dotdot: the child's export keeps the right while the root is open.
    const root = (await c.call(CONTROL_PORT, 'fsys_getroot', { dotdot_node: { name: unauth.name, disposition: 19 }, ...ids, flags: 0 })).args['file'] as { name: number };
    // `..` at the child's root: FS_RETRY_REAUTH with the dotdot; the client reauthenticates it with the
    // parent's auth handle, so the parent's group file is readable again through it.
    const viaDotdot = await c.read('../group.txt').catch(() => null); // from the plain root (no dotdot): `..` is the root itself
    expect(viaDotdot && text(viaDotdot)).toBe(`only group ${GROUP} (child)`);
    const f = await c.lookup('../group.txt', O_READ, 0, { from: root.name, auth: parentAuth });
    expect(text(await c.readPort(f))).toBe(`only group ${GROUP} (parent)`);
    const up = await c.lookup('..', 0, 0, { from: root.name, auth: parentAuth });
    expect((await c.statPort(up)).ino).toBe((await c.statPort(parentDir.name)).ino);
    expect(parent.cluster.reauth!.stats.authenticated).toBe(2);
    // Everything let go: the child's export drops the dotdot with its last open, the tables come back.
    for (const p of [f, up, root.name, unauth.name, parentDir.name]) c.release(p);
    await until(async () => (await child.cluster.portTable()).exportPorts === baseChild.exportPorts);
    for (const n of [parent, child]) {
      expect(n.cluster.auth!.errors).toEqual([]);
      expect(n.cluster.exportTask!.errors).toEqual([]);
    }
  });
});

describe('a rendezvous abandoned half way', () => {
  let tree: { dir: string; cleanup(): void };
  let node: RunningNode;
  beforeAll(async () => {
    tree = groupTree('abandon');
    node = await startNode({ export: tree.dir, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
  });
  afterAll(async () => {
    await node?.close();
    tree?.cleanup();
  });

  it('a client that dies or gives up mid-rendezvous leaks nothing (node port tables back to baseline)', async () => {
    const cluster = node.cluster;
    const core = cluster.auth!.core;
    const same = async (base: Awaited<ReturnType<typeof cluster.portTable>>): Promise<boolean> => {
      const t = await cluster.portTable();
      return t.exportPorts === base.exportPorts && t.authPorts === base.authPorts && t.netmsgNames === base.netmsgNames
        && t.identities === base.identities && core.pending().users + core.pending().servers === 0;
    };
    const base = await cluster.portTable();
    const cases = ['server half waits, client dies', 'user half waits, client dies', 'server half waits, client drops its rendezvous',
      'user half waits, client gives up (its reply port dies)'] as const;
    for (const what of cases) {
      const giveUp = what.endsWith('(its reply port dies)');
      // The client that gives up does so by its own RPC timeout; the others would wait for ever.
      const d = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: giveUp ? 1_000 : 20_000 });
      const dir = await d.lookup('sub', 0);
      const auth = await d.authHandle();
      const r = await newRendezvous(d);
      let user: Promise<unknown> | undefined;
      if (what.startsWith('server')) {
        await sendReauthenticate(d, dir, r);
        await until(() => core.pending().servers === 1);
      } else {
        user = userAuthenticate(d, auth, r).then(() => 'answered', (e: unknown) => e);
        await until(() => core.pending().users === 1);
      }
      if (what.endsWith('client dies')) {
        await d.close('dies mid-rendezvous');
      } else if (what.endsWith('rendezvous')) {
        await dropRendezvous(d, r);
        await until(() => core.pending().servers === 0);
        expect(core.stats.cancelled).toBeGreaterThan(0);
        await d.close();
      } else {
        const e = await user;
        expect(isNetmsgServerError(e) && e.code).toBe('timeout');
        await until(() => core.pending().users === 0);
        await d.close();
      }
      await until(() => same(base));
    }
    expect(cluster.auth!.errors).toEqual([]);
    expect(cluster.exportTask!.errors).toEqual([]);
    expect(cluster.reauth!.errors).toEqual([]);
    expect(cluster.driver.errors).toEqual([]);
  });
});
