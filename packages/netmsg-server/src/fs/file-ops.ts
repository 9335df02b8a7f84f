import {
  fchmodSync, fchownSync, fsyncSync, ftruncateSync, futimesSync, lchownSync, lstatSync, lutimesSync, readlinkSync, statfsSync, symlinkSync,
  unlinkSync, constants as FS,
} from 'node:fs';
import type { MigArgs } from 'mach-msg';
import { NOBODY, owns, permits, R_OK, W_OK, X_OK } from '../credentials.js';
import { HurdErrno } from '../errno.js';
import { O_EXEC, O_READ, O_WRITE, UTIME_NOW, UTIME_OMIT } from '../hurd-types.js';
import type { ExportCore } from './core.js';
import { HurdError } from './hurd-error.js';
import { isDir, isLink, modeOf, withOpenNode, writable } from './node-util.js';
import { nodeIdentity } from './node-identity.js';
import type { Protid } from './ports.js';

/**
 * Operations on a node's attributes (fs.defs file_*), checked against the
 * mapped identity before the host is asked. They act through an fd opened
 * without following links, so a symlink renamed over the node meanwhile
 * cannot redirect them.
 */

/** An fd on the node for attribute changes: read-only if possible, write-only for a file only writable. */
function withNodeFd<T>(x: ExportCore, p: Protid, f: (fd: number) => T): T {
  try {
    return withOpenNode(x, p, FS.O_RDONLY, (fd) => f(fd));
  } catch (e) {
    if ((e as { code?: string }).code !== 'EACCES') throw e;
    return withOpenNode(x, p, FS.O_WRONLY, (fd) => f(fd));
  }
}

/** file_chmod: permission bits only (the type never changes); the owner or root. */
export function fileChmod(x: ExportCore, p: Protid, mode: number): MigArgs {
  writable(x);
  const st = x.nodeStat(p);
  if (!owns(p.user, { uid: Number(st.uid) })) throw new HurdError(HurdErrno.EPERM);
  if (isLink(st)) throw new HurdError(HurdErrno.EOPNOTSUPP, 'a Linux symlink has no mode');
  let bits = mode & 0o7777;
  // POSIX: a non-root owner outside the file's group cannot set S_ISGID.
  if (p.user.uid !== 0 && !p.user.gids.includes(Number(st.gid))) bits &= ~0o2000;
  withNodeFd(x, p, (fd) => fchmodSync(fd, bits));
  return {};
}

/**
 * file_chown: (uid_t)-1 / (gid_t)-1 leave a field unchanged. Root may do
 * anything; the owner may only give the file to one of its own groups.
 */
export function fileChown(x: ExportCore, p: Protid, owner: number, group: number): MigArgs {
  writable(x);
  const st = x.nodeStat(p);
  const newUid = owner >>> 0 === 0xffffffff ? Number(st.uid) : owner >>> 0;
  const newGid = group >>> 0 === 0xffffffff ? Number(st.gid) : group >>> 0;
  if (p.user.uid !== 0) {
    if (!owns(p.user, { uid: Number(st.uid) })) throw new HurdError(HurdErrno.EPERM);
    if (newUid !== Number(st.uid)) throw new HurdError(HurdErrno.EPERM);
    if (newGid !== Number(st.gid) && !p.user.gids.includes(newGid)) throw new HurdError(HurdErrno.EPERM);
  }
  if (isLink(st)) throw new HurdError(HurdErrno.EOPNOTSUPP);
  withNodeFd(x, p, (fd) => fchownSync(fd, newUid, newGid));
  return {};
}

type Stamp = { kind: 'now' } | { kind: 'omit' } | { kind: 'at'; sec: number };

