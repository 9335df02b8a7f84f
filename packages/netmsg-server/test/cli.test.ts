import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isNetmsgServerError, silentLogger, startNode, type RunningNode } from '../src/index.js';
import { runCli } from '../src/cli/run.js';
import { parseTarget } from '../src/cli/target.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));

function capture(): { out: string[]; bytes: Uint8Array[]; err: string[]; io: { stdout: (s: string | Uint8Array) => void; stderr: (s: string) => void; signals: false } } {
  const out: string[] = [];
  const bytes: Uint8Array[] = [];
  const err: string[] = [];
  return {
    out, bytes, err,
    io: { stdout: (s) => (typeof s === 'string' ? out.push(s) : (bytes.push(s), out.push(Buffer.from(s).toString('utf8')))), stderr: (s) => err.push(s), signals: false },
  };
}

describe('targets and options', () => {
  it('parses HOST[:PORT]:PATH', () => {
    expect(parseTarget('localhost:/a/b')).toEqual({ host: 'localhost', port: 2345, path: '/a/b' });
    expect(parseTarget('10.0.0.1:4000:x')).toEqual({ host: '10.0.0.1', port: 4000, path: 'x' });
    expect(parseTarget('[::1]:4000:/y')).toEqual({ host: '::1', port: 4000, path: '/y' });
    expect(() => parseTarget('nocolon')).toThrow(/HOST\[:PORT\]:PATH/);
  });

  it('names the bad option', async () => {
    const c = capture();
    expect(await runCli(['serve', '--listen', '127.0.0.1:99999'], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/option 'listen'.*99999/);
    const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-cfg-'));
    try {
      const cfg = join(dir, 'c.json');
      writeFileSync(cfg, JSON.stringify({ export: dir, readWrite: 'yes' }));
      const c2 = capture();
      expect(await runCli(['serve', '--config', cfg], c2.io)).toBe(2);
      expect(c2.err.join('')).toMatch(/option 'readWrite'/);
      writeFileSync(cfg, JSON.stringify({ exportDir: dir }));
      const c3 = capture();
      expect(await runCli(['serve', '--config', cfg], c3.io)).toBe(2);
      expect(c3.err.join('')).toMatch(/exportDir/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a non-loopback address without an explicit secret', async () => {
    const c = capture();
    expect(await runCli(['serve', '--listen', '0.0.0.0:0'], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/insecure_listen.*non-loopback.*--secret-file/);
  });

  it('generates a secret only the user can read, and serve prints how to use it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'netmsg-server-home-'));
    const tree = makeTree();
    const old = process.env['NETMSG_SERVER_HOME'];
    process.env['NETMSG_SERVER_HOME'] = home;
    try {
      const c = capture();
      let node: RunningNode | undefined;
      const done = runCli(['serve', '--export', tree.root, '--listen', '127.0.0.1:0', '--log-level', 'silent'], {
        ...c.io, onServing: (n) => { node = n; },
      });
      for (let i = 0; i < 200 && !node; i++) await new Promise((r) => setTimeout(r, 10));
      expect(node).toBeDefined();
      const file = join(home, 'secret');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = c.out.join('');
      expect(text).toContain(`generated a new secret in ${file}`);
      expect(text).toContain(`--secret-file ${file}`);
      // The CLI client with that file.
      const c2 = capture();
      expect(await runCli(['cat', `127.0.0.1:${node!.port}:hello.txt`, '--secret-file', file], c2.io)).toBe(0);
      expect(c2.out.join('')).toBe('hello, hurd\n');
      const cb = capture();
      expect(await runCli(['cat', `127.0.0.1:${node!.port}:sub/deep/big.bin`, '--secret-file', file], cb.io)).toBe(0);
      expect(Buffer.concat(cb.bytes).equals(Buffer.from(tree.files['sub/deep/big.bin']!))).toBe(true);
      const c3 = capture();
      expect(await runCli(['ls', `127.0.0.1:${node!.port}:/sub`, '--secret-file', file], c3.io)).toBe(0);
      expect(c3.out.join('')).toBe('d deep\n- edge.bin\nl rel-out\n- small.bin\n');
      const c4 = capture();
      expect(await runCli(['stat', `127.0.0.1:${node!.port}:sub/edge.bin`, '--secret-file', file], c4.io)).toBe(0);
      expect(c4.out.join('')).toMatch(/Size: 2049\b/);
      const c5 = capture();
      expect(await runCli(['cat', `127.0.0.1:${node!.port}:../outside/secret.txt`, '--secret-file', file], c5.io)).toBe(1);
      expect(c5.err.join('')).toMatch(/ENOENT/);
      await node!.close();
      expect(await done).toBe(0);
      // A second run reuses the file.
      const before = readFileSync(file, 'utf8');
      const again = await startNode({ export: tree.root, listen: '127.0.0.1:0' }, { logger: silentLogger });
      expect(again.secretCreated).toBe(false);
      await again.close();
      expect(readFileSync(file, 'utf8')).toBe(before);
    } finally {
      if (old === undefined) delete process.env['NETMSG_SERVER_HOME'];
      else process.env['NETMSG_SERVER_HOME'] = old;
      tree.cleanup();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a secret file others can read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-sec-'));
    try {
      const f = join(dir, 's');
      writeFileSync(f, 'a long enough secret string', { mode: 0o644 });
      const e = await startNode({ export: dir, listen: '127.0.0.1:0', secretFile: f }, { logger: silentLogger }).catch((x: unknown) => x);
      expect(isNetmsgServerError(e) && e.code).toBe('secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a node in a separate process', () => {
  let tree: Tree;
  let dir: string;
  let child: ChildProcess | undefined;
  let stderr = '';
  beforeAll(() => {
    tree = makeTree();
    dir = mkdtempSync(join(tmpdir(), 'netmsg-server-child-'));
    // Build the CLI as it ships (tsup, a root devDependency; turbo's ^build has
    // built the sibling packages it imports).
    const r = spawnSync('npx', ['tsup'], { cwd: pkg, encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    tree?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a client until SIGTERM, which ends the link with a reason', async () => {
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, 'child process shared secret\n', { mode: 0o600 });
    child = spawn(process.execPath, [join(pkg, 'bin/netmsg-server.mjs'), 'serve', '--export', tree.root, '--listen', '127.0.0.1:0',
      '--secret-file', secretFile, '--log-json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child!.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    });
    const client = await connect(`127.0.0.1:${port}`, { secretFile, timeoutMs: 20_000 });
    expect((await client.readdir('sub/deep')).map((e) => e.name)).toEqual(['big.bin']);
    expect(Buffer.from(await client.read('sub/deep/big.bin')).equals(Buffer.from(tree.files['sub/deep/big.bin']!))).toBe(true);
    const bad = await connect(`127.0.0.1:${port}`, { secret: 'wrong wrong wrong', timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(isNetmsgServerError(bad) && bad.code).toBe('connect_failed');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const e = await client.read('hello.txt').catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('link_closed');
    expect(String(e)).toMatch(/SIGTERM/);
    const logs = stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logs.some((l) => l.msg === 'peer refused' && l.level === 'warn')).toBe(true);
    expect(logs.at(-1)?.msg).toBe('stopped');
  });
});

describe('get and put', () => {
  it('copies files both ways, byte-exact, with a progress line when asked, and clear errors with exit codes', async () => {
    const tree = makeTree();
    giveTree(tree.root);
    const local = mkdtempSync(join(tmpdir(), 'netmsg-server-copy-'));
    const secretFile = join(local, 'secret');
    writeFileSync(secretFile, 'get and put shared secret\n', { mode: 0o600 });
    const node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secretFile, readWrite: true }, { logger: silentLogger });
    const at = (p: string): string => `127.0.0.1:${node.port}:${p}`;
    try {
      // get: default name is the remote base name, in the current directory; here an explicit path.
      const g = capture();
      expect(await runCli(['get', at('sub/deep/big.bin'), join(local, 'big.bin'), '--secret-file', secretFile], { ...g.io, progress: true })).toBe(0);
      expect(Buffer.from(readFileSync(join(local, 'big.bin'))).equals(Buffer.from(tree.files['sub/deep/big.bin']!))).toBe(true);
      const bar = g.err.join('');
      expect(bar).toMatch(/^\rget sub\/deep\/big\.bin 0% 0\.0 MiB \/ 0\.3 MiB\rget sub\/deep\/big\.bin 87% /);
      expect(bar).toMatch(/100% 0\.3 MiB \/ 0\.3 MiB\n$/);
      // No progress line unless asked (stderr is not a terminal here).
      const g2 = capture();
      expect(await runCli(['get', at('hello.txt'), join(local, 'hello.txt'), '--secret-file', secretFile], g2.io)).toBe(0);
      expect(g2.err.join('')).toBe('');
      expect(readFileSync(join(local, 'hello.txt'), 'utf8')).toBe('hello, hurd\n');
      // put: a new remote file, then a replacement (truncated, not merged).
      const big = pattern(700_000, 21);
      writeFileSync(join(local, 'up.bin'), big, { mode: 0o640 });
      const p = capture();
      expect(await runCli(['put', join(local, 'up.bin'), at('sub/up.bin'), '--secret-file', secretFile], p.io)).toBe(0);
      expect(Buffer.from(readFileSync(join(tree.root, 'sub/up.bin'))).equals(Buffer.from(big))).toBe(true);
      expect(statSync(join(tree.root, 'sub/up.bin')).mode & 0o777).toBe(0o640);
      writeFileSync(join(local, 'small.txt'), 'tiny');
      expect(await runCli(['put', join(local, 'small.txt'), at('sub/up.bin'), '--secret-file', secretFile], capture().io)).toBe(0);
      expect(readFileSync(join(tree.root, 'sub/up.bin'), 'utf8')).toBe('tiny');
      // mkdir / rm.
      expect(await runCli(['mkdir', at('newdir'), '--secret-file', secretFile], capture().io)).toBe(0);
      expect(statSync(join(tree.root, 'newdir')).isDirectory()).toBe(true);
      expect(await runCli(['rm', at('sub/up.bin'), '--secret-file', secretFile], capture().io)).toBe(0);
      expect(existsSync(join(tree.root, 'sub/up.bin'))).toBe(false);
      // Errors: a clear message and exit 1; a failed get leaves no partial file.
      const e1 = capture();
      expect(await runCli(['get', at('missing.bin'), join(local, 'missing.bin'), '--secret-file', secretFile], e1.io)).toBe(1);
      expect(e1.err.join('')).toMatch(/rpc_failed: lookup missing\.bin: ENOENT/);
      expect(existsSync(join(local, 'missing.bin'))).toBe(false);
      expect(existsSync(join(local, 'missing.bin.netmsg-part'))).toBe(false);
      const e2 = capture();
      expect(await runCli(['put', join(local, 'no-such-local'), at('x'), '--secret-file', secretFile], e2.io)).toBe(1);
      expect(e2.err.join('')).toMatch(/no-such-local/);
      const e3 = capture();
      const put3 = await runCli(['put', join(local, 'small.txt'), at('../../x.txt'), '--secret-file', secretFile], e3.io);
      expect([put3, e3.err.join('')]).toEqual([0, '']);
      expect(existsSync(join(tree.base, 'x.txt'))).toBe(false); // `..` stops at the export root
      expect(readFileSync(join(tree.root, 'x.txt'), 'utf8')).toBe('tiny');
      const e4 = capture();
      expect(await runCli(['rm', at('sub'), '--secret-file', secretFile], e4.io)).toBe(1);
      expect(e4.err.join('')).toMatch(/EPERM/);
      const e5 = capture();
      expect(await runCli(['get', 'nocolon', '--secret-file', secretFile], e5.io)).toBe(2);
    } finally {
      await node.close();
      tree.cleanup();
      rmSync(local, { recursive: true, force: true });
    }
  });
});
