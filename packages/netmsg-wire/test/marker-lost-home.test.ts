import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A migration's own marker lost on its way home over a link that was not
 * its route (2026-11-30 night, task N3; PROTOCOL.md §4.5 "A marker lost on
 * its way home", §9). Pinned as numbered (`simulate --schedule 111000344
 * --length 320 --held-rights`) and as shrunk on 16bee77 (`shrink --schedule
 * 111000344 --length 320 --held-rights --match "migration not finished"`,
 * 68 operations); both fail before the fix (checked).
 */
describe('a marker lost on its way home', () => {
  // Port 3:1 leaves its home, node 3, for node 4, passes on to node 1 and
  // comes back to node 3, held there for port 4:2's migration; node 3's
  // marker goes up its route to node 1, on to node 4 (node 1's upstream)
  // and node 4 sends it to node 3 (its upstream, the origin) with no
  // record. Link 3-4 dies with the marker on it: node 3's migration of 3:1
  // never finished, 3:1's and 4:2's held messages were held for ever, node
  // 1's credit on link 3 never came back. Node 3 now starts a new round up
  // the route when a link other than the route is lost.
  it('111000344 (--held-rights, 4 nodes, link loss) settles', () => {
    const num = 111000344;
    const ops = randomOps(num, 320, true, false, true, false);
    expect(runSchedule(4, num, ops, { loss: true }).violations).toEqual([]);
  });

  it('111000344, shrunk to 68 operations, settles', () => {
    const ops: Op[] = [
      { op: "newPort", node: 3 }, { op: "giveSend", holder: 36, to: 0 },
      { op: "giveReceive", holder: 15, to: 2 }, { op: "steps", n: 7 }, { op: "steps", n: 3 },
      { op: "newPort", node: 0 }, { op: "giveSend", holder: 53, to: 1 },
      { op: "giftVia", holder: 18, via: 26, receive: true }, { op: "data", holder: 37 },
      { op: "data", holder: 34 }, { op: "drop", holder: 12 }, { op: "steps", n: 5 },
      { op: "data", holder: 19 }, { op: "newPort", node: 3 }, { op: "giveSend", holder: 56, to: 2 },
      { op: "steps", n: 8 }, { op: "drop", holder: 50 }, { op: "steps", n: 11 }, { op: "newPort", node: 2 },
      { op: "newPort", node: 0 }, { op: "giveReceive", holder: 19, to: 0 },
      { op: "giveSend", holder: 44, to: 3 }, { op: "steps", n: 7 },
      { op: "giftVia", holder: 14, via: 2, receive: true }, { op: "giveSend", holder: 46, to: 1 },
      { op: "data", holder: 27 }, { op: "data", holder: 47 }, { op: "newPort", node: 0 },
      { op: "newPort", node: 3 }, { op: "data", holder: 59 }, { op: "drop", holder: 39 },
      { op: "steps", n: 8 }, { op: "steps", n: 7 }, { op: "steps", n: 4 },
      { op: "giveSend", holder: 29, to: 2 }, { op: "giveReceive", holder: 63, to: 1 },
      { op: "giveReceive", holder: 63, to: 0 }, { op: "data", holder: 24 },
      { op: "giveSend", holder: 24, to: 2 }, { op: "newPort", node: 0 }, { op: "newPort", node: 2 },
      { op: "data", holder: 54 }, { op: "data", holder: 57 }, { op: "steps", n: 2 },
      { op: "giveSend", holder: 61, to: 3 }, { op: "giveReceive", holder: 38, to: 2 }, { op: "steps", n: 2 },
      { op: "newPort", node: 0 }, { op: "newPort", node: 2 }, { op: "steps", n: 5 }, { op: "steps", n: 5 },
      { op: "newPort", node: 1 }, { op: "giveSend", holder: 61, to: 3 }, { op: "cut", a: 2, b: 1 },
      { op: "steps", n: 11 }, { op: "steps", n: 10 }, { op: "steps", n: 8 }, { op: "newPort", node: 3 },
      { op: "destroy", holder: 57 }, { op: "data", holder: 26 }, { op: "data", holder: 22 },
      { op: "data", holder: 24 }, { op: "data", holder: 2 }, { op: "drop", holder: 59 },
      { op: "data", holder: 40 }, { op: "data", holder: 34 }, { op: "data", holder: 35 },
      { op: "cut", a: 2, b: 3 },
    ];
    expect(runSchedule(4, 111000344, ops, { loss: true }).violations).toEqual([]);
  });
});
