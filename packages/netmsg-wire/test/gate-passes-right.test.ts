import { describe, expect, it } from 'vitest';
import { type App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, MOVE_SEND, portsOf } from '../src/sim/app.js';
import { NOTIFY_NO_SENDERS } from '../src/sim/kernel.js';
import { leftoverAfter, linkedNodes, receiveAll, settleExcept, snapshot, type Step, type Stepper } from './three-nodes.js';

/**
 * A receive right that waits in a link's gate at a node after its own FLUSH
 * came back (behind another right's marker), and that the gate then lets go
 * WITHOUT making it home there: its message is for a port whose own receive
 * right left the node meanwhile, so the message joins that port's drain and
 * the right goes on with it (PROTOCOL.md §4.5, "If the gate lets the right
 * go without making it home here"). Random schedules reach this only
 * rarely; here every step is placed by hand.
 *
 * Nodes: A = 1 (the right's old home), B = 2 (where it waits), C = 3 (where
 * it ends up). The steps are the simulator's own (link chunks, netmsg
 * taking a message off a port, backlog retries), chosen in a fixed order
 * with some links held back (test/three-nodes.ts).
 */

interface Outcome {
  /** Message ids the final receiver of X got on X, in queue order. */
  onX: number[];
  /** NO SENDERS on X once A's task dropped its send right. */
  noSenders: number;
  violations: string[];
  errors: string[];
  /** netmsg tables (and kernel ports) left over once everything is dropped and destroyed. */
  leftover: string[];
  /** Whether any message for X went from B back to X's old home A after the gate let the right go. */
  bouncedToOldHome: boolean;
}

/**
 * `queuedOnP`: a message (m100) waits in P's queue at B when P's receive
 * right leaves, so P's drain (and with it the message carrying X's right)
 * lasts beyond the gate's opening.
 */
