import { describe, expect, it } from 'vitest';
import { MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { linkedNodes, receiveAll, sendRightAlong, settleExcept } from './three-nodes.js';

/**
 * A marker record counting markers of several migrations of one origin,
 * returned at a link loss (PROTOCOL.md §4.5, "Markers name their
 * migration", "Why a record's one round is enough"; §9, 2026-12-01, task
 * N10). The ring of `marker-records.test.ts`: four nodes, all linked, port
 * X made at 1 (which keeps a send right), a send right down the chain
 * 1 -> 4 -> 2 -> 3 (routes 3 -> 2 -> 4 -> 1), and each round moves X's
 * receive right 1 -> 3 -> 2 -> 4 -> 1. Node 3's marker goes 3 -> 2 -> 4 -> 1
 * and comes back from 1 to 3 directly, so node 4's record for it (from 2,
 * to 1) counts one marker a round and keeps the latest round. After three
 * rounds and one more move 1 -> 3, node 3's fourth marker is held on the
 * wire 4 -> 1 and that link is lost: node 4 returns the record's four
 * markers (and one of node 2's), all with the round under way. Node 3
 * finishes its migration on the first (a stale one, under the record's
 * round), as it would on the fourth at the same moment: X is home at 3 and
 * node 1's messages on it arrive in order. The limit the record's one round
 * has is harmless here; the one case it is not (a record counting an
 * earlier round after a later one) no scenario reached.
 */
function recordOfRounds(rounds: number) {
  const chain = [1, 4, 2, 3];
  const { c, apps, inbox, to, pass } = linkedNodes(4);
  c.settle();
  const names = sendRightAlong({ apps, to, pass }, chain);
  const moves = [0, 3, 2, 1, 0];
  let id = 100;
  for (let r = 0; r < rounds; r++) {
    for (let m = 0; m + 1 < moves.length; m++) {
      const from = chain[moves[m]!]!, into = chain[moves[m + 1]!]!;
      pass(apps[from - 1]!, to(from, into), id++, MOVE_RECEIVE, names[moves[m]!]!, into);
    }
  }
  const before = c.nodes.map((x) => x.machine.markerRecords().out);
  // One more move 1 -> 3: node 3's marker goes 3 -> 2 -> 4 -> 1, held on 4 -> 1.
  apps[0]!.send(to(1, 3), { id: 999, ports: { disp: MOVE_RECEIVE, names: [names[0]!] } });
  settleExcept(c, ['4>1']);
  const held = c.nodes.map((x) => x.machine.markerRecords().out);
  c.cut(1, 4);
  c.settle();
  const got = receiveAll(apps[2]!, inbox[2]!).flatMap((r) => (r.msg.header.id === 999 ? portsOf(r) : []));
  // Node 1 sends on X, now home at 3.
  apps[0]!.send(names[0]!, { id: 1001 });
  apps[0]!.send(names[0]!, { id: 1002 });
  c.settle();
  const onX = got.length > 0 ? receiveAll(apps[2]!, got[0]!).map((r) => r.msg.header.id) : [];
  const edge = (n: number, k: 'lostMarkerBack' | 'earlierRound') => c.nodes[n - 1]!.machine.edgeCounts()[k] ?? 0;
  return { before, held, got: got.length, onX, back4: edge(4, 'lostMarkerBack'), earlier3: edge(3, 'earlierRound'), violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors) };
}

describe('a marker record counting markers of several migrations', () => {
  it('returns them all at a link loss with its one round, and the migration under way finishes', () => {
    const r = recordOfRounds(3);
    expect(r.errors).toEqual([]);
    expect(r.violations).toEqual([]);
    // Node 4 counts three of node 3's markers and one of node 2's, then
    // node 3's fourth; all five come back at the loss.
    expect(r.before[3]).toBe(4);
    expect(r.held[3]).toBe(5);
    expect(r.back4).toBe(5);
    // Every one carried the round under way: none dropped as earlier.
    expect(r.earlier3).toBe(0);
    expect(r.got).toBe(1);
    expect(r.onX).toEqual([1001, 1002]);
  });
});
