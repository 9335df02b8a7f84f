/**
 * The seed's netmsg-test conformance scenarios (seed-system.md §2), run
 * between two tasks of one simulated kernel: task `a` is the client, task
 * `b` the test translator serving the netmsg_test subsystem (50000..50002).
 * Every scenario checks the exact notifications GNU Mach produces.
 */
import { describe, expect, it } from 'vitest';
import {
  KERN_INVALID_NAME,
  KERN_SUCCESS,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DELETED,
  MACH_NOTIFY_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_PORT_TYPE_RECEIVE,
  MACH_PORT_TYPE_SEND,
  MACH_RCV_MSG,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TIMEOUT,
  MACH_SEND_INVALID_DEST,
  decodeMessage,
  type Abi,
  type MachMessage,
  type DataItem,
} from 'mach-msg';
import { intItem, intOf, msgBytes, poll, portsItem, send, setup, sound } from './helpers.js';
import type { SimKernel } from '../src/index.js';

const COUNT = 3;
const HDR: Record<Abi, number> = { i386: 24, x86_64: 32 };

function boolItem(v: boolean): DataItem {
  const it = intItem(v ? 1 : 0);
  return { ...it, type: { ...it.type, name: 0 } };
}

function portOf(m: MachMessage, i: number): number {
  const it = m.items[i];
  if (it?.kind !== 'ports') throw new Error(`item ${i} is not a port`);
  return it.names[0]!;
}

/** Receive with the seed's 1000 ms timeout, driving the virtual clock. */
async function recv(k: SimKernel, clock: { advance(ms: number): void }, task: number, name: number, abi: Abi) {
  const p = k.msg(task, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, timeout: 1000 });
  clock.advance(1000);
  const r = await p;
  return { kr: r.kr, msg: r.message ? decodeMessage(r.message, abi) : undefined, size: r.message?.length ?? 0 };
}

