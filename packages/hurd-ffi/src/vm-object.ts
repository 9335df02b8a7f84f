/**
 * Virtual memory backed by external memory objects (GNU Mach's vm_object
 * with a pager): vm_map of a memory object port, which sends
 * memory_object_init and returns at once (vm_object_enter does not wait for
 * the pager); page faults, which wait for memory_object_ready before the
 * first data_request, answered by data_supply,
 * data_unavailable (zero fill) or data_error, data_unlock to upgrade a
 * read-only page, lock_request (return, flush, lock value, lock_completed),
 * data_return of dirty and precious pages, eviction under a resident-page
 * limit, and memory_object_terminate when the last mapping goes.
 *
 * Copy mappings (vm_map with copy=TRUE) follow vm_object_copy_strategically,
 * which waits for memory_object_ready (the copy strategy comes with it):
 * with MEMORY_OBJECT_COPY_NONE the kernel copies every page at map time
 * (vm_object_copy_slowly: read faults, then private anonymous memory); with
 * the other strategies the copy is delayed (vm_object_copy_delayed): a copy
 * store shadows the object, read faults go to the object (data_request with
 * VM_PROT_READ), a write makes a private page, and a write through the object
 * by anyone else first pushes the page's old contents into every copy store
 * that lacks it, so the copy stays a snapshot of what the kernel held.
 *
 * Simplifications, stated: an object is terminated as soon as its last
 * mapping goes (may_cache is recorded but objects are not cached); private
 * copy pages are never paged out (no default pager); out-of-line send data
 * from mapped memory is faulted in at send time (see sim-kernel.ts).
 *
 * The death of a pager's port (its receive right destroyed: the pager task
 * died, or the netmsg proxy standing for it) is vm_object_destroy: the
 * object loses its pager at once, the kernel's rights to the control and
 * name ports go, and every fault waiting on the pager (for ready, a
 * data_request or a data_unlock) looks again and fails with
 * KERN_MEMORY_ERROR, since a request to no pager cannot be sent. Resident
 * pages stay usable; a later fault that needs the pager fails the same way.
 * When the last mapping goes no page is returned and no terminate is sent.
 */
import {
  encodeMessage,
  KERN_INVALID_ADDRESS,
  KERN_INVALID_ARGUMENT,
  KERN_INVALID_TASK,
  KERN_MEMORY_ERROR,
  KERN_MEMORY_FAILURE,
  KERN_NO_SPACE,
  KERN_PROTECTION_FAILURE,
  KERN_SUCCESS,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  type MachMessage,
} from 'mach-msg';
import type { IpcKernel, Task } from './ipc-kernel.js';
import type { IpcPort } from './ipc-port.js';
import { consumeDestRight, kmsgCopyin, kmsgDestroy } from './ipc-kmsg.js';
import { kernelSend } from './ipc-mqueue.js';
import { entryPort, lookup, rightCopyout, rightDestroy } from './ipc-right.js';
import { T_SEND } from './ipc-space.js';
import type { Kmsg } from './ipc-kmsg-types.js';
import { portAllocate, portExtractRight } from './mach-port.js';
import type { VmMapArgs } from './mach-kernel.js';
import { PAGE_SIZE, roundPage, VM_MAX_ADDRESS, VM_MAX_TRANSFER, type CopyStore, type VmRegion } from './vm-map.js';
import { vmAllocateAnywhere } from './vm-ops.js';
import {
  MEMORY_OBJECT_DATA_ERROR,
  MEMORY_OBJECT_DATA_REQUEST,
  MEMORY_OBJECT_DATA_SUPPLY,
  MEMORY_OBJECT_DATA_UNAVAILABLE,
  MEMORY_OBJECT_DATA_UNLOCK,
  MEMORY_OBJECT_LOCK_REQUEST,
  MEMORY_OBJECT_READY,
  MEMORY_OBJECT_RETURN_ALL,
  MEMORY_OBJECT_RETURN_DIRTY,
  MEMORY_OBJECT_COPY_NONE,
  VM_PROT_ALL,
  VM_PROT_NO_CHANGE,
  VM_PROT_READ,
  VM_PROT_WRITE,
  memoryObjectAccess,
  memoryObjectDataReturn,
  memoryObjectInit,
  memoryObjectLockCompleted,
  memoryObjectTerminate,
  memoryObjectSupplyCompleted,
  memoryObjectChangeCompleted,
  MEMORY_OBJECT_CHANGE_ATTRIBUTES,
  readPagerCall,
} from './vm-msgs.js';

