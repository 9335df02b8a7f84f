import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules of the lead's sweep of seeds 261-320 × 100 × 320 (2026-12-01,
 * PROTOCOL.md §9) that violate after a link loss: `320000983`
 * (`--held-rights`, 4 nodes), shrunk (the lead's `shrink`, 157 operations),
 * whose first fault is fixed (node-gate-pins.ts; task N13; the lead's
 * shrunk form fails without that file, checked), and whose second is fixed
 * by node-gate-order.ts (task N15): the numbered schedule and task N15's
 * shrunk form (165 operations) fail without that file (checked).
 */
describe('sweep of seeds 261-320, link loss', () => {
  // 320000983 (--held-rights), shrunk by the lead (157 operations after
  // 1914 runs). Port 1:6's receive right went 1 → 3 → 2; node 4's proxy
  // for it is routed to node 1, whose proxy (routed to 3) dies with the
  // link 1–3. Node 4 sends a message to the port carrying another receive
  // right (4:8), then m0 and m1. At node 1, with no entry for 1:6, the
  // first waits in link 4's gate for 4:8's round and m0 behind it, pinning
  // nothing. 1:6's receive right then passes through node 1 (in a message
  // on to node 4) and makes a new entry; m1 found it unpinned, was taken
  // as a proxy's message and went to node 4 ahead of m0, still gated:
  // "0 after 1". A new entry counts the messages gated before it
  // (node-gate-pins.ts; §4.5, "A gate older than its port's entry"). The
  // numbered schedule still fails, by another fault (§9).
  it('a message gated while its port had no entry here stays ahead of the link\'s later ones for the entry a passing right made since (320000983, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 11, to: 2 },
      { op: 'destroy', holder: 25 }, { op: 'giveSend', holder: 54, to: 2 }, { op: 'steps', n: 6 },
      { op: 'data', holder: 43 }, { op: 'giveSend', holder: 8, to: 0 }, { op: 'data', holder: 0 },
      { op: 'destroy', holder: 59 }, { op: 'giveSend', holder: 15, to: 1 },
      { op: 'data', holder: 50 }, { op: 'giveSend', holder: 55, to: 0 },
      { op: 'giveSend', holder: 29, to: 3 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 32, to: 3 }, { op: 'steps', n: 6 },
      { op: 'giveSend', holder: 52, to: 1 }, { op: 'steps', n: 9 }, { op: 'steps', n: 11 },
      { op: 'data', holder: 28 }, { op: 'giveSend', holder: 48, to: 2 }, { op: 'drop', holder: 7 },
      { op: 'giveSend', holder: 38, to: 0 }, { op: 'newPort', node: 3 },
      { op: 'drop', holder: 12 }, { op: 'giveReceive', holder: 1, to: 3 },
      { op: 'data', holder: 9 }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 20, via: 7, receive: false },
      { op: 'giftVia', holder: 42, via: 8, receive: true }, { op: 'drop', holder: 23 },
      { op: 'data', holder: 56 }, { op: 'drop', holder: 0 }, { op: 'newPort', node: 0 },
      { op: 'giveReceive', holder: 45, to: 1 }, { op: 'data', holder: 24 }, { op: 'steps', n: 4 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 31, to: 1 }, { op: 'steps', n: 7 },
      { op: 'drop', holder: 41 }, { op: 'giveSend', holder: 4, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 9, to: 3 },
      { op: 'giveReceive', holder: 43, to: 3 }, { op: 'giveSend', holder: 5, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'data', holder: 60 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 3, to: 1 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 3 },
      { op: 'data', holder: 46 }, { op: 'giveSend', holder: 24, to: 3 },
      { op: 'drop', holder: 59 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 9 },
      { op: 'giveSend', holder: 38, to: 3 }, { op: 'giveReceive', holder: 12, to: 1 },
      { op: 'steps', n: 11 }, { op: 'newPort', node: 1 }, { op: 'data', holder: 19 },
      { op: 'drop', holder: 35 }, { op: 'giveReceive', holder: 24, to: 1 },
      { op: 'giveSend', holder: 4, to: 2 }, { op: 'destroy', holder: 51 },
      { op: 'cut', a: 1, b: 3 }, { op: 'giveSend', holder: 11, to: 0 },
      { op: 'giveSend', holder: 55, to: 3 }, { op: 'steps', n: 3 },
      { op: 'giveReceive', holder: 3, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 12, to: 3 }, { op: 'giveSend', holder: 21, to: 2 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 16, to: 2 }, { op: 'steps', n: 2 },
      { op: 'giftVia', holder: 5, via: 14, receive: true }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 51, to: 1 }, { op: 'giftVia', holder: 40, via: 51, receive: true },
      { op: 'giftVia', holder: 11, via: 20, receive: true }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 15, via: 50, receive: true },
      { op: 'giftVia', holder: 53, via: 24, receive: true }, { op: 'data', holder: 31 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 53, via: 38, receive: false },
      { op: 'giveReceive', holder: 38, to: 1 }, { op: 'destroy', holder: 2 },
      { op: 'giftVia', holder: 9, via: 26, receive: true }, { op: 'drop', holder: 4 },
      { op: 'data', holder: 19 }, { op: 'steps', n: 10 }, { op: 'drop', holder: 13 },
      { op: 'giveReceive', holder: 49, to: 3 }, { op: 'giveSend', holder: 56, to: 0 },
      { op: 'data', holder: 22 }, { op: 'giveReceive', holder: 36, to: 2 },
      { op: 'data', holder: 46 }, { op: 'giftVia', holder: 32, via: 15, receive: false },
      { op: 'giveSend', holder: 29, to: 0 }, { op: 'giveReceive', holder: 63, to: 3 },
      { op: 'data', holder: 21 }, { op: 'data', holder: 23 },
      { op: 'giftVia', holder: 24, via: 12, receive: false }, { op: 'destroy', holder: 58 },
      { op: 'data', holder: 13 }, { op: 'newPort', node: 3 }, { op: 'data', holder: 36 },
      { op: 'drop', holder: 17 }, { op: 'giftVia', holder: 56, via: 41, receive: true },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 6, to: 1 },
      { op: 'giveSend', holder: 20, to: 2 }, { op: 'giftVia', holder: 2, via: 8, receive: true },
      { op: 'giveSend', holder: 11, to: 2 }, { op: 'data', holder: 13 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 39, to: 1 }, { op: 'steps', n: 2 },
      { op: 'steps', n: 10 }, { op: 'drop', holder: 21 }, { op: 'steps', n: 1 },
      { op: 'drop', holder: 6 }, { op: 'steps', n: 9 }, { op: 'steps', n: 3 },
      { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 52, via: 59, receive: false },
      { op: 'giveSend', holder: 26, to: 2 }, { op: 'data', holder: 59 },
      { op: 'data', holder: 25 }, { op: 'data', holder: 38 }, { op: 'steps', n: 1 },
      { op: 'giveSend', holder: 52, to: 0 }, { op: 'drop', holder: 42 },
      { op: 'giveSend', holder: 47, to: 2 }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 24, via: 50, receive: true },
      { op: 'giftVia', holder: 23, via: 54, receive: true }, { op: 'cut', a: 2, b: 0 },
      { op: 'giftVia', holder: 62, via: 3, receive: true },
      { op: 'giftVia', holder: 58, via: 57, receive: true }, { op: 'steps', n: 4 },
      { op: 'data', holder: 10 }, { op: 'cut', a: 2, b: 3 }, { op: 'giveSend', holder: 45, to: 0 },
      { op: 'steps', n: 3 }, { op: 'drop', holder: 32 }, { op: 'data', holder: 15 }
    ];
    expect(runSchedule(4, 320000983, ops, { loss: true }).violations).toEqual([]);
  });

  // 320000983's second fault (task N15, traced on the numbered schedule).
  // Port 1:6 (label 13): node 4's proxy is routed to node 1, whose own
  // proxy died with the link 1–3. Node 4 sends c1 (carrying 4:8's receive
  // right), m0, c2 (carrying 4:11's), m1. At node 1, c1 waits in link 4's
  // gate for 4:8's round and m0 behind it; 1:6's receive right passes
  // through node 1 (to node 4), which marks them for its drain; c2 and m1
  // come after it, gated behind them (the entry is pinned). 4:8's round
  // ends: c1 and m0 leave on 1:6's route (link 4) while c2 (waiting for
  // 4:11's round) and m1 stay. The right comes back to node 1 to stay; its
  // FLUSH round brings c1 and m0 back on link 4, where they go behind m1
  // (`behindGate`): "0 after 1". A gate splits no port now
  // (node-gate-order.ts; §4.5): c1 and m0 stay while c2 waits.
  it('a gate does not let a port\'s message leave for its route while a later one of the port waits for a round (320000983)', () => {
    expect(runSchedule(4, 320000983, randomOps(320000983, 320, true, false, true), { loss: true }).violations).toEqual([]);
  });

  // The same, shrunk by task N15 (`shrink --match "port 13 from node 4"`
  // on main with node-gate-pins.ts: 165 operations after 1489 runs). There
  // m0 left the gate by passGated (a proxy's message passing the head)
  // while c2 and m1 stayed.
  it('a gated message does not pass older ones for its route while a later one of its port waits (320000983, shrunk by task N15)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'destroy', holder: 62 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 11, to: 2 }, { op: 'destroy', holder: 25 },
      { op: 'giveSend', holder: 54, to: 2 }, { op: 'steps', n: 6 }, { op: 'data', holder: 43 },
      { op: 'giveSend', holder: 8, to: 0 }, { op: 'data', holder: 0 },
      { op: 'destroy', holder: 59 }, { op: 'giveSend', holder: 15, to: 1 },
      { op: 'data', holder: 50 }, { op: 'giveSend', holder: 55, to: 0 },
      { op: 'giveSend', holder: 29, to: 3 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 32, to: 3 }, { op: 'steps', n: 6 },
      { op: 'giveSend', holder: 52, to: 1 }, { op: 'steps', n: 9 }, { op: 'steps', n: 11 },
      { op: 'data', holder: 28 }, { op: 'giveSend', holder: 48, to: 2 }, { op: 'drop', holder: 7 },
      { op: 'giveSend', holder: 38, to: 0 }, { op: 'newPort', node: 3 },
      { op: 'drop', holder: 12 }, { op: 'giveReceive', holder: 1, to: 3 },
      { op: 'data', holder: 9 }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 20, via: 7, receive: false },
      { op: 'giftVia', holder: 42, via: 8, receive: true }, { op: 'drop', holder: 23 },
      { op: 'data', holder: 56 }, { op: 'drop', holder: 0 }, { op: 'newPort', node: 0 },
      { op: 'giveReceive', holder: 45, to: 1 }, { op: 'data', holder: 24 }, { op: 'steps', n: 4 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 31, to: 1 }, { op: 'steps', n: 7 },
      { op: 'drop', holder: 41 }, { op: 'giveSend', holder: 4, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 9, to: 3 },
      { op: 'giveReceive', holder: 43, to: 3 }, { op: 'giveSend', holder: 5, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'data', holder: 60 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 3, to: 1 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 3 },
      { op: 'data', holder: 46 }, { op: 'giveSend', holder: 24, to: 3 },
      { op: 'drop', holder: 59 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 9 },
      { op: 'giveSend', holder: 38, to: 3 }, { op: 'giveReceive', holder: 12, to: 1 },
      { op: 'steps', n: 11 }, { op: 'newPort', node: 1 }, { op: 'data', holder: 19 },
      { op: 'drop', holder: 35 }, { op: 'giveReceive', holder: 24, to: 1 },
      { op: 'giveSend', holder: 4, to: 2 }, { op: 'destroy', holder: 51 },
      { op: 'cut', a: 1, b: 3 }, { op: 'giveSend', holder: 11, to: 0 },
      { op: 'giveSend', holder: 55, to: 3 }, { op: 'steps', n: 3 },
      { op: 'giveReceive', holder: 3, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 12, to: 3 }, { op: 'giveSend', holder: 21, to: 2 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 16, to: 2 }, { op: 'steps', n: 2 },
      { op: 'giftVia', holder: 5, via: 14, receive: true }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 51, to: 1 }, { op: 'giftVia', holder: 40, via: 51, receive: true },
      { op: 'giftVia', holder: 11, via: 20, receive: true }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 15, via: 50, receive: true },
      { op: 'giftVia', holder: 53, via: 24, receive: true }, { op: 'data', holder: 31 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 53, via: 38, receive: false },
      { op: 'giveReceive', holder: 38, to: 1 }, { op: 'destroy', holder: 2 },
      { op: 'giftVia', holder: 9, via: 26, receive: true }, { op: 'drop', holder: 4 },
      { op: 'data', holder: 19 }, { op: 'steps', n: 10 }, { op: 'drop', holder: 13 },
      { op: 'giveReceive', holder: 49, to: 3 }, { op: 'giveSend', holder: 56, to: 0 },
      { op: 'data', holder: 22 }, { op: 'giveReceive', holder: 36, to: 2 },
      { op: 'data', holder: 46 }, { op: 'giftVia', holder: 32, via: 15, receive: false },
      { op: 'giveSend', holder: 29, to: 0 }, { op: 'giveReceive', holder: 63, to: 3 },
      { op: 'data', holder: 21 }, { op: 'data', holder: 23 },
      { op: 'giftVia', holder: 24, via: 12, receive: false }, { op: 'destroy', holder: 58 },
      { op: 'data', holder: 13 }, { op: 'newPort', node: 3 }, { op: 'data', holder: 36 },
      { op: 'drop', holder: 17 }, { op: 'giftVia', holder: 56, via: 41, receive: true },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 6, to: 1 },
      { op: 'giveSend', holder: 20, to: 2 }, { op: 'giftVia', holder: 2, via: 8, receive: true },
      { op: 'giveSend', holder: 11, to: 2 }, { op: 'data', holder: 13 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 39, to: 1 }, { op: 'steps', n: 2 },
      { op: 'steps', n: 10 }, { op: 'drop', holder: 21 }, { op: 'steps', n: 1 },
      { op: 'drop', holder: 6 }, { op: 'steps', n: 9 }, { op: 'steps', n: 3 },
      { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 52, via: 59, receive: false },
      { op: 'giveSend', holder: 26, to: 2 }, { op: 'data', holder: 59 },
      { op: 'data', holder: 25 }, { op: 'data', holder: 38 }, { op: 'steps', n: 1 },
      { op: 'giveSend', holder: 52, to: 0 }, { op: 'drop', holder: 42 },
      { op: 'giveSend', holder: 47, to: 2 }, { op: 'steps', n: 1 },
      { op: 'giftVia', holder: 24, via: 50, receive: true },
      { op: 'giftVia', holder: 23, via: 54, receive: true }, { op: 'cut', a: 2, b: 0 },
      { op: 'giftVia', holder: 48, via: 53, receive: false },
      { op: 'giftVia', holder: 5, via: 21, receive: true },
      { op: 'giftVia', holder: 62, via: 3, receive: true },
      { op: 'giftVia', holder: 58, via: 57, receive: true }, { op: 'data', holder: 51 },
      { op: 'data', holder: 10 }, { op: 'cut', a: 2, b: 3 }, { op: 'data', holder: 36 },
      { op: 'giftVia', holder: 52, via: 31, receive: true },
      { op: 'giveReceive', holder: 18, to: 0 }, { op: 'giveSend', holder: 28, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'drop', holder: 32 },
      { op: 'giftVia', holder: 38, via: 11, receive: true }, { op: 'data', holder: 15 }
    ];
    expect(runSchedule(4, 320000983, ops, { loss: true }).violations).toEqual([]);
  });
});
