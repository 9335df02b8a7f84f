import { getBuiltinInterface, type Abi, type CompiledInterface, type MachMessage, type MigArgs } from 'mach-msg';
import { releaseReceived } from 'netmsg-wire';
import type { MachKernel, TaskId } from 'hurd-ffi';
import { HurdErrno, hurdErrorName } from './errno.js';
import { NetmsgServerError } from './errors.js';
import {
  decodeDirents, FS_RETRY_MAGICAL, FS_RETRY_NORMAL, FS_RETRY_REAUTH, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_NOLINK, O_NOTRANS, O_READ,
  O_TRUNC, O_WRITE, S_IFLNK, S_IFMT, unpackStat, type DirEntry, type HurdStat,
} from './hurd-types.js';
import { CONTROL_PORT } from './fs-export.js';
import * as clientAuth from './auth/client-auth.js';
import type { AuthIds } from './auth/ids.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import { CallFailed } from './cluster/mig-user.js';
import { checkInto, IntoLanding, Landing } from './read-landing.js';
import { FIRST_READ, readAhead } from './read-ahead.js';
import type { ClientSession, RemotePort } from './client-session.js';
import type { Expectation } from './cluster/reply-landing.js';

export type { ClientSession, RemotePort } from './client-session.js';

const REPLY_BASE = 0x40000000;
const MAX_RETRIES = 32;
const SEEK_SET = 0;
const SEEK_CUR = 1;
const WRITE_CHUNK = 64 * 1024;

/** A time for `utimens`: now, leave unchanged, or seconds (+ nanoseconds) since the epoch. */
export type TimeSpec = 'now' | 'omit' | { sec: number | bigint; nsec?: number };

/**
 * A Hurd filesystem client over one link. Every method is real Hurd RPCs:
 * MIG-layout requests built with mach-msg's compiled fsys/fs/io interfaces,
 * carried as netmsg-wire messages, replies checked as MIG's user stubs check them.
 */
export class FsClient {
  /** The client task's ABI: its MIG layouts (vm_size_t, io_statbuf_t, ... sized for it). */
  readonly abi: Abi;
  private readonly fsys: CompiledInterface;
  private readonly fs: CompiledInterface;
  private readonly io: CompiledInterface;
  /** Routines called so far, by name (one map lookup per call instead of a search of the three interfaces). */
  private readonly routines = new Map<string, ReturnType<CompiledInterface['routine']>>();
  private rootPort: RemotePort | undefined;
  private closedError: Error | undefined;
  /** Releases not yet performed (port_deallocate is asynchronous). */
  private releasing: Promise<unknown> = Promise.resolve();
  /** RPCs sent on this link. */
  rpcCount = 0;

  /** @internal use `connect`. */
  constructor(
    private readonly session: ClientSession,
    readonly nodeId: number,
    readonly serverNode: number,
    private readonly timeoutMs: number,
  ) {
    this.abi = session.node.kernel.abi;
    this.fsys = getBuiltinInterface('fsys', this.abi);
    this.fs = getBuiltinInterface('fs', this.abi);
    this.io = getBuiltinInterface('io', this.abi);
  }

  /** The client node's kernel (hurd-ffi): the MIG user task and its rights live there. */
  get kernel(): MachKernel {
    return this.session.node.kernel;
  }

  /** The task that makes the calls; every RemotePort is a send right in it. */
  get task(): TaskId {
    return this.session.task;
  }

  /** The server's root (its export's control port) in the task: CONTROL_PORT, or where the client's kernel put it. */
  get control(): RemotePort {
    return this.session.control ?? CONTROL_PORT;
  }

  /** The client's node (its netmsg driver), for tests and tools. */
  get node(): ClusterNode {
    return this.session.node;
  }

  /** @internal the link ended: every call in progress fails with link_closed at once. */
  onClosed(reason: string): void {
    if (this.closedError) return;
    this.closedError = new NetmsgServerError('link_closed', `link closed: ${reason}`);
    this.session.user.interrupt();
  }

