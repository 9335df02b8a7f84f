/**
 * A node listening on more than one address (`listen: [...]`, repeatable
 * `--listen`): TCP and a Unix socket at once, the same export and the same
 * links behind both. Every address is validated and checked for security
 * like a single one; an address that cannot be bound stops the node and
 * leaves nothing of it running (no listener, no kernel).
 */
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { connect, isNetmsgServerError, silentLogger, startNode, type RunningNode } from '../src/index.js';
import { makeTree, until, type Tree } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';

const SECRET = 'listen many test secret';

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`);
  return { code: e.code, message: e.message };
}

describe('a node on several addresses', () => {
  let tree: Tree;
  let dir: string;
  beforeAll(() => {
    tree = makeTree();
    dir = mkdtempSync(join(tmpdir(), 'nm-listen-many-'));
  });
  afterAll(() => {
    tree?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves one export over TCP and a Unix socket at once, and stops both on close', async () => {
    const path = join(dir, 'node.sock');
    const node = await startNode({ export: tree.root, listen: ['127.0.0.1:0', `unix:${path}`], secret: SECRET }, { logger: silentLogger });
    let closed = false;
    try {
      expect(node.listeners.map((l) => l.transport)).toEqual(['tcp', 'unix']);
      expect(node.listeners[1]).toEqual({ address: `unix:${path}`, port: 0, transport: 'unix' });
      // The first listener is the node's `address`/`port`/`transport`.
      expect([node.address, node.port, node.transport]).toEqual([node.listeners[0]!.address, node.listeners[0]!.port, 'tcp']);
      expect(node.port).toBeGreaterThan(0);
      const viaTcp = await connect(node.address, { secret: SECRET, timeoutMs: 20_000 });
      const viaUnix = await connect(`unix:${path}`, { secret: SECRET, timeoutMs: 20_000 });
      const want = Buffer.from(tree.files['sub/deep/big.bin']!);
      expect(Buffer.from(await viaTcp.read('sub/deep/big.bin')).equals(want)).toBe(true);
      expect(Buffer.from(await viaUnix.read('sub/deep/big.bin')).equals(want)).toBe(true);
      expect(node.linkCount()).toBe(2);
      await viaTcp.close();
      await viaUnix.close();
      await node.close();
      closed = true;
      expect(existsSync(path)).toBe(false);
      expect(await failure(connect(node.address, { secret: SECRET, timeoutMs: 5_000 }))).toMatchObject({ code: 'connect_failed' });
    } finally {
      if (!closed) await node.close();
    }
  });

  it('validates every address: index named, duplicates, TLS on a Unix one, an empty list', async () => {
    const at = (listen: unknown, more: object = {}) => failure(startNode({ export: tree.root, listen: listen as string, secret: SECRET, ...more }, { logger: silentLogger }));
    expect(await at(['127.0.0.1:0', '127.0.0.1:99999'])).toMatchObject({ code: 'bad_option', message: expect.stringMatching(/option 'listen\.1'.*99999/) });
    expect(await at(['127.0.0.1:4567', '127.0.0.1:4567'])).toMatchObject({ code: 'bad_option', message: expect.stringMatching(/option 'listen\.1': listed twice/) });
    expect(await at([`unix:${join(dir, 'a.sock')}`, `unix:${join(dir, 'a.sock')}`])).toMatchObject({ message: expect.stringMatching(/listed twice/) });
    expect(await at([])).toMatchObject({ code: 'bad_option', message: expect.stringMatching(/option 'listen': want at least one address/) });
    expect(await at(['127.0.0.1:0', `unix:${join(dir, 't.sock')}`], { tlsCert: 'a', tlsKey: 'b', tlsCa: 'c' }))
      .toMatchObject({ message: expect.stringMatching(/option 'listen\.1': TLS runs over TCP/) });
    // Security by default applies to each address: a public one among loopback ones needs an explicit secret.
    const e = await failure(startNode({ export: tree.root, listen: ['127.0.0.1:0', '0.0.0.0:0'] }, { logger: silentLogger }));
    expect(e.code).toBe('insecure_listen');
    // Two listeners on port 0 are two free ports, not a duplicate.
    const n = await startNode({ export: tree.root, listen: ['127.0.0.1:0', '127.0.0.1:0'], secret: SECRET }, { logger: silentLogger });
    expect(new Set(n.listeners.map((l) => l.port)).size).toBe(2);
    await n.close();
  });

  it('an address that cannot be bound stops the node: the other listener and the kernel are gone', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const path = join(dir, 'first.sock');
    try {
      const e = await startNode({ export: tree.root, listen: [`unix:${path}`, `127.0.0.1:${port}`], secret: SECRET }, { logger: silentLogger })
        .then(() => undefined, (x: unknown) => x);
      expect(String(e)).toMatch(/EADDRINUSE|in use/);
      // The Unix listener bound first was closed again (its socket file removed).
      expect(existsSync(path)).toBe(false);
      // The same on the real kernel: the QEMU started for the node is stopped.
      const g = await startNode({ export: tree.root, listen: `127.0.0.1:${port}`, secret: SECRET, kernel: 'gnumach' }, { logger: silentLogger })
        .then(() => undefined, (x: unknown) => x);
      expect(String(g)).toMatch(/EADDRINUSE|in use/);
      expect(ourQemus({ withGuards: true })).toEqual([]);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  }, 240_000);

  it('serve --listen twice: prints both addresses', async () => {
    const path = join(dir, 'cli.sock');
    const secretFile = join(dir, 'secret');
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
    const out: string[] = [];
    const err: string[] = [];
    let node: RunningNode | undefined;
    const code = runCli(['serve', '--export', tree.root, '--listen', '127.0.0.1:0', '--listen', `unix:${path}`, '--secret-file', secretFile, '--log-level', 'silent'], {
      stdout: (s) => out.push(String(s)), stderr: (s) => err.push(s), signals: false, onServing: (n) => (node = n),
    });
    await until(() => node !== undefined || err.length > 0);
    expect(err.join('')).toBe('');
    expect(node!.listeners.map((l) => l.transport)).toEqual(['tcp', 'unix']);
    expect(out.join('')).toContain(`on ${node!.listeners[0]!.address} and unix:${path}\n`);
    await node!.close();
    expect(await code).toBe(0);
  });
});
