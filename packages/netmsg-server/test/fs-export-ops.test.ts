import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBuiltinInterface, MIG_BAD_ARGUMENTS, MIG_BAD_ID, type MachMessage, type MigArgs } from 'mach-msg';
import {
  CONTROL_PORT, createCredentialPolicy, decodeDirents, FS_RETRY_MAGICAL, FS_RETRY_REAUTH, HurdErrno, O_APPEND, O_CREAT, O_DIRECTORY,
  O_EXCL, O_NOLINK, O_NONBLOCK, O_READ, O_TRUNC, O_WRITE, S_IFLNK, S_IFMT, S_IFREG, unpackStatX86_64,
} from '../src/index.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { asRoot, giveTree, Harness, OWNER } from './fs-harness.js';

const me = asRoot ? OWNER : process.getuid!();
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

let tree: Tree;
beforeEach(() => {
  tree = makeTree();
  giveTree(tree.root);
});
afterEach(() => tree.cleanup());

function rw(extra: Partial<ConstructorParameters<typeof Harness>[0]> = {}): Harness {
  return new Harness({ root: tree.root, readOnly: false, ...extra });
}

describe('fsys on the control port', () => {
  it('fsys_getroot: the root, with the identity the policy maps the ids to', () => {
    const h = rw({ credentials: createCredentialPolicy({ fallback: { uid: 9999, gid: 9999 }, mappings: [{ remote: 1000, local: me }] }) });
    const mapped = h.root([1000], [1000]);
    const other = h.root([77], [77]);
    writeFileSync(join(tree.root, 'private'), 'mine', { mode: 0o600 });
    giveTree(tree.root);
    // The mapped user owns the tree; the unmapped one is 9999, an "other".
    expect(dec(h.read(h.open(mapped, 'private')))).toBe('mine');
    expect(h.lookupRet(other, 'private')).toBe(HurdErrno.EACCES);
    expect(h.lookupRet(other, 'hello.txt')).toBe(0);
    expect(h.lookupRet(other, 'new', O_WRITE | O_CREAT, 0o644)).toBe(HurdErrno.EACCES);
    expect(existsSync(join(tree.root, 'new'))).toBe(false);
  });

  it('a remote root is not root here (the default policy squashes every remote user)', () => {
    const h = rw({ credentials: createCredentialPolicy({ fallback: { uid: 9999, gid: 9999 } }) });
    const r = h.root([0], [0]);
    writeFileSync(join(tree.root, 'shadow'), 'x', { mode: 0o600 });
    expect(h.lookupRet(r, 'shadow')).toBe(HurdErrno.EACCES);
  });

  it('fsys_syncfs answers 0; fsys_goaway is EBUSY while any port is open, even with FORCE, and stops nothing', () => {
    const h = rw();
    expect(h.call(CONTROL_PORT, 'fsys_goaway', { flags: 0 }).ret).toBe(0);
    const r = h.root();
    const f = h.open(r, 'hello.txt');
    expect(h.call(CONTROL_PORT, 'fsys_syncfs', { wait: 1, do_children: 0 }).ret).toBe(0);
    expect(h.call(CONTROL_PORT, 'fsys_goaway', { flags: 0 }).ret).toBe(HurdErrno.EBUSY);
    expect(h.call(CONTROL_PORT, 'fsys_goaway', { flags: 4 }).ret).toBe(HurdErrno.EBUSY);
    expect(h.call(f, 'io_stat', {}).ret).toBe(0);
    expect(h.call(CONTROL_PORT, 'fsys_getpriv', {}).ret).toBe(HurdErrno.EOPNOTSUPP);
  });

  it('unknown ids are MIG_BAD_ID; fs ids on the control port too', () => {
    const h = rw();
    const r = h.root();
    expect(h.call(CONTROL_PORT, 'io_stat', {}).ret).toBe(MIG_BAD_ID);
    expect(h.call(r, 'fsys_syncfs', { wait: 0, do_children: 0 }).ret).toBe(MIG_BAD_ID);
  });
});

