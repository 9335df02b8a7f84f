import {
  decodeMessage, encodeMessage, getBuiltinInterface, isMigError, parseNotification,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS,
  MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG, MACH_SEND_TIMEOUT, MIG_BAD_ARGUMENTS, MIG_BAD_ID,
  type CompiledInterface, type MachMessage, type MigArgs,
} from 'mach-msg';
import type { GnumachKernel, MachKernel, TaskId } from 'hurd-ffi';
import { destroyRights, placeOol, takeOol, unplaceOol } from '../cluster/task-memory.js';
import { errorReply } from '../fs/export.js';
import { ids, portName } from '../fs/hurd-error.js';
import type { Logger } from '../log.js';
import { dropRef } from './rights.js';
import { AuthCore, type AuthAction, type AuthEvent, type ReplyRight } from './auth-core.js';
import type { AuthIds } from './ids.js';

/** Mach's largest queue, as the export's ports. */
const QLIMIT = 16;

/**
 * The node's auth server: a task on the node's kernel (beside netmsg and
 * the export) holding one receive right per auth handle and a notify port
 * for its dead-name requests, all in one port set. It receives with
 * mach_msg, turns each message into an `AuthCore` event, and performs the
 * core's actions as Mach calls, one event at a time. Its answers to
 * auth_user_authenticate and auth_server_authenticate are sent when the
 * other half arrives (MIG's "sreplyport": the reply right is kept, as the
 * Hurd's auth server keeps the waiting RPC). Each handle port carries a
 * no-senders request to itself; the handle dies with its last send right.
 *
 * On the real GNU Mach (hurd-ffi's `gnumach` backend) a receive that would
 * block is polled over the serial link that every task's calls share, so
 * an idle auth task would keep that link busy. There the task does not
 * receive on its port set: each of its receive rights is watched instead
 * (`GnumachKernel.watch`: the agent takes every message arriving on it as
 * the task's receive and passes it up unasked), so an idle auth server costs
 * the link nothing. The messages are the same, in arrival order per port.
 */
export class AuthServer {
  readonly core = new AuthCore();
  private readonly iface: CompiledInterface;
  private closed = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  /** Kernel calls that failed unexpectedly, messages that made no sense (tests read it). */
  readonly errors: string[] = [];
  /** GNU Mach: the kernel whose agent hands us each message of a watched right (see the class comment). */
  private readonly watcher: GnumachKernel | undefined;
  /** Watched messages not yet served, and the serve loop waiting for one. */
  private readonly inbox: Uint8Array[] = [];
  private wake: (() => void) | undefined;

  private constructor(
    readonly kernel: MachKernel,
    readonly task: TaskId,
    readonly portSet: number,
    readonly notifyPort: number,
    private readonly log: Logger | undefined,
  ) {
    this.iface = getBuiltinInterface('auth', kernel.abi);
    this.watcher = kernel.backend === 'gnumach' ? (kernel as GnumachKernel) : undefined;
  }

  static async create(kernel: MachKernel, log?: Logger): Promise<AuthServer> {
    const task = await kernel.taskCreate({ name: 'auth' });
    const set = await kernel.portAllocate(task, MACH_PORT_RIGHT_PORT_SET);
    const notify = await kernel.portAllocate(task, MACH_PORT_RIGHT_RECEIVE);
    if (set.kr !== 0 || notify.kr !== 0) throw new Error(`auth task setup: kr ${set.kr}/${notify.kr}`);
    const s = new AuthServer(kernel, task, set.name, notify.name, log);
    await s.listen(notify.name);
    s.loop = s.serve();
    return s;
  }

  /** Serve receive right `name`: into the port set, or on GNU Mach watched (class comment). */
  private async listen(name: number): Promise<void> {
    if (!this.watcher) {
      await this.kernel.portMoveMember(this.task, name, this.portSet);
      return;
    }
    const kr = await this.watcher.watch(this.task, name, (m) => {
      this.inbox.push(m);
      this.wake?.();
    });
    if (kr !== 0) throw new Error(`watch of ${name}: kr ${kr}`);
  }

  /** The next message: a receive on the port set, or the next watched one. */
  private async next(): Promise<{ kr: number; message?: Uint8Array }> {
    if (!this.watcher) {
      return this.kernel.msg(this.task, { options: MACH_RCV_MSG, rcvName: this.portSet, rcvSize: 1 << 16, signal: this.stop.signal });
    }
    while (this.inbox.length === 0 && !this.closed) await new Promise<void>((res) => (this.wake = res));
    this.wake = undefined;
    const message = this.inbox.shift();
    return message ? { kr: 0, message } : { kr: 0 };
  }

  /**
   * A new handle with `ids`, and a send right to it in `task`: its name
   * there. How the node gives its own tasks their handles (the export gets
   * a root handle, as the Hurd's file servers hold the root auth port).
   */
  async giveHandle(task: TaskId, authIds: AuthIds): Promise<number> {
    const name = await this.mint(authIds);
    const r = await this.kernel.portExtractRight(this.task, name, MACH_MSG_TYPE_MAKE_SEND, task);
    if (r.kr !== 0) throw new Error(`auth handle for task ${task}: kr ${r.kr}`);
    return r.name;
  }

