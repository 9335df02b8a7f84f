import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createLogger, dialTransport, isNetmsgServerError, loadTlsMaterial, silentLogger, startNode, type RunningNode } from '../src/index.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { makePki, type TestPki } from './transport-certs.js';

const SECRET = 'tls test shared secret';

/** A TLS client that does not complete what the node requires ends in an error or a close, never a link. */
function rawTlsOutcome(opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect(opts);
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? ''} ${e.message}`));
    s.on('close', () => resolve('closed'));
    s.on('secureConnect', () => s.write(Buffer.alloc(64, 7)));
    s.on('data', () => resolve('data'));
  });
}

describe('TLS 1.3 with mutual certificates', () => {
  let pki: TestPki;
  let tree: Tree;
  let node: RunningNode;
  const logs: Array<{ msg: string; code?: string; reason?: string; transport?: string; remote?: string }> = [];
  beforeAll(async () => {
    pki = makePki();
    tree = makeTree();
    writeFileSync(join(tree.root, 'big.bin'), pattern(700_000, 9));
    node = await startNode(
      { export: tree.root, listen: '127.0.0.1:0', secret: SECRET, tlsCert: pki.node.cert, tlsKey: pki.node.key, tlsCa: pki.node.ca },
      { logger: createLogger({ level: 'warn', json: true, write: (l) => logs.push(JSON.parse(l) as { msg: string }) }) },
    );
  });
  afterAll(async () => {
    await node?.close('test done');
    tree?.cleanup();
    pki?.cleanup();
  });

  it('serves a client holding a certificate from the node\'s CA, with the HMAC handshake inside', async () => {
    expect(node.transport).toBe('tls');
    const c = await connect(`netmsg+tls://127.0.0.1:${node.port}`, { secret: SECRET, tls: pki.client, timeoutMs: 20_000 });
    try {
      expect(Buffer.from(await c.read('hello.txt')).toString()).toBe('hello, hurd\n');
      expect(Buffer.from(await c.read('big.bin')).equals(Buffer.from(pattern(700_000, 9)))).toBe(true);
    } finally {
      c.close();
    }
    // By name too: the certificate says localhost.
    const byName = await connect(`localhost:${node.port}`, { secret: SECRET, tls: loadTlsMaterial(pki.client), timeoutMs: 20_000 });
    expect((await byName.stat('sub')).size).toBeGreaterThan(0n);
    byName.close();
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const e = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, tls: pki.intruder, timeoutMs: 20_000 }).catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('connect_failed');
    const refusedForCert = (): boolean =>
      logs.some((l) => l.msg === 'peer refused' && l.code === 'tls' && /certificate/i.test(l.reason ?? '') && /^127\.0\.0\.1:\d+$/.test(l.remote ?? ''));
    for (let i = 0; i < 200 && !refusedForCert(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(refusedForCert()).toBe(true);
  });

  it('refuses a TLS client without a certificate, and TLS 1.2', async () => {
    const ca = readFileSync(pki.caA);
    expect(await rawTlsOutcome({ host: '127.0.0.1', port: node.port, ca })).not.toBe('data');
    const old = await rawTlsOutcome({
      host: '127.0.0.1', port: node.port, ca, cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key), maxVersion: 'TLSv1.2',
    });
    expect(old).toMatch(/^error .*(version|protocol)/i);
  });

  it('refuses a plain TCP client on the TLS port', async () => {
    const e = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 }).catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('connect_failed');
  });

  it('still requires the shared secret inside TLS unless tlsOnly', async () => {
    const e = await connect(`127.0.0.1:${node.port}`, { secret: 'not the secret at all', tls: pki.client, timeoutMs: 20_000 }).catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('connect_failed');
    expect(String(e)).toMatch(/auth_failed/);
  });

  it('checks that the node\'s certificate names the host dialled', async () => {
    // 127.0.0.2 is loopback too, but not in the certificate's SANs.
    const other = await startNode(
      { export: tree.root, listen: '127.0.0.2:0', secret: SECRET, tlsCert: pki.node.cert, tlsKey: pki.node.key, tlsCa: pki.node.ca },
      { logger: silentLogger },
    );
    try {
      const e = await connect(`127.0.0.2:${other.port}`, { secret: SECRET, tls: pki.client, timeoutMs: 20_000 }).catch((x: unknown) => x);
      expect(isNetmsgServerError(e) && e.code).toBe('connect_failed');
      expect(String(e)).toMatch(/127\.0\.0\.2|altname|IP/i);
    } finally {
      await other.close();
    }
  });

  it('a URL asking for TLS without certificates is an option error', async () => {
    const e = await connect(`netmsg+tls://127.0.0.1:${node.port}`, { secret: SECRET }).catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('bad_option');
  });

  it('dialTransport hands back a verified TLS 1.3 socket and the session exporter value', async () => {
    const s = await dialTransport({ host: '127.0.0.1', port: node.port }, { tls: loadTlsMaterial(pki.client), timeoutMs: 20_000 });
    try {
      expect(s.transport).toBe('tls');
      expect((s.socket as import('node:tls').TLSSocket).getProtocol()).toBe('TLSv1.3');
      expect(s.channelSecret?.length).toBe(32);
    } finally {
      s.socket.destroy();
    }
  });
});

