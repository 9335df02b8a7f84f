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
  const CAP = 4 << 20;
  const capped = pattern(64 * 1024 + 6 * CAP + 123, 77);
  const fx = useFileNode({ ...files, capped }, SECRET);

  it('reads whole files of 1000 bytes, exactly the first io_read (64 KiB), MAX_TRANSFER, MAX_TRANSFER + 64 KiB, and 3.5 MAX_TRANSFER + 123 bytes', async () => {
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

  it('against a node that caps its answers lower (4 MiB, as nodes did before 16 MiB answers): the same bytes, and the reads ask for the cap once it shows', async () => {
    const data = capped;
    // The node's cap, applied where the client asks: io_read's amount is the most a server answers.
    const client = fx.c as unknown as { ioRead(port: unknown, offset: bigint, amount: number): Promise<Uint8Array> };
    const asked: number[] = [];
    const ioRead = client.ioRead;
    client.ioRead = function (port, offset, amount) {
      asked.push(amount);
      return ioRead.call(this, port, offset, Math.min(amount, CAP));
    };
    try {
      const got = await fx.c.read('capped.bin');
      expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
      // The first read-ahead pair and the probe after its short answer ask for more; every read after asks for the cap.
      expect(asked.filter((n) => n > CAP).length).toBe(3);
      expect(asked.length).toBeLessThanOrEqual(1 + 2 + 1 + 6 + 2);
    } finally {
      delete (client as { ioRead?: unknown }).ioRead;
    }
  });
});