async function world(abi: Abi = 'x86_64') {
  const s = await setup(abi);
  const { k, a, b } = s;
  const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
  const node = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const serverNotes: number[] = [];
  const serverChecks: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) serverChecks.push(what);
  };

  /** S_test1 (seed §2.3). Resolves with the notification id it got on D. */
  async function S_test1(P: number, count: number, destroy: boolean, transfer: boolean, copy: boolean): Promise<void> {
    for (let i = 0; i < count; i++) await send(k, b, msgBytes(abi, { dest: P, destDisp: MACH_MSG_TYPE_COPY_SEND, id: i }));
    const D = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const r = await k.portRequestNotification(b, P, MACH_NOTIFY_DEAD_NAME, 0, D, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    check(r.kr === KERN_SUCCESS && r.previous === 0, 'dead-name request');
    if (copy) check((await k.portModRefs(b, P, MACH_PORT_RIGHT_SEND, 1)) === KERN_SUCCESS, 'copy');
    if (destroy) {
      await k.portDeallocate(b, P);
      if (!copy) check((await k.portType(b, P)).kr === KERN_INVALID_NAME, 'destroyed name invalid');
    } else if (transfer) {
      const m = msgBytes(abi, { dest: P, destDisp: MACH_MSG_TYPE_COPY_SEND, id: count + 1, items: [portsItem(abi, MACH_MSG_TYPE_MOVE_SEND, [P])] });
      check((await send(k, b, m)) === KERN_SUCCESS, 'transfer send');
      if (!copy) check((await k.portType(b, P)).kr === KERN_INVALID_NAME, 'transferred name invalid');
    }
    if (copy) for (let i = count; i < 2 * count; i++) await send(k, b, msgBytes(abi, { dest: P, destDisp: MACH_MSG_TYPE_COPY_SEND, id: i }));
    // Step 6 waits for the notification (it may come only later).
    const note = await k.msg(b, { options: MACH_RCV_MSG, rcvName: D });
    serverNotes.push(decodeMessage(note.message!, abi).header.id);
  }

  /** S_test2 (seed §2.3). */
  async function S_test2(P: number, count: number, nsr: boolean, R: number): Promise<void> {
    if (nsr) {
      const r = await k.portRequestNotification(b, P, MACH_NOTIFY_NO_SENDERS, 0, P, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      check(r.kr === KERN_SUCCESS && r.previous === 0, 'no-senders request');
    }
    for (let i = 0; i < count; i++) {
      const g = await k.msg(b, { options: MACH_RCV_MSG, rcvName: P });
      const m = decodeMessage(g.message!, abi);
      check(g.message!.length === HDR[abi] && m.header.id === i, `message ${i}`);
    }
    if (R !== 0) {
      const m = msgBytes(abi, { dest: R, destDisp: MACH_MSG_TYPE_MOVE_SEND, id: count + 1, items: [portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [P])] });
      check((await send(k, b, m)) === KERN_SUCCESS, 'return receive right');
      check((await k.portType(b, P)).kr === KERN_INVALID_NAME && (await k.portType(b, R)).kr === KERN_INVALID_NAME, 'names gone');
      return;
    }
    if (nsr) {
      const g = await k.msg(b, { options: MACH_RCV_MSG, rcvName: P });
      serverNotes.push(decodeMessage(g.message!, abi).header.id);
    }
    await k.portModRefs(b, P, MACH_PORT_RIGHT_RECEIVE, -1);
    check((await k.portType(b, P)).kr === KERN_INVALID_NAME, 'destroyed receive right');
  }

  /** Takes one request off the server port and runs its routine. */
  async function serve(): Promise<{ done: Promise<void> }> {
    const g = await poll(k, b, srv, abi);
    const m = g.msg!;
    const P = portOf(m, 0);
    switch (m.header.id) {
      case 50000:
        return { done: S_test1(P, intOf(m.items[1]), intOf(m.items[2]) !== 0, intOf(m.items[3]) !== 0, intOf(m.items[4]) !== 0) };
      case 50001:
        return { done: S_test2(P, intOf(m.items[1]), intOf(m.items[2]) !== 0, m.items[3]?.kind === 'ports' ? portOf(m, 3) : 0) };
      case 50002: {
        await k.portModRefs(b, P, MACH_PORT_RIGHT_RECEIVE, -1);
        check((await k.portType(b, P)).kr === KERN_INVALID_NAME, 'test11 destroyed');
        return { done: Promise.resolve() };
      }
      default:
        throw new Error(`unexpected request ${m.header.id}`);
    }
  }

  const U_test1 = async (T: number, disp: number, count: number, destroy: boolean, transfer: boolean, copy: boolean) => {
    const m = msgBytes(abi, {
      dest: node,
      destDisp: MACH_MSG_TYPE_COPY_SEND,
      id: 50000,
      items: [portsItem(abi, disp, [T]), intItem(count), boolItem(destroy), boolItem(transfer), boolItem(copy)],
    });
    expect(await send(k, a, m)).toBe(KERN_SUCCESS);
    return serve();
  };
  const U_test2 = async (T: number, count: number, nsr: boolean, R: number, rDisp: number) => {
    const items = [portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [T]), intItem(count), boolItem(nsr), portsItem(abi, rDisp, [R])];
    expect(await send(k, a, msgBytes(abi, { dest: node, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 50001, items }))).toBe(KERN_SUCCESS);
    return serve();
  };
  const U_test11 = async (T: number) => {
    const items = [portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [T])];
    expect(await send(k, a, msgBytes(abi, { dest: node, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 50002, items }))).toBe(KERN_SUCCESS);
    return serve();
  };

  const expectData = async (T: number, ids: number[]) => {
    for (const id of ids) {
      const g = await recv(k, s.clock, a, T, abi);
      expect(g.kr).toBe(KERN_SUCCESS);
      expect(g.msg!.header.id).toBe(id);
      expect(g.size).toBe(HDR[abi]);
    }
  };

  /** A fresh receive right in the client task `a`, with a send right under the same name if `withSend`. */
  const receivePort = async (withSend = false): Promise<number> => {
    const T = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    if (withSend) await k.portInsertRight(a, T, T, MACH_MSG_TYPE_MAKE_SEND);
    return T;
  };
  /** A bodyless message with `id` from `task` to `dest`, copying the send right. */
  const sendTo = (task: number, dest: number, id: number) => send(k, task, msgBytes(abi, { dest, destDisp: MACH_MSG_TYPE_COPY_SEND, id }));
  /** The client hands the server port (not a routine) a right to `T` with `disp`. */
  const carry = (T: number, disp: number) =>
    send(k, a, msgBytes(abi, { dest: node, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1, items: [portsItem(abi, disp, [T])] }));
  /** `name` no longer names anything in `task`. */
  const expectGone = async (task: number, name: number) => expect((await k.portType(task, name)).kr).toBe(KERN_INVALID_NAME);
  /** Drops the receive right `name` of the client task; the name goes with it. */
  const dropReceive = async (name: number) => {
    await k.portModRefs(a, name, MACH_PORT_RIGHT_RECEIVE, -1);
    await expectGone(a, name);
  };
  /** The next message on `port` of `task` is NO_SENDERS with make-send count `count`. */
  const expectNoSenders = async (task: number, port: number, count?: number) => {
    const n = await poll(k, task, port, abi);
    expect(n.msg!.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
    if (count !== undefined) expect(intOf(n.msg!.items[0])).toBe(count);
  };

  return { ...s, srv, node, serverNotes, serverChecks, U_test1, U_test2, U_test11, expectData, receivePort, sendTo, carry, expectGone, dropReceive, expectNoSenders };
}

