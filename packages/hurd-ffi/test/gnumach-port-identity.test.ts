/**
 * The gnumach backend's host-made port identities (src/gnumach/port-identity.ts),
 * checked against the simulated kernel's own port ids: the same calls and
 * messages go to a SimKernel, the identities are learned from what the
 * gnumach backend would see (its calls' results, the bytes sent and
 * received), and every observed message must get an id that stands for the
 * same port as sim's kernel id (one-to-one over the whole run).
 */
import {
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_SEND_MSG,
  decodeMessage,
  type Abi,
  type MsgItem,
} from 'mach-msg';
import { describe, expect, it } from 'vitest';
import { PortIdentities, bodyPortNames } from '../src/gnumach/port-identity.js';
import { openKernel, VirtualClock, type MsgEvent } from '../src/index.js';
import { intItem, msgBytes, portsItem } from './helpers.js';

for (const abi of ['i386', 'x86_64'] as Abi[]) {
  describe(`port identities (${abi})`, () => {
    it('name the same ports as the kernel does, through replies, send-once rights and body rights', async () => {
      const k = openKernel({ abi, clock: new VirtualClock() });
      const ids = new PortIdentities();
      const seen: { ours: number; sim: number; what: string }[] = [];
      // What the gnumach backend reports, next to what sim reports, for each message.
      k.observe((e: MsgEvent) => {
        if (e.bytes === null || e.task === 0) return;
        const ours = e.phase === 'send' ? ids.sent(e.task, e.bytes, abi).port : ids.received(e.task, e.bytes, abi);
        seen.push({ ours, sim: e.port, what: `${e.phase} ${e.msgId} by ${e.task}` });
      });
      const allocate = async (t: number): Promise<number> => {
        const name = (await k.portAllocate(t, MACH_PORT_RIGHT_RECEIVE)).name;
        ids.fresh(t, name);
        return name;
      };
      const extract = async (t: number, name: number, disp: number, to: number): Promise<number> => {
        const r = await k.portExtractRight(t, name, disp, to);
        expect(r.kr).toBe(0);
        ids.copied(t, name, to, r.name);
        return r.name;
      };
      const server = await k.taskCreate();
      const c1 = await k.taskCreate();
      const c2 = await k.taskCreate();
      const srv = await allocate(server);
      const s1 = await extract(server, srv, MACH_MSG_TYPE_MAKE_SEND, c1);
      const s2 = await extract(server, srv, MACH_MSG_TYPE_MAKE_SEND, c2);
      const r1 = await allocate(c1);
      const r2 = await allocate(c2);
      // Two clients' requests queue up; the server answers them in reverse order.
      const req = (dest: number, reply: number, id: number): Uint8Array =>
        msgBytes(abi, { dest, destDisp: MACH_MSG_TYPE_COPY_SEND, reply, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id, items: [intItem(id)] });
      expect((await k.msg(c1, { options: MACH_SEND_MSG, send: req(s1, r1, 500) })).kr).toBe(0);
      expect((await k.msg(c2, { options: MACH_SEND_MSG, send: req(s2, r2, 501) })).kr).toBe(0);
      const got = [];
      for (let i = 0; i < 2; i++) got.push(decodeMessage((await k.msg(server, { options: MACH_RCV_MSG, rcvName: srv, rcvSize: 512 })).message!, abi));
      expect(got.map((m) => m.header.bits.remote)).toEqual([MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND_ONCE]);
      // The answer to c1 hands it a send right to a new port of the server's, in the body.
      const extra = await allocate(server);
      const [m1, m2] = got as [(typeof got)[0], (typeof got)[0]];
      const answer = (to: number, id: number, items: MsgItem[] = [intItem(0)]): Uint8Array => msgBytes(abi, { dest: to, destDisp: MACH_MSG_TYPE_MOVE_SEND_ONCE, id, items });
      expect((await k.msg(server, { options: MACH_SEND_MSG, send: answer(m2.header.remotePort, 601) })).kr).toBe(0);
      expect((await k.msg(server, { options: MACH_SEND_MSG, send: answer(m1.header.remotePort, 600, [portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [extra])]) })).kr).toBe(0);
      const a2 = await k.msg(c2, { options: MACH_RCV_MSG, rcvName: r2, rcvSize: 512 });
      const a1 = decodeMessage((await k.msg(c1, { options: MACH_RCV_MSG, rcvName: r1, rcvSize: 512 })).message!, abi);
      expect(a2.kr).toBe(0);
      const item = a1.items[0];
      const got1 = item?.kind === 'ports' ? item.names[0]! : 0;
      expect(got1).not.toBe(0);
      // c1 uses the right it got: a request to the new port, received there.
      expect((await k.msg(c1, { options: MACH_SEND_MSG, send: msgBytes(abi, { dest: got1, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 700, items: [intItem(7)] }) })).kr).toBe(0);
      expect((await k.msg(server, { options: MACH_RCV_MSG, rcvName: extra, rcvSize: 512 })).kr).toBe(0);

      expect(seen).toHaveLength(10); // five sends, five receives
      const simOf = new Map<number, number>();
      const oursOf = new Map<number, number>();
      for (const s of seen) {
        expect(s.ours, s.what).not.toBe(0);
        expect(simOf.get(s.ours) ?? s.sim, s.what).toBe(s.sim);
        expect(oursOf.get(s.sim) ?? s.ours, s.what).toBe(s.ours);
        simOf.set(s.ours, s.sim);
        oursOf.set(s.sim, s.ours);
      }
      // The server's port, the two reply ports and the new port: four ports.
      expect(simOf.size).toBe(4);
    });
  });
}

