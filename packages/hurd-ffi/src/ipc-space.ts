/**
 * A task's port name space (ipc_space) and its entries (ipc_entry).
 *
 * Name allocation follows GNU Mach's ipc_entry_alloc without port
 * generations (names are plain indices): a freed entry goes on a LIFO free
 * list of at most 64 entries and stays reserved in the name tree; a new name
 * comes from that free list first, otherwise it is the lowest key that is not
 * in the tree (rdxtree_insert_alloc), starting at 1. Name 0 is
 * MACH_PORT_NULL and ~0 is MACH_PORT_DEAD; neither is ever handed out.
 */
import type { Abi } from 'mach-msg';
import type { IpcPort } from './ipc-port.js';
import type { IpcPset } from './ipc-pset.js';

/** Entry type bits, the MACH_PORT_TYPE_* values. */
export const T_SEND = 0x00010000;
export const T_RECEIVE = 0x00020000;
export const T_SEND_ONCE = 0x00040000;
export const T_PORT_SET = 0x00080000;
export const T_DEAD_NAME = 0x00100000;
export const T_DNREQUEST = 0x80000000;

/** GNU Mach keeps urefs in 16 bits: MACH_PORT_UREFS_MAX. */
export const UREFS_MAX = 0xffff;

/**
 * MACH_PORT_UREFS_OVERFLOW: GNU Mach refuses to reach MACH_PORT_UREFS_MAX
 * itself, so a name holds at most 65534 user references (checked against
 * the real kernel).
 */
export function urefsOverflow(urefs: number, delta: number): boolean {
  return delta > 0 && urefs + delta >= UREFS_MAX;
}
/** IS_FREE_LIST_SIZE_LIMIT. */
export const FREE_LIST_LIMIT = 64;

export interface IpcEntry {
  readonly name: number;
  /** T_* bits (without T_DNREQUEST). */
  type: number;
  /** User references of send rights or of a dead name. */
  urefs: number;
  object: IpcPort | IpcPset | null;
  /** The send-once right registered by a dead-name request, if any. */
  dnrequest: IpcPort | null;
  /**
   * Set when the port died with a dead-name request registered here: the
   * notification was sent and the dead name gains one uref when it is next
   * looked at (GNU Mach converts entries lazily, in ipc_right_check).
   */
  dnFired: boolean;
  /** IE_BITS_MAREQUEST: a message forced with MACH_SEND_NOTIFY is still queued. */
  marequest?: boolean;
}

export class IpcSpace {
  active = true;
  readonly entries = new Map<number, IpcEntry>();
  /** Port -> the entry naming its send and/or receive right. */
  readonly reverse = new Map<IpcPort, IpcEntry>();
  private readonly reserved = new Set<number>();
  /**
   * At most FREE_LIST_LIMIT names. No Set of them beside it: claimName scans
   * these few, while a Set emptied and refilled by every message's reply
   * name costs V8 a table shrink (a runtime call) per emptying.
   */
  private readonly freeList: number[] = [];
  private lowestCandidate = 1;

  constructor(
    readonly task: number,
    readonly abi: Abi,
  ) {}

  /** A fresh name, GNU Mach style (see the file comment). */
  allocName(): number {
    const reused = this.freeList.pop();
    if (reused !== undefined) return reused;
    let n = this.lowestCandidate;
    while (this.reserved.has(n)) n++;
    this.reserved.add(n);
    this.lowestCandidate = n + 1;
    return n;
  }

  /** Claims a caller-chosen name (ipc_entry_alloc_name). */
  claimName(name: number): void {
    const i = this.freeList.lastIndexOf(name);
    if (i >= 0) {
      // Still reserved: it only leaves the free list.
      this.freeList.splice(i, 1);
      return;
    }
    this.reserved.add(name);
  }

  /** Gives a name back (ipc_entry_dealloc). */
  freeName(name: number): void {
    if (this.freeList.length < FREE_LIST_LIMIT) {
      this.freeList.push(name);
    } else {
      this.reserved.delete(name);
      if (name < this.lowestCandidate) this.lowestCandidate = name;
    }
  }

  newEntry(type: number, urefs: number, object: IpcPort | IpcPset | null, name?: number): IpcEntry {
    const n = name ?? this.allocName();
    if (name !== undefined) this.claimName(name);
    const e: IpcEntry = { name: n, type, urefs, object, dnrequest: null, dnFired: false };
    this.entries.set(n, e);
    return e;
  }

  removeEntry(e: IpcEntry): void {
    this.entries.delete(e.name);
    if (e.object !== null && e.object.kind === 'port' && this.reverse.get(e.object) === e) this.reverse.delete(e.object);
    e.object = null;
    this.freeName(e.name);
  }
}
