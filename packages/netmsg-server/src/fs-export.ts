import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, writeFileSync, writeSync, constants as FS } from 'node:fs';
import { join, sep } from 'node:path';
import {
  getBuiltinInterface, isMigError, MIG_BAD_ARGUMENTS, MIG_BAD_ID, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_MAKE_SEND,
  type Abi, type CompiledInterface, type CompiledRoutine, type MachMessage, type MigArgs,
} from 'mach-msg';
import { HurdErrno, hurdErrnoOf } from './errno.js';
import {
  encodeDirent, FS_RETRY_MAGICAL, FS_RETRY_NORMAL, FSTYPE_MISC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOLINK, O_NOTRANS, O_READ,
  O_TRUNC, O_WRITE, OPEN_MODE_KEEP, packStatX86_64, S_IFMT, S_IROOT, SEEK_CUR, SEEK_END, SEEK_SET,
} from './hurd-types.js';
import type { Logger } from './log.js';

/**
 * The filesystem export: a Hurd filesystem server for one host directory,
 * answering fsys (control port), fs and io RPCs as MIG-layout messages
 * decoded and encoded with mach-msg's compiled interfaces. One instance per
 * link: the port names it hands out are that link's, and die with it.
 *
 * Confinement (the export's one promise): every lookup walks components
 * itself with lstat, never letting the host follow a symlink; `..` stops at
 * the export root (the Hurd's rule for a root with no root parent, §5.2);
 * relative symlinks are spliced into the walk under the same rules;
 * absolute ones go back to the client as FS_RETRY_MAGICAL, whose root is
 * this export. Every open then checks, through /proc/self/fd, that the file
 * actually opened lies under the export root.
 */

export interface FsExportOptions {
  /** Export root (resolved with realpath once). */
  root: string;
  readOnly: boolean;
  abi?: Abi;
  /** Maximum live ports (open files) this link may hold. */
  maxPorts?: number;
  log?: Logger;
  /** Name of the control port (default CONTROL_PORT); a kernel-backed driver passes its receive right's name. */
  controlName?: number;
  /** Where new port names come from (default a counter); a kernel-backed driver hands out receive rights it allocated. */
  takeName?: () => number;
}

type PortObject =
  | { kind: 'control' }
  | { kind: 'node'; rel: string[]; openModes: number; offset: bigint };

/** Name of the control port on every link (the seed's front door, seed-system.md §1.6). */
export const CONTROL_PORT = 1;
/** Largest io_read / dir_readdir answer, so one request cannot make the server allocate without bound. */
export const MAX_TRANSFER = 1 << 20;
const MAX_SYMLINKS = 8;

export type ServerReply = { reply: MachMessage; ool: Uint8Array[] };

class HurdError extends Error {
  constructor(readonly errno: number, msg = '') {
    super(msg);
  }
}

const WRITE_ROUTINES = new Set([
  'io_write', 'dir_mkdir', 'dir_rmdir', 'dir_unlink', 'dir_link', 'dir_rename', 'dir_mkfile',
  'file_chmod', 'file_chown', 'file_utimes', 'file_utimens', 'file_set_size', 'file_set_translator',
]);

/** A bare MIG error reply: header + RetCode, as MIG's server stub sends for any failure. */
export function errorReply(request: MachMessage, retCode: number): MachMessage {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, retCode, true);
  return {
    header: { bits: { remote: 18, local: 0, complex: false, other: 0 }, remotePort: request.header.localPort, localPort: 0, seqno: 0, id: request.header.id + 100 },
    items: [{ kind: 'data', type: { name: MACH_MSG_TYPE_INTEGER_32, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data }],
  };
}

export class FsExport {
  readonly rootReal: string;
  readonly readOnly: boolean;
  readonly abi: Abi;
  private readonly ports = new Map<number, PortObject>();
  private nextName = CONTROL_PORT + 1;
  readonly controlName: number;
  private readonly takeName: (() => number) | undefined;
  private readonly maxPorts: number;
  private readonly fsys: CompiledInterface;
  private readonly fs: CompiledInterface;
  private readonly io: CompiledInterface;
  private readonly log: Logger | undefined;
  /** RPCs answered, by routine name (or 'bad-id'). */
  readonly counts = new Map<string, number>();

  constructor(opts: FsExportOptions) {
    this.rootReal = realpathSync(opts.root);
    if (!lstatSync(this.rootReal).isDirectory()) throw new Error(`export ${opts.root} is not a directory`);
    this.readOnly = opts.readOnly;
    this.abi = opts.abi ?? 'x86_64';
    if (this.abi !== 'x86_64') throw new Error('the export speaks the x86_64 layout only for now');
    this.maxPorts = opts.maxPorts ?? 4096;
    this.fsys = getBuiltinInterface('fsys', this.abi);
    this.fs = getBuiltinInterface('fs', this.abi);
    this.io = getBuiltinInterface('io', this.abi);
    this.log = opts.log;
    this.controlName = opts.controlName ?? CONTROL_PORT;
    this.takeName = opts.takeName;
    this.ports.set(this.controlName, { kind: 'control' });
  }

