import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A FLUSH marker that reaches a node with nothing of its port, from a node
 * other than its origin, goes back the way it came (PROTOCOL.md §4.5,
 * "Markers that find nothing"): straight to the origin it overtook what the
 * relay that sent it up had sent down its route, the origin's own older
 * messages among them (per-port FIFO, `10000031`).
 */

describe('markers that find nothing retrace their way (10000031)', () => {
  it('a relay\'s bounce-back is not overtaken by the new home\'s marker (10000031, shrunk)', () => {
    // Port P (3:3) moved from node 3 through node 1 (a relay: upstream 3,
    // route 2) to node 2, held there for another port. Node 2's task had
    // sent message 0 to P through its proxy, routed to node 1; node 1 sent
    // it back down its route to node 2. Node 2's marker, behind message 0
    // on the link to node 1, went up node 1's upstream to node 3, which no
    // longer had P's entry and returned it straight to node 2: the round
    // ended before message 0 was back, the right moved on to node 1, node
    // 2's message 1 went straight there and message 0, come back to node 2,
    // followed it: FIFO violated on P from node 2, 0 after 1.
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 48, to: 1 }, { op: 'steps', n: 1 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 4, to: 2 }, { op: 'steps', n: 8 }, { op: 'giveSend', holder: 24, to: 3 }, { op: 'giveReceive', holder: 5, to: 2 },
      { op: 'steps', n: 1 }, { op: 'steps', n: 1 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 61, to: 3 },
      { op: 'soGive', holder: 8, to: 2 }, { op: 'soGive', holder: 55, to: 3 }, { op: 'drop', holder: 59 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 36, to: 2 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 5 }, { op: 'giveSend', holder: 59, to: 0 },
      { op: 'giveReceive', holder: 48, to: 1 }, { op: 'giveSend', holder: 33, to: 2 }, { op: 'soGive', holder: 32, to: 1 },
      { op: 'soGive', holder: 63, to: 0 }, { op: 'soGive', holder: 6, to: 1 }, { op: 'soGive', holder: 42, to: 2 },
      { op: 'soGive', holder: 44, to: 1 }, { op: 'soGive', holder: 26, to: 2 }, { op: 'steps', n: 9 }, { op: 'soGive', holder: 15, to: 2 },
      { op: 'steps', n: 2 }, { op: 'giveReceive', holder: 20, to: 1 }, { op: 'soGive', holder: 34, to: 0 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 1, to: 2 }, { op: 'giveReceive', holder: 51, to: 2 }, { op: 'giveSend', holder: 43, to: 0 },
      { op: 'giveSend', holder: 37, to: 3 }, { op: 'steps', n: 4 }, { op: 'soGive', holder: 53, to: 2 }, { op: 'giveSend', holder: 60, to: 2 },
      { op: 'steps', n: 10 }, { op: 'soGive', holder: 14, to: 3 }, { op: 'giveSend', holder: 5, to: 3 }, { op: 'giveSend', holder: 51, to: 2 },
      { op: 'giveSend', holder: 59, to: 2 }, { op: 'soUse', holder: 1, destroy: true }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 34, to: 0 }, { op: 'giveReceive', holder: 30, to: 3 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 23, to: 2 }, { op: 'soGive', holder: 19, to: 1 }, { op: 'giveSend', holder: 27, to: 0 },
      { op: 'giftVia', holder: 55, via: 43, receive: false }, { op: 'soGive', holder: 48, to: 2 }, { op: 'steps', n: 8 }, { op: 'steps', n: 10 },
      { op: 'giftVia', holder: 4, via: 46, receive: true }, { op: 'giftVia', holder: 16, via: 54, receive: true },
      { op: 'giveSend', holder: 7, to: 2 }, { op: 'soGive', holder: 44, to: 2 }, { op: 'giveReceive', holder: 25, to: 3 },
      { op: 'soGive', holder: 28, to: 3 }, { op: 'destroy', holder: 35 }, { op: 'soUse', holder: 56, destroy: false },
      { op: 'soUse', holder: 0, destroy: false }, { op: 'soUse', holder: 8, destroy: true }, { op: 'soUse', holder: 19, destroy: false },
      { op: 'soUse', holder: 27, destroy: false }, { op: 'soUse', holder: 10, destroy: true }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 20, via: 61, receive: false },
      { op: 'giftVia', holder: 30, via: 14, receive: false }, { op: 'drop', holder: 27 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 55 },
      { op: 'data', holder: 54 }, { op: 'soGive', holder: 13, to: 3 }, { op: 'giveReceive', holder: 63, to: 2 }, { op: 'soGive', holder: 32, to: 2 },
      { op: 'data', holder: 37 }, { op: 'steps', n: 2 }, { op: 'drop', holder: 59 }, { op: 'soGive', holder: 36, to: 1 },
      { op: 'giftVia', holder: 16, via: 32, receive: true }, { op: 'giveReceive', holder: 47, to: 0 }, { op: 'steps', n: 6 },
      { op: 'soUse', holder: 47, destroy: false }, { op: 'soUse', holder: 6, destroy: true }, { op: 'data', holder: 38 },
    ];
    const r = runSchedule(3, 10000031, ops, { loss: false, deferSendOnce: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.markerRetraced ?? 0).toBeGreaterThan(0);
  });

  it('the numbered schedule (10000031: --held-rights --send-once --defer-send-once, length 320)', () => {
    const r = runSchedule(3, 10000031, randomOps(10000031, 320, false, true, true), { loss: false, deferSendOnce: true });
    expect(r.violations).toEqual([]);
  });
});