  /** Names the auth task holds beyond its port set and notify port (leak checks: handles, waiting rights). */
  async portCount(): Promise<number> {
    const r = await this.kernel.portNames(this.task);
    return r.names.length - 2;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.wake?.();
    await this.loop;
    await this.kernel.taskTerminate(this.task);
  }

  private fail(what: string): void {
    this.errors.push(what);
    this.log?.error('auth task', { error: what });
  }

  private async serve(): Promise<void> {
    const k = this.kernel;
    while (!this.closed) {
      const r = await this.next();
      if (this.closed) return;
      if (r.kr !== 0 || !r.message) {
        this.fail(`receive: kr 0x${r.kr.toString(16)}`);
        continue;
      }
      try {
        await this.receive(decodeMessage(r.message, k.abi));
      } catch (e) {
        this.fail(`message: ${(e as Error).message}`);
      }
    }
  }

  private async receive(msg: MachMessage): Promise<void> {
    const h = msg.header;
    const port = h.localPort;
    const ool = await takeOol(this.kernel, this.task, msg);
    if (port === this.notifyPort) {
      // Dead-name notifications for our requests; anything else (port-deleted
      // after a watched right was used, send-once) needs nothing but freeing.
      const n = h.id === MACH_NOTIFY_DEAD_NAME ? parseNotification(msg) : undefined;
      if (n?.kind === 'dead-name') await this.run({ type: 'deadName', name: n.name });
      else await destroyRights(this.kernel, this.task, msg, ool);
      return;
    }
    if (h.id === MACH_NOTIFY_NO_SENDERS && h.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE) {
      // The kernel's notification carries no right; one a task forged might: free whatever came.
      await destroyRights(this.kernel, this.task, { header: { ...h, bits: { ...h.bits, local: 0 } }, items: msg.items }, ool);
      let n: ReturnType<typeof parseNotification>;
      try {
        n = parseNotification(msg);
      } catch {
        return;
      }
      await this.noSenders(port, n);
      return;
    }
    const reply: ReplyRight = { name: h.remotePort, type: h.bits.remote };
    const routine = this.iface.byId.get(h.id);
    if (!routine || routine.simple) {
      await this.sendError(msg, reply, MIG_BAD_ID);
      await destroyRights(this.kernel, this.task, { header: { ...h, bits: { ...h.bits, remote: 0, local: 0 } }, items: msg.items }, ool);
      return;
    }
    let a: MigArgs;
    try {
      const request: MachMessage = { header: { ...h, bits: { ...h.bits, remote: h.bits.local, local: h.bits.remote }, remotePort: port, localPort: h.remotePort }, items: msg.items };
      a = routine.decodeRequest(request).args;
    } catch (e) {
      if (!isMigError(e)) throw e;
      await this.sendError(msg, reply, MIG_BAD_ARGUMENTS);
      await destroyRights(this.kernel, this.task, { header: { ...h, bits: { ...h.bits, remote: 0, local: 0 } }, items: msg.items }, ool);
      return;
    }
    let ev: AuthEvent;
    try {
      ev = this.eventOf(routine.name, port, a, reply);
    } catch {
      await this.sendError(msg, reply, MIG_BAD_ARGUMENTS);
      await destroyRights(this.kernel, this.task, { header: { ...h, bits: { ...h.bits, remote: 0, local: 0 } }, items: msg.items }, ool);
      return;
    }
    await this.run(ev);
  }

  /** A decoded request as a core event (the rights it carries become the core's to account for). */
  private eventOf(name: string, handle: number, a: MigArgs, reply: ReplyRight): AuthEvent {
    switch (name) {
      case 'auth_getids':
        return { type: 'getids', handle, reply };
      case 'auth_makeauth': {
        const others = Array.isArray(a['other_handles']) ? a['other_handles'].map(portName) : [];
        if (!Array.isArray(a['other_handles'])) throw new Error('out-of-line other_handles');
        return { type: 'makeauth', handle, others, reply, asked: { euids: ids(a['euids']), auids: ids(a['auids']), egids: ids(a['egids']), agids: ids(a['agids']) } };
      }
      case 'auth_user_authenticate':
        return { type: 'user', handle, rendezvous: portName(a['rendezvous']), reply };
      case 'auth_server_authenticate': {
        const np = a['newport'] as { name: number; disposition: number };
        return { type: 'server', handle, rendezvous: portName(a['rendezvous']), newport: { name: portName(np), type: np.disposition }, reply };
      }
      default:
        throw new Error(`routine ${name}`);
    }
  }

