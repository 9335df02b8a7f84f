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

export function vmDeallocate(k: IpcKernel, task: Task, address: number, size: number): number {
  if (!Number.isSafeInteger(address) || !Number.isSafeInteger(size) || address < 0 || size < 0) return KERN_INVALID_ARGUMENT;
  if (size === 0) return KERN_SUCCESS;
  vmDeallocateRange(k, task, truncPage(address), roundPage(address + size));
  return KERN_SUCCESS;
}
