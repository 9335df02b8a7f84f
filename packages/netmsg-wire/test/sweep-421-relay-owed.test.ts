import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N24 (2026-12-02, PROTOCOL.md §6 "Credit", §9): 421001277
 * (`--held-rights --send-once --defer-send-once`, index 14 of seed 421, 4
 * nodes, link loss), "node 1 not settled when quiescent: 3:2 credit 6 of 5
 * on link 2". Both cases fail on 934c27a's `src/` (checked).
 *
 * Node 1 had been 3:2's home and had made a send-once right to it there
 * (counted when the receive right went on to node 2, `soPending` 1). At
 * the loss of the link 1-3, node 1's proxy for 3:2 (routed to node 2) was
 * collected and kept as a send-once relay for that right, and the right
 * was deallocated. A send right from node 2 then made node 1 a new proxy
 * for 3:2, and the right's SEND_ONCE notification came off the relay's
 * port and went to node 2 as a send-once message outside any window
 * (`relayOwed` 1 for 3:2 on link 2). A DEAD for 3:2 came from node 4,
 * whose proxy had died with node 3's, while node 4's message carrying a
 * send right to 3:2 waited in node 1's gate for link 4
 * (`waitsWithRight`): `onDead` buried the identity so that right arrives
 * dead, and `bury` dropped `relayOwed` with it. Node 2, the port's home by
 * then, delivered the notification and returned its credit, which went to
 * the new proxy: window 6 of 5. That DEAD is about node 4's chain, not
 * the port's death; now it only marks the identity (`entomb`), and
 * `relayOwed` stays until the credit comes, the link goes, or the identity
 * dies here (`bury`, node-core.ts).
 */
describe('a DEAD for a waiting right keeps what a relay is owed (task N24)', () => {
  it('421001277 (--held-rights --send-once --defer-send-once, 4 nodes, link loss): numbered', () => {
    expect(runSchedule(4, 421001277, randomOps(421001277, 320, true, true, true), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  // Shrunk on 934c27a (49 operations after 849 runs, --match "credit"); the
  // cut of the link 1-3 (nodes 0 and 2 here) is the 45th.
  it('421001277 shrunk: the relay\'s credit is not the new proxy\'s', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 25, to: 2 },
      { op: 'destroy', holder: 53 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 16, to: 2 }, { op: 'giveSend', holder: 63, to: 1 },
      { op: 'giveSend', holder: 18, to: 3 }, { op: 'destroy', holder: 50 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 15, to: 0 },
      { op: 'steps', n: 8 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 41, to: 3 },
      { op: 'giveSend', holder: 20, to: 3 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 63, to: 1 }, { op: 'destroy', holder: 59 },
      { op: 'giveReceive', holder: 28, to: 0 }, { op: 'steps', n: 10 }, { op: 'steps', n: 7 },
      { op: 'giveReceive', holder: 2, to: 1 }, { op: 'steps', n: 1 },
      { op: 'soUse', holder: 52, destroy: false }, { op: 'giveSend', holder: 52, to: 1 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 2, to: 0 },
      { op: 'giveSend', holder: 13, to: 0 }, { op: 'steps', n: 4 }, { op: 'drop', holder: 25 },
      { op: 'steps', n: 5 }, { op: 'steps', n: 2 }, { op: 'giveReceive', holder: 49, to: 1 },
      { op: 'steps', n: 8 }, { op: 'newPort', node: 3 }, { op: 'soGive', holder: 15, to: 2 },
      { op: 'steps', n: 6 }, { op: 'giftVia', holder: 48, via: 14, receive: true },
      { op: 'giveReceive', holder: 33, to: 2 }, { op: 'steps', n: 1 }, { op: 'steps', n: 6 },
      { op: 'cut', a: 2, b: 0 }, { op: 'giveSend', holder: 44, to: 0 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 18, to: 3 },
      { op: 'giveSend', holder: 34, to: 3 }
    ];
    expect(runSchedule(4, 421001277, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });
});
