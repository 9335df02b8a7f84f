import { closeSync, fstatSync, read, readlinkSync, readSync, writeSync, constants as FS } from 'node:fs';
import { MACH_MSG_TYPE_MAKE_SEND, type MigArgs } from 'mach-msg';
import { NO_IDENTITY } from '../credentials.js';
import { HurdErrno } from '../errno.js';
import { HONORED_STATE_MODES, O_APPEND, O_NONBLOCK, O_READ, O_WRITE, SEEK_CUR, SEEK_END, SEEK_SET } from '../hurd-types.js';
import { identityOfIds } from '../auth/ids.js';
import type { ExportCore } from './core.js';
import { HurdError, retCodeOf } from './hurd-error.js';
import { isDir, isLink, statWords, withOpenNode } from './node-util.js';
import type { Protid } from './ports.js';
import { sameNode } from './node-identity.js';
import { oolBuffers } from '../cluster/ool-buffers.js';

/** Largest io_read answer, so one request cannot make the server allocate without bound (= fs/export.ts MAX_TRANSFER, 16 MiB: why there). */
export const MAX_READ = 16 << 20;

function linkTarget(x: ExportCore, p: Protid): Buffer {
  const rel = p.po.rel;
  return x.tree.withDir(rel.slice(0, -1), (d) => readlinkSync(x.tree.at(d, rel[rel.length - 1]!), { encoding: 'buffer' }));
}

/**
 * io_read: up to `amount` bytes at `offset` (-1: the shared file pointer, which advances). A symlink node reads as its target (§5.4).
 * `pre`: the host bytes (or errno) `prefetchRead` already read for this very request, off the event loop.
 */
export function ioRead(x: ExportCore, p: Protid, offset: bigint, amount: bigint, pre?: Prefetched): MigArgs {
  if (!(p.po.openModes & O_READ)) throw new HurdError(HurdErrno.EBADF);
  const usePointer = offset === -1n;
  const at = usePointer ? p.po.offset : offset;
  if (at < 0n) throw new HurdError(HurdErrno.EINVAL);
  const want = Number(amount > BigInt(MAX_READ) ? BigInt(MAX_READ) : amount);
  if (pre) {
    // prefetchRead opened the port's very node (checked as withOpenNode does: neither a
    // directory nor a symlink) and read it: the answer stands even if its name changed since,
    // as a read on an open file does. No second walk of the path.
    if ('errno' in pre) throw new HurdError(pre.errno);
    if (usePointer) p.po.offset += BigInt(pre.data.length);
    return { data: pre.data };
  }
  const st = x.nodeStat(p);
  let data: Uint8Array;
  if (isLink(st)) {
    const t = linkTarget(x, p);
    data = new Uint8Array(t.buffer, t.byteOffset, t.length).slice(Number(at > BigInt(t.length) ? BigInt(t.length) : at)).subarray(0, want);
  } else {
    if (isDir(st)) throw new HurdError(HurdErrno.EISDIR);
    data = withOpenNode(x, p, FS.O_RDONLY, (fd) => {
      const buf = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buf, got, want - got, at + BigInt(got));
        if (n === 0) break;
        got += n;
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, got);
    });
  }
  if (usePointer) p.po.offset += BigInt(data.length);
  return { data };
}

/** What `prefetchRead` read for one io_read: the bytes, or the errno to answer. */
export type Prefetched = { data: Uint8Array } | { errno: number };

/**
 * Reads of at least this many bytes go into a buffer of the node's
 * out-of-line pool (cluster/ool-buffers.ts), which the link gives back once
 * it has written the answer; smaller ones into a buffer of their size.
 */
const POOLED_READ = 256 * 1024;

/** How often a read of an empty FIFO looks again for data (Node cannot wait on an fd without a stream, which would read ahead). */
const FIFO_POLL_MS = 5;

/**
 * io_read's host read, done asynchronously (libuv's thread pool) so a driver
 * serving several requests at once (the node's ExportTask) is not stalled by
 * one slow file. A FIFO is read as a pipe (no offset, whatever is there, up
 * to `amount`); when it is empty but has a writer, the read waits for data,
 * as the Hurd's pipes do for an open without O_NONBLOCK (with it:
 * EWOULDBLOCK, which is EAGAIN); `signal` (interrupt_operation, the node stopping) ends the
 * wait with EINTR. The node is opened and checked as `withOpenNode` does
 * (inside the export, the port's very node: same device and inode), once per
 * request: `ioRead` answers from what was read without walking the path
 * again. Answers undefined when `ioRead` should do everything itself (a
 * symlink, a directory, a node gone or replaced, a closed open: its checks
 * and errors stay there).
 */
