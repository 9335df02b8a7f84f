import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules of seeds 241-260 × 100 × 320 (2026-12-01, the lead's sweep of
 * four held-rights modes; PROTOCOL.md §9), pinned numbered (`simulate
 * --schedule 246000748 --length 320 --held-rights --send-once
 * --defer-send-once`) and shrunk (`shrink` with the same arguments and
 * `--match pools`, the lead's run: 100 operations). Both fail before the
 * fix (checked: src/node-send-once.ts of 76c8ead, the file run, restored).
 */
describe('sweep of seeds 241-260', () => {
  // Port 3:2 is made on node 3 with two send-once rights out (A, B). Its
  // receive right goes 3 → 1 (passing: node 1 a relay, upstream 3) → 2
  // (passing) → 1, A's message following it. Home at node 1 again, its
  // relay proxy counts B (relayed, its message comes from node 3): the
  // DIRECT goes down to node 2 and node 1 makes one pool right for B —
  // labelled with link 2, the link the right came back on. The right goes
  // 1 → 2 → 3 (passing where B was made): node 3 sends DIRECT(origin 3)
  // to node 1, whose pool, labelled 2, gave up no right for it; the right
  // came to node 1 once more with B counted again, a second pool right was
  // made, B's SEND_ONCE notification took the older one and the newer
  // waited for ever. Pool rights made for a relay's count belong to its
  // upstream (§4.5, "A relay's count is not its own").
  it('a pool made for a relay\'s count is its upstream\'s: the DIRECT from there pays it (246000748, 3 nodes, links live)', () => {
    expect(runSchedule(3, 246000748, randomOps(246000748, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('the same, shrunk', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 },
      { op: 'soGive', holder: 35, to: 3 }, { op: 'soGive', holder: 5, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 15, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'steps', n: 6 }, { op: 'destroy', holder: 46 }, { op: 'giveSend', holder: 20, to: 1 },
      { op: 'giveSend', holder: 60, to: 2 }, { op: 'soGive', holder: 62, to: 2 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 18, to: 1 },
      { op: 'giveSend', holder: 4, to: 3 }, { op: 'giveReceive', holder: 29, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 0 }, { op: 'soGive', holder: 50, to: 2 },
      { op: 'giveSend', holder: 51, to: 1 }, { op: 'giveSend', holder: 50, to: 2 },
      { op: 'newPort', node: 2 }, { op: 'soUse', holder: 32, destroy: false },
      { op: 'steps', n: 8 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 63, to: 3 },
      { op: 'soGive', holder: 33, to: 1 }, { op: 'soGive', holder: 25, to: 1 },
      { op: 'newPort', node: 3 }, { op: 'soUse', holder: 42, destroy: true },
      { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 29, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'soUse', holder: 28, destroy: true },
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 16, to: 1 },
      { op: 'giveSend', holder: 59, to: 2 }, { op: 'soGive', holder: 47, to: 1 },
      { op: 'steps', n: 6 }, { op: 'soGive', holder: 43, to: 1 }, { op: 'steps', n: 2 },
      { op: 'data', holder: 29 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 10, via: 48, receive: true }, { op: 'giveSend', holder: 45, to: 1 },
      { op: 'steps', n: 6 }, { op: 'giftVia', holder: 23, via: 31, receive: true },
      { op: 'drop', holder: 16 }, { op: 'soGive', holder: 32, to: 2 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 4 }, { op: 'soGive', holder: 54, to: 2 },
      { op: 'destroy', holder: 49 }, { op: 'drop', holder: 63 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 33, to: 1 },
      { op: 'giftVia', holder: 50, via: 32, receive: true }, { op: 'steps', n: 10 },
      { op: 'data', holder: 55 }, { op: 'soUse', holder: 32, destroy: false },
      { op: 'steps', n: 9 }, { op: 'soUse', holder: 22, destroy: false },
      { op: 'giveReceive', holder: 58, to: 0 }, { op: 'soGive', holder: 2, to: 1 },
      { op: 'soUse', holder: 50, destroy: false }, { op: 'soGive', holder: 14, to: 2 },
      { op: 'steps', n: 4 }, { op: 'drop', holder: 17 },
      { op: 'giftVia', holder: 13, via: 47, receive: true },
      { op: 'giftVia', holder: 57, via: 12, receive: true },
      { op: 'giftVia', holder: 6, via: 40, receive: false }, { op: 'soGive', holder: 5, to: 3 },
      { op: 'soUse', holder: 35, destroy: false }, { op: 'destroy', holder: 33 },
      { op: 'soUse', holder: 10, destroy: false }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 59, via: 56, receive: true }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 15, to: 0 }, { op: 'newPort', node: 2 }, { op: 'drop', holder: 56 },
      { op: 'giftVia', holder: 41, via: 27, receive: true },
      { op: 'giveReceive', holder: 15, to: 0 },
      { op: 'giftVia', holder: 48, via: 50, receive: true },
      { op: 'giveReceive', holder: 7, to: 1 },
      { op: 'giftVia', holder: 32, via: 32, receive: true },
      { op: 'giftVia', holder: 33, via: 9, receive: true },
      { op: 'giftVia', holder: 20, via: 62, receive: true }, { op: 'drop', holder: 6 },
      { op: 'giftVia', holder: 3, via: 21, receive: true }, { op: 'giveSend', holder: 32, to: 3 },
      { op: 'giftVia', holder: 52, via: 50, receive: true }, { op: 'drop', holder: 62 },
      { op: 'giftVia', holder: 21, via: 38, receive: true }, { op: 'giveSend', holder: 40, to: 0 }
    ];
    expect(runSchedule(3, 246000748, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });
});
