import { lstatSync, realpathSync, unlinkSync, type BigIntStats } from 'node:fs';
import {
  getBuiltinInterface, isMigError, MIG_BAD_ARGUMENTS, MIG_BAD_ID, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_MAKE_SEND,
  type Abi, type CompiledInterface, type CompiledRoutine, type MachMessage, type MigArgs,
} from 'mach-msg';
import { releaseReceived } from 'netmsg-wire';
import { createCredentialPolicy, defaultLocalIdentity, type CredentialPolicy, type LocalIdentity } from '../credentials.js';
import { HurdErrno } from '../errno.js';
import type { Logger } from '../log.js';
import { controlRoutine } from './control.js';
import type { ExportAuth, ExportCore, IoMapAnswer, RootParentRights } from './core.js';
import { idsOfIdentity } from '../auth/ids.js';
import { ioReauthenticate } from './reauth.js';
import { staleIfGone } from './node-util.js';
import { dirLink, dirMkdir, dirMkfile, dirReaddir, dirRename, dirRmdir, dirUnlink } from './dir-ops.js';
import {
  fileCheckAccess, fileChmod, fileChown, fileGetTranslator, fileSetSize, fileSetTranslator, fileStatfs, fileSync, fileUtimens, fileUtimes,
} from './file-ops.js';
import { HostTree } from './host.js';
import { big, HurdError, num, portName, retCodeOf, size, str, ids, words } from './hurd-error.js';
import {
  ioDuplicate, ioIdentity, ioMap, ioPathconf, ioRead, ioReadable, prefetchRead, type Prefetched, ioRestrictAuth, ioSeek, ioSelect, ioServerVersion, ioStat, ioWrite,
  setOpenModes,
} from './io-ops.js';
import { dirLookup } from './lookup.js';
import { sameNode } from './node-identity.js';
import type { PerOpen, PortObject, Protid } from './ports.js';

export interface FsExportOptions {
  /** Export root (resolved with realpath once). */
  root: string;
  readOnly: boolean;
  /** The MIG layouts requests arrive in and replies go out in (the requesting peer's ABI). Default x86_64. */
  abi?: Abi;
  /** Maximum live ports (open files) this link may hold. */
  maxPorts?: number;
  log?: Logger;
  /** Name of the control port (default CONTROL_PORT); a kernel-backed driver passes its receive right's name. */
  controlName?: number;
  /** Where new port names come from (default a counter); a kernel-backed driver hands out receive rights it allocated. */
  takeName?: () => number;
  /**
   * Who remote users are here (default: every remote user is one
   * unprivileged local identity, `defaultLocalIdentity` of the export's owner).
   */
  credentials?: CredentialPolicy;
  /**
   * io_map: the names (in this export's name space) of the memory objects
   * for reading and writing the file at `rel`, or a Hurd errno. Without it
   * io_map answers EOPNOTSUPP.
   */
  ioMap?: (rel: readonly string[], openModes: number) => IoMapAnswer;
  /**
   * Keep fsys_getroot's `dotdot_node` as the root parent, so `..` at the root
   * answers FS_RETRY_REAUTH with it (§5.2 rule 2). Only for a driver that
   * keeps that send right alive after the request (MIG servers free a
   * request's rights by default, and a freed name could come back naming
   * another port); FsExport calls `dropRight(name)` when no open refers to it
   * any more. Default off: the dotdot port is ignored and `..` at the root is
   * the root.
   */
  rootParent?: RootParentRights;
  /** The node's auth server (io_reauthenticate, auth_makeauth on the control port); also settable later with `useAuth`. */
  auth?: ExportAuth;
}

/** Name of the control port on every link (the seed's front door, seed-system.md §1.6). */
export const CONTROL_PORT = 1;
/**
 * Largest io_read answer (fs/io-ops.ts MAX_READ), so one request cannot make
 * the server allocate without bound. Hurd's io_read takes the amount from the
 * caller and the server may answer fewer bytes (as read(2) may), so the cap is
 * the server's choice: 16 MiB, because a bulk read's cost on the node is
 * largely per RPC (two kernels' message paths, netmsg, MIG, the export's open
 * and checks, and V8 compiling that path, which a bulk read of a few dozen
 * RPCs never finishes warming): 4 MiB answers cut CPU per MiB by 20-45%
 * against 1 MiB ones (BENCHMARKS.md, run 20), and 16 MiB ones, 2 in flight,
 * the node's by about a fifth again against 4 MiB x 4 (run 24M), while one
 * answer stays one link frame (tcp-link.ts LINK_FRAME_BYTES) and one pooled
 * buffer (cluster/ool-buffers.ts). The bound: MAX_IN_FLIGHT (16) requests
 * at once make at most 256 MiB of answers.
 */
