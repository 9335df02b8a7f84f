/**
 * The observer's optional fields on the simulated kernel (src/observer.ts):
 * the reply port's kernel id at send, task names, messages destroyed
 * unreceived (with why), and receives that get no message.
 */
import { describe, expect, it } from 'vitest';
import {
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_PORT_SET,
  MACH_RCV_IN_SET,
  MACH_RCV_INTERRUPTED,
  MACH_RCV_INVALID_NAME,
  MACH_RCV_LARGE,
  MACH_RCV_MSG,
  MACH_RCV_PORT_DIED,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TOO_LARGE,
  MACH_SEND_MSG,
} from 'mach-msg';
import type { MsgEvent } from '../src/index.js';
import { intItem, msgBytes, poll, portsItem, send, setup, sound } from './helpers.js';

async function world() {
  const s = await setup();
  const { k, a, b, abi } = s;
  const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
  const cs = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const reply = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
  const seen: MsgEvent[] = [];
  k.observe((e) => seen.push(e));
  const request = (id: number) => msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, reply, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id, items: [intItem(1)] });
  return { ...s, srv, cs, reply, seen, request };
}

const lost = (seen: MsgEvent[]) => seen.filter((e) => e.destroyed !== undefined || (e.phase === 'receive' && e.kr !== undefined));