describe('TLS with certificates alone (tlsOnly)', () => {
  it('authenticates by certificate, keys the link with the TLS exporter, needs no secret', async () => {
    const pki = makePki();
    const tree = makeTree();
    const node = await startNode(
      { export: tree.root, listen: '127.0.0.1:0', tlsCert: pki.node.cert, tlsKey: pki.node.key, tlsCa: pki.node.ca, tlsOnly: true },
      { logger: silentLogger },
    );
    try {
      expect(node.secretFile).toBeUndefined();
      const c = await connect(`127.0.0.1:${node.port}`, { tls: pki.client, tlsOnly: true, timeoutMs: 20_000 });
      expect(Buffer.from(await c.read('sub/small.bin')).equals(Buffer.from(tree.files['sub/small.bin']!))).toBe(true);
      c.close();
      // A client keying the link with a shared secret does not match the exporter value.
      const e = await connect(`127.0.0.1:${node.port}`, { secret: 'some other secret', tls: pki.client, timeoutMs: 20_000 }).catch((x: unknown) => x);
      expect(isNetmsgServerError(e) && e.code).toBe('connect_failed');
      const e2 = await connect(`127.0.0.1:${node.port}`, { tls: pki.intruder, tlsOnly: true, timeoutMs: 20_000 }).catch((x: unknown) => x);
      expect(isNetmsgServerError(e2) && e2.code).toBe('connect_failed');
    } finally {
      await node.close();
      tree.cleanup();
      pki.cleanup();
    }
  });

  it('lets a tlsOnly node listen beyond loopback (certificates are the explicit authentication)', async () => {
    const pki = makePki();
    try {
      const e = await startNode({ export: pki.dir, listen: '0.0.0.0:0', tlsCert: pki.node.cert, tlsKey: pki.node.key, tlsCa: pki.node.ca }, { logger: silentLogger })
        .catch((x: unknown) => x);
      expect(isNetmsgServerError(e) && e.code).toBe('insecure_listen');
      const bad = await startNode({ export: pki.dir, listen: '127.0.0.1:0', tlsCert: pki.node.key, tlsKey: pki.node.key, tlsCa: pki.node.ca, tlsOnly: true }, { logger: silentLogger })
        .catch((x: unknown) => x);
      expect(isNetmsgServerError(bad) && bad.code).toBe('bad_option');
      expect(String(bad)).toMatch(/tlsCert/);
    } finally {
      pki.cleanup();
    }
  });
});

describe('the command line with TLS and Unix sockets', () => {
  it('serve --tls-* --tls-only, and cat/ls with --tls-*; a Unix-socket node and a unix: target', async () => {
    const { runCli } = await import('../src/cli/run.js');
    const pki = makePki();
    const tree = makeTree();
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (s: string | Uint8Array) => out.push(typeof s === 'string' ? s : Buffer.from(s).toString()), stderr: (s: string) => err.push(s), signals: false as const };
    try {
      let node: RunningNode | undefined;
      const done = runCli(['serve', '--export', tree.root, '--listen', '127.0.0.1:0', '--log-level', 'silent',
        '--tls-cert', pki.node.cert, '--tls-key', pki.node.key, '--tls-ca', pki.node.ca, '--tls-only'], { ...io, onServing: (n) => { node = n; } });
      for (let i = 0; i < 500 && !node; i++) await new Promise((r) => setTimeout(r, 10));
      expect(node?.transport).toBe('tls');
      const tlsFlags = ['--tls-cert', pki.client.cert, '--tls-key', pki.client.key, '--tls-ca', pki.client.ca, '--tls-only'];
      out.length = 0;
      expect(await runCli(['cat', `127.0.0.1:${node!.port}:hello.txt`, ...tlsFlags], io)).toBe(0);
      expect(out.join('')).toBe('hello, hurd\n');
      expect(await runCli(['cat', `127.0.0.1:${node!.port}:hello.txt`, '--tls-cert', pki.client.cert], io)).toBe(2);
      expect(err.join('')).toMatch(/--tls-key/);
      expect(await runCli(['cat', `127.0.0.1:${node!.port}:hello.txt`, ...tlsFlags.slice(0, 4), '--tls-ca', pki.caB, '--tls-only'], io)).toBe(1); // the node's certificate is not from CA b
      await node!.close();
      expect(await done).toBe(0);

      const sock = join(pki.dir, 'n.sock');
      const secret = join(pki.dir, 'secret');
      writeFileSync(secret, 'unix cli secret 0123456789\n', { mode: 0o600 });
      let unode: RunningNode | undefined;
      const udone = runCli(['serve', '--export', tree.root, '--listen', `unix:${sock}`, '--secret-file', secret, '--log-level', 'silent'],
        { ...io, onServing: (n) => { unode = n; } });
      for (let i = 0; i < 500 && !unode; i++) await new Promise((r) => setTimeout(r, 10));
      expect(out.join('')).toContain(`on unix:${sock}`);
      out.length = 0;
      expect(await runCli(['ls', `unix:${sock}:sub`, '--secret-file', secret], io)).toBe(0);
      expect(out.join('')).toBe('d deep\n- edge.bin\nl rel-out\n- small.bin\n');
      await unode!.close();
      expect(await udone).toBe(0);
    } finally {
      tree.cleanup();
      pki.cleanup();
    }
  });
});
