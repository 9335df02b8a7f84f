import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSchedule, type Op } from '../src/sim/schedules.js';

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('newPort' as const), node: fc.nat(3) }),
  fc.record({ op: fc.constant('giveSend' as const), holder: fc.nat(63), to: fc.nat(3) }),
  fc.record({ op: fc.constant('giveReceive' as const), holder: fc.nat(63), to: fc.nat(3) }),
  fc.record({ op: fc.constant('data' as const), holder: fc.nat(63) }),
  fc.record({ op: fc.constant('drop' as const), holder: fc.nat(63) }),
  fc.record({ op: fc.constant('destroy' as const), holder: fc.nat(63) }),
  fc.record({ op: fc.constant('steps' as const), n: fc.nat(12) }),
);
const cutArb: fc.Arbitrary<Op> = fc.record({ op: fc.constant('cut' as const), a: fc.nat(3), b: fc.nat(3) });
const sendOnceArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('soGive' as const), holder: fc.nat(63), to: fc.nat(3) }),
  fc.record({ op: fc.constant('soUse' as const), holder: fc.nat(63), destroy: fc.boolean() }),
);

describe('random schedules over the simulator (seeded, shrinking)', () => {
  it('FIFO, exactly-once, exact no-senders, empty tables — links live', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(opArb, { maxLength: 40 }), (nodes, seed, ops) => {
        const r = runSchedule(nodes, seed, ops, { loss: false });
        expect(r.violations).toEqual([]);
      }),
      { seed: 4242, numRuns: 60 },
    );
  });

  it('with link loss at any point: no early no-senders, nothing left over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.oneof({ weight: 9, arbitrary: opArb }, { weight: 1, arbitrary: cutArb }), { maxLength: 40 }), (nodes, seed, ops) => {
        const r = runSchedule(nodes, seed, ops, { loss: true });
        expect(r.violations).toEqual([]);
      }),
      { seed: 4343, numRuns: 60 },
    );
  });

  it('send-once reply rights used or destroyed late while their ports move: each message once, through a send-once right', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.oneof({ weight: 3, arbitrary: opArb }, { weight: 1, arbitrary: sendOnceArb }), { maxLength: 40 }), (nodes, seed, ops) => {
        const r = runSchedule(nodes, seed, ops, { loss: false });
        expect(r.violations).toEqual([]);
      }),
      { seed: 4444, numRuns: 60 },
    );
  });

  it('send-once rights with link loss: nothing left over, no early or lost NO SENDERS', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.oneof({ weight: 6, arbitrary: opArb }, { weight: 2, arbitrary: sendOnceArb }, { weight: 1, arbitrary: cutArb }), { maxLength: 40 }), (nodes, seed, ops) => {
        const r = runSchedule(nodes, seed, ops, { loss: true });
        expect(r.violations).toEqual([]);
      }),
      { seed: 4545, numRuns: 60 },
    );
  });
});
