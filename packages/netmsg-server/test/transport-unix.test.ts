import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearStaleSocket, connect, isNetmsgServerError, listenTransport, parseDialUrl, silentLogger, startNode } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';

const SECRET = 'unix socket test secret';

describe('Unix-socket transport', () => {
  let tree: Tree;
  let dir: string;
  beforeAll(() => {
    tree = makeTree();
    dir = mkdtempSync(join(tmpdir(), 'nm-unix-'));
  });
  afterAll(() => {
    tree?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on a socket file only the user can use, serves clients, removes the file on close', async () => {
    const path = join(dir, 'node.sock');
    const node = await startNode({ export: tree.root, listen: `unix:${path}`, secret: SECRET }, { logger: silentLogger });
    try {
      expect(node.transport).toBe('unix');
      expect(node.address).toBe(`unix:${path}`);
      const st = lstatSync(path);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
      const a = await connect(`unix:${path}`, { secret: SECRET, timeoutMs: 20_000 });
      const b = await connect(`netmsg+unix://${path}`, { secret: SECRET, timeoutMs: 20_000 });
      expect(Buffer.from(await a.read('sub/deep/big.bin')).equals(Buffer.from(tree.files['sub/deep/big.bin']!))).toBe(true);
      expect((await b.readdir('sub')).map((e) => e.name).sort()).toEqual(['deep', 'edge.bin', 'rel-out', 'small.bin']);
      const bad = await connect(`unix:${path}`, { secret: 'wrong secret here', timeoutMs: 20_000 }).catch((e: unknown) => e);
      expect(isNetmsgServerError(bad) && bad.code).toBe('connect_failed');
      a.close();
      b.close();
    } finally {
      await node.close();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('replaces a stale socket file left by a node that died', async () => {
    const path = join(dir, 'stale.sock');
    // A process that binds the path and is killed before it can clean up.
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(r.signal).toBe('SIGKILL');
    expect(lstatSync(path).isSocket()).toBe(true);
    const node = await startNode({ export: tree.root, listen: `unix:${path}`, secret: SECRET }, { logger: silentLogger });
    try {
      const c = await connect(`unix:${path}`, { secret: SECRET, timeoutMs: 20_000 });
      expect(Buffer.from(await c.read('hello.txt')).toString()).toBe('hello, hurd\n');
      c.close();
    } finally {
      await node.close();
    }
    expect(await clearStaleSocket(path)).toBe('absent');
  });

  it('never takes over a live socket, or a path that is not a socket', async () => {
    const live = join(dir, 'live.sock');
    const other: Server = createServer((s) => s.end());
    await new Promise<void>((res) => other.listen(live, () => res()));
    try {
      const e = await startNode({ export: tree.root, listen: `unix:${live}`, secret: SECRET }, { logger: silentLogger }).catch((x: unknown) => x);
      expect(isNetmsgServerError(e) && e.code).toBe('bad_option');
      expect(String(e)).toMatch(/another process is accepting/);
      expect(lstatSync(live).isSocket()).toBe(true);
    } finally {
      await new Promise<void>((res) => other.close(() => res()));
    }
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious');
    const e2 = await startNode({ export: tree.root, listen: `unix:${file}`, secret: SECRET }, { logger: silentLogger }).catch((x: unknown) => x);
    expect(isNetmsgServerError(e2) && e2.code).toBe('bad_option');
    expect(String(e2)).toMatch(/not a socket/);
    expect(readFileSync(file, 'utf8')).toBe('precious');
    const e3 = await listenTransport({ path: join(dir, 'no-such-dir', 's.sock') }, {}, () => undefined).catch((x: unknown) => x);
    expect(isNetmsgServerError(e3) && e3.code).toBe('bad_option');
  });

  it('rejects paths the kernel cannot bind, TLS on a Unix socket, and a missing socket on dial', async () => {
    const long = `unix:/${'x'.repeat(120)}`;
    expect(() => parseDialUrl(long)).toThrow(/longer than 107 bytes/);
    const e = await startNode({ export: tree.root, listen: long, secret: SECRET }, { logger: silentLogger }).catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('bad_option');
    expect(String(e)).toMatch(/option 'listen'/);
    const e2 = await startNode({ export: tree.root, listen: `unix:${join(dir, 't.sock')}`, secret: SECRET, tlsCert: 'a', tlsKey: 'b', tlsCa: 'c' }, { logger: silentLogger })
      .catch((x: unknown) => x);
    expect(isNetmsgServerError(e2) && e2.code).toBe('bad_option');
    expect(String(e2)).toMatch(/TLS runs over TCP/);
    const e3 = await connect(`unix:${join(dir, 'nobody-here.sock')}`, { secret: SECRET }).catch((x: unknown) => x);
    expect(isNetmsgServerError(e3) && e3.code).toBe('connect_failed');
    expect(String(e3)).toMatch(/ENOENT/);
  });
});
