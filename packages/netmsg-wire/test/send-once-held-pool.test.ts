import { describe, expect, it } from 'vitest';
import { runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules the simulator found with `--send-once --defer-send-once`
 * (`node dist/simulate.js --send-once --defer-send-once --seed S --runs 200
 * --length 160`), shrunk to the operations that still show the fault, and
 * replayed with the same cluster seed so every protocol step is the same.
 */
const run = (nodes: number, seed: number, ops: Op[]) => runSchedule(nodes, seed, ops, { loss: false, deferSendOnce: true });

describe('send-once pools and held late messages (PROTOCOL.md §4.5)', () => {
  it('a late send-once message held while the receive right comes back uses the pool right made for it (6000211)', () => {
    // Port P is home on node 3; its application gives node 1 a send-once
    // right (kept by node 3's netmsg as a token), then moves P's receive
    // right 3 -> 2 (node 2 makes a pool right for the late message that
    // node 3's relay will pass on), 2 -> 1 and 1 -> 2. Node 1's application
    // destroys its right: the SEND_ONCE notification reaches node 2 through
    // node 3's relay while node 2 waits for its FLUSH, and is held. Put back
    // with MAKE_SEND_ONCE it left node 2's pool right waiting forever for a
    // message that had already come (a leaked send-once right on a live
    // port, counted again in the next move's soRights).
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 37, to: 1 }, { op: 'steps', n: 1 }, { op: 'soGive', holder: 1, to: 0 },
      { op: 'giveReceive', holder: 29, to: 1 }, { op: 'steps', n: 8 }, { op: 'steps', n: 7 }, { op: 'giveReceive', holder: 9, to: 3 },
      { op: 'giveSend', holder: 7, to: 2 }, { op: 'steps', n: 3 }, { op: 'steps', n: 11 }, { op: 'giveReceive', holder: 0, to: 1 },
      { op: 'soUse', holder: 41, destroy: true },
    ];
    const r = run(3, 6000211, ops);
    expect(r.violations).toEqual([]);
    expect(r.steps).toBeGreaterThan(0);
  });
});
