import { describe, expect, it } from 'vitest';
import { type App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { keepSendMoveToY, linkedNodes, receiveAll, rightToBStaleMarkerBehind, settleExcept, stepLink } from './three-nodes.js';

/**
 * A relay waiting for its own marker (`relayWaits`) while a stale marker of
 * an earlier migration of its own for the same port is still out (PROTOCOL.md
 * §4.5, "A relay's senders behind the old home's queue" and "Markers name
 * their migration"; §9, 2026-12-01, task N10). Four nodes, all linked: A = 1
 * (P's and Q's home), B = 2, X = 3, Y = 4; Q's send right at B (routed to
 * A) and at Y (routed to B). As in `marker-rounds.test.ts`, P's receive right
 * goes A -> B, B's marker goes to A, the link B-X is lost and B sends a second
 * marker; the first finishes the migration, the second stays on the wire
 * A -> B. B keeps a send right and moves P's right to Y; B's task sends m1,
 * queued at Y. Y moves the right in a message to Q: it passes through B (a
 * relay with a proxy), which sends its own marker up to Y and holds its
 * senders; Y's drain (m1) is held on the wire Y -> B. The stale marker then
 * reaches B: taken for the relay's (before: a relay's marker carried no
 * round), it ended the wait, and B's task's m2 went to A, the new home,
 * ahead of m1 (per-port FIFO). Now the relay's marker carries a round of
 * its own, and only that one ends the wait.
 */
function relayStale(): { onP: number[]; waits: number; stale: number; violations: string[]; errors: string[] } {
  const { c, apps, inbox, to, pass } = linkedNodes(4);
  const [a, b, , y] = apps as [App, App, App, App];
  const a2b = to(1, 2), b2y = to(2, 4);
  c.settle();
  // Q: A's port, a send right at B (routed to A) and one at Y (routed to B).
  const Q = a.allocate();
  const qInB = pass(a, a2b, 1, MAKE_SEND, Q, 2);
  const qInY = pass(b, b2y, 1, COPY_SEND, qInB, 4);
  const P = a.allocate();
  pass(a, a2b, 1, MAKE_SEND, P, 2);
  // The right to B; a second marker of B's migration left on the wire A -> B (three-nodes.ts).
  const moved = rightToBStaleMarkerBehind(c, a, b, inbox[1]!, a2b, P);
  // B keeps a send right and moves P's right to Y; m1 through B's proxy, queued at Y.
  const atY = keepSendMoveToY(c, b, y, inbox[3]!, b2y, moved);
  b.send(moved, { id: 101 });
  settleExcept(c, ['1>2']);
  // Y moves P's right to Q: through B (a relay with a proxy), on to A.
  y.send(qInY, { id: 5, ports: { disp: MOVE_RECEIVE, names: [atY] } });
  const waits = () => c.node(2).machine.edgeCounts().relayWaits ?? 0;
  for (let i = 0; i < 1000 && waits() === 0; i++) {
    settleExcept(c, ['1>2', '4>2']);
    stepLink(c, 4, 2);
  }
  // The stale marker reaches B; Y's drain (m1) still on Y -> B.
  settleExcept(c, ['4>2']);
  b.send(moved, { id: 102 });
  settleExcept(c, ['4>2']);
  c.settle();
  const atA = receiveAll(a, Q).flatMap((r) => (r.msg.header.id === 5 ? portsOf(r) : []))[0]!;
  const onP = receiveAll(a, atA).map((r) => r.msg.header.id);
  const stale = c.node(2).machine.edgeCounts().staleRelayMarker ?? 0;
  return { onP, waits: waits(), stale, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors) };
}

describe('a relay waiting for its own marker', () => {
  it('is not ended by a stale migration marker of its own', () => {
    const r = relayStale();
    expect(r.errors).toEqual([]);
    expect(r.violations).toEqual([]);
    expect(r.onP).toEqual([101, 102]);
    // B waited as a relay once, and the stale marker came while it did.
    expect(r.waits).toBe(1);
    expect(r.stale).toBe(1);
  });
});
