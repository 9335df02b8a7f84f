/**
 * MachKernel on the real GNU Mach: every call is one request to the agent
 * (conformance/c/agent.c) running on the kernel under QEMU, executed there
 * with the real trap or MIG call in the task's own name space; the return
 * codes are the kernel's own.
 *
 * Where the link shapes the semantics (README, "gnumach backend"):
 * - The agent runs one call at a time. A receive that would block (no
 *   MACH_RCV_TIMEOUT, or a timeout) is polled from here with timeout 0, so
 *   that other calls (the send that satisfies it) can run meanwhile; a send
 *   that may block on a full queue (no MACH_SEND_TIMEOUT, or a timeout above
 *   0) runs on one of the task's sender threads (fault-thread.ts), so that
 *   the receive that makes room still gets through; the task's later sends
 *   to that port keep their order behind it, others go to another thread.
 * - Messages are limited to the agent's 64 KiB buffer.
 * - vm_map, and task memory or message sends that may fault on mapped
 *   memory, run on the task's fault thread (fault-thread.ts): they may wait
 *   for a pager that is served through this same link.
 * - snapshot() is the result of the task's last portNames() (it cannot ask
 *   the kernel synchronously); observers see the messages this kernel object
 *   sends and receives, with host-made port ids (port-identity.ts: the
 *   kernel's own port identities are not visible from user space).
 * - watch(): the agent receives every message on a watched receive right as
 *   it arrives (the right joins a port set the task's worker receives on)
 *   and passes it here unasked, so a TypeScript server can serve real Mach
 *   clients without polling.
 */
import {
  KERN_INVALID_ARGUMENT,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_INTERRUPTED,
  MACH_RCV_INVALID_NAME,
  MACH_RCV_LARGE,
  MACH_RCV_MSG,
  MACH_RCV_TOO_LARGE,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TIMEOUT,
  MACH_SEND_MSG,
  MACH_SEND_TIMEOUT,
  type Abi,
} from 'mach-msg';
import { HurdFfiError } from '../errors.js';
import type { MachKernel, MsgArgs, MsgResult, SpaceSnapshot, TaskId, VmMapArgs } from '../mach-kernel.js';
import type { PortStatus } from '../mach-port.js';
import type { DestroyReason, MsgEvent, MsgObserver } from '../observer.js';
import { FaultThreads } from './fault-thread.js';
import { bootBounds, BootProgress, whileBooting, type BootReport, type BootWatch } from './boot-watch.js';
import { AgentLink, connectTo, parseLinkAddress } from './link.js';
import { linkProgress, type LinkProgress } from './progress.js';
import { PortIdentities } from './port-identity.js';
import { AGENT_MSG_MAX, OP, VM_CHUNK, type Reply } from './protocol.js';
import { startQemu, type QemuOptions, type RunningQemu } from './qemu.js';
import type { Socket } from 'node:net';

export interface GnumachKernelOptions {
  abi: Abi;
  qemu?: QemuOptions;
  /** Attach to a link that is already up ('tcp:HOST:PORT', QEMU started with server=on,wait=on) instead of booting. */
  link?: string;
  /** Milliseconds between polls of a receive that would block (default 1). */
  pollIntervalMs?: number;
  /** The link mode of an attached agent (`link`); when booting, `qemu.linkMode` (default 'polled'). */
  linkMode?: 'polled' | 'tty';
}

const NO_SLOT = 0xffffffff;

/** What the agent's C file client got (GnumachKernel.fsClient). */
export interface FsClientResult {
  /** dir_lookup: mach_msg's return or the server's RetCode (0: success), and do_retry. */
  lookup: number;
  retry: number;
  /** io_stat's return, and the io_statbuf_t item's data as received. */
  stat?: number;
  statData?: Uint8Array;
  /** io_read's return (of the last call), and every byte read from offset 0 to EOF. */
  read?: number;
  data?: Uint8Array;
  /** io_write's return and the amount it reported (only when a write was asked). */
  write?: number;
  written?: number;
}

/** What the C file client does besides looking up, stating and reading (GnumachKernel.fsClient). */
export interface FsClientOptions {
  /** dir_lookup's flags (default O_READ = 1) and mode (default 0). */
  flags?: number;
  mode?: number;
  /** io_write these bytes (at most 16 KiB) at `offset` (default 0) after io_stat, before reading. */
  write?: { data: Uint8Array; offset?: number };
}

/** Notification requests whose notify port the backend remembers (for `previous`'s port id). */
const MAX_REQUESTS_KNOWN = 4096;