export async function prefetchRead(x: ExportCore, p: Protid, offset: bigint, amount: bigint, signal?: AbortSignal): Promise<Prefetched | undefined> {
  if (!(p.po.openModes & O_READ)) return undefined;
  const at = offset === -1n ? p.po.offset : offset;
  if (at < 0n) return undefined;
  const want = Number(amount > BigInt(MAX_READ) ? BigInt(MAX_READ) : amount);
  let fd: number;
  let fifo: boolean;
  try {
    // withOpenNode's checks (inside the export, the port's very node), the fd kept open for the read.
    const o = x.tree.openFd(p.po.rel, FS.O_RDONLY);
    fd = o.fd;
    const type = Number(o.st.mode) & FS.S_IFMT;
    if (!sameNode(o.st, p.po) || type === FS.S_IFDIR || type === FS.S_IFLNK) {
      closeSync(fd);
      return undefined;
    }
    fifo = type === FS.S_IFIFO;
  } catch {
    return undefined;
  }
  const pooled = want >= POOLED_READ && want <= oolBuffers.bytes;
  const buf = pooled ? oolBuffers.take(want) : Buffer.allocUnsafe(want);
  /** Whether the bytes went out in an answer (else nothing else saw a pooled buffer: it goes straight back). */
  let answered = false;
  try {
    if (fifo) {
      for (;;) {
        try {
          const n = await readAsync(fd, buf, 0, want, null);
          answered = true;
          return { data: new Uint8Array(buf.buffer, buf.byteOffset, n) };
        } catch (e) {
          if ((e as { code?: string }).code !== 'EAGAIN') throw e;
        }
        if (p.po.openModes & O_NONBLOCK) return { errno: HurdErrno.EAGAIN };
        if (signal?.aborted) return { errno: HurdErrno.EINTR };
        await new Promise<void>((r) => setTimeout(r, FIFO_POLL_MS));
      }
    }
    let got = 0;
    while (got < want) {
      const n = await readAsync(fd, buf, got, want - got, at + BigInt(got));
      if (n === 0) break;
      got += n;
    }
    if (pooled && got < POOLED_READ) {
      // A short answer (the end of the file; 0 bytes for a read past it, which a
      // client reading ahead sends READ_AHEAD of per file) goes out as its own
      // small copy, and the pool's buffer straight back: lent out, it would not
      // come back (no out-of-line frame writes it), and each such read would cost
      // a fresh 16 MiB buffer (its first-touch faults in the next pread).
      return { data: buf.slice(0, got) };
    }
    answered = true;
    return { data: new Uint8Array(buf.buffer, buf.byteOffset, got) };
  } catch (e) {
    const errno = retCodeOf(e);
    return errno === undefined ? undefined : { errno };
  } finally {
    closeSync(fd);
    if (pooled && !answered) oolBuffers.giveBack(buf);
  }
}

function readAsync(fd: number, buf: Uint8Array, off: number, len: number, pos: bigint | null): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))));
}

/** io_write: `data` at `offset` (-1: the file pointer); O_APPEND writes at the end whatever the offset. */
export function ioWrite(x: ExportCore, p: Protid, data: Uint8Array, offset: bigint): MigArgs {
  if (x.readOnly) throw new HurdError(HurdErrno.EROFS);
  if (!(p.po.openModes & O_WRITE)) throw new HurdError(HurdErrno.EBADF);
  const usePointer = offset === -1n;
  if (!usePointer && offset < 0n) throw new HurdError(HurdErrno.EINVAL);
  const st = x.nodeStat(p);
  if (isDir(st)) throw new HurdError(HurdErrno.EISDIR);
  const append = (p.po.openModes & O_APPEND) !== 0;
  const end = withOpenNode(x, p, FS.O_WRONLY, (fd) => {
    let at = append ? fstatSync(fd, { bigint: true }).size : usePointer ? p.po.offset : offset;
    let done = 0;
    while (done < data.length) {
      const n = writeSync(fd, data, done, data.length - done, Number(at));
      if (n <= 0) break;
      done += n;
      at += BigInt(n);
    }
    return { at, done };
  });
  if (usePointer || append) p.po.offset = end.at;
  return { amount: x.abi === 'i386' ? end.done : BigInt(end.done) };
}

/** io_seek: SEEK_SET / SEEK_CUR / SEEK_END; the new pointer comes back. */
export function ioSeek(x: ExportCore, p: Protid, offset: bigint, whence: number): MigArgs {
  let base: bigint;
  if (whence === SEEK_SET) base = 0n;
  else if (whence === SEEK_CUR) base = p.po.offset;
  else if (whence === SEEK_END) base = x.nodeStat(p).size;
  else throw new HurdError(HurdErrno.EINVAL);
  const at = base + offset;
  if (at < 0n) throw new HurdError(HurdErrno.EINVAL);
  p.po.offset = at;
  return { newp: at };
}

