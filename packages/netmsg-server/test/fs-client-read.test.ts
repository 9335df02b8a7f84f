/**
 * FsClient.readPort on files larger than one io_read (MAX_TRANSFER): the
 * first io_read goes through the file pointer, the rest at explicit offsets
 * with several in flight. The bytes must be exactly what sequential reads
 * return, from wherever the pointer stood, and the pointer must end where
 * sequential reads leave it (the end of the file).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, MAX_TRANSFER, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const SECRET = 'fs client read test secret';
const SEEK_SET = 0;
const SEEK_CUR = 1;

describe('FsClient.readPort of large files (a node on loopback)', () => {
  let tree: Tree;
  let node: RunningNode;
  let c: FsClient;
  const sizes = { tiny: 1000, first: 64 * 1024, exact: MAX_TRANSFER, oneMore: 64 * 1024 + MAX_TRANSFER, odd: 3 * MAX_TRANSFER + MAX_TRANSFER / 2 + 123 };
  const files = Object.fromEntries(Object.entries(sizes).map(([k, n], i) => [k, pattern(n, 40 + i)]));
  beforeAll(async () => {
    tree = makeTree();
    for (const [k, data] of Object.entries(files)) writeFileSync(join(tree.root, `${k}.bin`), data);
    giveTree(tree.root);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c?.close();
    await node?.close();
    tree?.cleanup();
  });

  it('reads whole files of 1000 bytes, exactly the first io_read (64 KiB), 1 MiB, 1 MiB + 64 KiB, and 3.5 MiB + 123 bytes', async () => {
    for (const [k, data] of Object.entries(files)) {
      const got = await c.read(`${k}.bin`);
      expect(got.length, k).toBe(data.length);
      expect(Buffer.from(got).equals(Buffer.from(data)), k).toBe(true);
    }
  });

  it('starts at the file pointer, reports progress in order, and leaves the pointer at the end', async () => {
    const data = files['odd']!;
    const port = await c.open('odd.bin');
    try {
      expect(await c.seek(port, 5000n, SEEK_SET)).toBe(5000n);
      const progress: number[] = [];
      const got = await c.readPort(port, (n) => progress.push(n));
      expect(Buffer.from(got).equals(Buffer.from(data.subarray(5000)))).toBe(true);
      expect(progress.at(-1)).toBe(data.length - 5000);
      expect(progress.every((n, i) => i === 0 || n > progress[i - 1]!)).toBe(true);
      expect(await c.seek(port, 0n, SEEK_CUR)).toBe(BigInt(data.length));
      // At the end already: nothing more, and the pointer stays.
      expect((await c.readPort(port)).length).toBe(0);
      expect(await c.seek(port, 0n, SEEK_CUR)).toBe(BigInt(data.length));
    } finally {
      c.release(port);
    }
  });
});
