import { describe, expect, it } from 'vitest';
import { runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules the simulator found with `--send-once --defer-send-once`
 * (`node dist/simulate.js --send-once --defer-send-once --seed S --runs 200
 * --length 160`), shrunk to the operations that still show the fault, and
 * replayed with the same cluster seed so every protocol step is the same.
 */
const run = (nodes: number, seed: number, ops: Op[]) => runSchedule(nodes, seed, ops, { loss: false, deferSendOnce: true });

describe('held messages while a receive right becomes home here (PROTOCOL.md §4.5), with deferred send-once requests', () => {
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

  it('a message for a port whose receive right waits in a gate after its FLUSH came back is held, not bounced to the old home (9000211)', () => {
    // Node 1 moves port X's receive right to node 3, right behind another
    // receive right (Y's) on the same link, so X's right waits in node 3's
    // gate for Y's marker after X's own FLUSH came back. A data message for
    // X that node 2 sent through node 1 reached node 3 then and was
    // forwarded back on the old route to node 1, which sent it back again:
    // node 1 passed node 3's one credit to node 2, each side then waited for
    // the other's credit for the bounced copy, node 1's proxy never went,
    // and its transfer was never released — X's NO SENDERS was lost.
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveReceive', holder: 22, to: 0 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 54, to: 2 },
      { op: 'giveSend', holder: 53, to: 2 }, { op: 'soGive', holder: 49, to: 1 }, { op: 'giveReceive', holder: 47, to: 2 }, { op: 'steps', n: 7 },
      { op: 'data', holder: 1 }, { op: 'giveSend', holder: 38, to: 1 }, { op: 'steps', n: 8 }, { op: 'data', holder: 26 },
      { op: 'data', holder: 9 }, { op: 'newPort', node: 0 }, { op: 'data', holder: 61 }, { op: 'giveSend', holder: 9, to: 1 },
      { op: 'steps', n: 4 }, { op: 'steps', n: 3 }, { op: 'giveReceive', holder: 44, to: 2 }, { op: 'soUse', holder: 56, destroy: false },
      { op: 'drop', holder: 11 }, { op: 'drop', holder: 11 }, { op: 'giveSend', holder: 35, to: 3 }, { op: 'data', holder: 13 },
      { op: 'data', holder: 42 }, { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 62, to: 0 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 40, to: 3 }, { op: 'data', holder: 41 },
    ];
    const r = run(3, 9000211, ops);
    expect(r.violations).toEqual([]);
    expect(r.delivered).toBeGreaterThan(0);
  });

  it('... and per-port FIFO holds through it (9000211, shrunk for the FIFO fault)', () => {
    // The same seed shrunk to keep its FIFO fault: a bounced message came
    // back to the new home behind a younger one from the same sender.
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 61, to: 2 }, { op: 'giveSend', holder: 35, to: 1 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 31, to: 0 }, { op: 'giveSend', holder: 54, to: 2 },
      { op: 'giveSend', holder: 53, to: 2 }, { op: 'soGive', holder: 49, to: 1 }, { op: 'steps', n: 7 }, { op: 'data', holder: 1 },
      { op: 'soGive', holder: 28, to: 2 }, { op: 'destroy', holder: 56 }, { op: 'steps', n: 8 }, { op: 'data', holder: 26 },
      { op: 'soGive', holder: 52, to: 2 }, { op: 'data', holder: 9 }, { op: 'giveSend', holder: 36, to: 1 }, { op: 'newPort', node: 0 },
      { op: 'data', holder: 61 }, { op: 'giveSend', holder: 9, to: 1 }, { op: 'steps', n: 6 }, { op: 'steps', n: 3 },
      { op: 'soUse', holder: 46, destroy: false }, { op: 'giveReceive', holder: 44, to: 2 }, { op: 'data', holder: 29 }, { op: 'drop', holder: 15 },
      { op: 'drop', holder: 10 }, { op: 'giveSend', holder: 0, to: 1 }, { op: 'data', holder: 5 }, { op: 'giveReceive', holder: 61, to: 2 },
      { op: 'data', holder: 36 }, { op: 'data', holder: 47 }, { op: 'steps', n: 4 }, { op: 'giveSend', holder: 29, to: 2 },
      { op: 'data', holder: 21 }, { op: 'steps', n: 10 }, { op: 'steps', n: 5 }, { op: 'giveSend', holder: 32, to: 1 },
      { op: 'drop', holder: 51 }, { op: 'soGive', holder: 35, to: 3 }, { op: 'destroy', holder: 0 }, { op: 'drop', holder: 38 },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 3 }, { op: 'drop', holder: 35 }, { op: 'steps', n: 3 },
      { op: 'giveSend', holder: 62, to: 1 }, { op: 'steps', n: 3 }, { op: 'data', holder: 42 }, { op: 'drop', holder: 8 },
      { op: 'steps', n: 4 }, { op: 'data', holder: 27 }, { op: 'data', holder: 0 }, { op: 'data', holder: 40 },
    ];
    const r = run(3, 9000211, ops);
    expect(r.violations).toEqual([]);
    expect(r.delivered).toBeGreaterThan(0);
  });
});