  /**
   * Send one request message (send orientation, remotePort = a RemotePort)
   * and wait for its reply: mach_msg from the client task, with a fresh reply
   * port (MAKE_SEND_ONCE), through the client node's netmsg. Rights in the
   * request are the task's (a body right is carried to the server as a real
   * right); rights in the reply land in the task.
   */
  async rawCall(msg: MachMessage, ool: readonly Uint8Array[] = []): Promise<{ msg: MachMessage; ool: Uint8Array[] }> {
    // The caller keeps its buffers: the task is given copies (placeOol hands what it gets to the kernel).
    return this.exchange(msg, ool.map((b) => b.slice()));
  }

  /** rawCall with out-of-line bytes the caller gives up. */
  private exchange(msg: MachMessage, ool: readonly Uint8Array[]): Promise<{ msg: MachMessage; ool: Uint8Array[] }> {
    if (this.closedError) return Promise.reject(this.closedError);
    this.rpcCount++;
    // A catch handler rather than an async wrapper: one promise fewer per call.
    return this.session.user.call(msg, ool, this.timeoutMs).catch((e: unknown) => this.failed(msg, e));
  }

  /** A failed exchange of `msg` as the caller sees it. */
  private failed(msg: MachMessage, e: unknown): never {
    if (!(e instanceof CallFailed)) throw e;
    if (e.failure.kind === 'timeout') throw new NetmsgServerError('timeout', `no reply to message ${msg.header.id} within ${this.timeoutMs} ms`);
    if (this.closedError) throw this.closedError;
    if (e.failure.kind === 'interrupted') throw new NetmsgServerError('link_closed', 'client closed');
    // The reply right died unused: MIG_SERVER_DIED, as a user stub reports it.
    throw new NetmsgServerError('rpc_failed', `message ${msg.header.id}: the server died before answering (MIG_SERVER_DIED)`, -308);
  }

  /**
   * A routine of fsys/fs/io by name: encode as MIG's user stub, decode and check the reply, throw on RetCode != 0.
   * One handler pair on the exchange's promise, no async layer (exchange's and call's were two more promises a call).
   */
  call(port: RemotePort, routine: string, args: MigArgs, what = routine, landing?: Expectation): Promise<{ args: MigArgs; ool: Uint8Array[] }> {
    let r = this.routines.get(routine);
    const outOfLine: Uint8Array[] = [];
    let req: MachMessage;
    try {
      if (r === undefined) {
        const iface = [this.fsys, this.fs, this.io].find((i) => i.byName.has(routine));
        if (!iface) throw new NetmsgServerError('rpc_failed', `unknown routine ${routine}`);
        this.routines.set(routine, (r = iface.routine(routine)));
      }
      req = r.encodeRequest(args, {
        header: { remotePort: port },
        // MIG's user stub sends arrays over 2048 bytes out-of-line; the bytes travel in OOL_CHUNK frames.
        // mach-msg's own copy of the argument: given up to the task as it is.
        placeOutOfLine: (data) => {
          outOfLine.push(data);
          return BigInt(outOfLine.length) << 12n;
        },
      });
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.closedError) return Promise.reject(this.closedError);
    this.rpcCount++;
    const routineOf = r;
    const bind = landing === undefined ? undefined : (task: TaskId, rp: number): void => landing.bind(task, rp);
    return this.session.user.call(req, outOfLine, this.timeoutMs, bind).then(
      ({ msg, ool }) => {
        const dec = routineOf.decodeReply(msg);
        if (dec.retCode !== 0) throw new NetmsgServerError('rpc_failed', `${what}: ${hurdErrorName(dec.retCode)}`, dec.retCode);
        return { args: dec.args, ool };
      },
      (e: unknown) => this.failed(req, e),
    );
  }

