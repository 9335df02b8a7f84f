import type { Duplex } from 'node:stream';
import { MACH_MSG_TYPE_MOVE_SEND, type Abi } from 'mach-msg';
import { isHurdFfiError, openKernel, type MachKernel, type TaskId } from 'hurd-ffi';
import { withLimits, type LinkFrame, type PeerInfo, type WireLimits } from 'netmsg-wire';
import { NetmsgServerError } from '../errors.js';
import type { FsExportOptions } from '../fs-export.js';
import type { Logger } from '../log.js';
import { TcpLink } from '../tcp-link.js';
import { RequestGate } from '../transport/request-gate.js';
import { AuthServer } from '../auth/auth-server.js';
import { attachAuth, type ExportReauth } from '../auth/export-auth.js';
import { holdIdleTrim } from './idle-trim.js';
import { ExportTask } from './export-task.js';
import { NetmsgDriver } from './netmsg-driver.js';
import { ReplyLandings } from './reply-landing.js';

export type KernelBackend = 'sim' | 'gnumach';

export interface ClusterNodeOptions {
  nodeId: number;
  /** hurd-ffi backend of the node's kernel (default 'sim'). */
  kernel?: KernelBackend;
  /** The kernel's and its tasks' ABI (default x86_64): messages are laid out, and MIG types sized, for it. */
  abi?: Abi;
  /** Serve this export as the node's root; without it the node publishes no root (a client node). */
  export?: Omit<FsExportOptions, 'controlName' | 'takeName'>;
  limits?: Partial<WireLimits>;
  log?: Logger;
  /** netmsg's sweep of kept send-once rights, ms (NetmsgDriverOptions.sendOnceSweepMs; 0: requests at once). */
  sendOnceSweepMs?: number;
  /** Called with the kernel as soon as it is opened, before create waits on it (a 'gnumach' one boots meanwhile). */
  kernelOpened?(kernel: MachKernel): void;
}

export interface AttachOptions {
  secret: Uint8Array;
  /** For logs. */
  remote?: string;
  handshakeTimeoutMs?: number;
  /** The link authenticated and joined the node (false: refused, e.g. a second link from one node id). */
  onUp?(peer: PeerInfo, joined: boolean): void;
  onDown?(info: { code: string; reason: string; byPeer: boolean }, peer: PeerInfo | undefined): void;
  /**
   * Bound what this node queues for a peer that stops reading (transport/request-gate.ts).
   * For links this node accepted; a link it dialled is not gated, so two nodes
   * can never both stop reading each other.
   */
  gateRequests?: boolean;
}

/** Open the node's kernel; a backend that cannot start is a typed error. */
export function openNodeKernel(backend: KernelBackend = 'sim', abi: Abi = 'x86_64'): MachKernel {
  try {
    return openKernel({ backend, abi });
  } catch (e) {
    if (isHurdFfiError(e)) throw new NetmsgServerError('kernel_unavailable', `kernel '${backend}': ${e.message}`);
    throw e;
  }
}

/**
 * One cluster node: its kernel, the netmsg task run by the node's one
 * `NetmsgNode` (all links), and optionally the filesystem export task whose
 * control port is the node's root (identity serial 0, PROTOCOL.md §4.1),
 * which linked peers import. Links are netmsg-wire connections over any
 * ordered byte stream.
 */
export class ClusterNode {
  private readonly streams = new Set<TcpLink>();
  private closing = false;
  /** The process's idle-buffer trimmer, held while this node lives (idle-trim.ts). */
  private readonly releaseTrim = holdIdleTrim();

  /** The node's auth server task. */
  auth: AuthServer | undefined;
  /** The export's side of io_reauthenticate (a node with an export). */
  reauth: ExportReauth | undefined;
  /** Replies read from the socket into memory their caller named (reply-landing.ts), on a kernel that tells port ids. */
  readonly landings: ReplyLandings | undefined;

  private constructor(
    readonly nodeId: number,
    readonly kernel: MachKernel,
    readonly driver: NetmsgDriver,
    readonly exportTask: ExportTask | undefined,
    private readonly log: Logger | undefined,
  ) {
    this.landings = ReplyLandings.forNode(kernel, driver.task, driver.machine);
  }

  static async create(o: ClusterNodeOptions): Promise<ClusterNode> {
    const kernel = openNodeKernel(o.kernel, o.abi);
    let driver: NetmsgDriver;
    try {
      o.kernelOpened?.(kernel);
      // The first calls bring a 'gnumach' backend up (QEMU boot or agent link): a failure there is the backend's.
      driver = await NetmsgDriver.create(kernel, {
        node: o.nodeId, limits: withLimits(o.limits), ...(o.log ? { log: o.log } : {}), ...(o.sendOnceSweepMs !== undefined ? { sendOnceSweepMs: o.sendOnceSweepMs } : {}),
      });
    } catch (e) {
      await kernel.close().catch(() => undefined);
      if (isHurdFfiError(e)) throw new NetmsgServerError('kernel_unavailable', `kernel '${o.kernel ?? 'sim'}': ${e.message}`);
      throw e;
    }
    let exportTask: ExportTask | undefined;
    if (o.export) {
      exportTask = await ExportTask.create(kernel, o.export);
      await driver.publishRoot(exportTask.task, exportTask.controlName);
    }
    const node = new ClusterNode(o.nodeId, kernel, driver, exportTask, o.log);
    // The node's auth server (src/auth/): handles, rendezvous, and the export's io_reauthenticate through it.
    // On a real GNU Mach it receives through the agent's watch, not by polling (auth-server.ts).
    node.auth = await AuthServer.create(kernel, o.log);
    if (exportTask) node.reauth = await attachAuth(exportTask, node.auth);
    return node;
  }

