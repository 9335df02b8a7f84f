import { describe, expect, it } from 'vitest';
import { type App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { NOTIFY_NO_SENDERS } from '../src/sim/kernel.js';
import { linkedNodes, receiveAll, settleExcept, type Nodes } from './three-nodes.js';

function portMigratingToB({ c, apps: [, b, cc], pass }: Nodes, b2a: number, c2b: number): { pInA: number; pInB: number } {
  const P = cc!.allocate();
  const pInB = pass(cc!, c2b, 2, MAKE_SEND, P, 2);
  const pInA = pass(b!, b2a, 3, COPY_SEND, pInB, 1);
  cc!.send(c2b, { id: 103, ports: { disp: MOVE_RECEIVE, names: [P] } });
  settleExcept(c, ['2>3']);
  return { pInA, pInB };
}

function heldSendAcrossRelink() {
  const nodes = linkedNodes();
  const { c, apps, inbox, to } = nodes;
  const [a, b] = apps as [App, App, App];
  const b2a = to(2, 1), c2b = to(3, 2);
  c.settle();
  const { pInA } = portMigratingToB(nodes, b2a, c2b);
  const R = a.allocate();
  a.requestNoSenders(R, 1);
  a.send(pInA, { id: 301, ports: { disp: MAKE_SEND, names: [R] } });
  settleExcept(c, ['2>3']);
  const heldAtB = JSON.stringify(c.node(2).machine.unsettled());
  c.cut(1, 2);
  const rAfterCut = receiveAll(a, R).map((r) => r.msg.header.id);
  c.relink(1, 2);
  settleExcept(c, ['2>3']);
  c.settle();
  const pHere = receiveAll(b, inbox[1]!).flatMap((r) => (r.msg.header.id === 103 ? portsOf(r) : []))[0]!;
  const onP = receiveAll(b, pHere);
  const rInB = onP.flatMap((r) => (r.msg.header.id === 301 ? portsOf(r) : []))[0];
  const bRight = rInB === undefined ? 'none' : b.rights(rInB);
  const unsettled = c.nodes.map((n) => n.machine.unsettled());
  const t1 = JSON.stringify(c.node(1).machine.tables());
  const t2 = JSON.stringify(c.node(2).machine.tables());
  if (rInB !== undefined) b.deallocate(rInB);
  c.settle();
  const rLater = receiveAll(a, R).map((r) => r.msg.header.id);
  return { heldAtB, rAfterCut, onP: onP.map((r) => r.msg.header.id), bRight, unsettled, t1, t2, rLater, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors.map((e) => `${n.id}: ${e}`)) };
}

describe('explore', () => {
  it('case 1', () => {
    const o = heldSendAcrossRelink();
    console.log(JSON.stringify(o, null, 1));
    expect(o).toBeDefined();
  });
});