describe('dir_lookup', () => {
  it('creates with O_CREAT (exact mode, owned by the mapped identity), O_EXCL refuses an existing name', () => {
    const h = rw();
    const r = h.root();
    const p = h.open(r, 'sub/made.txt', O_READ | O_WRITE | O_CREAT, 0o640);
    const st = statSync(join(tree.root, 'sub/made.txt'));
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.uid).toBe(me);
    expect(h.ok(p, 'io_write', { data: enc('abc'), offset: -1n })['amount']).toBe(3n);
    expect(h.lookupRet(r, 'sub/made.txt', O_WRITE | O_CREAT | O_EXCL, 0o644)).toBe(HurdErrno.EEXIST);
    expect(h.lookupRet(r, 'sub/made.txt', O_WRITE | O_CREAT, 0o644)).toBe(0);
    expect(h.lookupRet(r, 'sub/nodir/x', O_WRITE | O_CREAT, 0o644)).toBe(HurdErrno.ENOENT);
    expect(h.lookupRet(r, 'sub/newdir/', O_WRITE | O_CREAT, 0o644)).toBe(HurdErrno.ENOENT); // a trailing slash cancels O_CREAT
  });

  it('O_TRUNC with O_WRITE empties the file; O_DIRECTORY and a trailing slash want a directory; EISDIR for writing one', () => {
    const h = rw();
    const r = h.root();
    h.open(r, 'hello.txt', O_WRITE | O_TRUNC);
    expect(readFileSync(join(tree.root, 'hello.txt')).length).toBe(0);
    expect(h.lookupRet(r, 'sub/small.bin', O_READ | O_DIRECTORY)).toBe(HurdErrno.ENOTDIR);
    expect(h.lookupRet(r, 'sub/small.bin/')).toBe(HurdErrno.ENOTDIR);
    expect(h.lookupRet(r, 'sub/small.bin/x')).toBe(HurdErrno.ENOTDIR);
    expect(h.lookupRet(r, 'sub', O_WRITE)).toBe(HurdErrno.EISDIR);
    expect(h.lookupRet(r, 'sub/', O_READ)).toBe(0);
  });

  it('"" reopens the object itself, with new modes', () => {
    const h = rw();
    const r = h.root();
    const f = h.open(r, 'hello.txt', 0);
    expect(h.call(f, 'io_read', { offset: 0n, amount: 5n }).ret).toBe(HurdErrno.EBADF);
    const g = h.open(f, '', O_READ);
    expect(dec(h.read(g, 0n, 5n))).toBe('hello');
    expect(h.lookupRet(f, 'x')).toBe(HurdErrno.ENOTDIR);
  });

  it('follows relative symlinks inside, answers FS_RETRY_MAGICAL for absolute ones, O_NOLINK opens the link itself', () => {
    const h = rw();
    const r = h.root();
    expect(h.read(h.open(r, 'link-in')).length).toBe(2047);
    const m = h.ok(r, 'dir_lookup', { file_name: 'abs-in', flags: O_READ, mode: 0 });
    expect([m['do_retry'], m['retry_name'], (m['result'] as { name: number }).name]).toEqual([FS_RETRY_MAGICAL, '/hello.txt', 0]);
    symlinkSync('/sub', join(tree.root, 'abs-dir'));
    const m2 = h.ok(r, 'dir_lookup', { file_name: 'abs-dir/deep/big.bin', flags: O_READ, mode: 0 });
    expect(m2['retry_name']).toBe('/sub/deep/big.bin');
    const l = h.open(r, 'link-in', O_READ | O_NOLINK);
    const st = unpackStatX86_64(h.ok(l, 'io_stat', {})['stat_info'] as bigint[]);
    expect(st.mode & S_IFMT).toBe(S_IFLNK);
    expect(st.size).toBe(BigInt('sub/small.bin'.length));
    expect(dec(h.read(l))).toBe('sub/small.bin');
    expect(dec(h.ok(l, 'file_get_translator', {})['translator'] as Uint8Array)).toBe('/hurd/symlink\0sub/small.bin\0');
    // A symlink in the middle is followed even with O_NOLINK.
    symlinkSync('sub', join(tree.root, 'sub-link'));
    expect(h.lookupRet(r, 'sub-link/small.bin', O_READ | O_NOLINK)).toBe(0);
  });

  it('ELOOP after 8 symlinks; O_CREAT never creates through a (dangling) symlink', () => {
    const h = rw();
    const r = h.root();
    symlinkSync('loop-b', join(tree.root, 'loop-a'));
    symlinkSync('loop-a', join(tree.root, 'loop-b'));
    expect(h.lookupRet(r, 'loop-a')).toBe(HurdErrno.ELOOP);
    symlinkSync('sub/not-yet', join(tree.root, 'dangling'));
    expect(h.lookupRet(r, 'dangling', O_WRITE | O_CREAT, 0o644)).toBe(HurdErrno.ENOENT);
    expect(existsSync(join(tree.root, 'sub/not-yet'))).toBe(false);
    symlinkSync('../../outside/new.txt', join(tree.root, 'sub', 'dangling-out'));
    expect(h.lookupRet(r, 'sub/dangling-out', O_WRITE | O_CREAT, 0o644)).toBe(HurdErrno.ENOENT);
    expect(existsSync(join(tree.outside, 'new.txt'))).toBe(false);
  });

  it('`..` at the root: the root itself, or FS_RETRY_REAUTH with fsys_getroot\'s dotdot port', () => {
    const dropped: number[] = [];
    const h = rw({ rootParent: { dropRight: (n) => dropped.push(n) } });
    const plain = h.root();
    expect(h.lookupRet(plain, '../../../hello.txt')).toBe(0);
    // Without the option the dotdot port is not kept: `..` stays at the root.
    const ignoring = rw();
    expect(ignoring.lookupRet(ignoring.root([1000], [1000], O_READ, 4242), '../hello.txt')).toBe(0);
    const r = h.root([1000], [1000], O_READ, 4242);
    const sub = h.open(r, 'sub');
    for (const [name, rest] of [['..', ''], ['../x/y', 'x/y'], ['../', '/'], ['sub/../../etc', 'etc']] as const) {
      const a = h.ok(r, 'dir_lookup', { file_name: name, flags: O_READ, mode: 0 });
      expect([a['do_retry'], a['retry_name'], (a['result'] as { name: number }).name]).toEqual([FS_RETRY_REAUTH, rest, 4242]);
    }
    // The root parent is inherited by lookups: `..` from sub twice leaves the filesystem.
    expect(h.ok(sub, 'dir_lookup', { file_name: '../..', flags: O_READ, mode: 0 })['do_retry']).toBe(FS_RETRY_REAUTH);
    const up = h.ok(sub, 'dir_lookup', { file_name: '..', flags: O_READ, mode: 0 });
    expect(up['do_retry']).toBe(1);
    // The right is dropped once no open refers to it any more.
    h.x.release((up['result'] as { name: number }).name);
    h.x.release(sub);
    expect(dropped).toEqual([]);
    h.x.release(r);
    expect(dropped).toEqual([4242]);
  });

  it('search permission is needed on every directory walked', () => {
    const h = rw({ credentials: createCredentialPolicy({ fallback: { uid: 9999, gid: 9999 } }) });
    const r = h.root();
    chmodSync(join(tree.root, 'sub'), 0o700);
    expect(h.lookupRet(r, 'sub/small.bin')).toBe(HurdErrno.EACCES);
    chmodSync(join(tree.root, 'sub'), 0o711);
    expect(h.lookupRet(r, 'sub/small.bin')).toBe(0);
  });
});

