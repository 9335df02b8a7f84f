import type { BigIntStats } from 'node:fs';
import type { Abi } from 'mach-msg';
import type { AuthIds } from '../auth/ids.js';
import type { CredentialPolicy, LocalIdentity } from '../credentials.js';
import type { Logger } from '../log.js';
import type { HostTree } from './host.js';
import type { PerOpen, PortObject, Protid } from './ports.js';

/** What an `io_map` hook answers: memory object names in the export's name space (0 = none), or a Hurd errno. */
export type IoMapAnswer = { read: number; write: number; disposition?: number } | number;

/**
 * The node's auth server as the export uses it (hurd-fs-interfaces.md §6).
 * A kernel-backed driver provides it (`src/auth/export-auth.ts`); without
 * it io_reauthenticate is accepted and dropped and the control port answers
 * no auth routine.
 */
export interface ExportAuth {
  /** The export's send right to a root handle of its node's auth server (a name in the export's space). */
  readonly rootHandle: number;
  /**
   * Start auth_server_authenticate(rootHandle, rendezvous, newPort) and call
   * `done` with the user's ids when the auth server answers (undefined if it
   * failed). Called while the request that carried `rendezvous` is being
   * handled: the right is the request's, so an implementation takes its own
   * reference before returning.
   */
  serverAuthenticate(rendezvous: number, newPort: number, done: (ids: AuthIds | undefined) => void): void;
}

/** A driver that keeps fsys_getroot's dotdot rights (FsExportOptions.rootParent). */
export interface RootParentRights {
  /** `name` became a root parent: keep the request's send right past the request (called synchronously). */
  keepRight?(name: number): void;
  /** No open refers to root parent `name` any more: its right may go. */
  dropRight(name: number): void;
}

/**
 * The export state the routine files (lookup, dir-ops, file-ops, io-ops,
 * control) work on. FsExport implements it; the routines never see the link
 * or the kernel.
 */
export interface ExportCore {
  readonly tree: HostTree;
  readonly readOnly: boolean;
  readonly abi: Abi;
  readonly policy: CredentialPolicy;
  readonly log: Logger | undefined;
  /** The node process's effective uid (root must chown what it creates to the mapped identity). */
  readonly processUid: number;
  readonly ioMap: ((rel: readonly string[], openModes: number) => IoMapAnswer) | undefined;
  /** Set when the driver keeps fsys_getroot's dotdot rights (FsExportOptions.rootParent). */
  readonly rootParents: RootParentRights | undefined;
  /** The node's auth server, when the driver has one. */
  readonly auth: ExportAuth | undefined;
  port(name: number): PortObject | undefined;
  /** A new protid for `po` (a new peropen unless shared); its name, sent MAKE_SEND. */
  newProtid(po: PerOpen, user: LocalIdentity, remote: Protid['remote']): { name: number; disposition: number };
  /** A name for an identity port (one per key, reused while the link holds it). */
  identityPort(key: string): { name: number; disposition: number };
  /** This link renamed `from` to `to`: ports under it follow. */
  renamed(from: readonly string[], to: readonly string[]): void;
  /** The node behind a protid as it is now; ESTALE if its path names another node. */
  nodeStat(p: Protid): BigIntStats;
  livePorts: number;
}

/** Prefix of the hidden host names dir_mkfile uses; such names are invisible through the export. */
export const ANON_PREFIX = '.netmsg-mkfile-';