  /**
   * The ids presented to fsys_getroot (`gen_uids`/`gen_gids`), which the
   * node maps to one local identity. Default: this process's own ids. Set it
   * before the first call; the root port is made once per client.
   */
  identity: { uids: number[]; gids: number[] } = {
    uids: typeof process.getuid === 'function' ? [process.getuid()] : [],
    gids: typeof process.getgid === 'function' ? [process.getgid()] : [],
  };

  /** fsys_getroot on the link's control port: the export's root directory. */
  async root(): Promise<RemotePort> {
    if (this.rootPort === undefined) {
      const r = await this.call(this.control, 'fsys_getroot', {
        dotdot_node: { name: 0, disposition: 19 }, gen_uids: this.identity.uids, gen_gids: this.identity.gids, flags: O_READ,
      });
      this.rootPort = portOf(r.args['file']);
    }
    return this.rootPort;
  }

  /**
   * Open `path` (relative to the export root; a leading `/` is the export
   * root too) as glibc's hurd_file_name_lookup does (hurd-fs-interfaces.md
   * §5.3): dir_lookup, then FS_RETRY_NORMAL continuations, FS_RETRY_REAUTH
   * (the port, an unauthenticated one such as fsys_getroot's dotdot, is
   * reauthenticated first with `options.auth`, default `authHandle()`, even
   * when the rest is "") and FS_RETRY_MAGICAL "/..." (restart at the root,
   * the export's), at most 32 steps (ELOOP). `options.from`: start at this
   * directory port instead of the root (it stays the caller's).
   * O_NOFOLLOW becomes O_NOTRANS plus an io_stat check (a symlink: ELOOP),
   * O_DIRECTORY a trailing `/`, and O_TRUNC with O_WRITE ends with
   * file_set_size(0), all as glibc does. `mode` is the creation mode for O_CREAT.
   */
  async lookup(path: string, flags = O_READ, mode = 0, options: { from?: RemotePort; auth?: RemotePort } = {}): Promise<RemotePort> {
    let serverFlags = flags & ~O_NOFOLLOW;
    if (flags & O_NOFOLLOW) serverFlags |= O_NOTRANS;
    let name = path.replace(/^\/+/, '');
    if ((flags & O_DIRECTORY) && !(flags & O_NOFOLLOW) && !name.endsWith('/')) name += '/';
    let start = options.from ?? await this.root();
    const keep = new Set([options.from]);
    for (let i = 0; i < MAX_RETRIES; i++) {
      const r = await this.call(start, 'dir_lookup', { file_name: name, flags: serverFlags, mode }, `lookup ${path}`)
        .finally(() => {
          if (start !== this.rootPort && !keep.has(start)) this.release(start);
        });
      const retry = Number(r.args['do_retry']);
      const rest = String(r.args['retry_name'] ?? '');
      const result = portOf(r.args['result']);
      if (retry === FS_RETRY_NORMAL && rest === '') return this.finishOpen(result, path, flags);
      if (retry === FS_RETRY_REAUTH) {
        // §5.1: reauthenticate the port before using it, even when the rest is "".
        start = await this.reauthenticate(result, options.auth).finally(() => this.release(result));
        name = rest === '/' ? rest : rest.replace(/^\/+/, '');
      } else if (retry === FS_RETRY_NORMAL) {
        start = result;
        name = rest === '/' ? rest : rest.replace(/^\/+/, '');
      } else if (retry === FS_RETRY_MAGICAL && rest.startsWith('/')) {
        if (result !== 0) this.release(result);
        start = await this.root();
        name = rest === '/' ? '' : rest.replace(/^\/+/, '');
      } else {
        if (result !== 0) this.release(result);
        throw new NetmsgServerError('rpc_failed', `lookup ${path}: EGRATUITOUS (retry ${retry} '${rest}')`, HurdErrno.EGRATUITOUS);
      }
    }
    throw new NetmsgServerError('rpc_failed', `lookup ${path}: ELOOP`, HurdErrno.ELOOP);
  }

