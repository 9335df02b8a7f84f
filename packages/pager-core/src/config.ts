import { PagerCoreError } from './errors.js';
import { MEMORY_OBJECT_COPY_DELAY } from './types.js';

/**
 * Engine configuration. Every policy that changes what kernels observe is
 * off by default.
 */
export interface PagerConfig {
  /** The object's page size in bytes; init with another size is refused. */
  pageSize: number;
  /** memory_object_ready's may_cache. */
  mayCache: boolean;
  /** memory_object_ready's copy_strategy (MEMORY_OBJECT_COPY_*). */
  copyStrategy: number;
  /**
   * Supply read-only pages as precious too (write grants always are, see
   * README "lock_completed before data_return"), and send `evicted` notices.
   * Precious pages make upgrades by data_unlock cost 2 messages instead of 4.
   */
  precious: boolean;
  /**
   * Anti ping-pong: do not revoke a page from a kernel sooner than this
   * after granting it (clock units of `tick`). 0 = revoke at once.
   */
  minHoldTime: number;
  /**
   * Evict a kernel that has not answered a lock request after this long.
   * 0 = never (wait forever, as the seed does).
   */
  lockTimeout: number;
}

export const DEFAULT_CONFIG: Readonly<PagerConfig> = {
  pageSize: 4096,
  mayCache: true,
  copyStrategy: MEMORY_OBJECT_COPY_DELAY,
  precious: false,
  minHoldTime: 0,
  lockTimeout: 0,
};

export function makeConfig(partial: Partial<PagerConfig> = {}): PagerConfig {
  const c: PagerConfig = { ...DEFAULT_CONFIG, ...partial };
  if (!Number.isInteger(c.pageSize) || c.pageSize <= 0 || (c.pageSize & (c.pageSize - 1)) !== 0) {
    throw new PagerCoreError('bad-config', `pageSize must be a power of two, got ${c.pageSize}`);
  }
  for (const k of ['minHoldTime', 'lockTimeout'] as const) {
    if (!(c[k] >= 0) || !Number.isFinite(c[k])) {
      throw new PagerCoreError('bad-config', `${k} must be a finite number >= 0, got ${c[k]}`);
    }
  }
  return c;
}
