import type { Op } from './schedules.js';

/**
 * Delta debugging over a schedule's operations (`dist/shrink.js`): drop
 * chunks of operations, halving the chunk size down to one, while the
 * candidate still `fails`; then lower each `steps` count to the least that
 * still fails; repeat until a whole pass changes nothing. Pure: the caller
 * decides what a witness is (and how cheaply to run one).
 */
export function shrinkOps(start: Op[], fails: (ops: Op[]) => boolean): { ops: Op[]; tries: number } {
  let tries = 0;
  const test = (ops: Op[]): boolean => {
    tries++;
    return fails(ops);
  };
  let ops = start;
  for (let changed = true; changed; ) {
    changed = false;
    for (let size = Math.max(1, ops.length >> 1); size >= 1; size >>= 1) {
      for (let at = 0; at + size <= ops.length; ) {
        const cand = [...ops.slice(0, at), ...ops.slice(at + size)];
        if (test(cand)) {
          ops = cand;
          changed = true;
        } else at += size;
      }
    }
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      if (o.op !== 'steps') continue;
      for (let n = 0; n < o.n; n++) {
        const cand = [...ops];
        cand[i] = { op: 'steps', n };
        if (test(cand)) {
          ops = cand;
          changed = true;
          break;
        }
      }
    }
  }
  return { ops, tries };
}
