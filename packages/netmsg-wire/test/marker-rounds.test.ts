import { describe, expect, it } from 'vitest';
import { type App, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { keepSendMoveToY, linkedNodes, receiveAll, rightToBStaleMarkerBehind, settleExcept } from './three-nodes.js';

/**
 * A marker of an earlier migration of a port coming back to its origin
 * while a new migration of the same port is under way there (PROTOCOL.md
 * §4.5, "A marker lost on its way home"; §9, 2026-12-01, task N7). Four
 * nodes, all linked: A = 1 (P's home), B = 2, X = 3, Y = 4. P's receive
 * right goes A -> B; B's marker goes to A, link B-X is lost meanwhile and B
 * sends a second marker of the same migration (`reflushOnLoss`). The first
 * comes back and B's migration finishes; the second stays on the wire
 * A -> B. B's task sends P's right to Y, then message m1 to P (through B's
 * proxy, now routed to Y; held on the wire B -> Y), and Y sends the right
 * back to B, whose new marker waits on B -> Y behind m1. The old marker
 * then reaches B: taken for the new migration's (before), the right was
 * made home at once and B's task's m2 was queued ahead of m1, which came
 * back Y -> B after it (per-port FIFO).
 */
function staleMarker(): { onP: number[]; homeEarly: boolean; earlier: number; violations: string[]; errors: string[] } {
  const { c, apps, inbox, to, pass } = linkedNodes(4);
  const [a, b, , y] = apps as [App, App, App, App];
  const a2b = to(1, 2), b2y = to(2, 4), y2b = to(4, 2);
  c.settle();
  const P = a.allocate();
  const pInB = pass(a, a2b, 1, MAKE_SEND, P, 2);
  // The right to B; a second marker of B's migration left on the wire A -> B (three-nodes.ts).
  const moved = rightToBStaleMarkerBehind(c, a, b, inbox[1]!, a2b, P);
  // B keeps a send right and moves P's right to Y.
  const atY = keepSendMoveToY(c, b, y, inbox[3]!, b2y, moved);
  // m1 through B's proxy (routed to Y), held on B -> Y; the right back to B.
  b.send(moved, { id: 101 });
  settleExcept(c, ['1>2', '2>4']);
  y.send(y2b, { id: 4, ports: { disp: MOVE_RECEIVE, names: [atY] } });
  settleExcept(c, ['1>2', '2>4']);
  // The old marker reaches B.
  settleExcept(c, ['2>4']);
  const back = receiveAll(b, inbox[1]!).flatMap((r) => (r.msg.header.id === 4 ? portsOf(r) : []));
  const homeEarly = back.length > 0;
  b.send(moved, { id: 102 });
  c.settle();
  receiveAll(b, inbox[1]!);
  const onP = receiveAll(b, moved).map((r) => r.msg.header.id);
  void pInB;
  const earlier = c.node(2).machine.edgeCounts().earlierRound ?? 0;
  return { onP, homeEarly, earlier, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors) };
}

describe('a marker of an earlier migration back at its origin', () => {
  it('is not taken for the marker of a new migration of the same port there', () => {
    const r = staleMarker();
    expect(r.errors).toEqual([]);
    expect(r.violations).toEqual([]);
    expect(r.homeEarly).toBe(false);
    expect(r.onP).toEqual([101, 102]);
    // The old marker came back and was dropped as of an earlier migration.
    expect(r.earlier).toBe(1);
  });
});
