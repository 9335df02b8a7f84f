import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  KERN_SUCCESS,
  MACH_MSG_SUCCESS,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_NOTIFY_SEND_ONCE,
  MACH_PORT_DEAD,
  MACH_PORT_RIGHT_PORT_SET,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_PORT_TYPE_RECEIVE,
  MACH_PORT_TYPE_SEND,
  MACH_RCV_INTERRUPTED,
  MACH_RCV_IN_SET,
  MACH_RCV_INVALID_NAME,
  MACH_RCV_LARGE,
  MACH_RCV_MSG,
  MACH_RCV_PORT_CHANGED,
  MACH_RCV_PORT_DIED,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TIMEOUT,
  MACH_RCV_TOO_LARGE,
  MACH_SEND_INTERRUPTED,
  MACH_SEND_INVALID_DEST,
  MACH_SEND_INVALID_HEADER,
  MACH_SEND_INVALID_MEMORY,
  MACH_SEND_INVALID_REPLY,
  MACH_SEND_INVALID_RIGHT,
  MACH_SEND_INVALID_TYPE,
  MACH_SEND_MSG,
  MACH_SEND_MSG_TOO_SMALL,
  MACH_SEND_NOTIFY,
  MACH_SEND_INVALID_NOTIFY,
  MACH_SEND_NOTIFY_IN_PROGRESS,
  MACH_SEND_TIMED_OUT,
  MACH_SEND_TIMEOUT,
  MACH_SEND_WILL_NOTIFY,
  MACH_NOTIFY_MSG_ACCEPTED,
  type MsgItem,
} from 'mach-msg';
import { hex, intItem, intOf, msgBytes, poll, portsItem, send, setup, sound } from './helpers.js';
import type { MsgEvent } from '../src/index.js';

async function serverAndClient(abi: 'x86_64' | 'i386' = 'x86_64') {
  const s = await setup(abi);
  const { k, a, b } = s;
  // b serves port `srv`; a holds a send right to it under `cs`.
  const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
  const cs = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const reply = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
  return { ...s, srv, cs, reply };
}

