import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isNetmsgServerError, type FsClient } from '../src/index.js';
import { buildCli, spawnNode, type CliBuild, type NodeProcess } from './e2e-node.js';
import { pattern } from './helpers.js';

/**
 * A node in its own process (the CLI, bundled from source) exporting a
 * read-write directory on loopback; clients in this process copy a tree in
 * and out through Hurd RPCs, byte-exact, including a 100 MB file.
 */
const SECRET_TEXT = 'end to end shared secret 42\n';
const BIG = 100 * 1024 * 1024;

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The source tree: relative path -> bytes (the big file by hash only). */
function makeSource(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const sizes = [0, 1, 100, 2047, 2048, 2049, 4096, 65_535, 65_536, 65_537, 300_000, 1_048_576, 1_048_577];
  sizes.forEach((n, i) => files.set(`top-${i}.bin`, pattern(n, 1000 + i)));
  for (let d = 0; d < 4; d++) {
    for (let f = 0; f < 8; f++) files.set(`d${d}/sub${f % 2}/f${f}.dat`, pattern(97 * (d + 1) * (f + 1), 7 + d * 31 + f));
  }
  files.set('d0/empty-dir-sibling.txt', new TextEncoder().encode('text file\n'));
  for (const [p, data] of files) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), data);
  }
  mkdirSync(join(dir, 'empty-dir'));
  return files;
}

/** Copy a local tree into the export at `to` (mkdir + write). */
async function copyIn(c: FsClient, from: string, to: string): Promise<void> {
  await c.mkdir(to);
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) await copyIn(c, join(from, e.name), `${to}/${e.name}`);
    else await c.write(`${to}/${e.name}`, readFileSync(join(from, e.name)));
  }
}

/** Copy a remote tree out to a local directory (readdir + read). */
async function copyOut(c: FsClient, from: string, to: string): Promise<number> {
  mkdirSync(to, { recursive: true });
  let n = 0;
  for (const e of await c.readdir(from)) {
    const src = from === '' ? e.name : `${from}/${e.name}`;
    if (e.type === 4) n += await copyOut(c, src, join(to, e.name));
    else {
      writeFileSync(join(to, e.name), await c.read(src));
      n++;
    }
  }
  return n;
}

function sameTree(a: string, b: string): void {
  const la = readdirSync(a).sort();
  expect(readdirSync(b).sort(), b).toEqual(la);
  for (const name of la) {
    const pa = join(a, name);
    const pb = join(b, name);
    if (statSync(pa).isDirectory()) sameTree(pa, pb);
    else expect(sha(readFileSync(pb)), pb).toBe(sha(readFileSync(pa)));
  }
}

describe('end to end: a node process, trees copied in and out', () => {
  let build: CliBuild;
  let base: string;
  let node: NodeProcess;
  let secretFile: string;
  let url: string;
  beforeAll(async () => {
    build = buildCli();
    base = mkdtempSync(join(tmpdir(), 'nm-e2e-copy-'));
    mkdirSync(join(base, 'export'));
    mkdirSync(join(base, 'src'));
    secretFile = join(base, 'secret');
    writeFileSync(secretFile, SECRET_TEXT, { mode: 0o600 });
    node = await spawnNode(build.cli, ['--export', join(base, 'export'), '--listen', '127.0.0.1:0', '--read-write', '--secret-file', secretFile,
      // This user's ids act as themselves (the default maps every remote user to one unprivileged identity).
      '--map-user', `${process.getuid!()}:${process.getuid!()}:${process.getgid!()}`]);
    url = `netmsg://${node.address}`;
  });
  afterAll(async () => {
    await node?.stop('SIGKILL');
    build?.cleanup();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('copies a tree in and back out byte-exact', async () => {
    const src = join(base, 'src', 'tree');
    mkdirSync(src);
    const files = makeSource(src);
    const c = await connect(url, { secretFile, timeoutMs: 60_000 });
    try {
      await copyIn(c, src, 'tree');
      sameTree(src, join(base, 'export', 'tree'));
      const out = join(base, 'out');
      expect(await copyOut(c, 'tree', out)).toBe(files.size);
      sameTree(src, out);
    } finally {
      await c.close();
    }
  });

  it('moves a 100 MB file in and out byte-exact', async () => {
    const data = pattern(BIG, 0xb16);
    const want = sha(data);
    const c = await connect(url, { secretFile, timeoutMs: 120_000 });
    try {
      await c.write('big.bin', data);
      expect(statSync(join(base, 'export', 'big.bin')).size).toBe(BIG);
      expect(sha(readFileSync(join(base, 'export', 'big.bin')))).toBe(want);
      expect((await c.stat('big.bin')).size).toBe(BigInt(BIG));
      const back = await c.read('big.bin');
      expect(back.length).toBe(BIG);
      expect(sha(back)).toBe(want);
    } finally {
      await c.close();
    }
  }, 600_000); // a hang guard for a loaded machine, not a speed assertion

  it('serves concurrent clients, each copying its own tree out', async () => {
    const src = join(base, 'src', 'shared');
    mkdirSync(src);
    makeSource(src);
    const seed = await connect(url, { secretFile, timeoutMs: 60_000 });
    await copyIn(seed, src, 'shared');
    await seed.close();
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(url, { secretFile, timeoutMs: 60_000 })));
    try {
      await Promise.all(clients.map((c, i) => copyOut(c, 'shared', join(base, `copy-${i}`))));
      for (let i = 0; i < clients.length; i++) sameTree(src, join(base, `copy-${i}`));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('stops on SIGINT: links end with the reason, the process exits 0, the last log says stopped', async () => {
    const c = await connect(url, { secretFile, timeoutMs: 60_000 });
    expect((await c.stat('tree')).size).toBeGreaterThan(0n);
    expect(await node.stop('SIGINT')).toBe(0);
    const e = await c.read('tree/top-3.bin').catch((x: unknown) => x);
    expect(isNetmsgServerError(e) && e.code).toBe('link_closed');
    expect(String(e)).toMatch(/SIGINT/);
    const logs = node.logs();
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped', reason: 'node shutting down (SIGINT)' });
    expect(logs.some((l) => l['msg'] === 'link down' && String(l['reason']).includes('SIGINT'))).toBe(true);
  });
});