export class GnumachKernel implements MachKernel {
  readonly backend = 'gnumach' as const;
  readonly abi: Abi;
  private readonly link: Promise<AgentLink>;
  /** The link once up, and the receive polls that found nothing (linkProgress). */
  private up: AgentLink | undefined;
  private idlePolls = 0;
  private qemu: RunningQemu | undefined;
  private booted: BootReport | undefined;
  private readonly observers = new Set<MsgObserver>();
  /** Host-made port ids for the observers (port-identity.ts). */
  private readonly ports = new PortIdentities();
  /** `${port id}:${variant}` -> the id of the port the notification request's send-once right names (at most MAX_REQUESTS_KNOWN). */
  private readonly requests = new Map<string, number>();
  /** Names given to taskCreate, for the observers' `taskName`. */
  private readonly taskNames = new Map<TaskId, string>();
  private readonly snapshots = new Map<TaskId, SpaceSnapshot>();
  private readonly tasks = new Set<TaskId>();
  private readonly pollMs: number;
  private closing: Promise<void> | undefined;
  private readonly watchers = new Map<string, (message: Uint8Array) => void>();
  private readonly clients = new Map<TaskId, (r: Reply) => void>();
  /** Calls that may wait for a pager run on each task's fault thread (fault-thread.ts). */
  private readonly faults = new FaultThreads((task, op, args, data) => this.call(task, op, args, data));

  constructor(options: GnumachKernelOptions) {
    this.abi = options.abi;
    this.pollMs = options.pollIntervalMs ?? 1;
    const link = options.link;
    if (link !== undefined) parseLinkAddress(link);
    this.link = this.boot(options);
    // A failed boot surfaces from ready() and from every call, not as an unhandled rejection.
    this.link.catch(() => undefined);
  }

  private async boot(options: GnumachKernelOptions): Promise<AgentLink> {
    let socket: Socket;
    if (options.link !== undefined) {
      const { host, port } = parseLinkAddress(options.link);
      socket = await connectTo(host, port);
    } else {
      this.qemu = await startQemu(options.abi, options.qemu);
      socket = this.qemu.socket;
    }
    const link = new AgentLink(socket, options.link !== undefined ? (options.linkMode ?? 'polled') : (options.qemu?.linkMode ?? 'polled'));
    link.onEvent = (r) => this.onEvent(r);
    link.onFail = () => this.endClients();
    // The READY wait goes on with the boot's clock and adds the agent's preamble to the progress seen.
    const q = this.qemu?.boot;
    const boot: BootWatch = {
      progress: q?.progress ?? new BootProgress(Date.now()),
      bounds: q?.bounds ?? bootBounds(options.qemu?.bootIdleMs, options.qemu?.bootTimeoutMs),
      sample: () => ({ consoleBytes: q?.sample().consoleBytes ?? 0, linkBytes: link.bytesIn }),
      lastPrinted: () => [q?.lastPrinted() ?? '', link.preambleTail()].map((l, i) => (l === '' ? '' : `${i === 0 ? 'console' : 'link'}: ${l}`)).filter((l) => l !== '').join(' | '),
    };
    try {
      const abi = await whileBooting('the agent did not say READY', link.whenReady(), boot);
      if (abi !== options.abi) throw new HurdFfiError('invalid_option', `the agent on the link runs the ${abi} ABI, not ${options.abi}`);
      this.booted = boot.progress.report(Date.now());
    } catch (e) {
      link.close();
      await this.qemu?.stop();
      throw e;
    }
    this.up = link;
    return link;
  }

  /** Resolves once the real kernel is up and the agent answers; rejects with the HurdFfiError that stopped it. */
  async ready(): Promise<void> {
    await this.link;
  }

  /** How the boot went to READY as the boot watch saw it (its silences, to tune bootIdleMs); undefined until then. */
  bootReport(): BootReport | undefined {
    return this.booted;
  }

  /** Round trips on the link so far. */
  async exchanges(): Promise<number> {
    return (await this.link).exchanges;
  }

  /** What the link has moved so far (progress.ts); undefined until it is up. */
  linkProgress(): LinkProgress | undefined {
    return this.up === undefined ? undefined : linkProgress(this.up, this.idlePolls);
  }

  /**
   * Serves a receive right of `task` from here: every message that arrives on
   * it is received by the agent at once (in `task`'s space, rights and
   * out-of-line memory copied out there) and given to `onMessage`. The right
   * joins a port set of the agent's, so the task cannot also receive on it
   * or add it to its own set while it is watched. Returns the kern_return of
   * mach_port_move_member.
   */
  async watch(task: TaskId, name: number, onMessage: (message: Uint8Array) => void): Promise<number> {
    const key = `${task}:${name}`;
    this.watchers.set(key, onMessage);
    const kr = await this.kr(task, OP.watch, [0, name, 1]);
    if (kr !== 0) this.watchers.delete(key);
    return kr;
  }