describe('directory routines', () => {
  it('dir_readdir: . and .., whole records, entry/nentries/bufsiz windows, EBADF without O_READ', () => {
    const h = rw();
    const r = h.root();
    const d = h.open(r, 'sub');
    const all = h.ok(d, 'dir_readdir', { entry: 0, nentries: -1, bufsiz: 0n });
    const names = decodeDirents(all['data'] as Uint8Array, Number(all['amount'])).map((e) => e.name);
    expect(names).toEqual(['.', '..', 'deep', 'edge.bin', 'rel-out', 'small.bin']);
    const two = h.ok(d, 'dir_readdir', { entry: 2, nentries: 2, bufsiz: 0n });
    expect(decodeDirents(two['data'] as Uint8Array, 2).map((e) => e.name)).toEqual(['deep', 'edge.bin']);
    const small = h.ok(d, 'dir_readdir', { entry: 0, nentries: -1, bufsiz: 40n });
    expect(small['amount']).toBe(2); // 16 + 16 bytes; a third would not fit
    expect(h.ok(d, 'dir_readdir', { entry: 99, nentries: -1, bufsiz: 0n })['amount']).toBe(0);
    const noRead = h.open(r, 'sub', 0);
    expect(h.call(noRead, 'dir_readdir', { entry: 0, nentries: -1, bufsiz: 0n }).ret).toBe(HurdErrno.EBADF);
  });

  it('dir_mkdir / dir_rmdir / dir_unlink', () => {
    const h = rw();
    const r = h.root();
    expect(h.call(r, 'dir_mkdir', { name: 'made', mode: 0o750 }).ret).toBe(0);
    expect(statSync(join(tree.root, 'made')).mode & 0o7777).toBe(0o750);
    expect(statSync(join(tree.root, 'made')).uid).toBe(me);
    expect(h.call(r, 'dir_mkdir', { name: 'made', mode: 0o750 }).ret).toBe(HurdErrno.EEXIST);
    expect(h.call(r, 'dir_mkdir', { name: '../escape', mode: 0o750 }).ret).toBe(HurdErrno.EINVAL);
    expect(h.call(r, 'dir_rmdir', { name: 'sub' }).ret).toBe(HurdErrno.ENOTEMPTY);
    expect(h.call(r, 'dir_rmdir', { name: 'hello.txt' }).ret).toBe(HurdErrno.ENOTDIR);
    expect(h.call(r, 'dir_rmdir', { name: 'made' }).ret).toBe(0);
    expect(existsSync(join(tree.root, 'made'))).toBe(false);
    expect(h.call(r, 'dir_unlink', { name: 'sub' }).ret).toBe(HurdErrno.EPERM);
    expect(h.call(r, 'dir_unlink', { name: 'abs-out' }).ret).toBe(0); // the link goes, not its target
    expect(existsSync(join(tree.outside, 'secret.txt'))).toBe(true);
    expect(h.call(r, 'dir_unlink', { name: 'hello.txt' }).ret).toBe(0);
    expect(h.call(r, 'dir_unlink', { name: 'hello.txt' }).ret).toBe(HurdErrno.ENOENT);
  });

  it('the sticky bit: only owners remove entries', () => {
    if (!asRoot) return; // needs two distinct local users
    const h = new Harness({ root: tree.root, readOnly: false, credentials: createCredentialPolicy({ fallback: { uid: 9999, gid: 9999 }, mappings: [{ remote: 1, local: OWNER }] }) });
    mkdirSync(join(tree.root, 'tmp'), { mode: 0o1777 });
    chmodSync(join(tree.root, 'tmp'), 0o1777);
    writeFileSync(join(tree.root, 'tmp', 'theirs'), 'x');
    giveTree(tree.root);
    const stranger = h.root([5], [5]);
    const owner = h.root([1], [1]);
    const t = h.open(stranger, 'tmp');
    expect(h.call(t, 'dir_unlink', { name: 'theirs' }).ret).toBe(HurdErrno.EPERM);
    expect(h.call(h.open(owner, 'tmp'), 'dir_unlink', { name: 'theirs' }).ret).toBe(0);
  });

  it('dir_rename within and across directories; ports follow; excl; EXDEV for a foreign port; no escapes', () => {
    const h = rw();
    const r = h.root();
    const deep = h.open(r, 'sub/deep');
    const big = h.open(r, 'sub/deep/big.bin');
    const sub = h.open(r, 'sub');
    expect(h.call(r, 'dir_rename', { oldname: 'sub', newdirectory: { name: r, disposition: 19 }, newname: 'moved', excl: 0 }).ret).toBe(0);
    expect(h.read(big, 0n, 10n)).toEqual(pattern(300_000, 3).subarray(0, 10));
    expect(h.ok(deep, 'dir_readdir', { entry: 2, nentries: -1, bufsiz: 0n })['amount']).toBe(1);
    expect(h.call(sub, 'dir_rename', { oldname: 'small.bin', newdirectory: { name: deep, disposition: 19 }, newname: 's.bin', excl: 1 }).ret).toBe(0);
    expect(existsSync(join(tree.root, 'moved/deep/s.bin'))).toBe(true);
    expect(h.call(sub, 'dir_rename', { oldname: 'edge.bin', newdirectory: { name: deep, disposition: 19 }, newname: 's.bin', excl: 1 }).ret).toBe(HurdErrno.EEXIST);
    expect(h.call(sub, 'dir_rename', { oldname: 'edge.bin', newdirectory: { name: 777, disposition: 19 }, newname: 'x', excl: 0 }).ret).toBe(HurdErrno.EXDEV);
    expect(h.call(sub, 'dir_rename', { oldname: 'edge.bin', newdirectory: { name: deep, disposition: 19 }, newname: '../../x', excl: 0 }).ret).toBe(HurdErrno.EINVAL);
    expect(h.call(r, 'dir_rename', { oldname: 'moved', newdirectory: { name: deep, disposition: 19 }, newname: 'inside', excl: 0 }).ret).toBe(HurdErrno.EINVAL);
    expect(readdirSync(tree.outside)).toEqual(['secret.txt']);
  });

  it('dir_link: a new name for our own node, EXDEV for a foreign port, EPERM for a directory', () => {
    const h = rw();
    const r = h.root();
    const f = h.open(r, 'hello.txt');
    expect(h.call(r, 'dir_link', { file: { name: f, disposition: 19 }, name: 'again.txt', excl: 1 }).ret).toBe(0);
    expect(statSync(join(tree.root, 'again.txt')).ino).toBe(statSync(join(tree.root, 'hello.txt')).ino);
    expect(h.call(r, 'dir_link', { file: { name: f, disposition: 19 }, name: 'again.txt', excl: 1 }).ret).toBe(HurdErrno.EEXIST);
    const e = h.open(r, 'empty');
    expect(h.call(r, 'dir_link', { file: { name: e, disposition: 19 }, name: 'again.txt', excl: 0 }).ret).toBe(0);
    expect(statSync(join(tree.root, 'again.txt')).ino).toBe(statSync(join(tree.root, 'empty')).ino);
    expect(h.call(r, 'dir_link', { file: { name: 4444, disposition: 19 }, name: 'x', excl: 1 }).ret).toBe(HurdErrno.EXDEV);
    expect(h.call(r, 'dir_link', { file: { name: h.open(r, 'sub'), disposition: 19 }, name: 'x', excl: 1 }).ret).toBe(HurdErrno.EPERM);
  });

  it('dir_mkfile: an unnamed file, invisible, named by dir_link, gone if never linked', () => {
    const h = rw();
    const r = h.root();
    const a = h.ok(r, 'dir_mkfile', { flags: O_READ | O_WRITE, mode: 0o600 });
    const f = (a['newnode'] as { name: number }).name;
    h.ok(f, 'io_write', { data: enc('anonymous'), offset: 0n });
    const listed = h.ok(r, 'dir_readdir', { entry: 0, nentries: -1, bufsiz: 0n });
    expect(decodeDirents(listed['data'] as Uint8Array, Number(listed['amount'])).some((e) => e.name.startsWith('.netmsg'))).toBe(false);
    h.ok(r, 'dir_link', { file: { name: f, disposition: 19 }, name: 'named.txt', excl: 1 });
    expect(readFileSync(join(tree.root, 'named.txt'), 'utf8')).toBe('anonymous');
    expect(dec(h.read(f, 0n))).toBe('anonymous');
    const b = (h.ok(r, 'dir_mkfile', { flags: O_WRITE, mode: 0o600 })['newnode'] as { name: number }).name;
    h.x.release(b);
    h.x.release(f);
    expect(readdirSync(tree.root).filter((n) => n.startsWith('.netmsg'))).toEqual([]);
  });
});

