import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { decodeMessage, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_INTERRUPTED, MACH_RCV_MSG, MACH_RCV_TIMED_OUT, MACH_RCV_TIMEOUT } from 'mach-msg';
import { openKernel, realClock, SimKernel } from '../src/index.js';
import { intItem, intOf, msgBytes, send, setup, sound } from './helpers.js';

/**
 * The per-receive costs cut for the null RPC (netmsg-server BENCHMARKS.md,
 * run 10): one abort listener per AbortSignal shared by every blocked call
 * on it, and realClock's timers of one duration behind one host timer.
 * The Mach behaviour must be unchanged: these check it, not the speed.
 */
describe('blocked calls sharing one AbortSignal', () => {
  it('a signal used for many receives in turn keeps one listener; aborting interrupts exactly the calls still blocked, in order', async () => {
    const { k, a, b, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const q = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const sp = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const stop = new AbortController();
    // 50 receives that block and are then satisfied, each with the signal.
    for (let i = 0; i < 50; i++) {
      const r = k.msg(a, { options: MACH_RCV_MSG, rcvName: p, signal: stop.signal });
      expect(await send(k, b, msgBytes(abi, { dest: sp, destDisp: 19, id: 100, items: [intItem(i)] }))).toBe(0);
      const got = await r;
      expect(got.kr).toBe(0);
    }
    expect(getEventListeners(stop.signal, 'abort').length).toBeLessThanOrEqual(1);
    // Three blocked now: two on p, one on q; a fourth already satisfied must not be touched.
    const order: string[] = [];
    const r1 = k.msg(a, { options: MACH_RCV_MSG, rcvName: p, signal: stop.signal }).then((r) => (order.push('r1'), r));
    const r2 = k.msg(a, { options: MACH_RCV_MSG, rcvName: q, signal: stop.signal }).then((r) => (order.push('r2'), r));
    const r3 = k.msg(a, { options: MACH_RCV_MSG, rcvName: p, signal: stop.signal }).then((r) => (order.push('r3'), r));
    expect(await send(k, b, msgBytes(abi, { dest: sp, destDisp: 19, id: 100, items: [intItem(7)] }))).toBe(0);
    stop.abort();
    const [g1, g2, g3] = await Promise.all([r1, r2, r3]);
    expect(g1.kr).toBe(0);
    expect(intOf(decodeMessage(g1.message!, abi).items[0])).toBe(7);
    expect(g2.kr).toBe(MACH_RCV_INTERRUPTED);
    expect(g3.kr).toBe(MACH_RCV_INTERRUPTED);
    expect(order).toEqual(['r1', 'r2', 'r3']);
    // An aborted signal interrupts a new call at once, as before.
    expect((await k.msg(a, { options: MACH_RCV_MSG, rcvName: q, signal: stop.signal })).kr).toBe(MACH_RCV_INTERRUPTED);
    sound(k);
  });

  it('calls of two tasks on one signal: terminating one task ends its call only; the other still answers to the signal', async () => {
    const { k, a, b } = await setup();
    const pa = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const pb = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const stop = new AbortController();
    const ra = k.msg(a, { options: MACH_RCV_MSG, rcvName: pa, signal: stop.signal });
    const rb = k.msg(b, { options: MACH_RCV_MSG, rcvName: pb, signal: stop.signal });
    await k.taskTerminate(a);
    expect((await ra).kr).toBe(MACH_RCV_INTERRUPTED);
    let settled = false;
    void rb.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    stop.abort();
    expect((await rb).kr).toBe(MACH_RCV_INTERRUPTED);
  });
});

describe('realClock timers of one duration', () => {
  it('fire once each, in the order set, never when cancelled; a timeout still times a receive out', async () => {
    const seen: string[] = [];
    const t1 = realClock.setTimer(5, () => seen.push('a'));
    const t2 = realClock.setTimer(5, () => seen.push('x'));
    realClock.setTimer(5, () => seen.push('b'));
    const t4 = realClock.setTimer(20, () => seen.push('y'));
    realClock.setTimer(1, () => seen.push('first'));
    t2.cancel();
    t2.cancel();
    t4.cancel();
    await new Promise((r) => setTimeout(r, 40));
    expect(seen).toEqual(['first', 'a', 'b']);
    t1.cancel(); // after firing: nothing
    expect(seen).toEqual(['first', 'a', 'b']);
    // A timer set from a firing timer of the same lane fires too.
    const chain: number[] = [];
    realClock.setTimer(3, () => {
      chain.push(1);
      realClock.setTimer(3, () => chain.push(2));
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(chain).toEqual([1, 2]);
    // The sim kernel on the real clock: MACH_RCV_TIMEOUT still ends a receive.
    const k = openKernel({ abi: 'x86_64' }) as SimKernel;
    const t = await k.taskCreate({ name: 't' });
    const p = (await k.portAllocate(t, MACH_PORT_RIGHT_RECEIVE)).name;
    for (let i = 0; i < 20; i++) {
      // Cancelled timers (a message arrives first) do not disturb the later one.
      const r = k.msg(t, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p, timeout: 7 });
      const sp = (await k.portExtractRight(t, p, MACH_MSG_TYPE_MAKE_SEND, t)).name;
      expect(await send(k, t, msgBytes('x86_64', { dest: sp, destDisp: 17, id: 1 }))).toBe(0);
      expect((await r).kr).toBe(0);
    }
    expect((await k.msg(t, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p, timeout: 7 })).kr).toBe(MACH_RCV_TIMED_OUT);
    await k.close();
  });

  it('keeps firing in order with many cancelled timers behind a live one (the queue is compacted, not shifted)', async () => {
    const seen: string[] = [];
    realClock.setTimer(15, () => seen.push('live-1'));
    // Far more than one compaction's worth of dead timers behind the live head.
    for (let i = 0; i < 5000; i++) realClock.setTimer(15, () => seen.push('dead')).cancel();
    realClock.setTimer(15, () => seen.push('live-2'));
    for (let i = 0; i < 3000; i++) realClock.setTimer(15, () => seen.push('dead')).cancel();
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toEqual(['live-1', 'live-2']);
    // The lane still works after it has emptied.
    realClock.setTimer(15, () => seen.push('live-3'));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['live-1', 'live-2', 'live-3']);
  });
});