interface VmPage {
  state: 'wait' | 'resident';
  data: Uint8Array;
  /** Access the pager prohibits (the lock value). */
  lock: number;
  dirty: boolean;
  precious: boolean;
  unlockPending: boolean;
  /** Resolved with 0 when the page changed, or with an error code. */
  waiters: ((kr: number) => void)[];
  stamp: number;
}

interface VmObject {
  id: number;
  pager: IpcPort;
  /** Names in the kernel's own space. */
  pagerName: number;
  controlName: number;
  nameName: number;
  ready: boolean;
  alive: boolean;
  /** vm_object_destroy ran: the pager's port died, no request can reach a pager any more. */
  pagerDead: boolean;
  readyWaiters: ((ok: boolean) => void)[];
  pages: Map<number, VmPage>;
  mappedPages: number;
  mayCache: boolean;
  copyStrategy: number;
  /** Delayed copies shadowing this object (its copy objects). */
  copies: Set<CopyStore>;
}

export class VmPager {
  private readonly objects = new Map<number, VmObject>();
  private readonly byPager = new Map<IpcPort, VmObject>();
  private nextId = 1;
  private clock = 0;

  constructor(
    readonly k: IpcKernel,
    readonly residentLimit: number,
  ) {
    k.unmapHook = (task, region) => this.unmapped(task, region);
    k.residentReadHook = (task, address, len) => this.readResident(task, address, len);
    k.portDeathHook = (port) => this.pagerDied(port);
  }

  /**
   * vm_object_destroy: the memory object's port died. The object forgets its
   * pager, the kernel gives up its rights (the dead send right, the control
   * and name receive rights: the pager's rights to them become dead names),
   * and the paging activity is aborted as vm_object_abort_activity does:
   * pages being paged in are freed, unlock requests are cleared, the object
   * is marked ready, and the waiting faults wake up to look again (fault
   * then finds no pager to ask and fails with KERN_MEMORY_ERROR).
   */
  private pagerDied(port: IpcPort): void {
    const obj = this.byPager.get(port);
    if (obj === undefined || !obj.alive) return;
    const k = this.k;
    const kt = k.kernelTask;
    this.byPager.delete(port);
    obj.pagerDead = true;
    for (const name of [obj.pagerName, obj.controlName, obj.nameName]) rightDestroy(k, kt.space, name);
    for (const [idx, page] of [...obj.pages]) {
      if (page.state === 'wait') obj.pages.delete(idx);
      page.unlockPending = false;
      this.wake(page, 0);
    }
    obj.ready = true;
    // The notifications the destroyed ports generate are delivered by the
    // flush that ends the kernel operation this death happens in.
    for (const w of obj.readyWaiters.splice(0)) w(true);
  }

  /** Copies [address, address+len) if every page is mapped readable and resident (or anonymous). */
  private readResident(task: Task, address: number, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    for (let done = 0; done < len; ) {
      const a = address + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      const r = task.vm.regionAt(a);
      if (r === undefined) return null;
      if (r.mapping === null) {
        const page = task.vm.pages.get((a - off) / PAGE_SIZE);
        if (page !== undefined) out.set(page.subarray(off, off + n), done);
      } else {
        if ((r.mapping.access & VM_PROT_READ) === 0) return null;
        const idx = (r.mapping.offset + (a - off - r.start)) / PAGE_SIZE;
        const priv = r.mapping.copy?.pages.get(idx);
        if (priv !== undefined) {
          out.set(priv.subarray(off, off + n), done);
          done += n;
          continue;
        }
        const obj = this.objects.get(r.mapping.objectId);
        const page = obj?.pages.get(idx);
        if (page === undefined || page.state !== 'resident' || (page.lock & VM_PROT_READ) !== 0) return null;
        out.set(page.data.subarray(off, off + n), done);
      }
      done += n;
    }
    return out;
  }

