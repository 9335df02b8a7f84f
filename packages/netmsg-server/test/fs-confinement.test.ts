import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBuiltinInterface, type MigArgs } from 'mach-msg';
import { FS_RETRY_MAGICAL, FS_RETRY_NORMAL, HurdErrno, O_CREAT, O_READ, O_TRUNC, O_WRITE } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';
import { giveTree, Harness } from './fs-harness.js';
import { HostTree } from '../src/fs/host.js';

let tree: Tree;
beforeEach(() => {
  tree = makeTree();
  giveTree(tree.root);
});
afterEach(() => tree.cleanup());

/** Everything outside the export that an escape could touch: names, contents, modes, times. */
function outsideState(): string {
  const st = statSync(join(tree.outside, 'secret.txt'));
  return JSON.stringify({
    base: readdirSync(tree.base).sort(),
    outside: readdirSync(tree.outside).sort(),
    secret: readFileSync(join(tree.outside, 'secret.txt'), 'utf8'),
    mode: st.mode, size: st.size, mtime: st.mtimeMs, uid: st.uid,
  });
}

/**
 * Another thread swaps `swap` (a directory) and `evil` (a symlink to
 * outside) under `root`, `rounds` times; `done` resolves with its exit code,
 * `finished()` says whether it has, and `stop()` ends it early (a test that
 * fails must not leave it renaming under the next test's cleanup).
 */
function swapper(root: string, rounds: number): { done: Promise<number>; finished: () => boolean; stop: () => Promise<void> } {
  const worker = new Worker(`
    const { renameSync } = require('node:fs');
    const { join } = require('node:path');
    const { root, rounds } = require('node:worker_threads').workerData;
    for (let i = 0; i < rounds; i++) {
      renameSync(join(root, 'swap'), join(root, 'hold'));
      renameSync(join(root, 'evil'), join(root, 'swap'));
      renameSync(join(root, 'swap'), join(root, 'evil'));
      renameSync(join(root, 'hold'), join(root, 'swap'));
    }
  `, { eval: true, workerData: { root, rounds } });
  const done = new Promise<number>((resolve, reject) => {
    worker.once('exit', resolve);
    worker.once('error', reject);
  });
  let ended = false;
  done.then(() => (ended = true), () => (ended = true));
  return { done, finished: () => ended, stop: async () => void (ended || (await worker.terminate())) };
}

describe('confinement under a concurrent rename race', () => {
  it('lookups and held ports never reach outside while a directory and a symlink to outside swap places', async () => {
    mkdirSync(join(tree.root, 'swap'));
    writeFileSync(join(tree.root, 'swap', 'secret.txt'), 'INSIDE');
    symlinkSync(tree.outside, join(tree.root, 'evil')); // absolute host path: the host would follow it, we must not
    giveTree(tree.root);
    const h = new Harness({ root: tree.root, readOnly: false });
    const r = h.root();
    const held = h.open(r, 'swap');
    const before = outsideState();
    // Another thread swaps `swap` (the directory) and `evil` (the symlink) back and forth.
    const rounds = 3000;
    const swap = swapper(tree.root, rounds);
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 4000 && !(swap.finished() && i > 200); i++) {
        const a = h.call(r, 'dir_lookup', { file_name: 'swap/secret.txt', flags: O_READ, mode: 0 });
        if (a.ret === 0 && a.args['do_retry'] === FS_RETRY_NORMAL) {
          const p = (a.args['result'] as { name: number }).name;
          const got = h.call(p, 'io_read', { offset: 0n, amount: 100n });
          if (got.ret === 0) seen.add(new TextDecoder().decode(got.args['data'] as Uint8Array));
          h.x.release(p);
        } else if (a.ret === 0) {
          expect(a.args['do_retry']).toBe(FS_RETRY_MAGICAL); // the symlink, answered as a restart at the export root
        }
        const b = h.call(held, 'dir_lookup', { file_name: 'secret.txt', flags: O_READ, mode: 0 });
        if (b.ret === 0) {
          const p = (b.args['result'] as { name: number }).name;
          const got = h.call(p, 'io_read', { offset: 0n, amount: 100n });
          if (got.ret === 0) seen.add(new TextDecoder().decode(got.args['data'] as Uint8Array));
          h.x.release(p);
        }
        h.call(held, 'dir_mkdir', { name: `m${i}`, mode: 0o755 }); // must never land outside
        if (i % 4 === 0) await new Promise((res) => setImmediate(res)); // let the exit event through
      }
      expect(await swap.done).toBe(0);
    } finally {
      await swap.stop();
    }
    expect([...seen].filter((s) => s !== 'INSIDE')).toEqual([]);
    expect(outsideState()).toBe(before);
  });
});