  /** Stops watching; the right leaves the agent's port set. */
  async unwatch(task: TaskId, name: number): Promise<number> {
    this.watchers.delete(`${task}:${name}`);
    return this.kr(task, OP.watch, [0, name, 0]);
  }

  /**
   * Runs the agent's C file client (conformance/c/fsclient.c) in `task`:
   * dir_lookup(`dir`, `path`, flags, mode), io_stat, io_write if asked, and
   * io_read to EOF (at most 32 KiB), through the user stubs the real MIG
   * generated from mach-msg's own io/fs declarations, through the real
   * kernel to whatever serves `dir` (a TypeScript server on this kernel,
   * served through this same link). `dir` is a send right in `task`. The
   * task's worker is busy until the client ends: make no other call on
   * `task` before this resolves. Each result is the call's kern_return
   * (mach_msg's, MIG's, or the server's RetCode); a failed dir_lookup ends
   * the sequence (later fields absent).
   */
  async fsClient(task: TaskId, dir: number, path: string, opts: FsClientOptions = {}): Promise<FsClientResult> {
    const bytes = new TextEncoder().encode(path);
    if (bytes.length > 1023) throw new HurdFfiError('invalid_option', `path of ${bytes.length} bytes exceeds string_t's 1023`);
    const wdata = opts.write?.data ?? new Uint8Array(0);
    if (wdata.length > 16384) throw new HurdFfiError('invalid_option', `a write of ${wdata.length} bytes exceeds the file client's 16384`);
    const woff = opts.write?.offset ?? 0;
    if (!Number.isSafeInteger(woff) || woff < 0) throw new HurdFfiError('invalid_option', `write offset ${woff} is not a non-negative integer`);
    if (this.clients.has(task)) throw new HurdFfiError('invalid_option', `task ${task} already runs the file client`);
    const pwords = Math.ceil(bytes.length / 4) * 4;
    const padded = new Uint8Array(pwords + Math.ceil(wdata.length / 4) * 4);
    padded.set(bytes);
    padded.set(wdata, pwords);
    const args = [0, dir, (opts.flags ?? 1) >>> 0, (opts.mode ?? 0) >>> 0, bytes.length, opts.write ? 1 : 0, wdata.length, woff % 2 ** 32, Math.floor(woff / 2 ** 32)];
    const done = new Promise<Reply>((resolve) => this.clients.set(task, resolve));
    const r = await this.call(task, OP.fsClient, args, padded).catch((e: unknown) => {
      this.clients.delete(task);
      throw e;
    });
    if (r.kr !== 0) {
      this.clients.delete(task);
      throw new HurdFfiError('link_lost', `the agent could not start the file client: kern_return 0x${r.kr!.toString(16)}`);
    }
    const ev = await done;
    const lookup = ev.results?.get(0);
    if (lookup === undefined) throw new HurdFfiError('link_lost', `the file client answered nothing${ev.refused !== undefined ? `: ${ev.refused}` : ''}`);
    const out: FsClientResult = { lookup: lookup[0]! | 0, retry: lookup[1] ?? 0 };
    const stat = ev.results?.get(1);
    if (stat !== undefined) {
      out.stat = stat[0]! | 0;
      const d = ev.dataBySteps?.get(1);
      if (d !== undefined) out.statData = d;
    }
    const read = ev.results?.get(2);
    if (read !== undefined) {
      out.read = read[0]! | 0;
      out.data = ev.dataBySteps?.get(2) ?? new Uint8Array(0);
    }
    const write = ev.results?.get(3);
    if (write !== undefined) {
      out.write = write[0]! | 0;
      out.written = write[1] ?? 0;
    }
    return out;
  }

  /** The link is gone: a file client still running answers nothing (fsClient throws link_lost). */
  private endClients(): void {
    this.faults.fail();
    for (const [task, resolve] of this.clients) resolve({ tag: 0, kr: null, vals: [], names: [], clientDone: task });
    this.clients.clear();
  }

  private onEvent(r: Reply): void {
    if (this.faults.onEvent(r)) return;
    if (r.clientDone !== undefined) {
      const resolve = this.clients.get(r.clientDone);
      this.clients.delete(r.clientDone);
      resolve?.(r);
      return;
    }
    if (r.event === undefined || r.msg === undefined) return;
    this.emit('receive', r.event.task, r.msg);
    this.watchers.get(`${r.event.task}:${r.event.name}`)?.(r.msg);
  }

  /** One link round trip that runs no kernel call (for benchmarks). */
  async ping(): Promise<void> {
    await this.call(0, OP.ping, []);
  }

