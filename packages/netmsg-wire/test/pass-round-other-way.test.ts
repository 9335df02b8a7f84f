import { describe, expect, it } from 'vitest';
import { runSchedule, type Op } from '../src/sim/schedules.js';

const st: Op = { op: 'steps', n: 300 };

/**
 * A late send-once message held where the receive right passes through,
 * for a relay whose route is not the way the right goes on (PROTOCOL.md
 * §4.5, "A late message follows the right's trail", (2); task N11,
 * 2026-12-01). Four nodes, links live. P is made at node 1, R and T at
 * node 2; node 3 holds a send right to P and gives one to node 4 (so P
 * keeps its identity wherever it is home), and a send-once right S to P
 * made at node 1 (its reply goes 3 → 1, off node 1's relay port, 1 → 2).
 * P's receive right goes 1 → 2 → 3 in a message to R (node 2 passes it
 * on: later a send-once relay, upstream node 1, route node 3, counting
 * S; node 3 makes a pool right for it). Node 2 gets a send right to P and
 * sends it three messages; P's receive right goes 3 → 2 → 4 in a message
 * to T, node 2 making its own FLUSH round first (its messages are still
 * on the old route), and node 3 replies through S meanwhile. In the
 * cluster seeds pinned here the reply reaches node 2 during that round
 * and is held: the right goes on to node 4, not to node 3 where the
 * relay's route leads. Before: the reply went on in the drain as one of
 * the count the right carries; node 2's relay, node 3's pool right and
 * the relay node 3's proxy became waited for ever. Now the relay is paid
 * and a DIRECT down its route pays the counts there.
 */
const ops: Op[] = [
  { op: 'newPort', node: 0 }, // P at node 1
  { op: 'newPort', node: 1 }, // R at node 2
  { op: 'newPort', node: 1 }, // T at node 2
  { op: 'giveSend', holder: 0, to: 2 }, st, // node 3: a send right to P
  { op: 'giveSend', holder: 3, to: 3 }, st, // node 4: one from node 3's (P's entry at node 3 outlives the moves)
  { op: 'giveSend', holder: 1, to: 0 }, st, // node 1: a send right to R
  { op: 'giveSend', holder: 3, to: 2 }, st, // node 3: a send right to T
  { op: 'soGive', holder: 0, to: 2 }, st, // node 3: S, a send-once right to P made at node 1
  { op: 'giveReceive', holder: 1, to: 2 }, st, // R's receive right to node 3
  { op: 'giveReceive', holder: 1, to: 3 }, st, // T's receive right to node 4
  { op: 'giftVia', holder: 0, via: 0, receive: true }, st, // P: 1 → 2 → 3 (in a message to R)
  { op: 'giveSend', holder: 1, to: 1 }, st, // node 2: a send right to P
  { op: 'data', holder: 1 }, { op: 'data', holder: 1 }, { op: 'data', holder: 1 }, // node 2 → P
  { op: 'giftVia', holder: 0, via: 0, receive: true }, // P: 3 → 2 → 4 (in a message to T)
  { op: 'soUse', holder: 0, destroy: false }, // node 3 replies through S
  { op: 'steps', n: 400 },
];

describe('a late message held where the right passes through, for a relay whose route is another way (N11 (b))', () => {
  // Cluster seeds in which the reply is held at node 2 (each failed before the fix).
  for (const seed of [1, 12, 15, 25, 31]) {
    it(`cluster seed ${seed}: every relay and pool goes, every message and reply arrives once`, () => {
      expect(runSchedule(4, seed, ops, { loss: false }).violations).toEqual([]);
    });
  }
});
