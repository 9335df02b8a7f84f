import { randomInt } from 'node:crypto';
import type { Abi } from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';
import { NetmsgServerError } from './errors.js';
import { CONTROL_PORT } from './fs-export.js';
import { DEFAULT_PORT, parseHostPort } from './options.js';
import { readSecretFile } from './secret.js';
import type { TcpLink } from './tcp-link.js';
import { ClusterNode, type KernelBackend } from './cluster/cluster-node.js';
import { MigUser } from './cluster/mig-user.js';
import { FsClient } from './client.js';
import { dialTransport, formatAddress, loadTlsMaterial, parseDialUrl, type TlsFiles, type TlsMaterial } from './transport/index.js';

/* connect(): dial a node, start the client's own small node, and hand back an FsClient (client.ts). */

export interface ConnectOptions {
  /** The shared secret (string or bytes). */
  secret?: string | Uint8Array;
  /** A file holding it (the node's secret file). */
  secretFile?: string;
  /** This end's node id (default random). */
  nodeId?: number;
  /** Per-RPC and connect bound, ms (default 30 s). */
  timeoutMs?: number;
  /** TLS 1.3 with this end's certificate (file names or loaded PEM); the node's must chain to `ca` and name the host. */
  tls?: TlsFiles | TlsMaterial;
  /** Certificates alone authenticate the link (the node runs with tlsOnly): no secret. */
  tlsOnly?: boolean;
  /**
   * The ABI of the client's kernel and task (default x86_64): requests are
   * built and replies decoded with this ABI's MIG layouts, whatever the
   * node's; netmsg fits the ABI-dependent types on delivery (cluster/mig-abi.ts).
   */
  abi?: Abi;
  /**
   * hurd-ffi backend of the client's kernel (default 'sim'): 'gnumach' runs
   * the client's netmsg task and MIG user task on the real GNU Mach (QEMU),
   * so a `mapFile` there is a real kernel's vm_map of the node's pager.
   */
  kernel?: KernelBackend;
  /**
   * Called with the client's kernel as soon as it is opened, before connect
   * waits on it: a caller can watch a real kernel (its boot, then the
   * client's first calls through it) while connect runs, as the gnumach
   * tests do to wait only while the guest makes progress.
   */
  kernelOpened?(kernel: MachKernel): void;
}

/** `netmsg://host:port`, `host:port` or `host`. */
export function parseNodeUrl(url: string): { host: string; port: number } {
  const m = /^(?:netmsg(?:\+tcp)?:\/\/)?([^/]*)\/?$/.exec(url);
  if (!m || m[1] === '') throw new NetmsgServerError('bad_url', `not a node address: '${url}' (want netmsg://HOST[:PORT])`);
  return parseHostPort(m[1]!, { host: '127.0.0.1', port: DEFAULT_PORT });
}

/**
 * Open a link to a node and authenticate; resolves once the handshake
 * succeeded. `url`: `netmsg://HOST[:PORT]`, `HOST[:PORT]`, `netmsg+tls://…`
 * (needs `tls`), `unix:/PATH`.
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<FsClient> {
  const target = parseDialUrl(url);
  if (target.tls && !options.tls) throw new NetmsgServerError('bad_option', `connect ${url}: netmsg+tls needs the tls option (cert, key, ca)`);
  if (options.tlsOnly && !options.tls) throw new NetmsgServerError('bad_option', 'connect: tlsOnly needs the tls option (cert, key, ca)');
  let secret: Uint8Array | undefined;
  if (options.tlsOnly) secret = undefined;
  else if (options.secret !== undefined) secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  else if (options.secretFile !== undefined) secret = readSecretFile(options.secretFile);
  else throw new NetmsgServerError('secret', 'connect: pass secret or secretFile (the node prints where its secret is)');
  const tls = options.tls === undefined ? undefined : 'files' in options.tls ? options.tls : loadTlsMaterial(options.tls);
  const nodeId = options.nodeId ?? randomInt(1, 0x7fffffff);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const where = formatAddress(target.address);
  // The client is a small node of its own: a kernel, a netmsg task run by a
  // NetmsgNode, and a task acting as the MIG user, so replies and rights are real.
  // It is made before dialling: a kernel that boots for seconds ('gnumach',
  // QEMU) must not spend the node's handshake window (10 s by default) on an
  // open socket; one that cannot start (kernel_unavailable) dials nothing.
  const node = await ClusterNode.create({
    nodeId, ...(options.abi ? { abi: options.abi } : {}), ...(options.kernel ? { kernel: options.kernel } : {}),
    ...(options.kernelOpened ? { kernelOpened: options.kernelOpened } : {}),
  });
  let task: TaskId;
  let stream: Awaited<ReturnType<typeof dialTransport>>;
  try {
    task = await node.kernel.taskCreate({ name: 'client' });
    stream = await dialTransport(target.address, { timeoutMs, ...(tls ? { tls } : {}) });
  } catch (e) {
    await node.close();
    throw e;
  }
  const socket = stream.socket;
  const linkSecret = secret ?? stream.channelSecret;
  if (!linkSecret) {
    socket.destroy();
    await node.close();
    throw new NetmsgServerError('secret', `connect ${where}: no secret and no TLS session to key the link`);
  }
  return new Promise<FsClient>((resolve, reject) => {
    let client: FsClient | undefined;
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      void node.close();
      reject(e);
    };
    const timer = setTimeout(() => fail(new NetmsgServerError('timeout', `connect ${where}: no handshake within ${timeoutMs} ms`)), timeoutMs);
    const link: TcpLink = node.attach(socket, {
      secret: linkSecret,
      handshakeTimeoutMs: timeoutMs,
      onUp: (peer, joined) => {
        if (!joined) return fail(new NetmsgServerError('connect_failed', `connect ${where}: node id ${peer.node} refused`));
        // The server's root (its export's control port) as CONTROL_PORT in the client task; on GNU Mach
        // where the kernel puts it (the task's worker threads already hold low names there).
        node.remoteRoot(peer.node, task, node.kernel.backend === 'sim' ? CONTROL_PORT : undefined).then(
          (root) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            client = new FsClient({ link, node, task, user: new MigUser(node.kernel, task), control: root.name }, nodeId, peer.node, timeoutMs);
            resolve(client);
          },
          (e: unknown) => fail(new NetmsgServerError('connect_failed', `connect ${where}: ${(e as Error).message}`)),
        );
      },
      onDown: (info) => {
        client?.onClosed(`${info.code}: ${info.reason}`);
        fail(new NetmsgServerError('connect_failed', `connect ${where}: ${info.code}: ${info.reason}`));
      },
    });
  });
}