  private async call(task: number, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    if (this.closing !== undefined) throw new HurdFfiError('link_lost', 'the gnumach kernel was closed');
    const r = await (await this.link).request(task, op, args, data);
    if (r.refused !== undefined || r.kr === null) throw new HurdFfiError('link_lost', `the agent could not run the call: ${r.refused ?? 'no result'}`);
    return r;
  }

  private async kr(task: number, op: number, args: readonly number[]): Promise<number> {
    return (await this.call(task, op, args)).kr!;
  }

  async taskCreate(options?: { name?: string; abi?: Abi }): Promise<TaskId> {
    if (options?.abi !== undefined && options.abi !== this.abi) {
      throw new HurdFfiError('invalid_option', `this GNU Mach runs ${this.abi} tasks only, not ${options.abi}`);
    }
    const r = await this.call(0, OP.taskCreate, []);
    if (r.kr !== 0) throw new HurdFfiError('link_lost', `the agent could not create a task: kern_return 0x${r.kr!.toString(16)}`);
    const id = r.vals[0]!;
    this.tasks.add(id);
    if (options?.name !== undefined) this.taskNames.set(id, options.name);
    return id;
  }

  async taskTerminate(task: TaskId): Promise<number> {
    // The task's receive rights die with it: the messages the host sent them and saw no receive of.
    const queued: [number, number][] = [];
    if (this.observers.size > 0) for (const name of this.ports.namesWithQueue(task)) queued.push([name, await this.queuedCount(task, name)]);
    const kr = await this.kr(task, OP.taskTerminate, []);
    this.tasks.delete(task);
    this.snapshots.delete(task);
    this.faults.forget(task);
    if (kr === 0) {
      for (const [name, n] of queued) this.portDied(task, name, n);
      this.ports.forgetTask(task);
      this.taskNames.delete(task);
    }
    return kr;
  }

  async portAllocate(task: TaskId, right: number): Promise<{ kr: number; name: number }> {
    const r = await this.call(task, OP.allocate, [0, right, NO_SLOT]);
    if (r.kr === 0) this.ports.fresh(task, r.vals[0] ?? 0);
    return { kr: r.kr!, name: r.vals[0] ?? 0 };
  }
  portDeallocate(task: TaskId, name: number): Promise<number> {
    return this.kr(task, OP.deallocate, [0, name]);
  }
  async portModRefs(task: TaskId, name: number, right: number, delta: number): Promise<number> {
    // Taking the receive right's one reference destroys the port (ipc_right_delta).
    const dies = right === MACH_PORT_RIGHT_RECEIVE && delta < 0;
    const queued = dies ? await this.queuedCount(task, name) : 0;
    const kr = await this.kr(task, OP.modRefs, [0, name, right, delta >>> 0]);
    if (dies && kr === 0) this.portDied(task, name, queued);
    return kr;
  }
  async portGetRefs(task: TaskId, name: number, right: number): Promise<{ kr: number; refs: number }> {
    const r = await this.call(task, OP.getRefs, [0, name, right]);
    return { kr: r.kr!, refs: r.vals[0] ?? 0 };
  }
  async portInsertRight(task: TaskId, name: number, fromName: number, disp: number, from?: TaskId): Promise<number> {
    const kr =
      from !== undefined && from !== task
        ? await this.kr(0, OP.insertFrom, [task, name, from, fromName, disp])
        : await this.kr(task, OP.insertRight, [0, name, fromName, disp]);
    if (kr === 0) this.ports.copied(from ?? task, fromName, task, name);
    return kr;
  }
  async portExtractRight(task: TaskId, name: number, disp: number, to?: TaskId): Promise<{ kr: number; name: number; type: number }> {
    const r =
      to !== undefined && to !== task
        ? await this.call(task, OP.extractTo, [name, disp, to])
        : await this.call(task, OP.extractRight, [0, name, disp, NO_SLOT]);
    if (r.kr === 0) this.ports.copied(task, name, to ?? task, r.vals[0] ?? 0);
    return { kr: r.kr!, name: r.vals[0] ?? 0, type: r.vals[1] ?? 0 };
  }
  async portNames(task: TaskId): Promise<{ kr: number; names: number[]; types: number[] }> {
    const r = await this.call(task, OP.names, [0]);
    const names = r.names.map(([n]) => n);
    const types = r.names.map(([, t]) => t);
    if (r.kr === 0) {
      this.snapshots.set(task, { task, names: r.names.map(([name, type]) => ({ name, type, urefs: 0, port: this.ports.known(task, name) })) });
    }
    return { kr: r.kr!, names, types };
  }
  async portType(task: TaskId, name: number): Promise<{ kr: number; type: number }> {
    const r = await this.call(task, OP.type, [0, name]);
    return { kr: r.kr!, type: r.vals[0] ?? 0 };
  }
  async portDestroy(task: TaskId, name: number): Promise<number> {
    const queued = await this.queuedCount(task, name);
    const kr = await this.kr(task, OP.destroy, [0, name]);
    if (kr === 0) {
      this.portDied(task, name, queued);
      this.ports.forget(task, name);
    }
    return kr;
  }