function scenario(queuedOnP: boolean): Outcome {
  const { c, apps, inbox, to, pass } = linkedNodes();
  const [a, b, cc] = apps as [App, App, App];
  const a2c = to(1, 3), b2a = to(2, 1), b2c = to(2, 3), c2b = to(3, 2);
  c.settle();
  const base = snapshot(c);

  // X and Y: ports of A's task. A keeps a send right to X.
  const X = a.allocate();
  const Y = a.allocate();
  a.makeSend(X);
  // P: a port of B's task; A gets a send right to it.
  const P = b.allocate();
  const pInA = pass(b, b2a, 1, MAKE_SEND, P, 1);
  // B gets a send right to Y through C, so B's proxy for Y routes to C
  // (§4.6): Y's FLUSH from B goes B -> C -> A -> B.
  const yInC = pass(a, a2c, 2, MAKE_SEND, Y, 3);
  const yInB = pass(cc, c2b, 3, MOVE_SEND, yInC, 2);
  if (queuedOnP) {
    a.send(pInA, { id: 100 });
    c.settle();
  }

  // 1. A moves Y's receive right, then X's, to B, in two messages to P.
  //    C -> A is held back, so Y's marker cannot return: both messages
  //    wait in B's gate for A's link. X's own marker (B -> A -> B) returns.
  a.send(pInA, { id: 101, ports: { disp: MOVE_RECEIVE, names: [Y] } });
  a.send(pInA, { id: 102, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleExcept(c, ['3>1']);
  // 2. A's task sends x1 to X: B holds it (X's marker is back, its right
  //    still waits in the gate).
  a.send(X, { id: 201 });
  settleExcept(c, ['3>1']);
  // 3. B's task moves P's receive right to C: P's drain now includes both
  //    gated messages (m101, m102).
  //    From here on B's netmsg takes nothing else off its ports (m100
  //    stays in P's queue, so P's drain is not over).
  b.send(b2c, { id: 103, ports: { disp: MOVE_RECEIVE, names: [P] } });
  (c as unknown as Stepper).run({ kind: 'port', node: 2, name: c.node(2).roots.get(3)! } as Step);
  settleExcept(c, ['3>1', 'ports@2']);
  // 4. Y's marker returns (C -> A -> B): the gate opens; m101 and m102
  //    join P's drain (X's right goes on to C with m102 when the drain
  //    ends). B -> A is held back to see whether anything for X is sent
  //    back to the old home.
  const framesBtoA: string[] = [];
  const bMachine = c.node(2).machine;
  const handle = bMachine.handle.bind(bMachine);
  bMachine.handle = (ev) => {
    const out = handle(ev);
    for (const act of out) {
      if (act.type === 'sendFrame' && act.peer === 1 && act.frame.kind === 'message') framesBtoA.push(String(act.frame.msg.msgId));
    }
    return out;
  };
  settleExcept(c, ['2>1', 'ports@2']);
  // 5. A's task sends x2 to X while anything B sent back is still on the
  //    way, and before B's netmsg takes anything off its ports (m100; and
  //    what a relay puts back on the port for X).
  a.send(X, { id: 202 });
  settleExcept(c, ['2>1', 'ports@2']);
  c.settle();
  bMachine.handle = handle;

  // C's task: P's receive right, then (on P) Y's and X's.
  const gotP = receiveAll(cc, inbox[2]!);
  const pInC = gotP.flatMap((r) => (r.msg.header.id === 103 ? portsOf(r) : []))[0]!;
  const onP = receiveAll(cc, pInC);
  const xInC = onP.flatMap((r) => (r.msg.header.id === 102 ? portsOf(r) : []))[0]!;
  const yInC2 = onP.flatMap((r) => (r.msg.header.id === 101 ? portsOf(r) : []))[0]!;
  const onX = receiveAll(cc, xInC).map((r) => r.msg.header.id);

  // Exact NO SENDERS: A's task drops its send right to X.
  cc.requestNoSenders(xInC, 0);
  a.deallocate(X);
  c.settle();
  const noSenders = receiveAll(cc, xInC).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;

  // Everything dropped and destroyed: tables as after setup.
  b.deallocate(yInB);
  c.settle();
  cc.destroy(xInC);
  cc.destroy(yInC2);
  cc.destroy(pInC);
  a.deallocate(pInA);
  c.settle();
  const leftover = leftoverAfter(c, apps, inbox, base);
  return {
    onX, noSenders, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors), leftover,
    bouncedToOldHome: framesBtoA.some((id) => id === '201' || id === '202'),
  };
}

/**
 * The message carrying X's receive right arrives, on another link, for a
 * port P whose own receive right waits at B for its FLUSH: the message is
 * held for P, and X's right with it. A's task then sends x1 to X: B must
 * hold it (X's right is in B's hands) — forwarded on B's route for X (to
 * A, where X was), it came straight back, again and again, while P's
 * marker was away. Once P's marker returns, the right is delivered and x1
 * is put back ahead of x2.
 */
function heldForMigratingPort(): Outcome & { quiescentWhileHeld: boolean } {
  const { c, apps, inbox, to, pass } = linkedNodes();
  const [a, b, cc] = apps as [App, App, App];
  const a2b = to(1, 2), b2a = to(2, 1), c2b = to(3, 2);
  c.settle();
  const base = snapshot(c);

  // X: a port of A's task, which keeps a send right; B's task gets one too
  // (B's proxy for X routes to A).
  const X = a.allocate();
  a.makeSend(X);
  const xInB = pass(a, a2b, 1, MAKE_SEND, X, 2);
  // P: a port of C's task. B's task gets a send right (B's proxy routes to
  // C) and passes one to A (A's proxy routes to B).
  const P = cc.allocate();
  const pInB = pass(cc, c2b, 2, MAKE_SEND, P, 2);
  const pInA = pass(b, b2a, 3, COPY_SEND, pInB, 1);

  // 1. C's task moves P's receive right to B; B -> C is held back, so P's
  //    marker cannot come back.
  cc.send(c2b, { id: 103, ports: { disp: MOVE_RECEIVE, names: [P] } });
  settleExcept(c, ['2>3']);
  // 2. A's task moves X's receive right to B in a message to P: B holds it
  //    for P. 3. A's task sends x1 to X.
  a.send(pInA, { id: 102, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleExcept(c, ['2>3']);
  a.send(X, { id: 201 });
  let quiescentWhileHeld = true;
  try {
    settleExcept(c, ['2>3']);
  } catch {
    quiescentWhileHeld = false;
  }
  // 4. P's marker returns: P's right, then X's (in message 102), are B's task's.
  c.settle();
  a.send(X, { id: 202 });
  c.settle();

  const gotP = receiveAll(b, inbox[1]!);
  const pHere = gotP.flatMap((r) => (r.msg.header.id === 103 ? portsOf(r) : []))[0]!;
  const onP = receiveAll(b, pHere);
  const xHere = onP.flatMap((r) => (r.msg.header.id === 102 ? portsOf(r) : []))[0]!;
  const onX = receiveAll(b, xHere).map((r) => r.msg.header.id);

  // Exact NO SENDERS: both tasks drop their send rights to X (B's is on the
  // name its receive right came under).
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
  return { onX, noSenders, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors), leftover, bouncedToOldHome: false, quiescentWhileHeld };
}

describe('the gate lets a receive right go on without making it home (PROTOCOL.md §4.5)', () => {
  for (const queuedOnP of [false, true]) {
    const what = queuedOnP ? ' (the drain it joins outlasts the gate)' : '';
    it(`messages held for it follow the right to its new home in order; nothing goes back to the old home${what}`, () => {
      const o = scenario(queuedOnP);
      expect(o.errors).toEqual([]);
      expect(o.violations).toEqual([]);
      expect(o.bouncedToOldHome).toBe(false);
      // Per-port FIFO: A's task sent x1 (201) before x2 (202).
      expect(o.onX).toEqual([201, 202]);
      // Exact NO SENDERS once the one sender let go; nothing leaked.
      expect(o.noSenders).toBe(1);
      expect(o.leftover).toEqual([]);
    });
  }

  it('held for a port whose own receive right waits here for its FLUSH: what arrives for it is held, not sent back round', () => {
    const o = heldForMigratingPort();
    expect(o.quiescentWhileHeld).toBe(true);
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    expect(o.onX).toEqual([201, 202]);
    expect(o.noSenders).toBe(1);
    expect(o.leftover).toEqual([]);
  });
});
