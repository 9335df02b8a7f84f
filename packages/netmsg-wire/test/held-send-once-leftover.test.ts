import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A send-once relay and a pool left with links live (`simulate
 * --held-rights --send-once`, seed 26 × 100 × 320, schedule 148): the port
 * died at a node that kept a send-once relay for it, left when the receive
 * right passed through before, and an older pool whose rights name that
 * relay's port (PROTOCOL.md §4.5, "the port's death"). Pinned as shrunk
 * (`dist/shrink.js ... --match` one relay and one pool of one key) and as
 * numbered.
 */
/** The operations both shrinks of 26000148 below begin with (their first 119). */
const SHRUNK_START: Op[] = [
  { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 40, to: 2 }, { op: 'newPort', node: 3 },
  { op: 'soGive', holder: 8, to: 2 }, { op: 'soGive', holder: 12, to: 1 },
  { op: 'giveReceive', holder: 8, to: 1 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 6 },
  { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 28, to: 2 }, { op: 'newPort', node: 1 },
  { op: 'giveReceive', holder: 42, to: 1 }, { op: 'giveSend', holder: 31, to: 3 }, { op: 'newPort', node: 2 },
  { op: 'soGive', holder: 20, to: 1 }, { op: 'soGive', holder: 31, to: 3 },
  { op: 'soUse', holder: 24, destroy: false }, { op: 'steps', n: 6 }, { op: 'steps', n: 10 },
  { op: 'soGive', holder: 39, to: 0 }, { op: 'newPort', node: 3 }, { op: 'soGive', holder: 35, to: 0 },
  { op: 'soUse', holder: 56, destroy: false }, { op: 'giveSend', holder: 30, to: 2 }, { op: 'steps', n: 8 },
  { op: 'giftVia', holder: 40, via: 47, receive: true }, { op: 'steps', n: 3 },
  { op: 'soUse', holder: 27, destroy: false }, { op: 'steps', n: 2 }, { op: 'soUse', holder: 13, destroy: true },
  { op: 'steps', n: 11 }, { op: 'newPort', node: 3 }, { op: 'destroy', holder: 24 }, { op: 'newPort', node: 3 },
  { op: 'giftVia', holder: 54, via: 58, receive: true }, { op: 'soGive', holder: 58, to: 2 },
  { op: 'soGive', holder: 40, to: 2 }, { op: 'soUse', holder: 54, destroy: true }, { op: 'drop', holder: 26 },
  { op: 'newPort', node: 3 }, { op: 'steps', n: 7 }, { op: 'soGive', holder: 1, to: 2 },
  { op: 'giveSend', holder: 53, to: 2 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 42, to: 2 },
  { op: 'newPort', node: 1 }, { op: 'soGive', holder: 52, to: 3 }, { op: 'giveReceive', holder: 8, to: 1 },
  { op: 'soGive', holder: 42, to: 2 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 4, to: 2 },
  { op: 'giveSend', holder: 17, to: 1 }, { op: 'data', holder: 42 }, { op: 'giveReceive', holder: 43, to: 3 },
  { op: 'giveSend', holder: 15, to: 0 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 34, to: 3 },
  { op: 'giveSend', holder: 35, to: 0 }, { op: 'giveSend', holder: 33, to: 3 }, { op: 'drop', holder: 25 },
  { op: 'soGive', holder: 61, to: 0 }, { op: 'newPort', node: 1 }, { op: 'soUse', holder: 2, destroy: true },
  { op: 'giveSend', holder: 3, to: 0 }, { op: 'soGive', holder: 19, to: 2 }, { op: 'steps', n: 5 },
  { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 25, to: 3 }, { op: 'steps', n: 7 },
  { op: 'data', holder: 35 }, { op: 'data', holder: 53 }, { op: 'data', holder: 26 }, { op: 'newPort', node: 2 },
  { op: 'newPort', node: 3 }, { op: 'steps', n: 5 }, { op: 'giveSend', holder: 33, to: 2 },
  { op: 'soUse', holder: 38, destroy: false }, { op: 'soGive', holder: 38, to: 1 },
  { op: 'giveReceive', holder: 36, to: 2 }, { op: 'newPort', node: 3 }, { op: 'drop', holder: 63 },
  { op: 'soGive', holder: 53, to: 0 }, { op: 'giveSend', holder: 27, to: 1 },
  { op: 'soGive', holder: 40, to: 0 }, { op: 'soGive', holder: 16, to: 2 }, { op: 'soGive', holder: 40, to: 0 },
  { op: 'destroy', holder: 18 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 7, to: 0 },
  { op: 'destroy', holder: 54 }, { op: 'giveSend', holder: 53, to: 3 }, { op: 'soGive', holder: 56, to: 2 },
  { op: 'giftVia', holder: 47, via: 39, receive: true }, { op: 'soGive', holder: 44, to: 2 },
  { op: 'giftVia', holder: 45, via: 35, receive: true }, { op: 'giftVia', holder: 26, via: 22, receive: true },
  { op: 'giftVia', holder: 2, via: 22, receive: false }, { op: 'drop', holder: 49 }, { op: 'drop', holder: 42 },
  { op: 'giveSend', holder: 16, to: 3 }, { op: 'soUse', holder: 47, destroy: false },
  { op: 'soUse', holder: 41, destroy: false }, { op: 'giftVia', holder: 16, via: 10, receive: true },
  { op: 'steps', n: 10 }, { op: 'soUse', holder: 55, destroy: true },
  { op: 'giftVia', holder: 56, via: 29, receive: false }, { op: 'giveSend', holder: 51, to: 2 },
  { op: 'soUse', holder: 45, destroy: false }, { op: 'data', holder: 55 },
  { op: 'soUse', holder: 43, destroy: true }, { op: 'giftVia', holder: 52, via: 12, receive: true },
  { op: 'newPort', node: 0 }, { op: 'destroy', holder: 21 }, { op: 'drop', holder: 5 }, { op: 'steps', n: 9 },
  { op: 'destroy', holder: 51 }, { op: 'data', holder: 37 },
  { op: 'giftVia', holder: 7, via: 12, receive: true }, { op: 'soGive', holder: 46, to: 3 },
];

