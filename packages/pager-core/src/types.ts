/**
 * Vocabulary shared by the engine, its events and its actions.
 *
 * Pages are numbered (offset / page size); kernels are identified by the
 * pager's name for their memory-object control port, which is what every
 * memory_object RPC carries (Mach 3 Kernel Interfaces, memory_object_init).
 */

/** The pager's name for one kernel: its control port name. */
export type KernelId = number;

/** A page index: byte offset divided by the object's page size. */
export type PageIndex = number;

/** vm_prot_t bits (mach/vm_prot.h). */
export const VM_PROT_NONE = 0;
export const VM_PROT_READ = 1;
export const VM_PROT_WRITE = 2;
export const VM_PROT_EXECUTE = 4;
export const VM_PROT_ALL = 7;
/** memory_object_lock_request's "leave the lock as it is" (mach/vm_prot.h). */
export const VM_PROT_NO_CHANGE = 8;

/** What a kernel asks for in data_request/data_unlock. */
export type Access = 'read' | 'write';

/**
 * memory_object_return_t (mach/memory_object.h): which pages a lock request
 * makes the kernel send back with memory_object_data_return.
 */
export type ReturnMode = 'none' | 'dirty' | 'all';
export const MEMORY_OBJECT_RETURN_NONE = 0;
export const MEMORY_OBJECT_RETURN_DIRTY = 1;
export const MEMORY_OBJECT_RETURN_ALL = 2;

export const RETURN_MODE_CODES: Readonly<Record<ReturnMode, number>> = {
  none: MEMORY_OBJECT_RETURN_NONE,
  dirty: MEMORY_OBJECT_RETURN_DIRTY,
  all: MEMORY_OBJECT_RETURN_ALL,
};

/** memory_object_copy_strategy_t values (mach/memory_object.h). */
export const MEMORY_OBJECT_COPY_NONE = 0;
export const MEMORY_OBJECT_COPY_CALL = 1;
export const MEMORY_OBJECT_COPY_DELAY = 2;
export const MEMORY_OBJECT_COPY_TEMPORARY = 3;

/** kern_return_t values the engine itself produces (mach/kern_return.h). */
export const KERN_SUCCESS = 0;
export const KERN_INVALID_ARGUMENT = 4;
export const KERN_MEMORY_ERROR = 10;
export const KERN_TERMINATED = 26;
export const KERN_TIMEDOUT = 27;

/** An opaque token naming one call of the file server that may be waited for. */
export type CallToken = number;

/** An inclusive page range [first, first + count). */
export interface PageRange {
  readonly first: PageIndex;
  readonly count: number;
}