  /**
   * How many messages wait on `name`'s receive right (0 if it is none), asked
   * before a call that may destroy it, so that the observers can be told of
   * the messages that die with it. Only while someone observes: it is one
   * more round trip on the link. 0 too when a port-destroyed notification is
   * armed: then ipc_port_destroy hands the receive right, queue and all, to
   * the notification instead of destroying anything.
   */
  private async queuedCount(task: TaskId, name: number): Promise<number> {
    if (this.observers.size === 0) return 0;
    const r = await this.call(task, OP.receiveStatus, [0, name]);
    return r.kr === 0 && (r.vals[7] ?? 0) === 0 ? (r.vals[4] ?? 0) : 0;
  }

  /**
   * The receive right `name` of `task` died with `queued` messages
   * (ipc_port_destroy destroys them): each is reported destroyed, as the
   * simulated kernel reports it, with the msgh_id of the host's send when the
   * host sent it (port-identity.ts, drained) and 0 for one from a sender the
   * host did not see.
   */
  private portDied(task: TaskId, name: number, queued: number): void {
    if (queued === 0) return;
    const port = this.ports.idOf(task, name);
    const ids = this.ports.drained(port, queued);
    if (this.observers.size === 0) return;
    for (let i = 0; i < queued; i++) this.emitDestroyed(port, i < ids.length ? ids[i]! : 0, 'port-died');
  }
  portMoveMember(task: TaskId, member: number, after: number): Promise<number> {
    return this.kr(task, OP.moveMember, [0, member, after]);
  }
  portSetQlimit(task: TaskId, name: number, qlimit: number): Promise<number> {
    return this.kr(task, OP.setQlimit, [0, name, qlimit]);
  }
  portSetMscount(task: TaskId, name: number, mscount: number): Promise<number> {
    return this.kr(task, OP.setMscount, [0, name, mscount]);
  }
  async portGetReceiveStatus(task: TaskId, name: number): Promise<{ kr: number; status: PortStatus | null }> {
    const r = await this.call(task, OP.receiveStatus, [0, name]);
    if (r.kr !== 0) return { kr: r.kr!, status: null };
    const v = r.vals;
    return {
      kr: 0,
      status: {
        pset: v[0] ?? 0,
        seqno: v[1] ?? 0,
        mscount: v[2] ?? 0,
        qlimit: v[3] ?? 0,
        msgcount: v[4] ?? 0,
        sorights: v[5] ?? 0,
        srights: (v[6] ?? 0) !== 0,
        pdrequest: (v[7] ?? 0) !== 0,
        nsrequest: (v[8] ?? 0) !== 0,
      },
    };
  }
  async portRequestNotification(
    task: TaskId,
    name: number,
    variant: number,
    sync: number,
    notify: number,
    notifyDisp: number,
  ): Promise<{ kr: number; previous: number }> {
    const port = this.ports.known(task, name);
    const r = await this.call(task, OP.requestNotification, [0, name, variant, sync, notify, notifyDisp]);
    const previous = r.vals[0] ?? 0;
    if (r.kr === 0 && port !== 0) {
      // The request stays with the port wherever its receive right goes (ipc_port_dnrequest, ip_nsrequest):
      // the send-once right handed back as `previous` denotes the port the earlier request's notify named
      // (a no-senders request on the port itself, the seed's test5a, is told apart by that).
      const key = `${port}:${variant}`;
      if (previous !== 0) this.ports.label(task, previous, this.requests.get(key) ?? 0);
      this.requests.delete(key);
      if (notify !== 0 && notify !== 0xffffffff) this.requests.set(key, this.ports.idOf(task, notify));
      // Bounded (ports die behind the host's back): the oldest go first, and their `previous` stays unlabelled as before.
      if (this.requests.size > MAX_REQUESTS_KNOWN) this.requests.delete(this.requests.keys().next().value!);
    }
    return { kr: r.kr!, previous };
  }
  portSetProtectedPayload(task: TaskId, name: number, payload: bigint): Promise<number> {
    if (typeof payload !== 'bigint') return Promise.resolve(KERN_INVALID_ARGUMENT);
    const u = BigInt.asUintN(64, payload);
    return this.kr(task, OP.setPayload, [0, name, Number(u & 0xffffffffn), Number(u >> 32n)]);
  }
  portClearProtectedPayload(task: TaskId, name: number): Promise<number> {
    return this.kr(task, OP.clearPayload, [0, name]);
  }

