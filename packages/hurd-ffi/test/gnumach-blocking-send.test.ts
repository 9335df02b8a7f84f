/**
 * A message send that waits for room (Mach flow control: a sender to a port
 * whose queue holds qlimit messages blocks until a receive makes room, it
 * is not refused), on the real GNU Mach under QEMU and on the simulated
 * kernel alike. On the gnumach backend the agent runs one call at a time
 * over one link, and the receive that makes room is such a call: the send
 * must not hold the link while it waits (fault-thread.ts, agent.c
 * fault_call). Before that, the first case here hung at the status query
 * behind the blocked send (each case is bounded, so it fails instead).
 * Until 2026-11-29 23:00 UTC a task had one such thread: a send blocked on one port
 * held back its sends to other ports (the fourth case hung), and a
 * MACH_SEND_TIMEOUT 0 send could overtake a send to the same port still
 * waiting its turn on that thread (the fifth and seventh cases saw the
 * order change; the sixth passed then too: it pins down that such a send
 * is still answered at once). With one thread per task a pager-bound call
 * (vm_map of a pager's object, a read that faults a page in; the eighth
 * case) also waited behind a blocked send: checked 2026-11-30 against the
 * session's base (1491333), the vm_map's memory_object_init never reached
 * the pager on either ABI (the case failed at its 30 s wait); sim passed.
 * Until 2026-11-30 a task had four sender threads: with sends blocked on
 * five or more ports at once, a send to a port with room could wait behind
 * one of them. The eight-port and twelve-port cases were run 2026-11-30
 * against the session's base (46cceb9, its dist and agent images): both
 * failed at their bound (hung) on x86_64 and i386, and passed on sim. The
 * 64-port case pins down the cap of sender threads per task and the
 * documented fallback beyond it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_RCV_MSG,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TIMEOUT,
  MACH_SEND_MSG,
  MACH_SEND_TIMED_OUT,
  MACH_SEND_TIMEOUT,
  type Abi,
  type MachMessage,
  type MsgItem,
} from 'mach-msg';
import { GnumachKernel, MEMORY_OBJECT_DATA_REQUEST, MEMORY_OBJECT_DATA_SUPPLY, MEMORY_OBJECT_INIT, MEMORY_OBJECT_READY, openKernel, type MachKernel, type MsgResult, type TaskId } from '../src/index.js';
import { intItem, intOf, msgBytes } from './helpers.js';
import { SEND_THREADS } from '../src/gnumach/fault-thread.js';
import { inbox } from './pager-inbox.js';
import { int, PAGE, portName, td, word } from './pager-world.js';

const BOOT_MS = 240_000;
/** A bound for a case that a held link would hang: it fails instead. */
const CASE_MS = 60_000;
/** A bound on waiting for a pager message (a hang guard, never a timing assertion). */
const WAIT_MS = 30_000;

interface World {
  k: MachKernel;
  abi: Abi;
  /** The sender, and the receiver holding `port` (qlimit 1); `dest`: the sender's send right to it. */
  sender: TaskId;
  receiver: TaskId;
  port: number;
  dest: number;
}

async function world(k: MachKernel, abi: Abi): Promise<World> {
  const sender = await k.taskCreate();
  const receiver = await k.taskCreate();
  const a = await k.portAllocate(receiver, MACH_PORT_RIGHT_RECEIVE);
  expect(a.kr).toBe(0);
  expect(await k.portSetQlimit(receiver, a.name, 1)).toBe(0);
  const x = await k.portExtractRight(receiver, a.name, MACH_MSG_TYPE_MAKE_SEND, sender);
  expect(x.kr).toBe(0);
  return { k, abi, sender, receiver, port: a.name, dest: x.name };
}

const numbered = (w: World, v: number, id = 4000, dest = w.dest): Uint8Array => msgBytes(w.abi, { dest, destDisp: MACH_MSG_TYPE_COPY_SEND, id, items: [intItem(v)] });

