import { describe, expect, it } from 'vitest';
import { App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { Cluster } from '../src/sim/cluster.js';
import { receiveAll, settleExcept } from './three-nodes.js';

/**
 * A migration whose route died at a node F that neither the node the right
 * came from (C) nor any neighbour of C has a link to (PROTOCOL.md §4.5, "A
 * migration whose route died"; §9, 2026-12-01, task N7). Five nodes on a
 * ring: C = 1, B = 2, F = 3, D = 4, E = 5, links 1-2, 2-3, 3-4, 4-5, 5-1.
 * Port P is home at C; its send right went C -> E -> D -> F -> B, so B's
 * proxy is routed to F and F's chain runs F -> D -> E -> C. B's task sends
 * m1 (held on the wire D -> E), then C moves P's receive right to B; B's
 * marker goes to F, link B-F dies before F reads it, and B re-sends it to
 * C naming F. C has no link to F and its only other neighbour, E, has none
 * either: with one neighbour hop (before) C returned the marker at once,
 * B made P home, and B's task's next message m2 was queued ahead of m1,
 * still on its way D -> E -> C -> B (per-port FIFO). Asked on (E asks D,
 * which has a link to F), the marker goes to F and down F's route behind m1.
 */
function ringOfFive(): { onP: number[]; askedOn: number; violations: string[]; errors: string[] } {
  const c = new Cluster({ nodes: 5, seed: 7, abis: ['i386', 'x86_64'] });
  const apps = [1, 2, 3, 4, 5].map((i) => new App(c, i, c.node(i).task('app')));
  const inbox = apps.map((app, i) => {
    const name = app.allocate();
    c.node(i + 1).publishRoot(app.task, name);
    return name;
  });
  for (const [a, b] of [[1, 2], [2, 3], [3, 4], [4, 5], [5, 1]] as const) c.connect(a, b);
  const to = (from: number, peer: number) => c.node(from).importRoot(apps[from - 1]!.task, peer);
  const pass = (from: number, peer: number, disp: number, name: number): number => {
    apps[from - 1]!.send(to(from, peer), { id: 1, ports: { disp, names: [name] } });
    c.settle();
    return portsOf(apps[peer - 1]!.receive(inbox[peer - 1]!)!)[0]!;
  };
  const [cApp, bApp] = apps as [App, App, App, App, App];
  const P = cApp.allocate();
  const pE = pass(1, 5, MAKE_SEND, P);
  const pD = pass(5, 4, COPY_SEND, pE);
  const pF = pass(4, 3, COPY_SEND, pD);
  const pB = pass(3, 2, COPY_SEND, pF);
  const c2b = to(1, 2);
  c.settle();
  // m1: B -> F -> D, then held on the wire D -> E.
  bApp.send(pB, { id: 101 });
  settleExcept(c, ['4>5']);
  // P's receive right to B; B's marker held on the wire B -> F.
  cApp.send(c2b, { id: 2, ports: { disp: MOVE_RECEIVE, names: [P] } });
  settleExcept(c, ['4>5', '2>3']);
  c.cut(2, 3);
  settleExcept(c, ['4>5']);
  // Whatever B has by now: if the right is home, m2 is queued at once.
  const got = receiveAll(bApp, inbox[1]!).flatMap((r) => (r.msg.header.id === 2 ? portsOf(r) : []));
  bApp.send(pB, { id: 102 });
  c.settle();
  const here = got[0] ?? receiveAll(bApp, inbox[1]!).flatMap((r) => (r.msg.header.id === 2 ? portsOf(r) : []))[0]!;
  const onP = receiveAll(bApp, here).map((r) => r.msg.header.id);
  const askedOn = c.nodes.reduce((s, n) => s + (n.machine.edgeCounts().lostRouteAskOn ?? 0), 0);
  return { onP, askedOn, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors) };
}

describe('a migration whose route died at a node no neighbour reaches', () => {
  it('the marker is asked on until a node with a link to the far end passes it there, behind what that end forwarded', () => {
    const r = ringOfFive();
    expect(r.errors).toEqual([]);
    expect(r.violations).toEqual([]);
    expect(r.onP).toEqual([101, 102]);
    // E, asked by C, asked D: the search went past C's neighbours.
    expect(r.askedOn).toBe(1);
  });
});