describe('file routines', () => {
  it('file_set_translator short-circuits /hurd/symlink on a dir_mkfile node: glibc\'s symlink()', () => {
    const h = rw();
    const r = h.root();
    const node = (h.ok(r, 'dir_mkfile', { flags: O_WRITE, mode: 0o777 })['newnode'] as { name: number }).name;
    const set = (port: number, passive: string, active = 0, flags = 6): number => h.call(port, 'file_set_translator', {
      passive_flags: flags, active_flags: flags, oldtrans_flags: 0, passive: enc(passive), active: { name: active, disposition: 19 },
    }).ret;
    expect(set(node, '/hurd/symlink\0../../outside/secret.txt')).toBe(HurdErrno.EINVAL); // not NUL-terminated
    expect(set(node, '/hurd/fifo\0')).toBe(HurdErrno.EOPNOTSUPP);
    expect(set(node, '/hurd/symlink\0x\0', 0, 0)).toBe(HurdErrno.EINVAL); // FS_TRANS_SET in neither
    expect(set(node, '/hurd/symlink\0../../outside/secret.txt\0')).toBe(0);
    expect(set(node, '/hurd/symlink\0again\0')).toBe(HurdErrno.EBUSY);
    h.ok(r, 'dir_link', { file: { name: node, disposition: 19 }, name: 'made-link', excl: 1 });
    h.x.release(node);
    expect(lstatSync(join(tree.root, 'made-link')).isSymbolicLink()).toBe(true);
    expect(readdirSync(tree.root).filter((n) => n.startsWith('.netmsg'))).toEqual([]);
    // The target is data: a lookup through it is confined like any other link.
    expect(h.lookupRet(r, 'made-link')).toBe(HurdErrno.ENOENT);
    expect(set(h.open(r, 'hello.txt', 0), '/hurd/symlink\0x\0')).toBe(HurdErrno.EOPNOTSUPP); // a file with data stays a file
  });

  it('file_chmod / file_chown (owner rules) / file_utimens / file_utimes', () => {
    const h = rw({ credentials: createCredentialPolicy({ fallback: { uid: 9999, gid: 9999 }, mappings: [{ remote: 1, local: me, gid: me }] }) });
    const owner = h.root([1], [1]);
    const other = h.root([2], [2]);
    const f = h.open(owner, 'hello.txt', 0);
    expect(h.call(f, 'file_chmod', { new_mode: 0o4751 }).ret).toBe(0);
    expect(statSync(join(tree.root, 'hello.txt')).mode & 0o7777).toBe(0o4751);
    const g = h.open(other, 'hello.txt', 0);
    expect(h.call(g, 'file_chmod', { new_mode: 0o777 }).ret).toBe(HurdErrno.EPERM);
    expect(h.call(g, 'file_chown', { new_owner: 9999, new_group: 0xffffffff }).ret).toBe(HurdErrno.EPERM);
    expect(h.call(f, 'file_chown', { new_owner: 0xffffffff, new_group: me }).ret).toBe(0);
    expect(h.call(f, 'file_chown', { new_owner: 0, new_group: 0xffffffff }).ret).toBe(me === 0 ? 0 : HurdErrno.EPERM);
    expect(h.call(f, 'file_utimens', { new_atime: [1_000_000n, 5n], new_mtime: [2_000_000n, 0n] }).ret).toBe(0);
    expect(Math.round(statSync(join(tree.root, 'hello.txt')).mtimeMs / 1000)).toBe(2_000_000);
    expect(Math.round(statSync(join(tree.root, 'hello.txt')).atimeMs / 1000)).toBe(1_000_000);
    // UTIME_OMIT keeps mtime; explicit times need ownership.
    expect(h.call(f, 'file_utimens', { new_atime: [3_000_000n, 0n], new_mtime: [0n, BigInt.asUintN(64, -2n)] }).ret).toBe(0);
    expect(Math.round(statSync(join(tree.root, 'hello.txt')).mtimeMs / 1000)).toBe(2_000_000);
    expect(h.call(g, 'file_utimens', { new_atime: [1n, 0n], new_mtime: [1n, 0n] }).ret).toBe(HurdErrno.EPERM);
    expect(h.call(f, 'file_utimes', { new_atime: [4_000_000n, 0n], new_mtime: [5_000_000n, 250_000n] }).ret).toBe(0);
    expect(statSync(join(tree.root, 'hello.txt')).mtimeMs).toBe(5_000_000_250);
    expect(h.call(f, 'file_utimens', { new_atime: [0n, 2_000_000_000n], new_mtime: [0n, 0n] }).ret).toBe(HurdErrno.EINVAL);
  });

  it('file_set_size needs O_WRITE (EINVAL), extends with zeros and truncates; file_sync, file_check_access, file_statfs', () => {
    const h = rw();
    const r = h.root();
    const ro = h.open(r, 'hello.txt', O_READ);
    expect(h.call(ro, 'file_set_size', { new_size: 0n }).ret).toBe(HurdErrno.EINVAL);
    const w = h.open(r, 'hello.txt', O_READ | O_WRITE);
    h.ok(w, 'file_set_size', { new_size: 20n });
    expect(readFileSync(join(tree.root, 'hello.txt'))).toEqual(Buffer.concat([Buffer.from('hello, hurd\n'), Buffer.alloc(8)]));
    h.ok(w, 'file_set_size', { new_size: 5n });
    expect(readFileSync(join(tree.root, 'hello.txt'), 'utf8')).toBe('hello');
    expect(h.call(w, 'file_set_size', { new_size: BigInt.asUintN(64, -1n) }).ret).toBe(HurdErrno.EINVAL);
    expect(h.call(w, 'file_sync', { wait: 1, omit_metadata: 0 }).ret).toBe(0);
    expect(h.ok(w, 'file_check_access', {})['allowed']).toBe(O_READ | O_WRITE);
    const info = h.ok(w, 'file_statfs', {})['info'] as bigint[];
    expect(info.length).toBe(14);
    expect(info[1]! > 0n).toBe(true);
  });
});

