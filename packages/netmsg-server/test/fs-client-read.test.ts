/**
 * FsClient.readPort on files larger than one io_read (MAX_TRANSFER): the
 * first io_read goes through the file pointer, the rest at explicit offsets
 * with several in flight. The bytes must be exactly what sequential reads
 * return, from wherever the pointer stood, and the pointer must end where
 * sequential reads leave it (the end of the file).
 */
import { describe, expect, it } from 'vitest';
import { MAX_TRANSFER } from '../src/index.js';
import { pattern } from './helpers.js';
import { useFileNode } from './fs-harness.js';

const SECRET = 'fs client read test secret';
const SEEK_SET = 0;
const SEEK_CUR = 1;

describe('FsClient.readPort of large files (a node on loopback)', () => {
  const sizes = { tiny: 1000, first: 64 * 1024, exact: MAX_TRANSFER, oneMore: 64 * 1024 + MAX_TRANSFER, odd: 3 * MAX_TRANSFER + MAX_TRANSFER / 2 + 123 };
  const files = Object.fromEntries(Object.entries(sizes).map(([k, n], i) => [k, pattern(n, 40 + i)]));
  const fx = useFileNode(files, SECRET);

  it('reads whole files of 1000 bytes, exactly the first io_read (64 KiB), 1 MiB, 1 MiB + 64 KiB, and 3.5 MiB + 123 bytes', async () => {
    for (const [k, data] of Object.entries(files)) {
      const got = await fx.c.read(`${k}.bin`);
      expect(got.length, k).toBe(data.length);
      expect(Buffer.from(got).equals(Buffer.from(data)), k).toBe(true);
    }
  });

  it('starts at the file pointer, reports progress in order, and leaves the pointer at the end', async () => {
    const data = files['odd']!;
    const port = await fx.c.open('odd.bin');
    try {
      expect(await fx.c.seek(port, 5000n, SEEK_SET)).toBe(5000n);
      const progress: number[] = [];
      const got = await fx.c.readPort(port, (n) => progress.push(n));
      expect(Buffer.from(got).equals(Buffer.from(data.subarray(5000)))).toBe(true);
      expect(progress.at(-1)).toBe(data.length - 5000);
      expect(progress.every((n, i) => i === 0 || n > progress[i - 1]!)).toBe(true);
      expect(await fx.c.seek(port, 0n, SEEK_CUR)).toBe(BigInt(data.length));
      // At the end already: nothing more, and the pointer stays.
      expect((await fx.c.readPort(port)).length).toBe(0);
      expect(await fx.c.seek(port, 0n, SEEK_CUR)).toBe(BigInt(data.length));
    } finally {
      fx.c.release(port);
    }
  });
});