  /** One mach_msg on the agent, never blocking it on a receive; `port`: the destination's id (port-identity.ts). */
  private async msgOnce(task: TaskId, options: number, args: MsgArgs, timeout: number, port: number): Promise<MsgResult> {
    const send = options & MACH_SEND_MSG ? (args.send ?? new Uint8Array(0)) : new Uint8Array(0);
    if (send.length > AGENT_MSG_MAX) throw new HurdFfiError('invalid_option', `message of ${send.length} bytes exceeds the agent's ${AGENT_MSG_MAX}-byte buffer`);
    const rcvSize = Math.min(args.rcvSize ?? 0, AGENT_MSG_MAX);
    const words = [0, options, send.length, options & MACH_RCV_MSG ? rcvSize : 0, args.rcvName ?? 0, timeout, args.notify ?? 0, send.length, 0, 0];
    // A send that may block (no MACH_SEND_TIMEOUT, or a timeout above 0: the queue may be full) runs on a
    // sender thread of the task, so that the receive that makes room can still come through the link
    // (fault-thread.ts); so does a send from a task with mapped memory, which may fault its out-of-line data in
    // from a pager, and one that must keep its place behind such a send to the same port.
    const mayWait = (options & MACH_SEND_TIMEOUT) === 0 || timeout > 0 || this.faults.hasMappings(task);
    const r = await ((send.length > 0 ? this.faults.send(task, port, mayWait, words, send) : null) ?? this.call(task, OP.msg, words, send));
    if (send.length === 0 && r.kr === MACH_RCV_TIMED_OUT) this.idlePolls++;
    const out: MsgResult = { kr: r.kr! };
    if (r.msg !== undefined) {
      const size = r.msg.length >= 8 ? (r.msg[4]! | (r.msg[5]! << 8) | (r.msg[6]! << 16) | (r.msg[7]! << 24)) >>> 0 : 0;
      out.size = size;
      // With MACH_RCV_TOO_LARGE this is what the kernel wrote: the header (its size field the size needed).
      out.message = r.msg;
    }
    return out;
  }

  async msg(task: TaskId, args: MsgArgs): Promise<MsgResult> {
    const options = args.options >>> 0;
    const timeout = args.timeout ?? 0;
    const receives = (options & MACH_RCV_MSG) !== 0;
    const blocking = receives && ((options & MACH_RCV_TIMEOUT) === 0 || timeout > 0);
    const sent = args.send !== undefined && options & MACH_SEND_MSG ? this.emit('send', task, args.send) : null;
    const port = sent?.port ?? 0;
    // A send the kernel refused (any MACH_SEND_* code: never queued) will never be received.
    const refused = (kr: number): void => {
      if (sent !== null && ((kr >>> 0) & 0xffffff00) === 0x10000000) this.ports.withdraw(sent.port, sent.queued);
    };
    let r: MsgResult;
    if (!blocking) {
      r = await this.msgOnce(task, options, args, options & MACH_SEND_TIMEOUT ? timeout : 0, port);
      refused(r.kr);
    } else {
      if (options & MACH_SEND_MSG && options & MACH_SEND_TIMEOUT && timeout > 0) {
        // The send may wait up to `timeout` and so may the receive after it (mach_msg applies the one
        // timeout to each part): the send alone first, on the fault thread; a failed send receives nothing.
        const s = await this.msgOnce(task, options & ~(MACH_RCV_MSG | MACH_RCV_TIMEOUT), args, timeout, port);
        refused(s.kr);
        if (s.kr !== 0) return s;
        args = { ...args, options: options & ~(MACH_SEND_MSG | MACH_SEND_TIMEOUT) };
      }
      const rest = args.options >>> 0;
      // The send part (if any) and a first look at the queue, in one call.
      const deadline = options & MACH_RCV_TIMEOUT ? Date.now() + timeout : Infinity;
      r = await this.msgOnce(task, rest | MACH_RCV_TIMEOUT, args, 0, port);
      if (rest & MACH_SEND_MSG) refused(r.kr);
      const pollOptions = (options & ~(MACH_SEND_MSG | MACH_SEND_TIMEOUT)) | MACH_RCV_TIMEOUT;
      // Only the receive's own outcome is the task's: the polls' timeouts are this backend's.
      while (r.kr === MACH_RCV_TIMED_OUT) {
        if (args.signal?.aborted || Date.now() >= deadline) break;
        await new Promise((res) => setTimeout(res, this.pollMs));
        if (args.signal?.aborted) break;
        r = await this.msgOnce(task, pollOptions, args, 0, port);
      }
      if (r.kr === MACH_RCV_TIMED_OUT && args.signal?.aborted) r = { kr: MACH_RCV_INTERRUPTED };
    }
    if (receives && r.message !== undefined && (r.kr === 0 || (r.kr & ~0x3c00) === 0)) this.emit('receive', task, r.message);
    else if (receives && ((r.kr >>> 0) & 0xffffff00) === 0x10004000) this.rcvFailed(task, options, args.rcvName ?? 0, r);
    return r;
  }

