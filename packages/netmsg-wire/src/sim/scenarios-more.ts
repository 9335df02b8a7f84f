/**
 * Scenarios added after the seed's suite: send-once rights made before a
 * receive right moves (PROTOCOL.md §4.5), NULL and DEAD in every right slot,
 * and a client task exiting with an RPC pending (the seed's "more tests").
 * Run on 2 and 3 nodes by scenarios.ts, with the same end-state checks.
 */
import { COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, MOVE_SEND, MOVE_SEND_ONCE, intOf, portsOf } from './app.js';
import { MACH_PORT_NULL, MACH_SEND_INVALID_DEST, NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, NOTIFY_SEND_ONCE } from './kernel.js';
import { type Check, recvAll, type World } from './world.js';

/**
 * Send-once rights made before a receive right moves (PROTOCOL.md §4.5):
 * two RPC reply rights the server holds and one send-once right a client
 * task keeps, all made while T lived at the client, are used after T's
 * receive right went to the server and the client's queue drained. Mach
 * queues each message on T through its send-once right wherever T is: the
 * reply, the send-once notification of the right destroyed unused, and the
 * local one all arrive at the server as send-once messages. Meanwhile the
 * server's NO SENDERS comes as soon as the last *send* right is gone:
 * send-once rights are not send rights.
 */
export function lateSendOnce(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  ck.eq(c.makeSend(T), 0, 'client keeps a send right to T');
  c.send(w.toServer, { id: 60002, reply: { name: T, disp: MAKE_SEND_ONCE } });
  c.send(w.toServer, { id: 60003, reply: { name: T, disp: MAKE_SEND_ONCE } });
  const L = c.task.freshName();
  ck.eq(c.kernel.insertSendOnce(c.task, L, T), 0, 'client task makes a send-once right to T');
  w.c.settle();
  const req1 = s.receive(w.srv);
  const req2 = s.receive(w.srv);
  ck.ok(req1 !== undefined && req2 !== undefined, 'server got both requests');
  if (!req1 || !req2) return;
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] } });
  w.c.settle();
  const moved = s.receive(w.srv);
  ck.ok(moved !== undefined, 'server got the receive right');
  if (!moved) return;
  const P = portsOf(moved)[0]!;
  ck.eq(s.requestNoSenders(P), 0, 'server requests NO SENDERS on T');
  c.deallocate(T);
  w.c.settle();
  const ns = recvAll(s, P);
  ck.eq(ns.map((r) => r.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'NO SENDERS once the last send right is gone, send-once rights still out');
  // The client's make-send was before the move, which reset the count.
  ck.eq(ns[0] ? intOf(ns[0], 0) : -1, 0, 'make-send count (reset by the move)');
  // Now, long after the drain, the send-once rights are used.
  ck.eq(s.send(req1.msg.header.remotePort, { id: 60102, disp: MOVE_SEND_ONCE, ints: [0] }), 0, 'late reply');
  ck.eq(s.deallocate(req2.msg.header.remotePort), 0, 'reply right destroyed unused');
  ck.eq(c.send(L, { id: 60103, disp: MOVE_SEND_ONCE }), 0, 'client uses its send-once right');
  w.c.settle();
  const got = recvAll(s, P);
  ck.eq(got.map((r) => r.msg.header.id).sort((a, b) => a - b).join(','), `${NOTIFY_SEND_ONCE},60102,60103`, 'each send-once right\'s one message reaches T at its new home');
  for (const r of got) ck.eq(r.msg.header.bits.local, MOVE_SEND_ONCE, `message ${r.msg.header.id} arrives through a send-once right`);
  s.destroy(P);
}

/**
 * As above, but the link the receive right crossed is lost before the
 * send-once rights are used: they depended on it, so they die (the client's
 * becomes a dead name), and the receiver gets Mach's send-once notification
 * for each of them at once — as for a send-once right destroyed unused —
 * instead of waiting forever; nothing is left in netmsg's tables.
 */
