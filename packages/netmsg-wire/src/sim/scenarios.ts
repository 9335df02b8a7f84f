import { MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, MOVE_SEND, MOVE_SEND_ONCE, intOf, portsOf } from './app.js';
import { Check, checkClean, checkSeq, makeWorld, recvAll, snapshot, type World } from './world.js';
import { clientExits, lateSendOnce, lateSendOnceLinkLoss, nullDeadEverySlot, sendOnceRoundTrip } from './scenarios-more.js';
import { MACH_PORT_DEAD, MACH_PORT_NULL, MACH_SEND_INVALID_DEST, MACH_SEND_TIMED_OUT, NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, NOTIFY_PORT_DELETED, NOTIFY_SEND_ONCE } from './kernel.js';

/**
 * The seed's netmsg-test conformance suite (seed §2.4), the tests it
 * described but never wrote (§2.5), and their three-node versions, over the
 * simulator. Each scenario checks the exact notifications and, at the end,
 * that every table and port space is back to what it was after setup.
 */

const COUNT = 3;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** The server side of the seed's test1 routine. */
function serverTest1(w: World, ck: Check, destroy: boolean, transfer: boolean, copy: boolean): number {
  const s = w.server;
  const req = s.receive(w.srv);
  ck.ok(req !== undefined && req.msg.header.id === 50000, 'server got test1');
  if (!req) return 0;
  const P = portsOf(req)[0]!;
  for (const i of range(0, COUNT)) ck.eq(s.send(P, { id: i }), 0, `server send ${i}`);
  const D = s.allocate();
  ck.eq(s.requestDeadName(P, D), 0, 'dead-name request');
  if (copy) s.addRef(P);
  if (destroy) {
    s.deallocate(P);
    if (!copy) ck.eq(s.rights(P), '', 'P invalid after destroy');
  } else if (transfer) {
    ck.eq(s.send(P, { id: COUNT + 1, ports: { disp: MOVE_SEND, names: [P] } }), 0, 'transfer P back');
    if (!copy) ck.eq(s.rights(P), '', 'P invalid after transfer');
  }
  if (copy) for (const i of range(COUNT, 2 * COUNT)) s.send(P, { id: i });
  return D;
}

function serverExpectOnD(w: World, ck: Check, D: number, id: number): void {
  const got = recvAll(w.server, D);
  ck.eq(got.map((r) => r.msg.header.id).join(','), String(id), 'server notification on D');
  w.server.destroy(D);
}

export type Scenario = { name: string; nodes: 2 | 3; run: (w: World, ck: Check) => void };

function test1(w: World, ck: Check): void {
  const { client: c } = w;
  const T = c.allocate();
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] }, ints: [COUNT, 1, 0, 0] });
  c.requestNoSenders(T);
  w.c.settle();
  const D = serverTest1(w, ck, true, false, false);
  w.c.settle();
  const got = recvAll(c, T);
  checkSeq(ck, got.slice(0, COUNT), range(0, COUNT), 'test1 messages');
  ck.eq(got[COUNT]?.msg.header.id, NOTIFY_NO_SENDERS, 'test1 NO SENDERS');
  ck.eq(got[COUNT] ? intOf(got[COUNT]!, 0) : -1, 1, 'test1 make-send count');
  ck.eq(got.length, COUNT + 1, 'test1 nothing else');
  c.destroy(T);
  ck.eq(c.rights(T), '', 'T invalid');
  serverExpectOnD(w, ck, D, NOTIFY_PORT_DELETED);
}

function test2(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.makeSend(T);
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] }, ints: [COUNT, 1] });
  for (const i of range(0, COUNT)) ck.eq(c.send(T, { id: i }), 0, `client send ${i}`);
  c.deallocate(T);
  ck.eq(c.rights(T), '', 'T invalid at client');
  w.c.settle();
  const req = s.receive(w.srv)!;
  const P = portsOf(req)[0]!;
  ck.eq(s.rights(P), 'R', 'server holds the receive right');
  s.requestNoSenders(P);
  w.c.settle();
  const got = recvAll(s, P);
  checkSeq(ck, got.slice(0, COUNT), range(0, COUNT), 'test2 messages');
  ck.eq(got[COUNT]?.msg.header.id, NOTIFY_NO_SENDERS, 'test2 NO SENDERS');
  // The client's make-send was before the move: MOVE_RECEIVE starts the
  // count again at 0 (ipc_port_clear_receiver), and the server made none.
  ck.eq(got[COUNT] ? intOf(got[COUNT]!, 0) : -1, 0, 'test2 make-send count (reset by the move)');
  s.destroy(P);
  ck.eq(s.rights(P), '', 'P invalid');
}