describe('HostTree: a directory moved out of the export between the walk and the open', () => {
  // openFd proves the node it opened is inside the root, not the directory it
  // walked to (one readlink per open): a directory moved outside in between
  // must still fail, by the node's own proof. The race is made deterministic
  // by moving the directory out at the moment the leaf's name is resolved.
  it('the node opened under it is refused (EACCES), for withFd and openFd alike', () => {
    mkdirSync(join(tree.root, 'mv'));
    writeFileSync(join(tree.root, 'mv', 'f.txt'), 'IN A MOVED DIRECTORY');
    class MovingTree extends HostTree {
      moves = 0;
      override at(d: Parameters<HostTree['at']>[0], name: string): string {
        if (name === 'f.txt') {
          renameSync(join(tree.root, 'mv'), join(tree.outside, 'mv'));
          this.moves++;
        }
        return super.at(d, name);
      }
    }
    const t = new MovingTree(realpathSync(tree.root));
    if (!t.procfs) return; // without procfs there is no fd to follow the move (host.ts): nothing to prove
    const code = (f: () => unknown): number | string | undefined => {
      try {
        f();
        return undefined;
      } catch (e) {
        return (e as { kern?: number; code?: string }).code ?? (e as { errno?: number }).errno;
      }
    };
    const refused = String(HurdErrno.EACCES);
    expect(String(code(() => t.openFd(['mv', 'f.txt'], 0)))).toBe(refused);
    renameSync(join(tree.outside, 'mv'), join(tree.root, 'mv'));
    expect(String(code(() => t.withFd(['mv', 'f.txt'], 0, () => 0)))).toBe(refused);
    expect(t.moves).toBe(2);
    // Not moved: the same open succeeds.
    renameSync(join(tree.outside, 'mv'), join(tree.root, 'mv'));
    expect(new HostTree(realpathSync(tree.root)).withFd(['mv', 'f.txt'], 0, (_fd, st) => Number(st.size))).toBe(20);
  });
});

