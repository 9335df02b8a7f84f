import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * An application's NO SENDERS notification, queued on its port when the
 * receive right left, is a message through a send-once right: it goes on
 * with the old home's drain, and lost with a link on the way it gives the
 * port Mach's SEND_ONCE notification instead (PROTOCOL.md §4.4 and §4.5,
 * link loss). The oracle counts that right too (held-gifts.ts,
 * `watchTravellingNoSenders`). Found by `simulate --held-rights` (4 nodes,
 * link loss), shrunk and numbered; each failed before 2026-11-30 (task H)
 * with "0 send-once rights made, 1 messages through send-once rights".
 */

const numbered = (seed: number, length: number) => runSchedule(4, seed, randomOps(seed, length, true, false, true), { loss: true }).violations;

describe("a travelling NO SENDERS lost with a link gives the port one SEND_ONCE (§4.5)", () => {
  it('the SEND_ONCE for a NO SENDERS lost in the old home\'s drain is its send-once right\'s one message (32000158, shrunk)', () => {
    // Port 4:1's receive right went from node 4 to node 2 with its
    // application's NO SENDERS queued (counted in the right's soRights);
    // node 4's drain sent it on behind the right, and the link 2-4 died
    // with it still at node 4. Node 2, holding the right for another port,
    // made the lost late message as a SEND_ONCE notification, and the
    // application at node 1 got it: one message through a send-once right
    // that no application made, and no NO SENDERS.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 43, to: 0 }, { op: 'giveSend', holder: 25, to: 3 },
      { op: 'giveReceive', holder: 26, to: 0 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 7 },
      { op: 'newPort', node: 3 }, { op: 'drop', holder: 46 }, { op: 'giveSend', holder: 62, to: 0 },
      { op: 'data', holder: 47 }, { op: 'destroy', holder: 52 }, { op: 'giftVia', holder: 42, via: 30, receive: true },
      { op: 'data', holder: 37 }, { op: 'cut', a: 3, b: 0 }, { op: 'steps', n: 8 }, { op: 'steps', n: 10 },
      { op: 'cut', a: 1, b: 3 },
    ];
    expect(runSchedule(4, 32000158, ops, { loss: true }).violations).toEqual([]);
  });

  it('the numbered schedule (32000158 at length 160, --held-rights)', () => {
    expect(numbered(32000158, 160)).toEqual([]);
  });
});