  /** Sends a kernel-built message from the kernel's own space. */
  /** Sends a kernel-made message; the copyin's MACH_SEND_* code (e.g. a dead pager port), or 0. */
  private send(msg: MachMessage): number {
    const kt = this.k.kernelTask;
    const kmsg = kmsgCopyin(this.k, kt, encodeMessage(msg, kt.abi));
    if (typeof kmsg !== 'number') kernelSend(this.k, kmsg);
    this.k.flush();
    return typeof kmsg === 'number' ? kmsg : 0;
  }

  private objectFor(task: Task, port: IpcPort): VmObject {
    const existing = this.byPager.get(port);
    if (existing !== undefined) return existing;
    const k = this.k;
    const kt = k.kernelTask;
    // The kernel takes its own send right to the pager (vm_map copies it in).
    const send = portExtractRight(k, task, task.space.reverse.get(port)!.name, MACH_MSG_TYPE_COPY_SEND, kt);
    const control = portAllocate(k, kt, MACH_PORT_RIGHT_RECEIVE).name;
    const name = portAllocate(k, kt, MACH_PORT_RIGHT_RECEIVE).name;
    const obj: VmObject = {
      id: this.nextId++,
      pager: port,
      pagerName: send.name,
      controlName: control,
      nameName: name,
      ready: false,
      alive: true,
      pagerDead: false,
      readyWaiters: [],
      pages: new Map(),
      mappedPages: 0,
      mayCache: false,
      copyStrategy: 0,
      copies: new Set(),
    };
    const controlPort = entryPort(kt.space.entries.get(control)!)!;
    controlPort.kobject = (kmsg) => this.handle(obj, kmsg);
    // Messages to the name port are not calls; drop them.
    entryPort(kt.space.entries.get(name)!)!.kobject = (kmsg) => kmsgDestroy(k, kmsg);
    this.objects.set(obj.id, obj);
    this.byPager.set(port, obj);
    this.send(memoryObjectInit(kt.abi, obj.pagerName, control, name, PAGE_SIZE));
    return obj;
  }

  async map(task: Task, args: VmMapArgs): Promise<{ kr: number; address: number }> {
    const a = args ?? ({} as VmMapArgs);
    const size = a.size;
    const offset = a.offset ?? 0;
    if (!Number.isSafeInteger(size) || size <= 0 || !Number.isSafeInteger(offset) || offset < 0 || offset % PAGE_SIZE !== 0) {
      return { kr: KERN_INVALID_ARGUMENT, address: 0 };
    }
    const e = typeof a.memoryObject === 'number' ? lookup(task.space, a.memoryObject) : undefined;
    const port = e === undefined ? null : entryPort(e);
    if (e === undefined || port === null || !(e.type & T_SEND) || !port.active) return { kr: KERN_INVALID_ARGUMENT, address: 0 };
    const len = roundPage(size);
    if (a.anywhere === false) {
      const at = a.address ?? 0;
      if (!Number.isSafeInteger(at) || at % PAGE_SIZE !== 0 || !task.vm.isFree(at, at + len)) return { kr: KERN_NO_SPACE, address: 0 };
    }
    // vm_object_enter sends memory_object_init and returns without waiting
    // for the pager: a plain map is entered at once, and it is the first
    // fault that waits for memory_object_ready (see fault). Only a copy map
    // waits here, as vm_object_copy_strategically does: the copy strategy
    // is not known before ready.
    const obj = this.objectFor(task, port);
    if (a.copy === true && !obj.ready && !(await this.waitReady(obj))) return { kr: KERN_MEMORY_FAILURE, address: 0 };
    if (!task.active) return { kr: KERN_INVALID_TASK, address: 0 };
    const start = placeMapping(task, a, len);
    if (start === null) return { kr: KERN_NO_SPACE, address: 0 };
    const access = typeof a.access === 'number' ? a.access & VM_PROT_ALL : VM_PROT_READ | VM_PROT_WRITE;
    if (a.copy === true && obj.copyStrategy === MEMORY_OBJECT_COPY_NONE) return this.mapCopySlowly(task, obj, a, offset, len);
    const first = offset / PAGE_SIZE;
    const copy: CopyStore | undefined = a.copy === true ? { pages: new Map(), ranges: [[first, first + len / PAGE_SIZE]] } : undefined;
    task.vm.insert({ start, end: start + len, mapping: copy === undefined ? { objectId: obj.id, offset, access } : { objectId: obj.id, offset, access, copy } });
    if (copy !== undefined) obj.copies.add(copy);
    obj.mappedPages += len / PAGE_SIZE;
    return { kr: KERN_SUCCESS, address: start };
  }