  /**
   * A receive that got no message (any MACH_RCV_* code), reported as the
   * simulated kernel reports it: `port` the id of the right received on (0 if
   * the name named none), `rcvName` the name. A MACH_RCV_TOO_LARGE without
   * MACH_RCV_LARGE dequeued and destroyed the message (GNU Mach's
   * mach_msg_receive: ipc_kmsg_copyout_dest, then only its header is written
   * out), so its header names the message's id and destination; with
   * MACH_RCV_LARGE the kernel wrote only msgh_size and left the message
   * queued, so its id is not known here (0).
   */
  private rcvFailed(task: TaskId, options: number, rcvName: number, r: MsgResult): void {
    let port = r.kr === MACH_RCV_INVALID_NAME ? 0 : this.ports.idOf(task, rcvName);
    let msgId = 0;
    let destroyed: DestroyReason | undefined;
    if (r.kr === MACH_RCV_TOO_LARGE && (options & MACH_RCV_LARGE) === 0 && r.message !== undefined) {
      ({ port, msgId } = this.ports.dropped(task, r.message, this.abi));
      destroyed = 'too-large';
    }
    if (this.observers.size === 0) return;
    const taskName = this.taskNames.get(task);
    const ev: MsgEvent = { phase: 'receive', task, port, msgId, bytes: null, abi: this.abi, kr: r.kr, rcvName };
    if (taskName !== undefined) ev.taskName = taskName;
    if (destroyed !== undefined) ev.destroyed = destroyed;
    for (const o of this.observers) o(ev);
  }

  /** A message the kernel destroyed without any task receiving it. */
  private emitDestroyed(port: number, msgId: number, why: DestroyReason): void {
    for (const o of this.observers) o({ phase: 'receive', task: 0, port, msgId, bytes: null, abi: null, destroyed: why });
  }

  /** Reports a message to the observers; returns its identities (port-identity.ts). */
  private emit(phase: 'send' | 'receive', task: TaskId, bytes: Uint8Array): { port: number; replyPort: number; queued: object | null } {
    // Identities are learned whether or not anyone observes yet.
    const ids = phase === 'send' ? this.ports.sent(task, bytes, this.abi) : { port: this.ports.received(task, bytes, this.abi), replyPort: 0, queued: null };
    if (this.observers.size === 0 || bytes.length < 8) return ids;
    const id = bytes.length >= (this.abi === 'i386' ? 24 : 32) ? new DataView(bytes.buffer, bytes.byteOffset).getInt32(this.abi === 'i386' ? 20 : 28, true) : 0;
    const taskName = this.taskNames.get(task);
    for (const o of this.observers) {
      o({
        phase,
        task,
        port: ids.port,
        msgId: id,
        bytes: bytes.slice(),
        abi: this.abi,
        ...(ids.replyPort !== 0 ? { replyPort: ids.replyPort } : {}),
        ...(taskName !== undefined ? { taskName } : {}),
      });
    }
    return ids;
  }

