export type { ImmediateMachCalls, MachKernel, MsgArgs, MsgResult, NameEntry, SpaceSnapshot, TaskId, VmMapArgs } from './mach-kernel.js';
export { immediateCalls } from './mach-kernel.js';
export type { PortStatus } from './mach-port.js';
export type { DestroyReason, MsgEvent, MsgObserver } from './observer.js';
export { SUPPORTED_BACKENDS, type Backend, type OpenKernelOptions } from './open-kernel.js';
export { openKernel, liveKernels, liveKernelRegistry, LIVE_KERNELS, type LiveKernelRegistry, KERNEL_OPEN_HOOK, type KernelOpenHook } from './live-kernels.js';
export { SimKernel, type SimKernelOptions } from './sim-kernel.js';
export type { LinkProgress } from './gnumach/progress.js';
export type { BootReport, BootSample } from './gnumach/boot-watch.js';
export { GnumachKernel, type FsClientOptions, type FsClientResult, type GnumachKernelOptions } from './gnumach/gnumach-kernel.js';
export { checkExtraArgs, QEMU_RESERVED_OPTIONS, type QemuOptions } from './gnumach/qemu.js';
export { checkInvariants } from './invariants.js';
export { VirtualClock, realClock, type Clock, type TimerHandle } from './clock.js';
export { HurdFfiError, isHurdFfiError, type HurdFfiErrorCode } from './errors.js';
export { PAGE_SIZE } from './vm-map.js';
export {
  MEMORY_OBJECT_INIT,
  MEMORY_OBJECT_TERMINATE,
  MEMORY_OBJECT_DATA_REQUEST,
  MEMORY_OBJECT_DATA_UNLOCK,
  MEMORY_OBJECT_LOCK_COMPLETED,
  MEMORY_OBJECT_DATA_RETURN,
  MEMORY_OBJECT_DATA_UNAVAILABLE,
  MEMORY_OBJECT_LOCK_REQUEST,
  MEMORY_OBJECT_DATA_ERROR,
  MEMORY_OBJECT_DATA_SUPPLY,
  MEMORY_OBJECT_READY,
  MEMORY_OBJECT_SUPPLY_COMPLETED,
  MEMORY_OBJECT_CHANGE_COMPLETED,
  MEMORY_OBJECT_CHANGE_ATTRIBUTES,
  MEMORY_OBJECT_RETURN_NONE,
  MEMORY_OBJECT_RETURN_DIRTY,
  MEMORY_OBJECT_RETURN_ALL,
  MEMORY_OBJECT_COPY_NONE,
  MEMORY_OBJECT_COPY_CALL,
  MEMORY_OBJECT_COPY_DELAY,
  MEMORY_OBJECT_COPY_TEMPORARY,
  VM_PROT_NONE,
  VM_PROT_READ,
  VM_PROT_WRITE,
  VM_PROT_EXECUTE,
  VM_PROT_ALL,
  VM_PROT_NO_CHANGE,
  memoryObjectInit,
  memoryObjectTerminate,
  memoryObjectAccess,
  memoryObjectLockCompleted,
  memoryObjectDataReturn,
} from './vm-msgs.js';
