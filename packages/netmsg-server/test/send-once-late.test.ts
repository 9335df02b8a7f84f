/**
 * Send-once rights made to a port before its receive right moves, used or
 * destroyed late, after the move, from wherever they are held: a task on the
 * old home's node (one of its messages already queued on the port when the
 * right leaves), a task on a third node (linked to the old home only, so its
 * messages go round the old home), and the task the right moved to.
 *
 * Mach names a port, not a place, with a send-once right: each one gives its
 * port exactly one message, the sender's or, destroyed unused, a SEND_ONCE
 * notification. The old home's driver reports the port's send-once count
 * with the moving right (the kernel's mps_sorights, `ReceiveStatus.sendOnce`),
 * which is what lets netmsg-wire carry these late messages to the new home
 * (PROTOCOL.md §4.5). Run first with every task on one node (Mach itself: the
 * expectations are one kernel's), then on three in-process nodes over TCP on
 * loopback, then on three node processes; after each case every node's
 * netmsg tables (send-once relays and pools included) are back to what they
 * were after setup, and no driver recorded an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_NOTIFY_SEND_ONCE,
} from 'mach-msg';
import { bundleSeedChild, childHost, localHost, type Host } from './seed-world.js';
import { backToBaseline, tables, Task, type Exec, type SeedWorld } from './seed-scenarios.js';

/** Tasks and the rights the scenario starts from. */
interface LateWorld {
  /** `a` holds the port whose receive right moves; `a2` is another task of its node. */
  a: Task;
  a2: Task;
  /** The task the receive right moves to. */
  b: Task;
  /** A task of a third node (the old home's node when there is one node). */
  c: Task;
  /** `a`'s send rights to `b`'s, `c`'s and `a2`'s inboxes. */
  toB: number;
  toC: number;
  toA2: number;
  /** Those inboxes' receive rights, in their own tasks. */
  inbox: { a2: number; b: number; c: number };
  hosts: Exec[];
  /** `b`'s and `c`'s nodes: hosts[nodeOf.b] (the old home's is hosts[0]). */
  nodeOf: { b: number; c: number };
}

/**
 * Wires the tasks: `a`'s inbox R0 is a send right in `a2` (same node) and
 * in `b` and `c` (made on one node, or imported as node 1's root); each of
 * them sends `a` a send right to an inbox of its own through it.
 */
async function wire(hosts: Exec[], ids: number[]): Promise<LateWorld> {
  const [hA, hB = hA!, hC = hA!] = hosts;
  for (const [h, t] of [[hA!, 'a'], [hA!, 'a2'], [hB, 'b'], [hC, 'c']] as const) await h('task', t);
  const abi = async (h: Exec): Promise<'x86_64' | 'i386'> => (await h('abi')) as 'x86_64' | 'i386';
  const a = new Task(hA!, 'a', await abi(hA!));
  const a2 = new Task(hA!, 'a2', a.abi);
  const b = new Task(hB, 'b', await abi(hB));
  const c = new Task(hC, 'c', await abi(hC));
  // R0 first, while the other tasks' spaces are empty: its name is free in each of them.
  const r0 = await a.allocate();
  expect(await hA!('makeSendTo', 'a', r0, 'a2')).toBe(0);
  let r0In = { b: r0, c: r0 };
  if (hosts.length === 1) {
    expect(await hA!('makeSendTo', 'a', r0, 'b')).toBe(0);
    expect(await hA!('makeSendTo', 'a', r0, 'c')).toBe(0);
  } else {
    await hA!('publishRoot', 'a', r0);
    const port = (await hA!('listen')) as number;
    await hB('dial', port);
    await hC('dial', port);
    for (let i = 0; i < 2000 && ((await hA!('peers')) as number[]).length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    r0In = { b: (await hB('importRoot', ids[0], 'b')) as number, c: (await hC('importRoot', ids[0], 'c')) as number };
  }
  const inboxOf = async (t: Task, toR0: number, id: number): Promise<[number, number]> => {
    const inbox = await t.allocate();
    expect(await t.send(toR0, id, { ports: { disp: MACH_MSG_TYPE_MAKE_SEND, names: [inbox] } })).toBe(0);
    const got = await a.receive(r0);
    expect(got.id).toBe(id);
    return [inbox, got.ports[0]!];
  };
  const [inB, toB] = await inboxOf(b, r0In.b, 61100);
  const [inC, toC] = await inboxOf(c, r0In.c, 61101);
  const [inA2, toA2] = await inboxOf(a2, r0, 61102);
  return { a, a2, b, c, toB, toC, toA2, inbox: { a2: inA2, b: inB, c: inC }, hosts, nodeOf: { b: hosts.length > 1 ? 1 : 0, c: hosts.length > 2 ? 2 : 0 } };
}

/** What a receive on `name` must be: the id, the ints, and arrival through a send-once right. */
async function expectOnce(t: Task, name: number, id: number, ints: number[]): Promise<void> {
  const g = await t.receive(name);
  expect({ id: g.id, ints: g.ints, local: g.local }).toEqual({ id, ints, local: MACH_MSG_TYPE_PORT_SEND_ONCE });
}

/** `n` send-once rights to `T`, made by `a` and handed to `holder` through `to` (its send right to the holder's inbox). */
async function giveSendOnce(w: LateWorld, T: number, to: number, holder: Task, holderInbox: number, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    expect(await w.a.send(to, 61200 + i, { reply: { name: T, disp: MACH_MSG_TYPE_MAKE_SEND_ONCE } })).toBe(0);
    const g = await holder.receive(holderInbox);
    expect([g.id, g.remote]).toEqual([61200 + i, MACH_MSG_TYPE_MOVE_SEND_ONCE]);
    out.push(g.replyPort);
  }
  return out;
}