function test3(w: World, ck: Check): void {
  const c = w.client;
  const T = c.allocate();
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] }, ints: [COUNT, 0, 0, 0] });
  w.c.settle();
  const req = w.server.receive(w.srv)!;
  const P = portsOf(req)[0]!;
  for (const i of range(0, COUNT)) w.server.send(P, { id: i });
  const D = w.server.allocate();
  w.server.requestDeadName(P, D);
  w.c.settle();
  checkSeq(ck, recvAll(c, T), range(0, COUNT), 'test3 messages');
  c.destroy(T);
  ck.eq(c.rights(T), '', 'T invalid');
  w.c.settle();
  const got = recvAll(w.server, D);
  ck.eq(got.map((r) => r.msg.header.id).join(','), String(NOTIFY_DEAD_NAME), 'test3 DEAD NAME');
  ck.eq(w.server.rights(P), 'D1', 'P is a dead name at the server');
  w.server.deallocate(P);
  w.server.destroy(D);
}

function test4(w: World, ck: Check): void {
  const c = w.client;
  const T = c.allocate();
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] }, ints: [COUNT, 0, 1, 0] });
  c.requestNoSenders(T);
  w.c.settle();
  const D = serverTest1(w, ck, false, true, false);
  w.c.settle();
  const got = recvAll(c, T);
  checkSeq(ck, got.slice(0, COUNT), range(0, COUNT), 'test4 messages');
  const back = got[COUNT];
  ck.ok(back !== undefined && back.msg.header.id === COUNT + 1, 'test4 returned right');
  if (back) ck.eq(portsOf(back)[0], T, 'send right returns under the original name');
  c.deallocate(T);
  w.c.settle();
  const ns = recvAll(c, T);
  ck.eq(ns.map((r) => r.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'test4 NO SENDERS after the drop');
  c.destroy(T);
  ck.eq(c.rights(T), '', 'T invalid');
  serverExpectOnD(w, ck, D, NOTIFY_PORT_DELETED);
}

function test5(w: World, ck: Check, requestNs: boolean): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.makeSend(T);
  const R = c.allocate();
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] }, ints: [COUNT, requestNs ? 1 : 0] });
  for (const i of range(0, COUNT)) c.send(T, { id: i });
  w.c.settle();
  const req = s.receive(w.srv)!;
  const P = portsOf(req)[0]!;
  if (requestNs) s.requestNoSenders(P);
  // The return port travels as its own message (the seed passes it in the same RPC).
  c.send(w.toServer, { id: 50003, ports: { disp: MAKE_SEND, names: [R] } });
  w.c.settle();
  const r2 = s.receive(w.srv)!;
  const RR = portsOf(r2)[0]!;
  checkSeq(ck, recvAll(s, P), range(0, COUNT), 'test5 messages at the server');
  ck.eq(s.send(RR, { id: COUNT + 1, disp: MOVE_SEND, ports: { disp: MOVE_RECEIVE, names: [P] } }), 0, 'return the receive right');
  ck.eq(s.rights(P), '', 'P invalid at the server');
  ck.eq(s.rights(RR), '', 'R invalid at the server');
  w.c.settle();
  const back = recvAll(c, R);
  ck.eq(back.length, 1, 'test5 one message on R');
  if (back[0]) ck.eq(portsOf(back[0])[0], T, 'receive right returns under the original name');
  ck.eq(c.rights(T), 'R+S1', 'client holds receive and send on T');
  c.deallocate(T);
  w.c.settle();
  const after = recvAll(c, T);
  if (requestNs) {
    // Real Mach keeps a no-senders request when the receive right moves
    // (test 5a): the notification reaches the port's queue.
    ck.eq(after.map((r) => r.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'test5a NO SENDERS kept across the move');
  } else {
    ck.eq(after.length, 0, 'test5 nothing more on T');
  }
  c.destroy(T);
  ck.eq(c.rights(T), '', 'T invalid');
  c.destroy(R);
  ck.eq(c.rights(R), '', 'R invalid');
}