describe('confinement of the node\'s io_read path (FsExport.prefetch, then handle)', () => {
  it('a held file port whose directory was moved away on the host answers ESTALE, not ENOENT, and reads again once it is back', async () => {
    mkdirSync(join(tree.root, 'gone'));
    writeFileSync(join(tree.root, 'gone', 'f.txt'), 'BACK');
    giveTree(tree.root);
    const h = new Harness({ root: tree.root, readOnly: false });
    const held = h.open(h.root(), 'gone/f.txt');
    renameSync(join(tree.root, 'gone'), join(tree.root, 'moved'));
    // Both ways an io_read is served: by handle alone, and prefetched (which leaves a vanished node to handle).
    expect(h.call(held, 'io_read', { offset: 0n, amount: 10n }).ret).toBe(HurdErrno.ESTALE);
    const io = getBuiltinInterface('io', 'x86_64').routine('io_read');
    const req = io.encodeRequest({ offset: 0n, amount: 10n }, { header: { remotePort: held, localPort: 0x900 } });
    expect(io.decodeReply(h.x.handle(req, [], await h.x.prefetch(req))!.reply).retCode).toBe(HurdErrno.ESTALE);
    renameSync(join(tree.root, 'moved'), join(tree.root, 'gone'));
    const back = h.call(held, 'io_read', { offset: 0n, amount: 10n });
    expect(back.ret).toBe(0);
    expect(new TextDecoder().decode(back.args['data'] as Uint8Array)).toBe('BACK');
  });

  it('held file ports read only the inside file while its directory and a symlink to outside swap places', async () => {
    mkdirSync(join(tree.root, 'swap'));
    writeFileSync(join(tree.root, 'swap', 'secret.txt'), 'INSIDE');
    symlinkSync(tree.outside, join(tree.root, 'evil'));
    giveTree(tree.root);
    const h = new Harness({ root: tree.root, readOnly: false });
    const r = h.root();
    const io = getBuiltinInterface('io', 'x86_64').routine('io_read');
    /** io_read as ExportTask serves it: the host read first (asynchronous), then handle with it. */
    const readPrefetched = async (port: number): Promise<{ ret: number; data?: Uint8Array }> => {
      const req = io.encodeRequest({ offset: 0n, amount: 100n }, { header: { remotePort: port, localPort: 0x900 } });
      const pre = await h.x.prefetch(req);
      const out = h.x.handle(req, [], pre)!;
      const dec = io.decodeReply(out.reply);
      const d = dec.args['data'];
      return { ret: dec.retCode, data: d instanceof Uint8Array ? d : out.ool[0] };
    };
    const held = h.open(r, 'swap/secret.txt');
    const swap = swapper(tree.root, 3000);
    const seen = new Set<string>();
    let answered = 0;
    try {
      for (let i = 0; i < 3000 && !(swap.finished() && i > 200); i++) {
        const h1 = await readPrefetched(held);
        if (h1.ret === 0) {
          answered++;
          seen.add(new TextDecoder().decode(h1.data));
        } else expect([HurdErrno.ESTALE, HurdErrno.EACCES]).toContain(h1.ret);
        const a = h.call(r, 'dir_lookup', { file_name: 'swap/secret.txt', flags: O_READ, mode: 0 });
        if (a.ret === 0 && a.args['do_retry'] === FS_RETRY_NORMAL) {
          const p = (a.args['result'] as { name: number }).name;
          const got = await readPrefetched(p);
          if (got.ret === 0) {
            answered++;
            seen.add(new TextDecoder().decode(got.data));
          }
          h.x.release(p);
        }
      }
      expect(await swap.done).toBe(0);
    } finally {
      await swap.stop();
    }
    expect(answered).toBeGreaterThan(0);
    expect([...seen]).toEqual(['INSIDE']);
    expect(readFileSync(join(tree.outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE SECRET');
  });
});

describe('confinement property: no sequence of requests changes anything outside the export', () => {
  it('random lookups, creates, renames, links, unlinks and attribute changes (fixed seed)', () => {
    const h = new Harness({ root: tree.root, readOnly: false });
    const before = outsideState();
    const names = ['a', 'b', 'sub', 'deep', '..', '.', 'dir-out', 'abs-out', 'link-in', 'rel-out', 'secret.txt', 'outside', 'export'];
    const paths = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 5 }).map((p) => p.join('/'));
    const name = fc.constantFrom(...names, '../x', 'a/../../b');
    const op = fc.oneof(
      fc.record({ t: fc.constant('open' as const), path: paths, flags: fc.constantFrom(O_READ, O_READ | O_WRITE | O_CREAT, O_WRITE | O_TRUNC, 0) }),
      fc.record({ t: fc.constant('mkdir' as const), dir: fc.nat(), name }),
      fc.record({ t: fc.constant('unlink' as const), dir: fc.nat(), name }),
      fc.record({ t: fc.constant('rmdir' as const), dir: fc.nat(), name }),
      fc.record({ t: fc.constant('rename' as const), dir: fc.nat(), to: fc.nat(), from: name, name }),
      fc.record({ t: fc.constant('link' as const), dir: fc.nat(), file: fc.nat(), name }),
      fc.record({ t: fc.constant('write' as const), file: fc.nat() }),
      fc.record({ t: fc.constant('attr' as const), file: fc.nat(), mode: fc.constantFrom(0o777, 0o000, 0o4755) }),
    );
    const root = h.root();
    const ports: number[] = [root];
    const pick = (i: number): number => ports[i % ports.length]!;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        for (const o of ops) {
          let res: { ret: number; args: MigArgs } | undefined;
          switch (o.t) {
            case 'open':
              res = h.call(root, 'dir_lookup', { file_name: o.path, flags: o.flags, mode: 0o666 });
              if (res.ret === 0 && (res.args['result'] as { name: number }).name !== 0) ports.push((res.args['result'] as { name: number }).name);
              break;
            case 'mkdir': h.call(pick(o.dir), 'dir_mkdir', { name: o.name, mode: 0o777 }); break;
            case 'unlink': h.call(pick(o.dir), 'dir_unlink', { name: o.name }); break;
            case 'rmdir': h.call(pick(o.dir), 'dir_rmdir', { name: o.name }); break;
            case 'rename': h.call(pick(o.dir), 'dir_rename', { oldname: o.from, newdirectory: { name: pick(o.to), disposition: 19 }, newname: o.name, excl: 0 }); break;
            case 'link': h.call(pick(o.dir), 'dir_link', { file: { name: pick(o.file), disposition: 19 }, name: o.name, excl: 0 }); break;
            case 'write': h.call(pick(o.file), 'io_write', { data: new TextEncoder().encode('PWNED'), offset: 0n }); break;
            case 'attr':
              h.call(pick(o.file), 'file_chmod', { new_mode: o.mode });
              h.call(pick(o.file), 'file_set_size', { new_size: 0n });
              h.call(pick(o.file), 'file_utimens', { new_atime: [1n, 0n], new_mtime: [1n, 0n] });
              break;
          }
        }
        expect(outsideState()).toBe(before);
      }),
      { seed: 1207, numRuns: 60 },
    );
  });
});

describe('HostTree: the host never resolves a symlink for the export', () => {
  it('a symlink in a directory path fails the walk; a symlink leaf is never opened; names are single components', () => {
    const t = new HostTree(realpathSync(tree.root));
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
        return undefined;
      } catch (e) {
        return (e as { code?: string; errno?: number }).code ?? String((e as { errno?: number }).errno);
      }
    };
    expect(code(() => t.openDir(['dir-out']))).toBe('ENOTDIR');
    expect(code(() => t.lstat(['dir-out', 'secret.txt']))).toBe('ENOTDIR');
    expect(code(() => t.withFd(['abs-out'], 0, () => 0))).toBe('ELOOP');
    expect(t.lstat(['abs-out']).isSymbolicLink()).toBe(true);
    expect(t.withDir(['sub', 'deep'], (d) => readdirSync(t.procfs ? `/proc/self/fd/${d.fd}` : d.path))).toEqual(['big.bin']);
    const d = t.openDir([]);
    try {
      for (const bad of ['', '.', '..', 'a/b', 'x\0y']) expect(code(() => t.at(d, bad))).toBe(String(0x40000016));
    } finally {
      t.close(d);
    }
  });
});
