import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules of the lead's sweep of seeds 261-300 × 100 × 320 in the four
 * held-rights modes (2026-12-01, PROTOCOL.md §9), pinned numbered
 * (`simulate --schedule NUM --length 320 MODE`) and shrunk (`shrink
 * --schedule NUM --length 320 MODE --match FIFO`, the lead's run). Each
 * fails before its fix (checked: src/ of 76c8ead, the file run, restored).
 */
describe('sweep of seeds 261-300', () => {
  // The receive right of port 14 (3:5) goes node 1 → node 3 → node 2; node
  // 1 had queued node 2's m0, so it drains m0 after the right, down through
  // node 3. Node 3 is a relay that had a proxy: it passes the right on at
  // once and sends its own marker up to node 1 (relayWait). Node 2's m1,
  // sent to its proxy's route (node 3) before the right reached node 2,
  // came to node 3 from its new route and was passed straight back to node
  // 2, ahead of m0, still in node 1's drain; node 2 held both from the same
  // link and put them back in that order: "FIFO violated on port 14 from
  // node 2: 0 after 1". A relay now holds what comes from its route too,
  // and the old home's drain passes what it holds (src/relay-wait.ts;
  // PROTOCOL.md §4.5, "The new home's messages behind the old home's queue").
  it('a relay holds the new home\'s messages behind the old home\'s drain (300000907, 3 nodes, links live)', () => {
    expect(runSchedule(3, 300000907, randomOps(300000907, 320, false, true, true), { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  it('the same, shrunk', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 47, to: 0 },
      { op: 'giveReceive', holder: 24, to: 3 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 4 },
      { op: 'soUse', holder: 48, destroy: true }, { op: 'giveSend', holder: 46, to: 2 },
      { op: 'giveSend', holder: 12, to: 2 }, { op: 'soGive', holder: 12, to: 0 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 25, to: 0 }, { op: 'soGive', holder: 32, to: 0 },
      { op: 'soGive', holder: 2, to: 0 }, { op: 'steps', n: 5 }, { op: 'newPort', node: 3 },
      { op: 'steps', n: 3 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 40, to: 0 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 20, to: 3 }, { op: 'steps', n: 4 },
      { op: 'giveSend', holder: 11, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 41, via: 13, receive: true }, { op: 'soGive', holder: 23, to: 3 },
      { op: 'giveReceive', holder: 17, to: 0 }, { op: 'soUse', holder: 12, destroy: false },
      { op: 'soGive', holder: 34, to: 0 }, { op: 'data', holder: 11 },
      { op: 'destroy', holder: 54 }, { op: 'soUse', holder: 24, destroy: false },
      { op: 'giftVia', holder: 60, via: 24, receive: true },
      { op: 'giftVia', holder: 56, via: 4, receive: true },
      { op: 'giftVia', holder: 18, via: 31, receive: true },
      { op: 'giveReceive', holder: 6, to: 1 }, { op: 'steps', n: 5 }, { op: 'data', holder: 56 },
      { op: 'data', holder: 10 }, { op: 'giveSend', holder: 40, to: 1 },
      { op: 'data', holder: 36 }, { op: 'soUse', holder: 61, destroy: false },
      { op: 'giveSend', holder: 58, to: 1 }, { op: 'data', holder: 50 },
      { op: 'data', holder: 63 }, { op: 'giftVia', holder: 1, via: 53, receive: false },
      { op: 'giftVia', holder: 33, via: 31, receive: false },
      { op: 'giveSend', holder: 28, to: 2 }, { op: 'giveSend', holder: 46, to: 1 },
      { op: 'newPort', node: 3 }, { op: 'data', holder: 37 },
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
      { op: 'giveSend', holder: 36, to: 2 }
    ];
    expect(runSchedule(3, 300000907, ops, { loss: false, deferSendOnce: true }).violations).toEqual([]);
  });

  // The same cause under --relink (the link losses of the schedule play no
  // part: links 1-4 and 4-3 live throughout). The right of port 14 (1:5)
  // goes node 1 → node 4 → node 3; relay 4 passed node 3's m1, sent on its
  // old route before the right came, straight back to node 3, ahead of m0
  // in node 1's drain: "FIFO violated on port 14 from node 3: 0 after 1"
  // (numbered: port 15, "0 after 1").
  it('the same at a relay under --relink (292000896, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 292000896, randomOps(292000896, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });

  it('the same under --relink, shrunk', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 }, { op: 'cut', a: 1, b: 0 },
      { op: 'destroy', holder: 2 }, { op: 'giveSend', holder: 49, to: 3 }, { op: 'steps', n: 3 },
      { op: 'drop', holder: 27 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 34, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'steps', n: 7 }, { op: 'data', holder: 28 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 47, to: 2 }, { op: 'drop', holder: 13 },
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
      { op: 'giftVia', holder: 13, via: 25, receive: true }, { op: 'data', holder: 35 }
    ];
    expect(runSchedule(4, 292000896, ops, { loss: true }).violations).toEqual([]);
  });

  // A relay whose proxy died with a link. Port 3 (4:1) is node 4's; its
  // right went to node 2, and node 3's m2 went 3 → 4 → 2, queued there.
  // Node 2 sent the right to node 1 and the link 2–4 died: node 4's proxy
  // died with its route (m3-m5 of node 3, sent on that chain, were
  // destroyed there). The right went on 1 → 4 → 3: node 4 had no proxy any
  // more, so it passed it on without a relay round, and node 3's m6, sent
  // before node 3 read the DEAD, came to node 4 from its new route and went
  // straight back to node 3, ahead of m2 in node 2's drain (2 → 1 → 4 → 3):
  // "FIFO violated on port 3 from node 3: 4 after 14" (shrunk: "2 after
  // 6"). A relay with a tombstone for the port makes its relay round as one
  // with a proxy does (its senders' older messages went through the dead
  // proxy into the old home's queue; node-rights.ts `relayRights`;
  // PROTOCOL.md §4.5, "A relay's senders behind the old home's queue").
  it('a relay whose proxy died with a link makes its relay round (287000887, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 287000887, randomOps(287000887, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });

  it('the same, shrunk (relay with a tombstone)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 }, { op: 'destroy', holder: 35 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 38, to: 2 }, { op: 'steps', n: 2 }, { op: 'data', holder: 2 },
      { op: 'newPort', node: 0 }, { op: 'data', holder: 2 }, { op: 'steps', n: 2 },
      { op: 'newPort', node: 3 }, { op: 'data', holder: 29 },
      { op: 'giveSend', holder: 29, to: 0 }, { op: 'giveReceive', holder: 35, to: 2 },
      { op: 'steps', n: 2 }, { op: 'giveSend', holder: 16, to: 2 }, { op: 'data', holder: 15 },
      { op: 'giveSend', holder: 48, to: 2 }, { op: 'steps', n: 5 }, { op: 'data', holder: 37 },
      { op: 'giveReceive', holder: 59, to: 2 }, { op: 'giveReceive', holder: 41, to: 1 },
      { op: 'steps', n: 3 }, { op: 'giveSend', holder: 15, to: 0 },
      { op: 'giftVia', holder: 20, via: 11, receive: true }, { op: 'giveSend', holder: 54, to: 1 },
      { op: 'data', holder: 61 }, { op: 'data', holder: 46 }, { op: 'steps', n: 10 },
      { op: 'giveSend', holder: 10, to: 2 }, { op: 'giveSend', holder: 57, to: 2 },
      { op: 'giveSend', holder: 28, to: 2 }, { op: 'giveSend', holder: 42, to: 1 },
      { op: 'data', holder: 47 }, { op: 'data', holder: 63 },
      { op: 'giveSend', holder: 46, to: 0 }, { op: 'giftVia', holder: 20, via: 34, receive: true },
      { op: 'giftVia', holder: 15, via: 42, receive: true }, { op: 'data', holder: 28 },
      { op: 'data', holder: 5 }, { op: 'giveSend', holder: 8, to: 3 }, { op: 'data', holder: 19 },
      { op: 'steps', n: 3 }, { op: 'cut', a: 1, b: 3 }
    ];
    expect(runSchedule(4, 287000887, ops, { loss: true }).violations).toEqual([]);
  });
});
