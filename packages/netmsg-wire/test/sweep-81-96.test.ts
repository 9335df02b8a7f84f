import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * New schedules of seeds 81-96 × 100 × 320 (2026-11-30 night, task N2;
 * PROTOCOL.md §9), pinned as numbered (`simulate --schedule NUM --length
 * 320 MODE`) and as shrunk on 9e6c3f5 (`shrink --schedule NUM --length 320
 * MODE --match FIFO`); both fail before the fix (checked).
 */
describe('sweep of seeds 81-96', () => {
  // Port 3:1 (label 1) moves from node 2 to node 3 (link L = 2), whose
  // proxy node 1 sends through. Node 1's m5..m9 reach node 3 on link 1
  // while node 3 waits for its FLUSH and are held, their credit returned
  // at once; node 1's proxy, all acknowledged, is collected, and a new one
  // routes m10 through node 2. m10 reaches node 3 on L after the marker
  // came back, while the right still waits in a gate, and is held too.
  // The put-back took L's held messages first, so m10 went ahead of m5
  // (FIFO, links live, "5 after 10"). A message held after the marker came
  // back is younger than every one held before, from any link: it is put
  // back after them (PROTOCOL.md §4.5).
  it('a message held after the marker came back is put back after those held before it (95000298, shrunk)', () => {
    const ops: Op[] = [
      { op: "newPort", node: 2 }, { op: "giveSend", holder: 56, to: 3 }, { op: "giveSend", holder: 35, to: 3 },
      { op: "newPort", node: 0 }, { op: "giveSend", holder: 36, to: 2 },
      { op: "giveReceive", holder: 19, to: 1 }, { op: "newPort", node: 2 },
      { op: "giveSend", holder: 43, to: 0 }, { op: "destroy", holder: 51 }, { op: "steps", n: 2 },
      { op: "steps", n: 9 }, { op: "giveSend", holder: 45, to: 2 },
      { op: "giftVia", holder: 51, via: 18, receive: true }, { op: "data", holder: 47 },
      { op: "data", holder: 29 }, { op: "steps", n: 4 }, { op: "data", holder: 0 }, { op: "steps", n: 6 },
      { op: "newPort", node: 3 }, { op: "giftVia", holder: 37, via: 9, receive: true },
      { op: "data", holder: 36 }, { op: "newPort", node: 0 }, { op: "newPort", node: 2 },
      { op: "giftVia", holder: 9, via: 7, receive: true }, { op: "data", holder: 32 },
      { op: "data", holder: 11 }, { op: "steps", n: 6 }, { op: "giftVia", holder: 24, via: 24, receive: true },
      { op: "newPort", node: 0 }, { op: "giftVia", holder: 5, via: 20, receive: false },
      { op: "drop", holder: 15 }, { op: "data", holder: 25 }, { op: "data", holder: 21 },
      { op: "data", holder: 11 }, { op: "data", holder: 23 }, { op: "steps", n: 9 },
      { op: "data", holder: 42 }, { op: "newPort", node: 3 }, { op: "giveSend", holder: 57, to: 1 },
      { op: "giveSend", holder: 1, to: 1 }, { op: "giveSend", holder: 18, to: 2 }, { op: "steps", n: 5 },
      { op: "giftVia", holder: 1, via: 61, receive: true }, { op: "giveReceive", holder: 36, to: 2 },
      { op: "steps", n: 6 }, { op: "drop", holder: 36 }, { op: "giftVia", holder: 54, via: 38, receive: true },
      { op: "giveReceive", holder: 29, to: 2 }, { op: "giftVia", holder: 53, via: 21, receive: true },
      { op: "giftVia", holder: 28, via: 61, receive: true }, { op: "data", holder: 12 },
      { op: "giftVia", holder: 47, via: 14, receive: false }, { op: "steps", n: 5 }, { op: "steps", n: 6 },
      { op: "drop", holder: 59 }, { op: "newPort", node: 1 }, { op: "newPort", node: 1 },
      { op: "giftVia", holder: 18, via: 42, receive: true }, { op: "drop", holder: 50 },
      { op: "giftVia", holder: 25, via: 19, receive: true }, { op: "steps", n: 1 },
      { op: "giveSend", holder: 57, to: 3 }, { op: "newPort", node: 1 },
      { op: "giftVia", holder: 38, via: 57, receive: false }, { op: "giveSend", holder: 5, to: 2 },
      { op: "giveSend", holder: 55, to: 0 }, { op: "newPort", node: 0 }, { op: "newPort", node: 0 },
      { op: "giveSend", holder: 39, to: 2 }, { op: "giftVia", holder: 55, via: 26, receive: true },
      { op: "giftVia", holder: 54, via: 34, receive: true },
      { op: "giftVia", holder: 6, via: 40, receive: true }, { op: "data", holder: 49 },
      { op: "giveSend", holder: 13, to: 3 }, { op: "data", holder: 11 }, { op: "data", holder: 63 },
      { op: "giveSend", holder: 50, to: 2 }, { op: "giveSend", holder: 56, to: 1 }, { op: "data", holder: 57 },
      { op: "giveSend", holder: 56, to: 0 }, { op: "newPort", node: 1 },
      { op: "giveReceive", holder: 33, to: 3 }, { op: "data", holder: 28 }, { op: "drop", holder: 15 },
      { op: "giveSend", holder: 42, to: 3 }, { op: "giftVia", holder: 45, via: 1, receive: false },
      { op: "drop", holder: 13 }, { op: "drop", holder: 35 }, { op: "data", holder: 55 },
    ];
    expect(runSchedule(3, 95000298, ops, { loss: false }).violations).toEqual([]);
  });

  it('95000298 as numbered (`--held-rights --relink`, 3 nodes, links live)', () => {
    expect(runSchedule(3, 95000298, randomOps(95000298, 320, false, false, true, true), { loss: false }).violations).toEqual([]);
  });
});
