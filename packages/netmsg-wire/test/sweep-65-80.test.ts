import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule } from '../src/sim/schedules.js';

/**
 * The lead's sweep of seeds 65-80 × 100 × 320 (2026-11-30; PROTOCOL.md §9)
 * on the code with task D's fixes found `71000265`: a send-once reply
 * never delivered. It passed on the session's start (e3ace7b) and failed
 * from task D's first rule on (a late send-once message held from the
 * link the receive right came back on, sent round the relays like one
 * arriving after the right; b0b9b05), which is reverted: a lost reply is
 * worse than the relays left in `41000177`, the schedule that rule fixed.
 */
describe('sweep of seeds 65-80', () => {
  it('71000265 as numbered (`--held-rights --send-once --defer-send-once`, 3 nodes, links live): every send-once reply delivered', () => {
    expect(runSchedule(3, 71000265, randomOps(71000265, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });
});