  get livePorts(): number {
    return this.ports.size;
  }

  hasPort(name: number): boolean {
    return this.ports.has(name);
  }

  /** Drop a port (the client's no-senders, or the link ending). */
  release(name: number): void {
    if (name !== this.controlName) this.ports.delete(name);
  }

  /**
   * One request in (header remotePort = our port name, localPort = the
   * reply right), one reply out, or null for a simpleroutine.
   */
  handle(req: MachMessage, ool: readonly Uint8Array[]): ServerReply | null {
    const port = this.ports.get(req.header.remotePort);
    const id = req.header.id;
    // MIG's demux: the interface the port serves decides which ids exist.
    const ifaces = port?.kind === 'control' ? [this.fsys] : [this.fs, this.io];
    const routine = ifaces.map((i) => i.byId.get(id)).find((r): r is CompiledRoutine => r !== undefined);
    if (!routine) {
      this.count('bad-id');
      return { reply: errorReply(req, MIG_BAD_ID), ool: [] };
    }
    this.count(routine.name);
    let args: MigArgs;
    try {
      args = routine.decodeRequest(req).args;
    } catch (e) {
      if (isMigError(e)) return routine.simple ? null : { reply: errorReply(req, MIG_BAD_ARGUMENTS), ool: [] };
      throw e;
    }
    if (routine.simple) return null;
    if (!port) return { reply: errorReply(req, HurdErrno.EBADF), ool: [] };
    const out: Uint8Array[] = [];
    try {
      const replyArgs = this.dispatch(routine.name, port, args, ool);
      const reply = routine.encodeReply(replyArgs, {
        header: { remotePort: req.header.localPort },
        placeOutOfLine: (data) => {
          out.push(data.slice());
          return BigInt(out.length) << 12n;
        },
      });
      return { reply, ool: out };
    } catch (e) {
      if (e instanceof HurdError) return { reply: errorReply(req, e.errno), ool: [] };
      if (isMigError(e)) return { reply: errorReply(req, MIG_BAD_ARGUMENTS), ool: [] };
      if (typeof (e as { code?: unknown })?.code === 'string') return { reply: errorReply(req, hurdErrnoOf(e)), ool: [] };
      this.log?.error('export: internal error', { routine: routine.name, error: String(e) });
      return { reply: errorReply(req, HurdErrno.EIO), ool: [] };
    }
  }

  private count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  private dispatch(name: string, port: PortObject, a: MigArgs, ool: readonly Uint8Array[]): MigArgs {
    if (port.kind === 'control') {
      switch (name) {
        case 'fsys_getroot': {
          const flags = num(a['flags']);
          if (this.readOnly && (flags & O_WRITE)) throw new HurdError(HurdErrno.EROFS);
          return { do_retry: FS_RETRY_NORMAL, retry_name: '', file: this.newPort([], flags) };
        }
        case 'fsys_syncfs':
          return {};
        case 'fsys_goaway':
          // As the seed's netmsg (seed-system.md §1.6): success, and nothing
          // happens; a remote caller cannot stop the node other links use.
          return {};
        default:
          throw new HurdError(HurdErrno.EOPNOTSUPP);
      }
    }
    if (WRITE_ROUTINES.has(name)) {
      if (this.readOnly) throw new HurdError(HurdErrno.EROFS);
      if (name === 'io_write') return this.ioWrite(port, a, ool);
      throw new HurdError(HurdErrno.EOPNOTSUPP);
    }
    switch (name) {
      case 'dir_lookup':
        return this.dirLookup(port, str(a['file_name']), num(a['flags']), num(a['mode']));
      case 'dir_readdir':
        return this.dirReaddir(port, num(a['entry']), num(a['nentries']), big(a['bufsiz']));
      case 'io_read':
        return this.ioRead(port, big(a['offset'], true), big(a['amount']));
      case 'io_seek':
        return this.ioSeek(port, big(a['offset'], true), num(a['whence']));
      case 'io_stat':
        return { stat_info: this.stat(port.rel) };
      case 'io_get_openmodes':
        return { bits: port.openModes };
      case 'io_readable': {
        const size = this.withFd(port.rel, FS.O_RDONLY, (fd) => fstatSync(fd, { bigint: true }).size);
        const left = size - port.offset;
        return { amount: left > 0n ? left : 0n };
      }
      case 'file_sync':
      case 'file_syncfs':
        return {};
      default:
        throw new HurdError(HurdErrno.EOPNOTSUPP);
    }
  }