describe('header copyin/copyout', () => {
  for (const abi of ['x86_64', 'i386'] as const) {
    it(`swaps a MIG request 0x1513 into 0x1112 (${abi}) and the reply into 0x1200`, async () => {
      const { k, a, b, srv, cs, reply } = await serverAndClient(abi);
      const req = msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, reply, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id: 1000, items: [intItem(7)] });
      expect(new DataView(req.buffer).getUint32(0, true)).toBe(0x1513);
      expect(await send(k, a, req)).toBe(MACH_MSG_SUCCESS);
      const got = await poll(k, b, srv, abi);
      const hb = new DataView(got.bytes!.buffer).getUint32(0, true);
      expect(hb).toBe(0x1112);
      expect(got.msg!.header.localPort).toBe(srv);
      expect(got.msg!.header.seqno).toBe(0);
      expect(got.bytes!.length).toBe(req.length);
      const replyName = got.msg!.header.remotePort;
      expect((await k.portType(b, replyName)).type).toBe(0x40000);
      // Body bytes are the sender's, untouched.
      expect(hex(got.bytes!.subarray(abi === 'i386' ? 24 : 32))).toBe(hex(req.subarray(abi === 'i386' ? 24 : 32)));
      const rep = msgBytes(abi, { dest: replyName, destDisp: MACH_MSG_TYPE_MOVE_SEND_ONCE, id: 1100, items: [intItem(0)] });
      expect(await send(k, b, rep)).toBe(MACH_MSG_SUCCESS);
      const r = await poll(k, a, reply, abi);
      expect(new DataView(r.bytes!.buffer).getUint32(0, true)).toBe(0x1200);
      expect(r.msg!.header.remotePort).toBe(0);
      expect(r.msg!.header.localPort).toBe(reply);
      expect((await k.portType(b, replyName)).kr).not.toBe(KERN_SUCCESS);
      sound(k);
    });
  }

  it('delivers a COPY_SEND message without reply as 0x1100 and counts seqno', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    for (let i = 0; i < 3; i++) expect(await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: i }))).toBe(0);
    for (let i = 0; i < 3; i++) {
      const g = await poll(k, b, srv, abi);
      expect(new DataView(g.bytes!.buffer).getUint32(0, true)).toBe(0x1100);
      expect(g.msg!.header.seqno).toBe(i);
      expect(g.msg!.header.id).toBe(i);
      expect(g.bytes!.length).toBe(32);
    }
    sound(k);
  });

  it('clears COMPLEX when the body has no port and no out-of-line item', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    const m = msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 5, items: [intItem(3)], complex: true });
    expect(new DataView(m.buffer).getUint32(0, true) >>> 0).toBe(0x80000013);
    await send(k, a, m);
    const g = await poll(k, b, srv, abi);
    expect(new DataView(g.bytes!.buffer).getUint32(0, true)).toBe(0x1100);
    sound(k);
  });

  it('delivers a protected payload in place of the local name', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    expect(await k.portSetProtectedPayload(b, srv, 0x1122334455667788n)).toBe(KERN_SUCCESS);
    await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 5 }));
    const g = await poll(k, b, srv, abi);
    expect(g.msg!.header.bits.local).toBe(23);
    expect(g.msg!.header.protectedPayload).toBe(0x1122334455667788n);
    expect(await k.portClearProtectedPayload(b, srv)).toBe(KERN_SUCCESS);
    await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 6 }));
    expect((await poll(k, b, srv, abi)).msg!.header.localPort).toBe(srv);
    sound(k);
  });

  it('returns the header errors the kernel gives', async () => {
    const { k, a, cs, reply, abi } = await serverAndClient();
    const m = (o: Partial<Parameters<typeof msgBytes>[1]>) => msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1, ...o });
    expect(await send(k, a, new Uint8Array(8))).toBe(MACH_SEND_MSG_TOO_SMALL);
    expect(await send(k, a, new Uint8Array(34))).toBe(MACH_SEND_MSG_TOO_SMALL);
    expect(await send(k, a, m({ destDisp: 16 }))).toBe(MACH_SEND_INVALID_HEADER);
    expect(await send(k, a, m({ replyDisp: 0, reply }))).toBe(MACH_SEND_INVALID_HEADER);
    expect(await send(k, a, m({ dest: 0 }))).toBe(MACH_SEND_INVALID_DEST);
    expect(await send(k, a, m({ dest: MACH_PORT_DEAD }))).toBe(MACH_SEND_INVALID_DEST);
    expect(await send(k, a, m({ dest: 999 }))).toBe(MACH_SEND_INVALID_DEST);
    expect(await send(k, a, m({ dest: reply }))).toBe(MACH_SEND_INVALID_DEST);
    expect(await send(k, a, m({ reply: 999, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE }))).toBe(MACH_SEND_INVALID_REPLY);
    expect(await send(k, a, m({ reply: cs, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE }))).toBe(MACH_SEND_INVALID_REPLY);
    // The failed sends changed nothing.
    expect(await k.portGetRefs(a, cs, MACH_PORT_RIGHT_SEND)).toEqual({ kr: 0, refs: 1 });
    // One name, two copyins: MOVE_SEND of the last uref then COPY_SEND fails.
    expect(await send(k, a, m({ destDisp: MACH_MSG_TYPE_MOVE_SEND, reply: cs, replyDisp: MACH_MSG_TYPE_COPY_SEND }))).toBe(MACH_SEND_INVALID_REPLY);
    expect(await send(k, a, m({ destDisp: MACH_MSG_TYPE_COPY_SEND, reply: cs, replyDisp: MACH_MSG_TYPE_MOVE_SEND }))).toBe(0);
    expect((await k.portType(a, cs)).kr).not.toBe(KERN_SUCCESS);
    sound(k);
  });
});

