import { describe, expect, it } from 'vitest';
import { type App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { NOTIFY_NO_SENDERS } from '../src/sim/kernel.js';
import type { Cluster } from '../src/sim/cluster.js';
import type { KPort } from '../src/sim/kernel.js';
import { leftoverAfter, linkedNodes, receiveAll, settleExcept, snapshot, type Step, type Stepper } from './three-nodes.js';

/**
 * Receive rights passing through a node (a relay, PROTOCOL.md §4.5, §4.6)
 * while that node's own proxy still has messages on their way to the old
 * home. Nodes: A = 1 (X's home), B = 2 (the relay), D = 3 (the new home).
 */

/**
 * R1: X's right passes through B (A moves it to Q, a port of D's task that
 * A reaches through B) while x1, which B's task sent to X through B's proxy
 * (routed to A), is still on its way to A. B's task's next message x2 goes
 * to D directly; x1 comes back A -> B -> D. D must queue x1 before x2.
 */
function relayLocalSender(): { onX: number[]; noSenders: number; violations: string[]; errors: string[]; leftover: string[] } {
  const { c, apps, inbox, to, pass } = linkedNodes();
  const [a, b, d] = apps as [App, App, App];
  const a2b = to(1, 2), b2a = to(2, 1), d2b = to(3, 2);
  c.settle();
  const base = snapshot(c);
  const X = a.allocate();
  a.makeSend(X);
  const xInB = pass(a, a2b, 1, MAKE_SEND, X, 2);
  const Q = d.allocate();
  const qInB = pass(d, d2b, 3, MAKE_SEND, Q, 2);
  const qInA = pass(b, b2a, 4, COPY_SEND, qInB, 1);
  b.send(xInB, { id: 301 });
  settleExcept(c, ['2>1']);
  a.send(qInA, { id: 104, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleExcept(c, ['2>1']);
  b.send(xInB, { id: 302 });
  settleExcept(c, ['2>1']);
  c.settle();
  const xHere = receiveAll(d, Q).flatMap((r) => (r.msg.header.id === 104 ? portsOf(r) : []))[0]!;
  const onX = receiveAll(d, xHere).map((r) => r.msg.header.id);
  d.requestNoSenders(xHere, 0);
  a.deallocate(X);
  b.deallocate(xInB);
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

/** Settle, holding back chunks on the directed links `held` and node `node`'s netmsg taking messages off `port`. */
function settleHolding(c: Cluster, held: string[], node: number, port: KPort): void {
  const s = c as unknown as Stepper;
  const skip = (x: Step) => (x.kind === 'link' && 'from' in x && held.includes(`${x.from}>${x.to}`)) || (x.kind === 'port' && x.node === node && x.name === c.node(node).netmsg.nameOf(port));
  for (let i = 0; i < 100_000; i++) {
    const next = s.enabled().find((x) => !skip(x));
    if (!next) return;
    s.run(next);
  }
  throw new Error('no quiescence');
}

/**
 * R2 (the put-back path): X's receive right reaches the relay B in a message
 * to P whose own receive right is in B's hands (in a message to Q, held
 * behind Q's drain: B's task moved Q to D with a message still queued). B
 * starts X's FLUSH round (B's proxy for X routed to A still has x1 on its
 * way to A), but Q's drain ends first: P's right goes on to D, and B puts
 * the message carrying X back on P's port and sends it on from there, as a
 * port message, not as a relayed one. X must not be made home at B (and
 * passed on) before its round is back: x1 would come back behind x2, which
 * B's task sends after X left. Nodes: A = 1, B = 2, C = 3 (P's home), D = 4.
 */
function putBackHeldRight(): { onX: number[]; noSenders: number; violations: string[]; errors: string[]; leftover: string[] } {
  const { c, apps, inbox, to, pass } = linkedNodes(4);
  const [a, b, cc, d] = apps as [App, App, App, App];
  const a2b = to(1, 2), b2a = to(2, 1), c2b = to(3, 2), b2c = to(2, 3), b2d = to(2, 4);
  c.settle();
  const base = snapshot(c);
  const X = a.allocate();
  a.makeSend(X);
  const xInB = pass(a, a2b, 1, MAKE_SEND, X, 2);
  const P = cc.allocate();
  const pInB = pass(cc, c2b, 2, MAKE_SEND, P, 2);
  const pInA = pass(b, b2a, 3, COPY_SEND, pInB, 1);
  const Q = b.allocate();
  const qInC = pass(b, b2c, 4, MAKE_SEND, Q, 3);
  const qPort = b.task.space.get(Q)!.port!;
  // x1: B's task to X through B's proxy (routed to A); B -> A held back.
  b.send(xInB, { id: 301 });
  settleExcept(c, ['2>1']);
  // Q's right goes to D with 500 still queued: B's drain of Q is held back.
  b.makeSend(Q);
  b.send(Q, { id: 500 });
  b.deallocate(Q);
  b.send(b2d, { id: 105, ports: { disp: MOVE_RECEIVE, names: [Q] } });
  settleHolding(c, ['2>1'], 2, qPort);
  // C moves P's right to Q: held at B behind Q's drain (P's round comes back).
  cc.send(qInC, { id: 106, ports: { disp: MOVE_RECEIVE, names: [P] } });
  settleHolding(c, ['2>1'], 2, qPort);
  // A moves X's right to P: held at B for P; X's round waits behind x1.
  a.send(pInA, { id: 107, ports: { disp: MOVE_RECEIVE, names: [X] } });
  settleHolding(c, ['2>1'], 2, qPort);
  // Q's drain ends: P's right goes on to D, the message carrying X with it.
  settleExcept(c, ['2>1']);
  b.send(xInB, { id: 302 });
  settleExcept(c, ['2>1']);
  c.settle();
  const qHere = receiveAll(d, inbox[3]!).flatMap((r) => (r.msg.header.id === 105 ? portsOf(r) : []))[0]!;
  const pHere = receiveAll(d, qHere).flatMap((r) => (r.msg.header.id === 106 ? portsOf(r) : []))[0]!;
  const xHere = receiveAll(d, pHere).flatMap((r) => (r.msg.header.id === 107 ? portsOf(r) : []))[0]!;
  const onX = receiveAll(d, xHere).map((r) => r.msg.header.id);
  d.requestNoSenders(xHere, 0);
  a.deallocate(X);
  b.deallocate(xInB);
  c.settle();
  const noSenders = receiveAll(d, xHere).filter((r) => r.msg.header.id === NOTIFY_NO_SENDERS).length;
  d.destroy(xHere);
  d.destroy(pHere);
  d.destroy(qHere);
  a.deallocate(pInA);
  b.deallocate(pInB);
  cc.deallocate(qInC);
  c.settle();
  const leftover = leftoverAfter(c, apps, inbox, base);
  return { onX, noSenders, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors), leftover };
}

describe('receive rights relayed while the relay still has messages out (PROTOCOL.md §4.5)', () => {
  it('R1: a relay local sender\'s message forwarded to the old home before the right passed arrives first', () => {
    const o = relayLocalSender();
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    expect(o.onX).toEqual([301, 302]);
    expect(o.noSenders).toBe(1);
    expect(o.leftover).toEqual([]);
  });

  it('R2: a receive right put back on a relayed port and sent on from its queue waits for its own FLUSH round', () => {
    const o = putBackHeldRight();
    expect(o.errors).toEqual([]);
    expect(o.violations).toEqual([]);
    expect(o.onX).toEqual([301, 302]);
    expect(o.noSenders).toBe(1);
    expect(o.leftover).toEqual([]);
  });
});
