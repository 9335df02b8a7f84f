import { identityOfIds } from '../auth/ids.js';
import { NO_IDENTITY } from '../credentials.js';
import type { ExportCore } from './core.js';
import type { Protid } from './ports.js';

/**
 * io_reauthenticate (hurd-fs-interfaces.md §6, libiohelp's iohelp_reauth):
 * a new port for the SAME open (file pointer and open modes shared) whose
 * ids come from the node's auth server: auth_server_authenticate with the
 * client's rendezvous right and a send right to the new port, which the
 * auth server hands to the client once the client's auth_user_authenticate
 * meets it. The ids are the client's auth handle's effective ids, vouched
 * for by this node's auth server, so they are local ids used as they are
 * (no policy mapping). Until the answer the port carries no ids, and the
 * driver keeps it out of its port set (as libdiskfs finishes a protid only
 * after iohelp_reauth), so nothing is served on it before its ids are set.
 * If the auth server fails, the port keeps no ids (libiohelp's
 * permit_failure) — and its only send right, the auth server's, is gone, so
 * it is freed by its no-senders. A simpleroutine: nothing is answered.
 */
export function ioReauthenticate(x: ExportCore, p: Protid, rendezvous: number): void {
  if (!x.auth || rendezvous === 0) return;
  let name: number;
  try {
    name = x.newProtid(p.po, NO_IDENTITY, { kind: 'auth', uids: [], gids: [] }).name;
  } catch {
    return; // ENFILE: a simpleroutine cannot say so; the client's auth_user_authenticate ends when it gives up its rendezvous.
  }
  x.auth.serverAuthenticate(rendezvous, name, (ids) => {
    const o = x.port(name);
    if (o?.kind !== 'node') return;
    o.user = ids ? identityOfIds(ids) : NO_IDENTITY;
    o.remote = { kind: 'auth', uids: [...(ids?.euids ?? [])], gids: [...(ids?.egids ?? [])] };
  });
}
