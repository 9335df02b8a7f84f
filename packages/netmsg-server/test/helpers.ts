import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A deterministic byte pattern (no Math.random). */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface Tree {
  base: string;
  /** The exported directory. */
  root: string;
  /** A sibling directory outside the export, holding `secret.txt`. */
  outside: string;
  files: Record<string, Uint8Array>;
  cleanup(): void;
}

/** base/export (the tree) and base/outside (what escapes would reach). */
export function makeTree(): Tree {
  const base = mkdtempSync(join(tmpdir(), 'netmsg-server-test-'));
  const root = join(base, 'export');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'sub', 'deep'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE SECRET');
  const files: Record<string, Uint8Array> = {
    'hello.txt': new TextEncoder().encode('hello, hurd\n'),
    'empty': new Uint8Array(0),
    'sub/small.bin': pattern(2047, 1),
    'sub/edge.bin': pattern(2049, 2),
    'sub/deep/big.bin': pattern(300_000, 3),
  };
  for (const [p, d] of Object.entries(files)) writeFileSync(join(root, p), d);
  // Escape attempts, and one legitimate link.
  symlinkSync('../../outside/secret.txt', join(root, 'sub', 'rel-out'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'abs-out'));
  symlinkSync('../outside', join(root, 'dir-out'));
  symlinkSync('sub/small.bin', join(root, 'link-in'));
  symlinkSync('/hello.txt', join(root, 'abs-in'));
  return { base, root, outside, files, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