describe('io routines', () => {
  it('io_read / io_write / io_seek / io_readable with the shared file pointer; O_APPEND', () => {
    const h = rw();
    const r = h.root();
    const p = h.open(r, 'hello.txt', O_READ | O_WRITE);
    expect(dec(h.read(p, -1n, 5n))).toBe('hello');
    expect(h.ok(p, 'io_readable', {})['amount']).toBe(7n);
    expect(h.ok(p, 'io_seek', { offset: -5n, whence: 2 })['newp']).toBe(7n);
    expect(h.ok(p, 'io_write', { data: enc('HURD'), offset: -1n })['amount']).toBe(4n);
    expect(h.ok(p, 'io_seek', { offset: 0n, whence: 1 })['newp']).toBe(11n);
    expect(readFileSync(join(tree.root, 'hello.txt'), 'utf8')).toBe('hello, HURD\n');
    const big = pattern(10_000, 4);
    expect(h.ok(p, 'io_write', { data: big, offset: 0n })['amount']).toBe(10_000n); // out-of-line in the request
    expect(h.read(p, 0n, 20_000n)).toEqual(big);
    expect(h.call(p, 'io_seek', { offset: -1n, whence: 0 }).ret).toBe(HurdErrno.EINVAL);
    expect(h.call(p, 'io_seek', { offset: 0n, whence: 7 }).ret).toBe(HurdErrno.EINVAL);
    const a = h.open(r, 'sub/small.bin', O_WRITE | O_APPEND);
    h.ok(a, 'io_write', { data: enc('tail'), offset: 0n });
    expect(statSync(join(tree.root, 'sub/small.bin')).size).toBe(2051);
    const ro = h.open(r, 'sub/edge.bin', O_READ);
    expect(h.call(ro, 'io_write', { data: enc('x'), offset: 0n }).ret).toBe(HurdErrno.EBADF);
    expect(h.call(h.open(r, 'sub'), 'io_read', { offset: 0n, amount: 1n }).ret).toBe(HurdErrno.EISDIR);
  });

  it('open modes: get, set_all/some/clear change only the honoured bits', () => {
    const h = rw();
    const p = h.open(h.root(), 'hello.txt', O_READ | O_NONBLOCK);
    expect(h.ok(p, 'io_get_openmodes', {})['bits']).toBe(O_READ);
    h.ok(p, 'io_set_all_openmodes', { newbits: O_APPEND | O_WRITE });
    expect(h.ok(p, 'io_get_openmodes', {})['bits']).toBe(O_READ | O_APPEND);
    h.ok(p, 'io_set_some_openmodes', { bits_to_set: O_NONBLOCK });
    h.ok(p, 'io_clear_some_openmodes', { bits_to_clear: O_APPEND | O_READ });
    expect(h.ok(p, 'io_get_openmodes', {})['bits']).toBe(O_READ | O_NONBLOCK);
  });

  it('io_duplicate shares the open; io_restrict_auth narrows the ids; io_identity; io_server_version; io_pathconf', () => {
    const h = rw({ credentials: createCredentialPolicy({ fallback: { uid: 9999, gid: 9999 }, mappings: [{ remote: 1, local: me }] }) });
    const r = h.root([1, 2], [1]);
    writeFileSync(join(tree.root, 'private'), 'p', { mode: 0o600 });
    giveTree(tree.root);
    const p = h.open(r, 'hello.txt');
    const d = (h.ok(p, 'io_duplicate', {})['newport'] as { name: number }).name;
    h.read(p, -1n, 6n);
    expect(dec(h.read(d, -1n, 5n))).toBe(' hurd');
    // Keep uid 2 only: that maps to the fallback identity, which may not read a 0600 file of the owner.
    const narrowed = (h.ok(r, 'io_restrict_auth', { uids: [2], gids: [] })['new_object'] as { name: number }).name;
    expect(h.lookupRet(narrowed, 'private')).toBe(HurdErrno.EACCES);
    expect(h.lookupRet(r, 'private')).toBe(0);
    const none = (h.ok(r, 'io_restrict_auth', { uids: [], gids: [] })['new_object'] as { name: number }).name;
    expect(h.lookupRet(none, 'hello.txt')).toBe(0); // "other" may read 0644
    expect(h.lookupRet(none, 'private')).toBe(HurdErrno.EACCES);
    const i1 = h.ok(p, 'io_identity', {});
    const i2 = h.ok(d, 'io_identity', {});
    const i3 = h.ok(h.open(r, 'empty'), 'io_identity', {});
    const n = (v: unknown): number => (v as { name: number }).name;
    expect(n(i1['idport'])).toBe(n(i2['idport']));
    expect(n(i1['idport'])).not.toBe(n(i3['idport']));
    expect(n(i1['fsidport'])).toBe(n(i3['fsidport']));
    expect(i1['fileno']).toBe(BigInt(statSync(join(tree.root, 'hello.txt')).ino));
    expect(h.call(n(i1['idport']), 'io_stat', {}).ret).toBe(MIG_BAD_ID);
    expect(String(h.ok(p, 'io_server_version', {})['server_name'])).toMatch(/^netmsg-server/);
    expect(h.ok(p, 'io_pathconf', { name: 3 })['value']).toBe(255);
    expect(h.ok(p, 'io_select', { select_type: 1 | 2 | 4 })['select_type']).toBe(1); // opened O_READ only: readable
    expect(h.ok(p, 'interrupt_operation', {})).toEqual({});
    expect(h.call(p, 'io_pathconf', { name: 99 }).ret).toBe(HurdErrno.EINVAL);
    expect(h.call(p, 'io_reauthenticate', { rendezvous2: { name: 0, disposition: 20 } }).reply).toBeNull();
  });

  it('io_map: EOPNOTSUPP without the hook; with it, the objects the open modes allow', () => {
    const plain = rw();
    expect(plain.call(plain.open(plain.root(), 'hello.txt'), 'io_map', {}).ret).toBe(HurdErrno.EOPNOTSUPP);
    const seen: string[][] = [];
    const h = rw({ ioMap: (rel) => (seen.push([...rel]), rel[0] === 'empty' ? HurdErrno.ENOMEM : { read: 700, write: 701 }) });
    const r = h.root();
    const a = h.ok(h.open(r, 'hello.txt', O_READ), 'io_map', {});
    expect([(a['memobjrd'] as { name: number }).name, (a['memobjwt'] as { name: number }).name]).toEqual([700, 0]);
    expect(h.call(h.open(r, 'empty'), 'io_map', {}).ret).toBe(HurdErrno.ENOMEM);
    expect(seen).toEqual([['hello.txt'], ['empty']]);
  });
});