export function lateSendOnceLinkLoss(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.send(w.toServer, { id: 60002, reply: { name: T, disp: MAKE_SEND_ONCE } });
  const L = c.task.freshName();
  ck.eq(c.kernel.insertSendOnce(c.task, L, T), 0, 'client task makes a send-once right to T');
  w.c.settle();
  const req = s.receive(w.srv);
  ck.ok(req !== undefined, 'server got the request');
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] } });
  w.c.settle();
  const moved = s.receive(w.srv);
  ck.ok(moved !== undefined, 'server got the receive right');
  if (!req || !moved) return;
  const P = portsOf(moved)[0]!;
  if (w.topology === 2) w.c.cut(1, 2);
  else w.c.cut(1, 3);
  w.c.settle();
  const got = recvAll(s, P);
  ck.eq(got.map((r) => r.msg.header.id).join(','), `${NOTIFY_SEND_ONCE},${NOTIFY_SEND_ONCE}`, 'one send-once notification per send-once right that died with the link');
  ck.eq(c.rights(L), 'D1', 'the client\'s send-once right is a dead name');
  ck.eq(s.rights(req.msg.header.remotePort), 'D1', 'the server\'s reply right is a dead name');
  c.deallocate(L);
  s.deallocate(req.msg.header.remotePort);
  s.destroy(P);
  w.c.settle();
}

/**
 * A receive right that goes out and comes back while send-once rights made
 * at its first home are still unused: each one's message still reaches it,
 * through a send-once right, and every relay and pool is gone at the end.
 */
export function sendOnceRoundTrip(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.send(w.toServer, { id: 60002, reply: { name: T, disp: MAKE_SEND_ONCE } });
  w.c.settle();
  const req = s.receive(w.srv);
  ck.ok(req !== undefined, 'server got the request');
  const inbox = c.allocate();
  c.send(w.toServer, { id: 50004, ports: { disp: MAKE_SEND, names: [inbox] } });
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] } });
  w.c.settle();
  const I = s.receive(w.srv);
  const moved = s.receive(w.srv);
  ck.ok(I !== undefined && moved !== undefined, 'server got the inbox right and the receive right');
  if (!req || !I || !moved) return;
  const P = portsOf(moved)[0]!;
  const toClient = portsOf(I)[0]!;
  ck.eq(s.send(toClient, { id: 1, disp: MOVE_SEND, ports: { disp: MOVE_RECEIVE, names: [P] } }), 0, 'server sends T back');
  w.c.settle();
  const back = c.receive(inbox);
  ck.ok(back !== undefined, 'client got T back');
  if (!back) return;
  const T2 = portsOf(back)[0]!;
  ck.eq(s.send(req.msg.header.remotePort, { id: 60102, disp: MOVE_SEND_ONCE }), 0, 'late reply');
  w.c.settle();
  const got = recvAll(c, T2);
  ck.eq(got.map((r) => r.msg.header.id).join(','), '60102', 'the reply reaches T');
  ck.eq(got[0]?.msg.header.bits.local, MOVE_SEND_ONCE, 'through a send-once right');
  c.destroy(T2);
  c.destroy(inbox);
}

/**
 * MACH_PORT_NULL and MACH_PORT_DEAD in every right slot (seed "more tests"):
 * receive, send-once and send positions, inline and out of line, and as the
 * reply port. Mach passes them through untranslated; so must netmsg.
 */
