import { describe, expect, it } from 'vitest';
import { WireError } from '../src/errors.js';
import { withLimits } from '../src/limits.js';
import { NetmsgNode } from '../src/node.js';
import { ControlSchema, packControl, unpackControl } from '../src/schemas.js';
import { COPY_SEND, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { linkedNodes, type Stepper } from './three-nodes.js';

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
 * in a fully linked cluster that is the usual way (§4.5). Each move runs
 * step by step to quiescence, noting the most records any node held
 * meanwhile (`peak`), so a test sees that records were made, not only that
 * none is left.
 */
function rounds(chain: number[], n: number): { records: number[][]; out: number[][]; peak: number[][]; violations: string[]; sameName: boolean } {
  const { c, apps, inbox, to, pass } = linkedNodes(chain.length);
  c.settle();
  // names[i]: X's name in the task of node chain[i].
  const X = apps[0]!.allocate();
  apps[0]!.makeSend(X);
  const names = [X];
  for (let i = 1; i < chain.length; i++) {
    names.push(pass(apps[chain[i - 1]! - 1]!, to(chain[i - 1]!, chain[i]!), i, i === 1 ? MAKE_SEND : COPY_SEND, names[i - 1]!, chain[i]!));
  }
  const moves = [0, ...chain.slice(1).map((_, i) => chain.length - 1 - i), 0];
  const records: number[][] = [];
  const out: number[][] = [];
  const peak: number[][] = [];
  const stepper = c as unknown as Stepper;
  let sameName = true;
  let id = 100;
  for (let r = 0; r < n; r++) {
    const most = c.nodes.map(() => 0);
    for (let m = 0; m + 1 < moves.length; m++) {
      const from = chain[moves[m]!]!, into = chain[moves[m + 1]!]!;
      apps[from - 1]!.send(to(from, into), { id: id++, ports: { disp: MOVE_RECEIVE, names: [names[moves[m]!]!] } });
      for (let s = 0; ; s++) {
        if (s === 100_000) throw new Error('no quiescence');
        const next = stepper.enabled()[0];
        if (!next) break;
        stepper.run(next);
        c.nodes.forEach((x, i) => (most[i] = Math.max(most[i]!, x.machine.markerRecords().records)));
      }
      // The right comes under the name the task's send right already has.
      const got = portsOf(apps[into - 1]!.receive(inbox[into - 1]!)!)[0];
      sameName &&= got === names[moves[m + 1]!];
    }
    const now = c.nodes.map((x) => x.machine.markerRecords());
    records.push(now.map((x) => x.records));
    out.push(now.map((x) => x.out));
    peak.push(most);
  }
  return { records, out, peak, violations: [...c.violations], sameName };
}

describe('FLUSH marker records (markerRecords)', () => {
  it('repeated migrations round a ring of four relays leave no record once each marker reached its origin', () => {
    // Routes 3 -> 2 -> 4 -> 1; moves 1 -> 3 -> 2 -> 4 -> 1. Each move's
    // marker passes the other three nodes: the first two keep a record,
    // the third passes it to its origin and tells the second FLUSHED,
    // which tells the first. Before FLUSHED (2026-11-30, later) every node
    // kept 2 records after each round, one of them counting a marker more
    // each round (13 after twelve).
    const { records, out, peak, violations, sameName } = rounds([1, 4, 2, 3], 12);
    expect(violations).toEqual([]);
    expect(sameName).toBe(true);
    for (let r = 0; r < 12; r++) {
      expect(records[r]).toEqual([0, 0, 0, 0]);
      expect(out[r]).toEqual([0, 0, 0, 0]);
      // Records were made while the markers were out: each node keeps one
      // for two of the four markers of a round, one at a time (each move
      // settles before the next).
      expect(peak[r]).toEqual([1, 1, 1, 1]);
    }
  });

  it('a three-node chain: the one record of each marker goes when the marker reaches its origin', () => {
    // Routes 3 -> 2 -> 1; moves 1 -> 3 -> 2 -> 1. Each marker passes two
    // nodes: the first has it from the origin and keeps a record, the
    // second passes it to the origin (no record) and tells the first
    // FLUSHED. Before FLUSHED each node kept that one record after every
    // round (renewed by the origin's next marker, never gone).
    const { records, out, peak, violations, sameName } = rounds([1, 2, 3], 12);
    expect(violations).toEqual([]);
    expect(sameName).toBe(true);
    for (let r = 0; r < 12; r++) {
      expect(records[r]).toEqual([0, 0, 0]);
      expect(out[r]).toEqual([0, 0, 0]);
      expect(peak[r]).toEqual([1, 1, 1]);
    }
  });

  it('FLUSHED is a strict control frame, and one for a pass a node has no record of changes nothing', () => {
    const f = { t: 'flushed' as const, node: 7, serial: 1, origin: 1 };
    expect(unpackControl(ControlSchema, packControl(f), 'C')).toEqual(f);
    const code = (x: object) => {
      try {
        unpackControl(ControlSchema, packControl(x), 'C');
        return 'accepted';
      } catch (e) {
        return e instanceof WireError ? e.code : 'other';
      }
    };
    expect(code({ t: 'flushed', node: 7, serial: 1 })).toBe('bad_control');
    expect(code({ ...f, n: 1 })).toBe('bad_control');
    // No record of passing a marker for node 1 to node 4: nothing is sent
    // on (and nothing thrown), the records stay empty.
    const n = new NetmsgNode({ node: 3, abi: 'i386', limits: withLimits() });
    n.handle({ type: 'linkUp', peer: 4, window: 5 });
    n.handle({ type: 'linkUp', peer: 1, window: 5 });
    expect(n.handle({ type: 'frame', peer: 4, frame: { kind: 'control', control: f } })).toEqual([]);
    expect(n.markerRecords()).toEqual({ keys: 0, records: 0, out: 0 });
  });
});
