import type { LocalIdentity } from '../credentials.js';

/**
 * The four id sets of an auth handle, as the Hurd's auth server keeps them
 * (hurd-fs-interfaces.md §4.5): effective and available uids and gids. The
 * effective ids are who the holder is; the available ones are ids it may
 * switch to (setuid), and a server acting for the holder only ever uses the
 * effective ones.
 */
export interface AuthIds {
  readonly euids: readonly number[];
  readonly auids: readonly number[];
  readonly egids: readonly number[];
  readonly agids: readonly number[];
}

export const EMPTY_IDS: AuthIds = { euids: [], auids: [], egids: [], agids: [] };

/** An idvec: each id once, in first-seen order (idvec_merge keeps order). */
function merge(...lists: (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const l of lists) for (const id of l) if (!out.includes(id)) out.push(id);
  return out;
}

/** The handle a node gives for one local identity: that uid and those gids, effective and available alike. */
export function idsOfIdentity(who: LocalIdentity): AuthIds {
  const uids = who.uid === undefined ? [] : [who.uid];
  return { euids: uids, auids: uids, egids: merge(who.gids), agids: merge(who.gids) };
}

/**
 * The identity a server gives a port whose ids the auth server vouched for:
 * the first effective uid (the export checks one owner; more than one uid
 * only comes from a root handle, and uid 0 then comes first if present) and
 * every effective gid. No effective uid: no owner rights, but the groups
 * still count (the "group" bits), as in the Hurd's idvec checks.
 */
export function identityOfIds(ids: { euids: readonly number[]; egids: readonly number[] }): LocalIdentity {
  const uid = ids.euids.includes(0) ? 0 : ids.euids[0];
  const gids = merge(ids.egids);
  return { uid, gid: gids[0], gids };
}

/**
 * auth_makeauth's rule (the Hurd's auth server, auth/auth.c): if any of the
 * handles named (the request port and other_handles) has effective uid 0,
 * anything may be asked; otherwise every uid asked for, effective or
 * available, must be an EFFECTIVE uid of one of those handles, and every gid
 * asked for an effective gid of one of them. Anything else is EPERM. Asking
 * for no ids at all yields the union of the handles' four sets.
 */
export function makeauthIds(sources: readonly AuthIds[], asked: AuthIds): AuthIds | 'EPERM' {
  const none = asked.euids.length + asked.auids.length + asked.egids.length + asked.agids.length === 0;
  if (none) {
    return {
      euids: merge(...sources.map((s) => s.euids)),
      auids: merge(...sources.map((s) => s.auids)),
      egids: merge(...sources.map((s) => s.egids)),
      agids: merge(...sources.map((s) => s.agids)),
    };
  }
  const root = sources.some((s) => s.euids.includes(0));
  if (!root) {
    const isUid = (id: number): boolean => sources.some((s) => s.euids.includes(id));
    const isGroup = (id: number): boolean => sources.some((s) => s.egids.includes(id));
    if (![...asked.euids, ...asked.auids].every(isUid) || ![...asked.egids, ...asked.agids].every(isGroup)) return 'EPERM';
  }
  return { euids: merge(asked.euids), auids: merge(asked.auids), egids: merge(asked.egids), agids: merge(asked.agids) };
}

/** The node's root handle (uid 0 and gid 0, effective and available), held by the node's own servers. */
export const ROOT_IDS: AuthIds = { euids: [0], auids: [0], egids: [0], agids: [0] };