  async vmAllocate(task: TaskId, address: number, size: number, anywhere: boolean): Promise<{ kr: number; address: number }> {
    const r = await this.call(task, OP.vmAllocate, [0, address >>> 0, Math.floor(address / 2 ** 32) >>> 0, size >>> 0, anywhere ? 1 : 0]);
    return { kr: r.kr!, address: r.kr === 0 ? (r.vals[0] ?? 0) + (r.vals[1] ?? 0) * 2 ** 32 : 0 };
  }
  /** A task-memory step: on the fault thread once any task maps an object (fault-thread.ts, anyMappings). */
  private memCall(task: TaskId, address: number, size: number, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    const mayFault = this.faults.overlaps(task, address, size) || (op !== OP.vmDeallocate && this.faults.anyMappings());
    return mayFault ? this.faults.run(task, op, args, data) : this.call(task, op, args, data);
  }
  async vmDeallocate(task: TaskId, address: number, size: number): Promise<number> {
    const kr = (await this.memCall(task, address, size, OP.vmDeallocate, [0, address >>> 0, Math.floor(address / 2 ** 32) >>> 0, size >>> 0])).kr!;
    if (kr === 0) this.faults.removeRange(task, address, size);
    return kr;
  }
  async vmRead(task: TaskId, address: number, size: number): Promise<{ kr: number; data: Uint8Array | null }> {
    const data = new Uint8Array(size);
    for (let off = 0; off < size || (size === 0 && off === 0); off += VM_CHUNK) {
      const a = address + off;
      const n = Math.min(VM_CHUNK, size - off);
      const r = await this.memCall(task, a, n, OP.vmRead, [0, a >>> 0, Math.floor(a / 2 ** 32) >>> 0, n]);
      if (r.kr !== 0) return { kr: r.kr!, data: null };
      if (n > 0) data.set((r.data ?? new Uint8Array(0)).subarray(0, n), off);
      if (size === 0) break;
    }
    return { kr: 0, data };
  }
  async vmWrite(task: TaskId, address: number, data: Uint8Array): Promise<number> {
    for (let off = 0; off < data.length || (data.length === 0 && off === 0); off += VM_CHUNK) {
      const a = address + off;
      const piece = data.subarray(off, off + VM_CHUNK);
      const kr = (await this.memCall(task, a, piece.length, OP.vmWrite, [0, a >>> 0, Math.floor(a / 2 ** 32) >>> 0, piece.length], piece)).kr!;
      if (kr !== 0 || data.length === 0) return kr;
    }
    return 0;
  }
  /** vm_read, then vm_deallocate when it succeeded: the real kernel copies the bytes out either way. */
  async vmReadDeallocate(task: TaskId, address: number, size: number): Promise<{ kr: number; data: Uint8Array | null }> {
    const r = await this.vmRead(task, address, size);
    if (r.kr !== 0 || size === 0) return r;
    const kr = await this.vmDeallocate(task, address, size);
    return kr === 0 ? r : { kr, data: null };
  }
  /** vm_allocate anywhere, then vm_write (deallocated again if the write fails); the bytes cross the link as a copy. */
  async vmAllocateWrite(task: TaskId, data: Uint8Array): Promise<{ kr: number; address: number }> {
    if (!(data instanceof Uint8Array)) return { kr: KERN_INVALID_ARGUMENT, address: 0 };
    if (data.length === 0) return { kr: 0, address: 0 };
    const a = await this.vmAllocate(task, 0, data.length, true);
    if (a.kr !== 0) return a;
    const kr = await this.vmWrite(task, a.address, data);
    if (kr === 0) return a;
    await this.vmDeallocate(task, a.address, data.length);
    return { kr, address: 0 };
  }
  /**
   * vm_map in the task's own space, on its fault thread (fault-thread.ts):
   * GNU Mach sends memory_object_init to the object, and a copy map reads the
   * pages now, so the call may wait for the pager (served through watch()).
   * `access` is the mapping's current and maximum protection (default
   * read|write), inheritance VM_INHERIT_COPY.
   */
  async vmMap(task: TaskId, args: VmMapArgs): Promise<{ kr: number; address: number }> {
    const a = args ?? ({} as VmMapArgs);
    const whole = (v: unknown, d: number): number | null => (v === undefined ? d : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
    const size = whole(a.size, -1);
    const offset = whole(a.offset, 0);
    const address = whole(a.address, 0);
    const object = whole(a.memoryObject, -1);
    if (size === null || size < 0 || size > 0xffffffff || offset === null || address === null || object === null || object < 0 || object > 0xffffffff) {
      return { kr: KERN_INVALID_ARGUMENT, address: 0 };
    }
    const access = typeof a.access === 'number' ? a.access & 7 : 3;
    const hi = (v: number): number => Math.floor(v / 2 ** 32) >>> 0;
    const r = await this.faults.run(task, OP.vmMap, [address >>> 0, hi(address), size, a.anywhere === false ? 0 : 1, object, offset >>> 0, hi(offset), a.copy === true ? 1 : 0, access]);
    if (r.kr !== 0) return { kr: r.kr!, address: 0 };
    const at = (r.vals[0] ?? 0) + (r.vals[1] ?? 0) * 2 ** 32;
    this.faults.addMapping(task, at, size);
    return { kr: 0, address: at };
  }

  observe(observer: MsgObserver): () => void {
    this.observers.add(observer);
    return () => {
      this.observers.delete(observer);
    };
  }

  snapshot(task: TaskId): SpaceSnapshot | null {
    return this.snapshots.get(task) ?? null;
  }

  close(): Promise<void> {
    this.endClients();
    this.closing ??= (async () => {
      try {
        const link = await this.link;
        link.close();
      } catch {
        // the boot failed; nothing to close on the link
      }
      await this.qemu?.stop();
    })();
    return this.closing;
  }
}
