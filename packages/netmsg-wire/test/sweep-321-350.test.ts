import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules of the lead's sweep of seeds 321-350 × 100 × 320 (2026-12-01,
 * PROTOCOL.md §9) that violate on 9f996a2, fixed by task N17.
 */
describe('sweep of seeds 321-350', () => {
  // 331001082 (--held-rights, 4 nodes), shrunk by the lead (24 operations
  // after 214 runs; no link is cut in it, and it fails the same with links
  // live). P's receive right (netmsg 2:2) left its origin, node 2, for node
  // 4; node 3's proxy for P routes through node 2. Node 3 sends m0, m1, m2.
  // m1 waits in P's queue at node 4 when node 4's task moves P's right in
  // a message to Q, whose own receive right has just left node 2 for node
  // 4: the message goes to node 2 and node 4 drains m1 after it. At node 2
  // Q's right is gone, so P's right passes through (a relay for P whose
  // upstream and route are both node 4) and goes back to node 4. A relay
  // sent no marker of its own when the right went back the way it came
  // (relayWaits), so m2, arriving from node 3 while m1 was still on the
  // link 4 -> 2, went on to node 4 at once, and node 4 put m2 on the port
  // before m1: "FIFO violated on port 3 from node 3: 1 after 2". Now the
  // relay waits for its marker there too, and passes its upstream's m1 on
  // past what it holds for the marker (§4.5, "A relay's senders behind the
  // old home's queue"). Fails on 9f996a2 (checked).
  it('a right that passes through a relay back to the node it came from: the relay\'s sender\'s next message stays behind the old home\'s drain (331001082, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 62 },
      { op: 'giveReceive', holder: 49, to: 3 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 51, to: 2 }, { op: 'giveReceive', holder: 3, to: 3 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 4 }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 3 }, { op: 'data', holder: 15 }, { op: 'giveSend', holder: 61, to: 3 },
      { op: 'steps', n: 10 }, { op: 'data', holder: 26 }, { op: 'giveReceive', holder: 1, to: 3 },
      { op: 'steps', n: 10 }, { op: 'giftVia', holder: 19, via: 7, receive: true },
      { op: 'giftVia', holder: 25, via: 6, receive: true }, { op: 'steps', n: 8 },
      { op: 'steps', n: 5 }, { op: 'data', holder: 58 }, { op: 'giveSend', holder: 47, to: 1 },
      { op: 'data', holder: 17 }
    ];
    expect(runSchedule(4, 331001082, ops, { loss: true }).violations).toEqual([]);
  });

  it('331001082 (--held-rights, 4 nodes, link loss): per-port FIFO', () => {
    expect(runSchedule(4, 331001082, randomOps(331001082, 320, true, false, true), { loss: true }).violations).toEqual([]);
  });
});
