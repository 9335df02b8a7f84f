import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * The lead's sweep of seeds 65-80 × 100 × 320 (2026-11-30; PROTOCOL.md §9)
 * on the code with task D's fixes found `71000265`: a send-once reply
 * never delivered. It passed on the session's start (e3ace7b) and failed
 * from task D's first rule on (a late send-once message held from the
 * link the receive right came back on, sent round the relays like one
 * arriving after the right; b0b9b05), which was reverted (4cbd9f5).
 */
describe('sweep of seeds 65-80', () => {
  it('71000265 as numbered (`--held-rights --send-once --defer-send-once`, 3 nodes, links live): every send-once reply delivered', () => {
    expect(runSchedule(3, 71000265, randomOps(71000265, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });
});

/**
 * Send-once relays and pools left with every link live (task N1,
 * 2026-11-30; PROTOCOL.md §4.5 "A late message follows the right's trail",
 * §9). Each schedule pinned as numbered (`simulate --schedule NUM --length
 * 320 MODE`) and as shrunk (`dist/shrink.js --schedule NUM --length 320
 * MODE --match TEXT`); every one fails on the code before its fix.
 */
describe('send-once relays and pools with every link live', () => {
  // Port 1:8 goes 1 → 2 → 1 → 3 → 2 → 1. Node 1's relay (its old port,
  // upstream node 2) counts only a right of node 1's own, made while home
  // there: its message comes off that port. A late message from node 2
  // held while the right came back went round that relay (task D's rule),
  // paid that right's count, and the right's reply, when it came, found
  // the relay's port destroyed. `relayFrom` leaves such a relay out.
  it('a relay counting only its own rights takes no late message from its upstream (71000265, shrunk under task D\'s rule)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'soGive', holder: 6, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 11, to: 0 }, { op: 'steps', n: 8 }, { op: 'giveSend', holder: 32, to: 3 },
      { op: 'soGive', holder: 51, to: 0 }, { op: 'destroy', holder: 7 },
      { op: 'giftVia', holder: 28, via: 56, receive: true }, { op: 'giveSend', holder: 63, to: 2 },
      { op: 'drop', holder: 26 }, { op: 'newPort', node: 0 }, { op: 'soGive', holder: 5, to: 2 },
      { op: 'giveSend', holder: 34, to: 1 }, { op: 'giveSend', holder: 45, to: 1 }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 57, to: 1 }, { op: 'soGive', holder: 49, to: 1 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 32, to: 1 }, { op: 'newPort', node: 1 }, { op: 'soUse', holder: 28, destroy: false },
      { op: 'giveReceive', holder: 40, to: 2 }, { op: 'soGive', holder: 49, to: 1 },
      { op: 'giveSend', holder: 46, to: 2 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 1 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 }, { op: 'destroy', holder: 1 },
      { op: 'giveReceive', holder: 63, to: 1 }, { op: 'steps', n: 6 }, { op: 'giveSend', holder: 62, to: 0 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 2, to: 3 }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 56, to: 1 }, { op: 'giveReceive', holder: 22, to: 3 },
      { op: 'giveSend', holder: 37, to: 2 }, { op: 'giveReceive', holder: 42, to: 0 },
      { op: 'soGive', holder: 20, to: 0 }, { op: 'giveSend', holder: 63, to: 2 },
      { op: 'giveReceive', holder: 33, to: 1 }, { op: 'giveSend', holder: 61, to: 3 }, { op: 'steps', n: 10 },
      { op: 'soGive', holder: 2, to: 2 }, { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 41, to: 1 },
      { op: 'steps', n: 2 }, { op: 'giveSend', holder: 43, to: 1 }, { op: 'steps', n: 1 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 5 }, { op: 'steps', n: 3 },
      { op: 'steps', n: 3 }, { op: 'giftVia', holder: 50, via: 32, receive: false }, { op: 'steps', n: 5 },
      { op: 'drop', holder: 38 }, { op: 'steps', n: 3 }, { op: 'data', holder: 31 },
      { op: 'soGive', holder: 55, to: 1 }, { op: 'data', holder: 13 }, { op: 'giveReceive', holder: 31, to: 2 },
      { op: 'giftVia', holder: 49, via: 4, receive: true }, { op: 'giveSend', holder: 42, to: 2 },
      { op: 'data', holder: 26 }, { op: 'giftVia', holder: 21, via: 28, receive: true },
      { op: 'soUse', holder: 41, destroy: true }, { op: 'giveReceive', holder: 1, to: 2 },
      { op: 'giveSend', holder: 6, to: 2 }, { op: 'steps', n: 8 }, { op: 'drop', holder: 21 },
      { op: 'giftVia', holder: 56, via: 49, receive: true }, { op: 'giveSend', holder: 21, to: 1 },
      { op: 'drop', holder: 4 }, { op: 'soUse', holder: 20, destroy: false },
      { op: 'giveReceive', holder: 53, to: 1 }, { op: 'drop', holder: 18 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 11, via: 20, receive: true }, { op: 'steps', n: 4 },
      { op: 'giftVia', holder: 29, via: 6, receive: true }, { op: 'giveReceive', holder: 59, to: 3 },
    ];
    expect(runSchedule(3, 71000265, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // Port 2:2 goes 2 → 1 → 2 → 1 with one send-once right made at node 2:
  // node 1's relay (upstream and route both node 2) counts its message,
  // node 2's pool right and proxy after it. On the right's second arrival
  // at node 1 the message (from node 2's old relay) was held and taken as
  // one of the arriving soRights: three counts waited for ever. It now
  // goes round node 1's relay, as after the right (heldRounds).
  it('a late message held from the link the right came back on goes round a relay counting one from there (41000177, shrunk, task D\'s)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 60, to: 1 }, { op: 'soGive', holder: 22, to: 1 },
      { op: 'giveSend', holder: 4, to: 1 }, { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 9, to: 1 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 45, to: 3 },
      { op: 'giveReceive', holder: 12, to: 3 }, { op: 'soGive', holder: 4, to: 3 }, { op: 'steps', n: 1 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 30, to: 0 },
      { op: 'soUse', holder: 50, destroy: true }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 39, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'soUse', holder: 33, destroy: true }, { op: 'giveSend', holder: 25, to: 1 },
      { op: 'soGive', holder: 32, to: 0 }, { op: 'giveSend', holder: 4, to: 0 }, { op: 'soGive', holder: 0, to: 1 },
      { op: 'giftVia', holder: 21, via: 33, receive: false }, { op: 'giftVia', holder: 58, via: 46, receive: true },
      { op: 'giveReceive', holder: 6, to: 2 }, { op: 'destroy', holder: 56 }, { op: 'data', holder: 52 },
      { op: 'giveSend', holder: 62, to: 0 }, { op: 'data', holder: 4 }, { op: 'drop', holder: 15 },
      { op: 'giveReceive', holder: 55, to: 1 }, { op: 'soGive', holder: 29, to: 1 },
      { op: 'soGive', holder: 5, to: 3 }, { op: 'soGive', holder: 54, to: 1 }, { op: 'giveSend', holder: 23, to: 3 },
      { op: 'soGive', holder: 11, to: 1 }, { op: 'soGive', holder: 12, to: 1 },
      { op: 'soUse', holder: 22, destroy: false }, { op: 'giveSend', holder: 40, to: 3 },
      { op: 'giftVia', holder: 46, via: 0, receive: true }, { op: 'soGive', holder: 63, to: 0 },
      { op: 'soUse', holder: 61, destroy: false }, { op: 'steps', n: 4 },
      { op: 'giftVia', holder: 52, via: 29, receive: true }, { op: 'soUse', holder: 26, destroy: false },
      { op: 'giveSend', holder: 35, to: 2 },
    ];
    expect(runSchedule(2, 41000177, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('41000177 as numbered (`--held-rights --send-once --defer-send-once`, 2 nodes, links live)', () => {
    expect(runSchedule(2, 41000177, randomOps(41000177, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // The same case on port 1:4 (2 nodes).
  it('57000231, shrunk (the same case as 41000177)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 48, to: 1 }, { op: 'newPort', node: 2 }, { op: 'destroy', holder: 56 },
      { op: 'destroy', holder: 25 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 4 },
      { op: 'giveReceive', holder: 34, to: 0 }, { op: 'giveReceive', holder: 59, to: 0 },
      { op: 'giveSend', holder: 56, to: 1 }, { op: 'soGive', holder: 57, to: 1 }, { op: 'steps', n: 8 },
      { op: 'soGive', holder: 48, to: 1 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 55, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 32, to: 3 }, { op: 'destroy', holder: 18 },
      { op: 'giveReceive', holder: 35, to: 2 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 45, to: 0 },
      { op: 'steps', n: 5 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 0, to: 3 },
      { op: 'destroy', holder: 45 }, { op: 'data', holder: 15 }, { op: 'giveSend', holder: 1, to: 2 },
      { op: 'soGive', holder: 2, to: 3 }, { op: 'data', holder: 32 }, { op: 'steps', n: 10 },
      { op: 'giftVia', holder: 7, via: 27, receive: true }, { op: 'data', holder: 21 }, { op: 'drop', holder: 19 },
      { op: 'soGive', holder: 36, to: 1 }, { op: 'destroy', holder: 21 }, { op: 'steps', n: 9 },
      { op: 'soUse', holder: 47, destroy: true }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 27, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 24, to: 1 }, { op: 'giveSend', holder: 17, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 63, to: 1 }, { op: 'soUse', holder: 50, destroy: false },
      { op: 'giveSend', holder: 4, to: 3 }, { op: 'giveSend', holder: 32, to: 0 },
      { op: 'giveSend', holder: 32, to: 2 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 51, to: 3 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 9, to: 1 },
      { op: 'giveSend', holder: 11, to: 3 }, { op: 'steps', n: 2 }, { op: 'drop', holder: 52 },
      { op: 'soUse', holder: 36, destroy: true }, { op: 'data', holder: 34 }, { op: 'giveSend', holder: 38, to: 2 },
      { op: 'drop', holder: 12 }, { op: 'giftVia', holder: 55, via: 33, receive: true }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 22 }, { op: 'giftVia', holder: 7, via: 4, receive: false },
      { op: 'destroy', holder: 58 }, { op: 'giftVia', holder: 18, via: 5, receive: true },
      { op: 'giftVia', holder: 58, via: 55, receive: true }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 29, to: 3 }, { op: 'giftVia', holder: 32, via: 59, receive: false },
      { op: 'giveReceive', holder: 0, to: 3 }, { op: 'giftVia', holder: 4, via: 51, receive: true },
      { op: 'soGive', holder: 62, to: 2 }, { op: 'destroy', holder: 14 }, { op: 'steps', n: 8 },
      { op: 'soUse', holder: 5, destroy: false }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 1, via: 49, receive: true }, { op: 'data', holder: 39 },
      { op: 'giftVia', holder: 31, via: 27, receive: true }, { op: 'data', holder: 24 }, { op: 'data', holder: 7 },
      { op: 'giftVia', holder: 9, via: 30, receive: false }, { op: 'destroy', holder: 56 },
      { op: 'drop', holder: 9 }, { op: 'newPort', node: 3 }, { op: 'giftVia', holder: 34, via: 59, receive: true },
      { op: 'giftVia', holder: 17, via: 63, receive: true }, { op: 'giveSend', holder: 18, to: 2 },
      { op: 'data', holder: 34 }, { op: 'data', holder: 7 }, { op: 'giftVia', holder: 54, via: 38, receive: false },
      { op: 'giftVia', holder: 50, via: 9, receive: true }, { op: 'drop', holder: 12 }, { op: 'data', holder: 52 },
      { op: 'giftVia', holder: 41, via: 44, receive: true }, { op: 'drop', holder: 48 },
      { op: 'soUse', holder: 46, destroy: false },
    ];
    expect(runSchedule(2, 57000231, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('57000231 as numbered (`--held-rights --send-once --defer-send-once`, 2 nodes, links live)', () => {
    expect(runSchedule(2, 57000231, randomOps(57000231, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // Port 3:4 goes 3 → 2 (passing) → 1 → 3 (passing) → 2 → 1. The
  // message of node 3's one right reaches node 2 while node 2 has its
  // relay from the first pass (upstream node 3), a pool from node 3 made
  // on the fourth arrival, and a proxy counting that pool right. It took
  // the pool right, skipping the relay and what the relay's route leads
  // round to (node 1's pool right and proxy, node 3's relay in proxy form,
  // then that same pool): those waited for ever. It now goes round the
  // relay, left on an earlier pass than anything else here.
  it('a late message reaches a relay from an earlier pass before a pool or proxy made since (65000220, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 3 }, { op: 'destroy', holder: 33 },
      { op: 'soGive', holder: 10, to: 1 }, { op: 'giveSend', holder: 33, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 37, to: 2 }, { op: 'soGive', holder: 28, to: 1 },
      { op: 'giveReceive', holder: 39, to: 3 }, { op: 'steps', n: 5 }, { op: 'soUse', holder: 10, destroy: true },
      { op: 'newPort', node: 0 }, { op: 'destroy', holder: 35 }, { op: 'steps', n: 10 },
      { op: 'giveSend', holder: 8, to: 1 }, { op: 'giveReceive', holder: 3, to: 2 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 1 }, { op: 'data', holder: 31 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 7 },
      { op: 'drop', holder: 12 }, { op: 'drop', holder: 47 }, { op: 'soGive', holder: 61, to: 1 },
      { op: 'steps', n: 1 }, { op: 'steps', n: 4 }, { op: 'soGive', holder: 6, to: 2 },
      { op: 'giveReceive', holder: 7, to: 2 }, { op: 'giveSend', holder: 24, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 29, to: 1 }, { op: 'giveSend', holder: 24, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'data', holder: 31 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 38 },
      { op: 'data', holder: 18 }, { op: 'giveSend', holder: 53, to: 3 }, { op: 'soUse', holder: 16, destroy: true },
      { op: 'steps', n: 9 }, { op: 'steps', n: 10 }, { op: 'giveSend', holder: 57, to: 2 },
      { op: 'data', holder: 27 }, { op: 'giveSend', holder: 29, to: 0 }, { op: 'newPort', node: 2 },
      { op: 'soUse', holder: 5, destroy: false }, { op: 'newPort', node: 0 },
      { op: 'soUse', holder: 6, destroy: false }, { op: 'steps', n: 6 }, { op: 'giveSend', holder: 16, to: 1 },
      { op: 'giveSend', holder: 1, to: 1 }, { op: 'giftVia', holder: 12, via: 57, receive: true },
      { op: 'data', holder: 48 }, { op: 'soGive', holder: 2, to: 1 }, { op: 'giveSend', holder: 1, to: 2 },
      { op: 'steps', n: 9 }, { op: 'soGive', holder: 60, to: 0 },
      { op: 'giftVia', holder: 16, via: 37, receive: false }, { op: 'steps', n: 10 }, { op: 'steps', n: 4 },
      { op: 'giftVia', holder: 44, via: 1, receive: false }, { op: 'giftVia', holder: 20, via: 4, receive: true },
      { op: 'giveSend', holder: 16, to: 0 }, { op: 'soUse', holder: 33, destroy: true }, { op: 'steps', n: 3 },
      { op: 'giveSend', holder: 44, to: 1 }, { op: 'steps', n: 7 }, { op: 'giveSend', holder: 22, to: 1 },
      { op: 'newPort', node: 2 }, { op: 'data', holder: 58 }, { op: 'steps', n: 5 },
      { op: 'giftVia', holder: 27, via: 3, receive: true }, { op: 'giftVia', holder: 30, via: 31, receive: true },
      { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 31, to: 3 }, { op: 'giveSend', holder: 25, to: 1 },
      { op: 'data', holder: 6 }, { op: 'giveSend', holder: 50, to: 2 }, { op: 'data', holder: 38 },
      { op: 'newPort', node: 2 }, { op: 'data', holder: 58 }, { op: 'steps', n: 4 },
      { op: 'giftVia', holder: 54, via: 47, receive: true }, { op: 'giveSend', holder: 21, to: 2 },
      { op: 'steps', n: 5 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 48, to: 1 },
      { op: 'drop', holder: 39 }, { op: 'destroy', holder: 57 }, { op: 'drop', holder: 56 },
      { op: 'newPort', node: 3 }, { op: 'giftVia', holder: 55, via: 12, receive: true },
      { op: 'soUse', holder: 62, destroy: false }, { op: 'giftVia', holder: 45, via: 48, receive: true },
      { op: 'steps', n: 1 }, { op: 'soGive', holder: 49, to: 2 }, { op: 'steps', n: 11 }, { op: 'data', holder: 42 },
      { op: 'data', holder: 49 }, { op: 'newPort', node: 3 }, { op: 'giftVia', holder: 32, via: 27, receive: true },
      { op: 'steps', n: 4 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 52, to: 1 }, { op: 'steps', n: 4 },
      { op: 'data', holder: 49 }, { op: 'soUse', holder: 40, destroy: false }, { op: 'data', holder: 9 },
      { op: 'soGive', holder: 28, to: 2 }, { op: 'giveSend', holder: 63, to: 3 }, { op: 'destroy', holder: 29 },
      { op: 'giveSend', holder: 12, to: 0 }, { op: 'giftVia', holder: 58, via: 55, receive: true },
      { op: 'steps', n: 7 }, { op: 'giveSend', holder: 8, to: 3 }, { op: 'soGive', holder: 3, to: 2 },
      { op: 'soGive', holder: 3, to: 0 }, { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 34, to: 0 },
      { op: 'giveSend', holder: 43, to: 1 }, { op: 'giveReceive', holder: 35, to: 1 },
      { op: 'soGive', holder: 14, to: 1 }, { op: 'data', holder: 35 }, { op: 'soGive', holder: 7, to: 1 },
      { op: 'giveSend', holder: 30, to: 1 }, { op: 'giftVia', holder: 18, via: 56, receive: false },
      { op: 'giftVia', holder: 11, via: 17, receive: true }, { op: 'data', holder: 14 },
      { op: 'giftVia', holder: 43, via: 11, receive: true }, { op: 'steps', n: 3 }, { op: 'newPort', node: 3 },
      { op: 'soUse', holder: 33, destroy: true }, { op: 'newPort', node: 0 }, { op: 'drop', holder: 0 },
      { op: 'giveReceive', holder: 12, to: 3 }, { op: 'soUse', holder: 53, destroy: false },
      { op: 'soUse', holder: 18, destroy: true }, { op: 'data', holder: 30 },
      { op: 'soUse', holder: 14, destroy: false },
    ];
    expect(runSchedule(3, 65000220, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('65000220 as numbered (`--held-rights --send-once --defer-send-once`, 3 nodes, links live)', () => {
    expect(runSchedule(3, 65000220, randomOps(65000220, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // Port 1:6 goes 1 → 2 (passing back) → 1 → 2 (passing back) → 1 with
  // one right made at node 1. Its message reached node 2 on the right's
  // second pass, held there; passed on in the drain as one of the count
  // the right carries, node 2's relay from the first pass (route node 1,
  // the way the right goes on) waited for ever. It now pays that relay
  // and follows in the drain.
  it('a late message held where the right passes through pays a relay from an earlier pass on its way (72000258, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 20, to: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 41, to: 1 }, { op: 'steps', n: 3 }, { op: 'steps', n: 7 },
      { op: 'newPort', node: 0 }, { op: 'drop', holder: 60 }, { op: 'giveReceive', holder: 9, to: 1 },
      { op: 'newPort', node: 2 }, { op: 'giveReceive', holder: 12, to: 3 }, { op: 'soGive', holder: 0, to: 1 },
      { op: 'giveSend', holder: 37, to: 3 }, { op: 'destroy', holder: 16 }, { op: 'newPort', node: 1 },
      { op: 'soGive', holder: 51, to: 2 }, { op: 'soGive', holder: 12, to: 3 }, { op: 'steps', n: 10 },
      { op: 'giveSend', holder: 55, to: 0 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 58, to: 2 }, { op: 'destroy', holder: 38 }, { op: 'giveSend', holder: 44, to: 2 },
      { op: 'steps', n: 3 }, { op: 'steps', n: 6 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'soGive', holder: 32, to: 3 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 36, to: 1 },
      { op: 'steps', n: 3 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 47, via: 54, receive: false }, { op: 'giftVia', holder: 45, via: 34, receive: false },
      { op: 'soUse', holder: 53, destroy: true }, { op: 'giftVia', holder: 36, via: 37, receive: false },
      { op: 'soGive', holder: 3, to: 1 }, { op: 'giftVia', holder: 10, via: 4, receive: true },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 7 }, { op: 'giftVia', holder: 42, via: 11, receive: true },
      { op: 'steps', n: 10 }, { op: 'giveSend', holder: 35, to: 3 }, { op: 'newPort', node: 1 },
      { op: 'drop', holder: 59 }, { op: 'giftVia', holder: 30, via: 45, receive: true },
      { op: 'destroy', holder: 25 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 3 }, { op: 'drop', holder: 28 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 7, to: 2 }, { op: 'giftVia', holder: 8, via: 5, receive: true },
      { op: 'giftVia', holder: 58, via: 52, receive: false }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 39, via: 20, receive: true }, { op: 'giveSend', holder: 58, to: 2 },
      { op: 'drop', holder: 39 }, { op: 'giveSend', holder: 52, to: 2 }, { op: 'giveSend', holder: 11, to: 1 },
      { op: 'soGive', holder: 10, to: 2 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 9 },
      { op: 'newPort', node: 1 }, { op: 'soUse', holder: 31, destroy: true }, { op: 'soGive', holder: 54, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 45, to: 0 }, { op: 'giveReceive', holder: 22, to: 0 },
      { op: 'soGive', holder: 33, to: 0 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 45, to: 0 },
      { op: 'giveSend', holder: 49, to: 2 }, { op: 'soGive', holder: 51, to: 2 },
      { op: 'giveSend', holder: 62, to: 0 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 23, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 33, to: 0 },
      { op: 'giftVia', holder: 57, via: 25, receive: false }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 49, via: 30, receive: true },
      { op: 'giftVia', holder: 53, via: 31, receive: true }, { op: 'giftVia', holder: 51, via: 15, receive: true },
      { op: 'giftVia', holder: 20, via: 33, receive: true }, { op: 'giveReceive', holder: 49, to: 2 },
      { op: 'giftVia', holder: 9, via: 15, receive: true }, { op: 'giftVia', holder: 37, via: 31, receive: true },
      { op: 'giftVia', holder: 16, via: 62, receive: true }, { op: 'steps', n: 1 }, { op: 'drop', holder: 22 },
      { op: 'soUse', holder: 54, destroy: false }, { op: 'giftVia', holder: 51, via: 46, receive: true },
      { op: 'soUse', holder: 42, destroy: false }, { op: 'giftVia', holder: 42, via: 37, receive: true },
      { op: 'drop', holder: 1 }, { op: 'giveSend', holder: 9, to: 0 },
      { op: 'giftVia', holder: 10, via: 44, receive: true }, { op: 'soGive', holder: 18, to: 2 },
      { op: 'giftVia', holder: 55, via: 32, receive: true }, { op: 'giftVia', holder: 54, via: 3, receive: true },
    ];
    expect(runSchedule(2, 72000258, ops, { loss: false }).violations).toEqual([]);
  });

  it('72000258 as numbered (`--held-rights --send-once --relink`, 2 nodes, links live)', () => {
    expect(runSchedule(2, 72000258, randomOps(72000258, 320, false, true, true, true), { loss: false }).violations).toEqual([]);
  });

  // Port 2:13 (three rights made at node 2) goes 2 → 1 → 2 (passing) → 3
  // (passing) → 1. Passing node 2, one right made there is its own again
  // (`soOwn`): node 2 sends DIRECT for it to node 1, which counted it as
  // a pool right of its own. Node 1, home again before that DIRECT came,
  // sent its own DIRECT for that pool right; node 2's proxy took it for
  // its own right's count and went, the right became a dead name (a reply
  // lost) and node 1's pool right was left. A DIRECT now pays a relay in
  // proxy form only what it counts from upstream.
  it('a DIRECT does not pay a relay\'s own rights (73000274, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 16, to: 3 }, { op: 'steps', n: 6 },
      { op: 'giveReceive', holder: 43, to: 2 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 6 }, { op: 'newPort', node: 3 },
      { op: 'giveReceive', holder: 1, to: 1 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 43, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 39, to: 0 }, { op: 'giveReceive', holder: 18, to: 3 },
      { op: 'giveSend', holder: 14, to: 2 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 6 },
      { op: 'steps', n: 4 }, { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 12, to: 2 },
      { op: 'destroy', holder: 41 }, { op: 'soGive', holder: 32, to: 2 }, { op: 'newPort', node: 3 },
      { op: 'giveReceive', holder: 43, to: 3 }, { op: 'soUse', holder: 43, destroy: false },
      { op: 'newPort', node: 3 }, { op: 'soGive', holder: 50, to: 2 }, { op: 'destroy', holder: 58 },
      { op: 'destroy', holder: 42 }, { op: 'soGive', holder: 2, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 42, to: 3 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 32, to: 0 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 53, to: 1 },
      { op: 'giveSend', holder: 59, to: 0 }, { op: 'destroy', holder: 46 }, { op: 'newPort', node: 0 },
      { op: 'steps', n: 3 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 6 },
      { op: 'giveSend', holder: 49, to: 1 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 45, to: 2 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 24, to: 1 },
      { op: 'steps', n: 8 }, { op: 'steps', n: 7 }, { op: 'drop', holder: 6 },
      { op: 'soUse', holder: 24, destroy: false }, { op: 'soGive', holder: 46, to: 0 },
      { op: 'soGive', holder: 26, to: 2 }, { op: 'giveSend', holder: 25, to: 1 },
      { op: 'giveSend', holder: 37, to: 3 }, { op: 'destroy', holder: 55 }, { op: 'destroy', holder: 43 },
      { op: 'giveReceive', holder: 12, to: 2 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 22, to: 2 },
      { op: 'soGive', holder: 8, to: 3 }, { op: 'soGive', holder: 61, to: 3 }, { op: 'destroy', holder: 53 },
      { op: 'giveSend', holder: 17, to: 0 }, { op: 'soGive', holder: 14, to: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 43, to: 1 }, { op: 'destroy', holder: 1 }, { op: 'giveReceive', holder: 29, to: 0 },
      { op: 'giveReceive', holder: 33, to: 3 }, { op: 'drop', holder: 36 }, { op: 'giveSend', holder: 11, to: 2 },
      { op: 'steps', n: 10 }, { op: 'data', holder: 22 }, { op: 'soGive', holder: 22, to: 2 }, { op: 'steps', n: 8 },
      { op: 'data', holder: 38 }, { op: 'soGive', holder: 61, to: 0 },
      { op: 'giftVia', holder: 58, via: 33, receive: false }, { op: 'data', holder: 10 }, { op: 'data', holder: 52 },
      { op: 'data', holder: 19 }, { op: 'giftVia', holder: 62, via: 57, receive: true }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 4, to: 0 }, { op: 'soGive', holder: 62, to: 3 }, { op: 'soGive', holder: 46, to: 2 },
      { op: 'giveSend', holder: 63, to: 3 }, { op: 'giftVia', holder: 43, via: 27, receive: true },
      { op: 'soGive', holder: 3, to: 1 }, { op: 'soGive', holder: 13, to: 3 },
      { op: 'giftVia', holder: 54, via: 22, receive: true }, { op: 'giveSend', holder: 63, to: 3 },
      { op: 'drop', holder: 10 }, { op: 'giftVia', holder: 23, via: 54, receive: true }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 8, via: 48, receive: false }, { op: 'data', holder: 12 },
      { op: 'soUse', holder: 18, destroy: false }, { op: 'data', holder: 28 },
      { op: 'soUse', holder: 39, destroy: true }, { op: 'soUse', holder: 22, destroy: true },
      { op: 'giveSend', holder: 0, to: 1 }, { op: 'data', holder: 23 }, { op: 'soUse', holder: 15, destroy: false },
      { op: 'giveSend', holder: 14, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 12, via: 49, receive: false }, { op: 'drop', holder: 62 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 0 }, { op: 'soUse', holder: 56, destroy: false },
      { op: 'giftVia', holder: 35, via: 44, receive: true }, { op: 'giftVia', holder: 27, via: 59, receive: true },
      { op: 'data', holder: 55 }, { op: 'giftVia', holder: 13, via: 51, receive: true },
      { op: 'giftVia', holder: 21, via: 61, receive: true }, { op: 'giftVia', holder: 27, via: 16, receive: true },
      { op: 'soGive', holder: 60, to: 0 }, { op: 'drop', holder: 13 }, { op: 'data', holder: 45 },
      { op: 'giftVia', holder: 29, via: 61, receive: true }, { op: 'newPort', node: 1 }, { op: 'data', holder: 59 },
      { op: 'giftVia', holder: 11, via: 44, receive: true }, { op: 'data', holder: 57 },
      { op: 'soGive', holder: 62, to: 1 }, { op: 'data', holder: 57 }, { op: 'soGive', holder: 31, to: 2 },
      { op: 'drop', holder: 5 }, { op: 'giftVia', holder: 17, via: 3, receive: true },
      { op: 'soUse', holder: 33, destroy: false }, { op: 'soUse', holder: 13, destroy: false },
      { op: 'data', holder: 16 }, { op: 'newPort', node: 0 }, { op: 'soGive', holder: 19, to: 0 },
      { op: 'data', holder: 4 }, { op: 'drop', holder: 46 }, { op: 'drop', holder: 2 }, { op: 'steps', n: 4 },
      { op: 'giveReceive', holder: 52, to: 1 }, { op: 'soUse', holder: 9, destroy: false },
      { op: 'soGive', holder: 41, to: 0 }, { op: 'soGive', holder: 32, to: 3 },
      { op: 'soUse', holder: 14, destroy: false }, { op: 'data', holder: 28 },
      { op: 'giftVia', holder: 51, via: 6, receive: true }, { op: 'giveReceive', holder: 35, to: 2 },
      { op: 'soUse', holder: 10, destroy: false }, { op: 'soGive', holder: 26, to: 3 },
    ];
    expect(runSchedule(3, 73000274, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('73000274 as numbered (`--held-rights --send-once --defer-send-once`, 3 nodes, links live)', () => {
    expect(runSchedule(3, 73000274, randomOps(73000274, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // Found by seeds 81-96 on 9e6c3f5 (PROTOCOL.md §9), passing with the
  // rules above (numbered only, not shrunk or traced).
  it('86000286 as numbered (`--held-rights --send-once --defer-send-once`, 3 nodes, links live: relays and a pool left before)', () => {
    expect(runSchedule(3, 86000286, randomOps(86000286, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('83000264 as numbered (`--held-rights --send-once --relink`, 2 nodes, links live: a send-once reply never delivered before)', () => {
    expect(runSchedule(2, 83000264, randomOps(83000264, 320, false, true, true, true), { loss: false }).violations).toEqual([]);
  });

  it('82000344 as numbered (`--held-rights --send-once --relink`, 4 nodes, link loss: entries left after link loss before)', () => {
    expect(runSchedule(4, 82000344, randomOps(82000344, 320, true, true, true, true), { loss: true }).violations).toEqual([]);
  });
});
