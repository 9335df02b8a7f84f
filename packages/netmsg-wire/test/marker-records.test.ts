import { describe, expect, it } from 'vitest';
import { MOVE_RECEIVE } from '../src/sim/app.js';
import { linkedNodes, sendRightAlong } from './three-nodes.js';

/**
 * The FLUSH marker records a node keeps for markers it passed on for other
 * origins (PROTOCOL.md §4.5, "Markers that find nothing"), read through
 * `NetmsgNode.markerRecords()`. Fully linked nodes; port X is made at node
 * 1 and a send right to it goes down `chain` (each node's proxy routes to
 * the node before it in the chain). One round moves X's receive right
 * over direct links back up the chain: 1 -> last -> ... -> second -> 1.
 * Each move's new home sends its marker up its route (the next node of
 * the chain); the marker goes round the ring of routes and comes back to
 * the origin from the other side, never back through the nodes it passed:
 * in a fully linked cluster that is the usual way (§4.5).
 */
function rounds(chain: number[], n: number): { records: number[][]; out: number[][]; violations: string[]; sameName: boolean } {
  const { c, apps, to, pass } = linkedNodes(chain.length);
  c.settle();
  // names[i]: X's name in the task of node chain[i].
  const names = sendRightAlong({ apps, to, pass }, chain);
  const moves = [0, ...chain.slice(1).map((_, i) => chain.length - 1 - i), 0];
  const records: number[][] = [];
  const out: number[][] = [];
  let sameName = true;
  let id = 100;
  for (let r = 0; r < n; r++) {
    for (let m = 0; m + 1 < moves.length; m++) {
      const from = chain[moves[m]!]!, into = chain[moves[m + 1]!]!;
      // The right comes under the name the task's send right already has.
      const got = pass(apps[from - 1]!, to(from, into), id++, MOVE_RECEIVE, names[moves[m]!]!, into);
      sameName &&= got === names[moves[m + 1]!];
    }
    const now = c.nodes.map((x) => x.machine.markerRecords());
    records.push(now.map((x) => x.records));
    out.push(now.map((x) => x.out));
  }
  return { records, out, violations: [...c.violations], sameName };
}

describe('FLUSH marker records (markerRecords)', () => {
  it('repeated migrations round a ring of four relays keep one record per port, origin and pair of links', () => {
    // Routes 3 -> 2 -> 4 -> 1; moves 1 -> 3 -> 2 -> 4 -> 1. Each move's
    // marker passes the other three nodes; the first keeps a record from
    // its origin, the second one from another node (the third passes it to
    // its origin: no record).
    const { records, out, violations, sameName } = rounds([1, 4, 2, 3], 12);
    expect(violations).toEqual([]);
    expect(sameName).toBe(true);
    // Twelve rounds later still the records of the first round: one per
    // marker passed (the code before 2026-11-30 01:00) added one a round.
    expect(records[11]).toEqual(records[0]);
    expect(records[0]).toEqual([2, 2, 2, 2]);
    // The record passed from another node counts its markers (none comes
    // back); the one from the origin is renewed by each new marker.
    expect(out[11]).toEqual([13, 13, 13, 13]);
  });

  it("a marker straight from its origin clears that origin's older records for the port, and none is kept for a marker passed to its origin", () => {
    // Routes 3 -> 2 -> 1; moves 1 -> 3 -> 2 -> 1. Each marker passes two
    // nodes: the first has it from the origin, the second passes it to
    // the origin. Kept, the second's record and the first's count grew by
    // one a round (records 2 each, markers 13 each after twelve rounds).
    const { records, out, violations, sameName } = rounds([1, 2, 3], 12);
    expect(violations).toEqual([]);
    expect(sameName).toBe(true);
    expect(records[11]).toEqual(records[0]);
    expect(records[0]).toEqual([1, 1, 1]);
    expect(out[11]).toEqual([1, 1, 1]);
  });
});
