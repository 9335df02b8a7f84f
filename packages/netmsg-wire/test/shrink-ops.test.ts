import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';
import { shrinkOps } from '../src/sim/shrink-ops.js';

/**
 * The schedule shrinker's core (`dist/shrink.js`) and the settle bound it
 * runs candidates with (`settleLimit`, `simulate --max-steps`).
 */
describe('shrinkOps', () => {
  it('keeps only the operations the witness needs, with the least steps count', () => {
    const ops = randomOps(7000123, 60, false, false, true);
    const needle: Op = { op: 'data', holder: 4242 };
    const start: Op[] = [...ops.slice(0, 30), needle, { op: 'steps', n: 11 }, ...ops.slice(30)];
    // Fails while the needle is there and some later steps op runs at least 5 steps.
    const fails = (c: Op[]): boolean => {
      const at = c.indexOf(needle);
      return at >= 0 && c.slice(at + 1).some((o) => o.op === 'steps' && o.n >= 5);
    };
    const { ops: small, tries } = shrinkOps(start, fails);
    expect(small).toEqual([needle, { op: 'steps', n: 5 }]);
    expect(tries).toBeGreaterThan(0);
  });

  it('returns the schedule unchanged when no smaller one fails', () => {
    const start: Op[] = [{ op: 'newPort', node: 0 }, { op: 'steps', n: 0 }];
    const fails = (c: Op[]): boolean => c.length === 2;
    expect(shrinkOps(start, fails).ops).toEqual(start);
  });
});

describe('settleLimit', () => {
  it('a settle that does not end within the bound is recorded as no quiescence', () => {
    // Three nodes, links live: at least one settle of this schedule takes
    // more than 10 steps, none more than the default bound.
    const ops = randomOps(1000001, 40, false, false, true);
    expect(runSchedule(3, 1000001, ops, { loss: false }).violations).toEqual([]);
    expect(runSchedule(3, 1000001, ops, { loss: false, settleLimit: 10 }).violations).toContain('settle: no quiescence');
  });
});