/** Apply access/modification times after the POSIX permission rule for utimensat. */
function setTimes(x: ExportCore, p: Protid, atime: Stamp, mtime: Stamp): MigArgs {
  writable(x);
  const st = x.nodeStat(p);
  const explicit = atime.kind === 'at' || mtime.kind === 'at';
  if (!owns(p.user, { uid: Number(st.uid) })) {
    if (explicit) throw new HurdError(HurdErrno.EPERM);
    if (!permits(p.user, modeOf(st), W_OK)) throw new HurdError(HurdErrno.EACCES);
  }
  const now = Date.now() / 1000;
  const pick = (s: Stamp, cur: bigint): number => (s.kind === 'now' ? now : s.kind === 'omit' ? Number(cur) / 1e9 : s.sec);
  const a = pick(atime, st.atimeNs);
  const m = pick(mtime, st.mtimeNs);
  if (isLink(st)) {
    // lutimes never follows the link, so the path form is safe for a symlink node.
    x.tree.withDir(p.po.rel.slice(0, -1), (d) => lutimesSync(x.tree.at(d, p.po.rel[p.po.rel.length - 1]!), a, m));
  } else withNodeFd(x, p, (fd) => futimesSync(fd, a, m));
  return {};
}

/** file_utimens: timespec_t {sec, nsec}; nsec UTIME_NOW / UTIME_OMIT are special. */
export function fileUtimens(x: ExportCore, p: Protid, at: bigint[], mt: bigint[]): MigArgs {
  const stamp = (w: bigint[]): Stamp => {
    const nsec = Number(w[1]!);
    if (nsec === UTIME_NOW) return { kind: 'now' };
    if (nsec === UTIME_OMIT) return { kind: 'omit' };
    if (nsec < 0 || nsec >= 1e9) throw new HurdError(HurdErrno.EINVAL);
    return { kind: 'at', sec: Number(w[0]!) + nsec / 1e9 };
  };
  return setTimes(x, p, stamp(at), stamp(mt));
}

/**
 * file_utimes: time_value_t {seconds, microseconds}. On x86_64 the
 * microseconds are the low half of the second 64-bit word (its high half is
 * padding); -1 means now, -2 leave unchanged (what glibc sends).
 */
export function fileUtimes(x: ExportCore, p: Protid, at: bigint[], mt: bigint[]): MigArgs {
  const stamp = (w: bigint[]): Stamp => {
    const usec = Number(BigInt.asIntN(32, w[1]!));
    if (usec === -1) return { kind: 'now' };
    if (usec === -2) return { kind: 'omit' };
    if (usec < 0 || usec >= 1e6) throw new HurdError(HurdErrno.EINVAL);
    return { kind: 'at', sec: Number(w[0]!) + usec / 1e6 };
  };
  return setTimes(x, p, stamp(at), stamp(mt));
}

/** file_set_size: truncate or zero-extend; the port must be open for writing (libdiskfs answers EINVAL otherwise). */
export function fileSetSize(x: ExportCore, p: Protid, size: bigint): MigArgs {
  writable(x);
  if (!(p.po.openModes & O_WRITE)) throw new HurdError(HurdErrno.EINVAL);
  if (size < 0n) throw new HurdError(HurdErrno.EINVAL);
  const st = x.nodeStat(p);
  if (isDir(st)) throw new HurdError(HurdErrno.EISDIR);
  withOpenNode(x, p, FS.O_WRONLY, (fd) => ftruncateSync(fd, Number(size)));
  return {};
}

/** file_sync: flush the node to the host's disk. */
export function fileSync(x: ExportCore, p: Protid): MigArgs {
  const st = x.nodeStat(p);
  if (!isLink(st) && !x.readOnly) withNodeFd(x, p, (fd) => fsyncSync(fd));
  return {};
}

/** file_check_access: the O_READ/O_WRITE/O_EXEC bits the caller could open the node with. */
export function fileCheckAccess(x: ExportCore, p: Protid): MigArgs {
  const st = modeOf(x.nodeStat(p));
  let allowed = 0;
  if (permits(p.user, st, R_OK)) allowed |= O_READ;
  if (!x.readOnly && permits(p.user, st, W_OK)) allowed |= O_WRITE;
  if (permits(p.user, st, X_OK)) allowed |= O_EXEC;
  return { allowed };
}

/** file_get_translator: a symlink node reads as libdiskfs synthesises it, "/hurd/symlink\0target\0"; others have none (EINVAL). */
export function fileGetTranslator(x: ExportCore, p: Protid): MigArgs {
  const st = x.nodeStat(p);
  if (!isLink(st)) throw new HurdError(HurdErrno.EINVAL);
  const rel = p.po.rel;
  const target = x.tree.withDir(rel.slice(0, -1), (d) => readlinkSync(x.tree.at(d, rel[rel.length - 1]!), { encoding: 'buffer' }));
  const head = new TextEncoder().encode('/hurd/symlink\0');
  const out = new Uint8Array(head.length + target.length + 1);
  out.set(head, 0);
  out.set(target, head.length);
  return { translator: out };
}