for (const abi of ['x86_64', 'i386'] as const) {
  describe(`netmsg-test scenarios (${abi})`, () => {
    it('test1: send right across, destroyed remotely -> NO_SENDERS; server sees PORT_DELETED', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort();
      const server = await w.U_test1(T, MACH_MSG_TYPE_MAKE_SEND, COUNT, true, false, false);
      await w.expectData(T, [0, 1, 2]);
      expect((await k.portRequestNotification(a, T, MACH_NOTIFY_NO_SENDERS, 0, T, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(KERN_SUCCESS);
      const n = await recv(k, w.clock, a, T, abi);
      expect(n.msg!.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
      expect(intOf(n.msg!.items[0])).toBe(1);
      await server.done;
      expect(w.serverNotes).toEqual([MACH_NOTIFY_PORT_DELETED]);
      await w.dropReceive(T);
      expect(w.serverChecks).toEqual([]);
      sound(k);
    });

    it('test2: receive right across, local senders go away -> remote NO_SENDERS', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort(true);
      const server = await w.U_test2(T, COUNT, true, 0, MACH_MSG_TYPE_MAKE_SEND);
      expect((await k.portType(a, T)).type).toBe(MACH_PORT_TYPE_SEND);
      for (let i = 0; i < COUNT; i++) expect(await w.sendTo(a, T, i)).toBe(0);
      expect(await k.portDeallocate(a, T)).toBe(KERN_SUCCESS);
      await w.expectGone(a, T);
      await server.done;
      expect(w.serverNotes).toEqual([MACH_NOTIFY_NO_SENDERS]);
      expect(w.serverChecks).toEqual([]);
      sound(k);
    });

    it('test3: send right across, local receive destroyed -> remote DEAD_NAME', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort();
      const server = await w.U_test1(T, MACH_MSG_TYPE_MAKE_SEND, COUNT, false, false, false);
      await w.expectData(T, [0, 1, 2]);
      await w.dropReceive(T);
      await server.done;
      expect(w.serverNotes).toEqual([MACH_NOTIFY_DEAD_NAME]);
      expect(w.serverChecks).toEqual([]);
      sound(k);
    });

    it('test4: send right goes across and comes back under the same name', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort();
      const server = await w.U_test1(T, MACH_MSG_TYPE_MAKE_SEND, COUNT, false, true, false);
      expect((await k.portRequestNotification(a, T, MACH_NOTIFY_NO_SENDERS, 0, T, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(0);
      await w.expectData(T, [0, 1, 2]);
      const back = await recv(k, w.clock, a, T, abi);
      expect(back.msg!.header.id).toBe(COUNT + 1);
      expect(back.size).toBe(HDR[abi] + (abi === 'i386' ? 8 : 16));
      expect(portOf(back.msg!, 0)).toBe(T);
      expect(await k.portDeallocate(a, T)).toBe(KERN_SUCCESS);
      const n = await recv(k, w.clock, a, T, abi);
      expect(n.msg!.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
      await server.done;
      expect(w.serverNotes).toEqual([MACH_NOTIFY_PORT_DELETED]);
      await w.dropReceive(T);
      expect(w.serverChecks).toEqual([]);
      sound(k);
    });

    it('test5: receive right goes across and comes back under the same name', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort(true);
      const R = await w.receivePort();
      const server = await w.U_test2(T, COUNT, false, R, MACH_MSG_TYPE_MAKE_SEND);
      for (let i = 0; i < COUNT; i++) await w.sendTo(a, T, i);
      await server.done;
      const back = await recv(k, w.clock, a, R, abi);
      expect(back.msg!.header.id).toBe(COUNT + 1);
      expect(portOf(back.msg!, 0)).toBe(T);
      expect((await k.portType(a, T)).type).toBe(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE);
      await k.portDeallocate(a, T);
      await w.dropReceive(T);
      await k.portDestroy(a, R);
      await w.expectGone(a, R);
      expect(w.serverChecks).toEqual([]);
      sound(k);
    });

    it('test5a: the no-senders request travels with the receive right (real Mach semantics)', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort(true);
      const R = await w.receivePort();
      const server = await w.U_test2(T, COUNT, true, R, MACH_MSG_TYPE_MAKE_SEND);
      for (let i = 0; i < COUNT; i++) await w.sendTo(a, T, i);
      await server.done;
      const back = await recv(k, w.clock, a, R, abi);
      expect(portOf(back.msg!, 0)).toBe(T);
      expect((await k.portType(a, T)).type).toBe(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE);
      await k.portDeallocate(a, T);
      const n = await recv(k, w.clock, a, T, abi);
      expect(n.msg!.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
      // mscount restarted at 0 when the receive right moved: nobody made a send right since.
      expect(intOf(n.msg!.items[0])).toBe(0);
      sound(k);
    });

    it('test6: copy kept remotely, send right returned, copy still usable; server sees DEAD_NAME', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort();
      const server = await w.U_test1(T, MACH_MSG_TYPE_MAKE_SEND, COUNT, false, true, true);
      expect((await k.portRequestNotification(a, T, MACH_NOTIFY_NO_SENDERS, 0, T, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(0);
      await w.expectData(T, [0, 1, 2]);
      const back = await recv(k, w.clock, a, T, abi);
      expect(portOf(back.msg!, 0)).toBe(T);
      await k.portDeallocate(a, T);
      await w.expectData(T, [3, 4, 5]);
      // The server still holds a send right: no no-senders yet.
      expect((await poll(k, a, T, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
      await w.dropReceive(T);
      await server.done;
      expect(w.serverNotes).toEqual([MACH_NOTIFY_DEAD_NAME]);
      expect(w.serverChecks).toEqual([]);
      sound(k);
    });

    it('test11: receive right destroyed on arrival; sends fail with INVALID_DEST on the dead name', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort(true);
      await w.U_test11(T);
      for (let i = 0; i < COUNT; i++) {
        expect(await w.sendTo(a, T, i)).toBe(MACH_SEND_INVALID_DEST);
      }
      // T is now a dead name holding the send right's one uref.
      expect((await k.portType(a, T)).type).toBe(0x100000);
      expect(await k.portDeallocate(a, T)).toBe(KERN_SUCCESS);
      await w.expectGone(a, T);
      expect(w.serverChecks).toEqual([]);
      sound(k);
    });

    it('test13: messages whose id looks like a SEND_ONCE notification are ordinary messages', async () => {
      const w = await world(abi);
      const { k, a } = w;
      const T = await w.receivePort(true);
      for (let i = 0; i < COUNT; i++) await w.sendTo(a, T, MACH_NOTIFY_SEND_ONCE);
      await w.expectData(T, [71, 71, 71]);
      await k.portDeallocate(a, T);
      await w.dropReceive(T);
      sound(k);
    });

    // Tests the seed describes but never implemented (seed-system.md §2.5).

    it('test7: receive right across; remote makes a send right and sends it back under the same name; NO_SENDERS there', async () => {
      const w = await world(abi);
      const { k, a, b } = w;
      const T = await w.receivePort(true);
      const R = await w.receivePort();
      const Rs = (await k.portExtractRight(a, R, MACH_MSG_TYPE_MAKE_SEND, b)).name;
      await w.carry(T, MACH_MSG_TYPE_MOVE_RECEIVE);
      const P = portOf((await poll(k, b, w.srv, abi)).msg!, 0);
      await k.portRequestNotification(b, P, MACH_NOTIFY_NO_SENDERS, 0, P, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      for (let i = 0; i < COUNT; i++) await w.sendTo(a, T, i);
      await send(k, b, msgBytes(abi, { dest: Rs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 2, items: [portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [P])] }));
      const back = await poll(k, a, R, abi);
      expect(portOf(back.msg!, 0)).toBe(T);
      expect(await k.portGetRefs(a, T, MACH_PORT_RIGHT_SEND)).toEqual({ kr: 0, refs: 2 });
      const ids: number[] = [];
      // Drain before sending more: a sixth message would block on the default qlimit of 5.
      for (let i = 0; i < COUNT; i++) ids.push((await poll(k, b, P, abi)).msg!.header.id);
      for (let i = COUNT; i < 2 * COUNT; i++) await w.sendTo(a, T, i);
      for (let i = 0; i < COUNT; i++) ids.push((await poll(k, b, P, abi)).msg!.header.id);
      expect(ids).toEqual([0, 1, 2, 3, 4, 5]);
      await k.portModRefs(a, T, MACH_PORT_RIGHT_SEND, -2);
      await w.expectNoSenders(b, P, 1);
      sound(k);
    });

    it('test8: a second copy of a send right arrives under the same name; NO_SENDERS after the last copy', async () => {
      const w = await world(abi);
      const { k, a, b } = w;
      const T = await w.receivePort();
      // sync 1: with no sender yet, sync 0 would fire at once (ipc_port_nsrequest).
      await k.portRequestNotification(a, T, MACH_NOTIFY_NO_SENDERS, 1, T, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      await w.carry(T, MACH_MSG_TYPE_MAKE_SEND);
      const P1 = portOf((await poll(k, b, w.srv, abi)).msg!, 0);
      await w.sendTo(b, P1, 0);
      await w.carry(T, MACH_MSG_TYPE_MAKE_SEND);
      const P2 = portOf((await poll(k, b, w.srv, abi)).msg!, 0);
      expect(P2).toBe(P1);
      expect(await k.portGetRefs(b, P1, MACH_PORT_RIGHT_SEND)).toEqual({ kr: 0, refs: 2 });
      await w.sendTo(b, P1, 1);
      await k.portDeallocate(b, P1);
      await w.sendTo(b, P1, 2);
      await w.expectData(T, [0, 1, 2]);
      expect((await poll(k, a, T, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
      await k.portDeallocate(b, P1);
      await w.expectNoSenders(a, T, 2);
      sound(k);
    });

    for (const keepCopy of [false, true]) {
      it(`test${keepCopy ? 10 : 9}: send right then receive right across; they meet under one name; NO_SENDERS`, async () => {
        const w = await world(abi);
        const { k, a, b } = w;
        const T = await w.receivePort(keepCopy);
        await k.portRequestNotification(a, T, MACH_NOTIFY_NO_SENDERS, 1, T, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        await w.carry(T, MACH_MSG_TYPE_MAKE_SEND);
        const P = portOf((await poll(k, b, w.srv, abi)).msg!, 0);
        await w.sendTo(b, P, 0);
        await w.carry(T, MACH_MSG_TYPE_MOVE_RECEIVE);
        const P2 = portOf((await poll(k, b, w.srv, abi)).msg!, 0);
        expect(P2).toBe(P);
        expect((await k.portType(b, P)).type).toBe(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE);
        // The queued message moved with the port.
        expect((await poll(k, b, P, abi)).msg!.header.id).toBe(0);
        if (keepCopy) {
          await w.sendTo(a, T, 5);
          expect((await poll(k, b, P, abi)).msg!.header.id).toBe(5);
          await k.portDeallocate(a, T);
        }
        await k.portDeallocate(b, P);
        await w.expectNoSenders(b, P);
        expect((await k.portType(b, P)).type).toBe(MACH_PORT_TYPE_RECEIVE);
        sound(k);
      });
    }

    it('test12: NO_SENDERS waits for the last of two send rights on both sides', async () => {
      const w = await world(abi);
      const { k, a, b, clock } = w;
      const T = await w.receivePort(true);
      await k.portRequestNotification(a, T, MACH_NOTIFY_NO_SENDERS, 0, T, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      await w.carry(T, MACH_MSG_TYPE_MOVE_RECEIVE);
      const P = portOf((await poll(k, b, w.srv, abi)).msg!, 0);
      expect(await k.portInsertRight(b, P, P, MACH_MSG_TYPE_MAKE_SEND)).toBe(KERN_SUCCESS);
      clock.advance(1000);
      await k.portDeallocate(a, T);
      expect((await poll(k, b, P, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
      clock.advance(1000);
      await k.portDeallocate(b, P);
      await w.expectNoSenders(b, P, 1);
      expect((await k.portType(b, P)).type).toBe(MACH_PORT_TYPE_RECEIVE);
      sound(k);
    });
  });
}
