import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A migration whose route died (PROTOCOL.md §4.5, "A migration whose route
 * died"; §9, 2026-11-30/12-01 task N2): the new home's FLUSH went up its
 * route to node F and the link to F was lost. The marker it re-sent straight
 * to the node the right came from was returned at once, while messages F
 * had forwarded before the loss were still on their way there on another
 * link, and the new home delivered its younger messages first (per-port
 * FIFO). Now the re-sent marker names F (`via`, protocol version 3) and that
 * node passes it to F (or asks a neighbour with a link to F to), which
 * sends it down its own route behind them. Each schedule pinned as
 * numbered (`simulate --schedule NUM --length 320 MODE`) and as shrunk on
 * 9e6c3f5 (`shrink --schedule NUM --length 320 MODE --match FIFO`), and
 * 55000257 also shrunk against the direct pass alone; all seven fail on
 * 9e6c3f5's sources, and 55000257 as numbered and that second shrink also
 * with the direct pass alone, without the neighbour (checked).
 */
describe('a migration whose route died', () => {
  // Port 1:1 is home at node 1; node 2's proxy for it is routed to node 3,
  // and node 2's m0 goes 2 -> 3 -> 1. The receive right reaches node 2,
  // whose marker goes to node 3; link 2-3 dies, node 2 re-sends its marker
  // to node 1 naming node 3, node 1 passes it to node 3, which sends it back
  // on link 3 -> 1 behind m0 (returned at once before: m1 was delivered
  // ahead of m0, "0 after 1").
  it('the old home passes the re-sent marker to the lost link\'s far end (42000194, shrunk)', () => {
    const ops: Op[] = [
      { op: "newPort", node: 0 }, { op: "newPort", node: 3 }, { op: "newPort", node: 0 },
      { op: "giveReceive", holder: 29, to: 2 }, { op: "steps", n: 9 }, { op: "giveSend", holder: 15, to: 2 },
      { op: "steps", n: 2 }, { op: "giveReceive", holder: 58, to: 1 },
      { op: "giveReceive", holder: 44, to: 1 }, { op: "giveSend", holder: 57, to: 0 },
      { op: "giftVia", holder: 22, via: 24, receive: true }, { op: "data", holder: 22 },
      { op: "giveSend", holder: 7, to: 0 }, { op: "steps", n: 3 }, { op: "giveSend", holder: 1, to: 1 },
      { op: "data", holder: 32 }, { op: "steps", n: 6 }, { op: "steps", n: 10 }, { op: "data", holder: 38 },
      { op: "steps", n: 10 }, { op: "data", holder: 19 }, { op: "cut", a: 2, b: 1 },
    ];
    expect(runSchedule(4, 42000194, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  it('42000194 as numbered (`--held-rights --send-once --defer-send-once`, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 42000194, randomOps(42000194, 320, true, true, true, false), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  // The receive right of port 1:1 goes from node 1 to node 3, whose proxy
  // was routed through node 2 (node 3's messages 1 and 2 went 3 -> 2 -> 1);
  // link 2-3 is lost, node 3's marker goes to node 1 naming node 2, and
  // node 1 passes it to node 2, which returns it on link 2 -> 1 behind them
  // (returned at once before: "1 after 8", shrunk "0 after 2").
  it('a new home whose route died gets its marker back behind what the route forwarded (62000206, shrunk)', () => {
    const ops: Op[] = [
      { op: "newPort", node: 1 }, { op: "giveReceive", holder: 6, to: 0 }, { op: "steps", n: 7 },
      { op: "giveSend", holder: 56, to: 1 }, { op: "steps", n: 4 }, { op: "data", holder: 43 },
      { op: "steps", n: 3 }, { op: "newPort", node: 2 }, { op: "data", holder: 31 },
      { op: "giveSend", holder: 25, to: 2 }, { op: "newPort", node: 3 }, { op: "newPort", node: 0 },
      { op: "newPort", node: 0 }, { op: "data", holder: 48 }, { op: "giveReceive", holder: 6, to: 1 },
      { op: "steps", n: 8 }, { op: "data", holder: 25 }, { op: "data", holder: 49 },
      { op: "newPort", node: 3 }, { op: "giveSend", holder: 5, to: 0 },
      { op: "giftVia", holder: 17, via: 39, receive: true }, { op: "giveSend", holder: 41, to: 2 },
      { op: "data", holder: 18 }, { op: "newPort", node: 0 }, { op: "steps", n: 3 },
      { op: "newPort", node: 1 }, { op: "data", holder: 0 }, { op: "giveSend", holder: 21, to: 1 },
      { op: "giveSend", holder: 43, to: 3 }, { op: "destroy", holder: 32 }, { op: "steps", n: 7 },
      { op: "steps", n: 9 }, { op: "giveReceive", holder: 60, to: 2 }, { op: "data", holder: 27 },
      { op: "destroy", holder: 6 }, { op: "data", holder: 13 }, { op: "steps", n: 8 },
      { op: "cut", a: 2, b: 1 },
    ];
    expect(runSchedule(4, 62000206, ops, { loss: true }).violations).toEqual([]);
  });

  it('62000206 as numbered (`--held-rights --relink`, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 62000206, randomOps(62000206, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });
  // Port 4:3 is home at node 4; node 1's m0 goes 1 -> 2 -> 3 -> 4. Links
  // 2-4 and 1-3 are lost; the receive right reaches node 1, whose marker
  // goes to node 2; link 1-2 dies, node 1 re-sends its marker to node 4
  // naming node 2. Node 4 has no link to node 2: it asks its neighbour
  // node 3, which passes the marker to node 2, and node 2 sends it down its
  // route (node 3, node 4) behind m0 (returned at once before: "0 after 2",
  // shrunk "0 after 1"; traced on the numbered schedule, which fails with
  // the direct pass alone).
  it('the re-sent marker comes back behind what the far end forwarded (55000257, shrunk on 9e6c3f5: the direct pass suffices there)', () => {
    const ops: Op[] = [
      { op: "newPort", node: 3 }, { op: "newPort", node: 3 }, { op: "soGive", holder: 54, to: 0 },
      { op: "steps", n: 3 }, { op: "soUse", holder: 63, destroy: false }, { op: "destroy", holder: 6 },
      { op: "giveReceive", holder: 1, to: 0 }, { op: "steps", n: 7 }, { op: "steps", n: 7 },
      { op: "steps", n: 2 }, { op: "giveSend", holder: 24, to: 2 }, { op: "giveReceive", holder: 26, to: 2 },
      { op: "newPort", node: 3 }, { op: "giveSend", holder: 54, to: 2 }, { op: "steps", n: 9 },
      { op: "data", holder: 7 }, { op: "soGive", holder: 26, to: 0 }, { op: "giveSend", holder: 25, to: 1 },
      { op: "giveSend", holder: 19, to: 3 }, { op: "newPort", node: 1 }, { op: "giveSend", holder: 26, to: 3 },
      { op: "newPort", node: 3 }, { op: "cut", a: 0, b: 2 }, { op: "soGive", holder: 12, to: 2 },
      { op: "steps", n: 7 }, { op: "giveSend", holder: 59, to: 0 }, { op: "data", holder: 30 },
      { op: "giveSend", holder: 29, to: 0 }, { op: "giveReceive", holder: 4, to: 0 },
      { op: "giveSend", holder: 41, to: 0 }, { op: "soUse", holder: 52, destroy: true },
      { op: "giveSend", holder: 35, to: 0 }, { op: "giftVia", holder: 60, via: 40, receive: true },
      { op: "steps", n: 7 }, { op: "giftVia", holder: 30, via: 45, receive: true }, { op: "steps", n: 4 },
      { op: "data", holder: 42 }, { op: "steps", n: 5 }, { op: "data", holder: 41 },
      { op: "newPort", node: 3 }, { op: "giftVia", holder: 41, via: 34, receive: true },
      { op: "giveSend", holder: 34, to: 1 }, { op: "steps", n: 11 }, { op: "data", holder: 53 },
      { op: "newPort", node: 3 }, { op: "giftVia", holder: 38, via: 28, receive: true }, { op: "steps", n: 3 },
      { op: "data", holder: 25 }, { op: "newPort", node: 2 }, { op: "newPort", node: 0 },
      { op: "data", holder: 53 }, { op: "giveSend", holder: 25, to: 3 }, { op: "newPort", node: 2 },
      { op: "newPort", node: 0 }, { op: "data", holder: 41 }, { op: "steps", n: 3 },
      { op: "newPort", node: 2 }, { op: "giftVia", holder: 10, via: 44, receive: true },
      { op: "newPort", node: 1 }, { op: "giftVia", holder: 22, via: 35, receive: true },
      { op: "soGive", holder: 4, to: 1 }, { op: "giftVia", holder: 61, via: 30, receive: false },
      { op: "newPort", node: 1 }, { op: "data", holder: 8 }, { op: "destroy", holder: 2 },
      { op: "giftVia", holder: 16, via: 39, receive: true },
      { op: "giftVia", holder: 5, via: 38, receive: true },
      { op: "giftVia", holder: 10, via: 57, receive: true }, { op: "data", holder: 61 },
      { op: "giftVia", holder: 50, via: 15, receive: true }, { op: "cut", a: 0, b: 1 },
    ];
    expect(runSchedule(4, 55000257, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  // The same schedule shrunk against the direct pass alone (the neighbour
  // step disabled): the node the right came from has no link to the far
  // end here, and only the neighbour it asks reaches it.
  it('without a link to the far end, the node the right came from asks a neighbour to pass the marker there (55000257, shrunk)', () => {
    const ops: Op[] = [
      { op: "newPort", node: 3 }, { op: "newPort", node: 3 }, { op: "soGive", holder: 54, to: 0 },
      { op: "steps", n: 3 }, { op: "soUse", holder: 63, destroy: false }, { op: "destroy", holder: 6 },
      { op: "giveReceive", holder: 1, to: 0 }, { op: "steps", n: 7 }, { op: "steps", n: 7 },
      { op: "steps", n: 2 }, { op: "giveSend", holder: 24, to: 2 }, { op: "giveReceive", holder: 26, to: 2 },
      { op: "newPort", node: 3 }, { op: "giveSend", holder: 54, to: 2 }, { op: "cut", a: 1, b: 3 },
      { op: "steps", n: 9 }, { op: "data", holder: 7 }, { op: "soGive", holder: 26, to: 0 },
      { op: "giveSend", holder: 25, to: 1 }, { op: "giveSend", holder: 19, to: 3 }, { op: "newPort", node: 1 },
      { op: "giveSend", holder: 26, to: 3 }, { op: "newPort", node: 3 }, { op: "cut", a: 0, b: 2 },
      { op: "soGive", holder: 12, to: 2 }, { op: "steps", n: 7 }, { op: "giveSend", holder: 59, to: 0 },
      { op: "data", holder: 30 }, { op: "giveSend", holder: 29, to: 0 },
      { op: "giveReceive", holder: 4, to: 0 }, { op: "giveSend", holder: 41, to: 0 },
      { op: "soUse", holder: 52, destroy: true }, { op: "giveSend", holder: 35, to: 0 },
      { op: "giftVia", holder: 60, via: 40, receive: true }, { op: "steps", n: 7 },
      { op: "giftVia", holder: 30, via: 45, receive: true }, { op: "steps", n: 4 }, { op: "data", holder: 42 },
      { op: "steps", n: 5 }, { op: "data", holder: 41 }, { op: "newPort", node: 3 },
      { op: "giftVia", holder: 41, via: 34, receive: true }, { op: "giveSend", holder: 34, to: 1 },
      { op: "steps", n: 11 }, { op: "data", holder: 53 }, { op: "newPort", node: 3 },
      { op: "giftVia", holder: 38, via: 28, receive: true }, { op: "steps", n: 3 }, { op: "data", holder: 25 },
      { op: "newPort", node: 2 }, { op: "newPort", node: 0 }, { op: "data", holder: 53 },
      { op: "giveSend", holder: 25, to: 3 }, { op: "newPort", node: 2 }, { op: "newPort", node: 0 },
      { op: "data", holder: 41 }, { op: "steps", n: 3 }, { op: "newPort", node: 2 },
      { op: "giftVia", holder: 10, via: 44, receive: true }, { op: "newPort", node: 1 },
      { op: "giftVia", holder: 22, via: 35, receive: true }, { op: "soGive", holder: 4, to: 1 },
      { op: "giftVia", holder: 61, via: 30, receive: false }, { op: "newPort", node: 1 },
      { op: "data", holder: 8 }, { op: "destroy", holder: 2 },
      { op: "giftVia", holder: 16, via: 39, receive: true },
      { op: "giftVia", holder: 5, via: 38, receive: true },
      { op: "giftVia", holder: 10, via: 57, receive: true }, { op: "data", holder: 61 },
      { op: "giftVia", holder: 50, via: 15, receive: true }, { op: "cut", a: 0, b: 1 },
    ];
    expect(runSchedule(4, 55000257, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  it('55000257 as numbered (`--held-rights --send-once --defer-send-once`, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 55000257, randomOps(55000257, 320, true, true, true, false), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });
});