function test6(w: World, ck: Check): void {
  const c = w.client;
  const T = c.allocate();
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] }, ints: [COUNT, 0, 1, 1] });
  c.requestNoSenders(T);
  w.c.settle();
  const req = w.server.receive(w.srv)!;
  const P = portsOf(req)[0]!;
  const s = w.server;
  for (const i of range(0, COUNT)) s.send(P, { id: i });
  const D = s.allocate();
  s.requestDeadName(P, D);
  s.addRef(P);
  s.send(P, { id: 100, ports: { disp: MOVE_SEND, names: [P] } });
  ck.eq(s.rights(P), 'S1', 'server kept a copy');
  for (const i of range(COUNT, 2 * COUNT)) s.send(P, { id: i });
  w.c.settle();
  const got = recvAll(c, T);
  ck.eq(got.map((r) => r.msg.header.id).join(','), [0, 1, 2, 100, 3, 4, 5].join(','), 'test6 order, the right-carrying message in place');
  const back = got[COUNT];
  if (back) ck.eq(portsOf(back)[0], T, 'returned right under the original name');
  c.deallocate(T);
  c.destroy(T);
  ck.eq(c.rights(T), '', 'T invalid');
  w.c.settle();
  const dn = recvAll(s, D);
  ck.eq(dn.map((r) => r.msg.header.id).join(','), String(NOTIFY_DEAD_NAME), 'test6 DEAD NAME at the server');
  s.deallocate(P);
  s.destroy(D);
}

function test11(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.makeSend(T);
  c.send(w.toServer, { id: 50002, ports: { disp: MOVE_RECEIVE, names: [T] } });
  // The server destroys the receive right on arrival, racing with our sends.
  let destroyed = false;
  for (const i of range(0, COUNT)) {
    for (let k = 0; k < 3; k++) w.c.step();
    if (!destroyed) {
      const req = s.receive(w.srv);
      if (req) {
        s.destroy(portsOf(req)[0]!);
        destroyed = true;
      }
    }
    const code = c.send(T, { id: i });
    ck.ok(code === 0 || code === MACH_SEND_INVALID_DEST, `test11 send ${i} gives success or INVALID_DEST (${code})`);
  }
  w.c.settle();
  if (!destroyed) {
    const req = s.receive(w.srv)!;
    s.destroy(portsOf(req)[0]!);
  }
  w.c.settle();
  const r = c.rights(T);
  ck.ok(r === 'D1', `T is a dead name after the remote destroy (${r})`);
  c.deallocate(T);
  ck.eq(c.rights(T), '', 'T invalid');
}

function test13(w: World, ck: Check): void {
  const c = w.client;
  const T = c.allocate();
  c.makeSend(T);
  for (let i = 0; i < COUNT; i++) c.send(T, { id: NOTIFY_SEND_ONCE });
  const got = recvAll(c, T);
  ck.eq(got.map((r) => r.msg.header.id).join(','), '71,71,71', 'test13 three id-71 messages');
  c.deallocate(T);
  c.destroy(T);
  ck.eq(c.rights(T), '', 'T invalid');
}

function test7(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.makeSend(T);
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] } });
  for (const i of range(0, COUNT)) c.send(T, { id: i });
  w.c.settle();
  const P = portsOf(s.receive(w.srv)!)[0]!;
  s.requestNoSenders(P);
  checkSeq(ck, recvAll(s, P), range(0, COUNT), 'test7 messages');
  // The server makes a send right and returns it: it arrives as T.
  const inbox = c.allocate();
  c.send(w.toServer, { id: 50004, ports: { disp: MAKE_SEND, names: [inbox] } });
  w.c.settle();
  const I = portsOf(s.receive(w.srv)!)[0]!;
  s.send(I, { id: 1, disp: MOVE_SEND, ports: { disp: MAKE_SEND, names: [P] } });
  w.c.settle();
  const back = c.receive(inbox)!;
  ck.eq(portsOf(back)[0], T, 'test7 send right returns as T');
  ck.eq(c.rights(T), 'S2', 'test7 two urefs on T');
  for (const i of range(COUNT, 2 * COUNT)) c.send(T, { id: i });
  c.deallocate(T);
  c.deallocate(T);
  w.c.settle();
  const got = recvAll(s, P);
  checkSeq(ck, got.slice(0, COUNT), range(COUNT, 2 * COUNT), 'test7 later messages');
  ck.eq(got[COUNT]?.msg.header.id, NOTIFY_NO_SENDERS, 'test7 NO SENDERS');
  // The client's make-send was before the move (the count restarted at 0
  // then); the server's one after it is the only one counted.
  ck.eq(got[COUNT] ? intOf(got[COUNT]!, 0) : -1, 1, 'test7 make-send count (server 1; the client\'s was reset by the move)');
  s.destroy(P);
  c.destroy(inbox);
}

