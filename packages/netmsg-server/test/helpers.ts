import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { getBuiltinInterface, type MigArgs } from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';
import { MigUser } from '../src/cluster/mig-user.js';
import type { ClusterNode } from '../src/cluster/cluster-node.js';
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

/** Two connected in-memory byte streams (what one end writes, the other reads), like a socketpair. */
export function streamPair(): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const make = (other: () => Duplex): Duplex => new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      const o = other();
      if (!o.destroyed) o.push(Buffer.from(chunk));
      cb();
    },
    final(cb) {
      const o = other();
      if (!o.destroyed) o.push(null);
      cb();
    },
    destroy(err, cb) {
      const o = other();
      if (!o.destroyed) o.destroy();
      cb(err);
    },
  });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

/** A MIG user on `kernel` calling `routine` (fsys/fs/io) on `port` of `task`; the reply's args, or an Error with the code. */
export async function migCall(kernel: MachKernel, task: TaskId, port: number, routine: string, args: MigArgs, timeoutMs = 10_000): Promise<MigArgs> {
  const iface = ['fsys', 'fs', 'io'].map((n) => getBuiltinInterface(n as 'fs', 'x86_64')).find((i) => i.byName.has(routine))!;
  const r = iface.routine(routine);
  const req = r.encodeRequest(args, { header: { remotePort: port } });
  const user = new MigUser(kernel, task);
  const { msg } = await user.call(req, [], timeoutMs).finally(() => user.dispose());
  const dec = r.decodeReply(msg);
  if (dec.retCode !== 0) throw new Error(`${routine}: 0x${(dec.retCode >>> 0).toString(16)}`);
  return dec.args;
}

/**
 * Wait until `f` holds, re-checking every few milliseconds. Bounded (about
 * `tries` × 5 ms) so a condition that never holds fails the test instead of
 * hanging it; the bound is generous, not a performance claim.
 */
export async function until(f: () => Promise<boolean> | boolean, tries = 3000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition never held');
}

/**
 * A node in a child process: the fixture test/cluster-child-node.ts bundled
 * from source with esbuild (workspace packages by their source condition).
 */
export function bundleChildNode(outDir: string): string {
  const out = join(outDir, 'child-node.mjs');
  const here = fileURLToPath(new URL('.', import.meta.url));
  // esbuild is tsup's dependency, not a bin of the workspace root in a clean
  // install: take it from where tsup resolves it.
  const fromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
  const esbuild = fromTsup('esbuild') as { buildSync(options: Record<string, unknown>): unknown };
  esbuild.buildSync({
    entryPoints: [join(here, 'cluster-child-node.ts')], bundle: true, platform: 'node', format: 'esm',
    conditions: ['@hurd-cluster/source'], outfile: out, logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" },
  });
  return out;
}

/** Join two in-process cluster nodes over an in-memory stream; resolves when both ends are up. */
export function linkNodes(a: ClusterNode, b: ClusterNode, secret: Uint8Array): Promise<void> {
  const [x, y] = streamPair();
  let up = 0;
  return new Promise((resolve, reject) => {
    const onUp = (_p: unknown, joined: boolean): void => {
      if (!joined) reject(new Error('not joined'));
      else if (++up === 2) resolve();
    };
    a.attach(x, { secret, onUp });
    b.attach(y, { secret, onUp });
  });
}

/** Wait until `f` holds, re-checking after each turn of the event loop (bounded, no clock). */
export async function untilTurns(f: () => Promise<boolean>, turns = 5000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await f()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition never held');
}
