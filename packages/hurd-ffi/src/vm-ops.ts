/** vm_allocate / vm_deallocate on a task's map. */
import { KERN_INVALID_ARGUMENT, KERN_NO_SPACE, KERN_SUCCESS } from 'mach-msg';
import type { IpcKernel, Task } from './ipc-kernel.js';
import { roundPage, truncPage, VM_MAX_ADDRESS, VM_MAX_TRANSFER } from './vm-map.js';

export function vmAllocateAnywhere(task: Task, size: number): number | null {
  const at = task.vm.findSpace(size);
  if (at === null) return null;
  task.vm.insert({ start: at, end: at + size, mapping: null });
  return at;
}

/** vm_allocate: `anywhere` finds the first fit; otherwise the range must be free. */
export function vmAllocate(task: Task, address: number, size: number, anywhere: boolean): { kr: number; address: number } {
  if (!Number.isSafeInteger(address) || !Number.isSafeInteger(size) || address < 0 || size < 0) {
    return { kr: KERN_INVALID_ARGUMENT, address: 0 };
  }
  if (size === 0) return { kr: KERN_SUCCESS, address: 0 };
  const len = roundPage(size);
  if (len > VM_MAX_TRANSFER * 4) return { kr: KERN_NO_SPACE, address: 0 };
  if (anywhere) {
    const at = vmAllocateAnywhere(task, len);
    return at === null ? { kr: KERN_NO_SPACE, address: 0 } : { kr: KERN_SUCCESS, address: at };
  }
  const start = truncPage(address);
  const end = roundPage(address + size);
  if (end > VM_MAX_ADDRESS || !task.vm.isFree(start, end)) return { kr: KERN_NO_SPACE, address: 0 };
  task.vm.insert({ start, end, mapping: null });
  return { kr: KERN_SUCCESS, address: start };
}

/** vm_deallocate: unmapped parts of the range are not an error. */
export function vmDeallocateRange(k: IpcKernel, task: Task, start: number, end: number): void {
  for (const r of task.vm.remove(start, end)) {
    if (r.mapping !== null && k.unmapHook !== null) k.unmapHook(task, r);
  }
}

/**
 * vm_read then vm_deallocate of an anonymous range, in one step (the caller
 * checked isAnon). The range is given up, so its pages are taken as they are
 * when they lie back to back in one buffer (vm-map.ts takeAnon, as
 * vm_map_copyin with src_destroy takes a sender's pages): no copy, and no
 * page of the task refers to those bytes afterwards, since every page the
 * range touches is deallocated.
 */
export function vmTakeAnon(k: IpcKernel, task: Task, address: number, size: number): Uint8Array {
  const data = task.vm.takeAnon(address, size);
  vmDeallocateRange(k, task, truncPage(address), roundPage(address + size));
  return data;
}

/**
 * vm_allocate anywhere, then vm_write of `data`, which the caller gives up:
 * its whole pages become the fresh range's pages as they are (vm-map.ts
 * adoptAnon, the copyout of out-of-line data), a partial last page is
 * copied into a zero-filled page.
 */
export function vmAllocateAdopt(task: Task, data: Uint8Array): { kr: number; address: number } {
  const a = vmAllocate(task, 0, data.length, true);
  if (a.kr === KERN_SUCCESS && data.length > 0) task.vm.adoptAnon(a.address, data);
  return a;
}

export function vmDeallocate(k: IpcKernel, task: Task, address: number, size: number): number {
  if (!Number.isSafeInteger(address) || !Number.isSafeInteger(size) || address < 0 || size < 0) return KERN_INVALID_ARGUMENT;
  if (size === 0) return KERN_SUCCESS;
  vmDeallocateRange(k, task, truncPage(address), roundPage(address + size));
  return KERN_SUCCESS;
}