  private async finishOpen(port: RemotePort, path: string, flags: number): Promise<RemotePort> {
    try {
      if (flags & O_NOFOLLOW) {
        const st = await this.statPort(port);
        if ((st.mode & S_IFMT) === S_IFLNK) throw new NetmsgServerError('rpc_failed', `open ${path}: ELOOP (a symlink, O_NOFOLLOW)`, HurdErrno.ELOOP);
      }
      if ((flags & O_TRUNC) && (flags & O_WRITE)) await this.call(port, 'file_set_size', { new_size: 0n }, `truncate ${path}`);
      return port;
    } catch (e) {
      this.release(port);
      throw e;
    }
  }

  private authPort: Promise<RemotePort> | undefined;

  /**
   * This link's auth handle on the node's auth server: auth_makeauth on the
   * control port with `identity`, which the node maps with its credential
   * policy exactly as fsys_getroot's ids, so the handle holds that mapped
   * local identity and nothing more (src/auth/, README "Reauthentication").
   * Made once per client.
   */
  authHandle(): Promise<RemotePort> {
    this.authPort ??= clientAuth.makeAuth(this, this.control, { euids: this.identity.uids, egids: this.identity.gids });
    this.authPort.catch(() => { this.authPort = undefined; });
    return this.authPort;
  }

  /** auth_makeauth on `from` (default `authHandle()`): a handle with only these ids, which must be among `from`'s (EPERM). */
  async makeAuth(ids: Partial<AuthIds>, from?: RemotePort): Promise<RemotePort> {
    return clientAuth.makeAuth(this, from ?? await this.authHandle(), ids);
  }

  /** auth_getids: the ids an auth handle holds (default `authHandle()`). */
  async getIds(handle?: RemotePort): Promise<AuthIds> {
    return clientAuth.getIds(this, handle ?? await this.authHandle());
  }

  /**
   * io_reauthenticate `port` with auth handle `auth` (default `authHandle()`;
   * it must belong to the node serving `port`): a new port to the same open
   * carrying the handle's ids. `port` stays the caller's to release.
   */
  async reauthenticate(port: RemotePort, auth?: RemotePort): Promise<RemotePort> {
    if (this.closedError) throw this.closedError;
    return clientAuth.reauthenticate(this, port, auth ?? await this.authHandle());
  }

  /**
   * Drop one reference of our send right (mach_port_deallocate in the client
   * task). When the last right anywhere is gone the server's port gets its
   * NO SENDERS, through both netmsg tasks, and the export frees it.
   */
  release(port: RemotePort): void {
    if (port === this.control || port === 0 || this.closedError) return;
    this.releasing = this.releasing.then(() => this.kernel.portDeallocate(this.task, port));
  }

  /**
   * The rest of an open file from its file pointer, which ends at the end
   * of the file, as repeated read(2)s would leave it: io_reads until one
   * returns no data. The first io_read asks for FIRST_READ at the file
   * pointer (a small file is then read in two calls, and the server
   * allocates no more than that); when it comes back full the file is
   * large, so the rest is read in READ_CHUNK (MAX_TRANSFER) pieces at
   * explicit offsets (pread, which leaves the pointer alone), up to
   * READ_AHEAD in flight, and the pointer is then set past what was read.
   * An object that cannot seek (io_seek fails, e.g. ESPIPE) is read
   * sequentially.
   */
  async readPort(port: RemotePort, onProgress?: (bytes: number) => void): Promise<Uint8Array> {
    const out = new Landing();
    // The size, when io_stat gives it: the result is allocated once and every read lands in it as it comes.
    for await (const bytes of this.pieces(port, (size) => out.reserve(size), out)) {
      // Copied into the result: the reply's out-of-line bytes are ours alone
      // (vmReadDeallocate took them from the task), so they go back to the
      // link's receive pool for the next reply to land in (a receiver's
      // vm_deallocate), instead of a fresh buffer per reply.
      if (out.put(bytes)) releaseReceived(bytes);
      onProgress?.(out.total);
    }
    return out.result();
  }