/** Another receive right of the receiver with its own qlimit, and the sender's send right to it. */
async function another(w: World, qlimit: number): Promise<{ port: number; dest: number }> {
  const a = await w.k.portAllocate(w.receiver, MACH_PORT_RIGHT_RECEIVE);
  expect(a.kr).toBe(0);
  expect(await w.k.portSetQlimit(w.receiver, a.name, qlimit)).toBe(0);
  const x = await w.k.portExtractRight(w.receiver, a.name, MACH_MSG_TYPE_MAKE_SEND, w.sender);
  expect(x.kr).toBe(0);
  return { port: a.name, dest: x.name };
}

/** A MACH_SEND_TIMEOUT 0 send (never waits) of `v` to `dest`. */
const nowait = (w: World, v: number, dest: number): Promise<MsgResult> =>
  w.k.msg(w.sender, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: numbered(w, v, 4000, dest), timeout: 0 });

/** A send with no MACH_SEND_TIMEOUT, and whether it has completed yet. */
function blockingSend(w: World, v: number, dest = w.dest): { done: () => boolean; result: Promise<MsgResult> } {
  let done = false;
  const result = w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, v, 4000, dest) }).finally(() => {
    done = true;
  });
  return { done: () => done, result };
}

/** The receiver takes what is queued now (timeout 0): the message's integer, or the receive's code. */
async function take(w: World, name = w.port): Promise<number | { kr: number }> {
  const r = await w.k.msg(w.receiver, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, rcvSize: 256, timeout: 0 });
  if (r.kr !== 0) return { kr: r.kr };
  return intOf(decodeMessage(r.message!, w.abi).items[0]);
}

async function queued(w: World): Promise<number> {
  const st = await w.k.portGetReceiveStatus(w.receiver, w.port);
  expect(st.kr).toBe(0);
  return st.status!.msgcount;
}


/**
 * A TypeScript pager in a task of its own, serving one memory object the
 * sender holds a send right to: on gnumach the kernel's memory_object
 * messages reach Node through watch(), on sim by polling.
 */
async function pagerFor(w: World) {
  const { k, abi } = w;
  const p = await k.taskCreate();
  const mo = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const moS = (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, w.sender)).name;
  const box = inbox(k, p, abi, WAIT_MS);
  await box.serve(mo);
  const next = (): Promise<MachMessage> => box.next(mo);
  /** A simple message from the pager to the memory object's control port (no reply wanted). */
  const call = async (control: number, id: number, items: MsgItem[]): Promise<number> => {
    const complex = items.some((i) => i.kind !== 'data');
    const bytes = encodeMessage({ header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex, other: 0 }, remotePort: control, localPort: 0, seqno: 0, id }, items }, abi);
    return (await k.msg(p, { options: MACH_SEND_MSG, send: bytes })).kr;
  };
  /** memory_object_data_supply of one page, out of line from the pager's memory, unlocked. */
  const supply = async (control: number, offset: number, data: Uint8Array): Promise<number> => {
    const { address } = await k.vmAllocate(p, 0, data.length, true);
    expect(await k.vmWrite(p, address, data)).toBe(0);
    const ool: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: data.length, inline: false, longform: true, deallocate: true }, address: BigInt(address) };
    const noReply: MsgItem = { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, abi === 'x86_64' ? 64 : 32), names: [0] };
    return call(control, MEMORY_OBJECT_DATA_SUPPLY, [word(abi, offset), ool, int(0), int(0, 0), noReply]);
  };
  const done = async (): Promise<void> => {
    if (k instanceof GnumachKernel) expect(await k.unwatch(p, mo)).toBe(0);
    expect(await k.taskTerminate(p)).toBe(0);
  };
  return { p, moS, next, call, supply, done };
}

