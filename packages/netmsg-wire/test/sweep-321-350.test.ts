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

  // The same rule fixes 342001121 (--held-rights --relink, 4 nodes): "FIFO
  // violated on port 6 from node 3: 0 after 2" on 9f996a2. Its one relay
  // whose right goes back the way it came is node 2 for 3:1 (upstream and
  // route node 1); with only the relayWaits half of the change it passes
  // (checked). Not traced event by event.
  it('342001121 (--held-rights --relink, 4 nodes, link loss): per-port FIFO', () => {
    expect(runSchedule(4, 342001121, randomOps(342001121, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });

  // 349001124 (--held-rights --send-once --relink, 4 nodes), shrunk by the
  // lead (81 operations after 806 runs). Node 3's proxy for P (netmsg 4:4)
  // routes to node 4, where P's receive right is; out of credit there, it
  // queues node 1's next message for P (its credit owed to node 1, end to
  // end, §6). P's right then comes to node 3 (migrating: its marker goes to
  // node 4) and the link 3-4 is lost. The migration's route goes back the
  // way the right came, and what was queued for the lost link is destroyed
  // (lost with the link), but its credit was paid to nobody: node 1's
  // window for P stayed one short for good ("node 1 not settled when
  // quiescent: 4:4 credit 4 of 5 on link 3"), and its proxy, waiting for
  // that credit, never gave its transfer back when its task dropped its
  // right ("1 send rights left ... NO SENDERS lost"). A message discarded
  // from a lost link's credit queue now pays its credit to the link it came
  // from. Fails on 9f996a2 (checked).
  it('a message queued for credit on a link that is lost pays its credit back to the node it came from (349001124, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 26, to: 2 },
      { op: 'newPort', node: 3 }, { op: 'soGive', holder: 21, to: 1 },
      { op: 'soGive', holder: 55, to: 2 }, { op: 'soGive', holder: 29, to: 2 },
      { op: 'giveSend', holder: 25, to: 2 }, { op: 'giveSend', holder: 10, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 30, to: 0 },
      { op: 'soGive', holder: 16, to: 0 }, { op: 'steps', n: 11 },
      { op: 'soUse', holder: 8, destroy: false }, { op: 'soUse', holder: 38, destroy: false },
      { op: 'giveSend', holder: 18, to: 0 }, { op: 'soUse', holder: 53, destroy: false },
      { op: 'giveSend', holder: 58, to: 3 }, { op: 'giveReceive', holder: 25, to: 1 },
      { op: 'giveSend', holder: 7, to: 2 }, { op: 'steps', n: 2 }, { op: 'destroy', holder: 32 },
      { op: 'soUse', holder: 13, destroy: false }, { op: 'steps', n: 9 }, { op: 'steps', n: 5 },
      { op: 'soUse', holder: 56, destroy: true }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 37, to: 1 },
      { op: 'giveSend', holder: 16, to: 3 }, { op: 'steps', n: 8 },
      { op: 'giftVia', holder: 20, via: 54, receive: true }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 31, via: 59, receive: true }, { op: 'data', holder: 10 },
      { op: 'data', holder: 36 }, { op: 'data', holder: 34 },
      { op: 'giveSend', holder: 55, to: 0 }, { op: 'newPort', node: 2 },
      { op: 'soGive', holder: 17, to: 1 }, { op: 'giftVia', holder: 30, via: 48, receive: true },
      { op: 'giveReceive', holder: 35, to: 1 }, { op: 'giveSend', holder: 4, to: 0 },
      { op: 'steps', n: 8 }, { op: 'steps', n: 4 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 43, to: 0 }, { op: 'data', holder: 57 }, { op: 'steps', n: 8 },
      { op: 'drop', holder: 8 }, { op: 'cut', a: 0, b: 1 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 36, via: 25, receive: true }, { op: 'soGive', holder: 60, to: 2 },
      { op: 'data', holder: 33 }, { op: 'data', holder: 6 }, { op: 'drop', holder: 6 },
      { op: 'soGive', holder: 35, to: 1 }, { op: 'data', holder: 58 },
      { op: 'soGive', holder: 36, to: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 16, to: 1 }, { op: 'data', holder: 37 },
      { op: 'data', holder: 54 }, { op: 'data', holder: 52 }, { op: 'soGive', holder: 32, to: 2 },
      { op: 'giftVia', holder: 63, via: 46, receive: true }, { op: 'relink', a: 0, b: 1 },
      { op: 'data', holder: 12 }, { op: 'soGive', holder: 60, to: 3 },
      { op: 'giveReceive', holder: 63, to: 2 }, { op: 'soGive', holder: 29, to: 2 },
      { op: 'drop', holder: 36 }, { op: 'giveSend', holder: 15, to: 3 }, { op: 'data', holder: 3 },
      { op: 'giftVia', holder: 33, via: 50, receive: true },
      { op: 'giftVia', holder: 26, via: 36, receive: true },
      { op: 'giftVia', holder: 7, via: 50, receive: true }, { op: 'data', holder: 4 },
      { op: 'giftVia', holder: 12, via: 59, receive: true },
      { op: 'giftVia', holder: 34, via: 57, receive: true }, { op: 'cut', a: 2, b: 3 }
    ];
    expect(runSchedule(4, 349001124, ops, { loss: true }).violations).toEqual([]);
  });

  it('349001124 (--held-rights --send-once --relink, 4 nodes, link loss): all credit back, NO SENDERS not lost', () => {
    expect(runSchedule(4, 349001124, randomOps(349001124, 320, true, true, true, true), { loss: true }).violations).toEqual([]);
  });
});
