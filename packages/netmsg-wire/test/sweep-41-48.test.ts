import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Violating schedules of the sweep of seeds 41-48 × 100 × 320 (2026-11-30,
 * task D; PROTOCOL.md §9), each pinned as numbered
 * (`simulate --schedule NUM --length 320 MODE`) and as shrunk
 * (`dist/shrink.js --schedule NUM ... --match TEXT`).
 */
describe('sweep of seeds 41-48', () => {
  // 41000177 (relays and a pool left, 2 nodes, links live): its first rule
  // was reverted, since it lost a send-once reply in 71000265; fixed again
  // with a relay's own rights counted apart (task N1), pinned with the
  // rest of that case in test/sweep-65-80.test.ts (PROTOCOL.md §4.5, §9).

  // Port 1:7 goes 1 → 3 → 2 → 3 → 1 with three send-once rights made at
  // node 1 unused, passing node 3 twice (held there for other ports). The
  // second pass sends node 3's relayed count DIRECT to node 2 (its pool
  // rights, counted in the soRights node 3 passes on) and leaves node 3 a
  // relay whose count now stands for late messages from node 1. Node 1,
  // home again, sends its own rights' DIRECT to node 3, from link 1, which
  // is not the relay's new upstream: refused, the relay waited for ever.
  it('a relay the right passed back through takes DIRECT from the way its late messages come (44000151, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 0, to: 2 }, { op: 'giveSend', holder: 10, to: 3 },
      { op: 'steps', n: 2 }, { op: 'soGive', holder: 17, to: 2 }, { op: 'giveSend', holder: 26, to: 3 },
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 57, to: 3 }, { op: 'soGive', holder: 6, to: 0 },
      { op: 'giveSend', holder: 51, to: 2 }, { op: 'giveSend', holder: 12, to: 2 }, { op: 'destroy', holder: 23 },
      { op: 'soGive', holder: 28, to: 0 }, { op: 'soGive', holder: 50, to: 2 }, { op: 'giveSend', holder: 30, to: 3 },
      { op: 'giveSend', holder: 23, to: 2 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 8, to: 2 },
      { op: 'data', holder: 3 }, { op: 'drop', holder: 41 }, { op: 'data', holder: 1 },
      { op: 'soGive', holder: 23, to: 1 }, { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 28, to: 3 },
      { op: 'data', holder: 28 }, { op: 'giftVia', holder: 24, via: 11, receive: true }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 32, to: 0 }, { op: 'giveSend', holder: 3, to: 3 }, { op: 'steps', n: 7 },
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 3, to: 3 },
      { op: 'giftVia', holder: 61, via: 0, receive: false }, { op: 'giftVia', holder: 40, via: 51, receive: false },
      { op: 'drop', holder: 20 }, { op: 'newPort', node: 2 }, { op: 'drop', holder: 12 },
      { op: 'soUse', holder: 39, destroy: false }, { op: 'soUse', holder: 62, destroy: false },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 6 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 61, to: 1 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 10, to: 1 }, { op: 'giveSend', holder: 49, to: 2 }, { op: 'destroy', holder: 40 },
      { op: 'soGive', holder: 25, to: 1 }, { op: 'soGive', holder: 40, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 10 }, { op: 'steps', n: 4 }, { op: 'drop', holder: 52 }, { op: 'drop', holder: 49 },
      { op: 'giveReceive', holder: 28, to: 1 }, { op: 'soGive', holder: 35, to: 2 }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 9, to: 3 }, { op: 'giveSend', holder: 63, to: 1 }, { op: 'destroy', holder: 1 },
      { op: 'giveReceive', holder: 50, to: 0 }, { op: 'soUse', holder: 42, destroy: true },
      { op: 'destroy', holder: 49 }, { op: 'giveReceive', holder: 59, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 4 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 2 },
      { op: 'soUse', holder: 15, destroy: true }, { op: 'newPort', node: 2 }, { op: 'steps', n: 3 },
      { op: 'newPort', node: 2 }, { op: 'soUse', holder: 26, destroy: false }, { op: 'steps', n: 1 },
      { op: 'drop', holder: 11 }, { op: 'giveSend', holder: 32, to: 2 }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 1 }, { op: 'data', holder: 36 }, { op: 'giftVia', holder: 56, via: 47, receive: false },
      { op: 'data', holder: 7 }, { op: 'giveReceive', holder: 10, to: 3 }, { op: 'data', holder: 60 },
      { op: 'data', holder: 50 }, { op: 'giftVia', holder: 30, via: 37, receive: true },
      { op: 'giftVia', holder: 0, via: 59, receive: true }, { op: 'data', holder: 36 }, { op: 'destroy', holder: 7 },
      { op: 'giftVia', holder: 8, via: 25, receive: true },
    ];
    expect(runSchedule(3, 44000151, ops, { loss: false }).violations).toEqual([]);
  });

  it('44000151 as numbered (`--held-rights --send-once --relink`, 3 nodes, links live)', () => {
    expect(runSchedule(3, 44000151, randomOps(44000151, 320, false, true, true, true), { loss: false }).violations).toEqual([]);
  });

  // Port 1:4 goes 1 → 3 → 2 with one send-once right made at node 1
  // unused: node 3 keeps a relay for it (upstream link 1, route 2). Node 1
  // then sends node 3 a send right to the port, so node 3 has a proxy for
  // it too, routed to node 1, counting no send-once rights. The late
  // message from node 1 went on that proxy's route, back to node 1 (and on
  // to the port from there), and the relay waited for ever.
  it('a late send-once message from a relay upstream passes a proxy that counts none (48000196, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 37, to: 3 }, { op: 'steps', n: 1 },
      { op: 'destroy', holder: 51 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 46, to: 0 }, { op: 'soGive', holder: 14, to: 2 }, { op: 'soGive', holder: 13, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 63 },
      { op: 'soGive', holder: 14, to: 0 }, { op: 'steps', n: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 37, to: 3 }, { op: 'steps', n: 4 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 53, to: 1 }, { op: 'steps', n: 5 }, { op: 'newPort', node: 2 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 50, to: 3 },
      { op: 'destroy', holder: 52 }, { op: 'soUse', holder: 29, destroy: false }, { op: 'steps', n: 10 },
      { op: 'giftVia', holder: 41, via: 62, receive: true }, { op: 'destroy', holder: 15 },
      { op: 'giftVia', holder: 17, via: 63, receive: true }, { op: 'soGive', holder: 6, to: 1 },
      { op: 'data', holder: 34 }, { op: 'newPort', node: 3 }, { op: 'soUse', holder: 37, destroy: false },
      { op: 'giveSend', holder: 16, to: 1 }, { op: 'giftVia', holder: 10, via: 61, receive: false },
      { op: 'steps', n: 9 }, { op: 'data', holder: 6 }, { op: 'giftVia', holder: 54, via: 34, receive: true },
      { op: 'destroy', holder: 53 }, { op: 'drop', holder: 21 }, { op: 'destroy', holder: 34 },
      { op: 'giveSend', holder: 22, to: 1 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 },
      { op: 'drop', holder: 53 }, { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 11, to: 3 },
      { op: 'destroy', holder: 21 }, { op: 'soGive', holder: 13, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 48, to: 1 }, { op: 'giveSend', holder: 32, to: 2 }, { op: 'steps', n: 7 },
      { op: 'steps', n: 6 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 2 },
      { op: 'soUse', holder: 63, destroy: false }, { op: 'steps', n: 11 }, { op: 'drop', holder: 41 },
      { op: 'giveSend', holder: 1, to: 3 }, { op: 'giveSend', holder: 42, to: 1 },
      { op: 'soGive', holder: 51, to: 0 }, { op: 'soGive', holder: 7, to: 1 }, { op: 'newPort', node: 0 },
      { op: 'steps', n: 11 }, { op: 'steps', n: 4 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 10 },
      { op: 'destroy', holder: 4 }, { op: 'soGive', holder: 33, to: 0 }, { op: 'giveSend', holder: 58, to: 3 },
      { op: 'destroy', holder: 2 }, { op: 'steps', n: 10 }, { op: 'giftVia', holder: 4, via: 16, receive: true },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 52, via: 45, receive: true },
      { op: 'giveSend', holder: 39, to: 2 }, { op: 'giveReceive', holder: 38, to: 1 }, { op: 'data', holder: 4 },
      { op: 'data', holder: 42 }, { op: 'giftVia', holder: 15, via: 61, receive: false },
      { op: 'soGive', holder: 51, to: 2 }, { op: 'giveSend', holder: 12, to: 2 },
      { op: 'soUse', holder: 41, destroy: true }, { op: 'giftVia', holder: 31, via: 15, receive: true },
      { op: 'giftVia', holder: 60, via: 1, receive: true }, { op: 'steps', n: 11 },
      { op: 'giveSend', holder: 39, to: 3 }, { op: 'data', holder: 41 },
      { op: 'giftVia', holder: 56, via: 22, receive: true }, { op: 'giftVia', holder: 52, via: 60, receive: true },
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 53, to: 0 }, { op: 'drop', holder: 11 },
      { op: 'data', holder: 14 }, { op: 'newPort', node: 2 }, { op: 'data', holder: 40 }, { op: 'steps', n: 3 },
      { op: 'steps', n: 9 }, { op: 'soGive', holder: 30, to: 2 }, { op: 'soGive', holder: 43, to: 3 },
      { op: 'giveSend', holder: 11, to: 0 }, { op: 'giveReceive', holder: 33, to: 1 },
      { op: 'giveSend', holder: 5, to: 2 }, { op: 'data', holder: 3 }, { op: 'giveReceive', holder: 19, to: 0 },
      { op: 'soUse', holder: 5, destroy: false }, { op: 'soUse', holder: 60, destroy: false },
      { op: 'soUse', holder: 42, destroy: false }, { op: 'data', holder: 49 }, { op: 'newPort', node: 0 },
      { op: 'soUse', holder: 25, destroy: true }, { op: 'giveReceive', holder: 59, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 }, { op: 'soGive', holder: 24, to: 0 },
      { op: 'soGive', holder: 1, to: 1 }, { op: 'soUse', holder: 7, destroy: true },
      { op: 'soGive', holder: 31, to: 3 }, { op: 'giveSend', holder: 53, to: 2 }, { op: 'drop', holder: 23 },
      { op: 'giveSend', holder: 25, to: 1 }, { op: 'newPort', node: 1 }, { op: 'data', holder: 28 },
      { op: 'giftVia', holder: 1, via: 25, receive: true }, { op: 'giveSend', holder: 56, to: 2 },
      { op: 'giftVia', holder: 20, via: 13, receive: true }, { op: 'newPort', node: 0 },
      { op: 'soUse', holder: 37, destroy: false }, { op: 'giftVia', holder: 5, via: 39, receive: false },
    ];
    expect(runSchedule(3, 48000196, ops, { loss: false }).violations).toEqual([]);
  });

  it('48000196 as numbered (`--held-rights --send-once --relink`, 3 nodes, links live)', () => {
    expect(runSchedule(3, 48000196, randomOps(48000196, 320, false, true, true, true), { loss: false }).violations).toEqual([]);
  });

  // Port 2:2 goes 2 → 3 → 4 → 3 with one send-once right made at node 2:
  // node 3 keeps a relay for it (upstream link 2), and the right is back
  // at node 3, waiting for its FLUSH, when the reply comes from node 2 and
  // is held. Then link 2-3 dies: the relay made its one late message as a
  // SEND_ONCE notification although that message had come (held), and the
  // port got both, two messages for one send-once right.
  it('a relay whose upstream dies makes no lost message for one held here (45000212, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 53, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 32, to: 3 }, { op: 'giveReceive', holder: 21, to: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 35, to: 2 }, { op: 'steps', n: 3 },
      { op: 'soGive', holder: 29, to: 1 }, { op: 'steps', n: 1 }, { op: 'giveReceive', holder: 27, to: 2 },
      { op: 'steps', n: 5 }, { op: 'giveSend', holder: 26, to: 1 }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 62, to: 1 }, { op: 'giveSend', holder: 46, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'cut', a: 2, b: 0 }, { op: 'giveReceive', holder: 35, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 47, to: 1 }, { op: 'giveSend', holder: 53, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 62, to: 3 }, { op: 'newPort', node: 3 }, { op: 'soGive', holder: 28, to: 2 },
      { op: 'destroy', holder: 63 }, { op: 'steps', n: 10 }, { op: 'soGive', holder: 47, to: 3 },
      { op: 'giftVia', holder: 43, via: 27, receive: true }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 15, to: 1 }, { op: 'drop', holder: 60 }, { op: 'steps', n: 8 },
      { op: 'giftVia', holder: 22, via: 56, receive: true }, { op: 'steps', n: 9 },
      { op: 'giftVia', holder: 19, via: 27, receive: true }, { op: 'destroy', holder: 31 },
      { op: 'soGive', holder: 41, to: 1 }, { op: 'steps', n: 4 }, { op: 'drop', holder: 61 },
      { op: 'newPort', node: 3 }, { op: 'soUse', holder: 58, destroy: false },
      { op: 'soUse', holder: 48, destroy: true }, { op: 'giveSend', holder: 41, to: 2 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 51, to: 0 }, { op: 'steps', n: 5 },
      { op: 'soUse', holder: 47, destroy: false }, { op: 'giveSend', holder: 25, to: 2 },
      { op: 'destroy', holder: 33 }, { op: 'soGive', holder: 44, to: 2 }, { op: 'giveSend', holder: 27, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 18, to: 2 }, { op: 'newPort', node: 3 },
      { op: 'soUse', holder: 6, destroy: true }, { op: 'destroy', holder: 55 }, { op: 'steps', n: 1 },
      { op: 'steps', n: 10 }, { op: 'soGive', holder: 63, to: 2 }, { op: 'giveSend', holder: 17, to: 1 },
      { op: 'giveReceive', holder: 16, to: 0 }, { op: 'soGive', holder: 25, to: 2 },
      { op: 'soGive', holder: 31, to: 0 }, { op: 'giveSend', holder: 1, to: 1 }, { op: 'steps', n: 11 },
      { op: 'data', holder: 12 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 11, to: 2 },
      { op: 'giftVia', holder: 32, via: 34, receive: true }, { op: 'giveSend', holder: 20, to: 3 },
      { op: 'soGive', holder: 39, to: 2 }, { op: 'giveReceive', holder: 11, to: 2 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 }, { op: 'soUse', holder: 7, destroy: false },
      { op: 'giftVia', holder: 48, via: 28, receive: true }, { op: 'cut', a: 0, b: 3 },
      { op: 'giftVia', holder: 26, via: 6, receive: true }, { op: 'giftVia', holder: 31, via: 15, receive: false },
      { op: 'soGive', holder: 34, to: 2 }, { op: 'giftVia', holder: 54, via: 58, receive: true },
      { op: 'steps', n: 3 }, { op: 'giftVia', holder: 20, via: 34, receive: true },
      { op: 'giftVia', holder: 0, via: 43, receive: true }, { op: 'soGive', holder: 36, to: 1 },
      { op: 'steps', n: 3 }, { op: 'cut', a: 1, b: 2 },
    ];
    expect(runSchedule(4, 45000212, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  it('45000212 as numbered (`--held-rights --send-once --defer-send-once`, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 45000212, randomOps(45000212, 320, true, true, true), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  // Port 3:1 goes 3 → 4 → 1; node 1 had a proxy for it routed to node 3,
  // and link 3-4 dies while the right waits at node 1 for its FLUSH (gone
  // to node 3). Node 3's DEAD makes the doomed proxy a fresh port for the
  // right in hand; a second DEAD from node 3, the answer to a message node
  // 1 had sent it for the port, then killed that fresh entry with what was
  // held for it (another port's receive right among them): NO SENDERS
  // lost. A shrink on the next build (21 ops, below): the marker came
  // back first, so the entry, not migrating, was killed by the first
  // DEAD although the right was in hand (in the gate).
  it('a DEAD from a dead chain after the right in hand was put on a fresh port kills nothing (42000161, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 47, to: 0 }, { op: 'steps', n: 3 },
      { op: 'giveSend', holder: 42, to: 3 }, { op: 'giveReceive', holder: 56, to: 3 }, { op: 'steps', n: 3 },
      { op: 'data', holder: 62 }, { op: 'giveSend', holder: 61, to: 1 }, { op: 'steps', n: 11 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 34, to: 0 },
      { op: 'data', holder: 29 }, { op: 'steps', n: 10 }, { op: 'data', holder: 25 },
      { op: 'giftVia', holder: 57, via: 51, receive: true }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 31, via: 21, receive: true }, { op: 'data', holder: 61 },
      { op: 'giftVia', holder: 15, via: 63, receive: true }, { op: 'steps', n: 5 }, { op: 'data', holder: 18 },
      { op: 'giveSend', holder: 12, to: 2 }, { op: 'giveSend', holder: 51, to: 1 }, { op: 'data', holder: 8 },
      { op: 'cut', a: 3, b: 2 }, { op: 'data', holder: 28 },
    ];
    expect(runSchedule(4, 42000161, ops, { loss: true }).violations).toEqual([]);
  });

  it('a DEAD from its route kills no entry whose receive right is in hand after its marker came back (42000161, second shrink)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 47, to: 0 }, { op: 'steps', n: 3 },
      { op: 'giveSend', holder: 42, to: 3 }, { op: 'giveReceive', holder: 56, to: 3 }, { op: 'steps', n: 3 },
      { op: 'data', holder: 62 }, { op: 'giveSend', holder: 61, to: 1 }, { op: 'steps', n: 11 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 34, to: 0 }, { op: 'data', holder: 29 },
      { op: 'steps', n: 10 }, { op: 'giftVia', holder: 57, via: 51, receive: true }, { op: 'steps', n: 7 },
      { op: 'newPort', node: 3 }, { op: 'data', holder: 61 }, { op: 'giftVia', holder: 15, via: 63, receive: true },
      { op: 'steps', n: 2 }, { op: 'giveSend', holder: 51, to: 1 }, { op: 'cut', a: 3, b: 2 },
    ];
    expect(runSchedule(4, 42000161, ops, { loss: true }).violations).toEqual([]);
  });

  it('42000161 as numbered (`--held-rights --relink`, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 42000161, randomOps(42000161, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });
});
