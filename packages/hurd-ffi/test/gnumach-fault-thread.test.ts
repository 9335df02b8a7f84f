/**
 * The host's record of mapped memory (src/gnumach/fault-thread.ts), pure:
 * which task-memory calls must take a task's fault thread. The fault thread
 * itself runs on the real kernel in vm-map-backends.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FaultThreads, MAX_IN_FLIGHT, SEND_THREADS } from '../src/gnumach/fault-thread.js';
import { OP, type Reply } from '../src/gnumach/protocol.js';

const PAGE = 4096;
const unused = (): never => {
  throw new Error('no call expected');
};

describe('FaultThreads mapped ranges', () => {
  it('routes a range by page-rounded overlap with what the task mapped', () => {
    const f = new FaultThreads(unused);
    expect(f.anyMappings()).toBe(false);
    f.addMapping(3, 0x10000, PAGE + 1); // two pages: [0x10000, 0x12000)
    expect(f.hasMappings(3)).toBe(true);
    expect(f.hasMappings(4)).toBe(false);
    expect(f.anyMappings()).toBe(true);
    expect(f.overlaps(3, 0x11fff, 1)).toBe(true);
    expect(f.overlaps(3, 0x12000, 8)).toBe(false);
    expect(f.overlaps(3, 0xfff0, 0x10)).toBe(false);
    expect(f.overlaps(3, 0xfff0, 0x11)).toBe(true);
    expect(f.overlaps(3, 0x10000, 0)).toBe(true); // a zero-length access at a mapped address
    expect(f.overlaps(4, 0x10000, PAGE)).toBe(false);
  });

  it('forgets a mapping only when a deallocation covers it whole, and all of a task when it ends', () => {
    const f = new FaultThreads(unused);
    f.addMapping(1, 0x20000, 2 * PAGE);
    f.addMapping(1, 0x40000, PAGE);
    f.removeRange(1, 0x20000, PAGE); // part of the first: kept
    expect(f.overlaps(1, 0x21000, 1)).toBe(true);
    f.removeRange(1, 0x1f000, 3 * PAGE);
    expect(f.overlaps(1, 0x20000, 2 * PAGE)).toBe(false);
    expect(f.overlaps(1, 0x40000, 1)).toBe(true);
    f.forget(1);
    expect(f.hasMappings(1)).toBe(false);
    expect(f.anyMappings()).toBe(false);
  });

  it('takes only fault-thread results from the event stream', () => {
    const f = new FaultThreads(unused);
    expect(f.onEvent({ tag: 0, kr: null, vals: [], names: [], event: { task: 1, name: 5 } })).toBe(false);
    // A result nobody waits for (its task ended) is taken and dropped.
    expect(f.onEvent({ tag: 0, kr: 0, vals: [], names: [], fault: { task: 1, seq: 99 } })).toBe(true);
  });

  it('hands a task\'s calls to the link as they are made, in order, at most MAX_IN_FLIGHT; a result in the reply resolves at once, a handed-over one with its event', async () => {
    const issued: Array<{ task: number; args: readonly number[]; answer: (r: Reply) => void }> = [];
    const f = new FaultThreads((task, op, args) => {
      expect(op).toBe(OP.fault);
      return new Promise<Reply>((answer) => issued.push({ task, args, answer }));
    });
    // args [task word, value]: the value tells the calls apart (args[4] of the fault request).
    const calls = Array.from({ length: MAX_IN_FLIGHT + 2 }, (_, i) => f.run(7, OP.msg, [0, i]));
    // On the link in the same turn as the calls (a direct call made next must not overtake them), up to the cap.
    expect(issued.map((c) => c.args[4])).toEqual(Array.from({ length: MAX_IN_FLIGHT }, (_, i) => i));
    const other = f.run(8, OP.msg, [0, 99]); // another task has its own cap
    expect(issued.map((c) => [c.task, c.args[4]]).at(-1)).toEqual([8, 99]);
    // The first call's result came within the agent's wait: the reply itself, its F line in it.
    issued[0]!.answer({ tag: 1, kr: 0x10000004, vals: [], names: [], fault: { task: 7, seq: issued[0]!.args[0]! } });
    expect((await calls[0]!).kr).toBe(0x10000004);
    await new Promise((r) => setTimeout(r, 0));
    // One ended: the next waiting one goes out, in order.
    expect(issued.filter((c) => c.task === 7).map((c) => c.args[4])).toEqual(Array.from({ length: MAX_IN_FLIGHT + 1 }, (_, i) => i));
    // The second was handed over (R 0 0): it resolves with its event, not with the hand-over.
    let done = false;
    void calls[1]!.then(() => (done = true));
    issued[1]!.answer({ tag: 2, kr: 0, vals: [], names: [] });
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(false);
    expect(f.onEvent({ tag: 0, kr: 0, vals: [9], names: [], fault: { task: 7, seq: issued[1]!.args[0]! } })).toBe(true);
    expect((await calls[1]!).vals).toEqual([9]);
    expect(issued.filter((c) => c.task === 7)).toHaveLength(MAX_IN_FLIGHT + 2);
    // The rest end with results in their replies (answering one twice is a no-op).
    for (const c of issued.slice(2)) c.answer({ tag: 3, kr: 0, vals: [], names: [], fault: { task: c.task, seq: c.args[0]! } });
    expect((await Promise.all(calls)).map((r) => r.kr)).toEqual([0x10000004, ...Array.from({ length: MAX_IN_FLIGHT + 1 }, () => 0)]);
    expect((await other).kr).toBe(0);
  });

  it('gives a port\'s sends one sender thread while one is pending and other ports idle threads; a timeout-0 send to a port with a pending send goes after it', async () => {
    const issued: Array<{ op: number; args: readonly number[]; answer: (r: Reply) => void }> = [];
    const f = new FaultThreads((_task, op, args) => new Promise<Reply>((answer) => issued.push({ op, args, answer })));
    const none = new Uint8Array(0);
    const sent = (port: number, value: number, mayWait = true): Promise<Reply> | null => f.send(7, port, mayWait, [0, value], none);
    // Sends that may block: port 100 on the first sender thread, 200 on the next idle one, 100 again behind its first.
    const calls = [sent(100, 1), sent(200, 2), sent(100, 3)];
    expect(issued.map((c) => [c.op, c.args[1], c.args[2], c.args[4]])).toEqual([
      [OP.fault, 1, OP.msg, 1],
      [OP.fault, 2, OP.msg, 2],
      [OP.fault, 1, OP.msg, 3],
    ]);
    // A send that must not wait, to a port with nothing pending: the caller runs it on the worker.
    expect(sent(300, 4, false)).toBeNull();
    // To port 100: after its pending sends (the agent's send_after), slot then the msg step's words.
    calls.push(sent(100, 5, false));
    expect([issued.at(-1)!.op, ...issued.at(-1)!.args]).toEqual([OP.sendAfter, 1, 0, 5]);
    // Results: the first in its reply, the others handed over and then as events; send_after's reply is final.
    issued[0]!.answer({ tag: 1, kr: 0, vals: [], names: [], fault: { task: 7, seq: issued[0]!.args[0]! } });
    for (const i of [1, 2]) issued[i]!.answer({ tag: 2, kr: 0, vals: [], names: [] });
    issued[3]!.answer({ tag: 3, kr: 0x10000004, vals: [], names: [] });
    expect((await calls[3]!).kr).toBe(0x10000004);
    for (const i of [1, 2]) expect(f.onEvent({ tag: 0, kr: 0, vals: [i], names: [], fault: { task: 7, seq: issued[i]!.args[0]! } })).toBe(true);
    expect((await Promise.all(calls)).map((r) => r!.vals)).toEqual([[], [1], [2], []]);
    // Nothing pending any more: port 100's timeout-0 sends go to the worker again.
    expect(sent(100, 6, false)).toBeNull();
  });

  it('shares a sender thread only when every one holds a port; a timeout-0 send then waits its turn on that thread', () => {
    const issued: Array<{ op: number; args: readonly number[] }> = [];
    const f = new FaultThreads((_task, op, args) => {
      issued.push({ op, args });
      return new Promise<Reply>(() => undefined);
    });
    const none = new Uint8Array(0);
    for (let i = 1; i <= SEND_THREADS; i++) void f.send(7, 100 * i, true, [0, i], none);
    expect(issued.map((c) => c.args[1])).toEqual(Array.from({ length: SEND_THREADS }, (_, i) => i + 1));
    void f.send(7, 999, true, [0, 9], none); // all busy: the first of the least busy
    expect(issued.at(-1)!.args[1]).toBe(1);
    void f.send(7, 999, false, [0, 10], none); // behind port 100's send on that thread: in turn, not send_after
    expect([issued.at(-1)!.op, issued.at(-1)!.args[1], issued.at(-1)!.args[2]]).toEqual([OP.fault, 1, OP.msg]);
    void f.send(7, 200, false, [0, 11], none); // port 200 alone on its thread: send_after
    expect([issued.at(-1)!.op, issued.at(-1)!.args[0]]).toEqual([OP.sendAfter, 2]);
    void f.send(8, 100, false, [0, 12], none); // another task's sends are its own
    expect(issued).toHaveLength(SEND_THREADS + 3);
  });

  it('starts a sender thread per port with a send pending, reuses an idle one (the lowest) before starting another, and shares none below the cap', async () => {
    const issued: Array<{ args: readonly number[]; answer: (r: Reply) => void }> = [];
    const f = new FaultThreads((_task, _op, args) => new Promise<Reply>((answer) => issued.push({ args, answer })));
    const none = new Uint8Array(0);
    const end = async (i: number, p: Promise<Reply> | null): Promise<void> => {
      issued[i]!.answer({ tag: 1, kr: 0, vals: [], names: [], fault: { task: 7, seq: issued[i]!.args[0]! } });
      expect((await p)!.kr).toBe(0);
    };
    const a = f.send(7, 100, true, [0, 1], none);
    const b = f.send(7, 200, true, [0, 2], none);
    const c = f.send(7, 300, true, [0, 3], none);
    expect(issued.map((x) => x.args[1])).toEqual([1, 2, 3]);
    await end(0, a); // slot 1 idle again: the next port's send takes it, no fourth thread
    const d = f.send(7, 400, true, [0, 4], none);
    expect(issued[3]!.args[1]).toBe(1);
    // A pending send per port on every slot so far: a new port gets a new slot, up to SEND_THREADS.
    for (let port = 500; issued.length < SEND_THREADS + 1; port += 100) void f.send(7, port, true, [0, port], none);
    expect(issued.slice(3).map((x) => x.args[1])).toEqual([1, ...Array.from({ length: SEND_THREADS - 3 }, (_, i) => i + 4)]);
    expect(new Set(issued.slice(1).map((x) => x.args[1])).size).toBe(SEND_THREADS);
    await end(1, b);
    await end(2, c);
    await end(3, d);
    // The seqs are distinct: each result resolves its own call.
    expect(new Set(issued.map((x) => x.args[0])).size).toBe(issued.length);
  });

  it('caps sender threads where the agent does (steps.h SENDER_THREADS: fault.c has that many slots per task)', () => {
    const h = readFileSync(new URL('../conformance/c/steps.h', import.meta.url), 'utf8');
    expect(Number(/#define SENDER_THREADS (\d+)/.exec(h)?.[1])).toBe(SEND_THREADS);
  });
});