  /** Feed one event to the core and perform its actions in order (a `mint` feeds its `minted` back). */
  private async run(first: AuthEvent): Promise<void> {
    const work: AuthEvent[] = [first];
    while (work.length > 0) {
      for (const act of this.core.handle(work.shift()!)) {
        try {
          await this.perform(act, work);
        } catch (e) {
          this.fail(`${act.type}: ${(e as Error).message}`);
        }
      }
    }
  }

  private async perform(a: AuthAction, work: AuthEvent[]): Promise<void> {
    const k = this.kernel;
    switch (a.type) {
      case 'reply': {
        const r = this.iface.routine(a.routine);
        const out: Uint8Array[] = [];
        const enc = r.encodeReply(a.args, {
          header: { remotePort: a.to.name },
          placeOutOfLine: (data) => {
            out.push(data.slice());
            return BigInt(out.length) << 12n;
          },
        });
        // The reply right moves with the disposition it arrived with (send-once from a MIG user; MIG's encoder set complex).
        const msg = { header: { ...enc.header, bits: { ...enc.header.bits, remote: a.to.type } }, items: enc.items };
        const ok = await this.send(await placeOol(k, this.task, msg, out), a.to);
        // A new handle whose reply could not go: nobody will ever hold it (its no-senders would never come).
        if (!ok && a.routine === 'auth_makeauth') work.push({ type: 'noSenders', handle: (a.args['newhandle'] as { name: number }).name });
        return;
      }
      case 'error': {
        const r = this.iface.routine(a.routine);
        const enc = r.encodeReply({ retCode: a.retCode }, { header: { remotePort: a.to.name } });
        await this.send({ header: { ...enc.header, bits: { ...enc.header.bits, remote: a.to.type } }, items: enc.items }, a.to);
        return;
      }
      case 'mint':
        work.push({ type: 'minted', name: await this.mint(a.ids, false), ids: a.ids, reply: a.reply });
        return;
      case 'watch': {
        const r = await k.portRequestNotification(this.task, a.name, MACH_NOTIFY_DEAD_NAME, 1, this.notifyPort, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        // A request replaced: its send-once right comes back, and is ours to drop.
        if (r.kr === 0 && r.previous !== 0) await k.portDeallocate(this.task, r.previous);
        return;
      }
      case 'drop':
        await this.drop(a.name);
        return;
      case 'destroy':
        // A watched right leaves the agent's set first, so the host forgets it too.
        if (this.watcher) await this.watcher.unwatch(this.task, a.name);
        await k.portDestroy(this.task, a.name);
        return;
    }
  }

  /** Send a reply; a reply right that died meanwhile is released instead (the send took nothing). */
  private async send(msg: MachMessage, to: ReplyRight): Promise<boolean> {
    const s = await this.kernel.msg(this.task, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: 0, send: encodeMessage(msg, this.kernel.abi) });
    if (s.kr === 0) return true;
    // Nothing was taken: free the memory and the moving rights the reply would have carried (a passed-on
    // new port), and the reply right itself (dead, or refused).
    await unplaceOol(this.kernel, this.task, msg);
    await destroyRights(this.kernel, this.task, { header: { ...msg.header, bits: { ...msg.header.bits, remote: 0, local: 0 } }, items: msg.items }, []);
    await this.drop(to.name);
    return false;
  }

  private async sendError(req: MachMessage, to: ReplyRight, code: number): Promise<void> {
    if (to.name === 0) return;
    const e = errorReply({ header: { ...req.header, localPort: to.name }, items: [] }, code);
    await this.send({ header: { ...e.header, bits: { ...e.header.bits, remote: to.type } }, items: e.items }, to);
  }

  private drop(name: number): Promise<void> {
    return dropRef(this.kernel, this.task, name);
  }

  /** A handle port: a receive right in the set, no-senders to itself. `record`: add it to the core now. */
  private async mint(authIds: AuthIds, record = true): Promise<number> {
    const k = this.kernel;
    const p = await k.portAllocate(this.task, MACH_PORT_RIGHT_RECEIVE);
    if (p.kr !== 0) throw new Error(`port_allocate: kr ${p.kr}`);
    await k.portSetQlimit(this.task, p.name, QLIMIT);
    // Armed before the first send right is made (mscount 0 < sync 1: not fired yet).
    await k.portRequestNotification(this.task, p.name, MACH_NOTIFY_NO_SENDERS, 1, p.name, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    await this.listen(p.name);
    if (record) this.core.addHandle(p.name, authIds);
    return p.name;
  }

  /** The last send right to a handle is gone (unless one was made since the notification: re-arm). */
  private async noSenders(port: number, n: ReturnType<typeof parseNotification>): Promise<void> {
    const k = this.kernel;
    const st = await k.portGetReceiveStatus(this.task, port);
    if (st.kr !== 0 || !st.status) return;
    const mscount = n?.kind === 'no-senders' ? n.mscount : 0;
    if (st.status.srights || st.status.mscount !== mscount) {
      await k.portRequestNotification(this.task, port, MACH_NOTIFY_NO_SENDERS, st.status.mscount, port, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      return;
    }
    await this.run({ type: 'noSenders', handle: port });
  }
}
