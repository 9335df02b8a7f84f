/**
 * The Mach kernel boundary: one asynchronous interface whose calls mirror
 * GNU Mach's own (mach_port_*, mach_msg, vm_*), in camelCase. Return codes
 * are Mach's numbers (named in mach-msg); a call never throws for any
 * argument a task could pass. Messages cross as bytes in the task's ABI,
 * exactly as mach_msg sees them.
 */
import type { Abi } from 'mach-msg';
import type { MsgObserver } from './observer.js';
import type { PortStatus } from './mach-port.js';

/** A task handle (the kernel's task port, reduced to an id). */
export type TaskId = number;

export interface MsgArgs {
  /** MACH_SEND_MSG | MACH_RCV_MSG | MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT | MACH_SEND_NOTIFY | MACH_RCV_LARGE ... */
  options: number;
  /** The message to send (send_size is its length). */
  send?: Uint8Array;
  /** rcv_size: the largest message the caller accepts. */
  rcvSize?: number;
  /** rcv_name: a receive right or port set. */
  rcvName?: number;
  /** Milliseconds, used with MACH_SEND_TIMEOUT / MACH_RCV_TIMEOUT. */
  timeout?: number;
  /** MACH_SEND_NOTIFY: a receive right (a send-once right is made) or a send-once right. */
  notify?: number;
  /** Cancels a blocked send or receive (MACH_SEND_INTERRUPTED / MACH_RCV_INTERRUPTED). */
  signal?: AbortSignal;
  /**
   * The caller gives `send` up: it will not read or write those bytes
   * after the call. The kernel may then keep them as its copy of the
   * message, to be rewritten and handed to the receiver, instead of copying
   * them at copyin (as `vmAllocateWrite` keeps its data). A complex
   * message is taken only as a whole buffer (byteOffset 0, its
   * ArrayBuffer's full length); a simple one also as a view (a plain
   * Uint8Array: the sim kernel reads and rewrites it through the view); the sim
   * backend copies anyway while an observer is attached (observers may keep
   * the bytes they were shown), and the gnumach backend always copies.
   * Nothing else changes: same checks, same return codes, same rights.
   */
  donate?: boolean;
}

export interface MsgResult {
  kr: number;
  /**
   * The received message; or, after a send that failed once the message was
   * copied in (timed out, interrupted), the message given back with its rights.
   */
  message?: Uint8Array;
  /** Received size, or with MACH_RCV_TOO_LARGE the size needed. */
  size?: number;
}

export interface NameEntry {
  name: number;
  /** MACH_PORT_TYPE_* bits, MACH_PORT_TYPE_DNREQUEST included. */
  type: number;
  urefs: number;
  /** Kernel-wide id of the port (0 for dead names and port sets). */
  port: number;
}

export interface SpaceSnapshot {
  task: TaskId;
  names: NameEntry[];
}

export interface VmMapArgs {
  /** Name of a send right to the memory object, in the task. */
  memoryObject: number;
  offset: number;
  size: number;
  /** Maximum access, VM_PROT_* bits (default read|write). */
  access?: number;
  /**
   * Copy-on-map (vm_map copy=TRUE): the task gets a private copy; its writes
   * never reach the object or its pager. COPY_NONE objects are copied at map
   * time, others lazily (delayed copy, a snapshot as of the map).
   */
  copy?: boolean;
  address?: number;
  anywhere?: boolean;
}

export interface MachKernel {
  readonly backend: 'sim' | 'gnumach';
  /** The ABI new tasks get unless they ask for another. */
  readonly abi: Abi;

  taskCreate(options?: { name?: string; abi?: Abi }): Promise<TaskId>;
  taskTerminate(task: TaskId): Promise<number>;

