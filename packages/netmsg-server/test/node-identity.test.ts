import { writeFileSync, mkdtempSync, rmSync, statSync, type BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeIdentity, sameNode } from '../src/fs/node-identity.js';

/** Stats with only the fields a node's identity reads. */
const st = (dev: bigint, ino: bigint, birth: bigint): BigIntStats => ({ dev, ino, birthtimeNs: birth }) as BigIntStats;

describe('a host node\'s identity (fs/node-identity.ts)', () => {
  it('the same device and inode number born at another time is another node; no birth time recorded: inode and device alone', () => {
    const id = { dev: 1n, ino: 42n, birth: 1000n };
    expect(sameNode(st(1n, 42n, 1000n), id)).toBe(true);
    expect(sameNode(st(1n, 42n, 2000n), id)).toBe(false); // a new file that took the freed inode number
    expect(sameNode(st(1n, 43n, 1000n), id)).toBe(false);
    expect(sameNode(st(2n, 42n, 1000n), id)).toBe(false);
    expect(sameNode(st(1n, 42n, 2000n), { ...id, birth: 0n })).toBe(true);
  });

  it('a real file keeps its identity across writes and metadata changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netmsg-node-id-'));
    try {
      const p = join(dir, 'f');
      writeFileSync(p, 'a');
      const id = nodeIdentity(statSync(p, { bigint: true }));
      writeFileSync(p, 'bb');
      expect(sameNode(statSync(p, { bigint: true }), id)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