function test8(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] } });
  c.requestNoSenders(T);
  w.c.settle();
  const P = portsOf(s.receive(w.srv)!)[0]!;
  s.send(P, { id: 0 });
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] } });
  w.c.settle();
  const P2 = portsOf(s.receive(w.srv)!)[0]!;
  ck.eq(P2, P, 'test8 second copy under the same name');
  ck.eq(s.rights(P), 'S2', 'test8 two urefs');
  s.send(P, { id: 1 });
  s.deallocate(P);
  s.send(P, { id: 2 });
  w.c.settle();
  checkSeq(ck, recvAll(c, T), [0, 1, 2], 'test8 messages');
  s.deallocate(P);
  w.c.settle();
  const ns = recvAll(c, T);
  ck.eq(ns.map((r) => r.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'test8 NO SENDERS after the last copy');
  ck.eq(ns[0] ? intOf(ns[0], 0) : -1, 2, 'test8 make-send count');
  c.destroy(T);
}

function test9(w: World, ck: Check, keepCopy: boolean): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] } });
  w.c.settle();
  const P = portsOf(s.receive(w.srv)!)[0]!;
  for (const i of range(0, COUNT)) s.send(P, { id: i });
  w.c.settle();
  if (keepCopy) c.makeSend(T);
  // Messages queued on T move with the receive right.
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] } });
  w.c.settle();
  const P2 = portsOf(s.receive(w.srv)!)[0]!;
  ck.eq(P2, P, 'test9 receive right arrives under the server\'s send-right name');
  ck.eq(s.rights(P), 'R+S1', 'test9 server holds receive and send');
  s.requestNoSenders(P);
  if (keepCopy) {
    c.send(T, { id: 10 });
    c.deallocate(T);
  }
  s.deallocate(P);
  w.c.settle();
  const got = recvAll(s, P);
  const ids = keepCopy ? [0, 1, 2, 10, NOTIFY_NO_SENDERS] : [0, 1, 2, NOTIFY_NO_SENDERS];
  ck.eq(got.map((r) => r.msg.header.id).join(','), ids.join(','), 'test9 queued messages followed, then NO SENDERS');
  // Every make-send (the one given to the server, and the copy) came before
  // the move, which starts the count again at 0.
  ck.eq(got.at(-1) ? intOf(got.at(-1)!, 0) : -1, 0, 'test9 make-send count (reset by the move)');
  s.destroy(P);
}

function test12(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.makeSend(T);
  const N = c.allocate();
  c.requestNoSenders(T, 0, N);
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] } });
  w.c.settle();
  const P = portsOf(s.receive(w.srv)!)[0]!;
  s.makeSend(P);
  w.c.settle();
  c.deallocate(T);
  w.c.settle();
  ck.eq(recvAll(c, N).length, 0, 'test12 no NO SENDERS while the server holds a send right');
  s.deallocate(P);
  w.c.settle();
  const got = recvAll(c, N);
  ck.eq(got.map((r) => r.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'test12 NO SENDERS after the second drop, to the original notify port');
  // The request moved with the right and stayed armed; the count is the
  // server's one make-send (the client's was before the move).
  ck.eq(got[0] ? intOf(got[0], 0) : -1, 1, 'test12 make-send count (server 1; reset by the move)');
  s.destroy(P);
  c.destroy(N);
}

function dataTypes(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const bytes = new Uint8Array(300).map((_, i) => i & 0xff);
  c.send(w.toServer, { id: 60000, ints: [-1, 0x7fffffff, 42], bytes });
  w.c.settle();
  const r = s.receive(w.srv)!;
  ck.eq(intOf(r, 0), -1, 'int -1');
  ck.eq(intOf(r, 1), 0x7fffffff, 'int max');
  const b = r.msg.items.find((i) => i.kind === 'data' && i.type.name === 9);
  ck.ok(b !== undefined && b.kind === 'data' && b.data.length === 300 && b.data[299] === (299 & 0xff), 'byte array intact');
  ck.eq(r.msg.header.bits.remote, 0, 'NULL reply port stays NULL');
}

