import { randomInt } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { resolve } from 'node:path';
import { lookupMsgId } from 'mach-msg';
import { NetmsgServerError } from './errors.js';
import { openKernel } from 'hurd-ffi';
import { DirectRoute } from './direct-route.js';
import { KernelRoute } from './kernel-route.js';
import { hurdErrorName } from './errno.js';
import { createLogger, type Logger } from './log.js';
import { DEFAULT_HOST, DEFAULT_PORT, isLoopback, parseNodeOptions, type NodeOptionsInput } from './options.js';
import { defaultSecretFile, loadOrCreateSecret, readSecretFile } from './secret.js';
import { TcpLink } from './tcp-link.js';

type LinkRoute = DirectRoute | KernelRoute;

export interface RunningNode {
  /** This node's id on links. */
  readonly nodeId: number;
  readonly host: string;
  /** The bound port (useful with `listen` port 0). */
  readonly port: number;
  readonly exportDir: string;
  readonly readOnly: boolean;
  /** The secret file used, if the secret came from one. */
  readonly secretFile: string | undefined;
  /** True when this run generated the secret file. */
  readonly secretCreated: boolean;
  /** Links currently up (authenticated). */
  linkCount(): number;
  /** How requests reach the export: through the simulated kernel, or directly. */
  readonly route: 'kernel' | 'direct';
  /**
   * Per live link, the ports it holds on this node: names in the link's
   * fs-export task as the kernel counts them ('kernel'), or the export's
   * table ('direct'). Both include the control port.
   */
  portCounts(): Promise<number[]>;
  /** End every link with `reason`, stop listening. */
  close(reason?: string): Promise<void>;
}

export interface StartNodeExtras {
  /** Logger to use instead of one built from logLevel/logJson. */
  logger?: Logger;
}

/**
 * Start a node: listen for links, and on each authenticated link serve the
 * filesystem export behind the link's control port (the seed's front door:
 * `fsys_getroot` on the control port gives the export's root directory).
 */