export const MAX_TRANSFER = 16 << 20;

export type ServerReply = { reply: MachMessage; ool: Uint8Array[] };

/** Routines that change the filesystem: EROFS on a read-only export before anything else. */
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

/**
 * The filesystem export: a Hurd filesystem server for one host directory,
 * answering fsys (control port), fs, io and interrupt RPCs as MIG-layout
 * messages decoded and encoded with mach-msg's compiled interfaces. Port
 * names are the caller's (its driver's task or a counter); whoever holds
 * the instance calls `release` when a port has no senders left. The routines live in `fs/{control,lookup,dir-ops,file-ops,io-ops}.ts`;
 * this class is MIG's demux plus the port table.
 */
export class FsExport implements ExportCore {
  readonly rootReal: string;
  readonly readOnly: boolean;
  readonly abi: Abi;
  readonly tree: HostTree;
  readonly policy: CredentialPolicy;
  readonly processUid: number;
  readonly ioMap: ((rel: readonly string[], openModes: number) => IoMapAnswer) | undefined;
  readonly log: Logger | undefined;
  readonly controlName: number;
  rootParents: RootParentRights | undefined;
  auth: ExportAuth | undefined;
  /** Root parent name -> opens referring to it. */
  private readonly parentRefs = new Map<number, number>();
  private readonly ports = new Map<number, PortObject>();
  private readonly identities = new Map<string, number>();
  private nextName = CONTROL_PORT + 1;
  private readonly takeName: (() => number) | undefined;
  private readonly maxPorts: number;
  private readonly fsys: CompiledInterface;
  private readonly fs: CompiledInterface;
  private readonly io: CompiledInterface;
  private readonly interrupt: CompiledInterface;
  private readonly authIface: CompiledInterface;
  /** RPCs answered, by routine name (or 'bad-id'). */
  readonly counts = new Map<string, number>();

  constructor(opts: FsExportOptions) {
    this.rootReal = realpathSync(opts.root);
    const rootSt = lstatSync(this.rootReal);
    if (!rootSt.isDirectory()) throw new Error(`export ${opts.root} is not a directory`);
    this.readOnly = opts.readOnly;
    this.abi = opts.abi ?? 'x86_64';
    this.maxPorts = opts.maxPorts ?? 4096;
    this.tree = new HostTree(this.rootReal);
    this.policy = opts.credentials ?? createCredentialPolicy({ fallback: defaultLocalIdentity({ uid: rootSt.uid, gid: rootSt.gid }) });
    this.processUid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
    this.ioMap = opts.ioMap;
    this.fsys = getBuiltinInterface('fsys', this.abi);
    this.fs = getBuiltinInterface('fs', this.abi);
    this.io = getBuiltinInterface('io', this.abi);
    this.interrupt = getBuiltinInterface('interrupt', this.abi);
    this.authIface = getBuiltinInterface('auth', this.abi);
    this.auth = opts.auth;
    this.log = opts.log;
    this.controlName = opts.controlName ?? CONTROL_PORT;
    this.takeName = opts.takeName;
    this.rootParents = opts.rootParent;
    this.ports.set(this.controlName, { kind: 'control' });
  }

  /** Serve with the node's auth server from now on (a driver that made it after the export). */
  useAuth(auth: ExportAuth): void {
    this.auth = auth;
  }

  /** Keep fsys_getroot's dotdot rights from now on (FsExportOptions.rootParent). */
  useRootParents(rights: RootParentRights): void {
    this.rootParents = rights;
  }

  get livePorts(): number {
    return this.ports.size;
  }

  hasPort(name: number): boolean {
    return this.ports.has(name);
  }

  /** @internal (ExportCore) */
  port(name: number): PortObject | undefined {
    return this.ports.get(name);
  }

