import { afterEach, describe, expect, it } from 'vitest';
import { NodeCore } from '../src/node-core.js';
import { type App, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { NOTIFY_NO_SENDERS } from '../src/sim/kernel.js';
import { randomOps, runSchedule } from '../src/sim/schedules.js';
import { scheduleByNumber } from '../src/sim/sweep.js';
import { receiveAll, settleExcept, xyStage } from './three-nodes.js';

/**
 * A stale DEAD (PROTOCOL.md §4.4, "A DEAD sent before"): node C sends A a
 * DEAD(X) before it has the message in which A passes X's receive right on
 * to C, and that DEAD reaches the entry the passing right left at A. It is
 * about A's older entry for X, never this one (the port lives: its receive
 * right is in that message), so it must kill nothing. Before the DEAD
 * carried `seen`, A could not tell, and only `staleDead` (the right still
 * waiting to be written, and a tombstone at A) spared the entry. The three
 * variants that patch left, each placed by hand on the simulator's own
 * steps (test/three-nodes.ts):
 * 1. the carrying message already written to C (a window above one); the
 *    DEAD is C's proxy's death crossing A's RELEASE (A's old proxy was
 *    collected, not killed, so A has no tombstone either);
 * 2. the same with the message still waiting for Y's credit behind the
 *    handoff, and A without a tombstone for X;
 * 3. C answers A's old message m1 to X with DEAD because it no longer has
 *    a tombstone for X (the 65536 bound evicted it: here the bound is set
 *    to none for the run, the same state without 65536 deaths; A then
 *    keeps none either). With A's tombstone kept and none evicted at C, no
 *    stale DEAD was found to reach such an entry (§9).
 *
 * Nodes: A = 1, B = 2, C = 3, D = 4. X: C's port, whose receive right goes
 * to B, then (B's task) through A to C again, in a message on Y, A's port
 * whose receive right is at C. D holds a send right to X through B, B's
 * task one of its own, and B's task queued x1 (502) on X before the right
 * left: that is B's drain, behind the carrying message at A.
 */

const bound = NodeCore as unknown as { MAX_TOMBSTONES: number };
const MAX_TOMBSTONES = bound.MAX_TOMBSTONES;
afterEach(() => {
  bound.MAX_TOMBSTONES = MAX_TOMBSTONES;
});

type Variant = 'written' | 'collected' | 'evicted';

function staleDead(variant: Variant) {
  if (variant === 'evicted') bound.MAX_TOMBSTONES = 0;
  // A window of one holds the carrying message behind y0 for Y's credit
  // (variant 2); above one it is written at once (variants 1 and 3).
  const { apps, c, to, X, xInA, Y, yInB, yAtC, xAtB, xInD } = xyStage({ portWindow: variant === 'collected' ? 1 : 4 });
  const [a, b, cc, d] = apps as [App, App, App, App];
  // Variants 1 and 2: A's task lets its right go, so A's proxy is
  // collected and its RELEASE waits on A -> C (variant 2: y0 takes Y's one
  // credit there). Variant 3: A's task sends m1 on X, waiting on A -> C.
  const crossing = variant !== 'evicted';
  if (crossing) a.deallocate(xInA);
  else a.send(xInA, { id: 501 });
  if (variant === 'collected') a.send(Y, { id: 601 });
  settleExcept(c, ['1>3']);
  b.makeSend(xAtB);
  b.send(xAtB, { id: 502 });
  // C's proxy for X dies with the link B-C. Its DEAD to A waits on C -> A
  // in variants 1 and 2 (it crosses A's RELEASE); in variant 3 it kills
  // A's proxy.
  c.cut(2, 3);
  const held = crossing ? ['1>3', '3>1'] : ['1>3'];
  settleExcept(c, held);
  // B's task sends X's receive right on Y: through A, on to C.
  b.send(yInB, { id: 602, ports: { disp: MOVE_RECEIVE, names: [xAtB] } });
  settleExcept(c, held);
  const atA = c.node(1).machine.unsettled();
  const edges = (): number => c.node(1).machine.edgeCounts().deadBeforeCarrier ?? 0;
  // Variants 1 and 2: the DEAD of C's proxy comes to A before C reads A's
  // RELEASE and what follows; variant 3: C gets m1 and (its tombstone
  // evicted) answers it with a DEAD, sent before it reads the carrying
  // message behind m1.
  settleExcept(c, ['1>3']);
  settleExcept(c, []);
  const xAtC = receiveAll(cc, yAtC).flatMap((r) => (r.msg.header.id === 602 ? portsOf(r) : []))[0]!;
  const onX = receiveAll(cc, xAtC).map((r) => r.msg.header.id);
  const rights = { b: b.rights(xAtB), d: d.rights(xInD), c: cc.rights(xAtC) };
  // Exact NO SENDERS once B's and D's tasks let go.
  cc.requestNoSenders(xAtC, 0);
  b.deallocate(xAtB);
  d.deallocate(xInD);
  c.settle();
  const noSenders = receiveAll(cc, xAtC).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;
  const unsettled = c.nodes.flatMap((n) => n.machine.unsettled());
  return { atA, stale: edges(), onX, rights, noSenders, unsettled, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors) };
}

describe('a stale DEAD, sent before the receive right this node wrote to its sender (PROTOCOL.md §4.4, §9)', () => {
  for (const [variant, what] of [
    ['written', 'variant 1: the carrying message already written'],
    ['collected', 'variant 2: no tombstone here (the old proxy collected), the message waiting for credit'],
    ['evicted', 'variant 3: the sender answers an old message, its tombstone evicted'],
  ] as const) {
    it(`${what}: the entry the passing right left is not killed (the port lives)`, () => {
      const o = staleDead(variant);
      expect(o.errors).toEqual([]);
      expect(o.violations).toEqual([]);
      if (variant === 'collected') expect(o.atA).toEqual(['1:1 credit 0 of 1 on link 3', '1:1 64 bytes queued for credit', '3:1 64 bytes queued for credit']);
      // X lives at C with B's drained message; B's and D's rights hang off
      // no broken chain and stay send rights.
      expect(o.rights.c).toBe('R');
      expect(o.onX).toEqual([502]);
      expect(o.rights.b).toBe('S1');
      expect(o.rights.d).toBe('S1');
      expect(o.noSenders).toBe(1);
      expect(o.unsettled).toEqual([]);
      // The reached state: the DEAD came to the entry and was judged stale.
      expect(o.stale).toBe(1);
    });
  }
});

describe('an answer DEAD under a tombstone again (PROTOCOL.md §4.4, §9)', () => {
  // Task H's rule (no answer to a message for an identity the node holds a
  // tombstone for) made these two fail, from its commit on (bisected); with
  // the answer back they pass, and `5000038`'s answer is stale by `seen`
  // (test/held-send-once-relink.test.ts).
  for (const [num, relink, what] of [
    [13000116, false, '--held-rights: FIFO violated on port 5 from node 3'],
    [14000062, true, '--held-rights --relink: node 3 not settled, credit 3 of 5'],
  ] as const) {
    it(`the numbered schedule (${num} at length 320, ${what} under H's rule)`, () => {
      const { loss, nodes } = scheduleByNumber(num);
      expect(runSchedule(nodes, num, randomOps(num, 320, loss, false, true, relink), { loss }).violations).toEqual([]);
    });
  }
});
