import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N26 (2026-12-02, PROTOCOL.md §6 "Credit", §9): a migration's hold
 * credits what it holds at once only within `maxQueuedBytesPerPort`, and
 * under a tight bound that closed a credit cycle with the round's own
 * FLUSH marker. Found by `simulate --schedule 261000789 --length 320
 * --held-rights --port-window 1 --max-queued-bytes-per-port 300` (task N23's
 * open item). Both tests fail on 8f35815's `src/` and pass with the rule
 * (checked by putting 8f35815's node-flow.ts and node-core.ts back).
 */
describe('a hold credits what comes on its right\'s link past the port bound (task N26)', () => {
  const limits = { portWindow: 1, maxQueuedBytesPerPort: 300 };

  // Port 2:14: node 2, its home, sent the receive right to node 1 and
  // drained its queue after it, node 1's own older messages among what
  // came; node 1 held them for its round (64 bytes each): four credited
  // at once, the fifth (320 > 300 bytes) not. Node 2's sixth drained
  // message waited for that credit (credit 0 of 1) with node 1's
  // FLUSH (origin 1, round 23) queued behind it, so the round never ended
  // (2:25 the same, behind 2:14's); two NO SENDERS lost followed. The marker
  // may not overtake: what is ahead of it includes node 1's own task's
  // older messages, which its next ones (on node 1's paused port) follow.
  it('261000789 (--held-rights --port-window 1 --max-queued-bytes-per-port 300, 2 nodes, links live): numbered', () => {
    expect(runSchedule(2, 261000789, randomOps(261000789, 320, false, false, true, false), { loss: false, limits }).violations).toEqual([]);
  });

  // 261000789 shrunk on 8f35815 (26 operations after 383 runs, --match
  // "migration not finished"). Port 1:1 home at node 1, node 2 sending to
  // it; node 1 sends the receive right to node 2 and drains its queue
  // after it, then passes back node 2's own message that reached it after
  // the right left (end-to-end credit: node 1 credits node 2 for it only
  // when node 2 credits node 1). Node 2 holds five from link 1, the fifth
  // (node 2's own message come back) uncredited past 300 bytes, so node 1
  // stays at credit 0 of 1 and never credits node 2, whose next message
  // and its own FLUSH (round 1) wait at credit 0 of 1 on link 1.
  it('261000789 shrunk: the cycle on the new home\'s own queue', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 9, to: 2 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 24, to: 3 }, { op: 'steps', n: 7 }, { op: 'data', holder: 0 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 17, to: 1 },
      { op: 'giveSend', holder: 21, to: 3 }, { op: 'newPort', node: 0 }, { op: 'data', holder: 18 },
      { op: 'data', holder: 44 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 },
      { op: 'destroy', holder: 15 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 62, via: 42, receive: true }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 14, to: 2 }, { op: 'giveSend', holder: 20, to: 1 },
      { op: 'newPort', node: 2 }, { op: 'giveReceive', holder: 40, to: 3 },
      { op: 'data', holder: 24 }, { op: 'data', holder: 50 },
    ];
    expect(runSchedule(2, 261000789, ops, { loss: false, limits }).violations).toEqual([]);
  });
});