  /** Run a netmsg-wire link over `stream`; it joins the node once authenticated. */
  attach(stream: Duplex, opts: AttachOptions): TcpLink {
    let joined: number | undefined;
    const deliver = (f: LinkFrame): void => {
      if (joined !== undefined) this.driver.frame(joined, f);
    };
    // Bounded replies for a peer that stops reading (transport/request-gate.ts).
    const gate = opts.gateRequests ? new RequestGate(stream, deliver) : undefined;
    const link: TcpLink = new TcpLink(stream, {
      node: this.nodeId, secret: opts.secret, ...(this.log ? { log: this.log } : {}),
      ...(opts.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: opts.handshakeTimeoutMs } : {}),
    }, {
      established: (peer) => {
        const ok = !this.closing && this.driver.linkUp(peer.node, peer.window, {
          send: (f, written) => {
            if (gate === undefined) return link.sendFrame(f, written);
            gate.outgoing(f);
            // A frame with a written callback is a large one (out-of-line bytes): once
            // it left, the socket's backlog fell, and a request held for it may go in.
            link.sendFrame(f, written ? () => (written(), gate.written()) : undefined);
          },
          close: (code, reason) => link.close(code as 'normal', reason),
        });
        if (ok) joined = peer.node;
        opts.onUp?.(peer, ok);
        if (!ok) link.close('normal', this.closing ? 'node shutting down' : `node ${peer.node} is already linked`);
      },
      frame: (f) => (gate ? gate.incoming(f) : deliver(f)),
      closed: (info) => {
        gate?.close();
        this.streams.delete(link);
        if (joined !== undefined) this.driver.linkDown(joined);
        opts.onDown?.(info, link.peer);
      },
    });
    // The link reads whole out-of-line items into memory a caller of this node named, when one waits for that reply.
    if (this.landings) link.conn.setPlacer(this.landings);
    this.streams.add(link);
    return link;
  }

  /** Peers linked now. */
  peers(): number[] {
    return this.driver.peers();
  }

  /**
   * A send right to the root port of linked `peer`, in `task` (default: a
   * new task on this node's kernel): what a program on this node uses to
   * reach that node's export (fsys_getroot on it, ...).
   */
  async remoteRoot(peer: number, task?: TaskId, name?: number): Promise<{ task: TaskId; name: number }> {
    const t = task ?? (await this.kernel.taskCreate({ name: `root-of-${peer}` }));
    const n = await this.driver.importRoot(peer, t);
    if (name === undefined || name === n) return { task: t, name: n };
    // Rename. A space names a port once (GNU Mach's insert_right of a right the space already holds under
    // another name is KERN_RIGHT_EXISTS), so the right leaves `t` first: moved to netmsg (where it merges
    // into the proxy's name), then moved back in at the wanted name.
    const out = await this.kernel.portExtractRight(t, n, MACH_MSG_TYPE_MOVE_SEND, this.driver.task);
    if (out.kr !== 0) throw new Error(`root of ${peer}: move out of task: kr ${out.kr}`);
    const kr = await this.kernel.portInsertRight(t, name, out.name, MACH_MSG_TYPE_MOVE_SEND, this.driver.task);
    if (kr !== 0) {
      await this.kernel.portDeallocate(this.driver.task, out.name);
      throw new Error(`root of ${peer} at name ${name}: kr ${kr}`);
    }
    return { task: t, name };
  }

  /** Leak checks: names the export and netmsg tasks hold, and netmsg's identity table. */
  async portTable(): Promise<{ exportPorts: number; authPorts: number; netmsgNames: number; identities: number; blockedDeliveries: number }> {
    await this.driver.idle();
    const t = this.driver.machine.tables();
    return {
      exportPorts: this.exportTask ? await this.exportTask.portCount() : 0,
      authPorts: this.auth ? await this.auth.portCount() : 0,
      netmsgNames: await this.driver.portCount(),
      identities: t.ports.length + t.sendOnceOut.length + t.sendOnceProxies.length,
      blockedDeliveries: this.driver.blockedDeliveries,
    };
  }

  /** End every link with `reason` (a CLOSE frame), then stop the tasks and the kernel. */
  async close(reason = 'node shutting down'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.releaseTrim();
    for (const l of [...this.streams]) l.close('normal', reason);
    await this.driver.idle();
    await this.reauth?.close();
    await this.exportTask?.close();
    await this.auth?.close();
    await this.driver.close();
    await this.kernel.close();
  }
}
