import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A receive right arriving where its proxy died with its route (PROTOCOL.md
 * §4.5, "A right arriving where its proxy died with its route"; §9,
 * 2026-12-01, task N6): the new entry's marker names the lost route's far
 * end (`via`), so the node the right came from starts the round there.
 * `192000635` pinned numbered (`simulate --schedule 192000635 --length 320
 * --held-rights`) and shrunk on 3cb004b (`shrink --schedule 192000635
 * --length 320 --held-rights --match FIFO`: 54 operations). Both fail on
 * 3cb004b's sources ("FIFO violated on port 1 from node 3: 0 after 8", shrunk
 * "0 after 7"; checked).
 */
describe('a right arriving where its proxy died with its route', () => {
  // Port 4:1's receive right goes 4 -> 1; node 3's proxy, routed 3 -> 2 ->
  // 4 (node 4 now a relay to 1), sends m0, then link 2-3 dies with m1, m2 on
  // it: the proxy dies (its senders get dead names), m0 waits in node 4's
  // gate. The right goes 1 -> 3; node 3's plain marker went to node 1, which
  // returned it at once, and node 3's task, with a new right, had 3..7
  // queued ahead of m0. Now the marker names node 2: node 1 passes it there,
  // and it comes back 2 -> 4 -> 1 -> 3 behind m0.
  it('the marker goes round the dead route\'s far end, behind what it forwarded (192000635, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 20, to: 3 },
      { op: 'steps', n: 7 }, { op: 'giveSend', holder: 58, to: 3 }, { op: 'giveSend', holder: 12, to: 3 },
      { op: 'giveSend', holder: 23, to: 1 }, { op: 'steps', n: 9 }, { op: 'drop', holder: 61 },
      { op: 'giftVia', holder: 20, via: 7, receive: false }, { op: 'giveReceive', holder: 21, to: 0 },
      { op: 'newPort', node: 0 }, { op: 'data', holder: 21 },
      { op: 'giftVia', holder: 17, via: 31, receive: true }, { op: 'giveReceive', holder: 62, to: 1 },
      { op: 'steps', n: 1 }, { op: 'drop', holder: 13 }, { op: 'giveSend', holder: 51, to: 2 },
      { op: 'drop', holder: 8 }, { op: 'steps', n: 7 }, { op: 'data', holder: 42 },
      { op: 'giveSend', holder: 17, to: 0 }, { op: 'giveSend', holder: 27, to: 0 },
      { op: 'data', holder: 18 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 17, via: 0, receive: true }, { op: 'data', holder: 17 },
      { op: 'data', holder: 34 }, { op: 'giveReceive', holder: 21, to: 3 }, { op: 'data', holder: 36 },
      { op: 'data', holder: 56 }, { op: 'data', holder: 32 }, { op: 'giveSend', holder: 37, to: 3 },
      { op: 'steps', n: 5 }, { op: 'giveReceive', holder: 52, to: 2 }, { op: 'giveSend', holder: 42, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 33, via: 43, receive: false },
      { op: 'steps', n: 5 }, { op: 'giveSend', holder: 25, to: 2 },
      { op: 'giftVia', holder: 51, via: 47, receive: true },
      { op: 'giftVia', holder: 22, via: 7, receive: false }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 41, via: 20, receive: false }, { op: 'cut', a: 2, b: 1 },
      { op: 'steps', n: 5 }, { op: 'steps', n: 9 }, { op: 'data', holder: 47 }, { op: 'steps', n: 2 },
      { op: 'data', holder: 56 }, { op: 'steps', n: 9 }, { op: 'steps', n: 10 }, { op: 'data', holder: 62 },
    ];
    expect(runSchedule(4, 192000635, ops, { loss: true }).violations).toEqual([]);
  });

  it('192000635 as numbered (`--held-rights`, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 192000635, randomOps(192000635, 320, true, false, true, false), { loss: true }).violations).toEqual([]);
  });
});
