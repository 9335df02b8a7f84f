/**
 * The `sim` backend: the MachKernel facade over the simulated kernel core.
 * Every call does its work synchronously, serves the run queue, and returns
 * a promise; blocking calls return promises the core settles later.
 */
import {
  KERN_INVALID_ARGUMENT,
  KERN_INVALID_TASK,
  KERN_SUCCESS,
  MACH_MSG_SUCCESS,
  MACH_RCV_IN_SET,
  MACH_RCV_INVALID_NAME,
  MACH_RCV_LARGE,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  MACH_SEND_INVALID_DATA,
  MACH_SEND_INVALID_NOTIFY,
  MACH_SEND_NOTIFY_IN_PROGRESS,
  MACH_SEND_MSG,
  MACH_SEND_NOTIFY,
  MACH_SEND_TIMEOUT,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  type Abi,
} from 'mach-msg';
import type { Clock } from './clock.js';
import { IpcKernel, type Task } from './ipc-kernel.js';
import { kmsgCopyin, kmsgOolFaultRanges, oolKey, type OolPrefetch } from './ipc-kmsg.js';
import { emitRcvFailed, userReceive, userSend, type MsgOutcome, type NotifyThunk } from './ipc-mqueue.js';
import { entryPort, isValidName, lookup, rightCopyin, rightDealloc, rightDelta } from './ipc-right.js';
import { T_RECEIVE, T_PORT_SET } from './ipc-space.js';
import * as P from './mach-port.js';
import type { ImmediateMachCalls, MachKernel, MsgArgs, MsgResult, SpaceSnapshot, TaskId, VmMapArgs } from './mach-kernel.js';
import { msgIdOfBytes, type MsgObserver } from './observer.js';
import { vmAllocate, vmAllocateAdopt, vmDeallocate, vmTakeAnon } from './vm-ops.js';
import { VmPager } from './vm-object.js';
import type { IpcPort } from './ipc-port.js';

export interface SimKernelOptions {
  abi: Abi;
  clock: Clock;
  /** Most object-backed pages kept resident per memory object before eviction. */
  residentPageLimit?: number;
}

export class SimKernel implements MachKernel, ImmediateMachCalls {
  readonly backend = 'sim' as const;
  readonly abi: Abi;
  /** The kernel core (for checkInvariants and tools in this package). */
  readonly core: IpcKernel;
  readonly pager: VmPager;

  constructor(options: SimKernelOptions) {
    this.abi = options.abi;
    this.core = new IpcKernel(options.clock, options.abi);
    this.pager = new VmPager(this.core, options.residentPageLimit ?? 64);
  }

  private task(id: TaskId): Task | undefined {
    const t = this.core.tasks.get(id);
    return t !== undefined && t.active ? t : undefined;
  }

  /** Runs a core operation and serves the run queue after it. */
  private run<T>(f: () => T): Promise<T> {
    try {
      return Promise.resolve(f());
    } finally {
      this.core.flush();
    }
  }

  taskCreate(options?: { name?: string; abi?: Abi }): Promise<TaskId> {
    const abi = options?.abi === 'i386' || options?.abi === 'x86_64' ? options.abi : this.abi;
    return this.run(() => this.core.createTask(options?.name ?? '', abi).id);
  }

