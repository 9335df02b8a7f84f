import type { WireLimits } from '../src/limits.js';
import { App, COPY_SEND, MAKE_SEND, MOVE_RECEIVE, portsOf } from '../src/sim/app.js';
import { Cluster } from '../src/sim/cluster.js';
import type { Received } from '../src/sim/kernel.js';

/**
 * Hand-placed schedules on the simulator: N fully linked nodes, each with an
 * app task whose inbox is published as its node's root, and a way to run the
 * simulator's own steps (link chunks, netmsg taking a message off a port,
 * backlog retries) first enabled first, with some held back. The cluster's
 * generator is bypassed only in WHICH enabled step runs next.
 */

export type Step = { kind: 'link'; from: number; to: number } | { kind: string; node?: number; name?: number };
/** The simulator's step machinery (private in Cluster: scheduling is the generator's job there). */
export interface Stepper {
  enabled(): Step[];
  run(s: Step): void;
}

/**
 * Run enabled steps, first enabled first, until none is left, except those
 * `held` names: chunks on a directed link ("from>to"), or a node's netmsg
 * taking messages off its ports ("ports@node").
 */
export function settleExcept(c: Cluster, held: string[]): void {
  const s = c as unknown as Stepper;
  const name = (x: Step) => (x.kind === 'link' && 'from' in x ? `${x.from}>${x.to}` : x.kind === 'port' ? `ports@${x.node}` : x.kind);
  for (let i = 0; i < 100_000; i++) {
    const next = s.enabled().find((x) => !held.includes(name(x)));
    if (!next) return;
    s.run(next);
  }
  throw new Error('no quiescence');
}

export function receiveAll(app: App, name: number): Received[] {
  const out: Received[] = [];
  for (let r = app.receive(name); r; r = app.receive(name)) out.push(r);
  return out;
}

export interface Nodes {
  c: Cluster;
  apps: App[];
  inbox: number[];
  /** A send right, in node `from`'s app task, to node `peer`'s inbox. */
  to: (from: number, peer: number) => number;
  /**
   * `sender` sends message `id` carrying `name` with `disp` over `link` (a
   * right from `to`) to node `receiver`'s inbox; once the cluster settled,
   * the name the right has in `receiver`'s app task.
   */
  pass: (sender: App, link: number, id: number, disp: number, name: number, receiver: number) => number;
}

/** `n` nodes (three unless told), all linked, each with an app task whose inbox is published as its node's root. */
export function linkedNodes(n = 3, limits?: Partial<WireLimits>): Nodes {
  const c = new Cluster({ nodes: n, seed: 1, abis: ['i386', 'x86_64', 'i386'], ...(limits ? { limits } : {}) });
  const apps = Array.from({ length: n }, (_, i) => new App(c, i + 1, c.node(i + 1).task('app')));
  const inbox = apps.map((app, i) => {
    const name = app.allocate();
    c.node(i + 1).publishRoot(app.task, name);
    return name;
  });
  for (let a = 1; a <= n; a++) for (let b = a + 1; b <= n; b++) c.connect(a, b);
  const to = (from: number, peer: number) => c.node(from).importRoot(apps[from - 1]!.task, peer);
  const pass = (sender: App, link: number, id: number, disp: number, name: number, receiver: number): number => {
    sender.send(link, { id, ports: { disp, names: [name] } });
    c.settle();
    return portsOf(apps[receiver - 1]!.receive(inbox[receiver - 1]!)!)[0]!;
  };
  return { c, apps, inbox, to, pass };
}

/**
 * The four-node stage of the stale-DEAD cases (PROTOCOL.md §4.4; nodes A =
 * 1, B = 2, C = 3, D = 4): X, C's port, with a send right at A (A's proxy
 * routed to C), its receive right moved to B, and a send right from B at D;
 * Y, A's port, with a send right at B and its receive right at C.
 */
export function xyStage(limits?: Partial<WireLimits>) {
  const nodes = linkedNodes(4, limits);
  const { c, apps, inbox, to, pass } = nodes;
  const [a, b, cc] = apps as [App, App, App, App];
  const links = { a2b: to(1, 2), a2c: to(1, 3), c2a: to(3, 1), c2b: to(3, 2), b2d: to(2, 4) };
  c.settle();
  const X = cc.allocate();
  const xInA = pass(cc, links.c2a, 1, MAKE_SEND, X, 1);
  const Y = a.allocate();
  const yInB = pass(a, links.a2b, 2, MAKE_SEND, Y, 2);
  a.makeSend(Y);
  a.send(links.a2c, { id: 3, ports: { disp: MOVE_RECEIVE, names: [Y] } });
  c.settle();
  const yAtC = receiveAll(cc, inbox[2]!).flatMap((r) => (r.msg.header.id === 3 ? portsOf(r) : []))[0]!;
  cc.send(links.c2b, { id: 4, ports: { disp: MOVE_RECEIVE, names: [X] } });
  c.settle();
  const xAtB = receiveAll(b, inbox[1]!).flatMap((r) => (r.msg.header.id === 4 ? portsOf(r) : []))[0]!;
  const xInD = pass(b, links.b2d, 5, MAKE_SEND, xAtB, 4);
  return { ...nodes, ...links, X, xInA, Y, yInB, yAtC, xAtB, xInD };
}

