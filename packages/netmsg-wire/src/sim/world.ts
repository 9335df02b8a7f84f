/**
 * The world a scenario runs in (a 2- or 3-node cluster with a client and a
 * server task), the checker that records violations, and the helpers every
 * scenario shares: snapshots of the end state and ordered receives.
 */
import type { Abi } from 'mach-msg';
import { App, COPY_SEND, portsOf } from './app.js';
import { Cluster } from './cluster.js';
import type { Received } from './kernel.js';

export interface World {
  c: Cluster;
  client: App;
  server: App;
  /** The server's service port (receive right in the server). */
  srv: number;
  /** The client's send right to the service port. */
  toServer: number;
  topology: 2 | 3;
}

export class Check {
  readonly failures: string[] = [];
  ok(cond: boolean, what: string): void {
    if (!cond) this.failures.push(what);
  }
  eq<T>(got: T, want: T, what: string): void {
    if (got !== want) this.failures.push(`${what}: got ${String(got)}, want ${String(want)}`);
  }
}

export function makeWorld(topology: 2 | 3, seed: number, abis: Abi[] = ['i386', 'x86_64', 'i386']): World {
  const c = new Cluster({ nodes: topology, seed, abis });
  const client = new App(c, 1, c.node(1).task('client'));
  const server = new App(c, 2, c.node(2).task('server'));
  const srv = server.allocate();
  c.node(2).publishRoot(server.task, srv);
  let toServer: number;
  if (topology === 2) {
    c.connect(1, 2);
    toServer = c.node(1).importRoot(client.task, 2);
  } else {
    // Third-party right: node 3 hands the client a right to node 2's port;
    // nodes 1 and 2 have no direct link, so the chain 1 -> 3 -> 2 carries it.
    c.connect(1, 3);
    c.connect(3, 2);
    const relay = new App(c, 3, c.node(3).task('relay'));
    const inbox = client.allocate();
    c.node(1).publishRoot(client.task, inbox);
    const r = c.node(3).importRoot(relay.task, 2);
    const i = c.node(3).importRoot(relay.task, 1);
    relay.send(i, { id: 1, ports: { disp: COPY_SEND, names: [r] } });
    c.settle();
    const got = client.receive(inbox)!;
    toServer = portsOf(got)[0]!;
  }
  c.settle();
  return { c, client, server, srv, toServer, topology };
}

export interface Baseline {
  spaces: Map<string, string>;
  live: number[];
  tables: string[];
}

export function snapshot(w: World): Baseline {
  const spaces = new Map<string, string>();
  for (const n of w.c.nodes) for (const t of n.kernel.tasks) spaces.set(`${n.id}/${t.label}`, JSON.stringify(t.describe()));
  return { spaces, live: w.c.nodes.map((n) => n.kernel.live.size), tables: w.c.nodes.map((n) => JSON.stringify(n.machine.tables())) };
}

/** Nothing left over: tables, spaces and live ports as right after setup. */
export function checkClean(w: World, base: Baseline, ck: Check): void {
  w.c.settle();
  for (const n of w.c.nodes) {
    const t = JSON.stringify(n.machine.tables());
    ck.eq(t, base.tables[n.id - 1], `node ${n.id} tables back to the setup state`);
    ck.eq(n.backlog.length, 0, `node ${n.id} backlog`);
    ck.eq(n.errors.length, 0, `node ${n.id} errors ${n.errors.join('; ')}`);
    for (const task of n.kernel.tasks) {
      const key = `${n.id}/${task.label}`;
      ck.eq(JSON.stringify(task.describe()), base.spaces.get(key), `space ${key}`);
    }
    ck.eq(n.kernel.live.size, base.live[n.id - 1], `node ${n.id} live ports`);
  }
  ck.eq(w.c.violations.length, 0, `violations ${w.c.violations.join('; ')}`);
}

/** Receive until the port stays empty with the cluster quiescent. */
export function recvAll(app: App, name: number): Received[] {
  const out: Received[] = [];
  for (;;) {
    const r = app.receive(name);
    if (r) {
      out.push(r);
      continue;
    }
    app.cluster.settle();
    const r2 = app.receive(name);
    if (!r2) return out;
    out.push(r2);
  }
}

export function checkSeq(ck: Check, got: Received[], ids: number[], what: string): void {
  ck.eq(got.map((r) => r.msg.header.id).join(','), ids.join(','), what);
  for (const r of got) if (ids.includes(r.msg.header.id)) ck.eq(r.msg.items.length, 0, `${what}: message ${r.msg.header.id} is header-only`);
}
