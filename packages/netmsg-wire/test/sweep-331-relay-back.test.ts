import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N21 (2026-12-02, PROTOCOL.md §4.5 "A relay's senders behind the old
 * home's queue", §9): a relay waits for its own FLUSH marker also when the
 * receive right goes back to its `upstream` by its route, and a marker that
 * waited at a node where the port has since come home goes back to its
 * origin (node-marker-return.ts `forwardFlush`, edge `markerHomeBack`).
 */
describe('a relay whose right goes back the way it came', () => {
  // 331001082 (--held-rights, 4 nodes; a link-loss schedule of the sweep,
  // though the shrunk list cuts no link), shrunk on cbfdd63 with --match
  // "FIFO violated on port 3 from node 3" (24 operations after 214 runs).
  // As task N17 traced it (§9): P (2:2, the sim's port 3) went from node 2
  // to node 4; node 3's proxy for P routes through node 2. Node 3's m1 is in
  // P's queue at node 4 when node 4's task moves P's right in a message to Q
  // (2:3), whose right has just left node 2 for node 4 too: the carrier goes
  // to node 2 and m1 drains after it. At node 2 P's right passes through
  // back to node 4, a relay whose upstream and route are both node 4.
  // relayWaits skipped that case, so node 2 made no round: node 3's m2 went
  // on to node 4 at once, ahead of m1 still on the link 4 -> 2 ("FIFO
  // violated on port 3 from node 3: 1 after 2"). Now the relay waits there
  // too. Fails on cbfdd63 (checked).
  it('a relay whose right goes back to its upstream waits for its marker (331001082, shrunk)', () => {
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

  it('331001082 (--held-rights, 4 nodes): per-port FIFO through a relay the right goes back through', () => {
    expect(runSchedule(4, 331001082, randomOps(331001082, 320, true, false, true), { loss: true }).violations).toEqual([]);
  });

  // The guard of the first attempt (the relay's wait alone): 303000958 (3
  // nodes, links live) then left node 3, a relay for 2:5, waiting for ever:
  // its marker went to node 1, up to node 2 and back, and waited at node 1
  // (flushWait) behind messages for 2:5 in a gate while node 1's own round
  // brought 2:5's right home there; at the end of that wait (endDrain)
  // forwardFlush found no route and dropped it ("node 3 not settled when
  // quiescent: 2:5 relay waits for its marker", NO SENDERS lost). Now it goes
  // back to node 3 (markerHomeBack). Pinned in plain mode in
  // sweep-321-350.test.ts; here with --send-once --defer-send-once.
  it('303000958 (--held-rights --send-once --defer-send-once, 3 nodes): every relay\'s marker comes back', () => {
    expect(runSchedule(3, 303000958, randomOps(303000958, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // A guard: 342001121 (--held-rights --relink, 4 nodes, link loss), fixed
  // earlier (§9), passes on cbfdd63 and here; the rule tried for 331001082
  // before was meant for it too.
  it('342001121 (--held-rights --relink, 4 nodes): per-port FIFO after relinks', () => {
    expect(runSchedule(4, 342001121, randomOps(342001121, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });
});
