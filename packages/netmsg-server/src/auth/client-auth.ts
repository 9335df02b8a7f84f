import {
  encodeMessage, getBuiltinInterface, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE, MACH_SEND_MSG,
  MACH_SEND_TIMEOUT, type MachMessage, type MigArgs,
} from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';
import { hurdErrorName } from '../errno.js';
import { NetmsgServerError } from '../errors.js';
import type { AuthIds } from './ids.js';

/** What the client side of reauthentication needs of a client: its task, and messages sent from it with a reply port. */
export interface AuthCaller {
  readonly kernel: MachKernel;
  readonly task: TaskId;
  rawCall(msg: MachMessage): Promise<{ msg: MachMessage }>;
}

/** An auth routine from the caller's task, checked as MIG's user stub checks the reply; RetCode != 0 throws rpc_failed. */
async function authCall(c: AuthCaller, port: number, routine: string, args: MigArgs): Promise<MigArgs> {
  const r = getBuiltinInterface('auth', c.kernel.abi).routine(routine);
  const { msg } = await c.rawCall(r.encodeRequest(args, { header: { remotePort: port } }));
  const dec = r.decodeReply(msg);
  if (dec.retCode !== 0) throw new NetmsgServerError('rpc_failed', `${routine}: ${hurdErrorName(dec.retCode)}`, dec.retCode);
  return dec.args;
}

function portOf(v: unknown): number {
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'number') return (v as { name: number }).name;
  if (typeof v === 'number') return v;
  throw new NetmsgServerError('bad_reply', 'reply carries no port');
}

function idsOf(a: MigArgs): AuthIds {
  const list = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => Number(x)) : []);
  return { euids: list(a['euids']), auids: list(a['auids']), egids: list(a['egids']), agids: list(a['agids']) };
}

/** auth_getids: the four id sets of a handle. */
export async function getIds(c: AuthCaller, handle: number): Promise<AuthIds> {
  return idsOf(await authCall(c, handle, 'auth_getids', {}));
}

/**
 * auth_makeauth on `handle`: a new handle with the ids asked for, which the
 * auth server allows only from what `handle` holds (EPERM otherwise).
 * Nothing asked: a copy of `handle`'s ids. On a node's control port the ids
 * are claims mapped by the node's credential policy (`FsClient.authHandle`).
 */
export async function makeAuth(c: AuthCaller, handle: number, ids: Partial<AuthIds>): Promise<number> {
  const a = await authCall(c, handle, 'auth_makeauth', {
    other_handles: [], euids: [...(ids.euids ?? [])], auids: [...(ids.auids ?? [])], egids: [...(ids.egids ?? [])], agids: [...(ids.agids ?? [])],
  });
  return portOf(a['newhandle']);
}

/** A fresh receive right to meet at (the Hurd's mach_reply_port()); destroy it with `dropRendezvous`. */
export async function newRendezvous(c: AuthCaller): Promise<number> {
  const r = await c.kernel.portAllocate(c.task, MACH_PORT_RIGHT_RECEIVE);
  if (r.kr !== 0) throw new NetmsgServerError('rpc_failed', `rendezvous port: kr ${r.kr}`, r.kr);
  return r.name;
}

export async function dropRendezvous(c: AuthCaller, rendezvous: number): Promise<void> {
  await c.kernel.portModRefs(c.task, rendezvous, MACH_PORT_RIGHT_RECEIVE, -1);
}

/**
 * io_reauthenticate(port, rendezvous): a simpleroutine, so one send and no
 * reply (hurd-fs-interfaces.md §6 step 2). The server answers through the
 * auth server.
 */
export async function sendReauthenticate(c: AuthCaller, port: number, rendezvous: number): Promise<void> {
  const io = getBuiltinInterface('io', c.kernel.abi);
  const req = io.routine('io_reauthenticate').encodeRequest(
    { rendezvous2: { name: rendezvous, disposition: MACH_MSG_TYPE_MAKE_SEND } },
    { header: { remotePort: port } },
  );
  const msg = { header: { ...req.header, bits: { ...req.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: 0 }, localPort: 0 }, items: req.items };
  // Bounded, so a server whose queue stays full cannot hold the caller for ever.
  const s = await c.kernel.msg(c.task, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: 30_000, send: encodeMessage(msg, c.kernel.abi) });
  if (s.kr !== 0) throw new NetmsgServerError('rpc_failed', `io_reauthenticate: ${hurdErrorName(s.kr)}`, s.kr);
}

/** auth_user_authenticate(auth, rendezvous): waits for the server's half; the new port it made. */
export async function userAuthenticate(c: AuthCaller, auth: number, rendezvous: number): Promise<number> {
  const a = await authCall(c, auth, 'auth_user_authenticate', { rendezvous: { name: rendezvous, disposition: MACH_MSG_TYPE_MAKE_SEND } });
  return portOf(a['newport']);
}

/**
 * Reauthenticate `port` with auth handle `auth` (glibc's reauthentication,
 * §6): a fresh rendezvous right, io_reauthenticate to the port's server,
 * auth_user_authenticate to the auth server, which hands over the new port
 * the server made for the same open with the handle's ids. The rendezvous
 * right is destroyed afterwards, which also ends a half left waiting.
 * `auth` must be a handle of the auth server of the node serving `port`
 * (each node runs its own, and a rendezvous only meets at one).
 */
export async function reauthenticate(c: AuthCaller, port: number, auth: number): Promise<number> {
  const rendezvous = await newRendezvous(c);
  try {
    await sendReauthenticate(c, port, rendezvous);
    return await userAuthenticate(c, auth, rendezvous);
  } finally {
    await dropRendezvous(c, rendezvous);
  }
}
