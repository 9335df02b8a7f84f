/**
 * How `simulate` numbers the schedules of a sweep. Schedule `i` of the sweep
 * `--seed S` is number `S * 1000003 + i` (its generator's seed; the number
 * every report prints), on `2 + i % 3` nodes, with link loss when
 * `i % 3 === 2`. The number is not `S * 1000000 + i`: schedule 12000112 is
 * index 76 of seed 12, and `--only 112` ran 12000148 instead, which read
 * as a schedule whose outcome depended on what ran before it (PROTOCOL.md
 * §9, 2026-11-30). `scheduleByNumber` inverts the numbering, so a reported
 * schedule is rerun by its number (`--schedule N`).
 */
export const SWEEP_STRIDE = 1000003;

export interface SweepSchedule {
  /** The generator's seed, as reports print it. */
  number: number;
  seed: number;
  index: number;
  nodes: number;
  loss: boolean;
}

/** The `index`-th schedule of the sweep `--seed seed`. */
export function sweepSchedule(seed: number, index: number): SweepSchedule {
  return { number: (seed * SWEEP_STRIDE + index) >>> 0, seed, index, nodes: 2 + (index % 3), loss: index % 3 === 2 };
}

/**
 * The sweep schedule a report numbered `number`: the seed and index that
 * make it (exact for seeds below 4294, where the number fits 32 bits
 * without wrapping).
 */
export function scheduleByNumber(number: number): SweepSchedule {
  return sweepSchedule(Math.floor(number / SWEEP_STRIDE), number % SWEEP_STRIDE);
}
