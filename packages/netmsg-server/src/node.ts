import { randomInt } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Clock, MachKernel, TaskId } from 'hurd-ffi';
import { NetmsgServerError } from './errors.js';
import { ClusterNode } from './cluster/cluster-node.js';
import type { MapService } from './pager/map-service.js';
import { lateMapService } from './pager/node-maps.js';
import { createLogger, type Logger } from './log.js';
import { checkListenSecurity, credentialsOf, listenAddresses, parseNodeOptions, tlsFilesOf, type NodeOptionsInput } from './options.js';
import {
  dialTransport, formatAddress, isUnixAddress, listenTransport, loadTlsMaterial, parseTransportAddress,
  type AcceptedStream, type TransportAddress, type TransportKind, type TransportListener,
} from './transport/index.js';
import { defaultSecretFile, loadOrCreateSecret, readSecretFile } from './secret.js';
import type { TcpLink } from './tcp-link.js';

export interface RunningNode {
  /** This node's id on links. */
  readonly nodeId: number;
  readonly host: string;
  /** The bound port (useful with `listen` port 0); 0 on a Unix socket. */
  readonly port: number;
  /** Where clients dial: `host:port`, `[v6]:port` or `unix:/path`. */
  readonly address: string;
  /** The listener's transport: 'tcp', 'tls' (TLS 1.3, mutual certificates) or 'unix'. */
  readonly transport: TransportKind;
  /**
   * Every listener, in the order of the `listen` option (`host`, `port`,
   * `address` and `transport` above are the first one's).
   */
  readonly listeners: readonly NodeListener[];
  readonly exportDir: string;
  readonly readOnly: boolean;
  /** The secret file used, if the secret came from one. */
  readonly secretFile: string | undefined;
  /** True when this run generated the secret file. */
  readonly secretCreated: boolean;
  /** Links currently up (authenticated and joined: clients and peer nodes). */
  linkCount(): number;
  /**
   * Always 'kernel': every request passes through the node's kernel and its
   * netmsg task (NetmsgNode). The `route` option is accepted and ignored.
   */
  readonly route: 'kernel' | 'direct';
  /** The node's Mach kernel (hurd-ffi): for tasks on this node (a `map`, a pager...). */
  readonly kernel: MachKernel;
  /** The node's kernel, netmsg driver and export task. */
  readonly cluster: ClusterNode;
  /** io_map's file pagers (remote memory): one per mapped file, shared by every kernel. */
  readonly maps: MapService;
  /** Node ids linked now (clients and peers). */
  peers(): number[];
  /** Link to another node (`HOST:PORT`, `unix:/PATH`); resolves with its node id once joined. */
  dial(address: string): Promise<number>;
  /**
   * A send right to the root port (the export's control port) of linked
   * node `peer`, in `task` (default: a new task on this node's kernel).
   */
  remoteRoot(peer: number, task?: TaskId): Promise<{ task: TaskId; name: number }>;
  /**
   * `[n]`: the ports the export task holds (the control port included), as
   * the kernel counts its names. Goes back to its baseline when every remote
   * right to the ports it handed out is gone (NO SENDERS).
   */
  portCounts(): Promise<number[]>;
  /** Leak checks: export ports, netmsg's names, netmsg's identities, blocked deliveries. */
  portTable(): Promise<{ exportPorts: number; netmsgNames: number; identities: number; blockedDeliveries: number }>;
  /** End every link with `reason`, stop listening. */
  close(reason?: string): Promise<void>;
}

/** One address a node listens on. */
export interface NodeListener {
  /** Where clients dial: `host:port`, `[v6]:port` or `unix:/path`. */
  readonly address: string;
  /** The bound port; 0 on a Unix socket. */
  readonly port: number;
  readonly transport: TransportKind;
}

export interface StartNodeExtras {
  /** Logger to use instead of one built from logLevel/logJson. */
  logger?: Logger;
  /** The clock of io_map's pagers (lock timeout, idle stock of rights); default the host's. Tests pass a VirtualClock. */
  clock?: Clock;
}

/** Pause between attempts to (re)link a configured peer. */
const PEER_RETRY_MS = 1000;

/**
 * Start a node: its kernel, the netmsg task run by the node's NetmsgNode,
 * the filesystem export task whose control port is the node's root (the
 * seed's front door: `fsys_getroot` on it gives the export's root
 * directory); then listen for links and dial the configured peers.
 */