describe('read-only exports refuse every write with EROFS', () => {
  it('each modifying routine and lookup flag', () => {
    const h = new Harness({ root: tree.root, readOnly: true });
    const r = h.root();
    const f = h.open(r, 'hello.txt');
    const calls: [number, string, MigArgs][] = [
      [f, 'io_write', { data: enc('x'), offset: 0n }],
      [r, 'dir_mkdir', { name: 'x', mode: 0o755 }],
      [r, 'dir_rmdir', { name: 'sub' }],
      [r, 'dir_unlink', { name: 'hello.txt' }],
      [r, 'dir_link', { file: { name: f, disposition: 19 }, name: 'x', excl: 1 }],
      [r, 'dir_rename', { oldname: 'hello.txt', newdirectory: { name: r, disposition: 19 }, newname: 'x', excl: 0 }],
      [r, 'dir_mkfile', { flags: O_WRITE, mode: 0o644 }],
      [f, 'file_chmod', { new_mode: 0o777 }],
      [f, 'file_chown', { new_owner: 1, new_group: 1 }],
      [f, 'file_utimens', { new_atime: [1n, 0n], new_mtime: [1n, 0n] }],
      [f, 'file_utimes', { new_atime: [1n, 0n], new_mtime: [1n, 0n] }],
      [f, 'file_set_size', { new_size: 0n }],
      [f, 'file_set_translator', { passive_flags: 0, active_flags: 0, oldtrans_flags: 0, passive: new Uint8Array(0), active: { name: 0, disposition: 19 } }],
    ];
    for (const [port, routine, args] of calls) expect([routine, h.call(port, routine, args).ret]).toEqual([routine, HurdErrno.EROFS]);
    for (const flags of [O_WRITE, O_READ | O_TRUNC, O_WRITE | O_CREAT]) expect(h.lookupRet(r, 'hello.txt', flags)).toBe(HurdErrno.EROFS);
    expect(h.lookupRet(r, 'brand-new', O_READ | O_CREAT, 0o644)).toBe(HurdErrno.EROFS);
    expect(h.call(CONTROL_PORT, 'fsys_getroot', { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_WRITE }).ret).toBe(HurdErrno.EROFS);
    expect(readFileSync(join(tree.root, 'hello.txt'), 'utf8')).toBe('hello, hurd\n');
  });
});

