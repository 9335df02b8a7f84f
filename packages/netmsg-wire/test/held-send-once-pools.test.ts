import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Send-once pools left with links live (`simulate --held-rights
 * --send-once`, seeds 15 and 18 × 100 × 320): a new home's pool right for
 * a late send-once message that never comes that way (PROTOCOL.md §4.5).
 * Each schedule pinned as shrunk (`dist/shrink.js ... --match 'pools'`)
 * and as numbered.
 */
describe('send-once pools left with links live', () => {
  it("a relay's own send-once rights passed on in its count need no pool right when the right comes back (15000061, shrunk)", () => {
    // Node 1's port 1:9 goes to node 3 with four send-once rights made at
    // node 1 still unused; node 3 makes pool rights for them. The right
    // comes back to node 1 (the two still unused there are its own again:
    // DIRECT, node 3's two pool rights destroyed) and passes straight on
    // to node 2, a relay back to node 1, its count the two the
    // right came with (node 1's own rights, sending to its proxy port
    // again). Node 1 took that count for rights made upstream (soRelayed)
    // and, the right home again, made two pool rights for late messages
    // from node 2 that never came: the two rights' messages were queued on
    // the port directly.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 0, to: 3 }, { op: 'soGive', holder: 58, to: 3 },
      { op: 'soGive', holder: 34, to: 3 }, { op: 'steps', n: 8 }, { op: 'giveReceive', holder: 10, to: 3 },
      { op: 'steps', n: 7 }, { op: 'soGive', holder: 27, to: 1 }, { op: 'steps', n: 7 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 23, to: 2 }, { op: 'destroy', holder: 34 }, { op: 'giveSend', holder: 62, to: 1 },
      { op: 'soGive', holder: 61, to: 2 }, { op: 'steps', n: 4 }, { op: 'soGive', holder: 18, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 21, to: 2 },
      { op: 'giftVia', holder: 15, via: 60, receive: true }, { op: 'soGive', holder: 15, to: 1 },
      { op: 'soUse', holder: 2, destroy: true }, { op: 'steps', n: 11 }, { op: 'data', holder: 26 },
      { op: 'soGive', holder: 23, to: 1 }, { op: 'newPort', node: 0 }, { op: 'drop', holder: 28 },
      { op: 'soGive', holder: 31, to: 2 }, { op: 'soUse', holder: 46, destroy: false },
      { op: 'soGive', holder: 6, to: 1 }, { op: 'giveSend', holder: 26, to: 2 }, { op: 'steps', n: 1 },
      { op: 'soGive', holder: 52, to: 1 }, { op: 'newPort', node: 3 }, { op: 'soUse', holder: 16, destroy: true },
      { op: 'newPort', node: 0 }, { op: 'destroy', holder: 24 }, { op: 'newPort', node: 1 },
      { op: 'soUse', holder: 33, destroy: false }, { op: 'newPort', node: 0 }, { op: 'steps', n: 4 },
      { op: 'giveSend', holder: 19, to: 2 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 17, to: 1 },
      { op: 'soUse', holder: 37, destroy: false }, { op: 'soGive', holder: 0, to: 1 },
      { op: 'giveSend', holder: 57, to: 1 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 57, to: 2 }, { op: 'soGive', holder: 49, to: 2 },
      { op: 'giftVia', holder: 53, via: 18, receive: true }, { op: 'soGive', holder: 63, to: 1 },
      { op: 'giftVia', holder: 41, via: 28, receive: true }, { op: 'soGive', holder: 29, to: 0 },
      { op: 'soUse', holder: 4, destroy: false }, { op: 'data', holder: 37 }, { op: 'giveSend', holder: 21, to: 2 },
      { op: 'steps', n: 10 }, { op: 'soGive', holder: 55, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'soUse', holder: 3, destroy: false }, { op: 'soGive', holder: 27, to: 3 }, { op: 'destroy', holder: 33 },
      { op: 'steps', n: 3 }, { op: 'giveSend', holder: 27, to: 1 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 24, to: 1 }, { op: 'giveSend', holder: 60, to: 1 },
      { op: 'soGive', holder: 7, to: 1 }, { op: 'soUse', holder: 32, destroy: false },
      { op: 'giftVia', holder: 48, via: 41, receive: true }, { op: 'drop', holder: 60 }, { op: 'drop', holder: 8 },
      { op: 'giveSend', holder: 7, to: 1 }, { op: 'giveSend', holder: 21, to: 1 },
      { op: 'soGive', holder: 0, to: 1 }, { op: 'steps', n: 3 }, { op: 'soUse', holder: 16, destroy: true },
      { op: 'giveSend', holder: 27, to: 2 }, { op: 'soUse', holder: 40, destroy: false },
      { op: 'giveSend', holder: 8, to: 3 }, { op: 'soUse', holder: 13, destroy: false }, { op: 'steps', n: 11 },
      { op: 'data', holder: 48 }, { op: 'giveSend', holder: 30, to: 3 }, { op: 'giveReceive', holder: 39, to: 0 },
      { op: 'steps', n: 2 }, { op: 'newPort', node: 3 }, { op: 'data', holder: 50 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 43, to: 2 }, { op: 'giveReceive', holder: 63, to: 2 },
      { op: 'giveSend', holder: 39, to: 0 }, { op: 'newPort', node: 1 }, { op: 'data', holder: 52 },
      { op: 'newPort', node: 3 }, { op: 'destroy', holder: 30 }, { op: 'drop', holder: 38 }, { op: 'steps', n: 8 },
      { op: 'data', holder: 29 }, { op: 'data', holder: 18 }, { op: 'destroy', holder: 30 },
      { op: 'data', holder: 29 }, { op: 'drop', holder: 24 }, { op: 'drop', holder: 39 },
      { op: 'soGive', holder: 62, to: 2 }, { op: 'steps', n: 5 }, { op: 'giveReceive', holder: 10, to: 1 },
      { op: 'steps', n: 3 }, { op: 'data', holder: 29 }, { op: 'giveReceive', holder: 23, to: 2 },
      { op: 'drop', holder: 2 }, { op: 'giveSend', holder: 33, to: 2 }, { op: 'soGive', holder: 22, to: 1 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 28, to: 1 },
      { op: 'soUse', holder: 52, destroy: false }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 18, to: 1 },
      { op: 'soUse', holder: 17, destroy: false }, { op: 'drop', holder: 15 }, { op: 'giveSend', holder: 56, to: 2 },
      { op: 'giveSend', holder: 40, to: 1 }, { op: 'destroy', holder: 47 }, { op: 'destroy', holder: 11 },
      { op: 'destroy', holder: 25 }, { op: 'giftVia', holder: 24, via: 30, receive: true },
      { op: 'giftVia', holder: 27, via: 45, receive: true }, { op: 'giftVia', holder: 51, via: 10, receive: true },
      { op: 'giftVia', holder: 40, via: 25, receive: false },
    ];
    expect(runSchedule(3, 15000061, ops, { loss: false }).violations).toEqual([]);
  });

  it('15000061 as numbered (`simulate --held-rights --send-once --seed 15 --length 320`, schedule 61)', () => {
    expect(runSchedule(3, 15000061, randomOps(15000061, 320, false, true, true), { loss: false }).violations).toEqual([]);
  });

  it('a late send-once message held from the link the right came back on takes the older pool from that link (18000078, shrunk)', () => {
    // Node 1's port 1:10 goes to node 2 with one send-once right (S) made
    // at node 1 unused; node 2 makes a pool right (P) for S's late message,
    // from node 1. The right goes back out through node 1 (a relay) and
    // comes straight back to node 2, counting one send-once right: P
    // itself, which is node 2's own (direct once the right is back). S's
    // message, relayed by node 1, was held at node 2 during the wait and
    // put back as one of the arriving `soRights` (MAKE_SEND_ONCE): P
    // waited for it for ever.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'soGive', holder: 43, to: 2 }, { op: 'soGive', holder: 3, to: 2 },
      { op: 'giveSend', holder: 44, to: 2 }, { op: 'soGive', holder: 5, to: 2 }, { op: 'steps', n: 8 },
      { op: 'soUse', holder: 54, destroy: false }, { op: 'soGive', holder: 51, to: 2 }, { op: 'data', holder: 50 },
      { op: 'data', holder: 47 }, { op: 'drop', holder: 62 }, { op: 'soUse', holder: 6, destroy: true },
      { op: 'soGive', holder: 1, to: 0 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 2 }, { op: 'giveReceive', holder: 38, to: 0 },
      { op: 'giveReceive', holder: 17, to: 0 }, { op: 'giveReceive', holder: 5, to: 1 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 5, to: 1 }, { op: 'soGive', holder: 14, to: 1 }, { op: 'soGive', holder: 44, to: 3 },
      { op: 'soGive', holder: 17, to: 1 }, { op: 'soGive', holder: 47, to: 3 }, { op: 'soGive', holder: 22, to: 3 },
      { op: 'giveSend', holder: 4, to: 1 }, { op: 'giveReceive', holder: 11, to: 1 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 2, to: 3 }, { op: 'giveSend', holder: 63, to: 2 }, { op: 'newPort', node: 1 },
      { op: 'destroy', holder: 26 }, { op: 'soUse', holder: 31, destroy: false },
      { op: 'soUse', holder: 46, destroy: false }, { op: 'soGive', holder: 12, to: 0 }, { op: 'steps', n: 3 },
      { op: 'newPort', node: 3 }, { op: 'soUse', holder: 44, destroy: false }, { op: 'soGive', holder: 58, to: 0 },
      { op: 'giveReceive', holder: 10, to: 2 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 45, to: 2 },
      { op: 'giveReceive', holder: 18, to: 1 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 28, to: 1 }, { op: 'giveSend', holder: 59, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 10, to: 2 }, { op: 'soGive', holder: 4, to: 3 },
      { op: 'soUse', holder: 32, destroy: true }, { op: 'newPort', node: 0 }, { op: 'data', holder: 40 },
      { op: 'giveSend', holder: 7, to: 3 }, { op: 'giftVia', holder: 52, via: 3, receive: true },
      { op: 'data', holder: 6 }, { op: 'giveSend', holder: 56, to: 3 },
      { op: 'giftVia', holder: 41, via: 19, receive: false }, { op: 'data', holder: 62 }, { op: 'drop', holder: 62 },
      { op: 'soUse', holder: 48, destroy: false }, { op: 'destroy', holder: 54 },
      { op: 'giveReceive', holder: 55, to: 3 }, { op: 'soUse', holder: 11, destroy: true },
      { op: 'giveReceive', holder: 60, to: 3 }, { op: 'soGive', holder: 47, to: 2 }, { op: 'newPort', node: 3 },
      { op: 'soUse', holder: 27, destroy: false }, { op: 'giveSend', holder: 14, to: 3 }, { op: 'steps', n: 1 },
      { op: 'data', holder: 61 }, { op: 'giveSend', holder: 41, to: 1 }, { op: 'drop', holder: 20 },
      { op: 'giveSend', holder: 43, to: 0 }, { op: 'giveSend', holder: 60, to: 2 },
      { op: 'soUse', holder: 10, destroy: true }, { op: 'soUse', holder: 47, destroy: true },
      { op: 'soGive', holder: 19, to: 3 }, { op: 'soUse', holder: 2, destroy: true },
      { op: 'giftVia', holder: 55, via: 61, receive: true }, { op: 'soUse', holder: 42, destroy: true },
      { op: 'soUse', holder: 25, destroy: false }, { op: 'giftVia', holder: 16, via: 41, receive: true },
    ];
    expect(runSchedule(2, 18000078, ops, { loss: false }).violations).toEqual([]);
  });

  it('18000078 as numbered (`simulate --held-rights --send-once --seed 18 --length 320`, schedule 78)', () => {
    expect(runSchedule(2, 18000078, randomOps(18000078, 320, false, true, true), { loss: false }).violations).toEqual([]);
  });
});