  /** Drop a port (the client's no-senders, or the link ending). */
  release(name: number): void {
    const o = this.ports.get(name);
    if (!o || o.kind === 'control') return;
    this.ports.delete(name);
    if (o.kind === 'identity') {
      this.identities.delete(o.key);
      return;
    }
    if (--o.po.refs > 0) return;
    if (o.po.anon) this.removeAnon(o.po);
    const parent = o.po.rootParent;
    if (parent !== 0) {
      const left = (this.parentRefs.get(parent) ?? 1) - 1;
      if (left > 0) this.parentRefs.set(parent, left);
      else {
        this.parentRefs.delete(parent);
        this.rootParents?.dropRight(parent);
      }
    }
  }

  /** An unnamed dir_mkfile file nobody holds any more: remove its hidden host name. */
  private removeAnon(po: PerOpen): void {
    try {
      this.tree.withDir(po.rel.slice(0, -1), (d) => unlinkSync(this.tree.at(d, po.rel[po.rel.length - 1]!)));
    } catch (e) {
      this.log?.warn('export: could not remove an unnamed file', { path: po.rel.join('/'), error: String(e) });
    }
  }

  /** @internal (ExportCore) */
  newProtid(po: PerOpen, user: LocalIdentity, remote: Protid['remote']): { name: number; disposition: number } {
    const name = this.allocName();
    if (po.refs++ === 0 && po.rootParent !== 0) {
      const n = this.parentRefs.get(po.rootParent) ?? 0;
      // A new root parent: the request's right must outlive the request (one reference per name, however many opens).
      if (n === 0) this.rootParents?.keepRight?.(po.rootParent);
      this.parentRefs.set(po.rootParent, n + 1);
    }
    this.ports.set(name, { kind: 'node', po, user, remote });
    return { name, disposition: MACH_MSG_TYPE_MAKE_SEND };
  }

  /** @internal (ExportCore) */
  identityPort(key: string): { name: number; disposition: number } {
    let name = this.identities.get(key);
    if (name === undefined) {
      name = this.allocName();
      this.identities.set(key, name);
      this.ports.set(name, { kind: 'identity', key });
    }
    return { name, disposition: MACH_MSG_TYPE_MAKE_SEND };
  }

  private allocName(): number {
    if (this.ports.size >= this.maxPorts) throw new HurdError(HurdErrno.ENFILE, 'too many open ports on this link');
    return this.takeName ? this.takeName() : this.nextName++;
  }

  /** @internal (ExportCore) */
  renamed(from: readonly string[], to: readonly string[]): void {
    const seen = new Set<PerOpen>();
    for (const o of this.ports.values()) {
      if (o.kind !== 'node' || seen.has(o.po)) continue;
      seen.add(o.po);
      const rel = o.po.rel;
      if (rel.length >= from.length && from.every((c, i) => rel[i] === c)) o.po.rel = [...to, ...rel.slice(from.length)];
    }
  }

  /** @internal (ExportCore) */
  nodeStat(p: Protid): BigIntStats {
    let st: BigIntStats;
    try {
      st = this.tree.lstat(p.po.rel);
    } catch (e) {
      throw staleIfGone(e);
    }
    if (!sameNode(st, p.po)) throw new HurdError(HurdErrno.ESTALE, 'another node has taken its name');
    return st;
  }

