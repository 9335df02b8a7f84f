import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules of the lead's sweep of seeds 261-320 × 100 × 320 (2026-12-01,
 * PROTOCOL.md §9) where a relay's route's message went straight back to the
 * new home ahead of the old home's drain (§4.5, "The new home's messages
 * behind the old home's queue"; task N12's cause, task N16's fix), pinned
 * numbered (as `simulate --schedule NUM --length 320 MODE` runs them) and
 * shrunk (the lead's `shrink --match FIFO`). Each fails with main's src/
 * at 9f996a2 (checked). The hold of the route's messages is the rule of
 * task N12's reverted fix, kept from deadlocking `269000898` and
 * `274000877` (test/sweep-261-280.test.ts) by crediting what it holds at
 * once (relay-wait.ts `relayCredits`).
 */
describe('sweep of seeds 261-320: a relay\'s route\'s message behind the old home\'s drain', () => {
  // The right of port 14 (3:5) goes 1 → relay 3 → 2; node 2's m0, queued
  // at node 1, comes in node 1's drain after the right; node 2's m1, sent
  // on its old route before the right reached it, came to relay 3 from
  // its route and went straight back to node 2 ahead of m0.
  it('300000907 (--held-rights --send-once --defer-send-once, 3 nodes, links live)', () => {
    expect(runSchedule(3, 300000907, randomOps(300000907, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('300000907, shrunk (109 operations)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 47, to: 0 },
      { op: 'giveReceive', holder: 24, to: 3 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 4 },
      { op: 'soUse', holder: 48, destroy: true }, { op: 'giveSend', holder: 46, to: 2 },
      { op: 'giveSend', holder: 12, to: 2 }, { op: 'soGive', holder: 12, to: 0 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 25, to: 0 },
      { op: 'soGive', holder: 32, to: 0 }, { op: 'soGive', holder: 2, to: 0 },
      { op: 'steps', n: 5 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 3 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 40, to: 0 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 20, to: 3 }, { op: 'steps', n: 4 },
      { op: 'giveSend', holder: 11, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 41, via: 13, receive: true }, { op: 'soGive', holder: 23, to: 3 },
      { op: 'giveReceive', holder: 17, to: 0 }, { op: 'soUse', holder: 12, destroy: false },
      { op: 'soGive', holder: 34, to: 0 }, { op: 'data', holder: 11 },
      { op: 'destroy', holder: 54 }, { op: 'soUse', holder: 24, destroy: false },
      { op: 'giftVia', holder: 60, via: 24, receive: true },
      { op: 'giftVia', holder: 56, via: 4, receive: true },
      { op: 'giftVia', holder: 18, via: 31, receive: true },
      { op: 'giveReceive', holder: 6, to: 1 }, { op: 'steps', n: 5 }, { op: 'data', holder: 56 },
      { op: 'data', holder: 10 }, { op: 'giveSend', holder: 40, to: 1 }, { op: 'data', holder: 36 },
      { op: 'soUse', holder: 61, destroy: false }, { op: 'giveSend', holder: 58, to: 1 },
      { op: 'data', holder: 50 }, { op: 'data', holder: 63 },
      { op: 'giftVia', holder: 1, via: 53, receive: false },
      { op: 'giftVia', holder: 33, via: 31, receive: false }, { op: 'giveSend', holder: 28, to: 2 },
      { op: 'giveSend', holder: 46, to: 1 }, { op: 'newPort', node: 3 }, { op: 'data', holder: 37 },
      { op: 'giftVia', holder: 31, via: 44, receive: true }, { op: 'giveSend', holder: 2, to: 1 },
      { op: 'drop', holder: 25 }, { op: 'steps', n: 6 }, { op: 'steps', n: 7 },
      { op: 'soGive', holder: 29, to: 1 }, { op: 'giftVia', holder: 57, via: 38, receive: true },
      { op: 'steps', n: 8 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 51, to: 0 },
      { op: 'steps', n: 5 }, { op: 'giveSend', holder: 54, to: 0 },
      { op: 'giveSend', holder: 46, to: 0 }, { op: 'steps', n: 1 },
      { op: 'giveSend', holder: 37, to: 2 }, { op: 'soGive', holder: 6, to: 0 },
      { op: 'steps', n: 1 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 2 },
      { op: 'steps', n: 8 }, { op: 'giveSend', holder: 34, to: 0 },
      { op: 'giftVia', holder: 32, via: 38, receive: true }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 2 }, { op: 'data', holder: 33 },
      { op: 'drop', holder: 32 }, { op: 'giveReceive', holder: 33, to: 2 }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 35, to: 1 }, { op: 'giveSend', holder: 6, to: 3 },
      { op: 'giveSend', holder: 34, to: 2 }, { op: 'giveSend', holder: 6, to: 0 },
      { op: 'giveReceive', holder: 63, to: 0 }, { op: 'destroy', holder: 7 },
      { op: 'soGive', holder: 52, to: 1 }, { op: 'giveSend', holder: 35, to: 3 },
      { op: 'giveReceive', holder: 9, to: 0 }, { op: 'data', holder: 22 },
      { op: 'giftVia', holder: 19, via: 52, receive: true },
      { op: 'soUse', holder: 54, destroy: false }, { op: 'giveReceive', holder: 41, to: 1 },
      { op: 'soGive', holder: 61, to: 2 }, { op: 'steps', n: 1 },
      { op: 'giveReceive', holder: 4, to: 1 }, { op: 'giveSend', holder: 58, to: 2 },
      { op: 'giftVia', holder: 37, via: 17, receive: true }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 3, to: 0 }, { op: 'steps', n: 1 }, { op: 'data', holder: 3 },
      { op: 'data', holder: 42 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 9 },
      { op: 'giftVia', holder: 49, via: 21, receive: true },
      { op: 'soUse', holder: 63, destroy: false }, { op: 'steps', n: 1 },
      { op: 'giveSend', holder: 36, to: 2 },
    ];
    expect(runSchedule(3, 300000907, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // The same cause over links that live throughout (right 1 → relay 4 → 3).
  it('292000896 (--held-rights --relink, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 292000896, randomOps(292000896, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });

  it('292000896, shrunk (107 operations)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 }, { op: 'cut', a: 1, b: 0 },
      { op: 'destroy', holder: 2 }, { op: 'giveSend', holder: 49, to: 3 }, { op: 'steps', n: 3 },
      { op: 'drop', holder: 27 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 34, to: 3 }, { op: 'newPort', node: 0 },
      { op: 'steps', n: 7 }, { op: 'data', holder: 28 }, { op: 'newPort', node: 2 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 47, to: 2 }, { op: 'drop', holder: 13 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 5 }, { op: 'steps', n: 5 },
      { op: 'destroy', holder: 15 }, { op: 'giveReceive', holder: 8, to: 2 },
      { op: 'cut', a: 3, b: 1 }, { op: 'drop', holder: 10 }, { op: 'giveSend', holder: 22, to: 0 },
      { op: 'newPort', node: 3 }, { op: 'cut', a: 1, b: 2 }, { op: 'steps', n: 1 },
      { op: 'steps', n: 11 }, { op: 'data', holder: 14 }, { op: 'newPort', node: 3 },
      { op: 'data', holder: 49 }, { op: 'newPort', node: 1 }, { op: 'data', holder: 13 },
      { op: 'steps', n: 6 }, { op: 'data', holder: 20 }, { op: 'drop', holder: 16 },
      { op: 'giveReceive', holder: 46, to: 3 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 0 }, { op: 'relink', a: 2, b: 1 }, { op: 'destroy', holder: 48 },
      { op: 'giveSend', holder: 9, to: 0 }, { op: 'giveSend', holder: 17, to: 3 },
      { op: 'steps', n: 8 }, { op: 'steps', n: 6 }, { op: 'relink', a: 1, b: 0 },
      { op: 'newPort', node: 0 }, { op: 'steps', n: 3 }, { op: 'steps', n: 8 },
      { op: 'giftVia', holder: 11, via: 13, receive: true },
      { op: 'giftVia', holder: 45, via: 52, receive: true },
      { op: 'giftVia', holder: 57, via: 42, receive: false },
      { op: 'giftVia', holder: 22, via: 23, receive: false }, { op: 'steps', n: 6 },
      { op: 'giftVia', holder: 59, via: 7, receive: true }, { op: 'steps', n: 4 },
      { op: 'steps', n: 6 }, { op: 'drop', holder: 19 },
      { op: 'giftVia', holder: 0, via: 46, receive: true }, { op: 'data', holder: 18 },
      { op: 'giftVia', holder: 25, via: 4, receive: true }, { op: 'data', holder: 19 },
      { op: 'destroy', holder: 6 }, { op: 'relink', a: 3, b: 1 },
      { op: 'giftVia', holder: 21, via: 28, receive: false }, { op: 'steps', n: 7 },
      { op: 'drop', holder: 27 }, { op: 'newPort', node: 1 },
      { op: 'giftVia', holder: 57, via: 45, receive: false }, { op: 'data', holder: 53 },
      { op: 'data', holder: 8 }, { op: 'drop', holder: 46 }, { op: 'data', holder: 6 },
      { op: 'data', holder: 48 }, { op: 'destroy', holder: 4 }, { op: 'data', holder: 30 },
      { op: 'data', holder: 59 }, { op: 'data', holder: 36 }, { op: 'steps', n: 4 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 58, to: 0 },
      { op: 'giftVia', holder: 39, via: 48, receive: true }, { op: 'data', holder: 13 },
      { op: 'drop', holder: 2 }, { op: 'newPort', node: 0 }, { op: 'drop', holder: 63 },
      { op: 'giftVia', holder: 39, via: 3, receive: false }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 37, via: 28, receive: true }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 4 }, { op: 'data', holder: 41 }, { op: 'giveSend', holder: 28, to: 3 },
      { op: 'giftVia', holder: 23, via: 30, receive: true },
      { op: 'giftVia', holder: 6, via: 31, receive: true },
      { op: 'giftVia', holder: 36, via: 32, receive: false },
      { op: 'giftVia', holder: 32, via: 27, receive: true }, { op: 'data', holder: 32 },
      { op: 'steps', n: 4 }, { op: 'giftVia', holder: 48, via: 20, receive: true },
      { op: 'drop', holder: 59 }, { op: 'steps', n: 5 }, { op: 'newPort', node: 1 },
      { op: 'giftVia', holder: 13, via: 25, receive: true }, { op: 'data', holder: 35 },
    ];
    expect(runSchedule(4, 292000896, ops, { loss: true }).violations).toEqual([]);
  });

  // The same at a relay whose proxy had died with a link (a tombstone): it
  // makes its relay round as one with a proxy does (relayWaits).
  it('287000887 (--held-rights --relink, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 287000887, randomOps(287000887, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });

  it('287000887, shrunk (45 operations)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 }, { op: 'destroy', holder: 35 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 38, to: 2 },
      { op: 'steps', n: 2 }, { op: 'data', holder: 2 }, { op: 'newPort', node: 0 },
      { op: 'data', holder: 2 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 3 },
      { op: 'data', holder: 29 }, { op: 'giveSend', holder: 29, to: 0 },
      { op: 'giveReceive', holder: 35, to: 2 }, { op: 'steps', n: 2 },
      { op: 'giveSend', holder: 16, to: 2 }, { op: 'data', holder: 15 },
      { op: 'giveSend', holder: 48, to: 2 }, { op: 'steps', n: 5 }, { op: 'data', holder: 37 },
      { op: 'giveReceive', holder: 59, to: 2 }, { op: 'giveReceive', holder: 41, to: 1 },
      { op: 'steps', n: 3 }, { op: 'giveSend', holder: 15, to: 0 },
      { op: 'giftVia', holder: 20, via: 11, receive: true }, { op: 'giveSend', holder: 54, to: 1 },
      { op: 'data', holder: 61 }, { op: 'data', holder: 46 }, { op: 'steps', n: 10 },
      { op: 'giveSend', holder: 10, to: 2 }, { op: 'giveSend', holder: 57, to: 2 },
      { op: 'giveSend', holder: 28, to: 2 }, { op: 'giveSend', holder: 42, to: 1 },
      { op: 'data', holder: 47 }, { op: 'data', holder: 63 }, { op: 'giveSend', holder: 46, to: 0 },
      { op: 'giftVia', holder: 20, via: 34, receive: true },
      { op: 'giftVia', holder: 15, via: 42, receive: true }, { op: 'data', holder: 28 },
      { op: 'data', holder: 5 }, { op: 'giveSend', holder: 8, to: 3 }, { op: 'data', holder: 19 },
      { op: 'steps', n: 3 }, { op: 'cut', a: 1, b: 3 },
    ];
    expect(runSchedule(4, 287000887, ops, { loss: true }).violations).toEqual([]);
  });
});
