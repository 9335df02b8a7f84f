import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N25 (2026-12-02, PROTOCOL.md §4.5, §9): two schedules of seed 436
 * with --held-rights --send-once --defer-send-once (4 nodes, link loss),
 * two causes. Each test fails on 934c27a's `src/` and passes with its own
 * rule alone (checked by taking the other rule out).
 */
describe('a relay dying with its port tells its route (task N25)', () => {
  // 436001313 (--held-rights --send-once --defer-send-once, 4 nodes, link
  // loss), shrunk on 934c27a (79 operations after 571 runs, --match
  // "sendOnceRelays"). Port 1:6, home at node 1 with one send-once right
  // out, went 1 → 2 → 4 → 1, leaving send-once relays at node 1 (route 2,
  // its own right), node 2 (upstream 1, route 4) and node 4 (upstream 2,
  // route 1), and was home at node 1 again with a pool from link 4. The
  // port died there: the pool's last right became a dead name, node 1 sent
  // DEAD back on link 4 and dropped its own relay, and the last operation
  // cut the link 1–4 with that DEAD on it. Node 4's relay went with its
  // route; node 2's, whose upstream and route both lived, heard nothing
  // and waited for ever for a message through a right that was a dead name.
  it('the relays down a dying relay\'s route go (436001313, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 },
      { op: 'giveReceive', holder: 16, to: 0 }, { op: 'giveSend', holder: 0, to: 1 },
      { op: 'soGive', holder: 50, to: 2 }, { op: 'steps', n: 9 }, { op: 'steps', n: 2 },
      { op: 'soGive', holder: 32, to: 1 }, { op: 'giveSend', holder: 13, to: 1 },
      { op: 'cut', a: 3, b: 2 }, { op: 'soUse', holder: 29, destroy: false },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 52, to: 1 },
      { op: 'giveSend', holder: 53, to: 0 }, { op: 'data', holder: 11 }, { op: 'steps', n: 1 },
      { op: 'steps', n: 4 }, { op: 'soUse', holder: 60, destroy: false }, { op: 'steps', n: 7 },
      { op: 'steps', n: 6 }, { op: 'data', holder: 35 }, { op: 'destroy', holder: 12 },
      { op: 'giftVia', holder: 28, via: 38, receive: false }, { op: 'soGive', holder: 12, to: 2 },
      { op: 'giveSend', holder: 38, to: 0 }, { op: 'data', holder: 56 }, { op: 'drop', holder: 9 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 42, to: 0 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 55, to: 3 }, { op: 'drop', holder: 58 }, { op: 'steps', n: 7 },
      { op: 'soGive', holder: 35, to: 0 }, { op: 'drop', holder: 28 }, { op: 'data', holder: 60 },
      { op: 'soGive', holder: 58, to: 2 }, { op: 'giveReceive', holder: 34, to: 2 },
      { op: 'soGive', holder: 14, to: 3 }, { op: 'cut', a: 2, b: 0 },
      { op: 'giveReceive', holder: 9, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 55, to: 1 }, { op: 'drop', holder: 40 },
      { op: 'giveSend', holder: 7, to: 3 }, { op: 'soGive', holder: 63, to: 3 },
      { op: 'steps', n: 5 }, { op: 'giftVia', holder: 11, via: 38, receive: true },
      { op: 'giftVia', holder: 17, via: 61, receive: true }, { op: 'steps', n: 3 },
      { op: 'drop', holder: 20 }, { op: 'soGive', holder: 42, to: 3 },
      { op: 'giveSend', holder: 49, to: 0 }, { op: 'steps', n: 4 }, { op: 'steps', n: 7 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'destroy', holder: 35 },
      { op: 'giveReceive', holder: 26, to: 2 }, { op: 'soGive', holder: 21, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 25, via: 10, receive: true },
      { op: 'giftVia', holder: 5, via: 1, receive: true }, { op: 'data', holder: 54 },
      { op: 'data', holder: 5 }, { op: 'soUse', holder: 39, destroy: false },
      { op: 'giveSend', holder: 61, to: 3 }, { op: 'data', holder: 36 },
      { op: 'data', holder: 36 }, { op: 'data', holder: 5 }, { op: 'steps', n: 1 },
      { op: 'cut', a: 0, b: 3 }
    ];
    expect(runSchedule(4, 436001313, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  it('436001313 (--held-rights --send-once --defer-send-once, 4 nodes, link loss): no relay left', () => {
    expect(runSchedule(4, 436001313, randomOps(436001313, 320, true, true, true), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });
});

describe('own pool rights used while a right passes through (task N25)', () => {
  // 436001349 (same mode), shrunk on 934c27a (87 operations after 1321
  // runs, --match "send-once rights made, 5 messages"; the shrunk one makes
  // 6 rights and gets 5 messages, the numbered one 7 and 5). Port 1:1
  // bounced between nodes 2 and 4. Node 2 kept a pool from link 1 (made
  // when the port was home there) whose rights count as its own (`soOwn`)
  // once the right has left. When the right passed through node 2 again
  // (a message to a port whose right was back at node 4), a late send-once
  // message held from link 1 took one of those pool rights (poolHeld) and
  // went out in the drain; a put-back message does not lower `soOwn`, so
  // node 2 still counted 2 own rights where 1 was left. Home at node 2
  // later, it made no pool right for the other one, a late message relayed
  // from node 4's send-once relay, which was destroyed as one for an
  // unknown port: a send-once right that gave its live port no message.
  it('a held message through an own pool right lowers the own count (436001349, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 }, { op: 'soGive', holder: 17, to: 2 },
      { op: 'giveReceive', holder: 26, to: 1 }, { op: 'giveReceive', holder: 3, to: 1 },
      { op: 'steps', n: 9 }, { op: 'soUse', holder: 42, destroy: false },
      { op: 'newPort', node: 0 }, { op: 'steps', n: 8 }, { op: 'soGive', holder: 27, to: 1 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 52, to: 2 },
      { op: 'soGive', holder: 20, to: 1 }, { op: 'giveSend', holder: 40, to: 1 },
      { op: 'soGive', holder: 44, to: 2 }, { op: 'steps', n: 6 },
      { op: 'giveSend', holder: 44, to: 1 }, { op: 'destroy', holder: 35 },
      { op: 'newPort', node: 1 }, { op: 'soGive', holder: 62, to: 2 },
      { op: 'giveSend', holder: 60, to: 2 }, { op: 'steps', n: 1 }, { op: 'data', holder: 40 },
      { op: 'soGive', holder: 46, to: 1 }, { op: 'soUse', holder: 20, destroy: false },
      { op: 'giveSend', holder: 16, to: 3 }, { op: 'data', holder: 17 }, { op: 'steps', n: 2 },
      { op: 'giveReceive', holder: 28, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'drop', holder: 51 }, { op: 'steps', n: 10 }, { op: 'drop', holder: 17 },
      { op: 'data', holder: 56 }, { op: 'giftVia', holder: 47, via: 33, receive: true },
      { op: 'giftVia', holder: 14, via: 39, receive: false }, { op: 'steps', n: 10 },
      { op: 'giveSend', holder: 38, to: 2 }, { op: 'giveReceive', holder: 45, to: 3 },
      { op: 'data', holder: 63 }, { op: 'data', holder: 24 }, { op: 'data', holder: 34 },
      { op: 'data', holder: 53 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 44, to: 2 }, { op: 'giveSend', holder: 33, to: 1 },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 10 }, { op: 'drop', holder: 11 },
      { op: 'data', holder: 58 }, { op: 'giveSend', holder: 38, to: 3 },
      { op: 'data', holder: 59 }, { op: 'giveSend', holder: 37, to: 3 },
      { op: 'soUse', holder: 47, destroy: false },
      { op: 'giftVia', holder: 28, via: 43, receive: true },
      { op: 'soUse', holder: 50, destroy: false }, { op: 'steps', n: 5 },
      { op: 'data', holder: 54 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 1 },
      { op: 'giveSend', holder: 0, to: 1 }, { op: 'steps', n: 1 },
      { op: 'giveSend', holder: 58, to: 1 }, { op: 'giftVia', holder: 23, via: 55, receive: true },
      { op: 'soGive', holder: 31, to: 3 }, { op: 'drop', holder: 53 }, { op: 'newPort', node: 1 },
      { op: 'giftVia', holder: 51, via: 52, receive: true }, { op: 'cut', a: 2, b: 3 },
      { op: 'destroy', holder: 2 }, { op: 'data', holder: 38 },
      { op: 'soGive', holder: 11, to: 0 }, { op: 'soUse', holder: 45, destroy: false },
      { op: 'destroy', holder: 6 }, { op: 'steps', n: 8 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 31, via: 39, receive: true }, { op: 'steps', n: 3 },
      { op: 'giftVia', holder: 33, via: 6, receive: false }, { op: 'steps', n: 10 },
      { op: 'drop', holder: 46 }, { op: 'drop', holder: 4 },
      { op: 'giftVia', holder: 37, via: 7, receive: true }, { op: 'soGive', holder: 23, to: 1 },
      { op: 'giveReceive', holder: 61, to: 1 }, { op: 'steps', n: 3 },
      { op: 'giftVia', holder: 18, via: 27, receive: true }
    ];
    expect(runSchedule(4, 436001349, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  it('436001349 (--held-rights --send-once --defer-send-once, 4 nodes, link loss): every right one message', () => {
    expect(runSchedule(4, 436001349, randomOps(436001349, 320, true, true, true), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });
});
