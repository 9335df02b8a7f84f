import { randomBytes } from 'node:crypto';
import {
  closeSync, fchmodSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, unlinkSync,
  type BigIntStats, constants as FS,
} from 'node:fs';
import type { MigArgs } from 'mach-msg';
import { W_OK, X_OK } from '../credentials.js';
import { HurdErrno } from '../errno.js';
import { encodeDirent, O_READ, OPEN_MODE_KEEP, S_IFMT } from '../hurd-types.js';
import { ANON_PREFIX, type ExportCore } from './core.js';
import { HurdError } from './hurd-error.js';
import { component, giveToUser, isDir, mayModifyEntry, need, writable } from './node-util.js';
import { nodeIdentity } from './node-identity.js';
import type { Protid } from './ports.js';

/** Largest dir_readdir answer, so one request cannot make the server allocate without bound. */
export const MAX_READDIR = 1 << 20;

function dirOf(x: ExportCore, p: Protid): BigIntStats {
  const st = x.nodeStat(p);
  if (!isDir(st)) throw new HurdError(HurdErrno.ENOTDIR);
  return st;
}

function maybeLstat(x: ExportCore, rel: readonly string[]): BigIntStats | undefined {
  try {
    return x.tree.lstat(rel);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * dir_readdir (§4.2, §9): `struct dirent64` records from index `entry`
 * (`.` and `..` are 0 and 1), whole records only, at most `nentries` (-1: any)
 * and `bufsiz` bytes (0: no limit; never more than MAX_READDIR).
 */
export function dirReaddir(x: ExportCore, p: Protid, entry: number, nentries: number, bufsiz: bigint): MigArgs {
  if (!(p.po.openModes & O_READ)) throw new HurdError(HurdErrno.EBADF);
  const self = dirOf(x, p);
  const rel = p.po.rel;
  const limit = bufsiz > 0n && bufsiz < BigInt(MAX_READDIR) ? Number(bufsiz) : MAX_READDIR;
  const align = x.abi === 'i386' ? 4 : 8;
  const parts: Uint8Array[] = [];
  let total = 0;
  // One open of the directory for the listing and every entry's lstat.
  x.tree.withDir(rel, (d) => {
    const names = readdirSync(x.tree.procfs ? `/proc/self/fd/${d.fd}` : d.path).filter((n) => !n.startsWith(ANON_PREFIX)).sort();
    const all = ['.', '..', ...names];
    for (let i = Math.max(0, entry); i < all.length; i++) {
      if (nentries >= 0 && parts.length >= nentries) break;
      const n = all[i]!;
      let st: BigIntStats | undefined;
      try {
        st = n === '.' ? self : n === '..' ? x.tree.lstat(rel.slice(0, -1)) : lstatSync(x.tree.at(d, n), { bigint: true });
      } catch {
        st = undefined; // vanished since the listing: a deleted entry (d_ino 0, which readers skip)
      }
      const rec = encodeDirent({ ino: st ? (st.ino === 0n ? 1n : st.ino) : 0n, type: st ? Number((st.mode & BigInt(S_IFMT)) >> 12n) : 0, name: n }, align);
      if (total + rec.length > limit) {
        if (parts.length === 0) throw new HurdError(HurdErrno.EINVAL, 'bufsiz smaller than one entry');
        break;
      }
      parts.push(rec);
      total += rec.length;
    }
  });
  const data = new Uint8Array(total);
  let at = 0;
  for (const r of parts) {
    data.set(r, at);
    at += r.length;
  }
  return { data, amount: parts.length };
}

/** dir_mkdir: a new directory `name` with permission bits `mode` (the client applied its umask). */
export function dirMkdir(x: ExportCore, p: Protid, name: string, mode: number): MigArgs {
  writable(x);
  const dir = dirOf(x, p);
  component(name);
  if (name === '.' || name === '..' || name.startsWith(ANON_PREFIX)) throw new HurdError(HurdErrno.EEXIST);
  need(p.user, dir, W_OK | X_OK);
  x.tree.withDir(p.po.rel, (d) => {
    const path = x.tree.at(d, name);
    mkdirSync(path, 0o700);
    const fd = openSync(path, FS.O_RDONLY | FS.O_DIRECTORY | FS.O_NOFOLLOW);
    try {
      fchmodSync(fd, mode & 0o7777);
      giveToUser(x, fd, p.user);
    } finally {
      closeSync(fd);
    }
  });
  return {};
}

/** dir_rmdir: remove an empty directory. */
export function dirRmdir(x: ExportCore, p: Protid, name: string): MigArgs {
  writable(x);
  const dir = dirOf(x, p);
  component(name);
  if (name === '.') throw new HurdError(HurdErrno.EINVAL);
  if (name === '..') throw new HurdError(HurdErrno.ENOTEMPTY);
  const victim = name.startsWith(ANON_PREFIX) ? undefined : maybeLstat(x, [...p.po.rel, name]);
  if (!victim) throw new HurdError(HurdErrno.ENOENT);
  if (!isDir(victim)) throw new HurdError(HurdErrno.ENOTDIR);
  mayModifyEntry(p.user, dir, victim);
  x.tree.withDir(p.po.rel, (d) => rmdirSync(x.tree.at(d, name)));
  return {};
}

/** dir_unlink: remove a non-directory (a directory is EPERM, as libdiskfs answers). */
export function dirUnlink(x: ExportCore, p: Protid, name: string): MigArgs {
  writable(x);
  const dir = dirOf(x, p);
  component(name);
  if (name === '.' || name === '..') throw new HurdError(HurdErrno.EPERM);
  const victim = name.startsWith(ANON_PREFIX) ? undefined : maybeLstat(x, [...p.po.rel, name]);
  if (!victim) throw new HurdError(HurdErrno.ENOENT);
  if (isDir(victim)) throw new HurdError(HurdErrno.EPERM);
  mayModifyEntry(p.user, dir, victim);
  x.tree.withDir(p.po.rel, (d) => unlinkSync(x.tree.at(d, name)));
  return {};
}

/** The protid behind a port argument, which must be this export's own (else EXDEV, §4.2 dir_link/dir_rename). */
function ownNode(x: ExportCore, name: number): Protid {
  const o = x.port(name);
  if (!o || o.kind !== 'node') throw new HurdError(HurdErrno.EXDEV);
  return o;
}

/**
 * dir_link: `name` in this directory becomes a hard link to the node behind
 * `file`. excl: EEXIST if `name` exists; else an existing non-directory is
 * replaced (a directory entry: EISDIR). Linking a directory is EPERM. A file
 * from dir_mkfile gets its first name this way.
 */
export function dirLink(x: ExportCore, p: Protid, fileName: number, name: string, excl: number): MigArgs {
  writable(x);
  const dir = dirOf(x, p);
  const src = ownNode(x, fileName);
  component(name);
  if (name === '.' || name === '..' || name.startsWith(ANON_PREFIX)) throw new HurdError(HurdErrno.EEXIST);
  const srcSt = x.nodeStat(src);
  if (isDir(srcSt)) throw new HurdError(HurdErrno.EPERM);
  need(p.user, dir, W_OK | X_OK);
  const existing = maybeLstat(x, [...p.po.rel, name]);
  if (existing) {
    if (excl) throw new HurdError(HurdErrno.EEXIST);
    if (isDir(existing)) throw new HurdError(HurdErrno.EISDIR);
    mayModifyEntry(p.user, dir, existing);
  }
  const srcRel = src.po.rel;
  x.tree.withDir(srcRel.slice(0, -1), (sd) => x.tree.withDir(p.po.rel, (dd) => {
    const from = x.tree.at(sd, srcRel[srcRel.length - 1]!);
    // Linux link() does not follow a symlink source, and the link must not clobber: go through a hidden name, then rename over.
    const tmp = `${ANON_PREFIX}link-${randomBytes(6).toString('hex')}`;
    linkSync(from, x.tree.at(dd, tmp));
    try {
      if (lstatSync(x.tree.at(dd, tmp), { bigint: true }).ino !== srcSt.ino) throw new HurdError(HurdErrno.ESTALE);
      if (existing) renameSync(x.tree.at(dd, tmp), x.tree.at(dd, name));
      else {
        linkSync(x.tree.at(dd, tmp), x.tree.at(dd, name)); // fails EEXIST if the name appeared meanwhile
        unlinkSync(x.tree.at(dd, tmp));
      }
    } catch (e) {
      try {
        unlinkSync(x.tree.at(dd, tmp));
      } catch {
        // already renamed
      }
      throw e;
    }
  }));
  if (src.po.anon) {
    // The unnamed file now has a name: drop the hidden one, and the open follows the new name.
    x.tree.withDir(srcRel.slice(0, -1), (sd) => unlinkSync(x.tree.at(sd, srcRel[srcRel.length - 1]!)));
    src.po.anon = false;
    src.po.rel = [...p.po.rel, name];
  }
  return {};
}

/**
 * dir_rename: `oldname` here to `newname` in `newDir` (one of this export's
 * directories, else EXDEV). excl: EEXIST if the new name exists. Ports of
 * this link under the old name follow the rename.
 */
export function dirRename(x: ExportCore, p: Protid, oldname: string, newDirName: number, newname: string, excl: number): MigArgs {
  writable(x);
  const from = dirOf(x, p);
  const nd = ownNode(x, newDirName);
  const to = dirOf(x, nd);
  component(oldname);
  component(newname);
  for (const n of [oldname, newname]) {
    if (n === '.' || n === '..') throw new HurdError(HurdErrno.EINVAL);
    if (n.startsWith(ANON_PREFIX)) throw new HurdError(HurdErrno.ENOENT);
  }
  const victim = maybeLstat(x, [...p.po.rel, oldname]);
  if (!victim) throw new HurdError(HurdErrno.ENOENT);
  mayModifyEntry(p.user, from, victim);
  need(nd.user, to, W_OK | X_OK);
  const target = maybeLstat(x, [...nd.po.rel, newname]);
  if (target) {
    if (excl) throw new HurdError(HurdErrno.EEXIST);
    mayModifyEntry(p.user, to, target);
  }
  const oldRel = [...p.po.rel, oldname];
  const newRel = [...nd.po.rel, newname];
  if (isDir(victim) && newRel.length > oldRel.length && oldRel.every((c, i) => newRel[i] === c)) {
    throw new HurdError(HurdErrno.EINVAL, 'a directory cannot move under itself');
  }
  x.tree.withDir(p.po.rel, (a) => x.tree.withDir(nd.po.rel, (b) => renameSync(x.tree.at(a, oldname), x.tree.at(b, newname))));
  x.renamed(oldRel, newRel);
  return {};
}

/**
 * dir_mkfile: an unnamed file in this directory, opened with `flags`
 * (O_TMPFILE style; dir_link names it). On the host it is a hidden name the
 * export never shows, removed when the last port to it goes unlinked.
 */
export function dirMkfile(x: ExportCore, p: Protid, flags: number, mode: number): MigArgs {
  writable(x);
  const dir = dirOf(x, p);
  need(p.user, dir, W_OK | X_OK);
  const name = `${ANON_PREFIX}${randomBytes(8).toString('hex')}`;
  const st = x.tree.withDir(p.po.rel, (d) => {
    const fd = openSync(x.tree.at(d, name), FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, mode & 0o6777);
      giveToUser(x, fd, p.user);
      return fstatSync(fd, { bigint: true });
    } finally {
      closeSync(fd);
    }
  });
  const po = { rel: [...p.po.rel, name], ...nodeIdentity(st), openModes: flags & OPEN_MODE_KEEP, offset: 0n, rootParent: p.po.rootParent, anon: true, refs: 0 };
  return { newnode: x.newProtid(po, p.user, p.remote) };
}