  taskTerminate(id: TaskId): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      if (t === undefined) return KERN_INVALID_TASK;
      P.taskTerminate(this.core, t);
      return KERN_SUCCESS;
    });
  }

  // The calls a driver makes on every RPC are written out instead of going
  // through run(): the same try/finally, without a closure per call.

  portAllocate(id: TaskId, right: number): Promise<{ kr: number; name: number }> {
    let r: { kr: number; name: number };
    try {
      const t = this.task(id);
      r = t === undefined ? { kr: KERN_INVALID_TASK, name: 0 } : P.portAllocate(this.core, t, right);
    } finally {
      this.core.flush();
    }
    return Promise.resolve(r);
  }

  portDeallocate(id: TaskId, name: number): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? KERN_INVALID_TASK : rightDealloc(this.core, t.space, name);
    });
  }

  portModRefs(id: TaskId, name: number, right: number, delta: number): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? KERN_INVALID_TASK : rightDelta(this.core, t.space, name, right, delta);
    });
  }

  portGetRefs(id: TaskId, name: number, right: number): Promise<{ kr: number; refs: number }> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? { kr: KERN_INVALID_TASK, refs: 0 } : P.portGetRefs(t, name, right);
    });
  }

  portInsertRight(id: TaskId, name: number, fromName: number, disp: number, from?: TaskId): Promise<number> {
    let r: number;
    try {
      const t = this.task(id);
      const f = from === undefined ? t : this.task(from);
      r = t === undefined || f === undefined ? KERN_INVALID_TASK : P.portInsertRight(this.core, t, name, f, fromName, disp);
    } finally {
      this.core.flush();
    }
    return Promise.resolve(r);
  }

  portExtractRight(id: TaskId, name: number, disp: number, to?: TaskId): Promise<{ kr: number; name: number; type: number }> {
    return this.run(() => {
      const t = this.task(id);
      const d = this.task(to ?? id);
      return t === undefined || d === undefined
        ? { kr: KERN_INVALID_TASK, name: 0, type: 0 }
        : P.portExtractRight(this.core, t, name, disp, d);
    });
  }

  portNames(id: TaskId): Promise<{ kr: number; names: number[]; types: number[] }> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? { kr: KERN_INVALID_TASK, names: [], types: [] } : P.portNames(t);
    });
  }

  portType(id: TaskId, name: number): Promise<{ kr: number; type: number }> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? { kr: KERN_INVALID_TASK, type: 0 } : P.portType(t, name);
    });
  }

  portDestroy(id: TaskId, name: number): Promise<number> {
    let r: number;
    try {
      const t = this.task(id);
      r = t === undefined ? KERN_INVALID_TASK : P.portDestroy(this.core, t, name);
    } finally {
      this.core.flush();
    }
    return Promise.resolve(r);
  }

  portMoveMember(id: TaskId, member: number, after: number): Promise<number> {
    let r: number;
    try {
      const t = this.task(id);
      r = t === undefined ? KERN_INVALID_TASK : P.portMoveMember(this.core, t, member, after);
    } finally {
      this.core.flush();
    }
    return Promise.resolve(r);
  }

  portSetQlimit(id: TaskId, name: number, qlimit: number): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? KERN_INVALID_TASK : P.portSetQlimit(this.core, t, name, qlimit);
    });
  }

  portSetMscount(id: TaskId, name: number, mscount: number): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? KERN_INVALID_TASK : P.portSetMscount(t, name, mscount);
    });
  }

  portGetReceiveStatus(id: TaskId, name: number): Promise<{ kr: number; status: P.PortStatus | null }> {
    return Promise.resolve(this.portGetReceiveStatusNow(id, name));
  }

  /** portGetReceiveStatus without the promise (ImmediateMachCalls). */
  portGetReceiveStatusNow(id: TaskId, name: number): { kr: number; status: P.PortStatus | null } {
    // Changes nothing, so it cannot throw between the work and the flush.
    const t = this.task(id);
    const r = t === undefined ? { kr: KERN_INVALID_TASK, status: null } : P.portGetReceiveStatus(t, name);
    this.core.flush();
    return r;
  }

  portRequestNotification(
    id: TaskId,
    name: number,
    variant: number,
    sync: number,
    notify: number,
    notifyDisp: number,
  ): Promise<{ kr: number; previous: number }> {
    let r: { kr: number; previous: number };
    try {
      const t = this.task(id);
      r = t === undefined ? { kr: KERN_INVALID_TASK, previous: 0 } : P.portRequestNotification(this.core, t, name, variant, sync, notify, notifyDisp);
    } finally {
      this.core.flush();
    }
    return Promise.resolve(r);
  }

  portSetProtectedPayload(id: TaskId, name: number, payload: bigint): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      if (t === undefined) return KERN_INVALID_TASK;
      if (typeof payload !== 'bigint') return KERN_INVALID_ARGUMENT;
      return P.portSetProtectedPayload(t, name, payload);
    });
  }

  portClearProtectedPayload(id: TaskId, name: number): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? KERN_INVALID_TASK : P.portSetProtectedPayload(t, name, null);
    });
  }

  msg(id: TaskId, args: MsgArgs): Promise<MsgResult> {
    return Promise.resolve(this.msgNow(id, args));
  }

  /** msg without the promise when the call did not block (ImmediateMachCalls). */
  msgNow(id: TaskId, args: MsgArgs): MsgResult | Promise<MsgResult> {
    const t = this.task(id);
    if (t === undefined) return { kr: KERN_INVALID_TASK };
    if (typeof args !== 'object' || args === null) return { kr: KERN_INVALID_ARGUMENT };
    try {
      return this.msgCore(t, args);
    } finally {
      this.core.flush();
    }
  }

  private msgCore(task: Task, args: MsgArgs): MsgOutcome | Promise<MsgOutcome> {
    const opt = (typeof args.options === 'number' ? args.options : 0) >>> 0;
    if (opt & MACH_SEND_MSG) {
      if (!(args.send instanceof Uint8Array)) return { kr: MACH_SEND_INVALID_DATA };
      const ranges = kmsgOolFaultRanges(task, args.send);
      if (ranges.length > 0) return this.faultOolThenSend(task, args, opt, ranges);
      return this.sendPart(task, args, opt, undefined);
    }
    if (opt & MACH_RCV_MSG) return this.receivePart(task, args, opt);
    return { kr: MACH_MSG_SUCCESS };
  }

  /**
   * vm_map_copyin of out-of-line data in object-backed memory faults its
   * pages in for reading: the send waits for the pager's data_supply. A fault
   * error (data_error) makes copyin fail with MACH_SEND_INVALID_MEMORY, the
   * message being destroyed as for any body copyin failure.
   */
  private async faultOolThenSend(task: Task, args: MsgArgs, opt: number, ranges: readonly { address: number; len: number }[]): Promise<MsgOutcome> {
    const pre = new Map<string, Uint8Array | null>();
    for (const { address, len } of ranges) {
      const r = await this.pager.read(task, address, len);
      pre.set(oolKey(address, len), r.data);
      if (r.data === null) break;
    }
    if (!task.active) return { kr: KERN_INVALID_TASK };
    // Flush right after the send part, as msg() does: with MACH_RCV_MSG the
    // outcome is the receive, and waiting for it before waking the queue's
    // receiver would leave the request unseen until the receive timed out.
    let out: MsgOutcome | Promise<MsgOutcome>;
    try {
      out = this.sendPart(task, args, opt, pre);
    } finally {
      this.core.flush();
    }
    return out;
  }

  private sendPart(task: Task, args: MsgArgs, opt: number, prefetched: OolPrefetch | undefined): MsgOutcome | Promise<MsgOutcome> {
    const bytes = args.send!;
    const notify = opt & MACH_SEND_NOTIFY ? this.notifyThunk(task, (args.notify ?? 0) >>> 0) : null;
    const kmsg = kmsgCopyin(this.core, task, bytes, prefetched, args.donate === true);
    if (typeof kmsg === 'number') {
      // A refused send is still a call the task made: tools see it with its code.
      if (this.core.observers.size > 0) {
        const ev = { phase: 'send' as const, task: task.id, port: 0, msgId: msgIdOfBytes(bytes, task.abi), bytes, abi: task.abi, kr: kmsg, taskName: task.name === '' ? undefined : task.name };
        // A refused send is rare: the Set, as before (an array loop here changed V8's inlining of
        // this whole method, 0.3% more instructions in an untraced storm, callgrind).
        for (const o of this.core.observers) o(ev);
      }
      return { kr: kmsg };
    }
    const timeout = opt & MACH_SEND_TIMEOUT ? timeoutOf(args.timeout) : null;
    const s = userSend(this.core, task, kmsg, bytes, timeout, args.signal, notify);
    if (s instanceof Promise) {
      return s.then((r) => {
        if (r.kr !== MACH_MSG_SUCCESS || !(opt & MACH_RCV_MSG)) return r;
        try {
          return this.receivePart(task, args, opt);
        } finally {
          this.core.flush();
        }
      });
    }
    if (s.kr !== MACH_MSG_SUCCESS || !(opt & MACH_RCV_MSG)) return s;
    return this.receivePart(task, args, opt);
  }

  /**
   * MACH_SEND_NOTIFY (ipc_marequest_create): `notify` must name a receive
   * right, from which a send-once right is made; one forced message per
   * (space, port) at a time (the entry's MAREQUEST bit). Checked only when
   * the queue is full, as the kernel does.
   */
  private notifyThunk(task: Task, name: number): NotifyThunk {
    return (dest: IpcPort) => {
      const de = task.space.reverse.get(dest);
      if (de?.marequest === true) return MACH_SEND_NOTIFY_IN_PROGRESS;
      const e = isValidName(name) ? lookup(task.space, name) : undefined;
      if (e === undefined || !(e.type & T_RECEIVE) || entryPort(e) === null) return MACH_SEND_INVALID_NOTIFY;
      const kp = rightCopyin(this.core, task.space, e, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      if (kp === null || kp === 'dead') return MACH_SEND_INVALID_NOTIFY;
      if (de !== undefined) de.marequest = true;
      return { notify: kp, space: task.space, name: de?.name ?? 0 };
    };
  }

  private receivePart(task: Task, args: MsgArgs, opt: number): MsgOutcome | Promise<MsgOutcome> {
    const name = (args.rcvName ?? 0) >>> 0;
    const e = isValidName(name) ? lookup(task.space, name) : undefined;
    const obj = e === undefined ? null : e.object;
    if (e === undefined || obj === null) return this.refuse(task, name, MACH_RCV_INVALID_NAME, 0);
    if (!((e.type & T_RECEIVE && obj.kind === 'port') || (e.type & T_PORT_SET && obj.kind === 'pset'))) {
      return this.refuse(task, name, MACH_RCV_INVALID_NAME, 0);
    }
    if (obj.kind === 'port' && obj.pset !== null) return this.refuse(task, name, MACH_RCV_IN_SET, obj.id);
    const size = args.rcvSize;
    return userReceive(
      this.core,
      task,
      obj,
      opt & MACH_RCV_TIMEOUT ? timeoutOf(args.timeout) : null,
      args.signal,
      (opt & MACH_RCV_LARGE) !== 0,
      typeof size === 'number' && size >= 0 ? size : 0xffffffff,
      name,
    );
  }

  /** A receive refused before waiting is still a call the task made: tools see it with its code. */
  private refuse(task: Task, name: number, kr: number, port: number): MsgOutcome {
    emitRcvFailed(this.core, task, port, name, kr);
    return { kr };
  }

  vmAllocate(id: TaskId, address: number, size: number, anywhere: boolean): Promise<{ kr: number; address: number }> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? { kr: KERN_INVALID_TASK, address: 0 } : vmAllocate(t, address, size, anywhere);
    });
  }

  vmDeallocate(id: TaskId, address: number, size: number): Promise<number> {
    return this.run(() => {
      const t = this.task(id);
      return t === undefined ? KERN_INVALID_TASK : vmDeallocate(this.core, t, address, size);
    });
  }

  vmRead(id: TaskId, address: number, size: number): Promise<{ kr: number; data: Uint8Array | null }> {
    const t = this.task(id);
    if (t === undefined) return Promise.resolve({ kr: KERN_INVALID_TASK, data: null });
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(size) || address < 0 || size < 0) {
      return Promise.resolve({ kr: KERN_INVALID_ARGUMENT, data: null });
    }
    if (size === 0) return Promise.resolve({ kr: KERN_SUCCESS, data: new Uint8Array(0) });
    if (t.vm.isAnon(address, address + size)) return Promise.resolve({ kr: KERN_SUCCESS, data: t.vm.readAnon(address, size) });
    try {
      return this.pager.read(t, address, size);
    } finally {
      this.core.flush();
    }
  }

  vmReadDeallocate(id: TaskId, address: number, size: number): Promise<{ kr: number; data: Uint8Array | null }> {
    const t = this.task(id);
    if (t === undefined) return Promise.resolve({ kr: KERN_INVALID_TASK, data: null });
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(size) || address < 0 || size < 0) {
      return Promise.resolve({ kr: KERN_INVALID_ARGUMENT, data: null });
    }
    if (size === 0) return Promise.resolve({ kr: KERN_SUCCESS, data: new Uint8Array(0) });
    if (t.vm.isAnon(address, address + size)) return this.run(() => ({ kr: KERN_SUCCESS, data: vmTakeAnon(this.core, t, address, size) }));
    // Object-backed: read through the pager (faulting), then deallocate as vm_deallocate would.
    return this.vmRead(id, address, size).then(async (r) => {
      if (r.kr !== KERN_SUCCESS) return r;
      const kr = await this.vmDeallocate(id, address, size);
      return kr === KERN_SUCCESS ? r : { kr, data: null };
    });
  }

  vmAllocateWrite(id: TaskId, data: Uint8Array): Promise<{ kr: number; address: number }> {
    return this.run(() => {
      const t = this.task(id);
      if (t === undefined) return { kr: KERN_INVALID_TASK, address: 0 };
      return data instanceof Uint8Array ? vmAllocateAdopt(t, data) : { kr: KERN_INVALID_ARGUMENT, address: 0 };
    });
  }

  vmWrite(id: TaskId, address: number, data: Uint8Array): Promise<number> {
    const t = this.task(id);
    if (t === undefined) return Promise.resolve(KERN_INVALID_TASK);
    if (!(data instanceof Uint8Array) || !Number.isSafeInteger(address) || address < 0) return Promise.resolve(KERN_INVALID_ARGUMENT);
    if (data.length === 0) return Promise.resolve(KERN_SUCCESS);
    if (t.vm.isAnon(address, address + data.length)) {
      t.vm.writeAnon(address, data);
      return Promise.resolve(KERN_SUCCESS);
    }
    try {
      return this.pager.write(t, address, data);
    } finally {
      this.core.flush();
    }
  }

  vmMap(id: TaskId, args: VmMapArgs): Promise<{ kr: number; address: number }> {
    const t = this.task(id);
    if (t === undefined) return Promise.resolve({ kr: KERN_INVALID_TASK, address: 0 });
    try {
      return this.pager.map(t, args);
    } finally {
      this.core.flush();
    }
  }

  observe(observer: MsgObserver): () => void {
    this.core.observe(observer);
    return () => {
      this.core.unobserve(observer);
    };
  }

  snapshot(id: TaskId): SpaceSnapshot | null {
    const t = this.task(id);
    if (t === undefined) return null;
    const { names, types } = P.portNames(t);
    return {
      task: id,
      names: names.map((name, i) => {
        const e = t.space.entries.get(name)!;
        return { name, type: types[i]!, urefs: e.urefs, port: e.object?.kind === 'port' ? e.object.id : 0 };
      }),
    };
  }

  async close(): Promise<void> {
    for (const id of [...this.core.tasks.keys()]) await this.taskTerminate(id);
  }
}

function timeoutOf(t: number | undefined): number {
  return typeof t === 'number' && Number.isFinite(t) && t > 0 ? Math.floor(t) : 0;
}