  /**
   * vm_object_copy_slowly (MEMORY_OBJECT_COPY_NONE): every page is read
   * from the object now (read faults, so data_request with VM_PROT_READ)
   * into a new internal object, which the task gets as anonymous memory.
   * The map waits for the whole copy; a fault error fails the map with it.
   */
  private async mapCopySlowly(task: Task, obj: VmObject, a: VmMapArgs, offset: number, len: number): Promise<{ kr: number; address: number }> {
    if (len > VM_MAX_TRANSFER) return { kr: KERN_NO_SPACE, address: 0 };
    const pages: Uint8Array[] = [];
    // The object is referenced while it is being copied: no terminate meanwhile.
    obj.mappedPages++;
    let kr: number = KERN_SUCCESS;
    for (let i = 0; i < len / PAGE_SIZE; i++) {
      const page = await this.fault(obj, offset / PAGE_SIZE + i, false);
      if (typeof page === 'number') {
        kr = page;
        break;
      }
      pages.push(page.data.slice());
      this.evict(obj);
    }
    obj.mappedPages--;
    if (obj.mappedPages <= 0) this.terminate(obj);
    this.k.flush();
    if (kr !== KERN_SUCCESS) return { kr, address: 0 };
    if (!task.active) return { kr: KERN_INVALID_TASK, address: 0 };
    const start = placeMapping(task, a, len);
    if (start === null) return { kr: KERN_NO_SPACE, address: 0 };
    task.vm.insert({ start, end: start + len, mapping: null });
    pages.forEach((p, i) => task.vm.pages.set(start / PAGE_SIZE + i, p));
    return { kr: KERN_SUCCESS, address: start };
  }

  private unmapped(_task: Task, r: VmRegion): void {
    const m = r.mapping;
    if (m === null) return;
    const obj = this.objects.get(m.objectId);
    if (obj === undefined) return;
    if (m.copy !== undefined) this.releaseCopy(obj, m.copy, m.offset / PAGE_SIZE, (m.offset + r.end - r.start) / PAGE_SIZE);
    obj.mappedPages -= (r.end - r.start) / PAGE_SIZE;
    if (obj.mappedPages <= 0) this.terminate(obj);
  }

  /** A piece of a copy mapping goes: its private pages are freed, never returned to the pager. */
  private releaseCopy(obj: VmObject, copy: CopyStore, first: number, end: number): void {
    for (const idx of [...copy.pages.keys()]) if (idx >= first && idx < end) copy.pages.delete(idx);
    const kept: [number, number][] = [];
    for (const [f, e] of copy.ranges) {
      if (e <= first || f >= end) kept.push([f, e]);
      else {
        if (f < first) kept.push([f, first]);
        if (end < e) kept.push([end, e]);
      }
    }
    copy.ranges = kept;
    if (kept.length === 0) obj.copies.delete(copy);
  }