function oolData(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
  c.send(w.toServer, { id: 60001, ool: big });
  w.c.settle();
  const r = s.receive(w.srv)!;
  ck.eq(r.ool[0]?.length, big.length, 'out-of-line size');
  ck.ok(r.ool[0] !== undefined && r.ool[0].every((v, i) => v === big[i]), 'out-of-line bytes intact across chunks');
}

function sendOnceRpc(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const reply = c.allocate();
  c.send(w.toServer, { id: 60002, reply: { name: reply, disp: MAKE_SEND_ONCE } });
  w.c.settle();
  const req = s.receive(w.srv)!;
  ck.eq(req.msg.header.bits.remote, MOVE_SEND_ONCE, 'server holds a send-once reply right');
  s.send(req.msg.header.remotePort, { id: 60102, disp: MOVE_SEND_ONCE, ints: [0] });
  ck.eq(s.rights(req.msg.header.remotePort), '', 'send-once right erased on use');
  w.c.settle();
  const rep = recvAll(c, reply);
  ck.eq(rep.map((r) => r.msg.header.id).join(','), '60102', 'reply arrives');
  // A second RPC whose reply right the server destroys unused.
  c.send(w.toServer, { id: 60002, reply: { name: reply, disp: MAKE_SEND_ONCE } });
  w.c.settle();
  const req2 = s.receive(w.srv)!;
  s.deallocate(req2.msg.header.remotePort);
  w.c.settle();
  const n = recvAll(c, reply);
  ck.eq(n.map((r) => r.msg.header.id).join(','), String(NOTIFY_SEND_ONCE), 'destroyed send-once right yields SEND_ONCE (MIG_SERVER_DIED)');
  c.destroy(reply);
}

function nullDead(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.makeSend(T);
  c.destroy(T); // T is now a dead name
  ck.eq(c.rights(T), 'D1', 'dead name');
  c.send(w.toServer, { id: 60003, ports: { disp: MOVE_SEND, names: [MACH_PORT_NULL, T] } });
  w.c.settle();
  const r = s.receive(w.srv)!;
  ck.eq(portsOf(r).join(','), `${MACH_PORT_NULL},${MACH_PORT_DEAD}`, 'NULL and DEAD pass through untranslated');
  c.send(w.toServer, { id: 60004, reply: { name: MACH_PORT_NULL, disp: 0 } });
  w.c.settle();
  ck.eq(s.receive(w.srv)?.msg.header.remotePort, MACH_PORT_NULL, 'NULL reply');
}

