import type { PagerAction } from '../actions.js';
import type { KernelId, PageIndex, ReturnMode } from '../types.js';

/** memory_object_lock_request as an action. */
export function lockRequest<D>(
  kernel: KernelId,
  page: PageIndex,
  count: number,
  shouldReturn: ReturnMode,
  flush: boolean,
  lockValue: number,
  reply: boolean,
): PagerAction<D> {
  return { kind: 'lockRequest', kernel, page, count, shouldReturn, flush, lockValue, reply };
}
