import type { MigArgs } from 'mach-msg';
import { HurdErrno } from '../errno.js';
import { makeauthIds, type AuthIds } from './ids.js';

/**
 * The node's auth server as a pure state machine (sans-IO): handles (port
 * name -> ids) and the rendezvous tables of the Hurd's auth server
 * (auth/auth.c: pending users and pending servers keyed on the rendezvous
 * port). The task shell (`auth-server.ts`) turns received messages into
 * events and performs the actions with Mach calls.
 *
 * Rendezvous matching is by the rendezvous port's NAME in the auth task:
 * Mach gives one task one name for every send right to one port, and
 * netmsg keeps that true for a port of another node (one proxy per
 * identity), so the right the client sends and the one the io server
 * forwards meet under one name. Either side may come first; the first one
 * waits. A waiting side is cancelled, never left hanging, when the
 * rendezvous port dies (the Hurd's cancel_on_dead_name) or its own reply
 * right dies (the caller gave up or its node went away): both names carry
 * a dead-name request.
 */

/** A reply right as it arrived: its name in the auth task and its type (PORT_SEND_ONCE normally). */
export interface ReplyRight {
  name: number;
  type: number;
}

export type AuthEvent =
  | { type: 'getids'; handle: number; reply: ReplyRight }
  | { type: 'makeauth'; handle: number; others: number[]; asked: AuthIds; reply: ReplyRight }
  | { type: 'user'; handle: number; rendezvous: number; reply: ReplyRight }
  | { type: 'server'; handle: number; rendezvous: number; newport: { name: number; type: number }; reply: ReplyRight }
  /** A dead-name notification for `name` (it holds one uref of the dead name). */
  | { type: 'deadName'; name: number }
  /** The last send right to handle `name` is gone. */
  | { type: 'noSenders'; handle: number }
  /** The shell made the handle port a `mint` action asked for. */
  | { type: 'minted'; name: number; ids: AuthIds; reply: ReplyRight | undefined };

export type AuthAction =
  /** A MIG reply (args) or MIG's bare error reply (retCode), to `to`. */
  | { type: 'reply'; to: ReplyRight; routine: string; args: MigArgs }
  | { type: 'error'; to: ReplyRight; routine: string; retCode: number }
  /** Make a new handle port with these ids, then post `minted` (reply: answer auth_makeauth with it). */
  | { type: 'mint'; ids: AuthIds; reply: ReplyRight | undefined }
  /** Ask for a dead-name notification on `name`. */
  | { type: 'watch'; name: number }
  /** Release one reference the auth task holds on `name` (send, send-once or dead name). */
  | { type: 'drop'; name: number }
  /** Destroy handle port `name` (its receive right). */
  | { type: 'destroy'; name: number };

interface PendingUser {
  side: 'user';
  rendezvous: number;
  reply: ReplyRight;
  ids: AuthIds;
}

interface PendingServer {
  side: 'server';
  rendezvous: number;
  reply: ReplyRight;
  newport: { name: number; type: number };
}

type Pending = PendingUser | PendingServer;

export class AuthCore {
  private readonly handles = new Map<number, AuthIds>();
  private readonly users = new Map<number, PendingUser>();
  private readonly servers = new Map<number, PendingServer>();
  /** Rendezvous completed, cancelled (dead rendezvous or reply), for tests and logs. */
  readonly stats = { matched: 0, cancelled: 0 };

  /** Record a handle port the shell made. */
  addHandle(name: number, ids: AuthIds): void {
    this.handles.set(name, ids);
  }

  idsOf(handle: number): AuthIds | undefined {
    return this.handles.get(handle);
  }

  get handleCount(): number {
    return this.handles.size;
  }

  /** Transactions waiting for their other half. */
  pending(): { users: number; servers: number } {
    return { users: this.users.size, servers: this.servers.size };
  }

  handle(ev: AuthEvent): AuthAction[] {
    switch (ev.type) {
      case 'getids': {
        const ids = this.handles.get(ev.handle);
        if (!ids) return [{ type: 'error', to: ev.reply, routine: 'auth_getids', retCode: HurdErrno.EOPNOTSUPP }];
        return [{ type: 'reply', to: ev.reply, routine: 'auth_getids', args: { ...ids } }];
      }
      case 'makeauth':
        return this.makeauth(ev);
      case 'user':
      case 'server':
        return this.rendezvous(ev);
      case 'deadName':
        return this.deadName(ev.name);
      case 'noSenders':
        if (!this.handles.delete(ev.handle)) return [];
        return [{ type: 'destroy', name: ev.handle }];
      case 'minted':
        this.handles.set(ev.name, ev.ids);
        return ev.reply ? [{ type: 'reply', to: ev.reply, routine: 'auth_makeauth', args: { newhandle: { name: ev.name, disposition: 20 } } }] : [];
    }
  }

