import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A proxy killed by DEAD from the link its receive right is about to go on
 * (the carrying message still queued for credit, §4.5 step 1) gives its one
 * imported transfer back behind that message, not ahead of it (§4.3 rule
 * 3): the new home counts that transfer when the message arrives, and a
 * RELEASE that overtook it was ignored there, so netmsg kept its send
 * right on the port and the application never got NO SENDERS. Found by
 * `simulate --held-rights` (4 nodes, link loss), shrunk and numbered; each
 * failed before 2026-11-30 (task B) with "1 send rights left after every
 * application dropped its own (NO SENDERS lost ...)".
 */

const numbered = (seed: number, length: number) => runSchedule(4, seed, randomOps(seed, length, true, false, true), { loss: true }).violations;

describe('a RELEASE of a relay killed while its receive right waits for credit follows the right (§4.3, §4.4)', () => {
  it('the killed relay\'s RELEASE reaches the new home after the right it counts (30000230, shrunk)', () => {
    // Port 4:1 went from node 4 to node 2; node 4's proxy, routed to node 2,
    // had given node 1 send rights. Node 2 sent the right on to node 1 (in
    // a message to port 1:1, whose own right is at node 4) just as the link
    // 2-4 died: node 4's proxy died with it and its DEAD killed node 1's.
    // The right reached node 1, which made an entry on its tombstone and
    // passed the right on towards node 4, the message waiting for credit
    // on port 1:1. DEAD for 4:1 then came from node 4 (its answer to a
    // message node 1's old proxy had sent to the port): node 1 killed the
    // new entry and sent its RELEASE at once, ahead of the right. Node 4
    // ignored it (no entry yet), then counted the transfer when the right
    // arrived, for ever.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 59, to: 0 }, { op: 'giveSend', holder: 0, to: 0 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 53, to: 1 }, { op: 'giveSend', holder: 49, to: 1 },
      { op: 'giveSend', holder: 21, to: 1 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 1 },
      { op: 'giveReceive', holder: 38, to: 3 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 53, to: 0 },
      { op: 'steps', n: 8 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 53, to: 0 },
      { op: 'giveSend', holder: 46, to: 3 }, { op: 'giveSend', holder: 37, to: 3 },
      { op: 'giftVia', holder: 34, via: 44, receive: true }, { op: 'giftVia', holder: 62, via: 42, receive: true },
      { op: 'giveSend', holder: 21, to: 1 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 6, to: 0 },
      { op: 'drop', holder: 60 }, { op: 'steps', n: 11 }, { op: 'data', holder: 22 },
      { op: 'giftVia', holder: 24, via: 27, receive: true }, { op: 'giftVia', holder: 8, via: 39, receive: true },
      { op: 'data', holder: 7 }, { op: 'newPort', node: 1 }, { op: 'data', holder: 29 }, { op: 'newPort', node: 0 },
      { op: 'data', holder: 11 }, { op: 'giftVia', holder: 45, via: 29, receive: true }, { op: 'data', holder: 18 },
      { op: 'data', holder: 26 }, { op: 'drop', holder: 24 }, { op: 'data', holder: 1 }, { op: 'cut', a: 1, b: 3 },
    ];
    expect(runSchedule(4, 30000230, ops, { loss: true }).violations).toEqual([]);
  });

  it('the numbered schedule (30000230 at length 160, --held-rights)', () => {
    expect(numbered(30000230, 160)).toEqual([]);
  });
});
