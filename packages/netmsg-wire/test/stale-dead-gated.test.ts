import { afterEach, describe, expect, it } from 'vitest';
import { NodeCore } from '../src/node-core.js';
import { type App, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { NOTIFY_NO_SENDERS } from '../src/sim/kernel.js';
import { receiveAll, settleExcept, xyStage } from './three-nodes.js';

/**
 * The gated case task A's §9 item left open (PROTOCOL.md §4.4, "A DEAD sent
 * before"): C reads A's old message m1 to X, m1 waits in C's gate on the
 * link from A (behind port Z's receive right, whose FLUSH round is held on
 * C -> A), and the message carrying X's receive right (B's, passing through
 * A) is read behind it. Were m1 answered with DEAD then, the answer's
 * `seen` would count the carrier, and A would take it as about the entry
 * the passing right left there. It is not answered: reading the carrier
 * gives C an entry for X at once (§4.4, "a node has an entry for every
 * receive right in its hands", startMigration), so m1, let out of the gate,
 * finds X migrating here and is held for X's round, then delivered.
 * test/stale-dead.test.ts variant 3's setup (C's tombstone for X evicted:
 * the bound set to none for the run), with Z's carrier written before m1.
 */

const bound = NodeCore as unknown as { MAX_TOMBSTONES: number };
const MAX_TOMBSTONES = bound.MAX_TOMBSTONES;
afterEach(() => {
  bound.MAX_TOMBSTONES = MAX_TOMBSTONES;
});

function gatedAnswer() {
  bound.MAX_TOMBSTONES = 0;
  const { apps, c, to, a2c, X, xInA, Y, yInB, yAtC, xAtB, xInD } = xyStage({ portWindow: 4 });
  const [a, b, cc, d] = apps as [App, App, App, App];
  // Z's receive right goes to C ahead of m1: C has no entry for Z, so its
  // FLUSH round (to A and back) gates the link A -> C behind it.
  const Z = a.allocate();
  a.send(a2c, { id: 8, ports: { disp: MOVE_RECEIVE, names: [Z] } });
  a.send(xInA, { id: 501 });
  settleExcept(c, ['1>3']);
  b.makeSend(xAtB);
  b.send(xAtB, { id: 502 });
  // C's proxy for X dies with the link B-C; its DEAD kills A's proxy.
  c.cut(2, 3);
  settleExcept(c, ['1>3']);
  // B's task sends X's receive right on Y: through A, on to C, behind m1.
  b.send(yInB, { id: 602, ports: { disp: MOVE_RECEIVE, names: [xAtB] } });
  settleExcept(c, ['1>3']);
  // C reads all three; Z's round waits on C -> A.
  settleExcept(c, ['3>1']);
  const atC = c.node(3).machine.unsettled();
  settleExcept(c, []);
  const xAtC = receiveAll(cc, yAtC).flatMap((r) => (r.msg.header.id === 602 ? portsOf(r) : []))[0]!;
  const onX = receiveAll(cc, xAtC).map((r) => r.msg.header.id);
  const rights = { b: b.rights(xAtB), d: d.rights(xInD), c: cc.rights(xAtC) };
  cc.requestNoSenders(xAtC, 0);
  b.deallocate(xAtB);
  d.deallocate(xInD);
  c.settle();
  const noSenders = receiveAll(cc, xAtC).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;
  const unsettled = c.nodes.flatMap((n) => n.machine.unsettled());
  const stale = c.nodes.map((n) => n.machine.edgeCounts().deadBeforeCarrier ?? 0);
  return { atC, onX, rights, noSenders, unsettled, stale, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors) };
}

describe('a message waiting in a gate when the receive right for its port is read behind it (PROTOCOL.md §4.4, §9)', () => {
  it('is held for the port, not answered with DEAD: the entry the passing right left at A lives', () => {
    const o = gatedAnswer();
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    // The state: Z's carrier, m1 and X's carrier in C's gate, and C's entry
    // for X (3:1) already made and migrating, 502 held for it.
    expect(o.atC).toEqual(['1:2 migration not finished', '3:1 1 held for a migration', '3:1 migration not finished', '3 gated on link 1']);
    expect(o.onX).toEqual([502, 501]);
    expect(o.rights).toEqual({ b: 'S1', d: 'S1', c: 'R' });
    expect(o.noSenders).toBe(1);
    expect(o.unsettled).toEqual([]);
    expect(o.stale).toEqual([0, 0, 0, 0]);
  });
});