/** file_statfs: the host filesystem's numbers as `fsys_statfsbuf_t` (§8). */
export function fileStatfs(x: ExportCore, p: Protid): MigArgs {
  x.nodeStat(p);
  const s = statfsSync(x.tree.root, { bigint: true });
  const ST_RDONLY = 1n;
  const flag = x.readOnly ? ST_RDONLY : 0n;
  if (x.abi === 'i386') {
    const lo = (v: bigint): number => Number(BigInt.asIntN(32, v & 0xffffffffn));
    const hi = (v: bigint): number => Number(BigInt.asIntN(32, (v >> 32n) & 0xffffffffn));
    const q = (v: bigint): number[] => [lo(v), hi(v)];
    return { info: [lo(s.type), lo(s.bsize), ...q(s.blocks), ...q(s.bfree), ...q(s.bavail), ...q(s.files), ...q(s.ffree), 0, 0, 255, ...q(s.ffree), lo(s.bsize), lo(flag), 0, 0, 0] };
  }
  return { info: [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, 0n, 255n, s.ffree, s.bsize, flag, 0n, 0n].map((v) => BigInt.asUintN(64, v)) };
}

const FS_TRANS_EXCL = 2;
const FS_TRANS_SET = 4;

/**
 * file_set_translator, for what glibc builds with it: symlink(2) is
 * dir_mkfile + file_set_translator("/hurd/symlink\0TARGET\0") + dir_link
 * (§5.4). Like libdiskfs this "short-circuits" the passive symlink
 * translator into a real host symlink, on an empty regular file with one
 * name (what dir_mkfile makes). The target is only data: lookups interpret
 * it under the export's rules. Any other translator, an active one, or
 * another kind of node: EOPNOTSUPP.
 */
export function fileSetTranslator(x: ExportCore, p: Protid, passiveFlags: number, activeFlags: number, passive: Uint8Array, active: number): MigArgs {
  writable(x);
  const st = x.nodeStat(p);
  if (!owns(p.user, { uid: Number(st.uid) })) throw new HurdError(HurdErrno.EPERM);
  if (!((passiveFlags | activeFlags) & FS_TRANS_SET)) throw new HurdError(HurdErrno.EINVAL);
  if (active !== 0) throw new HurdError(HurdErrno.EOPNOTSUPP, 'no active translators here');
  if (passive.length === 0 || passive[passive.length - 1] !== 0) throw new HurdError(HurdErrno.EINVAL, 'passive translator not NUL-terminated');
  const argz = new TextDecoder().decode(passive.subarray(0, -1)).split('\0');
  if (argz[0] !== '/hurd/symlink' || argz.length !== 2) throw new HurdError(HurdErrno.EOPNOTSUPP, `translator ${argz[0] ?? ''}`);
  if (isLink(st)) {
    if (passiveFlags & FS_TRANS_EXCL) throw new HurdError(HurdErrno.EBUSY);
    throw new HurdError(HurdErrno.EOPNOTSUPP);
  }
  const target = argz[1]!;
  if (target === '' || Buffer.byteLength(target) > 4095) throw new HurdError(HurdErrno.EINVAL);
  if ((Number(st.mode) & 0o170000) !== 0o100000 || st.size !== 0n || st.nlink !== 1n) throw new HurdError(HurdErrno.EOPNOTSUPP, 'only an empty new file becomes a symlink');
  const rel = p.po.rel;
  const last = rel[rel.length - 1]!;
  const link = x.tree.withDir(rel.slice(0, -1), (d) => {
    const path = x.tree.at(d, last);
    unlinkSync(path);
    symlinkSync(target, path);
    if (x.processUid === 0 && p.user.uid !== 0) lchownSync(path, p.user.uid ?? NOBODY, p.user.gid ?? p.user.uid ?? NOBODY);
    return lstatSync(path, { bigint: true });
  });
  // Every port on this open now names the symlink node.
  Object.assign(p.po, nodeIdentity(link));
  return {};
}
