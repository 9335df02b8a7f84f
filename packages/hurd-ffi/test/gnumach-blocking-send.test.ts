/**
 * A message send that waits for room (Mach flow control: a sender to a port
 * whose queue holds qlimit messages blocks until a receive makes room, it
 * is not refused), on the real GNU Mach under QEMU and on the simulated
 * kernel alike. On the gnumach backend the agent runs one call at a time
 * over one link, and the receive that makes room is such a call: the send
 * must not hold the link while it waits (fault-thread.ts, agent.c
 * fault_call). Before that, the first case here hung at the status query
 * behind the blocked send (each case is bounded, so it fails instead).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeMessage,
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
} from 'mach-msg';
import { openKernel, type MachKernel, type MsgResult, type TaskId } from '../src/index.js';
import { intItem, intOf, msgBytes } from './helpers.js';

const BOOT_MS = 240_000;
/** A bound for a case that a held link would hang: it fails instead. */
const CASE_MS = 60_000;

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

const numbered = (w: World, v: number, id = 4000): Uint8Array => msgBytes(w.abi, { dest: w.dest, destDisp: MACH_MSG_TYPE_COPY_SEND, id, items: [intItem(v)] });

/** A send with no MACH_SEND_TIMEOUT, and whether it has completed yet. */
function blockingSend(w: World, v: number): { done: () => boolean; result: Promise<MsgResult> } {
  let done = false;
  const result = w.k.msg(w.sender, { options: MACH_SEND_MSG, send: numbered(w, v) }).finally(() => {
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