describe('body rights', () => {
  it('rewrites dispositions to 16/17/18 and carries x86_64 inline names in 8 bytes', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const q = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const items: MsgItem[] = [
      portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [p, p]),
      portsItem(abi, MACH_MSG_TYPE_MAKE_SEND_ONCE, [p]),
      portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [q]),
      portsItem(abi, MACH_MSG_TYPE_COPY_SEND, [0, MACH_PORT_DEAD]),
    ];
    const sent = msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 9, items });
    expect(await send(k, a, sent)).toBe(0);
    const g = await poll(k, b, srv, abi);
    expect(g.bytes!.length).toBe(sent.length);
    const its = g.msg!.items;
    expect(its.map((i) => i.type.name)).toEqual([17, 18, 16, 17]);
    const names = its.map((i) => (i.kind === 'ports' ? i.names : []));
    expect(names[0]![0]).toBe(names[0]![1]);
    expect(names[1]![0]).not.toBe(names[0]![0]);
    expect(names[3]).toEqual([0, MACH_PORT_DEAD]);
    expect((await k.portType(b, names[0]![0]!)).type).toBe(MACH_PORT_TYPE_SEND);
    expect(await k.portGetRefs(b, names[0]![0]!, MACH_PORT_RIGHT_SEND)).toEqual({ kr: 0, refs: 2 });
    expect((await k.portType(b, names[2]![0]!)).type).toBe(MACH_PORT_TYPE_RECEIVE);
    expect((await k.portType(a, q)).kr).not.toBe(0);
    // The high half of each inline x86_64 name is zero.
    const body = g.bytes!.subarray(32 + 8);
    expect(new DataView(body.buffer, body.byteOffset).getUint32(4, true)).toBe(0);
    sound(k);
  });

  it('fails with MACH_SEND_INVALID_RIGHT and destroys what was copied in', async () => {
    const { k, a, b, srv, cs, reply, abi } = await serverAndClient();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const m = msgBytes(abi, {
      dest: cs,
      destDisp: MACH_MSG_TYPE_COPY_SEND,
      reply,
      replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE,
      id: 9,
      items: [portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [p]), portsItem(abi, MACH_MSG_TYPE_MOVE_SEND, [4242])],
    });
    expect(await send(k, a, m)).toBe(MACH_SEND_INVALID_RIGHT);
    // The made send-once reply right was destroyed: a send-once notification.
    expect((await poll(k, a, reply, abi)).msg!.header.id).toBe(MACH_NOTIFY_SEND_ONCE);
    expect((await poll(k, b, srv, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    expect((await k.portGetReceiveStatus(a, p)).status).toMatchObject({ mscount: 1, srights: false });
    sound(k);
  });

  it('maps codec errors to MACH_SEND_INVALID_TYPE (dealloc on inline data)', async () => {
    const { k, a, cs, abi } = await serverAndClient();
    const m = msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1, items: [intItem(1)], complex: true });
    const dv = new DataView(m.buffer);
    dv.setUint32(32, dv.getUint32(32, true) | 0x80000000, true);
    expect(await send(k, a, m)).toBe(MACH_SEND_INVALID_TYPE);
    sound(k);
  });
});