  /**
   * The whole file at `path` as it arrives, in file order, without
   * gathering it: each chunk is an io_read reply's own bytes (up to
   * MAX_TRANSFER), read as `read` reads (READ_AHEAD in flight). **A chunk
   * is yours only until you ask for the next one** (the loop's next turn, or
   * its end): then its buffer goes back to the link's receive pool and a
   * later reply lands in it, so copy (`slice`) what you keep. Stopping early
   * (break) leaves the last chunk yours and releases the file.
   */
  async *readChunks(path: string): AsyncGenerator<Uint8Array, void, undefined> {
    const port = await this.lookup(path, O_READ);
    try {
      for await (const bytes of this.pieces(port)) {
        yield bytes;
        releaseReceived(bytes);
      }
    } finally {
      this.release(port);
    }
  }

  /**
   * io_read into the caller's memory, as read(2) fills its buffer: the rest
   * of the open file from its file pointer (`readPort`'s io_reads) lands in
   * `buffer` from byte `offset` on; returns how many bytes. Nothing is
   * allocated per call (read-landing.ts IntoLanding: its typed errors
   * `bad_offset`, `bad_option`, `buffer_too_small`). After an error the
   * bytes past `offset` and the file pointer are unspecified.
   */
  async readPortInto(port: RemotePort, buffer: Uint8Array, offset = 0): Promise<number> {
    const into = new IntoLanding(buffer, offset);
    for await (const bytes of this.pieces(port, (size) => into.reserve(size), into)) {
      try {
        into.put(bytes);
      } finally {
        releaseReceived(bytes);
      }
    }
    return into.total;
  }

  /** The whole file at `path` into `buffer` from byte `offset` (default 0): `readPortInto` on a fresh open. */
  async readInto(path: string, buffer: Uint8Array, offset = 0): Promise<number> {
    checkInto(buffer, offset); // bad arguments fail before any RPC
    const port = await this.lookup(path, O_READ);
    try {
      return await this.readPortInto(port, buffer, offset);
    } finally {
      this.release(port);
    }
  }

  /**
   * Give back the out-of-line bytes of a reply (`call`/`rawCall`'s `ool`)
   * once done with them, as a Mach receiver vm_deallocates received
   * memory: a later reply may land in the same buffer, so never touch
   * `bytes` afterwards. Returns whether they were a link receive buffer
   * (anything else is left to the garbage collector).
   */
  releaseOol(bytes: Uint8Array): boolean {
    return releaseReceived(bytes);
  }

  /**
   * readPort's io_reads, their data in file order (see readPort). `onSize`
   * hears the total expected, once known from io_stat.
   */
  private async *pieces(
    port: RemotePort, onSize?: (total: number) => void, into?: { window(at: number, amount: number): Uint8Array | undefined },
  ): AsyncGenerator<Uint8Array, void, undefined> {
    let first = await this.ioRead(port, -1n, FIRST_READ);
    if (first.length === FIRST_READ) {
      const got = first.length;
      yield first;
      const [pos, size] = await Promise.all([
        this.call(port, 'io_seek', { offset: 0n, whence: SEEK_CUR }).then((r) => BigInt(r.args['newp'] as bigint), (e: unknown) => {
          // ESPIPE (or any error the object answers): not seekable, so read on sequentially.
          if (e instanceof NetmsgServerError && e.code === 'rpc_failed' && e.kern !== undefined) return null;
          throw e;
        }),
        this.statPort(port).then((st) => st.size, () => null),
      ]);
      if (pos !== null) {
        if (size !== null && size > pos) onSize?.(Number(BigInt(got) + size - pos));
        // Each bulk io_read's answer may be read from the socket into its place in the result (`into`).
        const land = into === undefined ? undefined : (offset: bigint, amount: number) => into.window(got + Number(offset - pos), amount);
        const end = yield* readAhead((offset, amount) => this.ioRead(port, offset, amount, land?.(offset, amount)), pos);
        await this.call(port, 'io_seek', { offset: end, whence: SEEK_SET });
        return;
      }
      first = await this.ioRead(port, -1n, FIRST_READ);
    }
    for (let bytes = first; bytes.length > 0; bytes = await this.ioRead(port, -1n, FIRST_READ)) yield bytes;
  }

