import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N28 (2026-12-02, PROTOCOL.md §4.4, §4.5 "A relay's senders
 * behind the old home's queue", §9): task N21's rule back — a relay waits
 * for its own FLUSH marker also when the receive right goes back to its
 * `upstream` by its route, and a marker that waited at a node where the
 * port has since come home goes back to its origin (node-marker-return.ts
 * `forwardFlush`, edge `markerHomeBack`) — with the half that made the merge
 * take it out: a proxy whose right went back the way it came, killed by a
 * DEAD from there, gives its transfer back (node-dead.ts, edge
 * `deadOnWayBack`).
 */
describe('a relay whose right goes back the way it came (task N28)', () => {
  // 331001082 (--held-rights, 4 nodes; a link-loss schedule of the sweep,
  // though the shrunk list cuts no link), shrunk on cbfdd63 by task N21
  // with --match "FIFO violated on port 3 from node 3" (24 operations after
  // 214 runs); it fails the same on 8f35815 (checked). As task N17 traced
  // it (§9): P (2:2, the sim's port 3) went from node 2 to node 4; node 3's
  // proxy for P routes through node 2. Node 3's m1 is in P's queue at node
  // 4 when node 4's task moves P's right in a message to Q (2:3), whose
  // right has just left node 2 for node 4 too: the carrier goes to node 2
  // and m1 drains after it. At node 2 P's right passes through back to node
  // 4, a relay whose upstream and route are both node 4. relayWaits skipped
  // that case, so node 2 made no round: node 3's m2 went on to node 4 at
  // once, ahead of m1 still on the link 4 -> 2 ("FIFO violated on port 3
  // from node 3: 1 after 2"). Now the relay waits there too.
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

  // Task N21's guard of the first attempt (the relay's wait alone):
  // 303000958 (3 nodes, links live) then left node 3, a relay for 2:5,
  // waiting for ever: its marker went to node 1, up to node 2 and back, and
  // waited at node 1 (flushWait) behind messages for 2:5 in a gate while
  // node 1's own round brought 2:5's right home there; at the end of that
  // wait (endDrain) forwardFlush found no route and dropped it ("node 3 not
  // settled when quiescent: 2:5 relay waits for its marker", NO SENDERS
  // lost). Now it goes back to node 3 (markerHomeBack). Pinned in plain
  // mode in sweep-321-350.test.ts; here with --send-once --defer-send-once.
  it('303000958 (--held-rights --send-once --defer-send-once, 3 nodes): every relay\'s marker comes back', () => {
    expect(runSchedule(3, 303000958, randomOps(303000958, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // A guard: 342001121 (--held-rights --relink, 4 nodes, link loss), fixed
  // earlier (§9), passes on 8f35815 and here; the rule tried for 331001082
  // before was meant for it too.
  it('342001121 (--held-rights --relink, 4 nodes): per-port FIFO after relinks', () => {
    expect(runSchedule(4, 342001121, randomOps(342001121, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });
});

describe('a proxy killed by a DEAD from the way its right went back releases (task N28)', () => {
  // 383001225 (--held-rights --send-once --relink, 3 nodes, links live),
  // the schedule that took task N21's rule out of the merge: it passes on
  // 8f35815 and failed with the relay rule alone ("node 1 tables not back
  // to setup", 1:19 still counting one transfer exported to node 3, and
  // "node 1 per-link port counts" one off). Shrunk with the relay rule in
  // place and this rule out (127 operations after 1419 runs, --match
  // "tables not back"). P (1:19) went from node 1 to node 3 in a message to
  // Q (2:1), with two send-once rights to P out (node 1 kept a send-once
  // relay). At node 3 Q's right was back at node 1, so P's right passed
  // through back to node 1 (node 3 a relay, upstream and route node 1,
  // `migrateFrom` 1 left from its own migration); with the relay rule node
  // 3 made its own round (relayWaits). Node 1 made P home again without
  // senders (no dead-name request of its own) with a one-right pool for the
  // late send-once message still coming from link 3, and counted node 3's
  // proxy's transfer (exported {3: 1}). The round shifted the steps: node
  // 1's task destroyed P before that late message came, the pool's right
  // died, and node 1 sent DEAD to node 3 (§4.5 pools). Node 3's proxy,
  // killed by it, skipped the RELEASE §4.4 asks of a proxy killed by its
  // route's DEAD, because that route was its stale `migrateFrom`; node 1's
  // home waited for it for ever. Passes on 8f35815 (its steps differ), so
  // this pin fails only with the relay rule and without the release (checked).
  it('a proxy killed by its route\'s DEAD gives back a transfer from the link its right once came on (383001225, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 36, to: 1 },
      { op: 'giveSend', holder: 23, to: 0 }, { op: 'giveSend', holder: 1, to: 0 },
      { op: 'giveReceive', holder: 44, to: 3 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 3 }, { op: 'giveSend', holder: 8, to: 2 },
      { op: 'soGive', holder: 10, to: 2 }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 47, to: 1 }, { op: 'steps', n: 6 }, { op: 'drop', holder: 16 },
      { op: 'giveSend', holder: 49, to: 2 }, { op: 'newPort', node: 1 },
      { op: 'destroy', holder: 25 }, { op: 'giveSend', holder: 11, to: 0 },
      { op: 'soUse', holder: 48, destroy: false }, { op: 'newPort', node: 3 },
      { op: 'giveReceive', holder: 21, to: 2 }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 44, to: 1 }, { op: 'data', holder: 10 },
      { op: 'giftVia', holder: 55, via: 58, receive: true }, { op: 'giveSend', holder: 32, to: 0 },
      { op: 'data', holder: 59 }, { op: 'giftVia', holder: 50, via: 62, receive: true },
      { op: 'soGive', holder: 8, to: 3 }, { op: 'giveReceive', holder: 32, to: 3 },
      { op: 'soUse', holder: 18, destroy: true }, { op: 'drop', holder: 9 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 57, to: 1 }, { op: 'soGive', holder: 50, to: 2 },
      { op: 'steps', n: 4 }, { op: 'soGive', holder: 26, to: 1 }, { op: 'data', holder: 48 },
      { op: 'steps', n: 5 }, { op: 'drop', holder: 50 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 62, to: 3 }, { op: 'steps', n: 9 },
      { op: 'giftVia', holder: 19, via: 59, receive: true }, { op: 'giveSend', holder: 10, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 35, to: 3 },
      { op: 'giftVia', holder: 8, via: 36, receive: true }, { op: 'data', holder: 2 },
      { op: 'data', holder: 27 }, { op: 'soUse', holder: 36, destroy: false },
      { op: 'data', holder: 28 }, { op: 'giveSend', holder: 46, to: 2 }, { op: 'steps', n: 3 },
      { op: 'drop', holder: 36 }, { op: 'destroy', holder: 23 },
      { op: 'giftVia', holder: 46, via: 32, receive: true }, { op: 'soGive', holder: 6, to: 0 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 33, via: 46, receive: false },
      { op: 'soUse', holder: 22, destroy: false },
      { op: 'giftVia', holder: 37, via: 51, receive: false },
      { op: 'soUse', holder: 19, destroy: false }, { op: 'steps', n: 2 },
      { op: 'soUse', holder: 9, destroy: false }, { op: 'data', holder: 11 },
      { op: 'soUse', holder: 28, destroy: false }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 20, to: 1 }, { op: 'data', holder: 24 }, { op: 'drop', holder: 63 },
      { op: 'giveReceive', holder: 16, to: 1 }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 16, to: 2 }, { op: 'giveReceive', holder: 0, to: 2 },
      { op: 'drop', holder: 47 }, { op: 'soGive', holder: 22, to: 2 }, { op: 'data', holder: 16 },
      { op: 'steps', n: 8 }, { op: 'giveSend', holder: 38, to: 1 },
      { op: 'soGive', holder: 32, to: 2 }, { op: 'giveSend', holder: 52, to: 2 },
      { op: 'soGive', holder: 4, to: 1 }, { op: 'data', holder: 14 },
      { op: 'giveReceive', holder: 20, to: 0 }, { op: 'soGive', holder: 42, to: 1 },
      { op: 'drop', holder: 16 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 0, to: 2 },
      { op: 'data', holder: 40 }, { op: 'soGive', holder: 16, to: 2 },
      { op: 'giveSend', holder: 54, to: 1 }, { op: 'drop', holder: 54 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 0 }, { op: 'drop', holder: 6 },
      { op: 'soGive', holder: 15, to: 2 }, { op: 'giveSend', holder: 63, to: 2 },
      { op: 'giveSend', holder: 50, to: 2 }, { op: 'soGive', holder: 41, to: 2 },
      { op: 'soGive', holder: 38, to: 2 }, { op: 'data', holder: 49 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 56, via: 57, receive: true }, { op: 'drop', holder: 61 },
      { op: 'giveSend', holder: 13, to: 1 }, { op: 'drop', holder: 44 },
      { op: 'data', holder: 21 }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 42, via: 38, receive: true }, { op: 'destroy', holder: 15 },
      { op: 'giftVia', holder: 17, via: 12, receive: true }, { op: 'drop', holder: 43 },
      { op: 'soUse', holder: 58, destroy: false }, { op: 'soUse', holder: 45, destroy: true },
      { op: 'soGive', holder: 7, to: 2 }, { op: 'giveReceive', holder: 36, to: 2 },
      { op: 'steps', n: 6 }, { op: 'soUse', holder: 63, destroy: true },
      { op: 'data', holder: 28 }, { op: 'giftVia', holder: 26, via: 57, receive: true },
      { op: 'soGive', holder: 7, to: 1 }, { op: 'soGive', holder: 29, to: 2 },
      { op: 'data', holder: 18 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 28 }
    ];
    const r = runSchedule(3, 383001225, ops, { loss: false });
    expect(r.violations).toEqual([]);
    expect(r.edges.deadOnWayBack).toBeGreaterThan(0);
  });

  it('383001225 (--held-rights --send-once --relink, 3 nodes): the sendless home hears every release', () => {
    expect(runSchedule(3, 383001225, randomOps(383001225, 320, false, true, true, true), { loss: false }).violations).toEqual([]);
  });
});
