import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N29 (2026-12-02, PROTOCOL.md §4.5 "A relay's senders behind the old
 * home's queue", §9): a relay waiting for its own marker (`relayWait`)
 * credited at once only what came from its route; its other senders'
 * messages were held uncredited. Since task N28 a relay whose right goes
 * back the way it came (`upstream`) waits too, and its marker, turned back
 * by a proxy up there, came back through such a sender, queued behind
 * that sender's next message, which waited for the credit of the one
 * held here: `simulate --schedule 261000829 --length 320 --held-rights
 * --port-window 1` (3 nodes, links live; passes on 8f35815, fails from the
 * merge of task N28, 83d5da2). Both tests fail on d96bccd's `src/` and
 * pass with the rule (checked by putting d96bccd's relay-wait.ts back).
 */
describe('a waiting relay credits every sender but its upstream (task N29)', () => {
  const limits = { portWindow: 1 };

  // Port 3:3: node 3, a relay (route node 1, upstream node 1: its right
  // went back the way it came), waits for its marker (round 7). Node 1, a
  // proxy routed to node 2 then, turns the marker back to node 2, which
  // queues it on link 3 behind its own next message at credit 0 of 1; the
  // credit it waits for is that of its previous message (carrying a receive
  // right), held at node 3 in `drainHold` behind the relay's wait,
  // uncredited because node 2 is not the relay's route. Node 1's own marker
  // (round 12) queues behind both at node 2; 3:3 and the ports whose
  // rights wait with it never settle.
  it('261000829 (--held-rights --port-window 1, 3 nodes, links live): numbered', () => {
    expect(runSchedule(3, 261000829, randomOps(261000829, 320, false, false, true, false), { loss: false, limits }).violations).toEqual([]);
  });

  // 261000829 shrunk on d96bccd (`node dist/shrink.js --schedule 261000829
  // --length 320 --held-rights --port-window 1 --match "not settled"`, 107
  // operations after 843 runs): "3:3 relay waits for its marker", "1
  // behind a drain", credit 0 of 1.
  it('261000829 shrunk', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 47, to: 3 }, { op: 'giveReceive', holder: 10, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 56, to: 1 },
      { op: 'giveSend', holder: 9, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 27, to: 2 }, { op: 'giveSend', holder: 29, to: 1 },
      { op: 'giveSend', holder: 62, to: 3 }, { op: 'giveSend', holder: 46, to: 2 },
      { op: 'giveReceive', holder: 11, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 10, to: 0 }, { op: 'giveSend', holder: 38, to: 1 },
      { op: 'giveSend', holder: 34, to: 2 }, { op: 'steps', n: 9 },
      { op: 'giftVia', holder: 57, via: 12, receive: false },
      { op: 'giftVia', holder: 21, via: 62, receive: true }, { op: 'giveSend', holder: 19, to: 2 },
      { op: 'steps', n: 9 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 5 }, { op: 'drop', holder: 5 },
      { op: 'drop', holder: 30 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 9 },
      { op: 'giftVia', holder: 16, via: 42, receive: true }, { op: 'newPort', node: 1 },
      { op: 'giftVia', holder: 41, via: 14, receive: true },
      { op: 'giftVia', holder: 33, via: 35, receive: true }, { op: 'giveReceive', holder: 36, to: 0 },
      { op: 'giftVia', holder: 8, via: 7, receive: true }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 11, via: 41, receive: false }, { op: 'newPort', node: 1 },
      { op: 'destroy', holder: 45 }, { op: 'giftVia', holder: 57, via: 15, receive: false },
      { op: 'giveReceive', holder: 5, to: 3 }, { op: 'giveReceive', holder: 19, to: 0 },
      { op: 'giftVia', holder: 10, via: 33, receive: true }, { op: 'newPort', node: 1 },
      { op: 'destroy', holder: 6 }, { op: 'giftVia', holder: 1, via: 24, receive: true },
      { op: 'giftVia', holder: 8, via: 55, receive: true }, { op: 'drop', holder: 44 },
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 56, to: 2 },
      { op: 'giveSend', holder: 28, to: 0 }, { op: 'giveReceive', holder: 22, to: 1 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 14, to: 3 },
      { op: 'giveReceive', holder: 3, to: 3 }, { op: 'giveReceive', holder: 5, to: 2 },
      { op: 'giveReceive', holder: 26, to: 3 }, { op: 'giftVia', holder: 32, via: 32, receive: true },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 39, to: 0 }, { op: 'data', holder: 22 },
      { op: 'destroy', holder: 6 }, { op: 'data', holder: 53 }, { op: 'giveReceive', holder: 4, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 62, via: 20, receive: false },
      { op: 'newPort', node: 1 }, { op: 'data', holder: 33 }, { op: 'giveSend', holder: 52, to: 1 },
      { op: 'giftVia', holder: 56, via: 18, receive: false }, { op: 'data', holder: 32 },
      { op: 'steps', n: 6 }, { op: 'data', holder: 55 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 53, via: 21, receive: true },
      { op: 'giftVia', holder: 58, via: 59, receive: false },
      { op: 'giftVia', holder: 21, via: 41, receive: true }, { op: 'steps', n: 1 },
      { op: 'data', holder: 35 }, { op: 'data', holder: 13 }, { op: 'data', holder: 56 },
      { op: 'giveSend', holder: 36, to: 3 }, { op: 'giftVia', holder: 56, via: 58, receive: true },
      { op: 'giveSend', holder: 31, to: 3 }, { op: 'giftVia', holder: 23, via: 49, receive: true },
      { op: 'data', holder: 48 }, { op: 'destroy', holder: 59 },
      { op: 'giftVia', holder: 2, via: 58, receive: true }, { op: 'data', holder: 15 },
      { op: 'drop', holder: 2 }, { op: 'data', holder: 30 },
      { op: 'giftVia', holder: 15, via: 42, receive: true },
      { op: 'giftVia', holder: 35, via: 34, receive: true }, { op: 'giveSend', holder: 21, to: 1 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 46, via: 55, receive: true },
      { op: 'giftVia', holder: 8, via: 36, receive: true },
      { op: 'giftVia', holder: 30, via: 3, receive: true }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 44, to: 1 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 60, to: 0 }, { op: 'giftVia', holder: 43, via: 51, receive: true },
    ];
    expect(runSchedule(3, 261000829, ops, { loss: false, limits }).violations).toEqual([]);
  });
});