  /**
   * Before the kernel writes an object page, copy stores that shadow it and
   * have no private version yet get its current contents (vm_fault's push to
   * the copy object), so that a delayed copy keeps its snapshot.
   */
  private pushToCopies(obj: VmObject, idx: number, page: VmPage): void {
    for (const copy of obj.copies) {
      if (copy.pages.has(idx) || !copy.ranges.some(([f, e]) => idx >= f && idx < e)) continue;
      copy.pages.set(idx, page.data.slice());
    }
  }

  /** vm_object_terminate: dirty and precious pages go back, then terminate. */
  private terminate(obj: VmObject): void {
    if (!obj.alive) return;
    const kt = this.k.kernelTask;
    // Without a pager (vm_object_destroy) the pages are just freed.
    for (const [idx, page] of [...obj.pages].sort((x, y) => x[0] - y[0])) {
      if (page.state === 'resident' && (page.dirty || page.precious)) this.dataReturn(obj, idx, page);
    }
    obj.alive = false;
    for (const page of obj.pages.values()) for (const w of page.waiters.splice(0)) w(KERN_MEMORY_FAILURE);
    obj.pages.clear();
    for (const w of obj.readyWaiters.splice(0)) w(false);
    this.objects.delete(obj.id);
    if (obj.pagerDead) return;
    this.byPager.delete(obj.pager);
    this.send(memoryObjectTerminate(kt.abi, obj.pagerName, obj.controlName, obj.nameName));
  }

  private dataReturn(obj: VmObject, idx: number, page: VmPage): void {
    // No pager to return it to (vm_object_destroy): the page's contents are lost.
    if (obj.pagerDead) return;
    const kt = this.k.kernelTask;
    const at = vmAllocateAnywhere(kt, PAGE_SIZE);
    if (at === null) return;
    kt.vm.writeAnon(at, page.data);
    this.send(memoryObjectDataReturn(kt.abi, obj.pagerName, obj.controlName, idx * PAGE_SIZE, at, PAGE_SIZE, page.dirty));
    page.dirty = false;
  }

  private wake(page: VmPage, kr: number): void {
    for (const w of page.waiters.splice(0)) w(kr);
  }

