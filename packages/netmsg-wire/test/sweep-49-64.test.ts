import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Violating schedules of the lead's sweep of seeds 49-64 × 100 × 320
 * (2026-11-30, task E; PROTOCOL.md §9), each pinned as numbered
 * (`simulate --schedule NUM --length 320 MODE`) and as shrunk
 * (`dist/shrink.js --seed NUM --nodes K --length 320 MODE --match TEXT`).
 */
describe('sweep of seeds 49-64', () => {
  // Port 3:3 (label 9) is home at node 3; node 2's task sends m0 there
  // through its proxy. The receive right passes node 2 (a relay: its
  // upstream is node 3, its route node 1), which sends its own FLUSH up to
  // node 3 (relayWaits). Node 3's drain (a message carrying another receive
  // right, then m0) and then the relay's marker come back on link 3; the
  // drain waits in node 2's gate for link 3 (behind that right's round),
  // and the marker's return resumed the port at once: node 2's task's m1
  // went to node 1 ahead of m0 (FIFO, links live). The port now stays
  // paused while older messages for it wait in a gate or a drain hold
  // (PROTOCOL.md §4.5, "A relay's senders behind the old home's queue").
  it('a relay whose marker comes back behind its drain still gated keeps its senders waiting (63000229, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 60, to: 1 }, { op: 'newPort', node: 3 },
      { op: 'giveReceive', holder: 29, to: 1 }, { op: 'giveReceive', holder: 35, to: 1 }, { op: 'steps', n: 7 },
      { op: 'steps', n: 6 }, { op: 'giveSend', holder: 53, to: 0 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 5 },
      { op: 'giftVia', holder: 51, via: 51, receive: false }, { op: 'drop', holder: 39 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 50, to: 3 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 5 },
      { op: 'destroy', holder: 11 }, { op: 'newPort', node: 2 }, { op: 'drop', holder: 20 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 37, to: 3 }, { op: 'drop', holder: 50 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 2 }, { op: 'data', holder: 52 }, { op: 'giveSend', holder: 44, to: 2 },
      { op: 'drop', holder: 36 }, { op: 'steps', n: 5 }, { op: 'giveReceive', holder: 16, to: 3 },
      { op: 'data', holder: 26 }, { op: 'giftVia', holder: 63, via: 33, receive: false },
      { op: 'giftVia', holder: 33, via: 13, receive: false }, { op: 'data', holder: 30 },
      { op: 'destroy', holder: 4 }, { op: 'steps', n: 1 }, { op: 'steps', n: 6 }, { op: 'data', holder: 39 },
      { op: 'giveSend', holder: 16, to: 2 }, { op: 'giveSend', holder: 1, to: 1 },
      { op: 'giftVia', holder: 5, via: 3, receive: true }, { op: 'giveSend', holder: 18, to: 2 },
      { op: 'data', holder: 36 }, { op: 'giveSend', holder: 13, to: 3 }, { op: 'steps', n: 6 },
      { op: 'newPort', node: 3 }, { op: 'data', holder: 18 }, { op: 'steps', n: 5 },
      { op: 'giftVia', holder: 27, via: 13, receive: true }, { op: 'giveReceive', holder: 17, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 39, to: 0 },
      { op: 'giveSend', holder: 36, to: 1 }, { op: 'drop', holder: 2 }, { op: 'data', holder: 27 },
      { op: 'steps', n: 6 }, { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 42, to: 2 },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 4 }, { op: 'giveSend', holder: 63, to: 1 },
      { op: 'giftVia', holder: 42, via: 52, receive: true }, { op: 'newPort', node: 3 }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 38, to: 3 }, { op: 'data', holder: 1 }, { op: 'drop', holder: 21 },
      { op: 'giveSend', holder: 54, to: 1 }, { op: 'data', holder: 11 }, { op: 'giveSend', holder: 20, to: 1 },
      { op: 'data', holder: 16 }, { op: 'data', holder: 55 }, { op: 'giveReceive', holder: 26, to: 1 },
      { op: 'giftVia', holder: 26, via: 20, receive: true }, { op: 'giftVia', holder: 62, via: 14, receive: true },
      { op: 'giftVia', holder: 40, via: 17, receive: false }, { op: 'data', holder: 9 }, { op: 'data', holder: 34 },
      { op: 'giftVia', holder: 7, via: 38, receive: true }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 57, to: 1 }, { op: 'drop', holder: 59 }, { op: 'giveReceive', holder: 56, to: 2 },
      { op: 'giftVia', holder: 34, via: 32, receive: false }, { op: 'newPort', node: 3 }, { op: 'steps', n: 3 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 34, to: 2 }, { op: 'destroy', holder: 9 },
      { op: 'steps', n: 3 }, { op: 'giftVia', holder: 20, via: 14, receive: false }, { op: 'data', holder: 53 },
    ];
    expect(runSchedule(3, 63000229, ops, { loss: false }).violations).toEqual([]);
  });

  it('63000229 as numbered (`--held-rights`, 3 nodes, links live)', () => {
    expect(runSchedule(3, 63000229, randomOps(63000229, 320, false, false, true), { loss: false }).violations).toEqual([]);
  });

  it('63000229 as numbered (`--held-rights --relink`, 3 nodes, links live)', () => {
    expect(runSchedule(3, 63000229, randomOps(63000229, 320, false, false, true, true), { loss: false }).violations).toEqual([]);
  });
});