/** io_readable: bytes left after the file pointer, never negative. */
export function ioReadable(x: ExportCore, p: Protid): MigArgs {
  if (!(p.po.openModes & O_READ)) throw new HurdError(HurdErrno.EBADF);
  const st = x.nodeStat(p);
  const left = isDir(st) ? 0n : st.size - p.po.offset;
  const n = left > 0n ? left : 0n;
  return { amount: x.abi === 'i386' ? Number(n > 0xffffffffn ? 0xffffffffn : n) : n };
}

/** io_stat: the node (a symlink node as itself), packed for the export's ABI. */
export function ioStat(x: ExportCore, p: Protid): MigArgs {
  const st = x.nodeStat(p);
  return { stat_info: statWords(x, st, p.po.rel.length === 0) };
}

/** io_set_all/some/clear_openmodes change only the honoured state bits; O_READ/O_WRITE/O_EXEC stay (libiohelp). */
export function setOpenModes(p: Protid, how: 'all' | 'some' | 'clear', bits: number): MigArgs {
  const b = bits & HONORED_STATE_MODES;
  const m = p.po.openModes;
  p.po.openModes = how === 'all' ? (m & ~HONORED_STATE_MODES) | b : how === 'some' ? m | b : m & ~b;
  return {};
}

/** io_duplicate: a new port on the same open (file pointer and modes shared) for the same user. */
export function ioDuplicate(x: ExportCore, p: Protid): MigArgs {
  return { newport: x.newProtid(p.po, p.user, p.remote) };
}

/**
 * io_restrict_auth: a new port on the same open whose ids are the
 * intersection of the port's ids and the ones given: claimed ids (from
 * fsys_getroot) are mapped again by the credential policy, ids the node's
 * auth server vouched for (io_reauthenticate) are used as they are. No uid
 * left: a port with no identity, which only the "other" permission bits let
 * through.
 */
export function ioRestrictAuth(x: ExportCore, p: Protid, uids: number[], gids: number[]): MigArgs {
  const ru = p.remote.uids.filter((u) => uids.includes(u));
  const rg = p.remote.gids.filter((g) => gids.includes(g));
  const user = p.remote.kind === 'auth' ? identityOfIds({ euids: ru, egids: rg }) : ru.length === 0 ? NO_IDENTITY : x.policy.map(ru, rg);
  return { new_object: x.newProtid(p.po, user, { kind: p.remote.kind, uids: ru, gids: rg }) };
}

/** io_identity: one port per node, one for the whole export, and the inode number. */
export function ioIdentity(x: ExportCore, p: Protid): MigArgs {
  const st = x.nodeStat(p);
  return {
    idport: x.identityPort(`node:${st.dev}:${st.ino}`),
    fsidport: x.identityPort('fs'),
    fileno: st.ino,
  };
}

export function ioServerVersion(): MigArgs {
  return { server_name: 'netmsg-server 0.1', server_major_version: 0, server_minor_version: 1, server_edit_level: 0 };
}

/**
 * io_map through the hook the pager side provides; without one EOPNOTSUPP
 * (mmap fails, exec falls back to io_read). Only the objects the open modes
 * allow are handed out, as libdiskfs does.
 */
export function ioMap(x: ExportCore, p: Protid): MigArgs {
  if (!x.ioMap) throw new HurdError(HurdErrno.EOPNOTSUPP);
  const st = x.nodeStat(p);
  if (isDir(st) || isLink(st)) throw new HurdError(HurdErrno.EOPNOTSUPP);
  const r = x.ioMap(p.po.rel, p.po.openModes);
  if (typeof r === 'number') throw new HurdError(r);
  const disposition = r.disposition ?? MACH_MSG_TYPE_MAKE_SEND;
  const read = p.po.openModes & O_READ ? r.read : 0;
  const write = p.po.openModes & O_WRITE ? r.write : 0;
  return { memobjrd: { name: read, disposition }, memobjwt: { name: write, disposition } };
}

/** io_pathconf: the limits libdiskfs reports (-1: no limit), EINVAL for unknown names. */
export function ioPathconf(name: number): MigArgs {
  const table: Record<number, number> = {
    0: -1, 1: -1, 2: -1, 3: 255, 4: -1, 5: -1, 6: 1, 7: 1, 8: -1, 9: 0, 10: 0, 11: 0,
    12: -1, 13: 64, 14: -1, 15: -1, 16: -1, 17: -1, 18: -1, 19: -1, 20: 1,
  };
  const v = table[name];
  if (v === undefined) throw new HurdError(HurdErrno.EINVAL);
  return { value: v };
}

/** io_select(_timeout): a regular file is always ready for reading and writing. */
export function ioSelect(p: Protid, type: number): MigArgs {
  const SELECT_READ = 1;
  const SELECT_WRITE = 2;
  const ready = (p.po.openModes & O_READ ? SELECT_READ : 0) | (p.po.openModes & O_WRITE ? SELECT_WRITE : 0);
  return { select_type: type & ready };
}
