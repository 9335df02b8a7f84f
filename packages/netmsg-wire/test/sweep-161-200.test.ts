import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules of seeds 161-200 × 100 × 320 (2026-11-30 night, the lead's
 * sweep of the final code; PROTOCOL.md §9), pinned numbered (`simulate
 * --schedule NUM --length 320 MODE`) and shrunk (`shrink --schedule NUM
 * --length 320 MODE --match credit`, task N5: 143 operations). Both
 * fail before the fix (checked).
 */
describe('sweep of seeds 161-200', () => {
  // Node 1 gates node 2's messages to 1:8 behind a message waiting for
  // 2:10's round; 1:8's receive right then leaves node 1 (a local send),
  // which frees them to pass the gate (§4.5 'Crossing migrations'), but
  // nothing re-ran the pass: their credit, which 1:8's marker at node 2
  // waits for, never came back, and 2:10's marker waited at node 2 for
  // messages waiting on 1:8's round: a credit deadlock with links live.
  // A receive right leaving with messages for its port gated now runs the
  // pass at the end of the event (node-flow.ts passDue).
  it('gated messages freed by the receive right of their port leaving pass their gate (194000603, 2 nodes, links live)', () => {
    expect(runSchedule(2, 194000603, randomOps(194000603, 320, false, false, true), { loss: false }).violations).toEqual([]);
  });

  it('the same, shrunk', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 36, to: 3 }, { op: 'steps', n: 4 },
      { op: 'data', holder: 8 }, { op: 'data', holder: 17 }, { op: 'destroy', holder: 38 },
      { op: 'giveSend', holder: 54, to: 0 }, { op: 'drop', holder: 59 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 7, to: 0 }, { op: 'steps', n: 4 },
      { op: 'steps', n: 5 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 6 },
      { op: 'giveReceive', holder: 38, to: 2 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 8 },
      { op: 'steps', n: 6 }, { op: 'giftVia', holder: 0, via: 41, receive: true },
      { op: 'giveSend', holder: 12, to: 3 }, { op: 'newPort', node: 0 },
      { op: 'giveReceive', holder: 9, to: 2 }, { op: 'giveSend', holder: 34, to: 3 },
      { op: 'giftVia', holder: 26, via: 36, receive: false }, { op: 'giveSend', holder: 11, to: 1 },
      { op: 'giveSend', holder: 30, to: 1 }, { op: 'newPort', node: 3 }, { op: 'drop', holder: 7 },
      { op: 'newPort', node: 3 }, { op: 'giftVia', holder: 60, via: 23, receive: true },
      { op: 'giveSend', holder: 54, to: 3 }, { op: 'giveSend', holder: 17, to: 0 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 }, { op: 'destroy', holder: 42 },
      { op: 'drop', holder: 55 }, { op: 'giveSend', holder: 37, to: 1 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 58, to: 3 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 0, to: 3 }, { op: 'newPort', node: 2 },
      { op: 'steps', n: 7 }, { op: 'giftVia', holder: 30, via: 9, receive: true },
      { op: 'giveSend', holder: 58, to: 2 }, { op: 'data', holder: 23 },
      { op: 'giveReceive', holder: 12, to: 3 }, { op: 'newPort', node: 3 }, { op: 'drop', holder: 2 },
      { op: 'giveReceive', holder: 25, to: 2 }, { op: 'data', holder: 43 },
      { op: 'giveReceive', holder: 31, to: 3 }, { op: 'giftVia', holder: 31, via: 13, receive: true },
      { op: 'data', holder: 58 }, { op: 'data', holder: 16 },
      { op: 'giftVia', holder: 18, via: 13, receive: true }, { op: 'destroy', holder: 3 },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 11, via: 6, receive: true },
      { op: 'data', holder: 10 }, { op: 'data', holder: 46 }, { op: 'drop', holder: 2 },
      { op: 'drop', holder: 9 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 23, via: 20, receive: true }, { op: 'data', holder: 10 },
      { op: 'steps', n: 11 }, { op: 'giveSend', holder: 52, to: 3 }, { op: 'giveSend', holder: 56, to: 3 },
      { op: 'giftVia', holder: 16, via: 27, receive: false }, { op: 'data', holder: 14 },
      { op: 'newPort', node: 1 }, { op: 'drop', holder: 12 }, { op: 'data', holder: 62 },
      { op: 'giveSend', holder: 44, to: 2 }, { op: 'drop', holder: 13 },
      { op: 'giftVia', holder: 22, via: 47, receive: true }, { op: 'steps', n: 10 },
      { op: 'drop', holder: 31 }, { op: 'drop', holder: 26 },
      { op: 'giftVia', holder: 46, via: 20, receive: true }, { op: 'giveSend', holder: 37, to: 0 },
      { op: 'drop', holder: 52 }, { op: 'giftVia', holder: 22, via: 31, receive: false },
      { op: 'giveReceive', holder: 13, to: 3 }, { op: 'drop', holder: 51 }, { op: 'newPort', node: 0 },
      { op: 'steps', n: 8 }, { op: 'steps', n: 4 }, { op: 'steps', n: 11 }, { op: 'data', holder: 43 },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 9 },
      { op: 'giftVia', holder: 18, via: 22, receive: true }, { op: 'giveSend', holder: 20, to: 1 },
      { op: 'data', holder: 52 }, { op: 'destroy', holder: 51 }, { op: 'giveSend', holder: 40, to: 0 },
      { op: 'giftVia', holder: 25, via: 57, receive: false }, { op: 'giveSend', holder: 24, to: 2 },
      { op: 'giftVia', holder: 53, via: 19, receive: false }, { op: 'steps', n: 2 },
      { op: 'giftVia', holder: 49, via: 23, receive: false },
      { op: 'giftVia', holder: 41, via: 1, receive: true },
      { op: 'giftVia', holder: 41, via: 55, receive: true }, { op: 'steps', n: 10 },
      { op: 'giveSend', holder: 18, to: 3 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 2 },
      { op: 'drop', holder: 60 }, { op: 'drop', holder: 56 }, { op: 'destroy', holder: 21 },
      { op: 'steps', n: 10 }, { op: 'giftVia', holder: 21, via: 38, receive: true },
      { op: 'giftVia', holder: 18, via: 9, receive: true }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 5 },
      { op: 'giftVia', holder: 61, via: 38, receive: true }, { op: 'drop', holder: 12 },
      { op: 'giftVia', holder: 46, via: 3, receive: true }, { op: 'steps', n: 5 },
      { op: 'giveReceive', holder: 12, to: 0 }, { op: 'giftVia', holder: 55, via: 46, receive: true },
      { op: 'giftVia', holder: 26, via: 14, receive: true }, { op: 'giveSend', holder: 23, to: 1 },
      { op: 'giftVia', holder: 27, via: 35, receive: true }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 33, via: 40, receive: true }, { op: 'data', holder: 18 },
      { op: 'giftVia', holder: 58, via: 42, receive: true },
      { op: 'giftVia', holder: 33, via: 58, receive: true }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 3, via: 3, receive: true }, { op: 'destroy', holder: 3 },
      { op: 'destroy', holder: 9 }, { op: 'data', holder: 30 },
      { op: 'giftVia', holder: 41, via: 36, receive: true },
      { op: 'giftVia', holder: 58, via: 33, receive: true }, { op: 'data', holder: 38 },
    ];
    expect(runSchedule(2, 194000603, ops, { loss: false }).violations).toEqual([]);
  });
});
