import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * `5000038` (`simulate --held-rights --send-once --relink`, 4 nodes, link
 * loss, length 320): "port 2: 1 send-once rights made, 0 messages through
 * send-once rights". Shrunk, it needs no relink, one cut. Node 4 moved its
 * port P (one send-once right out, at node 1) to node 2; node 1's proxy
 * for P (routed to 4) sent P a message that node 4 held in a gate. The
 * link 4-2 was lost: node 4's proxy died (DEAD to node 1, which killed its
 * proxy) and node 2's pool made the lost right's SEND_ONCE notification,
 * sent on as the late message (§4.5). P's receive right went 2 -> 3 -> 1
 * -> 4; node 1 kept a relay for the late message, routed to 4. Then node 4
 * answered node 1's held message (no entry for P there) with a second
 * DEAD, which reached node 1's new relay and dropped it: the late message
 * was destroyed there and node 4's pool for it waited for ever. Since
 * 2026-11-30 (task F) a node that remembers the identity dead (a
 * tombstone) destroys such a message without answering DEAD: its own
 * entry announced the death on that link when it died (PROTOCOL.md §4.4).
 */

/** The first 24 operations, which both shrinks of `5000038` share. */
const SHRUNK_START: Op[] = [
  { op: 'newPort', node: 2 }, { op: 'soGive', holder: 54, to: 0 }, { op: 'newPort', node: 3 },
  { op: 'giveSend', holder: 18, to: 1 }, { op: 'soGive', holder: 34, to: 0 }, { op: 'soGive', holder: 27, to: 0 },
  { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 14, to: 0 }, { op: 'steps', n: 11 },
  { op: 'giveReceive', holder: 58, to: 0 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
  { op: 'steps', n: 9 }, { op: 'soUse', holder: 9, destroy: false }, { op: 'giveReceive', holder: 31, to: 1 },
  { op: 'soUse', holder: 12, destroy: false }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 34, to: 1 },
  { op: 'steps', n: 11 }, { op: 'giftVia', holder: 6, via: 0, receive: true }, { op: 'steps', n: 3 },
  { op: 'steps', n: 3 }, { op: 'soUse', holder: 26, destroy: true },
  { op: 'giftVia', holder: 20, via: 30, receive: true },
];

describe('a second DEAD answering an old proxy\'s message must not drop a send-once relay made since (PROTOCOL.md §4.4, §4.5, §9)', () => {
  it('the relay in proxy form (5000038, shrunk)', () => {
    const ops: Op[] = [
      ...SHRUNK_START,
      { op: 'soGive', holder: 34, to: 1 }, { op: 'giveReceive', holder: 10, to: 0 },
      { op: 'soGive', holder: 45, to: 2 }, { op: 'giftVia', holder: 10, via: 62, receive: true },
      { op: 'soGive', holder: 27, to: 0 }, { op: 'steps', n: 9 }, { op: 'giveSend', holder: 32, to: 2 },
      { op: 'giveReceive', holder: 33, to: 0 }, { op: 'steps', n: 4 }, { op: 'giveReceive', holder: 3, to: 3 },
      { op: 'cut', a: 3, b: 1 },
    ];
    expect(runSchedule(4, 5000038, ops, { loss: true }).violations).toEqual([]);
  });

  // The same with the relay collected into a send-once relay (routed to 4)
  // before the second DEAD came (shrunk from the numbered schedule).
  it('the send-once relay (5000038, shrunk another way)', () => {
    const ops: Op[] = [
      ...SHRUNK_START,
      { op: 'giveSend', holder: 19, to: 1 }, { op: 'soGive', holder: 34, to: 1 },
      { op: 'giveReceive', holder: 10, to: 0 }, { op: 'soGive', holder: 45, to: 2 },
      { op: 'giveSend', holder: 37, to: 1 }, { op: 'soGive', holder: 42, to: 1 },
      { op: 'giftVia', holder: 10, via: 62, receive: true }, { op: 'soGive', holder: 61, to: 0 },
      { op: 'soGive', holder: 27, to: 0 }, { op: 'steps', n: 9 }, { op: 'steps', n: 11 },
      { op: 'giveSend', holder: 32, to: 2 }, { op: 'giveReceive', holder: 33, to: 0 }, { op: 'steps', n: 8 },
      { op: 'data', holder: 41 }, { op: 'newPort', node: 2 }, { op: 'destroy', holder: 55 },
      { op: 'soGive', holder: 7, to: 2 }, { op: 'soGive', holder: 33, to: 3 },
      { op: 'soUse', holder: 53, destroy: true }, { op: 'giveReceive', holder: 3, to: 3 }, { op: 'steps', n: 1 },
      { op: 'drop', holder: 4 }, { op: 'data', holder: 20 }, { op: 'cut', a: 3, b: 1 },
      { op: 'soUse', holder: 58, destroy: true }, { op: 'data', holder: 8 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 12, to: 2 },
    ];
    expect(runSchedule(4, 5000038, ops, { loss: true }).violations).toEqual([]);
  });

  it('the numbered schedule (5000038 at length 320, --held-rights --send-once --relink)', () => {
    expect(runSchedule(4, 5000038, randomOps(5000038, 320, true, true, true, true), { loss: true }).violations).toEqual([]);
  });
});