describe('port identities, edges', () => {
  it('a send-once right from a sender never seen gets a fresh id each time; known names keep theirs', () => {
    const ids = new PortIdentities();
    const srv = ids.fresh(1, 0x10);
    // A request as received from a sender the host never saw: remote is the
    // send-once reply right (bits remote 18), local the receive right.
    const rcv = (): Uint8Array => msgBytes('x86_64', { dest: 0x20, destDisp: MACH_MSG_TYPE_PORT_SEND_ONCE, reply: 0x10, replyDisp: 16, id: 9 });
    expect(ids.received(1, rcv(), 'x86_64')).toBe(srv);
    const first = ids.known(1, 0x20);
    expect(ids.received(1, rcv(), 'x86_64')).toBe(srv);
    const second = ids.known(1, 0x20);
    expect(first).not.toBe(0);
    expect(second).not.toBe(first);
    expect(ids.sent(1, msgBytes('x86_64', { dest: 0x20, destDisp: MACH_MSG_TYPE_MOVE_SEND_ONCE, id: 109 }), 'x86_64').port).toBe(second);
    ids.forgetTask(1);
    expect(ids.known(1, 0x10)).toBe(0);
  });

  it('a send the kernel refused is withdrawn: a later receive on that port does not take its reply port', () => {
    const ids = new PortIdentities();
    const srv = ids.fresh(1, 0x10); // the server's receive right, in task 1
    ids.copied(1, 0x10, 2, 0x30); // the client's send right, in task 2
    const reply = ids.fresh(2, 0x40);
    const send = ids.sent(2, msgBytes('x86_64', { dest: 0x30, destDisp: MACH_MSG_TYPE_COPY_SEND, reply: 0x40, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id: 9 }), 'x86_64');
    expect(send.port).toBe(srv);
    expect(send.replyPort).toBe(reply);
    ids.withdraw(send.port, send.queued);
    // The same id arrives, from a sender the host never saw: its reply right is not the client's.
    const rcv = msgBytes('x86_64', { dest: 0x20, destDisp: MACH_MSG_TYPE_PORT_SEND_ONCE, reply: 0x10, replyDisp: 16, id: 9 });
    expect(ids.received(1, rcv, 'x86_64')).toBe(srv);
    expect(ids.known(1, 0x20)).not.toBe(reply);
    // Not withdrawn, the same receive takes it.
    const again = ids.sent(2, msgBytes('x86_64', { dest: 0x30, destDisp: MACH_MSG_TYPE_COPY_SEND, reply: 0x40, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id: 9 }), 'x86_64');
    expect(again.queued).not.toBeNull();
    expect(ids.received(1, rcv, 'x86_64')).toBe(srv);
    expect(ids.known(1, 0x20)).toBe(reply);
  });

  it('a port that dies with messages queued: the newest of the sends the host saw are the ones still queued, oldest first', () => {
    const ids = new PortIdentities();
    const srv = ids.fresh(1, 0x10);
    ids.copied(1, 0x10, 2, 0x30);
    const send = (id: number): void => void ids.sent(2, msgBytes('x86_64', { dest: 0x30, destDisp: MACH_MSG_TYPE_COPY_SEND, id }), 'x86_64');
    for (const id of [500, 501, 502]) send(id);
    expect(ids.namesWithQueue(1)).toEqual([0x10]);
    expect(ids.namesWithQueue(2)).toEqual([0x30]);
    // The kernel counts two: the oldest (500) was received without the host.
    expect(ids.drained(srv, 2)).toEqual([501, 502]);
    expect(ids.namesWithQueue(1)).toEqual([]);
    // Four counted, one seen: three came from senders the host did not see.
    send(503);
    expect(ids.drained(srv, 4)).toEqual([503]);
    expect(ids.drained(srv, 1)).toEqual([]);
  });

  it('a message destroyed as too large takes its queued send, and its body rights learn nothing', () => {
    const ids = new PortIdentities();
    const srv = ids.fresh(1, 0x10);
    ids.copied(1, 0x10, 2, 0x30);
    const reply = ids.fresh(2, 0x40);
    ids.sent(2, msgBytes('x86_64', { dest: 0x30, destDisp: MACH_MSG_TYPE_COPY_SEND, reply: 0x40, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id: 9 }), 'x86_64');
    // The header GNU Mach writes out (ipc_kmsg_copyout_dest): the destination's name, the reply dropped.
    const header = msgBytes('x86_64', { dest: 0, destDisp: 0, reply: 0x10, replyDisp: 16, id: 9 });
    expect(ids.dropped(1, header, 'x86_64')).toEqual({ port: srv, msgId: 9 });
    expect(ids.drained(srv, 1)).toEqual([]);
    expect(ids.known(1, 0x40)).toBe(0);
    expect(ids.known(2, 0x40)).toBe(reply);
    expect(ids.dropped(1, new Uint8Array(8), 'i386')).toEqual({ port: 0, msgId: 0 });
  });

  it('bytes that hold no header or no body give no ids and do not throw', () => {
    const ids = new PortIdentities();
    expect(ids.sent(1, new Uint8Array(7), 'i386')).toEqual({ port: 0, replyPort: 0, queued: null });
    expect(ids.received(1, new Uint8Array(31), 'x86_64')).toBe(0);
    const junk = new Uint8Array(64).fill(0xff);
    expect(bodyPortNames(junk, 'x86_64')).toEqual([]);
    expect(() => ids.received(2, junk, 'i386')).not.toThrow();
  });
});
