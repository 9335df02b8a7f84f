import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A relay's marker past a newer proxy (PROTOCOL.md §4.5; §9, 2026-12-01,
 * task N6): a relay sends the new home's marker up its upstream; a node
 * there whose proxy for the port was made anew since the right left it
 * (routed straight to the new home) sent it on by that route, ahead of
 * what the relay had forwarded to the new home. It now turns the marker
 * back to the relay, whose record sends it down the relay's route behind
 * them. `180000596` pinned numbered (`simulate --schedule 180000596
 * --length 320 --held-rights --send-once --defer-send-once`) and shrunk
 * on 3cb004b (`shrink ... --match FIFO`: 90 operations). Both fail on
 * 3cb004b's sources ("FIFO violated on port 9 from node 1: 0 after 1";
 * checked).
 */
describe('a relay\'s marker past a newer proxy', () => {
  // Port 1:5 (label 9): node 1's new proxy is routed to node 2, node 2's to
  // node 3. Node 1's m0 goes 1 -> 2 -> 3; the receive right comes 3 -> 2
  // (node 3 a relay, upstream node 1); m1 from node 1 is held at node 2.
  // Node 3 sends m0 back to node 2, then node 2's marker up to node 1,
  // which sent it straight to node 2 by its route: the marker came back
  // ahead of m0, and m1 was put back first ("0 after 1"). Now node 1 turns
  // it back to node 3, which sends it to node 2 behind m0.
  it('the marker comes back down the relay\'s route (180000596, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'soGive', holder: 40, to: 1 }, { op: 'soGive', holder: 35, to: 1 },
      { op: 'steps', n: 9 }, { op: 'soUse', holder: 41, destroy: false },
      { op: 'soGive', holder: 47, to: 0 }, { op: 'giveReceive', holder: 15, to: 1 }, { op: 'steps', n: 3 },
      { op: 'newPort', node: 0 }, { op: 'soUse', holder: 34, destroy: false }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 6, to: 3 }, { op: 'steps', n: 1 }, { op: 'soGive', holder: 27, to: 1 },
      { op: 'giveReceive', holder: 25, to: 3 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 31, to: 1 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 32, to: 0 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 33, to: 3 },
      { op: 'soGive', holder: 49, to: 1 }, { op: 'giveSend', holder: 46, to: 0 }, { op: 'newPort', node: 2 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 4 }, { op: 'steps', n: 3 },
      { op: 'soUse', holder: 57, destroy: false }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 },
      { op: 'destroy', holder: 61 }, { op: 'giveReceive', holder: 37, to: 1 }, { op: 'steps', n: 10 },
      { op: 'steps', n: 10 }, { op: 'steps', n: 8 }, { op: 'soUse', holder: 3, destroy: false },
      { op: 'giftVia', holder: 49, via: 17, receive: false }, { op: 'cut', a: 3, b: 0 },
      { op: 'steps', n: 10 }, { op: 'data', holder: 42 }, { op: 'steps', n: 6 }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 0, via: 25, receive: true }, { op: 'soUse', holder: 28, destroy: true },
      { op: 'data', holder: 61 }, { op: 'data', holder: 30 }, { op: 'soUse', holder: 32, destroy: true },
      { op: 'giftVia', holder: 21, via: 55, receive: true }, { op: 'data', holder: 41 },
      { op: 'data', holder: 59 }, { op: 'giveSend', holder: 42, to: 1 }, { op: 'data', holder: 59 },
      { op: 'giftVia', holder: 30, via: 37, receive: true }, { op: 'destroy', holder: 25 },
      { op: 'steps', n: 10 }, { op: 'giftVia', holder: 27, via: 23, receive: false },
      { op: 'soGive', holder: 26, to: 1 }, { op: 'giveSend', holder: 32, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 36 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 7 },
      { op: 'giftVia', holder: 49, via: 7, receive: true }, { op: 'giveReceive', holder: 1, to: 0 },
      { op: 'giveReceive', holder: 19, to: 0 }, { op: 'steps', n: 1 }, { op: 'steps', n: 1 },
      { op: 'soGive', holder: 20, to: 2 }, { op: 'giveSend', holder: 2, to: 0 },
      { op: 'giveReceive', holder: 62, to: 1 }, { op: 'data', holder: 57 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 49, to: 2 }, { op: 'giftVia', holder: 6, via: 15, receive: true },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 57, via: 33, receive: false },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 54, to: 3 },
      { op: 'giveReceive', holder: 54, to: 2 }, { op: 'steps', n: 10 }, { op: 'data', holder: 36 },
      { op: 'giveSend', holder: 11, to: 3 }, { op: 'giveReceive', holder: 30, to: 0 },
      { op: 'data', holder: 0 }, { op: 'giveSend', holder: 26, to: 2 }, { op: 'data', holder: 1 },
      { op: 'giveSend', holder: 33, to: 1 }, { op: 'giveSend', holder: 25, to: 2 },
      { op: 'data', holder: 1 },
    ];
    expect(runSchedule(4, 180000596, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  it('180000596 as numbered (`--held-rights --send-once --defer-send-once`, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 180000596, randomOps(180000596, 320, true, true, true, false), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });
});
