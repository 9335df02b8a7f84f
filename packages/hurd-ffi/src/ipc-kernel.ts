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
import { serveWaiters } from './ipc-mqueue.js';
import type { MsgObserver } from './observer.js';

export interface Task {
  readonly id: number;
  readonly name: string;
  readonly abi: Abi;
  readonly space: IpcSpace;
  readonly vm: VmMap;
  active: boolean;
  /** Finishers of this task's blocked calls, run at termination. */
  readonly blocked: Set<() => void>;
}

export class IpcKernel {
  readonly tasks = new Map<number, Task>();
  /** Every active port (for the invariants checker and snapshots). */
  readonly ports = new Set<IpcPort>();
  readonly psets = new Set<IpcPset>();
  /** The kernel's own space: rights the kernel holds (ipc_space_kernel). */
  readonly kernelTask: Task;
  readonly observers = new Set<MsgObserver>();
  /** Called for each object-backed piece of a map that goes away (vm-object.ts). */
  unmapHook: ((task: Task, region: VmRegion) => void) | null = null;
  /** Reads object-backed memory that is resident, without faulting (vm-object.ts). */
  residentReadHook: ((task: Task, address: number, len: number) => Uint8Array | null) | null = null;
  private nextObject = 1;
  private nextTaskId = 1;
  private stampSeq = 0;
  private readonly runq: IpcPort[] = [];
  private readonly inRunq = new Set<IpcPort>();
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
    const t: Task = { id, name, abi, space: new IpcSpace(id, abi), vm: new VmMap(), active: true, blocked: new Set() };
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

  /** Marks a port as having messages or waiters that may now meet. */
  schedule(port: IpcPort): void {
    if (this.inRunq.has(port)) return;
    this.inRunq.add(port);
    this.runq.push(port);
  }

  /** Serves the run queue until nothing more can happen. */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let port = this.runq.shift(); port !== undefined; port = this.runq.shift()) {
        this.inRunq.delete(port);
        serveWaiters(this, port);
      }
    } finally {
      this.flushing = false;
    }
  }
}
