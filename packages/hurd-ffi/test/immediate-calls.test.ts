import { describe, expect, it } from 'vitest';
import {
  decodeMessage, KERN_INVALID_TASK, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_INVALID_DEST, MACH_SEND_MSG,
  MACH_SEND_TIMED_OUT, MACH_SEND_TIMEOUT,
} from 'mach-msg';
import { immediateCalls, type MachKernel } from '../src/index.js';
import { intItem, intOf, msgBytes, setup } from './helpers.js';

/**
 * The sim backend's calls without their promise (ImmediateMachCalls): the
 * netmsg driver and the export task use them on the null RPC's path. They
 * must be `msg` / `portGetReceiveStatus` exactly, but for the promise.
 */
describe('immediate calls', () => {
  it('the sim backend has them; a backend without them is told apart', async () => {
    const { k } = await setup();
    expect(immediateCalls(k)).toBe(k);
    const bare = { msg: k.msg.bind(k) } as unknown as MachKernel;
    expect(immediateCalls(bare)).toBeUndefined();
  });

  it('a send that queues, a receive of a queued message and a status query complete at once, as msg would', async () => {
    const { k, a, b, abi } = await setup();
    const now = immediateCalls(k)!;
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const sp = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const sent = now.msgNow(b, { options: MACH_SEND_MSG, send: msgBytes(abi, { dest: sp, destDisp: 19, id: 100, items: [intItem(41)] }) });
    expect(sent).not.toBeInstanceOf(Promise);
    expect((sent as { kr: number }).kr).toBe(0);
    const st = now.portGetReceiveStatusNow(a, p);
    expect(st.kr).toBe(0);
    expect(st.status!.msgcount).toBe(1);
    expect(st).toEqual(await k.portGetReceiveStatus(a, p));
    const got = now.msgNow(a, { options: MACH_RCV_MSG, rcvName: p, rcvSize: 4096 });
    expect(got).not.toBeInstanceOf(Promise);
    const m = got as { kr: number; message?: Uint8Array };
    expect(m.kr).toBe(0);
    expect(intOf(decodeMessage(m.message!, abi).items[0])).toBe(41);
    expect(now.portGetReceiveStatusNow(a, p).status!.msgcount).toBe(0);
  });

  it('a call that blocks still returns a promise, settled by the send that ends it', async () => {
    const { k, a, b, abi } = await setup();
    const now = immediateCalls(k)!;
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const sp = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const waiting = now.msgNow(a, { options: MACH_RCV_MSG, rcvName: p, rcvSize: 4096 });
    expect(waiting).toBeInstanceOf(Promise);
    expect((now.msgNow(b, { options: MACH_SEND_MSG, send: msgBytes(abi, { dest: sp, destDisp: 19, id: 100, items: [intItem(7)] }) }) as { kr: number }).kr).toBe(0);
    const r = await waiting;
    expect(r.kr).toBe(0);
    expect(intOf(decodeMessage(r.message!, abi).items[0])).toBe(7);
  });

  it('refusals carry msg\'s codes: a dead destination, a full queue with a zero timeout, an unknown task', async () => {
    const { k, a, b, abi } = await setup();
    const now = immediateCalls(k)!;
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const sp = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    await k.portSetQlimit(a, p, 1);
    const bytes = (i: number) => msgBytes(abi, { dest: sp, destDisp: 19, id: 100, items: [intItem(i)] });
    expect((now.msgNow(b, { options: MACH_SEND_MSG, send: bytes(1) }) as { kr: number }).kr).toBe(0);
    const full = now.msgNow(b, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: 0, send: bytes(2) });
    expect(full).not.toBeInstanceOf(Promise);
    expect((full as { kr: number }).kr).toBe(MACH_SEND_TIMED_OUT);
    expect((now.msgNow(b, { options: MACH_SEND_MSG, send: msgBytes(abi, { dest: 0x7777, destDisp: 19, id: 100 }) }) as { kr: number }).kr).toBe(MACH_SEND_INVALID_DEST);
    expect(now.msgNow(9999, { options: MACH_SEND_MSG, send: bytes(3) })).toEqual({ kr: KERN_INVALID_TASK });
    expect(now.portGetReceiveStatusNow(9999, p)).toEqual({ kr: KERN_INVALID_TASK, status: null });
    await k.taskTerminate(a);
    expect((now.msgNow(b, { options: MACH_SEND_MSG, send: bytes(4) }) as { kr: number }).kr).toBe((await k.msg(b, { options: MACH_SEND_MSG, send: bytes(5) })).kr);
  });
});
