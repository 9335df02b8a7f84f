import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule } from '../src/sim/schedules.js';

/**
 * Schedules of the lead's sweep of seeds 351-440 × 100 × 320 (2026-12-01/02,
 * PROTOCOL.md §9) that violate on 2257639.
 */
describe('sweep of seeds 351-440', () => {
  // 370001121 (--held-rights --send-once --relink, 4 nodes, link loss).
  // Node 2's entry for 1:1 was killed and its DEAD went to node 1; node 1
  // had sent messages for 1:1 before the DEAD reached it, and dropped its
  // credit for them with its chain. By the time they arrived node 2 had a
  // newer entry for 1:1 (the receive right came back), so they were
  // credited to it, and node 1's next chain for 1:1 on that link was paid
  // three times over: "node 2 not settled when quiescent: 1:1 credit 8 of 5
  // on link 1". The killed entry's transfers to node 1 were still
  // `forgotten` (their RELEASEs not back), which tells that the DEAD left
  // before these messages could be answered; such a message is now
  // `unowed` (node-flow.ts `answeredByDead`, §6). Fails on 2257639
  // (checked).
  it('370001121 (--held-rights --send-once --relink, 4 nodes, link loss): a message the DEAD answered is not credited to a newer entry', () => {
    expect(runSchedule(4, 370001121, randomOps(370001121, 320, true, true, true, true), { loss: true }).violations).toEqual([]);
  });
});
