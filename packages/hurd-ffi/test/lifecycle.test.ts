import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  KERN_INVALID_TASK,
  KERN_INVALID_VALUE,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  KERN_SUCCESS,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_NOTIFY_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_TYPE_DEAD_NAME,
  MACH_PORT_TYPE_RECEIVE,
  MACH_RCV_INTERRUPTED,
  MACH_RCV_MSG,
  MACH_RCV_TIMED_OUT,
} from 'mach-msg';
import { checkInvariants, isHurdFfiError, openKernel, SimKernel, VirtualClock } from '../src/index.js';
import { intItem, intOf, msgBytes, poll, portsItem, send, setup, sound } from './helpers.js';

describe('openKernel', () => {
  it("defaults to the simulated kernel; 'gnumach' without QEMU fails with a typed error", async () => {
    const k = openKernel();
    expect(k.backend).toBe('sim');
    expect(k.abi).toBe('x86_64');
    const g = openKernel({ backend: 'gnumach', qemu: { binary: '/nonexistent/qemu-system-x86_64' } });
    expect(g.backend).toBe('gnumach');
    const err: unknown = await g.taskCreate().then(() => undefined, (e: unknown) => e);
    expect(isHurdFfiError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('qemu_missing');
    expect((err as Error).message).toContain('/nonexistent/qemu-system-x86_64');
    await g.close();
    expect(() => openKernel({ backend: 'nope' as 'sim' })).toThrow(/supported backends: sim/);
  });
});

describe('VirtualClock', () => {
  it('fires timers in time order, ties in the order they were set', () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.setTimer(10, () => seen.push('b'));
    c.setTimer(5, () => seen.push('a'));
    c.setTimer(10, () => seen.push('c'));
    const x = c.setTimer(7, () => seen.push('x'));
    x.cancel();
    c.advance(9);
    expect(seen).toEqual(['a']);
    c.advance(1);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(c.now()).toBe(10);
    expect(c.pending()).toBe(0);
  });
});

describe('task termination', () => {
  it('destroys the space: dead names elsewhere, no-senders, send-once notifications, blocked calls end', async () => {
    const { k, a, b, abi } = await setup();
    const pa = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const sb = (await k.portExtractRight(a, pa, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const d = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portRequestNotification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, d, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    const pb = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portRequestNotification(b, pb, MACH_NOTIFY_NO_SENDERS, 1, d, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    await k.portExtractRight(b, pb, MACH_MSG_TYPE_MAKE_SEND, a);
    await k.portExtractRight(b, pb, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
    const blocked = k.msg(a, { options: MACH_RCV_MSG, rcvName: pa });
    expect(await k.taskTerminate(a)).toBe(KERN_SUCCESS);
    expect((await blocked).kr).toBe(MACH_RCV_INTERRUPTED);
    expect(await k.taskTerminate(a)).toBe(KERN_INVALID_TASK);
    expect((await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).kr).toBe(KERN_INVALID_TASK);
    const ids: number[] = [];
    for (let g = await poll(k, b, d, abi); g.kr === 0; g = await poll(k, b, d, abi)) ids.push(g.msg!.header.id);
    expect(ids.sort()).toEqual([MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_DEAD_NAME].sort());
    expect((await poll(k, b, pb, abi)).msg!.header.id).toBe(MACH_NOTIFY_SEND_ONCE);
    expect((await k.portType(b, sb)).type).toBe(MACH_PORT_TYPE_DEAD_NAME);
    sound(k);
    await k.close();
    expect(checkInvariants(k)).toEqual([]);
    expect(k.core.ports.size).toBe(0);
  });

  it('port-destroyed hands the receive right to the notify port instead of killing the port', async () => {
    const { k, a, b, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const s = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const n = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const ns0 = (await k.portExtractRight(b, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, a)).name;
    const ns = (await k.portExtractRight(b, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, a)).name;
    // sync must be 0 for port-destroyed; the refused call destroys the notify right it took.
    expect((await k.portRequestNotification(a, p, MACH_NOTIFY_PORT_DESTROYED, 1, ns0, MACH_MSG_TYPE_MOVE_SEND_ONCE)).kr).toBe(KERN_INVALID_VALUE);
    expect((await poll(k, b, n, abi)).msg!.header.id).toBe(MACH_NOTIFY_SEND_ONCE);
    expect((await k.portRequestNotification(a, p, MACH_NOTIFY_PORT_DESTROYED, 0, ns, MACH_MSG_TYPE_MOVE_SEND_ONCE)).kr).toBe(KERN_SUCCESS);
    await send(k, b, msgBytes(abi, { dest: s, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1 }));
    await k.taskTerminate(a);
    const g = await poll(k, b, n, abi);
    expect(g.msg!.header.id).toBe(MACH_NOTIFY_PORT_DESTROYED);
    const it = g.msg!.items[0]!;
    const got = it.kind === 'ports' ? it.names[0]! : 0;
    // The receive right joined b's send right under its name; the queue survived.
    expect(got).toBe(s);
    expect((await k.portType(b, got)).type & MACH_PORT_TYPE_RECEIVE).toBeTruthy();
    expect((await poll(k, b, got, abi)).msg!.header.id).toBe(1);
    sound(k);
  });

  it('a message carrying its own destination receive right is destroyed (circular)', async () => {
    const { k, a, b, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portInsertRight(a, p, p, MACH_MSG_TYPE_MAKE_SEND);
    const sb = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const m = msgBytes(abi, { dest: p, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1, items: [portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [p])] });
    expect(await send(k, a, m)).toBe(KERN_SUCCESS);
    // The port died with the message: both tasks now hold dead names.
    expect((await k.portType(a, p)).type).toBe(MACH_PORT_TYPE_DEAD_NAME);
    expect((await k.portType(b, sb)).type).toBe(MACH_PORT_TYPE_DEAD_NAME);
    sound(k);
    expect(k.core.ports.size).toBe(0);
  });
});

describe('tasks of two ABIs', () => {
  it('an i386 task and an x86_64 task exchange a message, each in its own layout', async () => {
    const clock = new VirtualClock();
    const k = openKernel({ abi: 'x86_64', clock }) as SimKernel;
    const t64 = await k.taskCreate({ abi: 'x86_64' });
    const t32 = await k.taskCreate({ abi: 'i386' });
    const p = (await k.portAllocate(t64, MACH_PORT_RIGHT_RECEIVE)).name;
    const s = (await k.portExtractRight(t64, p, MACH_MSG_TYPE_MAKE_SEND, t32)).name;
    const q = (await k.portAllocate(t32, MACH_PORT_RIGHT_RECEIVE)).name;
    const m = msgBytes('i386', { dest: s, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 9, items: [intItem(77), portsItem('i386', MACH_MSG_TYPE_MAKE_SEND, [q])] });
    expect(m.length).toBe(24 + 8 + 8);
    expect(await send(k, t32, m)).toBe(KERN_SUCCESS);
    const r = await k.msg(t64, { options: MACH_RCV_MSG, rcvName: p });
    expect(r.message!.length).toBe(32 + 16 + 16);
    const got = decodeMessage(r.message!, 'x86_64');
    expect(intOf(got.items[0])).toBe(77);
    expect(got.items[1]!.type.size).toBe(64);
    expect(checkInvariants(k)).toEqual([]);
    expect((await poll(k, t64, p, 'x86_64')).kr).toBe(MACH_RCV_TIMED_OUT);
  });
});
