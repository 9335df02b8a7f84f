import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * `317001009` of the lead's sweep of seeds 261-320 (PROTOCOL.md §9,
 * 2026-12-01, task N14): `--held-rights --send-once --defer-send-once`, 3
 * nodes, links live, "FIFO violated on port 1 from node 1: 0 after 3". A
 * relay's own marker went up its upstream relay to the node the right had
 * come round to, which sent it straight down its new route to the relay,
 * past the upstream relay's drain: the relay's sender's m1 went ahead of
 * its m0, still on the link from the upstream relay. Both forms fail on
 * main (9f996a2) and pass since a migrating entry the right came into
 * from the marker's origin turns the marker back to the node it came
 * from (node-marker-return.ts; §4.5, "A relay's marker past a newer
 * proxy"): checked.
 */
describe('sweep of seeds 261-320: a relay\'s marker past the node a right came round to', () => {
  it('317001009 (--held-rights --send-once --defer-send-once, 3 nodes): per-port FIFO', () => {
    expect(runSchedule(3, 317001009, randomOps(317001009, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // Shrunk by the lead (`shrink --match FIFO`, 73 operations after 979
  // runs). Port 1 (2:3) made at node 2, whose task gives node 1 a send
  // right; node 1's m0 goes to node 2 and the right goes 2 -> 3, node 2
  // draining m0 after it. The carrier of the right waits in node 3's gate
  // until the port it was sent to (3:2) has gone to node 1, so the right
  // goes on 3 -> 1 (node 3 a relay, upstream 2, its put-back m0 sent on to
  // node 1) and 1 -> 2 (node 1 a relay, upstream 3, its task's m1 waiting
  // for its own marker). Node 1's marker went 1 -> 3 -> 2; node 2, whose
  // proxy was collected and whose new entry (the right held there) is
  // routed to node 1, sent it to node 1 while m0 was still on the link
  // 3 -> 1: node 1's task's m1 went to node 2 ahead of m0, "0 after 1".
  // Now node 2 turns the marker back to node 3, whose record sends it to
  // node 1 behind m0.
  it('the relay\'s marker comes back behind its upstream relay\'s drain (317001009, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 2 },
      { op: 'soGive', holder: 58, to: 2 }, { op: 'soGive', holder: 61, to: 2 },
      { op: 'steps', n: 6 }, { op: 'giveSend', holder: 61, to: 3 },
      { op: 'soUse', holder: 48, destroy: true }, { op: 'newPort', node: 3 },
      { op: 'soUse', holder: 21, destroy: false }, { op: 'soGive', holder: 55, to: 1 },
      { op: 'giveSend', holder: 63, to: 1 }, { op: 'steps', n: 7 }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 9 }, { op: 'giftVia', holder: 56, via: 17, receive: true },
      { op: 'data', holder: 36 }, { op: 'data', holder: 31 }, { op: 'soGive', holder: 23, to: 3 },
      { op: 'steps', n: 5 }, { op: 'giftVia', holder: 9, via: 25, receive: true },
      { op: 'giftVia', holder: 18, via: 61, receive: true },
      { op: 'giftVia', holder: 24, via: 38, receive: true },
      { op: 'giveReceive', holder: 13, to: 3 }, { op: 'data', holder: 55 },
      { op: 'data', holder: 63 }, { op: 'steps', n: 9 }, { op: 'giveSend', holder: 20, to: 2 },
      { op: 'data', holder: 53 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 17, to: 3 }, { op: 'soGive', holder: 2, to: 1 },
      { op: 'giveSend', holder: 49, to: 2 }, { op: 'drop', holder: 10 },
      { op: 'soGive', holder: 52, to: 2 }, { op: 'soUse', holder: 42, destroy: true },
      { op: 'steps', n: 4 }, { op: 'steps', n: 11 }, { op: 'data', holder: 25 },
      { op: 'data', holder: 45 }, { op: 'soGive', holder: 14, to: 2 },
      { op: 'soGive', holder: 62, to: 1 }, { op: 'soUse', holder: 54, destroy: false },
      { op: 'steps', n: 4 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 35, via: 33, receive: true }, { op: 'data', holder: 33 },
      { op: 'drop', holder: 39 }, { op: 'steps', n: 5 },
      { op: 'giftVia', holder: 33, via: 49, receive: true }, { op: 'data', holder: 2 },
      { op: 'soGive', holder: 55, to: 2 }, { op: 'giftVia', holder: 56, via: 35, receive: false },
      { op: 'soUse', holder: 40, destroy: true }, { op: 'newPort', node: 2 },
      { op: 'steps', n: 1 }, { op: 'drop', holder: 9 }, { op: 'data', holder: 1 },
      { op: 'drop', holder: 30 }, { op: 'drop', holder: 63 }, { op: 'destroy', holder: 34 },
      { op: 'giveReceive', holder: 21, to: 1 }, { op: 'giveSend', holder: 55, to: 3 },
      { op: 'giveSend', holder: 9, to: 1 }, { op: 'giftVia', holder: 9, via: 9, receive: true },
      { op: 'data', holder: 63 }, { op: 'soGive', holder: 18, to: 1 },
      { op: 'soUse', holder: 55, destroy: false }, { op: 'soGive', holder: 59, to: 1 },
      { op: 'data', holder: 16 }, { op: 'data', holder: 57 }, { op: 'data', holder: 48 }
    ];
    expect(runSchedule(3, 317001009, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });
});