  private makeauth(ev: Extract<AuthEvent, { type: 'makeauth' }>): AuthAction[] {
    // The other handles' send rights are ours to release whatever the answer (MIG's server frees them).
    const drops: AuthAction[] = ev.others.filter((n) => n !== 0).map((name) => ({ type: 'drop', name }));
    const own = this.handles.get(ev.handle);
    if (!own) return [...drops, { type: 'error', to: ev.reply, routine: 'auth_makeauth', retCode: HurdErrno.EOPNOTSUPP }];
    const sources = [own];
    for (const n of ev.others) {
      const ids = this.handles.get(n);
      if (!ids) return [...drops, { type: 'error', to: ev.reply, routine: 'auth_makeauth', retCode: HurdErrno.EINVAL }];
      sources.push(ids);
    }
    const ids = makeauthIds(sources, ev.asked);
    if (ids === 'EPERM') return [...drops, { type: 'error', to: ev.reply, routine: 'auth_makeauth', retCode: HurdErrno.EPERM }];
    return [...drops, { type: 'mint', ids, reply: ev.reply }];
  }

  private rendezvous(ev: Extract<AuthEvent, { type: 'user' | 'server' }>): AuthAction[] {
    const routine = ev.type === 'user' ? 'auth_user_authenticate' : 'auth_server_authenticate';
    const own = this.handles.get(ev.handle);
    const extra: AuthAction[] = ev.type === 'server' ? [{ type: 'drop', name: ev.newport.name }] : [];
    if (!own || ev.rendezvous === 0) {
      const err = own ? HurdErrno.EINVAL : HurdErrno.EOPNOTSUPP;
      return [...extra, ...(ev.rendezvous ? [{ type: 'drop', name: ev.rendezvous } as const] : []), { type: 'error', to: ev.reply, routine, retCode: err }];
    }
    if (ev.type === 'user') {
      const s = this.servers.get(ev.rendezvous);
      if (s) return this.match({ side: 'user', rendezvous: ev.rendezvous, reply: ev.reply, ids: own }, s);
      if (this.users.has(ev.rendezvous)) {
        // One user per rendezvous at a time (the first keeps its place).
        return [{ type: 'drop', name: ev.rendezvous }, { type: 'error', to: ev.reply, routine, retCode: HurdErrno.EBUSY }];
      }
      this.users.set(ev.rendezvous, { side: 'user', rendezvous: ev.rendezvous, reply: ev.reply, ids: own });
    } else {
      const u = this.users.get(ev.rendezvous);
      if (u) return this.match(u, { side: 'server', rendezvous: ev.rendezvous, reply: ev.reply, newport: ev.newport });
      if (this.servers.has(ev.rendezvous)) {
        return [...extra, { type: 'drop', name: ev.rendezvous }, { type: 'error', to: ev.reply, routine, retCode: HurdErrno.EBUSY }];
      }
      this.servers.set(ev.rendezvous, { side: 'server', rendezvous: ev.rendezvous, reply: ev.reply, newport: ev.newport });
    }
    return [{ type: 'watch', name: ev.rendezvous }, { type: 'watch', name: ev.reply.name }];
  }

  /** Both halves are here: the server learns the user's ids, the user gets the server's new port. */
  private match(u: PendingUser, s: PendingServer): AuthAction[] {
    this.users.delete(u.rendezvous);
    this.servers.delete(s.rendezvous);
    this.stats.matched++;
    return [
      { type: 'reply', to: s.reply, routine: 'auth_server_authenticate', args: { ...u.ids } },
      // The new port moves to the user with the disposition it arrived with.
      { type: 'reply', to: u.reply, routine: 'auth_user_authenticate', args: { newport: { name: s.newport.name, disposition: s.newport.type } } },
      // Each request brought one reference to the rendezvous.
      { type: 'drop', name: u.rendezvous },
      { type: 'drop', name: s.rendezvous },
    ];
  }

  /**
   * A watched name died. A dead rendezvous cancels whoever waits on it (the
   * waiter gets EINTR, as hurd_condition_wait reports a cancelled wait); a
   * dead reply right means the caller is gone, so its half is dropped
   * without an answer. Everything the half held is released: the
   * rendezvous reference, the reply right, the server's new port (whose
   * server then sees no senders and frees it).
   */
  private deadName(name: number): AuthAction[] {
    const out: AuthAction[] = [];
    const hit: Pending[] = [];
    for (const table of [this.users, this.servers] as Map<number, Pending>[]) {
      for (const p of table.values()) if (p.rendezvous === name || p.reply.name === name) hit.push(p);
    }
    for (const p of hit) {
      (p.side === 'user' ? this.users : this.servers).delete(p.rendezvous);
      this.stats.cancelled++;
      const routine = p.side === 'user' ? 'auth_user_authenticate' : 'auth_server_authenticate';
      if (p.reply.name === name) out.push({ type: 'drop', name: p.reply.name });
      else out.push({ type: 'error', to: p.reply, routine, retCode: HurdErrno.EINTR });
      out.push({ type: 'drop', name: p.rendezvous });
      if (p.side === 'server') out.push({ type: 'drop', name: p.newport.name });
    }
    // The notification's own reference to the dead name.
    out.push({ type: 'drop', name });
    return out;
  }
}
