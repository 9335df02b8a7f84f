import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N27 (2026-12-02, PROTOCOL.md §6 "Credit", §9): messages that
 * crossed a DEAD their receiver had sent owe no credit, also when an entry
 * for the identity is there again by the time they arrive
 * (node-dead-crossing.ts). The two tests of `370001121` fail on 8f35815's
 * `src/` ("node 2 not settled when quiescent: 1:1 credit 8 of 5 on link 1")
 * and pass with the rule; the two guards pass on 8f35815 and with the rule,
 * and fail with the rule when a receive right from the DEAD's link does not
 * end the crossing (the rule tried first, §9 the lead's item of 2026-12-02).
 * `428001367` passes on both and takes the rule three times (edge
 * `deadCrossed`), for messages held for a migrating entry.
 */
describe('messages that crossed a DEAD owe no credit (task N27)', () => {
  // 370001121 (--held-rights --send-once --relink, 4 nodes, link loss),
  // shrunk on 8f35815 (153 operations after 1405 runs, --match "credit 8 of
  // 5"). Node 1's proxy for 1:1 (route node 4) was killed with the link 1–4
  // (step 455) and sent DEAD to node 2 (seen 14). Node 2's proxy, routed to
  // node 1, had three messages to 1:1 on the link (its 15th to 17th, each
  // carrying another port's receive right) and dropped its credit for them
  // on the DEAD (step 507), sending the RELEASE of its transfer. Meanwhile
  // 1:1's receive right passed through node 1 from node 3 on its way to node
  // 2 (472): node 1 had an entry for 1:1 again, a relay, so the three
  // messages (495–500) were credited at once to node 2, behind its DEAD;
  // they reached the entry node 2 made for the arriving right (520): window
  // 8 of 5 on link 1.
  it('a newer entry does not credit what crossed the DEAD (370001121, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 34, to: 2 },
      { op: 'soGive', holder: 2, to: 1 }, { op: 'giveSend', holder: 21, to: 1 },
      { op: 'soGive', holder: 31, to: 1 }, { op: 'giveReceive', holder: 27, to: 0 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 39, to: 1 }, { op: 'giveSend', holder: 39, to: 1 },
      { op: 'soGive', holder: 22, to: 3 }, { op: 'steps', n: 11 },
      { op: 'soGive', holder: 7, to: 3 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 44, via: 53, receive: true }, { op: 'soGive', holder: 51, to: 2 },
      { op: 'giveSend', holder: 38, to: 2 }, { op: 'giveSend', holder: 25, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 35, via: 4, receive: true }, { op: 'giveSend', holder: 30, to: 3 },
      { op: 'drop', holder: 9 }, { op: 'giveReceive', holder: 14, to: 2 },
      { op: 'soGive', holder: 4, to: 3 }, { op: 'soGive', holder: 18, to: 2 },
      { op: 'giveSend', holder: 29, to: 3 }, { op: 'soUse', holder: 45, destroy: true },
      { op: 'steps', n: 7 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 26, to: 1 },
      { op: 'soGive', holder: 41, to: 2 }, { op: 'giveReceive', holder: 18, to: 1 },
      { op: 'giveReceive', holder: 16, to: 3 }, { op: 'steps', n: 7 },
      { op: 'soGive', holder: 39, to: 3 }, { op: 'soGive', holder: 13, to: 1 },
      { op: 'data', holder: 13 }, { op: 'newPort', node: 3 },
      { op: 'soUse', holder: 29, destroy: false }, { op: 'soGive', holder: 12, to: 3 },
      { op: 'soUse', holder: 39, destroy: false }, { op: 'soGive', holder: 39, to: 1 },
      { op: 'soGive', holder: 19, to: 1 }, { op: 'data', holder: 35 },
      { op: 'soUse', holder: 41, destroy: true }, { op: 'steps', n: 2 },
      { op: 'soGive', holder: 26, to: 2 }, { op: 'destroy', holder: 29 },
      { op: 'data', holder: 34 }, { op: 'soGive', holder: 0, to: 3 },
      { op: 'giftVia', holder: 4, via: 0, receive: false },
      { op: 'soUse', holder: 25, destroy: false }, { op: 'soGive', holder: 61, to: 3 },
      { op: 'drop', holder: 21 }, { op: 'data', holder: 55 }, { op: 'newPort', node: 0 },
      { op: 'steps', n: 11 }, { op: 'newPort', node: 3 },
      { op: 'soUse', holder: 22, destroy: true }, { op: 'steps', n: 9 }, { op: 'steps', n: 11 },
      { op: 'giveSend', holder: 31, to: 1 }, { op: 'giftVia', holder: 32, via: 36, receive: true },
      { op: 'data', holder: 34 }, { op: 'giveSend', holder: 52, to: 0 },
      { op: 'data', holder: 25 }, { op: 'giveSend', holder: 7, to: 2 }, { op: 'data', holder: 10 },
      { op: 'giveSend', holder: 59, to: 2 }, { op: 'giveSend', holder: 12, to: 2 },
      { op: 'data', holder: 46 }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 53, via: 36, receive: true }, { op: 'soGive', holder: 5, to: 3 },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 19, to: 3 },
      { op: 'soGive', holder: 32, to: 3 }, { op: 'cut', a: 3, b: 1 },
      { op: 'soUse', holder: 4, destroy: false }, { op: 'soUse', holder: 37, destroy: true },
      { op: 'giveSend', holder: 42, to: 3 }, { op: 'destroy', holder: 1 },
      { op: 'giftVia', holder: 41, via: 0, receive: false },
      { op: 'giftVia', holder: 10, via: 29, receive: true }, { op: 'data', holder: 26 },
      { op: 'data', holder: 19 }, { op: 'steps', n: 11 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 53, to: 1 }, { op: 'steps', n: 6 },
      { op: 'giftVia', holder: 55, via: 57, receive: true },
      { op: 'soUse', holder: 51, destroy: true }, { op: 'giveSend', holder: 42, to: 3 },
      { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 22, via: 16, receive: false },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 46, to: 0 }, { op: 'soGive', holder: 0, to: 2 },
      { op: 'soGive', holder: 5, to: 0 }, { op: 'giveSend', holder: 42, to: 0 },
      { op: 'data', holder: 39 }, { op: 'giveReceive', holder: 57, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 2 }, { op: 'drop', holder: 58 },
      { op: 'cut', a: 1, b: 2 }, { op: 'destroy', holder: 31 }, { op: 'destroy', holder: 7 },
      { op: 'giftVia', holder: 26, via: 59, receive: false }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 0 }, { op: 'soUse', holder: 21, destroy: true },
      { op: 'giveSend', holder: 37, to: 1 }, { op: 'soGive', holder: 2, to: 3 },
      { op: 'giftVia', holder: 0, via: 26, receive: true }, { op: 'giveSend', holder: 10, to: 0 },
      { op: 'soGive', holder: 61, to: 1 }, { op: 'data', holder: 61 },
      { op: 'giftVia', holder: 32, via: 10, receive: true },
      { op: 'soUse', holder: 56, destroy: false }, { op: 'soUse', holder: 52, destroy: true },
      { op: 'steps', n: 11 }, { op: 'giftVia', holder: 15, via: 55, receive: false },
      { op: 'giveReceive', holder: 15, to: 3 }, { op: 'steps', n: 4 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 16, via: 18, receive: true },
      { op: 'giftVia', holder: 52, via: 23, receive: true },
      { op: 'giftVia', holder: 15, via: 4, receive: true }, { op: 'giveSend', holder: 34, to: 3 },
      { op: 'giftVia', holder: 54, via: 44, receive: true }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 49, via: 0, receive: true }, { op: 'data', holder: 5 },
      { op: 'giftVia', holder: 4, via: 8, receive: true },
      { op: 'soUse', holder: 5, destroy: true }, { op: 'steps', n: 3 },
      { op: 'giftVia', holder: 18, via: 43, receive: true },
      { op: 'giftVia', holder: 37, via: 19, receive: true },
      { op: 'giftVia', holder: 8, via: 56, receive: true }, { op: 'drop', holder: 26 },
      { op: 'giveSend', holder: 34, to: 2 }, { op: 'soUse', holder: 26, destroy: true },
      { op: 'giftVia', holder: 25, via: 17, receive: false }, { op: 'steps', n: 10 },
      { op: 'giftVia', holder: 42, via: 36, receive: false },
      { op: 'giftVia', holder: 2, via: 49, receive: true }, { op: 'cut', a: 3, b: 0 }
    ];
    expect(runSchedule(4, 370001121, ops, { loss: true }).violations).toEqual([]);
  });

  it('370001121 (--held-rights --send-once --relink, 4 nodes, link loss): credit within the window', () => {
    expect(runSchedule(4, 370001121, randomOps(370001121, 320, true, true, true, true), { loss: true }).violations).toEqual([]);
  });

  // 428001367 (--held-rights, 4 nodes, link loss; passes on 8f35815 too):
  // node 1's proxy for 4:1 died with the link 1–4 and sent DEAD to node 3,
  // whose three messages to 4:1 crossed it and arrived after 4:1's receive
  // right had come from node 2: held for that migration, owed nothing. (On
  // 8f35815 they were credited, and the credit found no entry at node 3.)
  it('428001367 (--held-rights): what crossed the DEAD is owed nothing when held for a migration', () => {
    const r = runSchedule(4, 428001367, randomOps(428001367, 320, true, false, true, false), { loss: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.deadCrossed).toBe(3);
  });

  // Guards: the DEAD's receiver had sent the port's receive right to this
  // node before the DEAD reached it (`deadBeforeCarrier`), kept its entry
  // and its credit, and its later messages, behind that right, are owed.
  it('358001172 (--held-rights --send-once --relink): a receive right from the link ends the crossing', () => {
    expect(runSchedule(4, 358001172, randomOps(358001172, 320, true, true, true, true), { loss: true }).violations).toEqual([]);
  });

  it('431001388 (--held-rights --relink): a receive right from the link ends the crossing', () => {
    expect(runSchedule(4, 431001388, randomOps(431001388, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });
});