describe('out-of-line memory', () => {
  it('copies into a fresh address keeping the page offset, with dealloc set', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    const { address } = await k.vmAllocate(a, 0, 8192, true);
    const data = new Uint8Array(300).map((_, i) => i & 0xff);
    expect(await k.vmWrite(a, address + 0x80, data)).toBe(0);
    const item: MsgItem = {
      kind: 'ool',
      type: { name: 9, size: 8, number: 300, inline: false, longform: true, deallocate: true },
      address: BigInt(address + 0x80),
    };
    expect(await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 3, items: [item] }))).toBe(0);
    // The sender's pages went with the message (dealloc).
    expect((await k.vmRead(a, address, 4)).kr).not.toBe(0);
    const g = await poll(k, b, srv, abi);
    const got = g.msg!.items[0]!;
    expect(got.kind).toBe('ool');
    if (got.kind !== 'ool') return;
    expect(got.type.deallocate).toBe(true);
    expect(Number(got.address) % 4096).toBe(0x80);
    const back = await k.vmRead(b, Number(got.address), 300);
    expect(back.data).toEqual(data);
    expect(new DataView(g.bytes!.buffer).getUint32(0, true) >>> 0).toBe(0x80001100);
    expect(await k.vmDeallocate(b, Number(got.address), 300)).toBe(0);
    expect((await k.vmRead(b, Number(got.address), 1)).kr).not.toBe(0);
    sound(k);
  });

  it('carries out-of-line port arrays and gives zero-length items address 0', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const { address } = await k.vmAllocate(a, 0, 4096, true);
    const names = new Uint8Array(8);
    new DataView(names.buffer).setUint32(0, p, true);
    new DataView(names.buffer).setUint32(4, p, true);
    await k.vmWrite(a, address, names);
    const items: MsgItem[] = [
      { kind: 'ool', type: { name: MACH_MSG_TYPE_MAKE_SEND, size: 32, number: 2, inline: false, longform: true, deallocate: false }, address: BigInt(address) },
      { kind: 'ool', type: { name: 9, size: 8, number: 0, inline: false, longform: true, deallocate: false }, address: 0n },
    ];
    expect(await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 3, items }))).toBe(0);
    const g = await poll(k, b, srv, abi);
    const [ports, empty] = g.msg!.items;
    if (ports?.kind !== 'ool' || empty?.kind !== 'ool') throw new Error('expected ool items');
    expect(ports.type.name).toBe(17);
    expect(empty.address).toBe(0n);
    const arr = (await k.vmRead(b, Number(ports.address), 8)).data!;
    const dv = new DataView(arr.buffer);
    expect(dv.getUint32(0, true)).toBe(dv.getUint32(4, true));
    expect(await k.portGetRefs(b, dv.getUint32(0, true), MACH_PORT_RIGHT_SEND)).toEqual({ kr: 0, refs: 2 });
    sound(k);
  });

  it('refuses unmapped out-of-line memory with MACH_SEND_INVALID_MEMORY', async () => {
    const { k, a, cs, abi } = await serverAndClient();
    const item: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: 10, inline: false, longform: true, deallocate: false }, address: 0x5000000n };
    expect(await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 3, items: [item] }))).toBe(MACH_SEND_INVALID_MEMORY);
    sound(k);
  });
});

