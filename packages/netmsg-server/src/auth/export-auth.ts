import {
  decodeMessage, encodeMessage, getBuiltinInterface,
  MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND, MACH_RCV_IN_PROGRESS, MACH_RCV_MSG, MACH_SEND_MSG, type CompiledInterface,
} from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';
import type { ExportTask } from '../cluster/export-task.js';
import { placeOol, takeOol } from '../cluster/task-memory.js';
import type { ExportAuth } from '../fs/core.js';
import { ids } from '../fs/hurd-error.js';
import type { AuthServer } from './auth-server.js';
import { ROOT_IDS, type AuthIds } from './ids.js';
import { dropRef } from './rights.js';

/** Mach's largest queue, as the export's other ports. */
const QLIMIT = 16;

/**
 * The export task's side of reauthentication: auth_server_authenticate
 * calls made from the export task on the node's auth server, each in its
 * own asynchronous "thread" (a mach_msg SEND|RCV on a fresh reply port),
 * so the export's one receive loop never waits for a client's half of a
 * rendezvous. The call carries a send right made from the new port
 * (MAKE_SEND: its first one, after the no-senders request is armed). When
 * the answer is in, the port gets its ids and joins the export's port set,
 * so requests the client sent meanwhile wait in its queue until then.
 */
export class ExportReauth implements ExportAuth {
  private readonly auth: CompiledInterface;
  private readonly stop = new AbortController();
  private readonly calls = new Set<Promise<void>>();
  /** Calls answered with ids, and failed (tests, logs). */
  readonly stats = { authenticated: 0, failed: 0 };
  /** Kernel calls that failed unexpectedly (tests read it). */
  readonly errors: string[] = [];

  constructor(
    private readonly kernel: MachKernel,
    private readonly task: TaskId,
    private readonly portSet: number,
    readonly rootHandle: number,
    private readonly release: (name: number) => void,
  ) {
    this.auth = getBuiltinInterface('auth', kernel.abi);
  }

  /** Reauthentications waiting for the auth server's answer. */
  get inProgress(): number {
    return this.calls.size;
  }

  serverAuthenticate(rendezvous: number, newPort: number, done: (ids: AuthIds | undefined) => void): void {
    // Our own reference, taken now: the driver destroys the request's rights right after this returns.
    const kept = this.kernel.portModRefs(this.task, rendezvous, MACH_PORT_RIGHT_SEND, 1);
    const call: Promise<void> = this.run(kept, rendezvous, newPort, done)
      .catch((e: unknown) => void this.errors.push(`reauthenticate: ${(e as Error).message}`))
      .finally(() => this.calls.delete(call));
    this.calls.add(call);
  }

  /** Interrupt the calls in progress (the export is closing). */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.calls]);
  }

  private async run(kept: Promise<number>, rendezvous: number, port: number, done: (ids: AuthIds | undefined) => void): Promise<void> {
    const k = this.kernel;
    const t = this.task;
    const haveRendezvous = (await kept) === 0;
    let result: AuthIds | undefined;
    let sent = false;
    const rp = await k.portAllocate(t, MACH_PORT_RIGHT_RECEIVE);
    try {
      await k.portSetQlimit(t, port, QLIMIT);
      await k.portRequestNotification(t, port, MACH_NOTIFY_NO_SENDERS, 1, port, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      if (haveRendezvous && rp.kr === 0) {
        const r = this.auth.routine('auth_server_authenticate');
        const req = r.encodeRequest(
          { rendezvous: { name: rendezvous, disposition: MACH_MSG_TYPE_COPY_SEND }, newport: { name: port, disposition: MACH_MSG_TYPE_MAKE_SEND } },
          { header: { remotePort: this.rootHandle } },
        );
        const msg = { header: { ...req.header, bits: { ...req.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: MACH_MSG_TYPE_MAKE_SEND_ONCE }, localPort: rp.name }, items: req.items };
        const got = await k.msg(t, {
          options: MACH_SEND_MSG | MACH_RCV_MSG, send: encodeMessage(await placeOol(k, t, msg, []), k.abi),
          rcvName: rp.name, rcvSize: 1 << 16, signal: this.stop.signal,
        });
        // A send error (below the MACH_RCV_* codes) means nothing was copied in: no right to the port was made.
        sent = got.kr === 0 || (got.kr >>> 0) >= MACH_RCV_IN_PROGRESS;
        if (got.kr === 0 && got.message) {
          const m = decodeMessage(got.message, k.abi);
          await takeOol(k, t, m);
          if (m.header.id !== MACH_NOTIFY_SEND_ONCE) {
            const d = r.decodeReply({ ...m, header: { ...m.header, remotePort: m.header.localPort, localPort: m.header.remotePort } });
            if (d.retCode === 0) result = { euids: ids(d.args['euids']), auids: ids(d.args['auids']), egids: ids(d.args['egids']), agids: ids(d.args['agids']) };
          }
        }
      }
    } catch {
      result = undefined;
    } finally {
      if (haveRendezvous) await dropRef(k, t, rendezvous);
      if (rp.kr === 0) await k.portModRefs(t, rp.name, MACH_PORT_RIGHT_RECEIVE, -1);
    }
    if (result) this.stats.authenticated++;
    else this.stats.failed++;
    done(result);
    if (sent) {
      // Served from now on; if the auth server let its right go, the no-senders waiting in the queue frees it.
      await k.portMoveMember(t, port, this.portSet);
    } else {
      // Nobody ever had a right to it.
      this.release(port);
      await k.portDestroy(t, port);
    }
  }
}

/**
 * Give the node's export its auth server: a root handle in the export task
 * (as a Hurd file server holds the root auth port), reauthentication
 * through it, and fsys_getroot's dotdot rights kept in the export task for
 * as long as an open refers to them.
 */
export async function attachAuth(exp: ExportTask, server: AuthServer): Promise<ExportReauth> {
  const k = exp.kernel;
  const t = exp.task;
  const root = await server.giveHandle(t, ROOT_IDS);
  const reauth = new ExportReauth(k, t, exp.portSet, root, (n) => exp.fsx.release(n));
  exp.fsx.useAuth(reauth);
  exp.fsx.useRootParents({
    // Called while the request is handled, before the driver frees its rights: the extra reference is ours.
    keepRight: (name) => void k.portModRefs(t, name, MACH_PORT_RIGHT_SEND, 1),
    dropRight: (name) => void dropRef(k, t, name),
  });
  return reauth;
}
