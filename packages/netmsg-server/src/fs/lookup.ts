import { closeSync, fchmodSync, fstatSync, ftruncateSync, openSync, readlinkSync, type BigIntStats, constants as FS } from 'node:fs';
import { MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, type MigArgs } from 'mach-msg';
import { R_OK, W_OK, X_OK } from '../credentials.js';
import { HurdErrno } from '../errno.js';
import {
  FS_RETRY_MAGICAL, FS_RETRY_NORMAL, FS_RETRY_REAUTH, O_CREAT, O_DIRECTORY, O_EXCL, O_EXEC, O_NOLINK, O_NOTRANS, O_READ, O_TRUNC,
  O_WRITE, OPEN_MODE_KEEP, S_IFREG,
} from '../hurd-types.js';
import { ANON_PREFIX, type ExportCore } from './core.js';
import { HurdError } from './hurd-error.js';
import { giveToUser, isDir, isLink, need } from './node-util.js';
import { nodeIdentity } from './node-identity.js';
import type { Protid } from './ports.js';

/** Symlinks one lookup may follow (ext2fs and nfs use 8; hurd-fs-interfaces.md §5.2 rule 4). */
export const MAX_SYMLINKS = 8;

const NULL_PORT = { name: 0, disposition: MACH_MSG_TYPE_MAKE_SEND };

/**
 * dir_lookup as libdiskfs answers it (hurd-fs-interfaces.md §5.2), confined
 * to the export:
 * - the walk is done here, component by component, never by the host;
 * - `..` at the export root is the root itself, unless the open came from
 *   fsys_getroot with a dotdot port: then FS_RETRY_REAUTH with that port;
 * - a symlink is followed unless it is the last component and O_NOLINK or
 *   O_NOTRANS is set; a relative target is walked here from the link's
 *   directory (so `..` in it stops at the root too), an absolute one goes back
 *   as FS_RETRY_MAGICAL "/target/rest", which the client restarts from its
 *   root: this export;
 * - O_CREAT never creates through a symlink (the Hurd's rule), so a dangling
 *   link answers ENOENT;
 * - permissions are the mapped identity's: search on every directory walked,
 *   write+search on the directory a file is created in, and the O_READ /
 *   O_WRITE / O_EXEC bits on what is opened (not on a file just created).
 * O_TRUNC with O_WRITE truncates a regular file here as well; glibc also does
 * it with file_set_size(0) afterwards (§5.2 rule 7), which is then a no-op.
 */