  private newPort(rel: string[], flags: number): { name: number; disposition: number } {
    if (this.ports.size >= this.maxPorts) throw new HurdError(HurdErrno.ENFILE, 'too many open ports on this link');
    const name = this.takeName ? this.takeName() : this.nextName++;
    this.ports.set(name, { kind: 'node', rel, openModes: flags & OPEN_MODE_KEEP, offset: 0n });
    return { name, disposition: MACH_MSG_TYPE_MAKE_SEND };
  }

  private real(rel: readonly string[]): string {
    return rel.length === 0 ? this.rootReal : join(this.rootReal, ...rel);
  }

  /** Open, then prove the opened file is inside the export (closes the lstat/open race for renamed parents). */
  private withFd<T>(rel: readonly string[], flags: number, f: (fd: number) => T): T {
    // O_NONBLOCK: a FIFO or device in the export must not stall the node in open or read.
    const fd = openSync(this.real(rel), flags | FS.O_NOFOLLOW | FS.O_NONBLOCK);
    try {
      let actual: string | undefined;
      try {
        actual = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        actual = undefined; // no procfs: rely on the component walk alone
      }
      if (actual !== undefined && actual !== this.rootReal && !actual.startsWith(this.rootReal + sep)) {
        this.log?.warn('export: refused a file outside the export', { path: rel.join('/') });
        throw new HurdError(HurdErrno.EACCES, 'outside the export');
      }
      return f(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** dir_lookup with the Hurd's retry protocol (§5.2), confined to the export. */
  private dirLookup(port: Extract<PortObject, { kind: 'node' }>, name: string, flags: number, mode: number): MigArgs {
    const startSt = lstatSync(this.real(port.rel));
    if (!startSt.isDirectory()) throw new HurdError(HurdErrno.ENOTDIR);
    const stripped = name.replace(/^\/+/, '');
    let mustDir = stripped.endsWith('/');
    const stack = [...port.rel];
    const queue = stripped.split('/').filter((c) => c !== '');
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      const last = queue.length === 0;
      if (c === '.') continue;
      if (c === '..') {
        stack.pop(); // at the export root, `..` is the root itself
        continue;
      }
      if (Buffer.byteLength(c) > 255) throw new HurdError(HurdErrno.ENAMETOOLONG);
      const path = this.real([...stack, c]);
      let st;
      try {
        st = lstatSync(path);
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT' && last && (flags & O_CREAT) && !mustDir) {
          if (this.readOnly) throw new HurdError(HurdErrno.EROFS);
          writeFileSync(path, '', { flag: 'wx', mode: mode & 0o7777 & ~0o1000 });
          st = lstatSync(path);
        } else throw e;
      }
      if (st.isSymbolicLink() && (!last || mustDir || !(flags & (O_NOLINK | O_NOTRANS)))) {
        if (++links > MAX_SYMLINKS) throw new HurdError(HurdErrno.ELOOP);
        const target = readlinkSync(path);
        if (target.startsWith('/')) {
          // Absolute: the client restarts at its own root, which is this export (§5.1).
          const rest = [target.replace(/\/+$/, ''), ...queue].join('/') + (mustDir || (target.endsWith('/') && queue.length === 0) ? '/' : '');
          return { do_retry: FS_RETRY_MAGICAL, retry_name: rest, result: { name: 0, disposition: MACH_MSG_TYPE_MAKE_SEND } };
        }
        if (target.endsWith('/') && queue.length === 0) mustDir = true;
        queue.unshift(...target.split('/').filter((x) => x !== ''));
        continue;
      }
      if (!last && !st.isDirectory()) throw new HurdError(HurdErrno.ENOTDIR);
      if (last && (flags & O_CREAT) && (flags & O_EXCL)) throw new HurdError(HurdErrno.EEXIST);
      stack.push(c);
    }
    const st = lstatSync(this.real(stack));
    if ((mustDir || (flags & O_DIRECTORY)) && !st.isDirectory()) throw new HurdError(HurdErrno.ENOTDIR);
    if (flags & (O_WRITE | O_TRUNC)) {
      if (this.readOnly) throw new HurdError(HurdErrno.EROFS);
      if (st.isDirectory()) throw new HurdError(HurdErrno.EISDIR);
    }
    return { do_retry: FS_RETRY_NORMAL, retry_name: '', result: this.newPort(stack, flags) };
  }

  private dirReaddir(port: Extract<PortObject, { kind: 'node' }>, entry: number, nentries: number, bufsiz: bigint): MigArgs {
    const names = this.withFd(port.rel, FS.O_RDONLY | FS.O_DIRECTORY, () => readdirSync(this.real(port.rel)).sort());
    const all = ['.', '..', ...names];
    const limit = bufsiz > 0n && bufsiz < BigInt(MAX_TRANSFER) ? Number(bufsiz) : MAX_TRANSFER;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = Math.max(0, entry); i < all.length; i++) {
      if (nentries >= 0 && parts.length >= nentries) break;
      const n = all[i]!;
      const rel = n === '.' ? port.rel : n === '..' ? port.rel.slice(0, -1) : [...port.rel, n];
      let ino = 0n;
      let type = 0;
      try {
        const st = lstatSync(this.real(rel), { bigint: true });
        ino = st.ino;
        type = Number((st.mode & BigInt(S_IFMT)) >> 12n);
      } catch {
        continue; // vanished since readdir: skip, as a deleted entry
      }
      const rec = encodeDirent({ ino: ino === 0n ? 1n : ino, type, name: n }, 8);
      if (total + rec.length > limit) break;
      parts.push(rec);
      total += rec.length;
    }
    const data = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { data, amount: parts.length };
  }

