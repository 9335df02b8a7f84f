import type { LocalIdentity } from '../credentials.js';

/**
 * What the export's port names stand for, in libdiskfs's vocabulary: a
 * *peropen* is one open of a node (file pointer, open modes), shared by
 * every port io_duplicate or io_restrict_auth makes from it; a *protid* is
 * one port: a peropen plus the user it acts for.
 */
export interface PerOpen {
  /** Path components under the export root (updated when this link renames an ancestor). */
  rel: string[];
  /** Host identity of the node when opened (node-identity.ts): a different node at `rel` later is ESTALE. */
  dev: bigint;
  ino: bigint;
  birth: bigint;
  openModes: number;
  offset: bigint;
  /** fsys_getroot's dotdot_node (the root parent), inherited by lookups: `..` at the root answers FS_RETRY_REAUTH with it. 0: none. */
  rootParent: number;
  /** dir_mkfile: the hidden host name holding the not-yet-linked file. */
  anon: boolean;
  /** Ports sharing this open. */
  refs: number;
}

/**
 * The ids a port was made for, and who vouched for them: `claimed`, the ids
 * a caller presented to fsys_getroot (claims from a link, mapped by the
 * credential policy every time they are used); `auth`, ids the node's own
 * auth server returned on io_reauthenticate (local ids, used as they are).
 */
export interface RemoteIds {
  kind: 'claimed' | 'auth';
  uids: number[];
  gids: number[];
}

export interface Protid {
  kind: 'node';
  po: PerOpen;
  /** The local identity permissions are checked against. */
  user: LocalIdentity;
  /** The ids the caller presented (what io_restrict_auth intersects). */
  remote: RemoteIds;
}

/** io_identity's ports: one per node (`node:dev:ino`) and one for the whole export (`fs`). They serve no RPCs. */
export interface IdentityPort {
  kind: 'identity';
  key: string;
}

export type PortObject = { kind: 'control' } | Protid | IdentityPort;
