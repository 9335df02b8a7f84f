import type { CallToken, KernelId, PageIndex, ReturnMode } from './types.js';

/**
 * Everything the engine asks its driver to do, as data. Kernel-bound actions
 * map one-to-one onto the pager-to-kernel RPCs of the `mach` subsystem
 * (ids 2039-2095); store-bound actions onto the file server's callbacks.
 */
export type PagerAction<D> =
  // --- to a kernel, on its control port ---
  /** memory_object_ready (2094): answer to init. */
  | { kind: 'ready'; kernel: KernelId; mayCache: boolean; copyStrategy: number }
  /**
   * memory_object_data_supply (2093). `lockValue` is the access the kernel
   * may NOT use: VM_PROT_NONE (0) grants write, VM_PROT_WRITE (2) read-only.
   */
  | { kind: 'dataSupply'; kernel: KernelId; page: PageIndex; data: D; lockValue: number; precious: boolean }
  /** memory_object_data_error (2090). */
  | { kind: 'dataError'; kernel: KernelId; page: PageIndex; count: number; error: number }
  /** memory_object_data_unavailable (2039): the kernel zero-fills. */
  | { kind: 'dataUnavailable'; kernel: KernelId; page: PageIndex; count: number }
  /** memory_object_lock_request (2044). lockValue VM_PROT_NO_CHANGE (8) leaves it. */
  | {
      kind: 'lockRequest';
      kernel: KernelId;
      page: PageIndex;
      count: number;
      shouldReturn: ReturnMode;
      flush: boolean;
      lockValue: number;
      reply: boolean;
    }
  /** memory_object_change_attributes (2095). */
  | { kind: 'changeAttributes'; kernel: KernelId; mayCache: boolean; copyStrategy: number; reply: boolean }
  /** memory_object_destroy (2092): refuse a kernel (init during shutdown, bad page size). */
  | { kind: 'destroy'; kernel: KernelId; reason: number }
  // --- to the backing store ---
  | { kind: 'readPage'; page: PageIndex }
  /** Never two at once; `seq` names it in writeDone/writeFailed. */
  | { kind: 'writePage'; page: PageIndex; data: D; seq: number }
  | { kind: 'unlockPage'; page: PageIndex }
  // --- to the file server ---
  /** A waited sync/return/flush/changeAttributes/shutdown is complete. */
  | { kind: 'completed'; token: CallToken }
  /** pager_notify_evict: no kernel holds or awaits the page any more. */
  | { kind: 'evicted'; page: PageIndex }
  /**
   * The lock-timeout policy gave up on a kernel: the driver should drop its
   * control port. The engine has already handled it as a dead kernel.
   */
  | { kind: 'evictKernel'; kernel: KernelId; reason: number };

export type PagerActionKind = PagerAction<unknown>['kind'];

/** Kernel-bound actions: those sent on a kernel's control port. */
export type KernelAction<D> = Exclude<Extract<PagerAction<D>, { kernel: KernelId }>, { kind: 'evictKernel' }>;

export function isKernelAction<D>(a: PagerAction<D>): a is KernelAction<D> {
  return 'kernel' in a && a.kind !== 'evictKernel';
}