/** Every node's netmsg tables and live kernel ports: the state after setup, which the end is compared with. */
export function snapshot(c: Cluster): { tables: string; live: number }[] {
  return c.nodes.map((n) => ({ tables: JSON.stringify(n.machine.tables()), live: n.kernel.live.size }));
}

/** Empties every inbox, settles, and lists what differs from `base`. */
export function leftoverAfter(c: Cluster, apps: readonly App[], inbox: readonly number[], base: readonly { tables: string; live: number }[]): string[] {
  for (const [i, n] of inbox.entries()) receiveAll(apps[i]!, n);
  c.settle();
  const leftover: string[] = [];
  c.nodes.forEach((n, i) => {
    const t = JSON.stringify(n.machine.tables());
    if (t !== base[i]!.tables) leftover.push(`node ${n.id} tables ${t}`);
    if (n.kernel.live.size !== base[i]!.live) leftover.push(`node ${n.id} live ports ${n.kernel.live.size}, ${base[i]!.live} after setup`);
  });
  return leftover;
}

/** Deliver one chunk on the directed link `from` -> `to`, if one waits. */
export function stepLink(c: Cluster, from: number, to: number): void {
  const s = c as unknown as Stepper;
  const next = s.enabled().find((x) => x.kind === 'link' && 'from' in x && x.from === from && x.to === to);
  if (next) s.run(next);
}

/**
 * Four linked nodes A = 1, B = 2, X = 3: `p`'s receive right goes from A to
 * B in a message (id 2) to `a2b`; B's marker goes to A, the link B-X is lost
 * meanwhile and B sends a second marker of the same migration
 * (`reflushOnLoss`); both come back on A -> B, where only what B needs is let
 * in, a chunk at a time, so the first finishes B's migration and the second
 * stays on the wire A -> B (a stale marker for what follows: PROTOCOL.md
 * §4.5, "Markers name their migration"). Returns B's name for the right.
 */
export function rightToBStaleMarkerBehind(c: Cluster, a: App, b: App, bInbox: number, a2b: number, p: number): number {
  a.send(a2b, { id: 2, ports: { disp: MOVE_RECEIVE, names: [p] } });
  settleExcept(c, ['2>1']);
  c.cut(2, 3);
  settleExcept(c, ['2>1', '1>2']);
  settleExcept(c, ['1>2']);
  let moved: number | undefined;
  for (let i = 0; i < 1000 && moved === undefined; i++) {
    stepLink(c, 1, 2);
    settleExcept(c, ['1>2']);
    moved = receiveAll(b, bInbox).flatMap((r) => (r.msg.header.id === 2 ? portsOf(r) : []))[0];
  }
  if (moved === undefined) throw new Error('B never got the right');
  return moved;
}

/**
 * A port X of `chain[0]`'s app with a send right passed along `chain` (each
 * node to the next, so each node's proxy is routed to the one before it: a
 * ring of routes once the receive right moves round). Returns X's name in
 * the app of each node of the chain, in order.
 */
export function sendRightAlong(nodes: Pick<Nodes, 'apps' | 'to' | 'pass'>, chain: readonly number[]): number[] {
  const { apps, to, pass } = nodes;
  const first = apps[chain[0]! - 1]!;
  const X = first.allocate();
  first.makeSend(X);
  const names = [X];
  for (let i = 1; i < chain.length; i++) {
    names.push(pass(apps[chain[i - 1]! - 1]!, to(chain[i - 1]!, chain[i]!), i, i === 1 ? MAKE_SEND : COPY_SEND, names[i - 1]!, chain[i]!));
  }
  return names;
}

/**
 * After rightToBStaleMarkerBehind: B (its app `b`) keeps a send right to the
 * port and moves its receive right in message 3 over `b2y` to Y (`y`, whose
 * inbox is `yInbox`), the stale marker still held on A -> B. Returns Y's
 * name for the right.
 */
export function keepSendMoveToY(c: Cluster, b: App, y: App, yInbox: number, b2y: number, moved: number): number {
  b.makeSend(moved);
  b.send(b2y, { id: 3, ports: { disp: MOVE_RECEIVE, names: [moved] } });
  settleExcept(c, ['1>2']);
  return receiveAll(y, yInbox).flatMap((r) => (r.msg.header.id === 3 ? portsOf(r) : []))[0]!;
}
