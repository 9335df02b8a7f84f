import { AUTH_DEFS } from './defs/auth.js';
import { FS_DEFS } from './defs/fs.js';
import { FS_NOTIFY_DEFS } from './defs/fs-notify.js';
import { FSYS_DEFS } from './defs/fsys.js';
import { INTERRUPT_DEFS } from './defs/interrupt.js';
import { IO_DEFS } from './defs/io.js';
import { MACH_DEFS } from './defs/mach.js';
import { MACH_PORT_DEFS } from './defs/mach-port.js';
import { MEMORY_OBJECT_DEFS } from './defs/memory-object.js';
import { NOTIFY_DEFS } from './defs/notify.js';

/** The names of the built-in interfaces: their MIG subsystem names. */
export type BuiltinInterfaceName =
  | 'notify'
  | 'memory_object'
  | 'mach'
  | 'mach_port'
  | 'io'
  | 'fs'
  | 'fsys'
  | 'auth'
  | 'fs_notify'
  | 'interrupt';

export interface BuiltinInterfaceSource {
  readonly name: BuiltinInterfaceName;
  /** The subsystem's base id. */
  readonly base: number;
  /**
   * How many request ids the .defs numbers, `skip`s included, up to its last
   * routine: its requests are base .. base+count-1 and, MIG's reply rule,
   * their replies 100 higher. Known here so that one id finds its interface
   * without compiling any (a test checks it against the compiled interfaces).
   */
  readonly count: number;
  /** Who sends its requests to whom. */
  readonly summary: string;
  /** Whether every routine of the real interface is declared (else some are `skip`s). */
  readonly complete: boolean;
  /** Self-contained .defs text (no #include); `__x86_64__` selects the ABI. */
  readonly source: string;
}

/**
 * The project's own declarations of GNU Mach's and the Hurd's interfaces,
 * written from the wire facts, for decoding and building their messages.
 */
export const BUILTIN_INTERFACE_SOURCES: readonly BuiltinInterfaceSource[] = Object.freeze([
  { name: 'notify', base: 64, count: 9, summary: 'kernel -> task: port notifications', complete: true, source: NOTIFY_DEFS },
  { name: 'memory_object', base: 2200, count: 10, summary: 'kernel -> pager: paging requests', complete: true, source: MEMORY_OBJECT_DEFS },
  { name: 'mach', base: 2000, count: 96, summary: 'task -> kernel: tasks, VM, pager answers', complete: false, source: MACH_DEFS },
  { name: 'mach_port', base: 3200, count: 23, summary: 'task -> kernel: port name space', complete: true, source: MACH_PORT_DEFS },
  { name: 'io', base: 21000, count: 32, summary: 'client -> Hurd server: open objects', complete: false, source: IO_DEFS },
  { name: 'fs', base: 20000, count: 36, summary: 'client -> Hurd file system: files and directories', complete: false, source: FS_DEFS },
  { name: 'fsys', base: 22000, count: 7, summary: 'Hurd file system control', complete: false, source: FSYS_DEFS },
  { name: 'auth', base: 25000, count: 4, summary: 'Hurd auth server: identities', complete: true, source: AUTH_DEFS },
  { name: 'fs_notify', base: 20500, count: 2, summary: 'Hurd file system -> client: change notifications', complete: true, source: FS_NOTIFY_DEFS },
  { name: 'interrupt', base: 33000, count: 1, summary: 'glibc -> Hurd server: interrupt a pending RPC', complete: true, source: INTERRUPT_DEFS },
] satisfies BuiltinInterfaceSource[]);

export const BUILTIN_INTERFACE_NAMES: readonly BuiltinInterfaceName[] = Object.freeze(BUILTIN_INTERFACE_SOURCES.map((s) => s.name));

/** The .defs text of a built-in interface, or undefined for an unknown name. */
export function builtinInterfaceSource(name: string): string | undefined {
  return BUILTIN_INTERFACE_SOURCES.find((s) => s.name === name)?.source;
}
