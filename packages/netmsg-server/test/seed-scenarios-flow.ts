// Scenarios for seed-scenarios.ts's SEED_SCENARIOS (every topology, and the
// gnumach peer / relay runs): flow control ending in MACH_SEND_TIMED_OUT, and
// a delivery that waits for room in the receiver's queue.
// The seed listed it among the tests it never wrote ("credit flow
// control"); here it runs over real nodes, not only netmsg-wire's simulator.
// Like seed-scenarios-more.ts it imports seed-scenarios.ts for types only.
import { expect } from 'vitest';
import { MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MOVE_SEND, MACH_NOTIFY_NO_SENDERS, MACH_PORT_RIGHT_SEND } from 'mach-msg';
import type { SeedWorld } from './seed-scenarios.js';
import { barrier } from './seed-scenarios-more.js';

const MACH_SEND_TIMED_OUT = 0x10000004;
const FLOW_ID = 61000;
/**
 * MACH_SEND_TIMEOUT of every send here, ms. Not a timing assertion: a send
 * into full queues times out whatever it is; a send with room succeeds well
 * within it unless a netmsg on the path stalls that long (then the
 * scenario just sends more before the queues are full).
 */
const WAIT_MS = 100;
/**
 * Far more messages than the path can hold (Mach's qlimit of 5 at each
 * port on the way, netmsg's credit window of 5 per link): a sender that gets
 * that many in has met no back-pressure, and the scenario fails instead of
 * filling memory.
 */
const MAX_ACCEPTED = 200;

/**
 * A client sends, with MACH_SEND_TIMEOUT, to a server port whose receiver
 * does not receive. Mach's rule (ipc_mqueue_send): a send to a full queue
 * waits at most the timeout, then fails with MACH_SEND_TIMED_OUT and the
 * message comes back to the sender with its rights (ipc_kmsg_copyout_pseudo:
 * the COPY_SEND destination as one more user reference, a moved send right
 * as the sender's again). Across nodes the chain is PROTOCOL.md §6: the
 * server's queue fills (qlimit), its netmsg stops returning credit, the
 * client's netmsg stops taking messages from its proxy, whose queue fills;
 * so the client's sends time out there exactly as on one kernel. Nothing is
 * lost or duplicated: once the server receives, it gets every accepted
 * message once, in order, then nothing else (the barrier's RPC is next);
 * and a send goes through again.
 */
