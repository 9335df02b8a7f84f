import { randomInt } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { getBuiltinInterface, type CompiledInterface, type MachMessage, type MigArgs } from 'mach-msg';
import type { PortRef, WireMessage } from 'netmsg-wire';
import { hurdErrorName } from './errno.js';
import { NetmsgServerError } from './errors.js';
import {
  decodeDirents, FS_RETRY_MAGICAL, FS_RETRY_NORMAL, O_READ, unpackStatX86_64, type DirEntry, type HurdStat,
} from './hurd-types.js';
import { CONTROL_PORT } from './fs-export.js';
import { DEFAULT_PORT, parseHostPort } from './options.js';
import { readSecretFile } from './secret.js';
import { TcpLink } from './tcp-link.js';
import { machToWire, wireToMach } from './wire-bridge.js';

/** A send right to a port on the remote node, named by its serial there. */
export type RemotePort = number;

export interface ConnectOptions {
  /** The shared secret (string or bytes). */
  secret?: string | Uint8Array;
  /** A file holding it (the node's secret file). */
  secretFile?: string;
  /** This end's node id (default random). */
  nodeId?: number;
  /** Per-RPC and connect bound, ms (default 30 s). */
  timeoutMs?: number;
}

/** `netmsg://host:port`, `host:port` or `host`. */
export function parseNodeUrl(url: string): { host: string; port: number } {
  const m = /^(?:netmsg(?:\+tcp)?:\/\/)?([^/]*)\/?$/.exec(url);
  if (!m || m[1] === '') throw new NetmsgServerError('bad_url', `not a node address: '${url}' (want netmsg://HOST[:PORT])`);
  return parseHostPort(m[1]!, { host: '127.0.0.1', port: DEFAULT_PORT });
}

const REPLY_BASE = 0x40000000;
const MAX_RETRIES = 32;
const READ_CHUNK = 64 * 1024;

/**
 * A Hurd filesystem client over one link. Every method is real Hurd RPCs:
 * MIG-layout requests built with mach-msg's compiled fsys/fs/io interfaces,
 * carried as netmsg-wire messages, replies checked as MIG's user stubs check them.
 */
