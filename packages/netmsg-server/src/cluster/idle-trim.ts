import { receivePool } from 'netmsg-wire';
import { oolBuffers } from './ool-buffers.js';

/**
 * The process's bulk-transfer buffers (the node's io_read answer pools and
 * netmsg-wire's receive pool, up to 64 + 52 MiB idle) are kept between
 * transfers so a bulk read does not pay fresh memory per answer; a daemon
 * should not hold them for ever after one burst. So, every IDLE_TRIM_MS,
 * when neither pool was used since the last look, both drop their idle
 * buffers. The decision is `tick()`'s alone, so tests drive it directly.
 */
export const IDLE_TRIM_MS = 30_000;

/** What the trimmer reads of a pool: a count that moves whenever it is used, and how to drop its idle buffers. */
export interface TrimmablePool {
  activity(): number;
  trimIdle(): number;
}

export class IdleTrimmer {
  #last: number[];

  constructor(private readonly pools: readonly TrimmablePool[]) {
    this.#last = pools.map((p) => p.activity());
  }

  /** One look: pools untouched since the previous look drop their idle buffers. Returns the bytes dropped. */
  tick(): number {
    let dropped = 0;
    this.pools.forEach((p, i) => {
      const now = p.activity();
      if (now === this.#last[i]) dropped += p.trimIdle();
      this.#last[i] = now;
    });
    return dropped;
  }
}

/** The process's two pools, as the trimmer sees them. */
export const processPools: readonly TrimmablePool[] = [
  { activity: () => oolBuffers.taken, trimIdle: () => oolBuffers.trimIdle() },
  { activity: () => { const s = receivePool.stats(); return s.made + s.reused + s.released; }, trimIdle: () => receivePool.trimIdle() },
];

let holders = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/**
 * A node (or a client's small node) holds the trimmer while it lives; the
 * interval runs while any does, unref'd (it never keeps the process up).
 * Returns the release.
 */
export function holdIdleTrim(everyMs = IDLE_TRIM_MS): () => void {
  if (holders++ === 0) {
    const t = new IdleTrimmer(processPools);
    timer = setInterval(() => t.tick(), everyMs);
    timer.unref();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
