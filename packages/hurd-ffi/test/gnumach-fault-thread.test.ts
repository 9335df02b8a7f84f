/**
 * The host's record of mapped memory (src/gnumach/fault-thread.ts), pure:
 * which task-memory calls must take a task's fault thread. The fault thread
 * itself runs on the real kernel in vm-map-backends.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FaultThreads, MAX_IN_FLIGHT } from '../src/gnumach/fault-thread.js';
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
    // args [task word, value]: the value tells the calls apart (args[3] of the fault request).
    const calls = Array.from({ length: MAX_IN_FLIGHT + 2 }, (_, i) => f.run(7, OP.msg, [0, i]));
    // On the link in the same turn as the calls (a direct call made next must not overtake them), up to the cap.
    expect(issued.map((c) => c.args[3])).toEqual(Array.from({ length: MAX_IN_FLIGHT }, (_, i) => i));
    const other = f.run(8, OP.msg, [0, 99]); // another task has its own cap
    expect(issued.map((c) => [c.task, c.args[3]]).at(-1)).toEqual([8, 99]);
    // The first call's result came within the agent's wait: the reply itself, its F line in it.
    issued[0]!.answer({ tag: 1, kr: 0x10000004, vals: [], names: [], fault: { task: 7, seq: issued[0]!.args[0]! } });
    expect((await calls[0]!).kr).toBe(0x10000004);
    await new Promise((r) => setTimeout(r, 0));
    // One ended: the next waiting one goes out, in order.
    expect(issued.filter((c) => c.task === 7).map((c) => c.args[3])).toEqual(Array.from({ length: MAX_IN_FLIGHT + 1 }, (_, i) => i));
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
});