export class FsClient {
  private readonly fsys: CompiledInterface = getBuiltinInterface('fsys', 'x86_64');
  private readonly fs: CompiledInterface = getBuiltinInterface('fs', 'x86_64');
  private readonly io: CompiledInterface = getBuiltinInterface('io', 'x86_64');
  private nextReply = REPLY_BASE;
  private readonly pending = new Map<number, { resolve: (m: { msg: MachMessage; ool: Uint8Array[] }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private rootPort: RemotePort | undefined;
  private closedError: Error | undefined;
  /** RPCs sent on this link. */
  rpcCount = 0;

  /** @internal use `connect`. */
  constructor(
    private readonly link: TcpLink,
    readonly nodeId: number,
    readonly serverNode: number,
    private readonly timeoutMs: number,
  ) {}

  /** @internal */
  onMessage(wm: WireMessage): void {
    const p = this.pending.get(wm.dest.id.serial);
    if (!p || wm.dest.id.node !== this.nodeId) return;
    this.pending.delete(wm.dest.id.serial);
    clearTimeout(p.timer);
    try {
      p.resolve(wireToMach(wm, 'x86_64', wm.dest.id.serial, (ref) => (ref.id.node === this.serverNode ? ref.id.serial : 0)));
    } catch (e) {
      p.reject(new NetmsgServerError('bad_reply', `undecodable reply: ${(e as Error).message}`));
    }
  }

  /** @internal */
  onClosed(reason: string): void {
    this.closedError = new NetmsgServerError('link_closed', `link closed: ${reason}`);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(this.closedError);
    }
    this.pending.clear();
  }

  /** Send one request message (send orientation, remotePort = a RemotePort) and wait for its reply. */
  rawCall(msg: MachMessage, ool: readonly Uint8Array[] = []): Promise<{ msg: MachMessage; ool: Uint8Array[] }> {
    if (this.closedError) return Promise.reject(this.closedError);
    const reply = this.nextReply++;
    const dest = msg.header.remotePort;
    const withReply: MachMessage = { ...msg, header: { ...msg.header, localPort: reply, bits: { ...msg.header.bits, local: 21 } } };
    const wm = machToWire(withReply, ool, { right: 'send', id: { node: this.serverNode, serial: dest } }, (name, right): PortRef =>
      name === reply ? { tag: 'port', right: 'sendOnce', id: { node: this.nodeId, serial: reply } }
        : { tag: 'port', right: right === 'receive' ? 'send' : right, id: { node: this.serverNode, serial: name } },
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reply);
        reject(new NetmsgServerError('timeout', `no reply to message ${msg.header.id} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(reply, { resolve, reject, timer });
      this.rpcCount++;
      try {
        this.link.send(wm);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(reply);
        reject(new NetmsgServerError('link_closed', (e as Error).message));
      }
    });
  }

  /** A routine of fsys/fs/io by name: encode as MIG's user stub, decode and check the reply, throw on RetCode != 0. */
  async call(port: RemotePort, routine: string, args: MigArgs, what = routine): Promise<{ args: MigArgs; ool: Uint8Array[] }> {
    const iface = [this.fsys, this.fs, this.io].find((i) => i.byName.has(routine));
    if (!iface) throw new NetmsgServerError('rpc_failed', `unknown routine ${routine}`);
    const r = iface.routine(routine);
    const outOfLine: Uint8Array[] = [];
    const req = r.encodeRequest(args, {
      header: { remotePort: port },
      // MIG's user stub sends arrays over 2048 bytes out-of-line; the bytes travel in OOL_CHUNK frames.
      placeOutOfLine: (data) => {
        outOfLine.push(data.slice());
        return BigInt(outOfLine.length) << 12n;
      },
    });
    const { msg, ool } = await this.rawCall(req, outOfLine);
    const dec = r.decodeReply(msg);
    if (dec.retCode !== 0) throw new NetmsgServerError('rpc_failed', `${what}: ${hurdErrorName(dec.retCode)}`, dec.retCode);
    return { args: dec.args, ool };
  }

  /** fsys_getroot on the link's control port: the export's root directory. */
  async root(): Promise<RemotePort> {
    if (this.rootPort === undefined) {
      const r = await this.call(CONTROL_PORT, 'fsys_getroot', {
        dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ,
      });
      this.rootPort = portOf(r.args['file']);
    }
    return this.rootPort;
  }

  /**
   * Open `path` (relative to the export root) as glibc's hurd_file_name_lookup
   * does: dir_lookup, following FS_RETRY_NORMAL continuations and
   * FS_RETRY_MAGICAL "/..." (restart at the root, which is the export's).
   */
  async lookup(path: string, flags = O_READ): Promise<RemotePort> {
    let start = await this.root();
    let name = path;
    for (let i = 0; i < MAX_RETRIES; i++) {
      const r = await this.call(start, 'dir_lookup', { file_name: name, flags, mode: 0 }, `lookup ${path}`);
      const retry = Number(r.args['do_retry']);
      const rest = String(r.args['retry_name'] ?? '');
      const result = portOf(r.args['result']);
      if (start !== this.rootPort) this.release(start);
      if (retry === FS_RETRY_NORMAL && rest === '') return result;
      if (retry === FS_RETRY_NORMAL) {
        start = result;
        name = rest;
      } else if (retry === FS_RETRY_MAGICAL && rest.startsWith('/')) {
        if (result !== 0) this.release(result);
        start = await this.root();
        name = rest;
      } else {
        if (result !== 0) this.release(result);
        throw new NetmsgServerError('rpc_failed', `lookup ${path}: unsupported retry ${retry} '${rest}'`);
      }
    }
    throw new NetmsgServerError('rpc_failed', `lookup ${path}: ELOOP`, 0x4000003e);
  }

  /** Drop our send right (netmsg-wire RELEASE), so the node can free the port. */
  release(port: RemotePort): void {
    if (port === CONTROL_PORT || port === 0 || this.closedError || this.link.isClosed) return;
    this.link.sendControl({ t: 'release', node: this.serverNode, serial: port, n: 1 });
  }

  async readPort(port: RemotePort, onProgress?: (bytes: number) => void): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const r = await this.call(port, 'io_read', { offset: -1n, amount: BigInt(READ_CHUNK) });
      const d = r.args['data'];
      const bytes = d instanceof Uint8Array ? d : (r.ool[0] ?? new Uint8Array(0));
      if (bytes.length === 0) break;
      parts.push(bytes.slice());
      total += bytes.length;
      onProgress?.(total);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
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

  async statPort(port: RemotePort): Promise<HurdStat> {
    const r = await this.call(port, 'io_stat', {});
    return unpackStatX86_64(r.args['stat_info'] as bigint[]);
  }

  async stat(path: string): Promise<HurdStat> {
    const port = await this.lookup(path, 0);
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

  /** End the link with a reason. */
  close(reason = 'client done'): void {
    this.link.close('normal', reason);
  }
}

function portOf(v: unknown): RemotePort {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'number') return (v as { name: number }).name;
  throw new NetmsgServerError('bad_reply', 'reply carries no port');
}

/** Open a link to a node and authenticate; resolves once the handshake succeeded. */
export function connect(url: string, options: ConnectOptions = {}): Promise<FsClient> {
  const { host, port } = parseNodeUrl(url);
  let secret: Uint8Array;
  if (options.secret !== undefined) secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  else if (options.secretFile !== undefined) secret = readSecretFile(options.secretFile);
  else return Promise.reject(new NetmsgServerError('secret', 'connect: pass secret or secretFile (the node prints where its secret is)'));
  const nodeId = options.nodeId ?? randomInt(1, 0x7fffffff);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    let client: FsClient | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      if (!settled) {
        settled = true;
        socket.destroy();
        reject(new NetmsgServerError('timeout', `connect ${host}:${port}: no handshake within ${timeoutMs} ms`));
      }
    }, timeoutMs);
    const link = new TcpLink(socket, { node: nodeId, secret, handshakeTimeoutMs: timeoutMs }, {
      established: (peer) => {
        clearTimeout(timer);
        client = new FsClient(link, nodeId, peer.node, timeoutMs);
        settled = true;
        resolve(client);
      },
      message: (wm) => client?.onMessage(wm),
      closed: (info) => {
        clearTimeout(timer);
        client?.onClosed(`${info.code}: ${info.reason}`);
        if (!settled) {
          settled = true;
          reject(new NetmsgServerError('connect_failed', `connect ${host}:${port}: ${info.code}: ${info.reason}`));
        }
      },
    });
  });
}