export async function startNode(input: NodeOptionsInput = {}, extras: StartNodeExtras = {}): Promise<RunningNode> {
  const o = parseNodeOptions(input);
  const log = extras.logger ?? createLogger({ level: o.logLevel ?? 'info', json: o.logJson ?? false });
  const exportDir = resolve(o.export ?? process.cwd());
  if (!existsSync(exportDir) || !statSync(exportDir).isDirectory()) {
    throw new NetmsgServerError('bad_option', `option 'export': ${exportDir} is not a directory`);
  }
  const listen = listenAddresses(o);
  checkListenSecurity(o);
  const tlsFiles = tlsFilesOf(o);
  const tls = tlsFiles ? loadTlsMaterial(tlsFiles) : undefined;
  let secret: Uint8Array;
  let secretFile: string | undefined;
  let secretCreated = false;
  if (o.tlsOnly) {
    // Certificates alone: each link's HMAC key is its TLS session's exporter value.
    secret = new Uint8Array(0);
  } else if (o.secret !== undefined) {
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
  const mapping = lateMapService();
  const cluster = await ClusterNode.create({
    nodeId,
    kernel: o.kernel ?? 'sim',
    ...(o.abi ? { abi: o.abi } : {}),
    export: { root: exportDir, readOnly, log, maxPorts: 1 << 20, ...credentialsOf(o, exportDir), ioMap: mapping.hook },
    ...(o.maxPortsPerLink !== undefined ? { limits: { maxPortsPerLink: o.maxPortsPerLink } } : {}),
    log,
  });
  const maps = await mapping.start(cluster.kernel, cluster.exportTask!.task, {
    root: exportDir, readOnly, log,
    ...(o.pagerLockTimeoutMs !== undefined ? { lockTimeoutMs: o.pagerLockTimeoutMs } : {}),
    ...(extras.clock ? { clock: extras.clock } : {}),
  });
  let closing = false;
  const timers = new Set<NodeJS.Timeout>();

  /** Run a link over an accepted or dialled stream. */
  const attach = (socket: AcceptedStream['socket'], remote: string, channelSecret: Uint8Array | undefined, joined?: (peer: number | undefined, why?: string) => void): TcpLink =>
    cluster.attach(socket, {
      secret: o.tlsOnly && channelSecret ? channelSecret : secret,
      remote,
      gateRequests: joined === undefined, // accepted links only (transport/request-gate.ts)
      onUp: (peer, ok) => {
        if (ok) log.info('link up', { remote, peer: peer.node, abi: peer.abi });
        else log.warn('peer refused', { remote, peer: peer.node, reason: 'node id already linked' });
        joined?.(ok ? peer.node : undefined, ok ? undefined : `node ${peer.node} is already linked`);
      },
      onDown: (info, peer) => {
        if (!peer || info.code === 'auth_failed') log.warn('peer refused', { remote, code: info.code, reason: info.reason });
        else log.info('link down', { remote, peer: peer.node, code: info.code, reason: info.reason });
        joined?.(undefined, `${info.code}: ${info.reason}`);
      },
    });

  const onStream = ({ socket, remote, channelSecret }: AcceptedStream): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    attach(socket, remote, channelSecret);
  };

  const dialOnce = async (address: TransportAddress, onDown?: () => void): Promise<number> => {
    const where = formatAddress(address);
    const stream = await dialTransport(address, { timeoutMs: 30_000, ...(tls ? { tls } : {}) });
    return new Promise<number>((res, rej) => {
      let settled = false;
      attach(stream.socket, where, stream.channelSecret, (peer, why) => {
        if (!settled) {
          settled = true;
          if (peer !== undefined) res(peer);
          else rej(new NetmsgServerError('connect_failed', `peer ${where}: ${why ?? 'refused'}`));
        } else if (peer === undefined) onDown?.();
      });
    });
  };

  /** A configured peer: linked at start, re-linked (every PEER_RETRY_MS) whenever the link is down. */
  const keepPeer = async (address: TransportAddress): Promise<void> => {
    const again = (): void => {
      if (closing) return;
      const t = setTimeout(() => {
        timers.delete(t);
        void keepPeer(address);
      }, PEER_RETRY_MS);
      t.unref();
      timers.add(t);
    };
    try {
      await dialOnce(address, again);
    } catch (e) {
      if (closing) return;
      log.warn('peer unreachable', { peer: formatAddress(address), error: (e as Error).message, retryMs: PEER_RETRY_MS });
      again();
    }
  };

  const listeners: TransportListener[] = [];
  try {
    for (const a of listen) {
      const l = await listenTransport(a, { log, ...(tls ? { tls } : {}) }, onStream);
      listeners.push(l);
      log.info('listening', { address: formatAddress(l.address), transport: l.transport, export: exportDir, readOnly, node: nodeId, ...(secretFile ? { secretFile } : {}) });
    }
  } catch (e) {
    // A listener that cannot start (EADDRINUSE, a Unix path taken) stops the
    // node: nothing it started may stay (its kernel may be a QEMU).
    closing = true;
    await Promise.all(listeners.map((l) => l.close()));
    await maps.close();
    await cluster.close('node could not listen');
    throw e;
  }
  const bound = listeners[0]!.address;
  await Promise.all((o.peers ?? []).map((p) => keepPeer(p)));

  return {
    nodeId,
    host: isUnixAddress(bound) ? `unix:${bound.path}` : bound.host,
    port: isUnixAddress(bound) ? 0 : bound.port,
    address: formatAddress(bound),
    transport: listeners[0]!.transport,
    listeners: listeners.map((l) => ({
      address: formatAddress(l.address), port: isUnixAddress(l.address) ? 0 : l.address.port, transport: l.transport,
    })),
    exportDir,
    readOnly,
    secretFile,
    secretCreated,
    linkCount: () => cluster.peers().length,
    route: 'kernel',
    kernel: cluster.kernel,
    cluster,
    maps,
    peers: () => cluster.peers(),
    dial: (address) => dialOnce(parseTransportAddress(address, 'peer')),
    remoteRoot: (peer, task) => cluster.remoteRoot(peer, task),
    portCounts: async () => [(await cluster.portTable()).exportPorts],
    portTable: () => cluster.portTable(),
    close: async (reason = 'node shutting down') => {
      closing = true;
      for (const t of timers) clearTimeout(t);
      const done = Promise.all(listeners.map((l) => l.close()));
      await maps.close();
      await cluster.close(reason);
      await done;
      log.info('stopped', { reason });
    },
  };
}