  /** A pager's call on a control port (the kernel serves it at once). */
  private handle(obj: VmObject, kmsg: Kmsg): void {
    const k = this.k;
    const kt = k.kernelTask;
    const call = readPagerCall(kmsg, kt.abi);
    // Take the reply right (lock_request, data_supply) into the kernel's space.
    let reply: { name: number; disp: number } | null = null;
    const rp = call.ports[0];
    if (rp !== undefined) {
      const kp = rp.item.rights[rp.index] ?? null;
      const type = rp.item.type.name;
      rp.item.rights[rp.index] = null;
      const name = rightCopyout(k, kt.space, kp, type);
      if (name !== 0 && name !== 0xffffffff) {
        reply = { name, disp: type === MACH_MSG_TYPE_PORT_SEND_ONCE ? MACH_MSG_TYPE_MOVE_SEND_ONCE : MACH_MSG_TYPE_MOVE_SEND };
      }
    }
    consumeDestRight(k, kmsg);
    kmsgDestroy(k, kmsg);
    if (!obj.alive) return;
    const [i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0] = call.ints;
    switch (call.id) {
      case MEMORY_OBJECT_READY:
        obj.ready = true;
        obj.mayCache = i0 !== 0;
        obj.copyStrategy = i1;
        for (const w of obj.readyWaiters.splice(0)) w(true);
        break;
      case MEMORY_OBJECT_DATA_SUPPLY: {
        const data = call.ool[0] ?? new Uint8Array(0);
        this.supply(obj, i0, data, i1, i2 !== 0);
        if (reply !== null) {
          this.send(memoryObjectSupplyCompleted(kt.abi, reply.name, reply.disp, obj.controlName, i0, data.length, KERN_SUCCESS, 0));
          reply = null;
        }
        break;
      }
      case MEMORY_OBJECT_CHANGE_ATTRIBUTES:
        obj.mayCache = i0 !== 0;
        obj.copyStrategy = i1;
        if (reply !== null) {
          this.send(memoryObjectChangeCompleted(reply.name, reply.disp, obj.mayCache, obj.copyStrategy));
          reply = null;
        }
        break;
      case MEMORY_OBJECT_DATA_UNAVAILABLE:
        // Zero fill for the pages the kernel is waiting for in the range.
        for (const idx of this.pagesIn(obj, i0, i1, 'wait')) this.fill(obj, idx, new Uint8Array(PAGE_SIZE), 0, false);
        break;
      case MEMORY_OBJECT_DATA_ERROR:
        for (const idx of this.pagesIn(obj, i0, i1, 'wait')) {
          const page = obj.pages.get(idx)!;
          obj.pages.delete(idx);
          this.wake(page, KERN_MEMORY_ERROR);
        }
        break;
      case MEMORY_OBJECT_LOCK_REQUEST:
        this.lockRequest(obj, i0, i1, i2, i3 !== 0, i4);
        if (reply !== null) {
          this.send(memoryObjectLockCompleted(kt.abi, reply.name, reply.disp, obj.controlName, i0, i1));
          reply = null;
        }
        break;
      default:
        break;
    }
    // A reply right nobody uses is released as Mach would destroy it.
    if (reply !== null) rightDestroy(k, kt.space, reply.name);
    this.evict(obj);
  }

  private fill(obj: VmObject, idx: number, data: Uint8Array, lock: number, precious: boolean): void {
    let page = obj.pages.get(idx);
    // A supply for a page already resident is ignored (the kernel keeps its copy).
    if (page !== undefined && page.state === 'resident') return;
    const bytes = new Uint8Array(PAGE_SIZE);
    bytes.set(data.subarray(0, PAGE_SIZE));
    if (page === undefined) {
      page = { state: 'resident', data: bytes, lock, dirty: false, precious, unlockPending: false, waiters: [], stamp: this.clock++ };
      obj.pages.set(idx, page);
      return;
    }
    page.state = 'resident';
    page.data = bytes;
    page.lock = lock & VM_PROT_ALL;
    page.precious = precious;
    page.dirty = false;
    page.stamp = this.clock++;
    this.wake(page, 0);
  }

  private supply(obj: VmObject, offset: number, data: Uint8Array, lock: number, precious: boolean): void {
    if (!Number.isSafeInteger(offset) || offset % PAGE_SIZE !== 0) return;
    for (let at = 0; at < data.length; at += PAGE_SIZE) {
      this.fill(obj, (offset + at) / PAGE_SIZE, data.subarray(at, at + PAGE_SIZE), lock, precious);
    }
  }

  /**
   * Pages of the object in [offset, offset+size) in a given state, in
   * order. Walks the pages the object has, never the range itself, so that a
   * pager's huge size cannot make the kernel loop.
   */
  private pagesIn(obj: VmObject, offset: number, size: number, state: VmPage['state']): number[] {
    const first = Math.floor(offset / PAGE_SIZE);
    const end = offset + size;
    return [...obj.pages]
      .filter(([idx, p]) => p.state === state && idx >= first && idx * PAGE_SIZE < end)
      .map(([idx]) => idx)
      .sort((x, y) => x - y);
  }