  private ioRead(port: Extract<PortObject, { kind: 'node' }>, offset: bigint, amount: bigint): MigArgs {
    if (!(port.openModes & O_READ)) throw new HurdError(HurdErrno.EBADF);
    const useOffset = offset === -1n;
    const at = useOffset ? port.offset : offset;
    if (at < 0n) throw new HurdError(HurdErrno.EINVAL);
    const want = Number(amount > BigInt(MAX_TRANSFER) ? BigInt(MAX_TRANSFER) : amount < 0n ? 0n : amount);
    const data = this.withFd(port.rel, FS.O_RDONLY, (fd) => {
      if (fstatSync(fd).isDirectory()) throw new HurdError(HurdErrno.EISDIR);
      const buf = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buf, got, want - got, at + BigInt(got));
        if (n === 0) break;
        got += n;
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, got);
    });
    if (useOffset) port.offset += BigInt(data.length);
    return { data };
  }

  private ioWrite(port: Extract<PortObject, { kind: 'node' }>, a: MigArgs, ool: readonly Uint8Array[]): MigArgs {
    if (!(port.openModes & O_WRITE)) throw new HurdError(HurdErrno.EBADF);
    const d = a['data'];
    const data = d instanceof Uint8Array ? d : ool[0];
    if (!data) throw new HurdError(HurdErrno.EINVAL);
    const offset = big(a['offset'], true);
    const at = offset === -1n ? port.offset : offset;
    const n = this.withFd(port.rel, FS.O_WRONLY, (fd) => writeSync(fd, data, 0, data.length, Number(at)));
    if (offset === -1n) port.offset += BigInt(n);
    return { amount: BigInt(n) };
  }

  private ioSeek(port: Extract<PortObject, { kind: 'node' }>, offset: bigint, whence: number): MigArgs {
    let base: bigint;
    if (whence === SEEK_SET) base = 0n;
    else if (whence === SEEK_CUR) base = port.offset;
    else if (whence === SEEK_END) base = lstatSync(this.real(port.rel), { bigint: true }).size;
    else throw new HurdError(HurdErrno.EINVAL);
    const p = base + offset;
    if (p < 0n) throw new HurdError(HurdErrno.EINVAL);
    port.offset = p;
    return { newp: p };
  }

  private stat(rel: readonly string[]): bigint[] {
    const l = lstatSync(this.real(rel), { bigint: true });
    // A symlink node (opened with O_NOLINK) is described by lstat; anything else through a checked open.
    const st = l.isSymbolicLink() ? l : this.withFd(rel, FS.O_RDONLY | FS.O_NONBLOCK, (fd) => fstatSync(fd, { bigint: true }));
    const ns = (v: bigint): { sec: bigint; nsec: bigint } => ({ sec: v / 1_000_000_000n, nsec: v % 1_000_000_000n });
    return packStatX86_64({
      fstype: FSTYPE_MISC, fsid: st.dev, ino: st.ino, gen: 0, rdev: st.rdev,
      mode: Number(st.mode) | (rel.length === 0 ? S_IROOT : 0), nlink: st.nlink, uid: Number(st.uid), gid: Number(st.gid),
      size: st.size, atime: ns(st.atimeNs), mtime: ns(st.mtimeNs), ctime: ns(st.ctimeNs),
      blksize: st.blksize, blocks: st.blocks, author: Number(st.uid), flags: 0,
    });
  }
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(BigInt.asIntN(32, v));
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new HurdError(MIG_BAD_ARGUMENTS);
}
function big(v: unknown, signed = false): bigint {
  const b = typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined;
  if (b === undefined) throw new HurdError(MIG_BAD_ARGUMENTS);
  return signed ? BigInt.asIntN(64, b) : b;
}
function str(v: unknown): string {
  if (typeof v !== 'string') throw new HurdError(MIG_BAD_ARGUMENTS);
  return v;
}
