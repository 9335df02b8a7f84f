import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Violating schedules of the sweep of seeds 41-48 × 100 × 320 (2026-11-30,
 * task D; PROTOCOL.md §9), each pinned as numbered
 * (`simulate --schedule NUM --length 320 MODE`) and as shrunk
 * (`dist/shrink.js --schedule NUM ... --match TEXT`).
 */
describe('sweep of seeds 41-48', () => {
  // Port 2:2 goes 2 → 1 → 2 → 1 with one send-once right made at node 2
  // while home there: node 2 keeps a relay (its old port) for it, node 1 a
  // relay whose upstream and route are both link 2, node 2 a pool right
  // for it and, the right gone out again, a relay on the port that pool
  // right names. The right's second arrival at node 1 holds the late
  // message from node 2's old relay; taken as one of the arriving
  // soRights, node 1's relay, node 2's pool and its new relay waited for
  // ever (PROTOCOL.md §4.5: it goes round, as after the right).
  it('a late send-once message held from a relay upstream that is also the way the right came goes round (41000177, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 60, to: 1 }, { op: 'soGive', holder: 22, to: 1 },
      { op: 'giveSend', holder: 4, to: 1 }, { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 9, to: 1 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 45, to: 3 },
      { op: 'giveReceive', holder: 12, to: 3 }, { op: 'soGive', holder: 4, to: 3 }, { op: 'steps', n: 1 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 30, to: 0 },
      { op: 'soUse', holder: 50, destroy: true }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 39, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'soUse', holder: 33, destroy: true }, { op: 'giveSend', holder: 25, to: 1 },
      { op: 'soGive', holder: 32, to: 0 }, { op: 'giveSend', holder: 4, to: 0 }, { op: 'soGive', holder: 0, to: 1 },
      { op: 'giftVia', holder: 21, via: 33, receive: false }, { op: 'giftVia', holder: 58, via: 46, receive: true },
      { op: 'giveReceive', holder: 6, to: 2 }, { op: 'destroy', holder: 56 }, { op: 'data', holder: 52 },
      { op: 'giveSend', holder: 62, to: 0 }, { op: 'data', holder: 4 }, { op: 'drop', holder: 15 },
      { op: 'giveReceive', holder: 55, to: 1 }, { op: 'soGive', holder: 29, to: 1 },
      { op: 'soGive', holder: 5, to: 3 }, { op: 'soGive', holder: 54, to: 1 }, { op: 'giveSend', holder: 23, to: 3 },
      { op: 'soGive', holder: 11, to: 1 }, { op: 'soGive', holder: 12, to: 1 },
      { op: 'soUse', holder: 22, destroy: false }, { op: 'giveSend', holder: 40, to: 3 },
      { op: 'giftVia', holder: 46, via: 0, receive: true }, { op: 'soGive', holder: 63, to: 0 },
      { op: 'soUse', holder: 61, destroy: false }, { op: 'steps', n: 4 },
      { op: 'giftVia', holder: 52, via: 29, receive: true }, { op: 'soUse', holder: 26, destroy: false },
      { op: 'giveSend', holder: 35, to: 2 },
    ];
    expect(runSchedule(2, 41000177, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('41000177 as numbered (`--held-rights --send-once --defer-send-once`, 2 nodes, links live)', () => {
    expect(runSchedule(2, 41000177, randomOps(41000177, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });
});
