import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate, simulationConfig } from '../src/check/simulate.js';

describe('random simulation (seeded, shrinking with fast-check)', () => {
  it('8 kernels x 64 pages: no invariant violation and every waiter served', () => {
    const cfg = simulationConfig(8, 64);
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 400, maxLength: 400 }), (choices) => {
        const r = simulate(cfg, choices);
        if (r.violation) throw new Error(`${r.violation.message}\n${r.violation.trace.join('\n')}`);
      }),
      { seed: 20261128, numRuns: 3 },
    );
  }, 60_000);

  it('4 kernels x 4 pages, contended, precious pages and ordered replies', () => {
    for (const engine of [{ precious: true }, {}]) {
      const cfg = simulationConfig(4, 4, { engine, orderedReplies: !('precious' in engine) });
      fc.assert(
        fc.property(fc.array(fc.nat(), { minLength: 300, maxLength: 300 }), (choices) => {
          const r = simulate(cfg, choices);
          if (r.violation) throw new Error(`${r.violation.message}\n${r.violation.trace.join('\n')}`);
        }),
        { seed: 7, numRuns: 15 },
      );
    }
  }, 60_000);

  it('a broken world is caught and the failing trace shrinks', () => {
    // Sanity check of the checker itself: with a liveness bound of 0, any
    // run that ends with work outstanding is reported as a failure.
    const cfg = simulationConfig(2, 1, { storeErrors: 0, deaths: 0, serverOps: [] });
    let shrunk: number[] | undefined;
    const out = fc.check(
      fc.property(fc.array(fc.nat(), { minLength: 30, maxLength: 60 }), (choices) => {
        const r = simulate(cfg, choices, 0);
        return r.violation === undefined;
      }),
      { seed: 1, numRuns: 50 },
    );
    // Some run fails, and fast-check shrinks its choice list.
    expect(out.failed).toBe(true);
    shrunk = out.counterexample?.[0];
    expect(shrunk !== undefined && shrunk.length <= 30).toBe(true);
  });
});
