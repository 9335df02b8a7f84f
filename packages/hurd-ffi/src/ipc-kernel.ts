/**
 * The simulated kernel's state: tasks, live ports and port sets, the run
 * queue of ports whose waiters must be served, and the observers. The IPC
 * rules themselves live in the ipc-*.ts files that operate on this state.
 *
 * Determinism: every operation runs to completion synchronously. Work that
 * the real kernel does when a thread wakes up (handing a queued message to a
 * blocked receiver) is put on a run queue and done, in FIFO order, at the end
 * of the operation that made it possible (`flush`).
 */
import type { Abi } from 'mach-msg';
import type { Clock } from './clock.js';
import { IpcPort } from './ipc-port.js';
import { IpcPset } from './ipc-pset.js';
import { IpcSpace } from './ipc-space.js';
import { VmMap, type VmRegion } from './vm-map.js';
import { BlockedCalls } from './ipc-wait.js';
import { serveWaiters } from './ipc-mqueue.js';
import type { MsgObserver } from './observer.js';

export interface Task {
  readonly id: number;
  readonly name: string;
  readonly abi: Abi;
  readonly space: IpcSpace;
  readonly vm: VmMap;
  active: boolean;
  /** This task's blocked calls, ended at termination. */
  readonly blocked: BlockedCalls;
}

export class IpcKernel {
  readonly tasks = new Map<number, Task>();
  /** Every active port (for the invariants checker and snapshots). */
  readonly ports = new Set<IpcPort>();
  readonly psets = new Set<IpcPset>();
  /** The kernel's own space: rights the kernel holds (ipc_space_kernel). */
  readonly kernelTask: Task;
  /** The observers (sim-kernel's observe), in the order they came; change them with observe/unobserve. */
  readonly observers: ReadonlySet<MsgObserver> = new Set<MsgObserver>();
  /**
   * `observers` as an array, the one emit calls: a new array on every
   * change, never one changed in place, so that a message's observers are
   * those there when it was reported (one that another removes during the
   * call still gets that message, one added gets the next). Looping over a
   * Set made an iterator and its try/finally per message: about 60
   * instructions of each traced message (hurd-rpctrace's storm, callgrind).
   */
  observerList: readonly MsgObserver[] = [];
  /** Called for each object-backed piece of a map that goes away (vm-object.ts). */
  unmapHook: ((task: Task, region: VmRegion) => void) | null = null;
  /** Reads object-backed memory that is resident, without faulting (vm-object.ts). */
  residentReadHook: ((task: Task, address: number, len: number) => Uint8Array | null) | null = null;
  /**
   * Called for every port that dies (ipc_kobject_destroy): a memory
   * object's port dying ends its object's pager (vm_object_destroy, vm-object.ts).
   */
  portDeathHook: ((port: IpcPort) => void) | null = null;
  private nextObject = 1;
  private nextTaskId = 1;
  private stampSeq = 0;
  /**
   * Ports to serve: slots [runqHead, runqTail) of a reused array (an
   * Array#shift per port and a Set beside it cost more than serving the
   * port); a port's `inRunq` flag says it is queued.
   */
  private readonly runq: (IpcPort | undefined)[] = [];
  private runqHead = 0;
  private runqTail = 0;
  private flushing = false;

  constructor(
    readonly clock: Clock,
    readonly defaultAbi: Abi,
  ) {
    this.kernelTask = this.createTask('kernel', defaultAbi);
    this.tasks.delete(this.kernelTask.id);
  }

  createTask(name: string, abi: Abi): Task {
    const id = this.nextTaskId++;
    const t: Task = { id, name, abi, space: new IpcSpace(id, abi), vm: new VmMap(), active: true, blocked: new BlockedCalls(false) };
    this.tasks.set(id, t);
    return t;
  }

  newPort(): IpcPort {
    const p = new IpcPort(this.nextObject++);
    this.ports.add(p);
    return p;
  }

  newPset(name: number): IpcPset {
    const s = new IpcPset(this.nextObject++, name);
    this.psets.add(s);
    return s;
  }

  stamp(): number {
    return this.stampSeq++;
  }

  /** Adds an observer of every message (MachKernel.observe). */
  observe(observer: MsgObserver): void {
    (this.observers as Set<MsgObserver>).add(observer);
    this.observerList = [...this.observers];
  }

  /** Removes an observer; from the next message on it is not called. */
  unobserve(observer: MsgObserver): void {
    if ((this.observers as Set<MsgObserver>).delete(observer)) this.observerList = [...this.observers];
  }

  /** Marks a port as having messages or waiters that may now meet. */
  schedule(port: IpcPort): void {
    if (port.inRunq) return;
    port.inRunq = true;
    this.runq[this.runqTail++] = port;
  }

  /** Serves the run queue until nothing more can happen. */
  flush(): void {
    if (this.flushing || this.runqHead === this.runqTail) return;
    this.flushing = true;
    try {
      while (this.runqHead < this.runqTail) {
        const port = this.runq[this.runqHead]!;
        this.runq[this.runqHead++] = undefined;
        port.inRunq = false;
        serveWaiters(this, port);
      }
      this.runqHead = 0;
      this.runqTail = 0;
    } finally {
      // Ports left by a throwing observer stay queued for the next flush.
      this.flushing = false;
    }
  }
}
