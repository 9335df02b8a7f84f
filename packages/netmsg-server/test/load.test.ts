import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type FsClient } from '../src/index.js';
import { buildCli, spawnNode, type CliBuild, type NodeProcess } from './e2e-node.js';
import { pattern } from './helpers.js';

/**
 * Load: 50 clients on their own links to one node process, each doing a
 * seeded mix of reads of shared files, writes of its own files and reads
 * back, for a bounded time (5 s of issuing; every operation's result is
 * checked, nothing about speed is asserted).
 */
const CLIENTS = 50;
const ISSUE_MS = 5_000;
const SHARED = [0, 1, 2048, 2049, 10_000, 65_536, 200_000, 1_048_576].map((n, i) => pattern(n, 500 + i));

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

interface Tally {
  reads: number;
  writes: number;
  readBacks: number;
  stats: number;
  /** Last content this client wrote per file (hash), to check on disk afterwards. */
  last: Map<string, string>;
}

async function work(c: FsClient, id: number, until: number): Promise<Tally> {
  const r = rng(id + 1);
  const t: Tally = { reads: 0, writes: 0, readBacks: 0, stats: 0, last: new Map() };
  const mine = new Map<string, Uint8Array>();
  await c.mkdir(`c${id}`);
  let gen = 0;
  // At least one round, and the first operation is a write: the checks below hold however slow the machine.
  for (let first = true; first || Date.now() < until; first = false) {
    const p = first ? 0.5 : r();
    if (p < 0.4) {
      const k = Math.floor(r() * SHARED.length);
      const got = await c.read(`shared/s${k}`);
      if (sha(got) !== sha(SHARED[k]!)) throw new Error(`client ${id}: shared/s${k} differs`);
      t.reads++;
    } else if (p < 0.7 || mine.size === 0) {
      const name = `c${id}/f${Math.floor(r() * 4)}`;
      const data = pattern(Math.floor(r() * 150_000), id * 100_000 + ++gen);
      await c.write(name, data);
      mine.set(name, data);
      t.last.set(name, sha(data));
      t.writes++;
    } else if (p < 0.95) {
      const names = [...mine.keys()];
      const name = names[Math.floor(r() * names.length)]!;
      const got = await c.read(name);
      if (sha(got) !== sha(mine.get(name)!)) throw new Error(`client ${id}: ${name} read back differs`);
      t.readBacks++;
    } else {
      const names = [...mine.keys()];
      const name = names[Math.floor(r() * names.length)]!;
      const st = await c.stat(name);
      if (st.size !== BigInt(mine.get(name)!.length)) throw new Error(`client ${id}: ${name} size ${st.size}`);
      t.stats++;
    }
  }
  return t;
}

describe('load: 50 concurrent clients, mixed reads and writes', () => {
  let build: CliBuild;
  let base: string;
  let node: NodeProcess;
  let secretFile: string;
  beforeAll(async () => {
    build = buildCli();
    base = mkdtempSync(join(tmpdir(), 'nm-load-'));
    mkdirSync(join(base, 'export', 'shared'), { recursive: true });
    SHARED.forEach((d, i) => writeFileSync(join(base, 'export', 'shared', `s${i}`), d));
    secretFile = join(base, 'secret');
    writeFileSync(secretFile, 'load test shared secret 0123\n', { mode: 0o600 });
    node = await spawnNode(build.cli, ['--export', join(base, 'export'), '--listen', '127.0.0.1:0', '--read-write', '--secret-file', secretFile,
      '--map-user', `${process.getuid!()}:${process.getuid!()}:${process.getgid!()}`, '--log-level', 'warn']);
  });
  afterAll(async () => {
    await node?.stop('SIGKILL');
    build?.cleanup();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('every operation of every client returns the right bytes; files on disk are the last ones written', async () => {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(`netmsg://${node.address}`, { secretFile, timeoutMs: 120_000 })));
    const until = Date.now() + ISSUE_MS;
    let tallies: Tally[];
    try {
      tallies = await Promise.all(clients.map((c, i) => work(c, i, until)));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    for (const [i, t] of tallies.entries()) {
      expect(t.reads + t.writes + t.readBacks + t.stats, `client ${i}`).toBeGreaterThan(0);
      for (const [name, h] of t.last) expect(sha(readFileSync(join(base, 'export', name))), name).toBe(h);
    }
    const sum = (k: 'reads' | 'writes' | 'readBacks' | 'stats'): number => tallies.reduce((a, t) => a + t[k], 0);
    // For the log of the run, not an assertion: how much work 5 s held.
    console.log(`load: ${CLIENTS} clients, ${sum('reads')} shared reads, ${sum('writes')} writes, ${sum('readBacks')} read-backs, ${sum('stats')} stats`);
    expect(sum('writes')).toBeGreaterThanOrEqual(CLIENTS);
    expect(node.logs().filter((l) => l['level'] === 'error')).toEqual([]);
  }, 600_000); // a hang guard for a loaded machine, not a speed assertion
});