describe('observer events (sim)', () => {
  it('a send carries the reply port id (the port the reply goes to) and the task name', async () => {
    const { k, a, b, srv, seen, request, abi } = await world();
    expect(await send(k, a, request(100))).toBe(0);
    const got = await poll(k, b, srv, abi);
    expect(await send(k, b, msgBytes(abi, { dest: got.msg!.header.remotePort, destDisp: 18, id: 200, items: [intItem(0)] }))).toBe(0);
    const [req, rcv, rep] = seen;
    expect(req).toMatchObject({ phase: 'send', task: a, msgId: 100, taskName: 'a' });
    expect(req!.replyPort).toBeGreaterThan(0);
    expect(rcv).toMatchObject({ phase: 'receive', task: b, msgId: 100, taskName: 'b', replyPort: 0 });
    expect(rep).toMatchObject({ phase: 'send', task: b, msgId: 200, port: req!.replyPort, replyPort: 0 });
    sound(k);
  });

  it("observers changed during a message's calls: one removed still gets that message, one added gets the next", async () => {
    const { k, a, request } = await world();
    const got: string[] = [];
    let removeB: () => void = () => undefined;
    let added = false;
    const removeA = k.observe((e) => {
      got.push(`a${e.msgId}`);
      if (e.msgId === 100 && e.phase === 'send') {
        removeB();
        if (!added) {
          added = true;
          k.observe((x) => void (x.phase === 'send' && got.push(`c${x.msgId}`)));
        }
      }
    });
    removeB = k.observe((e) => void (e.phase === 'send' && got.push(`b${e.msgId}`)));
    expect(await send(k, a, request(100))).toBe(0);
    expect(await send(k, a, request(101))).toBe(0);
    removeA();
    expect(got).toEqual(['a100', 'b100', 'a101', 'c101']);
  });

  it('a port that dies with a queue: each message is reported destroyed, before the notifications its rights cause', async () => {
    const { k, a, b, srv, seen, request } = await world();
    await send(k, a, request(100));
    await send(k, a, request(101));
    seen.length = 0;
    await k.portDestroy(b, srv);
    expect(seen.map((e) => [e.phase, e.task, e.msgId, e.destroyed ?? null, e.bytes])).toEqual([
      ['receive', 0, 100, 'port-died', null],
      ['send', 0, 71, null, null], // the send-once notification for the reply right it carried
      ['receive', 0, 101, 'port-died', null],
      ['send', 0, 71, null, null],
    ]);
    sound(k);
  });

  it('a blocked sender terminated, and a message carrying its own destination, are reported destroyed', async () => {
    const { k, a, b, srv, cs, seen, request, abi } = await world();
    await k.portSetQlimit(b, srv, 1);
    await send(k, a, request(100));
    const blocked = k.msg(a, { options: MACH_SEND_MSG, send: request(101) });
    await k.taskTerminate(a);
    await blocked;
    // 101 itself; then the send-once notification its reply right became, to a's reply port, which died with a.
    expect(lost(seen).map((e) => [e.msgId, e.destroyed])).toEqual([
      [101, 'sender-terminated'],
      [71, 'port-died'],
    ]);
    // b sends its own receive right to the port itself: circular.
    seen.length = 0;
    const self = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    expect(await send(k, b, msgBytes(abi, { dest: self, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 300, items: [portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [srv])] }))).toBe(0);
    // Destroying it destroys the receive right it carried: the port dies with 100 still queued.
    expect(lost(seen).map((e) => [e.msgId, e.destroyed])).toEqual([
      [300, 'circular'],
      [100, 'port-died'],
    ]);
    void cs;
    sound(k);
  });

  it('receives that get no message: invalid name, in a set, a poll, an interrupted wait, too large (kept or destroyed), port died', async () => {
    const { k, a, b, srv, reply, seen, request } = await world();
    const rcv = (task: number, name: number, extra: Record<string, unknown> = {}) => k.msg(task, { options: MACH_RCV_MSG, rcvName: name, rcvSize: 4096, ...extra });
    expect((await rcv(a, 0x999)).kr).toBe(MACH_RCV_INVALID_NAME);
    const set = (await k.portAllocate(b, MACH_PORT_RIGHT_PORT_SET)).name;
    const member = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portMoveMember(b, member, set);
    expect((await rcv(b, member)).kr).toBe(MACH_RCV_IN_SET);
    expect((await k.msg(a, { options: MACH_RCV_MSG | 0x100, rcvName: reply, rcvSize: 4096, timeout: 0 })).kr).toBe(MACH_RCV_TIMED_OUT);
    const ac = new AbortController();
    const waiting = rcv(a, reply, { signal: ac.signal });
    ac.abort();
    expect((await waiting).kr).toBe(MACH_RCV_INTERRUPTED);
    await send(k, a, request(100));
    expect((await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_LARGE, rcvName: srv, rcvSize: 8 })).kr).toBe(MACH_RCV_TOO_LARGE);
    expect((await k.msg(b, { options: MACH_RCV_MSG, rcvName: srv, rcvSize: 8 })).kr).toBe(MACH_RCV_TOO_LARGE);
    const lonely = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const waiting2 = rcv(b, lonely);
    await k.portDestroy(b, lonely);
    expect((await waiting2).kr).toBe(MACH_RCV_PORT_DIED);
    expect(lost(seen).map((e) => [e.task, e.kr, e.rcvName, e.msgId, e.destroyed ?? null])).toEqual([
      [a, MACH_RCV_INVALID_NAME, 0x999, 0, null],
      [b, MACH_RCV_IN_SET, member, 0, null],
      [a, MACH_RCV_TIMED_OUT, reply, 0, null],
      [a, MACH_RCV_INTERRUPTED, reply, 0, null],
      [b, MACH_RCV_TOO_LARGE, srv, 100, null],
      [b, MACH_RCV_TOO_LARGE, srv, 100, 'too-large'],
      [b, MACH_RCV_PORT_DIED, lonely, 0, null],
    ]);
    // A task terminated while waiting is not reported: nobody gets that return code.
    seen.length = 0;
    const gone = rcv(a, reply);
    await k.taskTerminate(a);
    await gone;
    expect(lost(seen)).toEqual([]);
    sound(k);
  });

  it('without observers nothing is built (the observer set is checked first)', async () => {
    const { k, a, request } = await setup().then(async (s) => {
      const srv = (await s.k.portAllocate(s.b, MACH_PORT_RIGHT_RECEIVE)).name;
      const cs = (await s.k.portExtractRight(s.b, srv, MACH_MSG_TYPE_MAKE_SEND, s.a)).name;
      return { ...s, request: () => msgBytes(s.abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1, items: [] }) };
    });
    expect(await send(k, a, request())).toBe(0);
    expect(k.core.observers.size).toBe(0);
  });
});
