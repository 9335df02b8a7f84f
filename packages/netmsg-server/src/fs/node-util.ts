import { closeSync, fchownSync, type BigIntStats } from 'node:fs';
import { NOBODY, owns, permits, type LocalIdentity } from '../credentials.js';
import { HurdErrno } from '../errno.js';
import { FSTYPE_MISC, packStat, S_IFDIR, S_IFLNK, S_IFMT, S_IROOT, S_ISVTX, type HurdStat } from '../hurd-types.js';
import type { ExportCore } from './core.js';
import type { Protid } from './ports.js';
import { sameNode } from './node-identity.js';
import { HurdError } from './hurd-error.js';

/** Permission view of a host stat. */
export function modeOf(st: BigIntStats): { mode: number; uid: number; gid: number } {
  return { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid) };
}

export function isDir(st: BigIntStats): boolean {
  return (Number(st.mode) & S_IFMT) === S_IFDIR;
}

export function isLink(st: BigIntStats): boolean {
  return (Number(st.mode) & S_IFMT) === S_IFLNK;
}

/** EACCES unless `who` may access the node for `want` (R_OK|W_OK|X_OK). */
export function need(who: LocalIdentity, st: BigIntStats, want: number, what = ''): void {
  if (!permits(who, modeOf(st), want)) throw new HurdError(HurdErrno.EACCES, what);
}

/** EROFS on a read-only export: every modifying routine starts with it. */
export function writable(x: ExportCore): void {
  if (x.readOnly) throw new HurdError(HurdErrno.EROFS);
}

/**
 * May `who` remove or rename `victim` out of directory `dir`? Write and
 * search on the directory, and with the sticky bit set, ownership of the
 * directory or of the victim (POSIX; libdiskfs's fshelp_checkdirmod).
 */
export function mayModifyEntry(who: LocalIdentity, dir: BigIntStats, victim: BigIntStats | undefined): void {
  need(who, dir, 2 | 1);
  if (victim && (Number(dir.mode) & S_ISVTX) && !owns(who, { uid: Number(dir.uid) }) && !owns(who, { uid: Number(victim.uid) })) {
    throw new HurdError(HurdErrno.EPERM, 'sticky directory');
  }
}

/** A node the root node process created belongs to the mapped identity, not to root. */
export function giveToUser(x: ExportCore, fd: number, who: LocalIdentity): void {
  if (x.processUid !== 0 || who.uid === 0) return;
  // A port with no ids creates as nobody, never as the node's root.
  fchownSync(fd, who.uid ?? NOBODY, who.gid ?? who.uid ?? NOBODY);
}

/** A host stat as the Hurd's `struct stat64` in the export's ABI (io_stat). */
export function hurdStatOf(st: BigIntStats, isRoot: boolean): HurdStat {
  const ns = (v: bigint): { sec: bigint; nsec: bigint } => ({ sec: v / 1_000_000_000n, nsec: v % 1_000_000_000n });
  return {
    fstype: FSTYPE_MISC, fsid: st.dev, ino: st.ino, gen: 0, rdev: st.rdev,
    mode: Number(st.mode) | (isRoot ? S_IROOT : 0), nlink: st.nlink, uid: Number(st.uid), gid: Number(st.gid),
    size: st.size, atime: ns(st.atimeNs), mtime: ns(st.mtimeNs), ctime: ns(st.ctimeNs),
    blksize: st.blksize, blocks: st.blocks, author: Number(st.uid), flags: 0,
  };
}

export function statWords(x: ExportCore, st: BigIntStats, isRoot: boolean): bigint[] | number[] {
  return packStat(hurdStatOf(st, isRoot), x.abi);
}

/** A single name component for dir_mkdir, dir_unlink and friends (no `/`, not empty, at most 255 bytes). */
export function component(name: string): string {
  if (name === '' ) throw new HurdError(HurdErrno.ENOENT);
  if (name.includes('/')) throw new HurdError(HurdErrno.EINVAL, 'a name with a slash');
  if (Buffer.byteLength(name) > 255) throw new HurdError(HurdErrno.ENAMETOOLONG);
  return name;
}

/**
 * Open the node behind a protid on the host and run `f`, after checking the
 * fd is the very node the port was made for (ESTALE if another node took
 * its name between the request's checks and this open).
 */
export function withOpenNode<T>(x: ExportCore, p: Protid, flags: number, f: (fd: number, st: BigIntStats) => T): T {
  let o: { fd: number; st: BigIntStats };
  try {
    o = x.tree.openFd(p.po.rel, flags);
  } catch (e) {
    throw staleIfGone(e);
  }
  try {
    if (!sameNode(o.st, p.po)) throw new HurdError(HurdErrno.ESTALE, 'another node has taken its name');
    return f(o.fd, o.st);
  } finally {
    closeSync(o.fd);
  }
}

/**
 * A host error of finding a port's node by its path: when the path no
 * longer leads to a node (ENOENT; ENOTDIR, a directory on it replaced by a
 * file; ELOOP, the node replaced by a symlink, which is never followed)
 * the node is gone from under the open port: ESTALE, as for a replaced
 * node, never the ENOENT a lookup would give. Other errors pass as they are.
 */
export function staleIfGone(e: unknown): unknown {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' ? new HurdError(HurdErrno.ESTALE, 'the node is gone') : e;
}