  /**
   * One request in (header remotePort = our port name, localPort = the
   * reply right), one reply out, or null for a simpleroutine. io_write's
   * out-of-line data (`ool[0]`) is given back to the link's receive pool
   * once written (`releaseReceived`): do not use it after this returns.
   */
  handle(req: MachMessage, ool: readonly Uint8Array[], pre?: Prefetched): ServerReply | null {
    const port = this.ports.get(req.header.remotePort);
    const id = req.header.id;
    // MIG's demux: the interfaces the port serves decide which ids exist.
    const ifaces = port?.kind === 'control' ? (this.auth ? [this.fsys, this.authIface] : [this.fsys]) : port?.kind === 'identity' ? [] : [this.fs, this.io, this.interrupt];
    let routine: CompiledRoutine | undefined;
    for (let i = 0; i < ifaces.length && routine === undefined; i++) routine = ifaces[i]!.byId.get(id);
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
    // io_reauthenticate, the only simpleroutine served: the new port goes to
    // the client through the node's auth server (fs/reauth.ts); without one
    // it is dropped. Nothing is sent back (a simpleroutine never answers).
    if (routine.simple) {
      if (port?.kind === 'node' && routine.name === 'io_reauthenticate') ioReauthenticate(this, port, portName(args['rendezvous2']));
      return null;
    }
    if (!port || port.kind === 'identity') return { reply: errorReply(req, HurdErrno.EBADF), ool: [] };
    if (port.kind === 'control' && routine.name.startsWith('auth_')) return this.controlAuth(req, routine.name, args);
    const out: Uint8Array[] = [];
    try {
      const replyArgs = port.kind === 'control' ? controlRoutine(this, routine.name, args) : this.nodeRoutine(routine.name, port, args, ool, pre);
      const reply = routine.encodeReply(replyArgs, {
        header: { remotePort: req.header.localPort },
        // Every reply argument is built for this reply (io_read's host read, a directory listing...):
        // mach-msg hands the bytes over as they are, and ExportTask gives them up to the kernel.
        giveOutOfLine: true,
        placeOutOfLine: (data) => {
          out.push(data);
          return BigInt(out.length) << 12n;
        },
      });
      return { reply, ool: out };
    } catch (e) {
      if (isMigError(e)) return { reply: errorReply(req, MIG_BAD_ARGUMENTS), ool: [] };
      const ret = retCodeOf(e);
      if (ret !== undefined) return { reply: errorReply(req, ret), ool: [] };
      this.log?.error('export: internal error', { routine: routine.name, error: String(e) });
      return { reply: errorReply(req, HurdErrno.EIO), ool: [] };
    }
  }

  /**
   * The control port as the link's first auth handle: auth_makeauth on it
   * asks for a handle of the node's auth server. The ids asked for are
   * claims, mapped by the credential policy exactly as fsys_getroot's
   * gen_uids/gen_gids (other handles and available ids are ignored), and the
   * handle carries the mapped identity, never more. The export forwards the
   * request to its root auth handle with the mapped ids and the caller's
   * reply right, as the Hurd's password server calls auth_makeauth on its
   * root handle for a user it has checked; the auth server answers the
   * caller directly. Other auth routines: EOPNOTSUPP (this is no handle).
   */
  private controlAuth(req: MachMessage, name: string, a: MigArgs): ServerReply {
    if (name !== 'auth_makeauth' || !this.auth) return { reply: errorReply(req, HurdErrno.EOPNOTSUPP), ool: [] };
    let who: LocalIdentity;
    try {
      who = this.policy.map(ids(a['euids']), ids(a['egids']));
    } catch {
      return { reply: errorReply(req, MIG_BAD_ARGUMENTS), ool: [] };
    }
    // No uid would ask the root handle for the union of its ids (makeauth with nothing asked).
    if (who.uid === undefined) return { reply: errorReply(req, HurdErrno.EPERM), ool: [] };
    const mapped = idsOfIdentity(who);
    this.log?.debug('auth_makeauth', { as: `${who.uid}:${who.gids.join(',')}` });
    const fwd = this.authIface.routine('auth_makeauth').encodeRequest(
      { other_handles: [], euids: mapped.euids, auids: mapped.auids, egids: mapped.egids, agids: mapped.agids },
      { header: { remotePort: this.auth.rootHandle } },
    );
    const h = fwd.header;
    return {
      reply: { header: { ...h, bits: { ...h.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: req.header.bits.local }, localPort: req.header.localPort }, items: fwd.items },
      ool: [],
    };
  }

  private count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  /**
   * An io_read's host bytes, read without blocking the event loop
   * (`prefetchRead`), for a driver that serves several requests at once: pass
   * the answer to `handle` with the same request. Undefined for any other
   * request, or when `handle` should read by itself.
   */
  async prefetch(req: MachMessage, signal?: AbortSignal): Promise<Prefetched | undefined> {
    const port = this.ports.get(req.header.remotePort);
    const routine = this.io.byId.get(req.header.id);
    if (port?.kind !== 'node' || routine?.name !== 'io_read') return undefined;
    let a: MigArgs;
    try {
      a = routine.decodeRequest(req).args;
    } catch {
      return undefined;
    }
    return prefetchRead(this, port, big(a['offset'], true), size(a['amount']), signal);
  }

