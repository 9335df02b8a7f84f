import type { Access, CallToken, KernelId, PageIndex } from './types.js';

/**
 * Everything that can happen to a memory object, as data. `D` is the page
 * contents type: the engine never looks inside it (bytes for a real server,
 * version numbers for the model checker).
 */
export type PagerEvent<D> =
  // --- from a kernel (memory_object interface, msg ids 2200-2209) ---
  /** memory_object_init: a kernel maps the object. */
  | { kind: 'init'; kernel: KernelId; pageSize: number }
  /** memory_object_terminate: a kernel is done with the object. */
  | { kind: 'terminate'; kernel: KernelId }
  /** memory_object_data_request, possibly covering several pages. */
  | { kind: 'dataRequest'; kernel: KernelId; page: PageIndex; count: number; access: Access }
  /** memory_object_data_unlock: a kernel holding a read-only copy wants write. */
  | { kind: 'dataUnlock'; kernel: KernelId; page: PageIndex; count: number; access: Access }
  /** memory_object_data_return: one entry of `data` per page, from `page` on. */
  | {
      kind: 'dataReturn';
      kernel: KernelId;
      page: PageIndex;
      data: readonly D[];
      dirty: boolean;
      kernelCopy: boolean;
    }
  /** memory_object_lock_completed for a lock request that asked for a reply. */
  | { kind: 'lockCompleted'; kernel: KernelId; page: PageIndex; count: number }
  /** memory_object_change_completed for a change_attributes that asked for one. */
  | { kind: 'changeCompleted'; kernel: KernelId }
  /** The kernel's control port died (DEAD-NAME notification, msg id 72). */
  | { kind: 'kernelDied'; kernel: KernelId }
  // --- from the backing store (the file server's callbacks) ---
  /** pager_read_page finished. `writeLock` forbids giving write access. */
  | { kind: 'readDone'; page: PageIndex; data: D; writeLock: boolean }
  /** pager_read_page finished: nothing there, the kernel should zero-fill. */
  | { kind: 'readUnavailable'; page: PageIndex }
  | { kind: 'readFailed'; page: PageIndex; error: number }
  /** pager_write_page finished (`seq` from the writePage action). */
  | { kind: 'writeDone'; seq: number }
  | { kind: 'writeFailed'; seq: number; error: number }
  /** pager_unlock_page's decision. */
  | { kind: 'unlockDone'; page: PageIndex }
  | { kind: 'unlockFailed'; page: PageIndex; error: number }
  // --- the file server's own calls (pager_sync, pager_return, ...) ---
  | { kind: 'sync'; page: PageIndex; count: number; wait?: CallToken }
  | { kind: 'return'; page: PageIndex; count: number; wait?: CallToken }
  | { kind: 'flush'; page: PageIndex; count: number; wait?: CallToken }
  | { kind: 'changeAttributes'; mayCache: boolean; copyStrategy: number; wait?: CallToken }
  | { kind: 'shutdown'; wait?: CallToken }
  // --- time, for the hold-time and lock-timeout policies ---
  /** The driver's clock: `now` in the same unit as the policy durations. */
  | { kind: 'tick'; now: number };

export type PagerEventKind = PagerEvent<unknown>['kind'];