describe('queues', () => {
  it('blocks the sender on a full queue; SEND_TIMEOUT gives MACH_SEND_TIMED_OUT and the message back', async () => {
    const { k, clock, a, b, srv, cs, abi } = await serverAndClient();
    await k.portSetQlimit(b, srv, 1);
    const m = (id: number) => msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id });
    expect(await send(k, a, m(0))).toBe(0);
    const r0 = await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: m(1), timeout: 0 });
    expect(r0.kr).toBe(MACH_SEND_TIMED_OUT);
    expect(r0.message!.length).toBe(32);
    const p = k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: m(2), timeout: 50 });
    clock.advance(49);
    sound(k);
    clock.advance(1);
    expect((await p).kr).toBe(MACH_SEND_TIMED_OUT);
    // A blocked sender gets in when the receiver takes a message.
    const q = k.msg(a, { options: MACH_SEND_MSG, send: m(3) });
    expect((await poll(k, b, srv, abi)).msg!.header.id).toBe(0);
    expect((await q).kr).toBe(0);
    expect((await poll(k, b, srv, abi)).msg!.header.id).toBe(3);
    // Each timed-out message came back by pseudo-receive with its COPY_SEND
    // destination right: one more uref per failure (ipc_kmsg_copyout_pseudo).
    expect(await k.portGetRefs(a, cs, MACH_PORT_RIGHT_SEND)).toEqual({ kr: 0, refs: 3 });
    sound(k);
  });

  it('SEND_NOTIFY queues past the limit and sends msg-accepted on dequeue', async () => {
    const { k, a, b, srv, cs, reply, abi } = await serverAndClient();
    await k.portSetQlimit(b, srv, 1);
    const m = (id: number) => msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id });
    await send(k, a, m(0));
    // With room in the queue the notify port is not even looked at.
    await poll(k, b, srv, abi);
    expect((await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_NOTIFY, send: m(0), notify: 999 })).kr).toBe(0);
    expect((await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_NOTIFY, send: m(1), notify: 999 })).kr).toBe(MACH_SEND_INVALID_NOTIFY);
    const r = await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_NOTIFY, send: m(1), notify: reply });
    expect(r.kr).toBe(MACH_SEND_WILL_NOTIFY);
    expect((await k.portType(a, cs)).type).toBe((MACH_PORT_TYPE_SEND | 0x40000000) >>> 0);
    // One forced message per port at a time; the refused one comes back.
    const again = await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_NOTIFY, send: m(2), notify: reply });
    expect(again.kr).toBe(MACH_SEND_NOTIFY_IN_PROGRESS);
    expect(again.message!.length).toBe(32);
    await poll(k, b, srv, abi);
    expect((await poll(k, a, reply, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    await poll(k, b, srv, abi);
    const n = await poll(k, a, reply, abi);
    expect(n.msg!.header.id).toBe(MACH_NOTIFY_MSG_ACCEPTED);
    expect(intOf(n.msg!.items[0])).toBe(cs);
    expect((await k.portType(a, cs)).type).toBe(MACH_PORT_TYPE_SEND);
    sound(k);
  });

  it('send-once rights ignore the queue limit', async () => {
    const { k, a, b, srv, abi } = await serverAndClient();
    await k.portSetQlimit(b, srv, 0);
    const so = await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
    expect(await send(k, a, msgBytes(abi, { dest: so.name, destDisp: MACH_MSG_TYPE_MOVE_SEND_ONCE, id: 1 }))).toBe(0);
    expect((await poll(k, b, srv, abi)).msg!.header.id).toBe(1);
    sound(k);
  });

  it('RCV_TIMEOUT, RCV_LARGE and MACH_RCV_TOO_LARGE', async () => {
    const { k, clock, a, b, srv, cs, abi } = await serverAndClient();
    const p = k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: srv, timeout: 10 });
    clock.advance(10);
    expect((await p).kr).toBe(MACH_RCV_TIMED_OUT);
    await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1, items: [intItem(1)] }));
    const big = await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_LARGE, rcvName: srv, rcvSize: 32 });
    expect(big).toEqual({ kr: MACH_RCV_TOO_LARGE, size: 48 });
    const ok = await k.msg(b, { options: MACH_RCV_MSG, rcvName: srv, rcvSize: 48 });
    expect(ok.kr).toBe(0);
    // Without RCV_LARGE the message is dequeued and destroyed.
    await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 2, items: [intItem(1)] }));
    const lost = await k.msg(b, { options: MACH_RCV_MSG, rcvName: srv, rcvSize: 32 });
    expect(lost.kr).toBe(MACH_RCV_TOO_LARGE);
    expect(lost.size).toBe(48);
    expect((await poll(k, b, srv, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    sound(k);
  });

  it('receives on a port set in arrival order; a member answers MACH_RCV_IN_SET', async () => {
    const { k, a, b, abi } = await setup();
    const set = (await k.portAllocate(b, MACH_PORT_RIGHT_PORT_SET)).name;
    const p1 = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const p2 = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const s1 = (await k.portExtractRight(b, p1, MACH_MSG_TYPE_MAKE_SEND, a)).name;
    const s2 = (await k.portExtractRight(b, p2, MACH_MSG_TYPE_MAKE_SEND, a)).name;
    await k.portMoveMember(b, p1, set);
    const waiting = k.msg(b, { options: MACH_RCV_MSG, rcvName: p2 });
    await k.portMoveMember(b, p2, set);
    expect((await waiting).kr).toBe(MACH_RCV_PORT_CHANGED);
    expect((await poll(k, b, p1, abi)).kr).toBe(MACH_RCV_IN_SET);
    await send(k, a, msgBytes(abi, { dest: s2, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 20 }));
    await send(k, a, msgBytes(abi, { dest: s1, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 10 }));
    await send(k, a, msgBytes(abi, { dest: s2, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 21 }));
    const got = [];
    for (let i = 0; i < 3; i++) {
      const g = await poll(k, b, set, abi);
      got.push([g.msg!.header.id, g.msg!.header.localPort, g.msg!.header.seqno]);
    }
    expect(got).toEqual([
      [20, p2, 0],
      [10, p1, 0],
      [21, p2, 1],
    ]);
    // A blocked receiver on the set wakes up for a member's message.
    const w = k.msg(b, { options: MACH_RCV_MSG, rcvName: set });
    await send(k, a, msgBytes(abi, { dest: s1, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 11 }));
    expect((await w).kr).toBe(0);
    expect((await poll(k, b, 999, abi)).kr).toBe(MACH_RCV_INVALID_NAME);
    sound(k);
  });

  it('MACH_RCV_PORT_DIED when the receive right dies under a waiting receiver; interruption', async () => {
    const { k, b } = await setup();
    const p = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const w = k.msg(b, { options: MACH_RCV_MSG, rcvName: p });
    await k.portDestroy(b, p);
    expect((await w).kr).toBe(MACH_RCV_PORT_DIED);
    const q = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const ac = new AbortController();
    const w2 = k.msg(b, { options: MACH_RCV_MSG, rcvName: q, signal: ac.signal });
    ac.abort();
    expect((await w2).kr).toBe(MACH_RCV_INTERRUPTED);
    sound(k);
  });

  it('an interrupted blocked send gets its message and rights back', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    await k.portSetQlimit(b, srv, 0);
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const ac = new AbortController();
    const m = msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 1, items: [portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [p])] });
    const w = k.msg(a, { options: MACH_SEND_MSG, send: m, signal: ac.signal });
    expect((await k.portType(a, p)).kr).not.toBe(0);
    ac.abort();
    const r = await w;
    expect(r.kr).toBe(MACH_SEND_INTERRUPTED);
    const back = decodeMessage(r.message!, abi);
    const name = back.items[0]!.kind === 'ports' ? back.items[0]!.names[0]! : 0;
    expect((await k.portType(a, name)).type).toBe(MACH_PORT_TYPE_RECEIVE);
    sound(k);
  });

  it('destroying a queue releases the rights its messages carry, with their notifications', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const n = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portRequestNotification(a, p, MACH_NOTIFY_NO_SENDERS, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    const q = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portRequestNotification(a, q, MACH_NOTIFY_PORT_DESTROYED, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    await send(
      k,
      a,
      msgBytes(abi, {
        dest: cs,
        destDisp: MACH_MSG_TYPE_COPY_SEND,
        id: 1,
        items: [portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [p]), portsItem(abi, MACH_MSG_TYPE_MAKE_SEND_ONCE, [p]), portsItem(abi, MACH_MSG_TYPE_MOVE_RECEIVE, [q])],
      }),
    );
    sound(k);
    await k.portDestroy(b, srv);
    const ids: number[] = [];
    for (;;) {
      const g = await poll(k, a, n, abi);
      if (g.kr !== 0) break;
      ids.push(g.msg!.header.id);
      if (g.msg!.header.id === MACH_NOTIFY_PORT_DESTROYED) {
        expect(new DataView(g.bytes!.buffer).getUint32(0, true) >>> 0).toBe(0x80001200);
        expect(g.bytes!.length).toBe(48);
        const it = g.msg!.items[0]!;
        expect(it.type.name).toBe(16);
        const back = it.kind === 'ports' ? it.names[0]! : 0;
        expect((await k.portType(a, back)).type).toBe(MACH_PORT_TYPE_RECEIVE);
      }
    }
    expect(ids.sort()).toEqual([MACH_NOTIFY_PORT_DESTROYED, MACH_NOTIFY_NO_SENDERS].sort());
    const s = await poll(k, a, p, abi);
    expect(s.msg!.header.id).toBe(MACH_NOTIFY_SEND_ONCE);
    sound(k);
  });
});

describe('observer and snapshot', () => {
  it('sees each message at send and at receive', async () => {
    const { k, a, b, srv, cs, abi } = await serverAndClient();
    const seen: MsgEvent[] = [];
    const off = k.observe((e) => seen.push(e));
    await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 77 }));
    await poll(k, b, srv, abi);
    off();
    await send(k, a, msgBytes(abi, { dest: cs, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 78 }));
    expect(seen.map((e) => [e.phase, e.task, e.msgId])).toEqual([
      ['send', a, 77],
      ['receive', b, 77],
    ]);
    expect(seen[0]!.port).toBe(seen[1]!.port);
    const snap = k.snapshot(a)!;
    expect(snap.names.find((n) => n.name === cs)).toMatchObject({ type: MACH_PORT_TYPE_SEND, urefs: 1 });
    void encodeMessage;
  });
});