function cases(kernel: () => World): void {
  it('a send to a full queue waits while other calls run; each receive lets the next one in, in order', { timeout: CASE_MS }, async () => {
    const w = kernel();
    expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 1) })).kr).toBe(0);
    const second = blockingSend(w, 2);
    const third = blockingSend(w, 3);
    // The queue is full: both wait, and the calls made meanwhile still run.
    expect(await queued(w)).toBe(1);
    expect((await w.k.portType(w.sender, w.dest)).kr).toBe(0);
    expect([second.done(), third.done()]).toEqual([false, false]);
    expect(await take(w)).toBe(1);
    expect((await second.result).kr).toBe(0);
    expect(await queued(w)).toBe(1);
    expect(third.done()).toBe(false);
    expect(await take(w)).toBe(2);
    expect((await third.result).kr).toBe(0);
    expect(await take(w)).toBe(3);
    expect(await take(w)).toEqual({ kr: MACH_RCV_TIMED_OUT });
  });

  it('an RPC whose request waits for room gets its reply once the server receives', { timeout: CASE_MS }, async () => {
    const w = kernel();
    const reply = (await w.k.portAllocate(w.sender, MACH_PORT_RIGHT_RECEIVE)).name;
    expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 10) })).kr).toBe(0);
    const req = msgBytes(w.abi, { dest: w.dest, destDisp: MACH_MSG_TYPE_COPY_SEND, reply, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id: 4001, items: [intItem(11)] });
    let done = false;
    const rpc = w.k.msg(w.sender, { options: MACH_SEND_MSG | MACH_RCV_MSG, send: req, rcvName: reply, rcvSize: 256 }).finally(() => {
      done = true;
    });
    expect(await queued(w)).toBe(1);
    expect(done).toBe(false);
    expect(await take(w)).toBe(10);
    // The request goes in once there is room; the server answers it on its reply right.
    const got = await w.k.msg(w.receiver, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: w.port, rcvSize: 256, timeout: 30_000 });
    expect(got.kr).toBe(0);
    const m = decodeMessage(got.message!, w.abi);
    expect([m.header.id, intOf(m.items[0])]).toEqual([4001, 11]);
    const answer = msgBytes(w.abi, { dest: m.header.remotePort, destDisp: MACH_MSG_TYPE_MOVE_SEND_ONCE, id: 4101, items: [intItem(22)] });
    expect((await w.k.msg(w.receiver, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: answer, timeout: 0 })).kr).toBe(0);
    const r = await rpc;
    expect(r.kr).toBe(0);
    const back = decodeMessage(r.message!, w.abi);
    expect([back.header.id, intOf(back.items[0])]).toEqual([4101, 22]);
  });

  it('a send with a timeout times out on a full queue and gives its destination right back; with room it goes in', { timeout: CASE_MS }, async () => {
    const w = kernel();
    expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 20) })).kr).toBe(0);
    const refs = (await w.k.portGetRefs(w.sender, w.dest, MACH_PORT_RIGHT_SEND)).refs;
    const timed = await w.k.msg(w.sender, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: numbered(w, 21), timeout: 200 });
    expect(timed.kr).toBe(MACH_SEND_TIMED_OUT);
    // The copied-in message was received back into the sender (its COPY_SEND destination as a send right).
    expect((await w.k.portGetRefs(w.sender, w.dest, MACH_PORT_RIGHT_SEND)).refs).toBe(refs + 1);
    expect(await w.k.portModRefs(w.sender, w.dest, MACH_PORT_RIGHT_SEND, -1)).toBe(0);
    // With a long timeout the send waits, and the receive that makes room lets it in.
    let done = false;
    const patient = w.k.msg(w.sender, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: numbered(w, 22), timeout: 50_000 }).finally(() => {
      done = true;
    });
    expect(await queued(w)).toBe(1);
    expect(done).toBe(false);
    expect(await take(w)).toBe(20);
    expect((await patient).kr).toBe(0);
    expect(await take(w)).toBe(22);
    expect(await take(w)).toEqual({ kr: MACH_RCV_TIMED_OUT });
  });

  it('a send blocked on one port\'s full queue holds back no send of the task to another port', { timeout: CASE_MS }, async () => {
    const w = kernel();
    const y = await another(w, 1);
    expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 30) })).kr).toBe(0);
    const blocked = blockingSend(w, 31);
    // Room on the other port: the send goes in while the first still waits (one sender thread per task hung here).
    expect((await blockingSend(w, 32, y.dest).result).kr).toBe(0);
    expect(blocked.done()).toBe(false);
    expect(await take(w, y.port)).toBe(32);
    expect(await take(w)).toBe(30);
    expect((await blocked.result).kr).toBe(0);
    expect(await take(w)).toBe(31);
    expect(await take(w)).toEqual({ kr: MACH_RCV_TIMED_OUT });
    expect(await w.k.portDestroy(w.receiver, y.port)).toBe(0);
  });

  it('a MACH_SEND_TIMEOUT 0 send arrives after the task\'s earlier send to the same port, also one that waited its turn', { timeout: CASE_MS }, async () => {
    const w = kernel();
    const y = await another(w, 4);
    expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 40) })).kr).toBe(0);
    const blocked = blockingSend(w, 41);
    // 42 may wait for a thread (it did, behind 41, with one sender thread per task); 43 never waits, and comes after it.
    const queued42 = blockingSend(w, 42, y.dest);
    const r43 = await nowait(w, 43, y.dest);
    expect(r43.kr).toBe(0);
    expect([await take(w, y.port), await take(w, y.port), await take(w, y.port)]).toEqual([42, 43, { kr: MACH_RCV_TIMED_OUT }]);
    expect((await queued42.result).kr).toBe(0);
    expect(blocked.done()).toBe(false);
    expect(await take(w)).toBe(40);
    expect((await blocked.result).kr).toBe(0);
    expect(await take(w)).toBe(41);
    expect(await w.k.portDestroy(w.receiver, y.port)).toBe(0);
  });

  it('a MACH_SEND_TIMEOUT 0 send to a port whose queue holds back an earlier send of the task is refused at once, not queued behind it', { timeout: CASE_MS }, async () => {
    const w = kernel();
    expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 50) })).kr).toBe(0);
    const blocked = blockingSend(w, 51);
    const refs = (await w.k.portGetRefs(w.sender, w.dest, MACH_PORT_RIGHT_SEND)).refs;
    // The queue is full and 51 waits for room: 52 would wait too, so it times out now (the kernel's answer, its message back).
    const r52 = await nowait(w, 52, w.dest);
    expect(r52.kr).toBe(MACH_SEND_TIMED_OUT);
    expect(blocked.done()).toBe(false);
    expect((await w.k.portGetRefs(w.sender, w.dest, MACH_PORT_RIGHT_SEND)).refs).toBe(refs + 1);
    expect(await w.k.portModRefs(w.sender, w.dest, MACH_PORT_RIGHT_SEND, -1)).toBe(0);
    expect(await take(w)).toBe(50);
    expect((await blocked.result).kr).toBe(0);
    expect(await take(w)).toBe(51);
    expect(await take(w)).toEqual({ kr: MACH_RCV_TIMED_OUT });
  });

  it('many sends to five ports, blocking and MACH_SEND_TIMEOUT 0 mixed, arrive per port in the order made', { timeout: CASE_MS * 2 }, async () => {
    const w = kernel();
    const ports = [{ port: w.port, dest: w.dest }, await another(w, 2), await another(w, 1), await another(w, 1), await another(w, 2)];
    const n = ports.length;
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const sends: Array<{ to: number; v: number; wait: boolean; kr?: number }> = [];
    const results: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const s: (typeof sends)[number] = { to: next(n), v: 100 + i, wait: next(10) < 7 };
      sends.push(s);
      const p = s.wait ? blockingSend(w, s.v, ports[s.to]!.dest).result : nowait(w, s.v, ports[s.to]!.dest);
      results.push(p.then((r) => void (s.kr = r.kr)));
    }
    const got: number[][] = ports.map(() => []);
    let settled = false;
    void Promise.all(results).then(() => (settled = true));
    // The receiver drains all the queues until every send has ended and nothing is left.
    for (let round = 0; round < 3000; round++) {
      let any = false;
      for (let p = 0; p < n; p++) {
        const r = await take(w, ports[p]!.port);
        if (typeof r === 'number') {
          got[p]!.push(r);
          any = true;
        }
      }
      if (settled && !any) break;
    }
    expect(settled).toBe(true);
    for (const s of sends) expect(s.wait ? s.kr : [0, MACH_SEND_TIMED_OUT].includes(s.kr!)).toBe(s.wait ? 0 : true);
    for (let p = 0; p < n; p++) expect(got[p]).toEqual(sends.filter((s) => s.to === p && s.kr === 0).map((s) => s.v));
    // Timed-out sends got their COPY_SEND destination right back as a send right: drop those references again.
    for (let p = 0; p < n; p++) {
      const back = sends.filter((s) => s.to === p && s.kr === MACH_SEND_TIMED_OUT).length;
      if (back > 0) expect(await w.k.portModRefs(w.sender, ports[p]!.dest, MACH_PORT_RIGHT_SEND, -back)).toBe(0);
    }
    for (const p of ports.slice(1)) expect(await w.k.portDestroy(w.receiver, p.port)).toBe(0);
  });

  it('sends blocked on eight full ports at once hold back no send to a ninth port; each goes in, in order, when its queue drains', { timeout: CASE_MS * 2 }, async () => {
    const w = kernel();
    const before = (await w.k.portNames(w.sender)).names;
    const full: Array<{ port: number; dest: number }> = [];
    for (let i = 0; i < 8; i++) full.push(await another(w, 1));
    const room = await another(w, 1);
    const blocked: Array<ReturnType<typeof blockingSend>[]> = [];
    for (const [i, p] of full.entries()) {
      expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 200 + 10 * i, 4000, p.dest) })).kr).toBe(0);
      blocked.push([blockingSend(w, 201 + 10 * i, p.dest), blockingSend(w, 202 + 10 * i, p.dest)]);
    }
    // Eight queues full, two sends waiting on each: the ninth port has room, and its send goes in at once
    // (with four sender threads per task it waited behind a blocked send, and the case hung here).
    expect((await blockingSend(w, 300, room.dest).result).kr).toBe(0);
    expect(await take(w, room.port)).toBe(300);
    expect(blocked.flat().map((b) => b.done())).toEqual(Array.from({ length: 16 }, () => false));
    // The sender threads' request ports are no names of the task's: only the nine send rights are new.
    const added = (await w.k.portNames(w.sender)).names.filter((n) => !before.includes(n));
    expect(added.sort((a, b) => a - b)).toEqual([...full, room].map((p) => p.dest).sort((a, b) => a - b));
    // Drained last port first: each receive lets that port's next send in, the others still wait.
    for (let i = full.length - 1; i >= 0; i--) {
      const p = full[i]!;
      expect(await take(w, p.port)).toBe(200 + 10 * i);
      expect((await blocked[i]![0]!.result).kr).toBe(0);
      expect(blocked[i]![1]!.done()).toBe(false);
      expect(await take(w, p.port)).toBe(201 + 10 * i);
      expect((await blocked[i]![1]!.result).kr).toBe(0);
      expect(await take(w, p.port)).toBe(202 + 10 * i);
      expect(await take(w, p.port)).toEqual({ kr: MACH_RCV_TIMED_OUT });
      expect(blocked.slice(0, i).flat().map((b) => b.done())).toEqual(Array.from({ length: 2 * i }, () => false));
    }
    for (const p of [...full, room]) expect(await w.k.portDestroy(w.receiver, p.port)).toBe(0);
  });

  it('a seeded mix of sends and receives over twelve ports: a send to a port with room goes in at once however many others wait, and each port\'s messages arrive in the order sent', { timeout: CASE_MS * 3 }, async () => {
    const w = kernel();
    let seed = 20261130;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    // The model: each port's queue and the sends of the task that wait for room in it (Mach's flow control).
    interface Model { port: number; dest: number; qlimit: number; queued: number[]; waiting: Array<{ v: number; s: ReturnType<typeof blockingSend> }>; back: number }
    const ports: Model[] = [];
    for (let i = 0; i < 12; i++) {
      const qlimit = 1 + rnd(2);
      ports.push({ ...(await another(w, qlimit)), qlimit, queued: [], waiting: [], back: 0 });
    }
    /** Takes port p's next message, and the first send waiting for room goes in. */
    const receive = async (p: Model): Promise<void> => {
      const got = await take(w, p.port);
      if (p.queued.length === 0) return void expect(got).toEqual({ kr: MACH_RCV_TIMED_OUT });
      expect(got).toBe(p.queued.shift());
      const next = p.waiting.shift();
      if (next === undefined) return;
      expect((await next.s.result).kr).toBe(0);
      p.queued.push(next.v);
    };
    let v = 1000;
    let mostWaiting = 0;
    for (let step = 0; step < 160; step++) {
      const p = ports[rnd(ports.length)]!;
      const op = rnd(10);
      if (op < 6) {
        const s = blockingSend(w, ++v, p.dest);
        if (p.queued.length < p.qlimit) {
          expect((await s.result).kr).toBe(0);
          p.queued.push(v);
        } else p.waiting.push({ v, s });
      } else if (op < 7) {
        const r = await nowait(w, ++v, p.dest);
        if (p.queued.length < p.qlimit) {
          expect(r.kr).toBe(0);
          p.queued.push(v);
        } else {
          expect(r.kr).toBe(MACH_SEND_TIMED_OUT);
          p.back++;
        }
      } else await receive(p);
      mostWaiting = Math.max(mostWaiting, ports.filter((q) => q.waiting.length > 0).length);
      for (const q of ports) for (const x of q.waiting) expect(x.s.done()).toBe(false);
    }
    // The mix did hold sends blocked on more ports at once than a task once had sender threads (four).
    expect(mostWaiting).toBeGreaterThan(4);
    for (const p of ports) {
      while (p.queued.length > 0) await receive(p);
      expect(await take(w, p.port)).toEqual({ kr: MACH_RCV_TIMED_OUT });
      // Timed-out sends got their COPY_SEND destination right back as a send right.
      if (p.back > 0) expect(await w.k.portModRefs(w.sender, p.dest, MACH_PORT_RIGHT_SEND, -p.back)).toBe(0);
      expect(await w.k.portDestroy(w.receiver, p.port)).toBe(0);
    }
  });

  it(`sends blocked on ${SEND_THREADS} ports at once (the gnumach backend's cap of sender threads per task): a send to one more port goes in at once on sim, on gnumach once the first port drains (the documented fallback); all in order`, { timeout: CASE_MS * 4 }, async () => {
    const w = kernel();
    const full: Array<{ port: number; dest: number }> = [];
    for (let i = 0; i < SEND_THREADS; i++) full.push(await another(w, 1));
    const extra = await another(w, 1);
    const blocked: Array<ReturnType<typeof blockingSend>> = [];
    for (const [i, p] of full.entries()) {
      expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 2 * i, 4000, p.dest) })).kr).toBe(0);
      // Up to the cap, a port with room takes its send at once however many others wait (this one fills it).
      if (i === SEND_THREADS - 1) expect(blocked.every((b) => !b.done())).toBe(true);
      blocked.push(blockingSend(w, 2 * i + 1, p.dest));
    }
    // One port more than the cap: on gnumach its send shares the least busy sender thread, the first port's
    // (the lowest of equals), behind that port's blocked send; sim has no threads.
    const over = blockingSend(w, 9999, extra.dest);
    const gnumach = w.k instanceof GnumachKernel;
    if (!gnumach) expect((await over.result).kr).toBe(0);
    for (let i = full.length - 1; i >= 1; i--) {
      expect(await take(w, full[i]!.port)).toBe(2 * i);
      expect((await blocked[i]!.result).kr).toBe(0);
      expect(await take(w, full[i]!.port)).toBe(2 * i + 1);
    }
    expect([blocked[0]!.done(), over.done()]).toEqual([false, !gnumach]);
    expect(await take(w, full[0]!.port)).toBe(0);
    expect((await blocked[0]!.result).kr).toBe(0);
    expect((await over.result).kr).toBe(0);
    expect(await take(w, full[0]!.port)).toBe(1);
    expect(await take(w, extra.port)).toBe(9999);
    for (const p of [...full, extra]) {
      expect(await take(w, p.port)).toEqual({ kr: MACH_RCV_TIMED_OUT });
      expect(await w.k.portDestroy(w.receiver, p.port)).toBe(0);
    }
  });

  it('a pager-bound call of the task (vm_map of a pager\'s object, a read that faults a page in) completes while its send waits for room', { timeout: CASE_MS }, async () => {
    const w = kernel();
    const pager = await pagerFor(w);
    expect((await w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, 60) })).kr).toBe(0);
    const blocked = blockingSend(w, 61);
    expect(await queued(w)).toBe(1);
    // vm_map: memory_object_init reaches the pager, which answers memory_object_ready.
    const mapping = w.k.vmMap(w.sender, { memoryObject: pager.moS, offset: 0, size: PAGE, anywhere: true });
    const init = await pager.next();
    expect(init.header.id).toBe(MEMORY_OBJECT_INIT);
    const control = portName(init, 0);
    expect(await pager.call(control, MEMORY_OBJECT_READY, [int(0, 0), int(0)])).toBe(0);
    const map = await mapping;
    expect(map.kr).toBe(0);
    // A read of the absent page waits for the pager: data_request, then data_supply (one thread per task held it behind the send).
    const rd = w.k.vmRead(w.sender, map.address + 100, 4);
    const req = await pager.next();
    expect([req.header.id, portName(req, 0) === control]).toEqual([MEMORY_OBJECT_DATA_REQUEST, true]);
    expect(await pager.supply(control, 0, new Uint8Array(PAGE).map((_, i) => i & 0xff))).toBe(0);
    const got = await rd;
    expect([got.kr, [...(got.data ?? [])]]).toEqual([0, [100, 101, 102, 103]]);
    // The send still waits; the receive that makes room lets it in.
    expect(blocked.done()).toBe(false);
    expect(await queued(w)).toBe(1);
    expect(await take(w)).toBe(60);
    expect((await blocked.result).kr).toBe(0);
    expect(await take(w)).toBe(61);
    expect(await take(w)).toEqual({ kr: MACH_RCV_TIMED_OUT });
    expect(await w.k.vmDeallocate(w.sender, map.address, PAGE)).toBe(0);
    await pager.done();
  });
}

describe('blocking sends, sim kernel', () => {
  let w: World | undefined;
  beforeAll(async () => {
    w = await world(openKernel({ backend: 'sim', abi: 'x86_64' }), 'x86_64');
  });
  afterAll(async () => {
    await w?.k.close();
  });
  cases(() => w!);
});

for (const abi of ['x86_64', 'i386'] as const) {
  describe(`blocking sends, gnumach kernel (${abi})`, () => {
    let k: MachKernel | undefined;
    let w: World | undefined;
    beforeAll(async () => {
      k = openKernel({ backend: 'gnumach', abi, qemu: { bootTimeoutMs: BOOT_MS } });
      w = await world(k, abi);
    }, BOOT_MS + 30_000);
    afterAll(async () => {
      await k?.close();
    });
    cases(() => w!);
  });
}
