import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Carried } from '../src/sim/held-gifts.js';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Random schedules whose rights also travel through any held send right
 * (`giftVia`, `simulate --held-rights`), so receive rights are held for
 * other ports, relayed and put back (PROTOCOL.md §4.5, §9), and the two
 * faults their first sweep found, pinned as the shrunk schedules.
 */

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('newPort' as const), node: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('giveSend' as const), holder: fc.nat(63), to: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('giveReceive' as const), holder: fc.nat(63), to: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('giftVia' as const), holder: fc.nat(63), via: fc.nat(63), receive: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('data' as const), holder: fc.nat(63) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), holder: fc.nat(63) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('destroy' as const), holder: fc.nat(63) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('steps' as const), n: fc.nat(12) }) },
);
const cutArb: fc.Arbitrary<Op> = fc.record({ op: fc.constant('cut' as const), a: fc.nat(3), b: fc.nat(3) });

describe('rights given through any held send right (held-gifts.ts)', () => {
  it('a sender-less receive right destroyed with the message carrying it leaves no entry (1000031, shrunk)', () => {
    // Node 1's port P; node 3 gets a send right to it and moves its own
    // port R's receive right (never a send right made: sender-less) into
    // P's queue; P is destroyed with R in its queue or still at node 1's
    // gate. R's home entry at node 1 has no dead-name request (it rides on
    // netmsg's send right, which a sender-less home does not hold), so
    // nothing told netmsg R died: the entry stayed for ever.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 42, to: 2 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 31, via: 57, receive: true }, { op: 'destroy', holder: 60 },
    ];
    expect(runSchedule(3, 1000031, ops, { loss: false }).violations).toEqual([]);
  });

  it('a proxy whose receive right waits in a gate stays paused when credit comes back (2000085, shrunk)', () => {
    // Node 1 is port X's new home; X's FLUSH is back but the right waits
    // in node 1's gate for another receive right's round (held for X).
    // Credit for X came back and resumed X's proxy port: node 1's task's
    // next message went to the old home and came back behind a younger one.
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 61, to: 0 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 3 },
      { op: 'destroy', holder: 29 }, { op: 'newPort', node: 0 }, { op: 'data', holder: 55 },
      { op: 'giftVia', holder: 43, via: 46, receive: false }, { op: 'giftVia', holder: 34, via: 44, receive: true }, { op: 'steps', n: 9 },
      { op: 'data', holder: 25 }, { op: 'giveReceive', holder: 32, to: 3 }, { op: 'steps', n: 4 }, { op: 'data', holder: 48 }, { op: 'data', holder: 24 },
    ];
    const r = runSchedule(3, 2000085, ops, { loss: false });
    expect(r.violations).toEqual([]);
    // The schedule does pass a right through a gate that waits for a held right's round.
    expect(r.edges.gateWaitsHeld ?? 0).toBeGreaterThan(0);
  });

  it('an old home whose receive right comes back before its drain ended finishes the drain first (22000277, shrunk)', () => {
    // Port X's right leaves node 3 in a message to a port whose own right
    // is crossing to node 3, so a relay at node 2 sends it straight back;
    // node 3 holds it for that port while X's drain (and messages behind
    // it) is still going on. X's FLUSH round went out at once and came back
    // ahead of the drained messages: X was made home with its drain
    // unfinished, and what waited behind it was never delivered.
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 35, to: 0 },
      { op: 'steps', n: 1 }, { op: 'destroy', holder: 46 }, { op: 'giveSend', holder: 30, to: 0 }, { op: 'giveSend', holder: 9, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'steps', n: 11 }, { op: 'drop', holder: 61 }, { op: 'data', holder: 62 },
      { op: 'giveSend', holder: 58, to: 2 }, { op: 'data', holder: 14 }, { op: 'steps', n: 8 }, { op: 'giftVia', holder: 35, via: 48, receive: true },
      { op: 'data', holder: 18 }, { op: 'drop', holder: 49 }, { op: 'giftVia', holder: 44, via: 33, receive: true }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 29, via: 52, receive: true }, { op: 'newPort', node: 1 },
      { op: 'data', holder: 36 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 19, to: 2 }, { op: 'giveSend', holder: 11, to: 0 }, { op: 'steps', n: 5 }, { op: 'giveSend', holder: 59, to: 1 },
      { op: 'giveSend', holder: 61, to: 1 }, { op: 'giveSend', holder: 23, to: 1 },
    ];
    expect(runSchedule(3, 22000277, ops, { loss: false }).violations).toEqual([]);
  });

  it('the held-rights generator reaches rights held for another port, relayed and put back', () => {
    const sum: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const s = 2 * 1000003 + i;
      const loss = i % 3 === 2;
      const r = runSchedule(2 + (i % 3), s, randomOps(s, 60, loss, false, true), { loss });
      expect(r.violations).toEqual([]);
      for (const [k, n] of Object.entries(r.edges)) sum[k] = (sum[k] ?? 0) + n;
    }
    for (const edge of ['heldRight', 'heldRound', 'heldNewEntry', 'gateWaitsHeld', 'relayRight']) expect(sum[edge] ?? 0, edge).toBeGreaterThan(0);
  });

  it('FIFO, exactly-once, exact NO SENDERS, no dead name for a live port, credit settled — links live', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(opArb, { maxLength: 50 }), (nodes, seed, ops) => {
        expect(runSchedule(nodes, seed, ops, { loss: false }).violations).toEqual([]);
      }),
      { seed: 4646, numRuns: 60 },
    );
  });

  it('with link loss: no early NO SENDERS, nothing left over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.oneof({ weight: 12, arbitrary: opArb }, { weight: 1, arbitrary: cutArb }), { maxLength: 50 }), (nodes, seed, ops) => {
        expect(runSchedule(nodes, seed, ops, { loss: true }).violations).toEqual([]);
      }),
      { seed: 4747, numRuns: 40 },
    );
  });

  it('Carried: no cycles, and what a destroyed port carries dies with it', () => {
    const c = new Carried();
    c.carry(1, 2); // 1's receive right is in a message to 2
    c.carry(2, 3);
    expect(c.wouldCycle(3, 1)).toBe(true); // 3 into 1's queue: 1 is in 2's, 2 in 3's
    expect(c.wouldCycle(4, 1)).toBe(false);
    expect(c.wouldCycle(1, 1)).toBe(true);
    expect(c.within(3).sort()).toEqual([1, 2]);
    expect(c.within(3)).toEqual([]);
    c.carry(5, 6);
    c.arrived(5);
    expect(c.within(6)).toEqual([]);
  });
});