export function dirLookup(x: ExportCore, p: Protid, name: string, flags: number, mode: number): MigArgs {
  const startSt = x.nodeStat(p);
  const stripped = name.replace(/^\/+/, '');
  if (stripped === '') return reopen(x, p, p.po.rel, startSt, flags, false);
  if (!isDir(startSt)) throw new HurdError(HurdErrno.ENOTDIR);
  let mustDir = stripped.endsWith('/');
  if (mustDir) flags &= ~O_CREAT;
  const stack = [...p.po.rel];
  const queue = stripped.split('/').filter((c) => c !== '');
  let dirSt = startSt;
  let links = 0;
  let created = false;
  let st: BigIntStats = startSt;
  while (queue.length > 0) {
    const c = queue.shift()!;
    const last = queue.length === 0;
    if (c === '.') {
      st = dirSt;
      continue;
    }
    if (c === '..') {
      if (stack.length === 0) {
        if (p.po.rootParent !== 0) {
          // The root's parent lies in another filesystem: hand back its port, to be reauthenticated.
          const rest = queue.length > 0 ? queue.join('/') + (mustDir ? '/' : '') : mustDir ? '/' : '';
          return { do_retry: FS_RETRY_REAUTH, retry_name: rest, result: { name: p.po.rootParent, disposition: MACH_MSG_TYPE_COPY_SEND } };
        }
        st = dirSt; // the export root has no parent here: `..` is the root itself
        continue;
      }
      stack.pop();
      dirSt = x.tree.lstat(stack);
      st = dirSt;
      continue;
    }
    if (Buffer.byteLength(c) > 255) throw new HurdError(HurdErrno.ENAMETOOLONG);
    need(p.user, dirSt, X_OK);
    let found: BigIntStats | undefined;
    try {
      found = c.startsWith(ANON_PREFIX) ? undefined : x.tree.lstat([...stack, c]);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
    if (!found) {
      if (!(last && (flags & O_CREAT))) throw new HurdError(HurdErrno.ENOENT);
      if (c.startsWith(ANON_PREFIX)) throw new HurdError(HurdErrno.EINVAL, 'a name reserved for unnamed files');
      if (x.readOnly) throw new HurdError(HurdErrno.EROFS);
      need(p.user, dirSt, W_OK | X_OK);
      found = createFile(x, p, stack, c, mode);
      created = true;
    }
    if (isLink(found) && (!last || mustDir || !(flags & (O_NOLINK | O_NOTRANS)))) {
      if (++links > MAX_SYMLINKS) throw new HurdError(HurdErrno.ELOOP);
      const target = x.tree.withDir(stack, (d) => readlinkSync(x.tree.at(d, c)));
      if (target === '') throw new HurdError(HurdErrno.ENOENT);
      flags &= ~O_CREAT; // O_CREAT does not create through a symlink
      if (target.startsWith('/')) {
        // Absolute: the client restarts at its own root, which is this export (§5.1).
        const rest = [target.replace(/\/+$/, ''), ...queue].join('/');
        const trail = mustDir || (target.endsWith('/') && queue.length === 0) ? '/' : '';
        return { do_retry: FS_RETRY_MAGICAL, retry_name: rest + trail || '/', result: NULL_PORT };
      }
      if (target.endsWith('/') && queue.length === 0) mustDir = true;
      queue.unshift(...target.split('/').filter((t) => t !== ''));
      st = dirSt;
      continue;
    }
    if (!last && !isDir(found)) throw new HurdError(HurdErrno.ENOTDIR);
    if (last && !created && (flags & O_CREAT) && (flags & O_EXCL)) throw new HurdError(HurdErrno.EEXIST);
    stack.push(c);
    st = found;
    if (isDir(found)) dirSt = found;
  }
  if ((mustDir || (flags & O_DIRECTORY)) && !isDir(st)) throw new HurdError(HurdErrno.ENOTDIR);
  return reopen(x, p, stack, st, flags, created);
}

/** Check the open modes against the node and make the new port (§5.2 rule 6). */
function reopen(x: ExportCore, p: Protid, rel: string[], st: BigIntStats, flags: number, created: boolean): MigArgs {
  if (flags & (O_WRITE | O_TRUNC)) {
    if (x.readOnly) throw new HurdError(HurdErrno.EROFS);
    if (isDir(st) && (flags & O_WRITE)) throw new HurdError(HurdErrno.EISDIR);
  }
  if (!created) {
    const want = (flags & O_READ ? R_OK : 0) | (flags & O_WRITE ? W_OK : 0) | (flags & O_EXEC ? X_OK : 0);
    need(p.user, st, want);
  }
  if ((flags & O_TRUNC) && (flags & O_WRITE) && !created && (Number(st.mode) & 0o170000) === S_IFREG && st.size !== 0n) {
    x.tree.withFd(rel, FS.O_WRONLY, (fd) => ftruncateSync(fd, 0));
  }
  const po = { rel, ...nodeIdentity(st), openModes: flags & OPEN_MODE_KEEP, offset: 0n, rootParent: p.po.rootParent, anon: false, refs: 0 };
  return { do_retry: FS_RETRY_NORMAL, retry_name: '', result: x.newProtid(po, p.user, p.remote) };
}

/** O_CREAT of a missing last component: a regular file, mode stripped as libdiskfs does (no S_ISVTX, no type bits). */
function createFile(x: ExportCore, p: Protid, dir: readonly string[], name: string, mode: number): BigIntStats {
  return x.tree.withDir(dir, (d) => {
    const fd = openSync(x.tree.at(d, name), FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, mode & 0o6777);
    try {
      fchmodSync(fd, mode & 0o6777); // exactly the mode asked: the client applied its umask, the node's must not apply again
      giveToUser(x, fd, p.user);
      return fstatSync(fd, { bigint: true });
    } finally {
      closeSync(fd);
    }
  });
}