  private lockRequest(obj: VmObject, offset: number, size: number, ret: number, flush: boolean, lockValue: number): void {
    for (const idx of this.pagesIn(obj, offset, size, 'resident')) {
      const page = obj.pages.get(idx);
      if (page === undefined || page.state !== 'resident') continue;
      const give = (ret === MEMORY_OBJECT_RETURN_DIRTY && page.dirty) || (ret === MEMORY_OBJECT_RETURN_ALL && (page.dirty || page.precious));
      if (give) this.dataReturn(obj, idx, page);
      if (flush) {
        obj.pages.delete(idx);
        this.wake(page, 0);
        continue;
      }
      if (lockValue !== VM_PROT_NO_CHANGE) {
        page.lock = lockValue & VM_PROT_ALL;
        page.unlockPending = false;
        this.wake(page, 0);
      }
    }
  }

  /** Under the resident-page limit: the oldest pages go, dirty or precious ones by data_return. */
  private evict(obj: VmObject): void {
    const resident = [...obj.pages].filter(([, p]) => p.state === 'resident' && p.waiters.length === 0);
    if (resident.length <= this.residentLimit) return;
    resident.sort((x, y) => x[1].stamp - y[1].stamp);
    for (const [idx, page] of resident.slice(0, resident.length - this.residentLimit)) {
      if (page.dirty || page.precious) this.dataReturn(obj, idx, page);
      obj.pages.delete(idx);
    }
  }

  /** Resolves true once the object is ready (at once if it is), false if it is terminated first. */
  private waitReady(obj: VmObject): Promise<boolean> {
    if (obj.ready) return Promise.resolve(true);
    if (!obj.alive) return Promise.resolve(false);
    return new Promise<boolean>((res) => obj.readyWaiters.push(res));
  }

  /**
   * vm_fault on one page of an object. vm_fault_page makes no request of a
   * pager that is not ready: before a data_request or a data_unlock it waits
   * for memory_object_ready, then looks at the page again (another fault may
   * have asked for it meanwhile). A page the pager supplied before ready is
   * used without waiting.
   */
  private async fault(obj: VmObject, idx: number, write: boolean): Promise<VmPage | number> {
    const access = write ? VM_PROT_READ | VM_PROT_WRITE : VM_PROT_READ;
    const kt = this.k.kernelTask;
    for (;;) {
      if (!obj.alive) return KERN_MEMORY_FAILURE;
      let page = obj.pages.get(idx);
      const mustAsk = page === undefined || (page.state === 'resident' && (page.lock & access) !== 0 && !page.unlockPending);
      if (mustAsk && !obj.ready) {
        await this.waitReady(obj);
        continue;
      }
      if (page === undefined) {
        // No pager any more (vm_object_destroy): the data_request has no
        // destination (MACH_SEND_INVALID_DEST), VM_FAULT_MEMORY_ERROR.
        if (obj.pagerDead) return KERN_MEMORY_ERROR;
        page = { state: 'wait', data: new Uint8Array(0), lock: 0, dirty: false, precious: false, unlockPending: false, waiters: [], stamp: this.clock++ };
        obj.pages.set(idx, page);
        // vm_fault_page: a data_request that cannot be sent (the pager's port is
        // dead) frees the absent page and fails the fault (VM_FAULT_MEMORY_ERROR).
        if (this.send(memoryObjectAccess(kt.abi, MEMORY_OBJECT_DATA_REQUEST, obj.pagerName, obj.controlName, idx * PAGE_SIZE, PAGE_SIZE, access)) !== 0) {
          obj.pages.delete(idx);
          this.wake(page, KERN_MEMORY_ERROR);
          return KERN_MEMORY_ERROR;
        }
      } else if (page.state === 'resident') {
        if ((page.lock & access) === 0) {
          page.stamp = this.clock++;
          return page;
        }
        if (!page.unlockPending) {
          // vm_fault_page: a data_unlock that cannot be sent fails the fault.
          if (obj.pagerDead) return KERN_MEMORY_ERROR;
          page.unlockPending = true;
          if (this.send(memoryObjectAccess(kt.abi, MEMORY_OBJECT_DATA_UNLOCK, obj.pagerName, obj.controlName, idx * PAGE_SIZE, PAGE_SIZE, access)) !== 0) {
            page.unlockPending = false;
            this.wake(page, 0);
            return KERN_MEMORY_ERROR;
          }
        }
      }
      const p = page;
      const kr = await new Promise<number>((res) => p.waiters.push(res));
      if (kr !== 0) return kr;
    }
  }

