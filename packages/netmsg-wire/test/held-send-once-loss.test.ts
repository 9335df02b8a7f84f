import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Send-once rights made before a receive right moved, whose late messages a
 * link loss made impossible (PROTOCOL.md §4.5, link loss): each must still
 * give the port exactly one message (a SEND_ONCE notification), never none.
 * The schedules the held-rights sweeps found (`simulate --held-rights
 * --send-once [--defer-send-once]`, 4 nodes, link loss), shrunk and
 * numbered; each fails on the code before 2026-11-30 (task C) with
 * "N send-once rights made, 0 messages through send-once rights".
 */

const soLoss = (defer: boolean) => ({ loss: true, ...(defer ? { deferSendOnce: true } : {}) });
const numbered = (seed: number, length: number, defer: boolean) => runSchedule(4, seed, randomOps(seed, length, true, true, true), soLoss(defer)).violations;

describe('late send-once messages lost with a link still reach the port (§4.5)', () => {
  it("a send-once relay whose upstream link died makes its lost messages, which pass a relay in proxy form (33000173, shrunk)", () => {
    // Port 3:5's right went node 3 -> node 2 (a send-once relay) -> node 4,
    // which passed it on to node 3 (a relay in its proxy form, its local
    // senders still there). The link 2-3 died: node 2's relay sent DEAD on
    // to node 4, whose proxy form did not pass it on, and the pool node 3
    // made for the late message waited for ever. Now node 2 makes the lost
    // message as a SEND_ONCE notification on its relay port: it goes round
    // as the late message would have.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 18, to: 2 },
      { op: 'soGive', holder: 0, to: 0 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 58, to: 3 },
      { op: 'destroy', holder: 31 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 60, to: 0 },
      { op: 'giveSend', holder: 42, to: 2 }, { op: 'soGive', holder: 17, to: 3 }, { op: 'newPort', node: 2 },
      { op: 'soGive', holder: 25, to: 3 }, { op: 'steps', n: 5 }, { op: 'giveReceive', holder: 27, to: 1 },
      { op: 'giftVia', holder: 19, via: 36, receive: true }, { op: 'newPort', node: 0 }, { op: 'soGive', holder: 33, to: 2 },
      { op: 'steps', n: 7 }, { op: 'destroy', holder: 54 }, { op: 'soUse', holder: 20, destroy: false },
      { op: 'soUse', holder: 15, destroy: false }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 63 }, { op: 'soGive', holder: 59, to: 0 }, { op: 'giveReceive', holder: 45, to: 0 },
      { op: 'data', holder: 22 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 17, via: 8, receive: true }, { op: 'steps', n: 3 }, { op: 'giveReceive', holder: 41, to: 3 },
      { op: 'soUse', holder: 50, destroy: true }, { op: 'giftVia', holder: 28, via: 2, receive: true },
      { op: 'data', holder: 21 }, { op: 'data', holder: 41 }, { op: 'giveReceive', holder: 3, to: 2 }, { op: 'cut', a: 1, b: 2 },
    ];
    expect(runSchedule(4, 33000173, ops, soLoss(false)).violations).toEqual([]);
  });

  it('a right whose late messages were lost while it waited here passes on with them made (33000173, shrunk and numbered)', () => {
    // Port 3:4's right came to node 4 from node 2 (a relay for node 3) and
    // waited there for another port; node 2's DEAD (the link 2-3 died)
    // marked it (soLost), then the right went on to node 3 in that port's
    // drain: the mark was dropped and node 3's pool waited for ever. Now
    // node 4 makes the lost messages on its port as the right leaves.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 18, to: 2 },
      { op: 'soGive', holder: 0, to: 0 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 58, to: 3 },
      { op: 'soGive', holder: 57, to: 2 }, { op: 'destroy', holder: 31 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 60, to: 0 }, { op: 'giveSend', holder: 42, to: 2 }, { op: 'soGive', holder: 17, to: 3 },
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 25, to: 3 }, { op: 'steps', n: 5 }, { op: 'newPort', node: 2 },
      { op: 'destroy', holder: 8 }, { op: 'giveReceive', holder: 27, to: 1 },
      { op: 'giftVia', holder: 19, via: 36, receive: true }, { op: 'newPort', node: 0 }, { op: 'soGive', holder: 33, to: 2 },
      { op: 'steps', n: 7 }, { op: 'destroy', holder: 54 }, { op: 'soUse', holder: 20, destroy: false },
      { op: 'soUse', holder: 15, destroy: false }, { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 27, to: 3 },
      { op: 'data', holder: 50 }, { op: 'newPort', node: 2 }, { op: 'data', holder: 63 }, { op: 'soGive', holder: 59, to: 0 },
      { op: 'giveReceive', holder: 45, to: 0 }, { op: 'giftVia', holder: 21, via: 61, receive: true },
      { op: 'data', holder: 22 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 17, via: 8, receive: true },
      { op: 'soUse', holder: 48, destroy: false }, { op: 'steps', n: 6 }, { op: 'giftVia', holder: 28, via: 2, receive: true },
      { op: 'data', holder: 41 }, { op: 'steps', n: 4 }, { op: 'cut', a: 1, b: 2 }, { op: 'giveReceive', holder: 3, to: 2 },
    ];
    expect(runSchedule(4, 33000173, ops, soLoss(false)).violations).toEqual([]);
    expect(numbered(33000173, 160, false)).toEqual([]);
  });

  it("a relay's lost messages cannot overtake the message carrying the right (8000068, shrunk and numbered)", () => {
    // Port 2:2's right passed through node 1 at once (a relay in proxy
    // form, upstream node 2) towards node 3, the carrying message waiting
    // for credit on its own port. The link 1-2 died: node 1's DEAD went
    // ahead of the carrying message, node 3 did not yet hold the right and
    // ignored it, and its pool waited for ever. Now node 1 makes the lost
    // message on its port: it follows the carrying message.
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 53, to: 2 },
      { op: 'giveSend', holder: 43, to: 2 }, { op: 'soGive', holder: 40, to: 1 }, { op: 'steps', n: 2 },
      { op: 'data', holder: 63 }, { op: 'steps', n: 5 }, { op: 'data', holder: 47 }, { op: 'giveSend', holder: 60, to: 1 },
      { op: 'data', holder: 6 }, { op: 'drop', holder: 20 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 },
      { op: 'soUse', holder: 31, destroy: false }, { op: 'soGive', holder: 32, to: 2 }, { op: 'soGive', holder: 49, to: 2 },
      { op: 'destroy', holder: 50 }, { op: 'steps', n: 4 }, { op: 'steps', n: 2 }, { op: 'giveReceive', holder: 44, to: 2 },
      { op: 'steps', n: 4 }, { op: 'data', holder: 30 }, { op: 'giftVia', holder: 43, via: 0, receive: true },
      { op: 'steps', n: 11 }, { op: 'steps', n: 11 }, { op: 'cut', a: 0, b: 1 },
    ];
    expect(runSchedule(4, 8000068, ops, soLoss(true)).violations).toEqual([]);
    expect(numbered(8000068, 320, true)).toEqual([]);
  });

  it("a relay's lost messages pass the next relay, which the right already left (19000092, shrunk and numbered)", () => {
    // Port 2:3's right went node 2 -> node 3 -> node 4 -> node 1; the link
    // 2-3 died, and node 3's DEAD reached node 4 after the right had passed
    // on (node 4 a relay in its proxy form), which kept it: node 1's pool
    // waited for ever.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 45, to: 0 }, { op: 'steps', n: 2 },
      { op: 'soUse', holder: 7, destroy: true }, { op: 'steps', n: 6 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 39, to: 1 }, { op: 'soGive', holder: 47, to: 3 }, { op: 'soGive', holder: 25, to: 3 },
      { op: 'giveReceive', holder: 3, to: 3 }, { op: 'steps', n: 9 }, { op: 'soGive', holder: 54, to: 0 },
      { op: 'giveSend', holder: 51, to: 2 }, { op: 'destroy', holder: 8 }, { op: 'newPort', node: 2 },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 10, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 18, to: 1 },
      { op: 'giveReceive', holder: 30, to: 3 }, { op: 'steps', n: 4 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 45, to: 3 }, { op: 'steps', n: 9 }, { op: 'steps', n: 1 }, { op: 'soGive', holder: 61, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'soGive', holder: 38, to: 2 }, { op: 'giveReceive', holder: 16, to: 0 },
      { op: 'drop', holder: 53 }, { op: 'cut', a: 0, b: 1 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 24, via: 49, receive: true }, { op: 'steps', n: 7 }, { op: 'giveReceive', holder: 51, to: 1 },
      { op: 'soUse', holder: 57, destroy: true }, { op: 'giveReceive', holder: 10, to: 2 }, { op: 'steps', n: 6 },
      { op: 'giveReceive', holder: 19, to: 0 }, { op: 'cut', a: 1, b: 2 },
    ];
    expect(runSchedule(4, 19000092, ops, soLoss(true)).violations).toEqual([]);
    expect(numbered(19000092, 320, true)).toEqual([]);
  });

  it('a relay whose upstream link died is kept as a send-once relay when collected, so its lost messages go on (5000053, shrunk and numbered)', () => {
    // Port 4:1's right went node 4 -> node 3 (a relay) -> node 1, whose
    // entry for the port was routed to node 4. The link 3-4 died: node 3's
    // DEAD reached node 1 from a link other than its route and was ignored,
    // and node 1's pool waited for ever. Now node 3 makes the lost message
    // on its port; when its proxy is then collected, it stays a send-once
    // relay until that message went on (destroyed, the message went with it).
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 37, to: 0 },
      { op: 'soGive', holder: 2, to: 0 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 0, to: 3 },
      { op: 'giveReceive', holder: 17, to: 3 }, { op: 'soGive', holder: 7, to: 2 }, { op: 'steps', n: 7 },
      { op: 'destroy', holder: 2 }, { op: 'giftVia', holder: 17, via: 45, receive: true }, { op: 'data', holder: 9 },
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 31, to: 1 }, { op: 'data', holder: 37 },
      { op: 'soGive', holder: 47, to: 3 }, { op: 'giveReceive', holder: 61, to: 0 }, { op: 'data', holder: 62 },
      { op: 'giveReceive', holder: 50, to: 1 }, { op: 'data', holder: 16 }, { op: 'data', holder: 32 }, { op: 'steps', n: 4 },
      { op: 'cut', a: 2, b: 3 },
    ];
    expect(runSchedule(4, 5000053, ops, soLoss(true)).violations).toEqual([]);
    expect(numbered(5000053, 160, true)).toEqual([]);
  });

  it('a right that goes on in the link loss that marked it lost makes its lost message once (5000053 without deferral, shrunk and numbered)', () => {
    // Port 4:1's right waited at node 3, its round out, when the link 3-4
    // it came on died: the right was marked (soLost) and went on to node 1
    // at once, a relay whose upstream was that link. Made both as the right
    // left and as the relay lost its upstream, the lost message came twice
    // (one also through a send right). This fails on no earlier commit of
    // the main line: it pins the once-per-pass rule (lostMade).
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 37, to: 0 },
      { op: 'soGive', holder: 2, to: 0 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 0, to: 3 },
      { op: 'giveReceive', holder: 17, to: 3 }, { op: 'soGive', holder: 7, to: 2 }, { op: 'steps', n: 7 },
      { op: 'destroy', holder: 2 }, { op: 'soGive', holder: 30, to: 3 }, { op: 'giftVia', holder: 17, via: 45, receive: true },
      { op: 'data', holder: 15 }, { op: 'data', holder: 9 }, { op: 'newPort', node: 0 }, { op: 'soGive', holder: 31, to: 1 },
      { op: 'steps', n: 2 }, { op: 'giveSend', holder: 54, to: 2 }, { op: 'data', holder: 37 },
      { op: 'soGive', holder: 54, to: 1 }, { op: 'soGive', holder: 47, to: 3 }, { op: 'giveReceive', holder: 61, to: 0 },
      { op: 'data', holder: 62 }, { op: 'giveReceive', holder: 50, to: 1 }, { op: 'data', holder: 16 },
      { op: 'data', holder: 32 }, { op: 'soUse', holder: 45, destroy: true }, { op: 'data', holder: 37 },
      { op: 'giveSend', holder: 39, to: 1 }, { op: 'steps', n: 6 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 11, via: 7, receive: true }, { op: 'newPort', node: 0 }, { op: 'data', holder: 48 },
      { op: 'data', holder: 42 }, { op: 'giveSend', holder: 36, to: 3 }, { op: 'giveSend', holder: 14, to: 0 },
      { op: 'data', holder: 0 }, { op: 'soUse', holder: 38, destroy: true }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 54, via: 48, receive: true }, { op: 'newPort', node: 1 }, { op: 'data', holder: 1 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 43, via: 34, receive: false },
      { op: 'giftVia', holder: 60, via: 5, receive: true }, { op: 'cut', a: 2, b: 3 }, { op: 'soGive', holder: 48, to: 1 },
    ];
    expect(runSchedule(4, 5000053, ops, soLoss(false)).violations).toEqual([]);
    expect(numbered(5000053, 160, false)).toEqual([]);
  });
});