  /**
   * One io_read: its data, inline or out-of-line (copied out of a message
   * buffer when inline). `window`: memory its out-of-line answer may be read
   * into straight from the socket (cluster/reply-landing.ts); the data is
   * then a view of it. Returns only once nothing more is written there.
   */
  private async ioRead(port: RemotePort, offset: bigint, amount: number, window?: Uint8Array): Promise<Uint8Array> {
    const landing = window !== undefined && window.length > 0 ? this.session.node.landings?.expect(window, this.io.routine('io_read').replyId!) : undefined;
    let r: { args: MigArgs; ool: Uint8Array[] };
    try {
      r = await this.call(port, 'io_read', { offset, amount: BigInt(amount) }, 'io_read', landing);
    } finally {
      if (landing !== undefined) await landing.close();
    }
    const d = r.args['data'];
    return d instanceof Uint8Array && d.length > 0 ? d.slice() : (r.ool[0] ?? new Uint8Array(0));
  }

  /** The whole file at `path`. */
  async read(path: string, onProgress?: (bytes: number) => void): Promise<Uint8Array> {
    const port = await this.lookup(path, O_READ);
    try {
      return await this.readPort(port, onProgress);
    } finally {
      this.release(port);
    }
  }

  /** Open as open(2) would (a port to use with readPort/writePort/seek/statPort; release it after). */
  async open(path: string, flags = O_READ, mode = 0o644): Promise<RemotePort> {
    return this.lookup(path, flags, mode);
  }

  /**
   * Write all of `data` to an open file at `offset` (default: its file
   * pointer), io_write in WRITE_CHUNK pieces, resuming after short writes.
   */
  async writePort(port: RemotePort, data: Uint8Array, offset?: bigint, onProgress?: (bytes: number) => void): Promise<number> {
    let done = 0;
    while (done < data.length) {
      const chunk = data.subarray(done, Math.min(data.length, done + WRITE_CHUNK));
      const at = offset === undefined ? -1n : offset + BigInt(done);
      const r = await this.call(port, 'io_write', { data: chunk, offset: at });
      const n = Number(r.args['amount']);
      if (!(n > 0)) throw new NetmsgServerError('rpc_failed', `io_write wrote ${n} of ${chunk.length} bytes`, HurdErrno.EIO);
      done += n;
      onProgress?.(done);
    }
    return done;
  }

  /** Create or replace the file at `path` with `data` (O_WRITE|O_CREAT|O_TRUNC, then io_write). */
  async write(path: string, data: Uint8Array, options: { mode?: number; onProgress?: (bytes: number) => void } = {}): Promise<void> {
    const port = await this.lookup(path, O_WRITE | O_CREAT | O_TRUNC, options.mode ?? 0o644);
    try {
      await this.writePort(port, data, 0n, options.onProgress);
    } finally {
      this.release(port);
    }
  }

  async statPort(port: RemotePort): Promise<HurdStat> {
    const r = await this.call(port, 'io_stat', {});
    return unpackStat(r.args['stat_info'] as (number | bigint)[], this.abi);
  }

