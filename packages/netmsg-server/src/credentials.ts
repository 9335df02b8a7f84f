import { NetmsgServerError } from './errors.js';

/**
 * Who a remote caller is on this node. A Hurd server learns a user's ids
 * from `fsys_getroot`'s `gen_uids`/`gen_gids` (or from the auth server on
 * reauthentication) and gives every port it hands out those ids. Ids that
 * arrive over a link are only claims, so they never reach the host as they
 * are: a policy maps them to ONE local identity, and the export checks that
 * identity's permissions itself (the node process may be root, and then the
 * host kernel would allow everything).
 */

/** A local identity the export acts as. `uid` undefined: no ids at all (an unauthenticated port). */
export interface LocalIdentity {
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  /** Supplementary groups (the primary gid included). */
  readonly gids: readonly number[];
}

/** `--map-user REMOTE:LOCAL[:GID[,GID...]]`: remote uid REMOTE acts as local uid LOCAL (primary group GID, and the others as supplementary groups). */
export interface UserMapping {
  remote: number;
  local: number;
  gid?: number;
  /** Supplementary groups after `gid` (`REMOTE:LOCAL:GID,G2,G3`). */
  groups?: number[];
}

export interface CredentialPolicy {
  /** The local identity for a caller presenting these ids (fsys_getroot's gen_uids/gen_gids). */
  map(remoteUids: readonly number[], remoteGids: readonly number[]): LocalIdentity;
  /** Human-readable description for logs. */
  describe(): string;
}

/** The conventional unprivileged `nobody`/`nogroup` ids. */
export const NOBODY = 65534;

/** A port without ids: only the "other" permission bits apply to it. */
export const NO_IDENTITY: LocalIdentity = { uid: undefined, gid: undefined, gids: [] };

function idOf(s: string, what: string, spec: string): number {
  if (!/^\d+$/.test(s)) throw new NetmsgServerError('bad_option', `map-user '${spec}': ${what} '${s}' is not a numeric id`);
  const n = Number(s);
  if (n > 0xfffffffe) throw new NetmsgServerError('bad_option', `map-user '${spec}': ${what} ${n} is out of range`);
  return n;
}

/**
 * Parse one `--map-user` value, `REMOTE:LOCAL`, `REMOTE:LOCAL:GID` or
 * `REMOTE:LOCAL:GID,G2,...` (numeric ids; the later groups are
 * supplementary). Throws NetmsgServerError('bad_option') naming the problem.
 */
export function parseMapUser(spec: string): UserMapping {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new NetmsgServerError('bad_option', `map-user '${spec}': want REMOTE:LOCAL or REMOTE:LOCAL:GID[,GID...] (numeric ids)`);
  }
  const m: UserMapping = { remote: idOf(parts[0]!, 'remote uid', spec), local: idOf(parts[1]!, 'local uid', spec) };
  if (parts[2] !== undefined) {
    const [gid, ...more] = parts[2].split(',').map((g) => idOf(g, 'local gid', spec));
    m.gid = gid!;
    if (more.length > 0) m.groups = [...new Set(more)].filter((g) => g !== gid);
  }
  return m;
}

/** Parse every `--map-user` value; a remote uid mapped twice is an error. */
export function parseMapUsers(specs: readonly string[]): UserMapping[] {
  const seen = new Set<number>();
  return specs.map((s) => {
    const m = parseMapUser(s);
    if (seen.has(m.remote)) throw new NetmsgServerError('bad_option', `map-user: remote uid ${m.remote} is mapped twice`);
    seen.add(m.remote);
    return m;
  });
}

export interface CredentialPolicyOptions {
  /** Explicit mappings (first remote uid of the caller that matches wins). */
  mappings?: readonly UserMapping[];
  /** The identity every unmapped caller gets (default: `defaultLocalIdentity(exportOwner)`). */
  fallback?: { uid: number; gid: number };
}

/**
 * The identity an unmapped remote user gets: the node process's own ids if
 * it is not root (it can do no more than that anyway); if it is root, the
 * owner of the export directory unless that is root too, and then `nobody`.
 */
export function defaultLocalIdentity(exportOwner?: { uid: number; gid: number }): { uid: number; gid: number } {
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : NOBODY;
  const egid = typeof process.getegid === 'function' ? process.getegid() : NOBODY;
  if (euid !== 0) return { uid: euid, gid: egid };
  if (exportOwner && exportOwner.uid !== 0) return exportOwner;
  return { uid: NOBODY, gid: NOBODY };
}

/** "Every remote user is one unprivileged local identity", except explicit mappings. */
export function createCredentialPolicy(opts: CredentialPolicyOptions = {}): CredentialPolicy {
  const fallback = opts.fallback ?? defaultLocalIdentity();
  const byRemote = new Map((opts.mappings ?? []).map((m) => [m.remote, m]));
  return {
    map(remoteUids) {
      for (const u of remoteUids) {
        const m = byRemote.get(u);
        if (m) {
          const gid = m.gid ?? (m.local === fallback.uid ? fallback.gid : m.local);
          return { uid: m.local, gid, gids: [gid, ...(m.groups ?? [])] };
        }
      }
      return { uid: fallback.uid, gid: fallback.gid, gids: [fallback.gid] };
    },
    describe() {
      const maps = [...byRemote.values()].map((m) => `${m.remote}->${m.local}${m.gid !== undefined ? `:${[m.gid, ...(m.groups ?? [])].join(',')}` : ''}`);
      return `unmapped users act as ${fallback.uid}:${fallback.gid}${maps.length ? `; ${maps.join(', ')}` : ''}`;
    },
  };
}

/** Permission bits wanted, as in access(2): 4 read, 2 write, 1 execute/search. */
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

/**
 * May `who` access a node with this mode/owner for `want` (R_OK|W_OK|X_OK)?
 * The classic owner/group/other rule; uid 0 may do anything except execute a
 * file nobody may execute. A port with no ids gets the "other" bits.
 */
export function permits(who: LocalIdentity, st: { mode: number; uid: number; gid: number }, want: number): boolean {
  if (want === 0) return true;
  if (who.uid === 0) {
    if (!(want & X_OK)) return true;
    return (st.mode & 0o170000) === 0o040000 || (st.mode & 0o111) !== 0;
  }
  let bits: number;
  if (who.uid !== undefined && who.uid === st.uid) bits = (st.mode >> 6) & 7;
  else if (who.gids.includes(st.gid)) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return (bits & want) === want;
}

/** Is `who` the owner of a node (or root)? chmod, utimes to explicit times, and sticky directories need it. */
export function owns(who: LocalIdentity, st: { uid: number }): boolean {
  return who.uid === 0 || (who.uid !== undefined && who.uid === st.uid);
}
