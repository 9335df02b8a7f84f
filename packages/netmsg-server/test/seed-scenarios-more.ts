// The seed's "more tests" (seed-system.md §2.5) and a few of our own, as
// scenarios for seed-scenarios.ts's SEED_SCENARIOS; and `barrier`, which
// both files' scenarios use. Split from seed-scenarios.ts to keep each file
// small; this file imports nothing of it at run time (types only), so the
// two never load each other in a cycle.
import { expect } from 'vitest';
import {
  MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_SEND_ONCE, MACH_PORT_RIGHT_DEAD_NAME,
  MACH_PORT_RIGHT_RECEIVE,
} from 'mach-msg';
import { settle, type SeedWorld } from './seed-scenarios.js';

const MACH_SEND_INVALID_DEST = 0x10000003;
const MACH_PORT_DEAD = 0xffffffff;
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/**
 * A round trip through the link(s): an RPC with a send-once reply right from
 * the client to the service port and its reply. Links carry frames in order
 * and netmsg takes its port set's messages in order, so whatever either side
 * sent before it has been delivered when it completes: what is not queued
 * then is not coming (how scenarios check that something does NOT happen).
 */
export async function barrier(w: SeedWorld): Promise<void> {
  const reply = await w.client.allocate();
  expect(await w.client.send(w.toServer, 59000, { reply: { name: reply, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
  const req = await w.server.receive(w.srv);
  expect(req.id).toBe(59000);
  expect(await w.server.send(req.replyPort, 59100, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE })).toBe(0);
  expect((await w.client.receive(reply)).id).toBe(59100);
  expect(await w.client.destroy(reply)).toBe(0);
}

export async function dataTypes(w: SeedWorld): Promise<void> {
  const bytes = range(0, 300).map((i) => i & 0xff);
  expect(await w.client.send(w.toServer, 60000, { ints: [-1, 0x7fffffff, 42], bytes })).toBe(0);
  const r = await w.server.receive(w.srv);
  expect([r.id, r.ints, r.bytes]).toEqual([60000, [-1, 0x7fffffff, 42], bytes]);
  expect([r.remote, r.replyPort]).toEqual([0, 0]); // NULL reply port stays NULL
}

/**
 * The relay case (topology 3): a send right to a port goes to the server
 * through the relay, then the port's receive right the same way. The relay
 * holds a proxy for the port from the first message; the receive right
 * passing by reclaims it and sends it on. The server's NO SENDERS fires
 * once the relay's proxy released the transfer it held.
 */
export async function sendThenReceiveRight(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  const T = await c.allocate();
  expect(await c.send(w.toServer, 50000, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [T] } })).toBe(0);
  const P = (await s.receive(w.srv)).ports[0]!;
  expect(await c.send(w.toServer, 50001, { ports: { disp: MACH_MSG_TYPE_MOVE_RECEIVE, names: [T] } })).toBe(0);
  expect((await s.receive(w.srv)).ports[0]).toBe(P);
  expect(await s.rights(P)).toBe('R+S1');
  expect(await s.requestNoSenders(P)).toBe(0);
  expect(await s.deallocate(P)).toBe(0);
  const ns = await s.receive(P);
  expect([ns.id, ns.ints[0]]).toEqual([MACH_NOTIFY_NO_SENDERS, 0]);
  expect(await s.destroy(P)).toBe(0);
}

export async function oolData(w: SeedWorld): Promise<void> {
  expect(await w.client.send(w.toServer, 60001, { ool: { length: 200_000, seed: 5 } })).toBe(0);
  const r = await w.server.receive(w.srv);
  expect(r.ool).toEqual([{ length: 200_000, seed: 5 }]); // every byte, across chunks
}

export async function sendOnceRpc(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  const reply = await c.allocate();
  expect(await c.send(w.toServer, 60002, { reply: { name: reply, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
  const req = await s.receive(w.srv);
  expect(req.remote).toBe(MACH_MSG_TYPE_MOVE_SEND_ONCE);
  expect(await s.send(req.replyPort, 60102, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [0] })).toBe(0);
  expect(await s.rights(req.replyPort)).toBe('');
  const rep = await c.receive(reply);
  expect([rep.id, rep.ints]).toEqual([60102, [0]]);
  // The reply right destroyed unused: the caller gets the send-once notification (MIG_SERVER_DIED).
  expect(await c.send(w.toServer, 60002, { reply: { name: reply, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
  const req2 = await s.receive(w.srv);
  expect(await s.deallocate(req2.replyPort)).toBe(0);
  expect((await c.receive(reply)).id).toBe(MACH_NOTIFY_SEND_ONCE);
  expect(await c.destroy(reply)).toBe(0);
}

/** MACH_PORT_NULL and MACH_PORT_DEAD in every right slot, inline and out of line, and as the reply port. */
export async function nullDead(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  for (const disp of [MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND]) {
    for (const ool of [false, true]) {
      expect(await c.send(w.toServer, 60006, { ports: { disp, names: [0, MACH_PORT_DEAD], ool } })).toBe(0);
      const r = await s.receive(w.srv);
      expect(r.ports, `disposition ${disp}${ool ? ', out of line' : ''}`).toEqual([0, MACH_PORT_DEAD]);
    }
  }
  // A dead name sent as a send right arrives as MACH_PORT_DEAD.
  const T = await c.allocate();
  expect(await c.makeSend(T)).toBe(0);
  // Dropping the receive right alone leaves the send right a dead name (mach_port_destroy would free the name).
  expect(await c.modRefs(T, MACH_PORT_RIGHT_RECEIVE, -1)).toBe(0);
  expect(await c.rights(T)).toBe('D1');
  expect(await c.send(w.toServer, 60003, { ports: { disp: MACH_MSG_TYPE_MOVE_SEND, names: [0, T] } })).toBe(0);
  expect((await s.receive(w.srv)).ports).toEqual([0, MACH_PORT_DEAD]);
  expect(await c.rights(T)).toBe('');
  expect(await c.send(w.toServer, 60007, { reply: { name: MACH_PORT_DEAD, disp: MACH_MSG_TYPE_MOVE_SEND_ONCE } })).toBe(0);
  expect((await s.receive(w.srv)).replyPort).toBe(MACH_PORT_DEAD);
}

/** Out-of-line port arrays are translated like inline ones: the same port, the same name. */
export async function oolPorts(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  const a = await c.allocate();
  const b = await c.allocate();
  expect(await c.send(w.toServer, 60005, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [a, b, a], ool: true } })).toBe(0);
  const names = (await s.receive(w.srv)).ports;
  expect(names.length).toBe(3);
  expect(names[0]).toBe(names[2]);
  expect(names[0]).not.toBe(names[1]);
  expect(await s.rights(names[0]!)).toBe('S2');
  for (const n of names) expect(await s.deallocate(n)).toBe(0);
  expect(await c.requestNoSenders(a)).toBe(0);
  const ns = await c.receive(a);
  expect([ns.id, ns.ints[0]]).toEqual([MACH_NOTIFY_NO_SENDERS, 2]);
  expect(await c.destroy(a)).toBe(0);
  expect(await c.destroy(b)).toBe(0);
}

/** A no-senders notification already queued on a port travels with its receive right, in queue order. */
export async function queuedNoSenders(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  const T = await c.allocate();
  expect(await c.makeSend(T)).toBe(0);
  expect(await c.requestNoSenders(T)).toBe(0);
  expect(await c.deallocate(T)).toBe(0);
  expect(await c.send(T, 7, { disp: MACH_MSG_TYPE_MAKE_SEND })).toBe(0);
  expect(await c.send(T, 8, { disp: MACH_MSG_TYPE_MAKE_SEND })).toBe(0);
  expect(await c.send(w.toServer, 50001, { ports: { disp: MACH_MSG_TYPE_MOVE_RECEIVE, names: [T] } })).toBe(0);
  const P = (await s.receive(w.srv)).ports[0]!;
  const got = [await s.receive(P), await s.receive(P), await s.receive(P)];
  expect(got.map((g) => g.id)).toEqual([MACH_NOTIFY_NO_SENDERS, 7, 8]);
  expect([got[0]!.ints[0], got[0]!.local]).toEqual([1, MACH_MSG_TYPE_MOVE_SEND_ONCE]);
  expect(await s.destroy(P)).toBe(0);
  expect(await s.rights(P)).toBe('');
}

/**
 * Send-once rights made before their port's receive right moves (the
 * seed's list of tests it did not write): the server holds two send-once
 * rights to the client's port T when T's receive right comes to it. A reply
 * through the first reaches T at its new home after the message queued on T
 * before the move; the second, deallocated unused, gives T its send-once
 * notification there, once (Mach: a send-once right names the port, not a
 * place, and is used or notified exactly once).
 */
export async function sendOnceBeforeMove(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  const T = await c.allocate();
  expect(await c.send(w.toServer, 60010, { reply: { name: T, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
  expect(await c.send(w.toServer, 60011, { reply: { name: T, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
  const so1 = (await s.receive(w.srv)).replyPort;
  const so2 = (await s.receive(w.srv)).replyPort;
  expect(await c.send(T, 7, { disp: MACH_MSG_TYPE_MAKE_SEND })).toBe(0);
  expect(await c.send(w.toServer, 60012, { ports: { disp: MACH_MSG_TYPE_MOVE_RECEIVE, names: [T] } })).toBe(0);
  const P = (await s.receive(w.srv)).ports[0]!;
  expect(await s.send(so1, 60110, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [1] })).toBe(0);
  expect(await s.deallocate(so2)).toBe(0);
  const got = [await s.receive(P), await s.receive(P), await s.receive(P)];
  expect(got.map((g) => g.id)).toEqual([7, 60110, MACH_NOTIFY_SEND_ONCE]);
  expect(got[1]!.ints).toEqual([1]);
  expect(await s.drain(P)).toEqual([]);
  expect(await s.rights(so1)).toBe('');
  expect(await s.rights(so2)).toBe('');
  expect(await s.destroy(P)).toBe(0);
  expect(await s.rights(P)).toBe('');
}

/**
 * A client task exits with an RPC pending, holding a send right to a server
 * port and having given the server a send right of its own (the seed's
 * "client exits", "server survives client disconnect", "lingering ports").
 */
export async function clientExits(w: SeedWorld): Promise<void> {
  const s = w.server;
  const { task: c, toServer } = await w.otherClient('exiting-client');
  const Q = await s.allocate();
  expect(await s.requestNoSenders(Q)).toBe(0);
  const inbox = await c.allocate();
  expect(await c.send(toServer, 50004, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [inbox] } })).toBe(0);
  const I = (await s.receive(w.srv)).ports[0]!;
  const D = await s.allocate();
  expect(await s.requestDeadName(I, D)).toBe(0);
  expect(await s.send(I, 1, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [Q] } })).toBe(0);
  const reply = await c.allocate();
  expect(await c.send(toServer, 60002, { reply: { name: reply, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
  const req = await s.receive(w.srv);
  expect((await c.receive(inbox)).ports.length).toBe(1);
  expect(await c.exec('terminate', c.label)).toBe(0); // every right it held goes at once
  const ns = await s.receive(Q);
  expect([ns.id, ns.ints[0]]).toEqual([MACH_NOTIFY_NO_SENDERS, 1]);
  expect((await s.receive(D)).id).toBe(MACH_NOTIFY_DEAD_NAME);
  expect(await s.rights(I)).toBe('D2');
  await settle(w, 'the pending reply right turning dead', async () => (await s.rights(req.replyPort)) === 'D1', 200);
  expect(await s.rights(req.replyPort)).toBe('D1'); // the pending reply right died with the task
  expect(await s.send(req.replyPort, 60102, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE })).toBe(MACH_SEND_INVALID_DEST);
  expect(await s.deallocate(req.replyPort)).toBe(0);
  expect(await s.modRefs(I, MACH_PORT_RIGHT_DEAD_NAME, -2)).toBe(0);
  expect(await s.destroy(D)).toBe(0);
  expect(await s.destroy(Q)).toBe(0);
  // The server survives: the first client's RPC is served as before.
  await barrier(w);
}
