import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeDirents, O_READ, O_WRITE, packStatI386, packStatX86_64, unpackStat, unpackStatI386, unpackStatX86_64, type HurdStat,
} from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';
import { giveTree, Harness } from './fs-harness.js';

let tree: Tree;
beforeEach(() => {
  tree = makeTree();
  giveTree(tree.root);
});
afterEach(() => tree.cleanup());

const sample: HurdStat = {
  fstype: 0x16, fsid: 0x1_0000_0005n, ino: 0x2_0000_0077n, gen: 3, rdev: 9n, mode: 0o100644, nlink: 2n, uid: 1000, gid: 100,
  size: 0x1_0000_0000n + 12n, atime: { sec: 1n, nsec: 2n }, mtime: { sec: 3n, nsec: 4n }, ctime: { sec: 5n, nsec: 6n },
  blksize: 4096n, blocks: 8n, author: 1000, flags: 7,
};

describe('io_statbuf_t for i386 peers', () => {
  it('packs 32 int32 words in the i386 field order and reads them back', () => {
    const w = packStatI386(sample);
    expect(w.length).toBe(32);
    // §8 i386 offsets / 4: fsid 4 -> word 1, ino 12 -> 3, mode 28 -> 7, size 44 -> 11, blocks 80 -> 20, author 88 -> 22.
    expect([w[0], w[1], w[2], w[3], w[4], w[7], w[9], w[10], w[11], w[12], w[19], w[20], w[22], w[23]])
      .toEqual([0x16, 5, 1, 0x77, 2, 0o100644, 1000, 100, 12, 1, 4096, 8, 1000, 7]);
    expect(w.slice(24)).toEqual(new Array(8).fill(0));
    expect(unpackStatI386(w)).toEqual(sample);
    expect(unpackStat(packStatX86_64(sample), 'x86_64')).toEqual(unpackStatX86_64(packStatX86_64(sample)));
    expect(() => unpackStatI386(w.slice(1))).toThrow(RangeError);
  });

  it('an export for an i386 peer answers in i386 layouts: io_stat, io_read amounts, 4-aligned dirents', () => {
    const h = new Harness({ root: tree.root, readOnly: false, abi: 'i386' });
    const r = h.root();
    const f = h.open(r, 'sub/small.bin', O_READ | O_WRITE);
    const a = h.ok(f, 'io_stat', {});
    const words = a['stat_info'] as number[];
    expect(words.length).toBe(32);
    const st = unpackStat(words, 'i386');
    expect(st.size).toBe(2047n);
    expect(st.ino).toBe(BigInt(statSync(join(tree.root, 'sub/small.bin')).ino));
    expect(h.read(f, 0n, 100n).length).toBe(100);
    expect(h.ok(f, 'io_write', { data: new Uint8Array(3), offset: 0n })['amount']).toBe(3);
    expect(h.ok(f, 'io_readable', {})['amount']).toBe(2047);
    const d = h.ok(h.open(r, 'sub'), 'dir_readdir', { entry: 0, nentries: -1, bufsiz: 0 });
    const buf = d['data'] as Uint8Array;
    // '.' is 12 + 2 bytes, 16 when 4-aligned as on x86_64 too; 'deep' is 12 + 5 = 17 -> 20 (x86_64 would pad to 24).
    const names = decodeDirents(buf, Number(d['amount'])).map((e) => e.name);
    expect(names.slice(0, 3)).toEqual(['.', '..', 'deep']);
    expect(new DataView(buf.buffer, buf.byteOffset).getUint16(32 + 8, true)).toBe(20);
    const t = h.ok(f, 'file_utimens', { new_atime: [100, 0], new_mtime: [200, 0] });
    expect(t).toEqual({});
    expect(Math.round(statSync(join(tree.root, 'sub/small.bin')).mtimeMs / 1000)).toBe(200);
    expect((h.ok(f, 'file_statfs', {})['info'] as number[]).length).toBe(22);
  });
});