  /** io_stat of `path`; a final symlink is followed unless `nofollow` (then the link itself, as lstat). */
  async stat(path: string, options: { nofollow?: boolean } = {}): Promise<HurdStat> {
    const port = await this.lookup(path, options.nofollow ? O_NOLINK : 0);
    try {
      return await this.statPort(port);
    } finally {
      this.release(port);
    }
  }

  async seek(port: RemotePort, offset: bigint, whence: number): Promise<bigint> {
    const r = await this.call(port, 'io_seek', { offset, whence });
    return BigInt(r.args['newp'] as bigint);
  }

  /** Entries of the directory at `path`, without `.` and `..`. */
  async readdir(path: string): Promise<DirEntry[]> {
    const port = await this.lookup(path, O_READ);
    try {
      const out: DirEntry[] = [];
      for (let entry = 0; ; ) {
        const r = await this.call(port, 'dir_readdir', { entry, nentries: -1, bufsiz: 0n }, `readdir ${path}`);
        const n = Number(r.args['amount']);
        if (n === 0) break;
        const d = r.args['data'];
        const buf = d instanceof Uint8Array ? d : (r.ool[0] ?? new Uint8Array(0));
        out.push(...decodeDirents(buf, n));
        entry += n;
      }
      return out.filter((e) => e.name !== '.' && e.name !== '..');
    } finally {
      this.release(port);
    }
  }

  /**
   * glibc's hurd_file_name_split: a port to the directory holding the last
   * component of `path`, and that component. Run `f`, then drop the port.
   */
  private async inParent<T>(path: string, f: (dir: RemotePort, name: string) => Promise<T>): Promise<T> {
    const trimmed = path.replace(/\/+$/, '').replace(/^\/+/, '');
    const i = trimmed.lastIndexOf('/');
    const name = trimmed.slice(i + 1);
    if (name === '') throw new NetmsgServerError('rpc_failed', `${path}: EINVAL (no last component)`, HurdErrno.EINVAL);
    const dir = i < 0 ? await this.root() : await this.lookup(trimmed.slice(0, i), 0);
    try {
      return await f(dir, name);
    } finally {
      if (dir !== this.rootPort) this.release(dir);
    }
  }

  /** dir_mkdir. */
  async mkdir(path: string, mode = 0o755): Promise<void> {
    await this.inParent(path, (dir, name) => this.call(dir, 'dir_mkdir', { name, mode }, `mkdir ${path}`));
  }

  /** dir_rmdir. */
  async rmdir(path: string): Promise<void> {
    await this.inParent(path, (dir, name) => this.call(dir, 'dir_rmdir', { name }, `rmdir ${path}`));
  }

  /** dir_unlink. */
  async unlink(path: string): Promise<void> {
    await this.inParent(path, (dir, name) => this.call(dir, 'dir_unlink', { name }, `unlink ${path}`));
  }

  /** dir_rename; `excl`: fail with EEXIST rather than replace. */
  async rename(from: string, to: string, options: { excl?: boolean } = {}): Promise<void> {
    await this.inParent(from, (oldDir, oldname) => this.inParent(to, (newDir, newname) => this.call(oldDir, 'dir_rename', {
      oldname, newdirectory: { name: newDir, disposition: 19 }, newname, excl: options.excl ? 1 : 0,
    }, `rename ${from} ${to}`)));
  }

  /** dir_link: `to` becomes another name of the file at `from`; `excl` (default true): EEXIST rather than replace. */
  async hardlink(from: string, to: string, options: { excl?: boolean } = {}): Promise<void> {
    const file = await this.lookup(from, O_NOLINK);
    try {
      await this.inParent(to, (dir, name) => this.call(dir, 'dir_link', {
        file: { name: file, disposition: 19 }, name, excl: options.excl === false ? 0 : 1,
      }, `link ${from} ${to}`));
    } finally {
      this.release(file);
    }
  }