describe('confinement against renames, swaps and links', () => {
  it('a directory swapped for a symlink to outside: the old port answers ESTALE, never the outside', () => {
    const h = rw();
    const other = rw(); // another link on the same export
    const r = h.root();
    const o = other.root();
    const sub = h.open(r, 'sub');
    // The other link moves sub away and renames the `dir-out` symlink (-> ../outside) into its place.
    other.ok(o, 'dir_rename', { oldname: 'sub', newdirectory: { name: o, disposition: 19 }, newname: 'sub2', excl: 0 });
    other.ok(o, 'dir_rename', { oldname: 'dir-out', newdirectory: { name: o, disposition: 19 }, newname: 'sub', excl: 0 });
    expect(lstatSync(join(tree.root, 'sub')).isSymbolicLink()).toBe(true);
    expect(h.call(sub, 'dir_readdir', { entry: 0, nentries: -1, bufsiz: 0n }).ret).toBe(HurdErrno.ESTALE);
    expect(h.call(sub, 'dir_lookup', { file_name: 'secret.txt', flags: O_READ, mode: 0 }).ret).toBe(HurdErrno.ESTALE);
    expect(h.call(sub, 'dir_mkdir', { name: 'planted', mode: 0o755 }).ret).toBe(HurdErrno.ESTALE);
    expect(readdirSync(tree.outside)).toEqual(['secret.txt']);
    // A fresh lookup through the symlink is confined as always.
    expect(h.lookupRet(r, 'sub/secret.txt')).toBe(HurdErrno.ENOENT);
  });

  it('a file replaced under an open port: ESTALE, not the new file', () => {
    const h = rw();
    const r = h.root();
    const p = h.open(r, 'hello.txt', O_READ | O_WRITE);
    writeFileSync(join(tree.root, 'other'), 'OTHER');
    h.ok(r, 'dir_rename', { oldname: 'other', newdirectory: { name: r, disposition: 19 }, newname: 'hello.txt', excl: 0 });
    expect(h.call(p, 'io_read', { offset: 0n, amount: 5n }).ret).toBe(HurdErrno.ESTALE);
    expect(h.call(p, 'io_write', { data: enc('x'), offset: 0n }).ret).toBe(HurdErrno.ESTALE);
    expect(readFileSync(join(tree.root, 'hello.txt'), 'utf8')).toBe('OTHER');
  });

  it('attribute changes never follow a symlink swapped in for the file', () => {
    const h = rw();
    const r = h.root();
    const p = h.open(r, 'hello.txt', O_READ | O_WRITE);
    h.ok(r, 'dir_unlink', { name: 'hello.txt' });
    h.ok(r, 'dir_rename', { oldname: 'abs-out', newdirectory: { name: r, disposition: 19 }, newname: 'hello.txt', excl: 0 });
    const before = statSync(join(tree.outside, 'secret.txt'));
    for (const [routine, args] of [['file_chmod', { new_mode: 0o777 }], ['file_set_size', { new_size: 0n }], ['file_utimens', { new_atime: [1n, 0n], new_mtime: [1n, 0n] }]] as const) {
      expect(h.call(p, routine, args).ret).toBe(HurdErrno.ESTALE);
    }
    const after = statSync(join(tree.outside, 'secret.txt'));
    expect([after.mode, after.size, after.mtimeMs]).toEqual([before.mode, before.size, before.mtimeMs]);
  });

  it('hard links: a client can only link nodes of this export, and a host hard link reads as the same file', () => {
    const h = rw();
    const r = h.root();
    const foreign = new Harness({ root: tree.outside, readOnly: false });
    const secret = foreign.open(foreign.root(), 'secret.txt');
    // A port name of another export means nothing here: EXDEV (or a port this link does not hold).
    expect(h.call(r, 'dir_link', { file: { name: secret + 1000, disposition: 19 }, name: 'stolen', excl: 1 }).ret).toBe(HurdErrno.EXDEV);
    expect(existsSync(join(tree.root, 'stolen'))).toBe(false);
    linkSync(join(tree.root, 'hello.txt'), join(tree.root, 'sub', 'hard'));
    expect(dec(h.read(h.open(r, 'sub/hard')))).toBe('hello, hurd\n');
  });
});