function oolPorts(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const a = c.allocate();
  const b = c.allocate();
  c.send(w.toServer, { id: 60005, ports: { disp: MAKE_SEND, names: [a, b, a], ool: true } });
  w.c.settle();
  const r = s.receive(w.srv)!;
  const names = portsOf(r);
  ck.ok(names.length === 3 && names[0] === names[2] && names[0] !== names[1], 'out-of-line port array translated, same port same name');
  for (const n of names) s.deallocate(n);
  c.requestNoSenders(a);
  w.c.settle();
  ck.eq(recvAll(c, a).map((m) => m.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'no-senders after both copies dropped');
  c.destroy(a);
  c.destroy(b);
}

function linkLoss(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  // A pending RPC, a send right the server holds to the client, and a send
  // right the client holds to a server port.
  const T = c.allocate();
  c.send(w.toServer, { id: 50000, ports: { disp: MAKE_SEND, names: [T] } });
  const reply = c.allocate();
  c.send(w.toServer, { id: 60002, reply: { name: reply, disp: MAKE_SEND_ONCE } });
  w.c.settle();
  const P = portsOf(s.receive(w.srv)!)[0]!;
  const req = s.receive(w.srv)!;
  const D = s.allocate();
  s.requestDeadName(P, D);
  const Sp = s.allocate();
  const inbox = c.allocate();
  c.send(w.toServer, { id: 50004, ports: { disp: MAKE_SEND, names: [inbox] } });
  w.c.settle();
  const I = portsOf(s.receive(w.srv)!)[0]!;
  s.send(I, { id: 1, disp: MOVE_SEND, ports: { disp: MAKE_SEND, names: [Sp] } });
  w.c.settle();
  const Sc = portsOf(c.receive(inbox)!)[0]!;
  c.requestNoSenders(T);
  if (w.topology === 2) w.c.cut(1, 2);
  else w.c.cut(3, 2);
  w.c.settle();
  ck.eq(s.rights(P), 'D1', 'server: proxy of the client port became a dead name');
  ck.eq(recvAll(s, D).map((r) => r.msg.header.id).join(','), String(NOTIFY_DEAD_NAME), 'server: DEAD NAME fired');
  ck.eq(c.rights(Sc), 'D1', 'client: proxy of the server port became a dead name');
  ck.eq(recvAll(c, reply).map((r) => r.msg.header.id).join(','), String(NOTIFY_SEND_ONCE), 'client: pending RPC fails at once (SEND_ONCE -> MIG_SERVER_DIED)');
  ck.eq(recvAll(c, T).map((r) => r.msg.header.id).join(','), String(NOTIFY_NO_SENDERS), 'client: NO SENDERS for the port the server held');
  ck.eq(s.rights(req.msg.header.remotePort), 'D1', 'server: reply right is a dead name');
  s.deallocate(req.msg.header.remotePort);
  s.deallocate(P);
  s.destroy(D);
  s.destroy(Sp);
  c.deallocate(Sc);
  c.destroy(T);
  c.destroy(reply);
  c.destroy(inbox);
  // The root proxies died with the link too; reconnecting is the driver's job.
  w.c.settle();
}

function flowControl(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  // The server never receives on Q: a timed send from the client must end in
  // MACH_SEND_TIMED_OUT once the credit window and both queues are full.
  const Q = s.allocate();
  const inbox = c.allocate();
  c.send(w.toServer, { id: 50004, ports: { disp: MAKE_SEND, names: [inbox] } });
  w.c.settle();
  const I = portsOf(s.receive(w.srv)!)[0]!;
  s.send(I, { id: 1, disp: MOVE_SEND, ports: { disp: MAKE_SEND, names: [Q] } });
  w.c.settle();
  const q = portsOf(c.receive(inbox)!)[0]!;
  let sent = 0;
  let timedOut = false;
  for (let i = 0; i < 100 && !timedOut; i++) {
    const code = c.send(q, { id: i });
    if (code === MACH_SEND_TIMED_OUT) timedOut = true;
    else sent++;
    w.c.settle();
  }
  ck.ok(timedOut, 'a stalled receiver pushes back to MACH_SEND_TIMED_OUT');
  ck.ok(sent < 40, `bounded buffering (${sent} messages accepted)`);
  const got = recvAll(s, Q);
  w.c.settle();
  const rest = recvAll(s, Q);
  w.c.settle();
  const all = [...got, ...rest, ...recvAll(s, Q)];
  w.c.settle();
  const more = recvAll(s, Q);
  ck.eq([...all, ...more].map((r) => r.msg.header.id).join(','), range(0, sent).join(','), 'every accepted message delivered in order');
  c.deallocate(q);
  s.destroy(Q);
  c.destroy(inbox);
}

/**
 * The application's no-senders notification already queued on a port when
 * its receive right leaves: in Mach the notification is a message in the
 * port's queue, so it moves with the right and the new holder receives it,
 * in queue order, as a send-once message with the make-send count it was
 * generated with. netmsg must not take it for its own proxy's notification.
 */
function queuedNoSenders(w: World, ck: Check): void {
  const { client: c, server: s } = w;
  const T = c.allocate();
  c.makeSend(T);
  ck.eq(c.requestNoSenders(T), 0, 'no-senders request on T');
  c.deallocate(T);
  // The notification (make-send count 1) is in T's queue; two messages
  // made with MAKE_SEND queue behind it.
  ck.eq(c.send(T, { id: 7, disp: MAKE_SEND }), 0, 'send 7 to T');
  ck.eq(c.send(T, { id: 8, disp: MAKE_SEND }), 0, 'send 8 to T');
  c.send(w.toServer, { id: 50001, ports: { disp: MOVE_RECEIVE, names: [T] } });
  w.c.settle();
  const req = s.receive(w.srv);
  ck.ok(req !== undefined, 'server got the receive right');
  if (!req) return;
  const P = portsOf(req)[0]!;
  const got = recvAll(s, P);
  ck.eq(got.map((r) => r.msg.header.id).join(','), `${NOTIFY_NO_SENDERS},7,8`, 'queued notification and messages arrive in order');
  const ns = got[0];
  if (ns && ns.msg.header.id === NOTIFY_NO_SENDERS) {
    ck.eq(intOf(ns, 0), 1, 'notification keeps its make-send count');
    ck.eq(ns.msg.header.bits.local, MOVE_SEND_ONCE, 'notification arrives through a send-once right');
  }
  s.destroy(P);
  ck.eq(s.rights(P), '', 'P invalid');
}

const BASE: [string, (w: World, ck: Check) => void][] = [
  ['test1 send right across, dropped remotely -> NO SENDERS', test1],
  ['test2 receive right across, local senders go -> remote NO SENDERS', test2],
  ['test3 send right across, local receive destroyed -> remote DEAD NAME', test3],
  ['test4 send right returns under the same name', test4],
  ['test5 receive right returns under the same name', (w, ck) => test5(w, ck, false)],
  ['test5a no-senders request kept across a receive-right round trip', (w, ck) => test5(w, ck, true)],
  ['test6 copy kept remotely, right returned, FIFO around it', test6],
  ['test7 receive right across, send right made remotely returns', test7],
  ['test8 two copies of one send right, exact NO SENDERS', test8],
  ['test9 send right then receive right across, queued messages follow', (w, ck) => test9(w, ck, false)],
  ['test10 as test9 keeping a copy', (w, ck) => test9(w, ck, true)],
  ['test11 DEAD NAME / NO SENDERS crossing race', test11],
  ['test12 no-senders relayed only after the last of two senders', test12],
  ['test13 id-71 messages are ordinary messages', test13],
  ['more: all data types, NULL reply', dataTypes],
  ['more: out-of-line data in chunks', oolData],
  ['more: send-once replies and send-once notification', sendOnceRpc],
  ['more: MACH_PORT_NULL and MACH_PORT_DEAD untranslated', nullDead],
  ['more: out-of-line port arrays', oolPorts],
  ['more: link loss kills exactly what depended on it', linkLoss],
  ['more: credit flow control ends in MACH_SEND_TIMED_OUT', flowControl],
  ['more: a queued no-senders notification travels with the receive right', queuedNoSenders],
  ['more: send-once rights made before a receive-right move are delivered as send-once', lateSendOnce],
  ['more: link loss with send-once rights made before a receive-right move', lateSendOnceLinkLoss],
  ['more: send-once rights made before a receive right goes out and back', sendOnceRoundTrip],
  ['more: MACH_PORT_NULL and MACH_PORT_DEAD in every right slot', nullDeadEverySlot],
  ['more: a client exits with an RPC pending; the server survives', clientExits],
];

export const SCENARIOS: Scenario[] = [
  ...BASE.map(([name, run]) => ({ name: `2-node ${name}`, nodes: 2 as const, run })),
  ...BASE.map(([name, run]) => ({ name: `3-node ${name}`, nodes: 3 as const, run })),
];

export interface ScenarioResult {
  name: string;
  failures: string[];
}

export function runScenario(s: Scenario, seed: number): ScenarioResult {
  const ck = new Check();
  try {
    const w = makeWorld(s.nodes, seed);
    const base = snapshot(w);
    s.run(w, ck);
    if (!s.name.includes('link loss')) checkClean(w, base, ck);
    else checkAfterLoss(w, ck);
  } catch (e) {
    ck.failures.push(`threw: ${(e as Error).stack ?? String(e)}`);
  }
  return { name: s.name, failures: ck.failures };
}

function checkAfterLoss(w: World, ck: Check): void {
  w.c.settle();
  for (const n of w.c.nodes) {
    const t = n.machine.tables();
    ck.eq(t.ports.filter((p) => !p.pinned).length, 0, `node ${n.id} leftover entries after link loss`);
    ck.eq(t.sendOnceOut.length + t.sendOnceProxies.length + t.sendOnceRelays.length + t.sendOncePools.length, 0, `node ${n.id} leftover send-once entries after link loss`);
  }
  ck.eq(w.c.violations.length, 0, `violations ${w.c.violations.join('; ')}`);
}
