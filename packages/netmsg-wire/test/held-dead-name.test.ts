import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A send right in a message that outlives the link it came on (held here
 * for another port, and put back on that port after the loss) is doomed:
 * its transfer was counted on the lost link only, forgotten at both ends,
 * so it arrives as a dead name unless a live entry here takes it
 * (PROTOCOL.md §4.3, after link loss; node-core.ts `deadOnArrival`).
 * Found by `simulate --held-rights` (4 nodes, link loss), shrunk and
 * numbered; each failed before 2026-11-30 (task A, afternoon) with "node 2
 * app name 15 still a live right to destroyed port 18 (DEAD NAME missed)
 * [send; netmsg proxy {"node":4,"serial":7}]".
 */

const numbered = (seed: number, length: number) => runSchedule(4, seed, randomOps(seed, length, true, false, true), { loss: true }).violations;

describe('a send right in a message that outlived its link is a dead name (§4.3)', () => {
  it('the right held for another port across the loss of its link is not made a proxy on that link (21000074, shrunk)', () => {
    // Node 4 sent node 2 a message to port 3:3 carrying a send right to its
    // own port 4:7, then destroyed 4:7; its DEAD followed on link 2-4. Node
    // 2 held the message for 3:3 (whose receive right was on its way
    // there), and link 2-4 died with the DEAD on it. When 3:3 became home
    // at node 2 the message was put back on it, and the right made a proxy
    // routed to the lost link: node 2's application held a live right to
    // a destroyed port that no DEAD could ever reach.
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveReceive', holder: 12, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 44, to: 1 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 }, { op: 'cut', a: 1, b: 0 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 },
      { op: 'destroy', holder: 44 }, { op: 'destroy', holder: 4 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 41, to: 0 }, { op: 'giveSend', holder: 51, to: 1 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 56, to: 3 }, { op: 'giveSend', holder: 18, to: 2 },
      { op: 'destroy', holder: 37 }, { op: 'giveSend', holder: 35, to: 0 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 52, to: 1 }, { op: 'steps', n: 5 }, { op: 'giveReceive', holder: 53, to: 1 },
      { op: 'giveSend', holder: 53, to: 1 }, { op: 'steps', n: 7 }, { op: 'data', holder: 41 },
      { op: 'steps', n: 8 }, { op: 'giftVia', holder: 59, via: 45, receive: true }, { op: 'steps', n: 5 },
      { op: 'giftVia', holder: 8, via: 17, receive: true },
      { op: 'giftVia', holder: 46, via: 53, receive: true }, { op: 'newPort', node: 3 },
      { op: 'drop', holder: 10 }, { op: 'giftVia', holder: 61, via: 17, receive: true },
      { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 61, via: 44, receive: false },
      { op: 'newPort', node: 3 }, { op: 'giftVia', holder: 41, via: 50, receive: false },
      { op: 'giftVia', holder: 5, via: 54, receive: true },
      { op: 'giftVia', holder: 54, via: 36, receive: true },
      { op: 'giftVia', holder: 12, via: 13, receive: true }, { op: 'drop', holder: 4 }, { op: 'steps', n: 5 },
      { op: 'data', holder: 17 }, { op: 'drop', holder: 21 }, { op: 'giveReceive', holder: 48, to: 0 },
      { op: 'newPort', node: 3 }, { op: 'giftVia', holder: 2, via: 8, receive: false },
      { op: 'giftVia', holder: 21, via: 16, receive: true }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 1, via: 19, receive: false }, { op: 'giveSend', holder: 35, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'data', holder: 43 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 2 }, { op: 'data', holder: 40 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 49, to: 2 }, { op: 'giftVia', holder: 1, via: 17, receive: true },
      { op: 'data', holder: 15 }, { op: 'drop', holder: 0 }, { op: 'newPort', node: 0 },
      { op: 'data', holder: 24 }, { op: 'newPort', node: 0 }, { op: 'data', holder: 25 },
      { op: 'giftVia', holder: 63, via: 43, receive: true }, { op: 'data', holder: 20 },
      { op: 'newPort', node: 2 }, { op: 'data', holder: 39 }, { op: 'data', holder: 49 },
      { op: 'steps', n: 2 }, { op: 'destroy', holder: 61 }, { op: 'cut', a: 0, b: 2 },
      { op: 'data', holder: 61 }, { op: 'giveReceive', holder: 2, to: 1 },
      { op: 'giveSend', holder: 62, to: 2 }, { op: 'data', holder: 6 },
      { op: 'giftVia', holder: 23, via: 54, receive: true },
      { op: 'giftVia', holder: 53, via: 36, receive: false }, { op: 'data', holder: 62 },
      { op: 'drop', holder: 23 }, { op: 'drop', holder: 42 },
      { op: 'giftVia', holder: 21, via: 63, receive: false },
      { op: 'giftVia', holder: 52, via: 26, receive: true }, { op: 'drop', holder: 58 },
      { op: 'data', holder: 47 }, { op: 'data', holder: 0 }, { op: 'destroy', holder: 3 },
      { op: 'data', holder: 18 }, { op: 'giftVia', holder: 57, via: 51, receive: true },
      { op: 'drop', holder: 44 }, { op: 'data', holder: 2 }, { op: 'destroy', holder: 59 },
      { op: 'steps', n: 9 }, { op: 'steps', n: 10 }, { op: 'cut', a: 3, b: 1 },
    ];
    expect(runSchedule(4, 21000074, ops, { loss: true }).violations).toEqual([]);
  });

  it('the numbered schedule (21000074 at length 320, --held-rights)', () => {
    expect(numbered(21000074, 320)).toEqual([]);
  });
});
