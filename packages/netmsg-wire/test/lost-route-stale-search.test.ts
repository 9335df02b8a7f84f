import { describe, expect, it } from 'vitest';
import { App, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { Cluster } from '../src/sim/cluster.js';
import { receiveAll, settleExcept } from './three-nodes.js';

/**
 * A route search after an earlier one of the same origin and port that
 * found the lost link's far end further on (PROTOCOL.md §4.5, "A migration
 * whose route died"; §9, 2026-12-01, task N10). Six nodes, links 1-2, 2-3,
 * 3-4, 4-5, 5-6, 6-2, 5-1; B = 2, port P made at node 1, which keeps a send
 * right (P keeps its identity throughout). First search: B's proxy is routed
 * to 1 and P's receive right comes to B by 1 -> 5 -> 4 -> 3 -> B; B's marker
 * dies with the link 1-2 and B asks 3 (via 1); 3 asks 4, 4 asks 5, which
 * passes it to 1: 4's memory of the search (asked by 3) stays, nothing
 * tells it the search ended. Second search: B, keeping a send right, sends
 * the right on 3 -> 4 -> 5 -> 6 (its proxy routed to 3); B's task's m1 goes
 * B -> 3, held on the wire 3 -> 4; 6 moves the right to B, whose marker dies
 * with the link 2-3, and B asks 6 (via 3). 6 asks 5, 5 asks 1 (no way on)
 * and then 4. Before, 4 took the request (from 5, not 3) for the first
 * search come round to it and turned it back as a dead end; 6 fell back,
 * returned the marker at once, and B's task's m2 was queued ahead of m1
 * (per-port FIFO). Now only a request of the same round is a loop: 4 passes
 * the marker to 3, and it comes down 3's route behind m1.
 */
function staleSearch(): { onP: number[]; phase1: number[]; probes: number; violations: string[]; errors: string[] } {
  const c = new Cluster({ nodes: 6, seed: 7, abis: ['i386', 'x86_64'] });
  const apps = [1, 2, 3, 4, 5, 6].map((i) => new App(c, i, c.node(i).task('app')));
  const inbox = apps.map((app, i) => {
    const name = app.allocate();
    c.node(i + 1).publishRoot(app.task, name);
    return name;
  });
  for (const [a, b] of [[1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 2], [5, 1]] as const) c.connect(a, b);
  const to = (from: number, peer: number) => c.node(from).importRoot(apps[from - 1]!.task, peer);
  const pass = (from: number, peer: number, disp: number, name: number): number => {
    apps[from - 1]!.send(to(from, peer), { id: 1, ports: { disp, names: [name] } });
    c.settle();
    return portsOf(apps[peer - 1]!.receive(inbox[peer - 1]!)!)[0]!;
  };
  const bApp = apps[1]!;
  // Phase 1: P home at 1, B's proxy routed to 1; the right goes 1 -> 5 -> 4 -> 3 -> B.
  const P = apps[0]!.allocate();
  const pB = pass(1, 2, MAKE_SEND, P);
  // Node 1 keeps a send right: the port keeps its identity (1:1) throughout.
  apps[0]!.makeSend(P);
  const p5 = pass(1, 5, MOVE_RECEIVE, P);
  const p4 = pass(5, 4, MOVE_RECEIVE, p5);
  const p3 = pass(4, 3, MOVE_RECEIVE, p4);
  c.settle();
  apps[2]!.send(to(3, 2), { id: 2, ports: { disp: MOVE_RECEIVE, names: [p3] } });
  // B's marker (up its route, to 1) held on 2 -> 1, then that link dies:
  // B asks 3 (via 1); 3 asks 4, 4 asks 5, 5 passes it to 1.
  settleExcept(c, ['2>1']);
  c.cut(1, 2);
  c.settle();
  const got = receiveAll(bApp, inbox[1]!).flatMap((r) => (r.msg.header.id === 2 ? portsOf(r) : []));
  const atB = got[0]!;
  bApp.send(pB, { id: 90 });
  c.settle();
  const phase1 = receiveAll(bApp, atB).map((r) => r.msg.header.id);
  // Phase 2: B keeps a send right and the right goes B -> 3 -> 4 -> 5 -> 6.
  bApp.makeSend(atB);
  const q3 = pass(2, 3, MOVE_RECEIVE, atB);
  const q4 = pass(3, 4, MOVE_RECEIVE, q3);
  const q5 = pass(4, 5, MOVE_RECEIVE, q4);
  const q6 = pass(5, 6, MOVE_RECEIVE, q5);
  c.settle();
  // m1: B -> 3 -> 4, held on the wire 3 -> 4.
  bApp.send(atB, { id: 101 });
  settleExcept(c, ['3>4']);
  // P's right 6 -> B; B's marker held on 2 -> 3, then that link dies.
  apps[5]!.send(to(6, 2), { id: 3, ports: { disp: MOVE_RECEIVE, names: [q6] } });
  settleExcept(c, ['3>4', '2>3']);
  c.cut(2, 3);
  settleExcept(c, ['3>4']);
  const got2 = receiveAll(bApp, inbox[1]!).flatMap((r) => (r.msg.header.id === 3 ? portsOf(r) : []));
  bApp.send(atB, { id: 102 });
  c.settle();
  const here = got2[0] ?? receiveAll(bApp, inbox[1]!).flatMap((r) => (r.msg.header.id === 3 ? portsOf(r) : []))[0]!;
  const onP = receiveAll(bApp, here).map((r) => r.msg.header.id);
  const probes = c.nodes.reduce((s, n) => s + (n.machine.edgeCounts().lostRouteProbe ?? 0), 0);
  return { onP, phase1, probes, violations: [...c.violations], errors: c.nodes.flatMap((n) => n.errors) };
}

describe('a route search after another that found its far end further on', () => {
  it('is not turned back by the memory the first one left', () => {
    const r = staleSearch();
    expect(r.errors).toEqual([]);
    expect(r.violations).toEqual([]);
    expect(r.phase1).toEqual([90]);
    expect(r.onP).toEqual([101, 102]);
    // Each search passed the marker to the far end: 5 to 1, then 4 to 3.
    expect(r.probes).toBe(2);
  });
});