export function nullDeadEverySlot(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const D = 0xffffffff;
  const slots: [string, number, boolean][] = [
    ['receive', MOVE_RECEIVE, false], ['send-once', MOVE_SEND_ONCE, false], ['send', MOVE_SEND, false],
    ['receive, out of line', MOVE_RECEIVE, true], ['send-once, out of line', MOVE_SEND_ONCE, true], ['send, out of line', MOVE_SEND, true],
  ];
  for (const [what, disp, ool] of slots) {
    ck.eq(c.send(w.toServer, { id: 60006, ports: { disp, names: [MACH_PORT_NULL, D], ool } }), 0, `send NULL and DEAD as ${what}`);
    w.c.settle();
    const r = s.receive(w.srv);
    ck.eq(r ? portsOf(r).map((n) => n >>> 0).join(',') : 'nothing', `${MACH_PORT_NULL},${D}`, `NULL and DEAD untranslated as ${what}`);
  }
  ck.eq(c.send(w.toServer, { id: 60007, reply: { name: D, disp: MOVE_SEND_ONCE } }), 0, 'send with a DEAD reply port');
  w.c.settle();
  const r = s.receive(w.srv);
  ck.eq(r ? r.msg.header.remotePort >>> 0 : -1, D, 'DEAD reply port untranslated');
}

/**
 * A client task exits while an RPC is pending, holding a send right to a
 * server port and having given the server a send right to one of its own
 * (seed "client exits", "server survives client disconnect", "lingering
 * ports"): the kernel destroys all its rights at once. The reply port died,
 * so the server's reply right becomes a dead name; the server's port the
 * client held gets NO SENDERS; its right to the client's port becomes a dead
 * name (DEAD NAME fires); and it goes on serving another client.
 */
export function clientExits(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const setup = new Set(c.task.space.keys()); // the world's own rights (roots), netmsg's business
  const Q = s.allocate();
  ck.eq(s.requestNoSenders(Q), 0, 'server requests NO SENDERS on Q');
  const inbox = c.allocate();
  c.send(w.toServer, { id: 50004, ports: { disp: MAKE_SEND, names: [inbox] } });
  w.c.settle();
  const I = portsOf(s.receive(w.srv)!)[0]!;
  const D = s.allocate();
  ck.eq(s.requestDeadName(I, D), 0, 'server watches the client port');
  s.send(I, { id: 1, disp: COPY_SEND, ports: { disp: MAKE_SEND, names: [Q] } });
  const reply = c.allocate();
  c.send(w.toServer, { id: 60002, reply: { name: reply, disp: MAKE_SEND_ONCE } });
  w.c.settle();
  const req = s.receive(w.srv)!;
  const q = portsOf(c.receive(inbox)!)[0]!;
  ck.ok(q !== undefined, 'client holds a send right to Q');
  // The client task exits: every right it holds goes at once.
  for (const [name, e] of [...c.task.space]) {
    if (setup.has(name)) continue;
    if (e.receive) c.destroy(name);
    while (c.task.space.get(name)?.send) c.deallocate(name);
  }
  w.c.settle();
  ck.eq(recvAll(s, Q).map((m) => m.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'server: NO SENDERS on Q');
  ck.eq(s.rights(I), 'D1', 'server: the client port is a dead name');
  ck.eq(recvAll(s, D).map((m) => m.msg.header.id).join(','), String(NOTIFY_DEAD_NAME), 'server: DEAD NAME fired');
  ck.eq(s.rights(req.msg.header.remotePort), 'D1', 'server: the pending reply right is a dead name');
  ck.eq(s.send(req.msg.header.remotePort, { id: 60102, disp: MOVE_SEND_ONCE }), MACH_SEND_INVALID_DEST, 'replying to the dead reply port fails as Mach says');
  s.deallocate(req.msg.header.remotePort);
  s.deallocate(I);
  s.destroy(D);
  s.destroy(Q);
  // The server survives: another request is served as before.
  const c2 = c.allocate();
  ck.eq(c.send(w.toServer, { id: 60002, reply: { name: c2, disp: MAKE_SEND_ONCE } }), 0, 'a new client request');
  w.c.settle();
  const req2 = s.receive(w.srv);
  ck.ok(req2 !== undefined, 'server receives it');
  if (req2) s.send(req2.msg.header.remotePort, { id: 60102, disp: MOVE_SEND_ONCE });
  w.c.settle();
  ck.eq(recvAll(c, c2).map((m) => m.msg.header.id).join(','), '60102', 'and replies');
  c.destroy(c2);
}
