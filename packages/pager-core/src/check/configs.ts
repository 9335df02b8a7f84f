import type { ExploreOptions } from './explore.js';
import type { WorldConfig } from './world.js';

export interface NamedConfig {
  name: string;
  world: WorldConfig;
  opts: ExploreOptions;
}

const ALL_OPS = ['syncWait', 'return', 'flushWait'] as const;

function cfg(name: string, w: Partial<WorldConfig>, opts: ExploreOptions): NamedConfig {
  return {
    name,
    world: {
      kernels: 2,
      pages: 1,
      faults: 2,
      modifications: 1,
      evictions: 1,
      serverOps: [],
      storeErrors: 0,
      deaths: 0,
      orderedReplies: false,
      engine: {},
      ...w,
    },
    opts,
  };
}

/**
 * The standard configurations `pnpm check` explores: the small ones
 * exhaustively, the "everything" ones breadth-first to the stated depth.
 */
export const STANDARD_CONFIGS: NamedConfig[] = [
  cfg('2 kernels x 1 page: faults, unlocks, writes, page-outs', { faults: 3, modifications: 2, evictions: 1 }, { depth: 80, livenessBound: 400 }),
  cfg('2 kernels x 1 page: precious pages', { faults: 3, modifications: 2, evictions: 1, engine: { precious: true } }, { depth: 80, livenessBound: 400 }),
  cfg('2 kernels x 1 page: ordered replies', { faults: 3, modifications: 2, evictions: 1, orderedReplies: true }, { depth: 80, livenessBound: 400 }),
  cfg('2 kernels x 1 page: sync, return, flush', { faults: 2, modifications: 1, evictions: 0, serverOps: [...ALL_OPS] }, { depth: 15, livenessBound: 400 }),
  cfg('2 kernels x 1 page: store errors and a death', { faults: 2, modifications: 1, evictions: 1, storeErrors: 1, deaths: 1 }, { depth: 80, livenessBound: 400 }),
  cfg('2 kernels x 2 pages: reads, writes, unlocks', { pages: 2, faults: 2, modifications: 1, evictions: 0 }, { depth: 80, livenessBound: 400 }),
  cfg('2 kernels x 2 pages: page-outs, sync, flush', { pages: 2, faults: 1, modifications: 1, evictions: 1, serverOps: ['syncWait', 'flushWait'] }, { depth: 14, livenessBound: 400 }),
  cfg('2 kernels x 2 pages: store error, death', { pages: 2, faults: 1, modifications: 1, evictions: 0, storeErrors: 1, deaths: 1 }, { depth: 80, livenessBound: 400 }),
  cfg('3 kernels x 1 page: reads, writes, unlocks', { kernels: 3, faults: 2, modifications: 1, evictions: 0 }, { depth: 80, livenessBound: 400 }),
  cfg('3 kernels x 1 page: page-outs, sync, flush', { kernels: 3, faults: 1, modifications: 1, evictions: 1, serverOps: ['syncWait', 'flushWait'] }, { depth: 14, livenessBound: 400 }),
  cfg('3 kernels x 1 page: store error, death', { kernels: 3, faults: 1, modifications: 1, evictions: 0, storeErrors: 1, deaths: 1 }, { depth: 80, livenessBound: 400 }),
  cfg('2 kernels x 2 pages: everything at once', { pages: 2, faults: 1, modifications: 1, evictions: 1, serverOps: ['syncWait', 'flushWait'], storeErrors: 1, deaths: 1 }, { depth: 11, livenessBound: 400 }),
  cfg('3 kernels x 1 page: everything at once', { kernels: 3, faults: 1, modifications: 1, evictions: 1, serverOps: ['syncWait', 'flushWait'], storeErrors: 1, deaths: 1 }, { depth: 11, livenessBound: 400 }),
  cfg('2 kernels x 1 page: minimum hold time', { faults: 3, modifications: 2, evictions: 1, ticks: 2, engine: { minHoldTime: 2 } }, { depth: 80, livenessBound: 400 }),
  cfg('2 kernels x 1 page: lock timeout evicts a hung kernel', { faults: 2, modifications: 1, evictions: 1, hangs: 1, engine: { lockTimeout: 3 } }, { depth: 80, livenessBound: 400 }),
  cfg('3 kernels x 1 page: lock timeout evicts a hung kernel', { kernels: 3, faults: 1, modifications: 1, evictions: 0, hangs: 1, engine: { lockTimeout: 3 } }, { depth: 80, livenessBound: 400 }),
];

/** Small configurations for the unit-test suite (each a second or two). */
export const QUICK_CONFIGS: NamedConfig[] = [
  cfg('quick: 2x1 faults, unlocks, writes, page-outs', { faults: 2, modifications: 1, evictions: 1 }, { depth: 40, livenessBound: 300 }),
  cfg('quick: 2x1 sync and flush', { faults: 1, modifications: 1, evictions: 0, serverOps: ['syncWait', 'flushWait'] }, { depth: 40, livenessBound: 300 }),
  cfg('quick: 2x1 return', { faults: 1, modifications: 1, evictions: 0, serverOps: ['returnWait'] }, { depth: 40, livenessBound: 300 }),
  cfg('quick: 2x1 errors and death', { faults: 1, modifications: 1, evictions: 0, storeErrors: 1, deaths: 1 }, { depth: 40, livenessBound: 300 }),
  cfg('quick: 2x2', { pages: 2, faults: 1, modifications: 1, evictions: 0 }, { depth: 30, livenessBound: 300 }),
  cfg('quick: 3x1', { kernels: 3, faults: 1, modifications: 1, evictions: 0 }, { depth: 30, livenessBound: 300 }),
  cfg('quick: 2x1 minimum hold time', { faults: 2, modifications: 1, evictions: 0, ticks: 1, engine: { minHoldTime: 2 } }, { depth: 40, livenessBound: 300 }),
  cfg('quick: 2x1 lock timeout', { faults: 1, modifications: 1, evictions: 0, hangs: 1, engine: { lockTimeout: 3 } }, { depth: 40, livenessBound: 300 }),
];