/** Every node idle (the move finished) before anything else happens. */
async function settled(w: LateWorld): Promise<void> {
  await tables(w as unknown as SeedWorld);
}

/** Nothing more on `P`, every send-once right used up, none left to the port; then `P` destroyed. */
async function allUsed(w: LateWorld, owner: Task, ownerHost: Exec, P: number, held: [Task, number][]): Promise<void> {
  expect(await owner.drain(P)).toEqual([]);
  for (const [t, n] of held) expect(await t.rights(n)).toBe('');
  expect(((await ownerHost('status', owner.label, P)) as { sorights: number }).sorights).toBe(0);
  expect(await owner.destroy(P)).toBe(0);
}

/**
 * Rights at the third node, in the old home's other task and at the new
 * home; a plain message and a send-once one queued when the right leaves;
 * the rest used or destroyed after the move. `ool`: the receive right goes
 * in an out-of-line port array (the driver reads those names too).
 */
async function lateSendOnce(w: LateWorld, ool = false): Promise<void> {
  const { a, a2, b, c, inbox } = w;
  const T = await a.allocate();
  const [soC1, soC2] = await giveSendOnce(w, T, w.toC, c, inbox.c, 2);
  const [soA0, soA1, soA2] = await giveSendOnce(w, T, w.toA2, a2, inbox.a2, 3);
  const [soB] = await giveSendOnce(w, T, w.toB, b, inbox.b, 1);
  // Queued on T before the move: a plain message, then one through a2's first send-once right.
  expect(await a.send(T, 7, { disp: MACH_MSG_TYPE_MAKE_SEND })).toBe(0);
  expect(await a2.send(soA0!, 62000, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [0] })).toBe(0);
  // The kernel's own count the driver reports: six rights made, the queued message's among them.
  const st = (await w.hosts[0]!('status', 'a', T)) as { sorights: number; msgcount: number };
  expect([st.sorights, st.msgcount]).toEqual([6, 2]);

  // The receive right moves to b, with its queue (inline, or in an out-of-line port array).
  expect(await a.send(w.toB, 60012, { ports: { disp: MACH_MSG_TYPE_MOVE_RECEIVE, names: [T], ool } })).toBe(0);
  const moved = await b.receive(inbox.b);
  expect(moved.id).toBe(60012);
  const P = moved.ports[0]!;
  expect((await b.receive(P)).id).toBe(7);
  await expectOnce(b, P, 62000, [0]);
  await settled(w);

  // Used, one at a time, from the third node, the old home's node and the new home.
  expect(await c.send(soC1!, 62001, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [1] })).toBe(0);
  await expectOnce(b, P, 62001, [1]);
  expect(await a2.send(soA1!, 62002, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [2] })).toBe(0);
  await expectOnce(b, P, 62002, [2]);
  expect(await b.send(soB!, 62003, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [3] })).toBe(0);
  await expectOnce(b, P, 62003, [3]);
  // Destroyed unused: one SEND_ONCE notification each, at the port's new home.
  expect(await c.deallocate(soC2!)).toBe(0);
  await expectOnce(b, P, MACH_NOTIFY_SEND_ONCE, []);
  expect(await a2.deallocate(soA2!)).toBe(0);
  await expectOnce(b, P, MACH_NOTIFY_SEND_ONCE, []);
  await allUsed(w, b, w.hosts[w.nodeOf.b]!, P, [[c, soC1!], [c, soC2!], [a2, soA0!], [a2, soA1!], [a2, soA2!], [b, soB!]]);
}

