import { describe, expect, it } from 'vitest';
import { App, MAKE_SEND, MAKE_SEND_ONCE, portsOf } from '../src/sim/app.js';
import { Cluster } from '../src/sim/cluster.js';

/**
 * `maxPortsPerLink` (PROTOCOL.md §6): a peer may make a node allocate at most
 * that many live identities (proxies, one-shot proxies). A message that would
 * go over is refused whole with `limit_exceeded` and only that link closes;
 * everything accepted before it is delivered, and identities given back free
 * room again.
 */
const LIMIT = 4;

function world(nodes = 2) {
  const c = new Cluster({ nodes, seed: 11, abis: ['i386', 'x86_64', 'i386'], limits: { maxPortsPerLink: LIMIT } });
  const client = new App(c, 1, c.node(1).task('client'));
  const server = new App(c, 2, c.node(2).task('server'));
  const srv = server.allocate();
  c.node(2).publishRoot(server.task, srv);
  c.connect(1, 2);
  const toServer = c.node(1).importRoot(client.task, 2);
  c.settle();
  return { c, client, server, srv, toServer };
}

/** Send `k` messages to the server, each carrying a send right to a fresh port of the client's. */
function sendFresh(w: ReturnType<typeof world>, k: number, id0: number): number[] {
  const ports: number[] = [];
  for (let i = 0; i < k; i++) {
    const p = w.client.allocate();
    ports.push(p);
    expect(w.client.send(w.toServer, { id: id0 + i, ports: { disp: MAKE_SEND, names: [p] } })).toBe(0);
  }
  w.c.settle();
  return ports;
}

/** Receive until the port stays empty with the cluster quiescent (the queue limit is 5). */
function drain(app: App, name: number): { id: number; names: number[] }[] {
  const out: { id: number; names: number[] }[] = [];
  for (;;) {
    app.cluster.settle();
    const r = app.receive(name);
    if (!r) return out;
    out.push({ id: r.msg.header.id, names: portsOf(r) });
  }
}

describe('maxPortsPerLink is enforced per link, exactly', () => {
  it('accepts exactly the limit, refuses the next identity with limit_exceeded and closes that link only', () => {
    const w = world();
    sendFresh(w, LIMIT, 100);
    expect(w.c.node(2).errors).toEqual([]);
    expect(w.c.linked(1, 2)).toBe(true);
    const first = drain(w.server, w.srv);
    expect(first.map((m) => m.id)).toEqual([100, 101, 102, 103]);
    sendFresh(w, 1, 200);
    expect(w.c.node(2).errors.length).toBe(1);
    expect(w.c.node(2).errors[0]).toMatch(/^limit_exceeded: link 1: 4 port identities live, message adds 1, limit 4/);
    expect(w.c.linked(1, 2)).toBe(false);
    expect(drain(w.server, w.srv)).toEqual([]);
    expect(w.c.violations).toEqual([]);
  });

  it('identities given back free room again; a message over the limit is refused whole', () => {
    const w = world();
    sendFresh(w, LIMIT, 100);
    for (const m of drain(w.server, w.srv)) for (const n of m.names) expect(w.server.deallocate(n)).toBe(0);
    w.c.settle();
    // The proxies were collected (no senders), so the link has room for four more.
    sendFresh(w, LIMIT, 300);
    expect(w.c.node(2).errors).toEqual([]);
    const again = drain(w.server, w.srv);
    expect(again.map((m) => m.id)).toEqual([300, 301, 302, 303]);
    for (const m of again) for (const n of m.names) w.server.deallocate(n);
    w.c.settle();
    // One message with five fresh identities (four send rights and a
    // send-once reply) does not fit: nothing of it is imported.
    const ps = [w.client.allocate(), w.client.allocate(), w.client.allocate(), w.client.allocate()];
    const reply = w.client.allocate();
    w.client.send(w.toServer, { id: 400, reply: { name: reply, disp: MAKE_SEND_ONCE }, ports: { disp: MAKE_SEND, names: ps } });
    w.c.settle();
    expect(w.c.node(2).errors.map((e) => e.split(':')[0])).toEqual(['limit_exceeded']);
    expect(drain(w.server, w.srv)).toEqual([]);
    expect(w.c.violations).toEqual([]);
    // The server's node keeps no proxy for the refused rights.
    expect(w.c.node(2).machine.tables().ports.filter((p) => !p.pinned)).toEqual([]);
    expect(w.c.node(2).machine.tables().sendOnceProxies).toEqual([]);
  });

  it('counts per link: another link has its own budget', () => {
    const c = new Cluster({ nodes: 3, seed: 5, limits: { maxPortsPerLink: LIMIT } });
    const server = new App(c, 2, c.node(2).task('server'));
    const srv = server.allocate();
    c.node(2).publishRoot(server.task, srv);
    c.connect(1, 2);
    c.connect(3, 2);
    for (const from of [1, 3]) {
      const app = new App(c, from, c.node(from).task(`client${from}`));
      const to = c.node(from).importRoot(app.task, 2);
      for (let i = 0; i < LIMIT; i++) app.send(to, { id: from * 10 + i, ports: { disp: MAKE_SEND, names: [app.allocate()] } });
      c.settle();
    }
    expect(c.node(2).errors).toEqual([]);
    expect(drain(server, srv).length).toBe(2 * LIMIT);
    expect(c.linked(1, 2) && c.linked(3, 2)).toBe(true);
    expect(c.violations).toEqual([]);
  });
});