  /** Set the size of the file at `path` (file_set_size on a port opened for writing). */
  async truncate(path: string, size = 0n): Promise<void> {
    const port = await this.lookup(path, O_WRITE);
    try {
      await this.call(port, 'file_set_size', { new_size: size }, `truncate ${path}`);
    } finally {
      this.release(port);
    }
  }

  /** file_chmod (permission bits). */
  async chmod(path: string, mode: number): Promise<void> {
    const port = await this.lookup(path, 0);
    try {
      await this.call(port, 'file_chmod', { new_mode: mode }, `chmod ${path}`);
    } finally {
      this.release(port);
    }
  }

  /** file_chown; -1 leaves a field unchanged. */
  async chown(path: string, uid: number, gid: number): Promise<void> {
    const port = await this.lookup(path, 0);
    try {
      await this.call(port, 'file_chown', { new_owner: uid >>> 0, new_group: gid >>> 0 }, `chown ${path}`);
    } finally {
      this.release(port);
    }
  }

  /** file_utimens: each time is 'now', 'omit', or seconds + nanoseconds. */
  async utimens(path: string, atime: TimeSpec, mtime: TimeSpec): Promise<void> {
    const ts = (t: TimeSpec): bigint[] => t === 'now' ? [0n, BigInt.asUintN(64, -1n)] : t === 'omit' ? [0n, BigInt.asUintN(64, -2n)]
      : [BigInt.asUintN(64, BigInt(t.sec)), BigInt(t.nsec ?? 0)];
    // timespec_t is two longs: 32-bit words on i386 (UTIME_NOW stays -1).
    const words = (t: TimeSpec): (bigint | number)[] => this.abi === 'i386' ? ts(t).map((w) => Number(BigInt.asIntN(32, w))) : ts(t);
    const port = await this.lookup(path, 0);
    try {
      await this.call(port, 'file_utimens', { new_atime: words(atime), new_mtime: words(mtime) }, `utimens ${path}`);
    } finally {
      this.release(port);
    }
  }

  /**
   * Make `path` a symlink to `target` as glibc's symlink() does (§5.4):
   * dir_mkfile, file_set_translator("/hurd/symlink\0target\0"), dir_link.
   */
  async symlink(target: string, path: string): Promise<void> {
    await this.inParent(path, async (dir, name) => {
      const made = await this.call(dir, 'dir_mkfile', { flags: O_WRITE, mode: 0o777 }, `symlink ${path}`);
      const node = portOf(made.args['newnode']);
      try {
        const passive = new TextEncoder().encode(`/hurd/symlink\0${target}\0`);
        await this.call(node, 'file_set_translator', {
          passive_flags: 2 | 4, active_flags: 2 | 4, oldtrans_flags: 0, passive, active: { name: 0, disposition: 19 },
        }, `symlink ${path}`);
        await this.call(dir, 'dir_link', { file: { name: node, disposition: 19 }, name, excl: 1 }, `symlink ${path}`);
      } finally {
        this.release(node);
      }
    });
  }

  /** The target of the symlink at `path` (glibc's readlink: O_NOLINK open, io_stat, io_read). */
  async readlink(path: string): Promise<string> {
    const port = await this.lookup(path, O_READ | O_NOLINK);
    try {
      const st = await this.statPort(port);
      if ((st.mode & S_IFMT) !== S_IFLNK) throw new NetmsgServerError('rpc_failed', `readlink ${path}: EINVAL (not a symlink)`, HurdErrno.EINVAL);
      return new TextDecoder().decode(await this.readPort(port));
    } finally {
      this.release(port);
    }
  }

  /** End the link with a reason (a CLOSE frame), then stop the client's node. */
  async close(reason = 'client done'): Promise<void> {
    this.session.link.close('normal', reason);
    this.onClosed(reason);
    await this.releasing;
    await this.session.node.close(reason);
  }
}

function portOf(v: unknown): RemotePort {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'number') return (v as { name: number }).name;
  throw new NetmsgServerError('bad_reply', 'reply carries no port');
}