  /** Walks [address, address+size) page piece by page piece. */
  private async access(
    task: Task,
    address: number,
    size: number,
    write: boolean,
    each: (piece: Uint8Array, done: number) => void,
  ): Promise<number> {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(size) || address < 0 || size < 0 || address + size > VM_MAX_ADDRESS) {
      return KERN_INVALID_ADDRESS;
    }
    // Check the whole range first: nothing is touched if part is unmapped.
    for (let a = address; a < address + size; ) {
      const r = task.vm.regionAt(a);
      if (r === undefined) return KERN_INVALID_ADDRESS;
      if (r.mapping !== null && (r.mapping.access & (write ? VM_PROT_WRITE : VM_PROT_READ)) === 0) return KERN_PROTECTION_FAILURE;
      a = r.end;
    }
    let done = 0;
    while (done < size) {
      const a = address + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, size - done);
      const r = task.vm.regionAt(a);
      if (r === undefined || !task.active) return KERN_INVALID_ADDRESS;
      if (r.mapping === null) {
        each(task.vm.anonPage((a - off) / PAGE_SIZE).subarray(off, off + n), done);
      } else {
        const obj = this.objects.get(r.mapping.objectId);
        if (obj === undefined) return KERN_MEMORY_FAILURE;
        const idx = (r.mapping.offset + (a - off - r.start)) / PAGE_SIZE;
        const copy = r.mapping.copy;
        if (copy !== undefined) {
          // A copy mapping: its own page if it has one, else the object's, read only.
          let priv = copy.pages.get(idx);
          if (priv === undefined) {
            const page = await this.fault(obj, idx, false);
            if (typeof page === 'number') return page;
            // The fault waited: look the region up again, as vm_fault retries.
            if (!task.vm.regions.includes(r)) continue;
            priv = copy.pages.get(idx);
            if (priv === undefined && write) {
              // Copy on write: a private page, the object's stays clean.
              priv = page.data.slice();
              copy.pages.set(idx, priv);
            }
            if (priv === undefined) each(page.data.subarray(off, off + n), done);
            this.evict(obj);
          }
          if (priv !== undefined) each(priv.subarray(off, off + n), done);
        } else {
          const page = await this.fault(obj, idx, write);
          if (typeof page === 'number') return page;
          if (write) this.pushToCopies(obj, idx, page);
          each(page.data.subarray(off, off + n), done);
          if (write) page.dirty = true;
          this.evict(obj);
        }
      }
      done += n;
    }
    return KERN_SUCCESS;
  }

  async read(task: Task, address: number, size: number): Promise<{ kr: number; data: Uint8Array | null }> {
    const out = new Uint8Array(size);
    const kr = await this.access(task, address, size, false, (piece, done) => out.set(piece, done));
    this.k.flush();
    return kr === KERN_SUCCESS ? { kr, data: out } : { kr, data: null };
  }

  async write(task: Task, address: number, data: Uint8Array): Promise<number> {
    const kr = await this.access(task, address, data.length, true, (piece, done) => piece.set(data.subarray(done, done + piece.length)));
    this.k.flush();
    return kr;
  }
}

/**
 * Where a vm_map lands once the object is entered (a copy map: once it is
 * ready): the asked address when not `anywhere` (still free), else the first
 * free range; null is KERN_NO_SPACE.
 */
function placeMapping(task: Task, a: VmMapArgs, len: number): number | null {
  if (a.anywhere === false) {
    const start = a.address ?? 0;
    return task.vm.isFree(start, start + len) ? start : null;
  }
  return task.vm.findSpace(len);
}