/**
 * The receive right moves twice: a -> b, then b -> c (across nodes, b's
 * right to c's inbox goes round the old home). Rights made at the first
 * home, held at all three places, are used or destroyed at the third.
 */
async function movedTwice(w: LateWorld): Promise<void> {
  const { a, a2, b, c, inbox } = w;
  const T = await a.allocate();
  const [soC1, soC2] = await giveSendOnce(w, T, w.toC, c, inbox.c, 2);
  const [soA1, soA2] = await giveSendOnce(w, T, w.toA2, a2, inbox.a2, 2);
  const [soB1, soB2] = await giveSendOnce(w, T, w.toB, b, inbox.b, 2);
  expect(await a.send(w.toB, 60012, { ports: { disp: MACH_MSG_TYPE_MOVE_RECEIVE, names: [T] } })).toBe(0);
  const P = (await b.receive(inbox.b)).ports[0]!;
  expect(await b.send(soB1!, 62101, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [1] })).toBe(0);
  await expectOnce(b, P, 62101, [1]);
  // b is given a send right to c's inbox, and moves the port on to c.
  expect(await a.send(w.toB, 60013, { ports: { disp: MACH_MSG_TYPE_COPY_SEND, names: [w.toC] } })).toBe(0);
  const bToC = (await b.receive(inbox.b)).ports[0]!;
  expect(await b.send(bToC, 60014, { ports: { disp: MACH_MSG_TYPE_MOVE_RECEIVE, names: [P] } })).toBe(0);
  const got = await c.receive(inbox.c);
  expect(got.id).toBe(60014);
  const Q = got.ports[0]!;
  await settled(w);

  expect(await c.send(soC1!, 62102, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [2] })).toBe(0);
  await expectOnce(c, Q, 62102, [2]);
  expect(await a2.send(soA1!, 62103, { disp: MACH_MSG_TYPE_MOVE_SEND_ONCE, ints: [3] })).toBe(0);
  await expectOnce(c, Q, 62103, [3]);
  expect(await b.deallocate(soB2!)).toBe(0);
  await expectOnce(c, Q, MACH_NOTIFY_SEND_ONCE, []);
  expect(await c.deallocate(soC2!)).toBe(0);
  await expectOnce(c, Q, MACH_NOTIFY_SEND_ONCE, []);
  expect(await a2.deallocate(soA2!)).toBe(0);
  await expectOnce(c, Q, MACH_NOTIFY_SEND_ONCE, []);
  expect(await b.deallocate(bToC)).toBe(0);
  await allUsed(w, c, w.hosts[w.nodeOf.c]!, Q, [[c, soC1!], [c, soC2!], [a2, soA1!], [a2, soA2!], [b, soB1!], [b, soB2!]]);
}

const WORLDS: [string, (dir: string) => Promise<Host[]>][] = [
  ['every task on one node (Mach itself)', async () => [await localHost(1)]],
  ['three in-process nodes over TCP', async () => [await localHost(1), await localHost(2), await localHost(3)]],
  ['three node processes over TCP (the new home and the third node children, the new home i386)', async (dir) => {
    const script = bundleSeedChild(dir);
    return [await localHost(1), await childHost(script, 2, 'i386'), await childHost(script, 3)];
  }],
];

for (const [title, make] of WORLDS) {
  describe(`late send-once rights, ${title}`, () => {
    let dir: string;
    let hosts: Host[] = [];
    let w: LateWorld;
    let base: string[];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'netmsg-late-so-'));
      hosts = await make(dir);
      w = await wire(hosts.map((h) => h.exec), [1, 2, 3]);
      base = await tables(w as unknown as SeedWorld);
    }, 120_000);
    afterAll(async () => {
      for (const h of hosts.reverse()) await h.close();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    const noneLeft = async (): Promise<void> => {
      await backToBaseline(w as unknown as SeedWorld, base);
      for (const h of w.hosts) {
        const t = JSON.parse((await h('tables')) as string) as { sendOnceRelays: unknown[]; sendOncePools: unknown[] };
        expect([t.sendOnceRelays, t.sendOncePools]).toEqual([[], []]);
      }
    };

    it('each right gives its port exactly one message at the new home, used or destroyed; nothing left over', async () => {
      await lateSendOnce(w);
      await noneLeft();
    }, 60_000);

    it('the same with the receive right in an out-of-line port array', async () => {
      await lateSendOnce(w, true);
      await noneLeft();
    }, 60_000);

    it('the receive right moves twice: each right gives one message at the third home; nothing left over', async () => {
      await movedTwice(w);
      await noneLeft();
    }, 60_000);
  });
}
