import { describe, expect, it } from 'vitest';
import { type App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { NOTIFY_NO_SENDERS } from '../src/sim/kernel.js';
import { leftoverAfter, linkedNodes, receiveAll, settleExcept, snapshot, type Nodes } from './three-nodes.js';

/**
 * Three protocol edges of receive-right migration (PROTOCOL.md §4.5, §6),
 * each reached by a schedule placed by hand on the simulator's own steps
 * (test/three-nodes.ts): the random schedules reach them about never.
 *
 * Nodes: A = 1 (X's home), B = 2, C = 3, D = 4.
 */

interface Outcome {
  /** Message ids X's final receiver got on X, in queue order. */
  onX: number[];
  /** NO SENDERS on X once every sender let go. */
  noSenders: number;
  violations: string[];
  errors: string[];
  leftover: string[];
}

/**
 * P: a port of C's task whose receive right C moves to B while B -> C is
 * held back (its FLUSH cannot come back). B's task gets a send right to P
 * and gives A one, so A's proxy for P routes to B.
 */
function portMigratingToB({ c, apps: [, b, cc], pass }: Nodes, b2a: number, c2b: number): { pInA: number; pInB: number } {
  const P = cc!.allocate();
  const pInB = pass(cc!, c2b, 2, MAKE_SEND, P, 2);
  const pInA = pass(b!, b2a, 3, COPY_SEND, pInB, 1);
  cc!.send(c2b, { id: 103, ports: { disp: MOVE_RECEIVE, names: [P] } });
  settleExcept(c, ['2>3']);
  return { pInA, pInB };
}

/** B's task takes P's receive right (message 103), then X's (message 102, on P), and empties X. */
function takeAtB(b: App, inbox: number[]): { pHere: number; xHere: number; onX: number[] } {
  const pHere = receiveAll(b, inbox[1]!).flatMap((r) => (r.msg.header.id === 103 ? portsOf(r) : []))[0]!;
  const xHere = receiveAll(b, pHere).flatMap((r) => (r.msg.header.id === 102 ? portsOf(r) : []))[0]!;
  return { pHere, xHere, onX: receiveAll(b, xHere).map((r) => r.msg.header.id) };
}

/**
 * Edge (2): X's receive right is held at B for P, and B has no entry for X.
 * What comes for X meanwhile — A's drain of X's queue (x0), a message A's
 * task sends on (x1) — must wait for the right, not be destroyed as sent to
 * a dead port (with DEAD back to A, killing A's proxy: A's task's send right
 * would turn into a dead name while X lives).
 */
function unknownYet(): Outcome & { aRightToX: string } {
  const nodes = linkedNodes();
  const { c, apps, inbox, to, pass } = nodes;
  const [a, b] = apps as [App, App, App];
  const b2a = to(2, 1), c2b = to(3, 2);
  c.settle();
  const base = snapshot(c);
  const X = a.allocate();
  a.makeSend(X);
  const { pInA, pInB } = portMigratingToB(nodes, b2a, c2b);
  // x0 is in X's queue when the right leaves: A's drain sends it after the right.
  a.send(X, { id: 200 });
  a.send(pInA, { id: 102, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleExcept(c, ['2>3']);
  a.send(X, { id: 201 });
  settleExcept(c, ['2>3']);
  const aRightToX = a.rights(X);
  // P's marker returns: P's right, then (on P) X's, are B's task's.
  c.settle();
  a.send(X, { id: 202 });
  c.settle();
  const { pHere, xHere, onX } = takeAtB(b, inbox);
  b.requestNoSenders(xHere, 0);
  a.deallocate(X);
  c.settle();
  const noSenders = receiveAll(b, xHere).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;
  b.destroy(xHere);
  b.deallocate(pInB);
  a.deallocate(pInA);
  b.destroy(pHere);
  c.settle();
  const leftover = leftoverAfter(c, apps, inbox, base);
  return { onX, noSenders, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors), leftover, aRightToX };
}

/**
 * Edge (1): X's receive right is held at B for P, and B's proxy for X (routed
 * to A) had sent x1 that is still on its way to A. P's marker comes back
 * first. Without X's own FLUSH round, X becomes home at B with P, B's task's
 * next message x2 is queued on X at once, and x1, which A sends back, lands
 * behind it: B's task sent x1 first (per-port FIFO).
 */
function ownFlush(): Outcome {
  const nodes = linkedNodes();
  const { c, apps, inbox, to, pass } = nodes;
  const [a, b] = apps as [App, App, App];
  const a2b = to(1, 2), b2a = to(2, 1), c2b = to(3, 2);
  c.settle();
  const base = snapshot(c);
  const X = a.allocate();
  a.makeSend(X);
  const xInB = pass(a, a2b, 1, MAKE_SEND, X, 2);
  const { pInA, pInB } = portMigratingToB(nodes, b2a, c2b);
  // x1: B's task to X, through B's proxy; B -> A is held back.
  b.send(xInB, { id: 201 });
  settleExcept(c, ['2>3', '2>1']);
  a.send(pInA, { id: 102, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleExcept(c, ['2>3', '2>1']);
  // P's marker returns while x1 is still on its way to A.
  settleExcept(c, ['2>1']);
  b.send(xInB, { id: 202 });
  settleExcept(c, ['2>1']);
  c.settle();
  const { pHere, xHere, onX } = takeAtB(b, inbox);
  b.requestNoSenders(xHere, 0);
  a.deallocate(X);
  if (xHere === xInB) b.deallocate(xInB);
  c.settle();
  const noSenders = receiveAll(b, xHere).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;
  b.destroy(xHere);
  b.deallocate(pInB);
  a.deallocate(pInA);
  b.destroy(pHere);
  c.settle();
  const leftover = leftoverAfter(c, apps, inbox, base);
  return { onX, noSenders, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors), leftover };
}

/**
 * Edge (3), a window of one message per port and link: B's proxy for X
 * (routed to A) has spent its credit on b1 (B -> A held back) and queues c1,
 * which C's proxy sent through it (C's one credit for X is in it). X's
 * receive right then passes through B (A moves it to D in a message to Q, a
 * port of D's task that A reaches through B): B puts c1 back on X's port and
 * drains it after the right. C's credit for c1 must come back once D has it;
 * lost, C's next message c2 waits for credit forever and C's proxy (never
 * all acknowledged) never goes, so X's NO SENDERS is lost.
 */
function relayCredit(): Outcome {
  const { c, apps, inbox, to, pass } = linkedNodes(4, { portWindow: 1 });
  const [a, b, cc, d] = apps as [App, App, App, App];
  const a2b = to(1, 2), b2c = to(2, 3), b2a = to(2, 1), d2b = to(4, 2);
  c.settle();
  const base = snapshot(c);
  const X = a.allocate();
  a.makeSend(X);
  const xInB = pass(a, a2b, 1, MAKE_SEND, X, 2);
  const xInC = pass(b, b2c, 2, COPY_SEND, xInB, 3);
  const Q = d.allocate();
  const qInB = pass(d, d2b, 3, MAKE_SEND, Q, 2);
  const qInA = pass(b, b2a, 4, COPY_SEND, qInB, 1);

  b.send(xInB, { id: 301 });
  settleExcept(c, ['2>1']);
  cc.send(xInC, { id: 401 });
  settleExcept(c, ['2>1']);
  a.send(qInA, { id: 104, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleExcept(c, ['2>1']);
  c.settle();
  cc.send(xInC, { id: 402 });
  c.settle();
  const xHere = receiveAll(d, Q).flatMap((r) => (r.msg.header.id === 104 ? portsOf(r) : []))[0]!;
  const onX = receiveAll(d, xHere).map((r) => r.msg.header.id);
  d.requestNoSenders(xHere, 0);
  a.deallocate(X);
  b.deallocate(xInB);
  cc.deallocate(xInC);
  c.settle();
  const noSenders = receiveAll(d, xHere).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;
  d.destroy(xHere);
  d.destroy(Q);
  b.deallocate(qInB);
  a.deallocate(qInA);
  c.settle();
  const leftover = leftoverAfter(c, apps, inbox, base);
  return { onX, noSenders, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors), leftover };
}

/**
 * The link to the old home dies while X's right is held at B for P (B's
 * proxy for X is routed over it, B's task sent x2 through it meanwhile).
 * The message carrying the right is here and outlives the link, so X lives
 * and will be home at B: what B accepted for X before the loss (A's drain,
 * A's x1) and B's task's own message are delivered, and B's task's send
 * right stays a send right under the same name; only A's task, whose proxy
 * died with the link, gets a dead name. Before, B's proxy was killed with
 * the link: its right became a dead name and those messages were destroyed
 * while the port lived.
 */
function linkLossWhileHeld(): Outcome & { bRight: string; sameName: boolean; aRightToX: string; entryLeft: boolean } {
  const nodes = linkedNodes();
  const { c, apps, inbox, to, pass } = nodes;
  const [a, b] = apps as [App, App, App];
  const a2b = to(1, 2), b2a = to(2, 1), c2b = to(3, 2);
  c.settle();
  const X = a.allocate();
  a.makeSend(X);
  const xInB = pass(a, a2b, 1, MAKE_SEND, X, 2);
  const { pInA, pInB } = portMigratingToB(nodes, b2a, c2b);
  a.send(X, { id: 200 });
  a.send(pInA, { id: 102, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleExcept(c, ['2>3']);
  a.send(X, { id: 201 });
  settleExcept(c, ['2>3']);
  b.send(xInB, { id: 202 });
  settleExcept(c, ['2>3']);
  c.cut(1, 2);
  c.settle();
  const { pHere, xHere, onX } = takeAtB(b, inbox);
  const bRight = b.rights(xHere);
  const aRightToX = a.rights(X);
  b.requestNoSenders(xHere, 0);
  b.deallocate(xHere);
  c.settle();
  const noSenders = receiveAll(b, xHere).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;
  b.destroy(xHere);
  b.deallocate(pInB);
  b.destroy(pHere);
  c.settle();
  // Nothing of X is left in B's tables (only B's root and A's, which the link took, were there).
  const entryLeft = c.node(2).machine.tables().ports.some((p) => !p.pinned);
  return { onX, noSenders, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors), leftover: [], bRight, sameName: xHere === xInB, aRightToX, entryLeft };
}

describe('receive rights held for another port, and credit through a relay (PROTOCOL.md §4.5, §6)', () => {
  it('edge 2: a message for a port whose receive right is held here for another port is held, not answered DEAD', () => {
    const o = unknownYet();
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    expect(o.aRightToX).toBe('S1');
    expect(o.onX).toEqual([200, 201, 202]);
    expect(o.noSenders).toBe(1);
    expect(o.leftover).toEqual([]);
  });

  it('edge 1: a receive right held for another port still gets its own FLUSH round (per-port FIFO)', () => {
    const o = ownFlush();
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    expect(o.onX).toEqual([201, 202]);
    expect(o.noSenders).toBe(1);
    expect(o.leftover).toEqual([]);
  });

  it('edge 3: credit for messages a relay puts back on the port comes back to their sender', () => {
    const o = relayCredit();
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    // Per sender: C's c1 (401) before c2 (402); B's b1 (301) once.
    expect(o.onX.filter((id) => id >= 400)).toEqual([401, 402]);
    expect(o.onX.filter((id) => id < 400)).toEqual([301]);
    expect(o.noSenders).toBe(1);
    expect(o.leftover).toEqual([]);
  });

  it('link loss to the old home while the right is held for another port: the port lives, with what it had', () => {
    const o = linkLossWhileHeld();
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    expect(o.onX).toEqual([200, 201, 202]);
    expect(o.sameName).toBe(true);
    expect(o.bRight).toBe('R+S1');
    expect(o.aRightToX).toBe('D1');
    expect(o.noSenders).toBe(1);
    expect(o.entryLeft).toBe(false);
  });
});