describe('a send-once relay and pool left where the port died', () => {
  it('the port dying at a node with its own send-once relay takes the relay and the older pool naming it (26000148, shrunk)', () => {
    // Port 1:14 goes 1 → 2 → 1 → 2 with one send-once right made at node 1
    // still unused: node 1 keeps a relay for it, node 2 a pool right for its
    // late message (made when the port was home there first) and, the right
    // gone on, a relay whose port that pool right names. The port then dies
    // at node 2: its DEAD kills node 1's relay, so the late message the
    // pool right and node 2's relay waited for could never come, and both
    // stayed for ever.
    const ops: Op[] = [
      ...SHRUNK_START,
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 3, via: 48, receive: true },
      { op: 'giftVia', holder: 9, via: 32, receive: true }, { op: 'soUse', holder: 55, destroy: true },
      { op: 'giftVia', holder: 2, via: 29, receive: true }, { op: 'giveSend', holder: 51, to: 3 },
      { op: 'soUse', holder: 50, destroy: true }, { op: 'data', holder: 50 },
      { op: 'giftVia', holder: 38, via: 40, receive: true }, { op: 'soGive', holder: 26, to: 0 },
      { op: 'giveSend', holder: 61, to: 0 }, { op: 'destroy', holder: 35 }, { op: 'drop', holder: 30 },
      { op: 'giftVia', holder: 22, via: 6, receive: true }, { op: 'drop', holder: 56 },
      { op: 'giftVia', holder: 59, via: 9, receive: true }, { op: 'drop', holder: 4 },
      { op: 'giveSend', holder: 62, to: 3 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 47, via: 2, receive: true }, { op: 'giftVia', holder: 42, via: 42, receive: true },
      { op: 'giftVia', holder: 12, via: 32, receive: true }, { op: 'soGive', holder: 48, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 0, via: 58, receive: true },
      { op: 'giftVia', holder: 13, via: 60, receive: true }, { op: 'giftVia', holder: 12, via: 50, receive: true },
      { op: 'giftVia', holder: 25, via: 39, receive: true },
    ];
    expect(runSchedule(3, 26000148, ops, { loss: false }).violations).toEqual([]);
  });

  it('26000148 as numbered (`simulate --held-rights --send-once --seed 26 --length 320`, schedule 148)', () => {
    expect(runSchedule(3, 26000148, randomOps(26000148, 320, false, true, true), { loss: false }).violations).toEqual([]);
  });

  it('an earlier shrink of 26000148 (on 98a6a25) leaving the relay alone, its pool right gone', () => {
    const ops: Op[] = [
      ...SHRUNK_START,
      { op: 'newPort', node: 2 }, { op: 'soUse', holder: 50, destroy: true },
      { op: 'giftVia', holder: 51, via: 5, receive: false }, { op: 'destroy', holder: 35 },
      { op: 'drop', holder: 30 }, { op: 'giftVia', holder: 22, via: 6, receive: true }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 47, via: 2, receive: true }, { op: 'soUse', holder: 20, destroy: true },
      { op: 'giveSend', holder: 51, to: 1 }, { op: 'drop', holder: 61 },
      { op: 'giftVia', holder: 12, via: 50, receive: true },
    ];
    expect(runSchedule(3, 26000148, ops, { loss: false }).violations).toEqual([]);
  });
});