  private nodeRoutine(name: string, p: Protid, a: MigArgs, ool: readonly Uint8Array[], pre?: Prefetched): MigArgs {
    if (WRITE_ROUTINES.has(name) && this.readOnly) throw new HurdError(HurdErrno.EROFS);
    const tw = this.abi === 'i386' ? 32 : 64;
    switch (name) {
      case 'dir_lookup': return dirLookup(this, p, str(a['file_name']), num(a['flags']), num(a['mode']));
      case 'dir_readdir': return dirReaddir(this, p, num(a['entry']), num(a['nentries']), size(a['bufsiz']));
      case 'dir_mkdir': return dirMkdir(this, p, str(a['name']), num(a['mode']));
      case 'dir_rmdir': return dirRmdir(this, p, str(a['name']));
      case 'dir_unlink': return dirUnlink(this, p, str(a['name']));
      case 'dir_link': return dirLink(this, p, portName(a['file']), str(a['name']), num(a['excl']));
      case 'dir_rename': return dirRename(this, p, str(a['oldname']), portName(a['newdirectory']), str(a['newname']), num(a['excl']));
      case 'dir_mkfile': return dirMkfile(this, p, num(a['flags']), num(a['mode']));
      case 'file_chmod': return fileChmod(this, p, num(a['new_mode']));
      case 'file_chown': return fileChown(this, p, num(a['new_owner']), num(a['new_group']));
      case 'file_utimens': return fileUtimens(this, p, words(a['new_atime'], 2, tw), words(a['new_mtime'], 2, tw));
      case 'file_utimes': return fileUtimes(this, p, words(a['new_atime'], 2, tw), words(a['new_mtime'], 2, tw));
      case 'file_set_size': return fileSetSize(this, p, big(a['new_size'], true));
      case 'file_sync': return fileSync(this, p);
      case 'file_syncfs': return {};
      case 'file_check_access': return fileCheckAccess(this, p);
      case 'file_get_translator': return fileGetTranslator(this, p);
      case 'file_set_translator': {
        const d = a['passive'];
        const passive = d instanceof Uint8Array ? d : ool[0];
        if (!passive) throw new HurdError(MIG_BAD_ARGUMENTS);
        return fileSetTranslator(this, p, num(a['passive_flags']), num(a['active_flags']), passive, portName(a['active']));
      }
      case 'file_statfs': return fileStatfs(this, p);
      case 'io_read': return ioRead(this, p, big(a['offset'], true), size(a['amount']), pre);
      case 'io_write': {
        const d = a['data'];
        const data = d instanceof Uint8Array ? d : ool[0];
        if (!data) throw new HurdError(MIG_BAD_ARGUMENTS);
        try {
          return ioWrite(this, p, data, big(a['offset'], true));
        } finally {
          // The write is complete (ioWrite writes synchronously): the request's
          // out-of-line data is ours alone and done with, so it goes back to
          // the link's receive pool (a no-op unless it is a lent receive
          // buffer), as MIG's server stub vm_deallocates a received data_t.
          if (data !== d) releaseReceived(data);
        }
      }
      case 'io_seek': return ioSeek(this, p, big(a['offset'], true), num(a['whence']));
      case 'io_readable': return ioReadable(this, p);
      case 'io_stat': return ioStat(this, p);
      case 'io_get_openmodes': return { bits: p.po.openModes };
      case 'io_set_all_openmodes': return setOpenModes(p, 'all', num(a['newbits']));
      case 'io_set_some_openmodes': return setOpenModes(p, 'some', num(a['bits_to_set']));
      case 'io_clear_some_openmodes': return setOpenModes(p, 'clear', num(a['bits_to_clear']));
      case 'io_duplicate': return ioDuplicate(this, p);
      case 'io_restrict_auth': return ioRestrictAuth(this, p, ids(a['uids']), ids(a['gids']));
      case 'io_identity': return ioIdentity(this, p);
      case 'io_server_version': return ioServerVersion();
      case 'io_map': return ioMap(this, p);
      case 'io_pathconf': return ioPathconf(num(a['name']));
      case 'io_select':
      case 'io_select_timeout': return ioSelect(p, num(a['select_type']));
      // glibc's interrupt: the only call that waits (io_read of an empty FIFO) is ended by the
      // driver (ExportTask aborts the port's prefetch: EINTR); every other call finishes at once.
      case 'interrupt_operation': return {};
      default:
        // dir_notice_changes, file_getcontrol, file_get_storage_info, io_map_cntl.
        throw new HurdError(HurdErrno.EOPNOTSUPP);
    }
  }
}