export async function sendTimedOut(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  const before = await c.rights(w.toServer);
  expect(before).toMatch(/^S\d+$/);
  const refs = Number(before.slice(1));
  let accepted = 0;
  let timedOut = 0;
  /** Send numbered messages until one times out; how many went in. */
  const fill = async (): Promise<number> => {
    for (const from = accepted; ;) {
      const kr = await c.send(w.toServer, FLOW_ID, { ints: [accepted], timeout: WAIT_MS });
      if (kr === MACH_SEND_TIMED_OUT) {
        timedOut++;
        return accepted - from;
      }
      expect(kr).toBe(0);
      accepted++;
      expect(accepted, 'a send timed out once the queues on the path were full').toBeLessThanOrEqual(MAX_ACCEPTED);
    }
  };
  await fill();
  // The server's own queue is full (the back-pressure reached it) ...
  for (let i = 0; ; i++) {
    const st = (await s.exec('status', s.label, w.srv)) as { msgcount: number; qlimit: number };
    if (st.msgcount === st.qlimit) break;
    expect(i, 'the server\'s queue fills').toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 5));
  }
  // ... and what the netmsgs forwarded meanwhile is made up for, until a whole timeout passes with nothing taken
  // from the sender's queue: every queue on the path is full.
  while ((await fill()) > 0);
  for (const e of w.hosts) await e('tables');

  // On one kernel the path is the port's queue alone: MACH_PORT_QLIMIT_DEFAULT messages.
  if (w.topology === 1) expect(accepted).toBe(5);
  // A message carrying a send right times out too, and the right comes back.
  const R = await c.allocate();
  expect(await c.makeSend(R)).toBe(0);
  expect(await c.requestNoSenders(R)).toBe(0);
  expect(await c.send(w.toServer, FLOW_ID + 1, { ports: { disp: MACH_MSG_TYPE_MOVE_SEND, names: [R] }, timeout: WAIT_MS })).toBe(MACH_SEND_TIMED_OUT);
  timedOut++;
  expect(await c.rights(R)).toBe('R+S1');
  // Every timed-out message gave back its destination right; the sender disposes of them (mach_msg_destroy's part).
  expect(await c.rights(w.toServer)).toBe(`S${refs + timedOut}`);
  expect(await c.modRefs(w.toServer, MACH_PORT_RIGHT_SEND, -timedOut)).toBe(0);
  expect(await c.rights(w.toServer)).toBe(before);

  // The server receives: each accepted message once, in order; none of the timed-out ones.
  for (let i = 0; i < accepted; i++) {
    const g = await s.receive(w.srv);
    expect([g.id, g.ints], `message ${i} of ${accepted}`).toEqual([FLOW_ID, [i]]);
  }
  await barrier(w);
  expect(await s.drain(w.srv)).toEqual([]);

  // Room again: the right goes through, and its NO SENDERS comes home.
  expect(await c.send(w.toServer, FLOW_ID + 1, { ports: { disp: MACH_MSG_TYPE_MOVE_SEND, names: [R] }, timeout: WAIT_MS })).toBe(0);
  const g = await s.receive(w.srv);
  expect([g.id, g.ports.length]).toEqual([FLOW_ID + 1, 1]);
  expect(await s.rights(g.ports[0]!)).toBe('S1');
  expect(await s.deallocate(g.ports[0]!)).toBe(0);
  const ns = await c.receive(R);
  expect([ns.id, ns.ints[0]]).toEqual([MACH_NOTIFY_NO_SENDERS, 1]);
  expect(await c.destroy(R)).toBe(0);
  expect(await c.rights(R)).toBe('');
}

/**
 * The receiver's queue fills before it receives, and a message more waits at
 * its node: netmsg delivers it with a blocking send (as a Mach sender does),
 * since credit came back for each message the kernel queued (PROTOCOL.md
 * §6). The receiver then receives every message once, in order, and the
 * blocked delivery completes. This is test6's traffic (seven messages for a
 * queue limit of five) with the receiver made late on purpose: on a GNU Mach
 * node the blocked send used to hold the agent's one link, so the receive
 * (and every later call on the node) waited behind it for ever (hurd-ffi's
 * gnumach backend now sends on the task's second thread). One node has no
 * netmsg on the path: the server's own send would wait in its kernel, so
 * there it sends only what the queue holds.
 */
export async function fullBeforeReceive(w: SeedWorld): Promise<void> {
  const { client: c, server: s } = w;
  const T = await c.allocate();
  expect(await c.send(w.toServer, FLOW_ID + 2, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [T] } })).toBe(0);
  const req = await s.receive(w.srv);
  expect(req.id).toBe(FLOW_ID + 2);
  const P = req.ports[0]!;
  const status = async (): Promise<{ msgcount: number; qlimit: number }> => (await c.exec('status', c.label, T)) as { msgcount: number; qlimit: number };
  const { qlimit } = await status();
  const n = qlimit + (w.topology === 1 ? 0 : 2);
  for (let i = 0; i < n; i++) expect(await s.send(P, FLOW_ID + 10 + i)).toBe(0);
  // Wait (bounded) until the queue is full and, across nodes, the client's netmsg holds a delivery blocked on it.
  for (let i = 0; ; i++) {
    const st = await status();
    if (st.msgcount === qlimit && (w.topology === 1 || ((await c.exec('blockedDeliveries')) as number) > 0)) break;
    expect(i, 'the queue fills and a delivery waits for room').toBeLessThan(4000);
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(await c.ids(T, n)).toEqual(Array.from({ length: n }, (_, i) => FLOW_ID + 10 + i));
  expect(await s.deallocate(P)).toBe(0);
  await barrier(w);
  expect(await c.drain(T)).toEqual([]);
  expect(await c.destroy(T)).toBe(0);
  expect(await c.rights(T)).toBe('');
}