describe('bad requests', () => {
  it('a descriptor MIG would reject is MIG_BAD_ARGUMENTS; a stale port is EBADF', () => {
    const h = rw();
    const r = h.root();
    const req = getBuiltinInterface('fs', 'x86_64').routine('dir_mkdir').encodeRequest({ name: 'x', mode: 0o755 }, { header: { remotePort: r, localPort: 9 } });
    // mode as INTEGER_64 instead of INTEGER_32.
    const bad: MachMessage = { ...req, items: req.items.map((it, i) => (i === 1 && it.kind === 'data' ? { ...it, type: { ...it.type, name: 11, size: 64 }, data: new Uint8Array(8) } : it)) };
    const out = h.x.handle(bad, [])!;
    expect(new DataView(out.reply.items[0]!.kind === 'data' ? out.reply.items[0]!.data.buffer : new ArrayBuffer(4)).getInt32(0, true)).toBe(MIG_BAD_ARGUMENTS);
    expect(existsSync(join(tree.root, 'x'))).toBe(false);
    expect(h.call(9999, 'io_stat', {}).ret).toBe(HurdErrno.EBADF);
  });

  it('file types: a regular file is S_IFREG in io_stat', () => {
    const h = rw();
    const st = unpackStatX86_64(h.ok(h.open(h.root(), 'hello.txt'), 'io_stat', {})['stat_info'] as bigint[]);
    expect(st.mode & S_IFMT).toBe(S_IFREG);
    expect(st.size).toBe(12n);
  });
});
