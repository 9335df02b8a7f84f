import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N31 (2026-12-02, PROTOCOL.md §4.4, §4.5 "A doomed proxy", §9): a
 * proxy doomed by its marker coming back `broken` gives its route's
 * transfer back with a RELEASE, as one killed by DEAD from its route does
 * (node-doomed-release.ts). Both tests of `532001667` fail on main's `src/`
 * as of 3fb6bb2 with "port 2 at node 3: 1 send rights left after every
 * application dropped its own (NO SENDERS lost; held by netmsg name
 * 268435467 (home))" (shrunk: port 1, name 268435461), and pass with the
 * rule, which each takes once (edge `doomedRelease`). The numbered
 * schedule fails the same on 8f35815 and 83d5da2 (`simulate --schedule`):
 * not a regression of tasks N26–N29.
 */
describe('a doomed proxy gives its route\'s transfer back (task N31)', () => {
  // 532001667 (--held-rights --relink, 4 nodes, link loss), shrunk on main
  // (3fb6bb2; 54 operations after 863 runs, --match "NO SENDERS lost").
  // Port 3:1, made at node 3: a send right to node 4 (node 4's proxy
  // imports one transfer from node 3, step 30), the receive right to node 2
  // (31), on from there in a message to port 1:1 (58) through node 1, a
  // relay, to node 4 (80). Links 1–3 (66) and 1–2 (88) are lost: node 2's
  // proxy dies with the latter and sends DEAD to node 3, whose proxy dies
  // on it (126), sending DEAD to node 4 and keeping node 4's transfer as
  // `forgotten` until node 4's RELEASE comes. Node 4 holds the right for
  // 1:1 (migrating, routed to node 3); its marker went by node 3 to node 2,
  // which knows the port no more, and comes back `broken` (136): the proxy
  // is doomed (`chainDied`), and the transfer it imported from node 3 was
  // dropped without a RELEASE. The right then went on to node 3 (1:1's way)
  // through node 4 as a relay, whose proxy imports the transfer node 3
  // counts when the right arrives (143). Node 3's DEAD reaches node 4 (141)
  // and kills the relay's proxy: RELEASE(1) to node 3 (145), which its
  // `forgotten` count took, so node 3's new home kept `exported` 1 on link 4
  // and netmsg's send right for ever: NO SENDERS lost.
  it('the RELEASE of a doomed proxy pays the forgotten count, not the next home (532001667, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 34, to: 3 }, { op: 'steps', n: 2 },
      { op: 'data', holder: 62 }, { op: 'giveReceive', holder: 24, to: 1 },
      { op: 'giveSend', holder: 40, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 0 }, { op: 'data', holder: 28 }, { op: 'drop', holder: 53 },
      { op: 'giveSend', holder: 2, to: 1 }, { op: 'steps', n: 6 }, { op: 'steps', n: 4 },
      { op: 'giveSend', holder: 13, to: 3 }, { op: 'steps', n: 4 },
      { op: 'giveSend', holder: 44, to: 1 }, { op: 'giftVia', holder: 32, via: 2, receive: true },
      { op: 'giveSend', holder: 46, to: 3 }, { op: 'steps', n: 1 },
      { op: 'giveReceive', holder: 16, to: 3 }, { op: 'giveSend', holder: 59, to: 1 },
      { op: 'data', holder: 23 }, { op: 'destroy', holder: 53 }, { op: 'drop', holder: 17 },
      { op: 'steps', n: 2 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 2 }, { op: 'drop', holder: 1 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 1, to: 3 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 8 },
      { op: 'destroy', holder: 20 }, { op: 'giveReceive', holder: 45, to: 3 },
      { op: 'giveSend', holder: 49, to: 0 }, { op: 'giveSend', holder: 46, to: 0 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'drop', holder: 60 },
      { op: 'giveReceive', holder: 41, to: 1 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 11 },
      { op: 'cut', a: 2, b: 0 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 3 },
      { op: 'giveReceive', holder: 50, to: 0 }, { op: 'giveReceive', holder: 51, to: 0 },
      { op: 'steps', n: 8 }, { op: 'steps', n: 10 }, { op: 'giveSend', holder: 16, to: 2 },
      { op: 'giveReceive', holder: 51, to: 2 }, { op: 'steps', n: 1 }, { op: 'cut', a: 0, b: 1 }
    ];
    const r = runSchedule(4, 532001667, ops, { loss: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.doomedRelease).toBe(1);
  });

  it('532001667 (--held-rights --relink, 4 nodes, link loss): NO SENDERS not lost', () => {
    const r = runSchedule(4, 532001667, randomOps(532001667, 320, true, false, true, true), { loss: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.doomedRelease).toBe(1);
  });
});