export async function startNode(input: NodeOptionsInput = {}, extras: StartNodeExtras = {}): Promise<RunningNode> {
  const o = parseNodeOptions(input);
  const log = extras.logger ?? createLogger({ level: o.logLevel ?? 'info', json: o.logJson ?? false });
  const exportDir = resolve(o.export ?? process.cwd());
  if (!existsSync(exportDir) || !statSync(exportDir).isDirectory()) {
    throw new NetmsgServerError('bad_option', `option 'export': ${exportDir} is not a directory`);
  }
  const listen = o.listen ?? { host: DEFAULT_HOST, port: DEFAULT_PORT };
  const explicitSecret = o.secret !== undefined || o.secretFile !== undefined;
  if (!isLoopback(listen.host) && !explicitSecret) {
    throw new NetmsgServerError(
      'insecure_listen',
      `refusing to listen on non-loopback address ${listen.host} without an explicit secret: pass --secret-file FILE (the same file on every node)`,
    );
  }
  let secret: Uint8Array;
  let secretFile: string | undefined;
  let secretCreated = false;
  if (o.secret !== undefined) {
    secret = typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : o.secret;
  } else if (o.secretFile !== undefined) {
    secretFile = resolve(o.secretFile);
    secret = readSecretFile(secretFile);
  } else {
    secretFile = defaultSecretFile();
    const s = loadOrCreateSecret(secretFile);
    secret = s.secret;
    secretCreated = s.created;
  }
  const readOnly = !(o.readWrite ?? false);
  const nodeId = o.nodeId ?? randomInt(1, 0x7fffffff);
  const links = new Set<TcpLink>();
  const drains = new Set<() => Promise<unknown>>();
  const routes = new Map<TcpLink, () => LinkRoute | undefined>();
  // The node's kernel: the simulated GNU Mach of hurd-ffi, unless told to bypass it.
  const kernel = (o.route ?? 'kernel') === 'kernel' ? openKernel({ abi: 'x86_64' }) : undefined;
  /** Every socket's link, authenticated or not, so close() can end them all. */
  const all = new Set<TcpLink>();
  let closing = false;

  const server: Server = createServer((socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let route: LinkRoute | undefined;
    // One request at a time per link, in arrival order (a Mach port's queue is FIFO).
    let chain: Promise<unknown> = Promise.resolve();
    const enqueue = (f: () => Promise<unknown>): void => {
      chain = chain.then(f).catch((e: unknown) => log.error('link service failed', { remote, error: String(e) }));
    };
    const link: TcpLink = new TcpLink(socket, { node: nodeId, secret, log }, {
      established: (peer) => {
        links.add(link);
        log.info('link up', { remote, peer: peer.node, abi: peer.abi });
        const exportOpts = { root: exportDir, readOnly, log, ...(o.maxPortsPerLink !== undefined ? { maxPorts: o.maxPortsPerLink } : {}) };
        enqueue(async () => {
          route = kernel ? await KernelRoute.create(kernel, exportOpts) : new DirectRoute(exportOpts);
        });
      },
      message: (wm) => {
        enqueue(async () => {
          if (!route || link.isClosed) return;
          if (wm.dest.id.node !== nodeId) return; // not ours: this node does not forward (no 3+ node links yet)
          const reply = await route.serve(wm, nodeId);
          const first = reply?.items[0];
          const ret = first?.kind === 'data' && first.data.length === 4 ? new DataView(first.data.buffer, first.data.byteOffset).getInt32(0, true) : 0;
          log.debug('rpc', { remote, id: wm.msgId, routine: lookupMsgId(wm.msgId)?.routine ?? 'unknown', ret: ret === 0 ? 'ok' : hurdErrorName(ret) });
          if (reply && !link.isClosed) link.send(reply);
        });
      },
      control: (c) => {
        if (c.t === 'release' && c.node === nodeId) enqueue(async () => route?.release(c.serial));
      },
      closed: (info) => {
        links.delete(link);
        all.delete(link);
        routes.delete(link);
        if (info.code === 'auth_failed' || (info.code !== 'normal' && !link.peer)) {
          log.warn('peer refused', { remote, code: info.code, reason: info.reason });
          return;
        }
        enqueue(async () => {
          const r = route;
          route = undefined;
          const ports = Math.max(0, (r?.fsx.livePorts ?? 1) - 1); // the control port is not the client's
          const rpcs = r ? [...r.fsx.counts.values()].reduce((a, b) => a + b, 0) : 0;
          await r?.close();
          log.info('link down', { remote, code: info.code, reason: info.reason, portsFreed: ports, rpcs });
        });
      },
    });
    all.add(link);
    drains.add(() => chain);
    routes.set(link, () => route);
  });

  await new Promise<void>((res, rej) => {
    server.once('error', (e) => rej(new NetmsgServerError('bad_option', `option 'listen': cannot listen on ${listen.host}:${listen.port}: ${e.message}`)));
    server.listen(listen.port, listen.host, () => res());
  });
  const addr = server.address() as AddressInfo;
  log.info('listening', { host: listen.host, port: addr.port, export: exportDir, readOnly, node: nodeId, ...(secretFile ? { secretFile } : {}) });

  return {
    nodeId,
    host: listen.host,
    port: addr.port,
    exportDir,
    readOnly,
    secretFile,
    secretCreated,
    linkCount: () => links.size,
    route: kernel ? 'kernel' : 'direct',
    portCounts: async () => {
      await Promise.all([...drains].map((d) => d()));
      const out: number[] = [];
      for (const get of routes.values()) {
        const r = get();
        if (r instanceof KernelRoute) out.push(await r.serverPortCount());
        else if (r) out.push(r.fsx.livePorts);
      }
      return out;
    },
    close: async (reason = 'node shutting down') => {
      closing = true;
      const done = new Promise<void>((res) => server.close(() => res()));
      for (const l of [...all]) l.close('normal', reason);
      await done;
      await Promise.all([...drains].map((d) => d()));
      await kernel?.close();
      log.info('stopped', { reason });
    },
  };
}