  portAllocate(task: TaskId, right: number): Promise<{ kr: number; name: number }>;
  portDeallocate(task: TaskId, name: number): Promise<number>;
  portModRefs(task: TaskId, name: number, right: number, delta: number): Promise<number>;
  portGetRefs(task: TaskId, name: number, right: number): Promise<{ kr: number; refs: number }>;
  /** Puts the right `fromName` of `from` (default: `task`), with disposition `disp`, into `task` as `name`. */
  portInsertRight(task: TaskId, name: number, fromName: number, disp: number, from?: TaskId): Promise<number>;
  /** Takes a right out of `task` into `to` (default: `task`). */
  portExtractRight(task: TaskId, name: number, disp: number, to?: TaskId): Promise<{ kr: number; name: number; type: number }>;
  portNames(task: TaskId): Promise<{ kr: number; names: number[]; types: number[] }>;
  portType(task: TaskId, name: number): Promise<{ kr: number; type: number }>;
  portDestroy(task: TaskId, name: number): Promise<number>;
  portMoveMember(task: TaskId, member: number, after: number): Promise<number>;
  portSetQlimit(task: TaskId, name: number, qlimit: number): Promise<number>;
  portSetMscount(task: TaskId, name: number, mscount: number): Promise<number>;
  portGetReceiveStatus(task: TaskId, name: number): Promise<{ kr: number; status: PortStatus | null }>;
  portRequestNotification(
    task: TaskId,
    name: number,
    variant: number,
    sync: number,
    notify: number,
    notifyDisp: number,
  ): Promise<{ kr: number; previous: number }>;
  portSetProtectedPayload(task: TaskId, name: number, payload: bigint): Promise<number>;
  portClearProtectedPayload(task: TaskId, name: number): Promise<number>;

  msg(task: TaskId, args: MsgArgs): Promise<MsgResult>;

  vmAllocate(task: TaskId, address: number, size: number, anywhere: boolean): Promise<{ kr: number; address: number }>;
  vmDeallocate(task: TaskId, address: number, size: number): Promise<number>;
  /** Reads task memory, faulting object-backed pages in. */
  vmRead(task: TaskId, address: number, size: number): Promise<{ kr: number; data: Uint8Array | null }>;
  /** Writes task memory, faulting object-backed pages in for writing. */
  vmWrite(task: TaskId, address: number, data: Uint8Array): Promise<number>;
  /**
   * vm_read of [address, address+size) followed, when the read succeeds, by
   * vm_deallocate of the pages it spans: how a receiver takes out-of-line
   * data it was given and frees it. Because the range is given up, the
   * kernel may hand its pages over instead of copying them (as
   * vm_map_copyin with src_destroy does for a send with `deallocate`). On
   * failure nothing is deallocated.
   */
  vmReadDeallocate(task: TaskId, address: number, size: number): Promise<{ kr: number; data: Uint8Array | null }>;
  /**
   * vm_allocate anywhere of `data.length` bytes, then vm_write of `data`
   * there: how a sender lays out out-of-line data. The caller gives `data`
   * up (it must not read or write it afterwards): the kernel may keep its
   * bytes as the task's pages instead of copying them, as a program's own
   * buffer already is its memory. On failure nothing stays allocated.
   * Size 0: KERN_SUCCESS at address 0, as vm_allocate.
   */
  vmAllocateWrite(task: TaskId, data: Uint8Array): Promise<{ kr: number; address: number }>;
  vmMap(task: TaskId, args: VmMapArgs): Promise<{ kr: number; address: number }>;

  /** Adds an observer of every message sent and received; returns its remover. */
  observe(observer: MsgObserver): () => void;
  /** A task's names and rights. */
  snapshot(task: TaskId): SpaceSnapshot | null;
  /** Releases the kernel (terminates every task). */
  close(): Promise<void>;
}

/**
 * Calls a backend can complete in the caller's own turn, without the
 * promise `MachKernel` wraps every result in: the simulated kernel does all
 * of a call's work before it returns, so a caller on the hot path (a
 * netmsg driver's deliveries, a server's replies) can go on at once instead
 * of a microtask later. `msgNow` is `msg` with the same checks, codes and
 * rights, returning the outcome itself, and a promise only when the call
 * blocks (a send on a full queue, a receive that waits);
 * `portGetReceiveStatusNow` is `portGetReceiveStatus`. The kernel's own
 * order is unchanged: what a call wakes (a blocked receiver) still runs
 * later, from its own promise. Optional: a backend whose calls cross a
 * link (gnumach) has none, and callers fall back to the asynchronous calls.
 */
export interface ImmediateMachCalls {
  msgNow(task: TaskId, args: MsgArgs): MsgResult | Promise<MsgResult>;
  portGetReceiveStatusNow(task: TaskId, name: number): { kr: number; status: PortStatus | null };
}

/** `kernel`'s immediate calls, if its backend has them. */
export function immediateCalls(kernel: MachKernel): ImmediateMachCalls | undefined {
  const k = kernel as Partial<ImmediateMachCalls>;
  return typeof k.msgNow === 'function' && typeof k.portGetReceiveStatusNow === 'function' ? (kernel as MachKernel & ImmediateMachCalls) : undefined;
}
