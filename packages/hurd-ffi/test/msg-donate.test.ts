import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DELETED,
  MACH_NOTIFY_SEND_ONCE,
  MACH_RCV_TIMEOUT,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_SEND_INVALID_DEST,
  MACH_SEND_MSG,
  MACH_SEND_TIMED_OUT,
  MACH_SEND_TIMEOUT,
  type Abi,
} from 'mach-msg';
import { hex, intItem, intOf, msgBytes, portsItem, setup, sound } from './helpers.js';

/**
 * MsgArgs.donate: the sender gives its buffer up, so the kernel may keep it
 * as its copy of the message. Whatever the kernel does with it, what the
 * receiver gets must be what it gets from an ordinary send.
 */
describe('a donated send buffer', () => {
  for (const abi of ['i386', 'x86_64'] as Abi[]) {
    it(`${abi}: a non-complex message is delivered in the donated buffer, rewritten exactly as a copied one`, async () => {
      const { k, a, b } = await setup(abi);
      const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
      const s = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
      const make = () => msgBytes(abi, { dest: s, destDisp: 19, id: 4242, items: [intItem(7), intItem(8)] });
      // The same message sent twice: once copied, once donated.
      expect((await k.msg(b, { options: MACH_SEND_MSG, send: make() })).kr).toBe(0);
      const copied = await k.msg(a, { options: MACH_RCV_MSG, rcvName: p });
      const given = make();
      expect((await k.msg(b, { options: MACH_SEND_MSG, send: given, donate: true })).kr).toBe(0);
      const kept = await k.msg(a, { options: MACH_RCV_MSG, rcvName: p });
      expect(kept.message).toBe(given);
      // Only the sequence number differs between the two deliveries.
      const seqAt = abi === 'i386' ? 16 : 24;
      const want = copied.message!.slice();
      new DataView(want.buffer).setUint32(seqAt, 1, true);
      expect(hex(kept.message!)).toBe(hex(want));
      expect(intOf(decodeMessage(kept.message!, abi).items[1])).toBe(8);
      sound(k);
    });
  }

  it('a non-complex message that is part of a larger buffer (a slab piece) is kept as it is, rewritten in place through the view', async () => {
    const { k, a, b, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const s = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const m = msgBytes(abi, { dest: s, destDisp: 19, id: 1, items: [intItem(1), intItem(2)] });
    expect((await k.msg(b, { options: MACH_SEND_MSG, send: m.slice() })).kr).toBe(0);
    const copied = await k.msg(a, { options: MACH_RCV_MSG, rcvName: p });
    const big = new Uint8Array(m.length + 16);
    big.fill(0xee);
    big.set(m, 8);
    const view = big.subarray(8, 8 + m.length);
    expect((await k.msg(b, { options: MACH_SEND_MSG, send: view, donate: true })).kr).toBe(0);
    const kept = await k.msg(a, { options: MACH_RCV_MSG, rcvName: p });
    expect(kept.message).toBe(view);
    // As a copied one but for the sequence number; the bytes around the view untouched.
    const want = copied.message!.slice();
    new DataView(want.buffer).setUint32(abi === 'i386' ? 16 : 24, 1, true);
    expect(hex(kept.message!)).toBe(hex(want));
    expect([...big.subarray(0, 8), ...big.subarray(8 + m.length)].every((x) => x === 0xee)).toBe(true);
    expect(intOf(decodeMessage(kept.message!, abi).items[1])).toBe(2);
    sound(k);
  });

  it('is copied anyway when a complex message is part of a larger buffer, or while an observer is attached', async () => {
    const { k, a, b, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const s = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const carried = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const c = msgBytes(abi, { dest: s, destDisp: 19, id: 2, items: [portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [carried])] });
    const bigC = new Uint8Array(c.length + 8);
    bigC.set(c, 8);
    const viewC = bigC.subarray(8);
    expect((await k.msg(b, { options: MACH_SEND_MSG, send: viewC, donate: true })).kr).toBe(0);
    const r0 = await k.msg(a, { options: MACH_RCV_MSG, rcvName: p });
    expect(r0.message).not.toBe(viewC);
    expect(r0.message!.byteOffset).toBe(0);
    expect(hex(viewC)).toBe(hex(c));
    const got = decodeMessage(r0.message!, abi).items[0];
    expect(got?.kind === 'ports' ? got.names.length : 0).toBe(1);
    const m = msgBytes(abi, { dest: s, destDisp: 19, id: 1, items: [intItem(1)] });
    // With an observer: the send event's bytes stay as sent after the delivery.
    const seen: Uint8Array[] = [];
    const stop = k.observe((e) => {
      if (e.phase === 'send' && e.bytes !== null) seen.push(e.bytes);
    });
    const given = m.slice();
    expect((await k.msg(b, { options: MACH_SEND_MSG, send: given, donate: true })).kr).toBe(0);
    const r2 = await k.msg(a, { options: MACH_RCV_MSG, rcvName: p });
    stop();
    expect(r2.message).not.toBe(given);
    expect(seen.length).toBe(1);
    expect(hex(seen[0]!)).toBe(hex(m));
    sound(k);
  });

  it('changes no check: a bad destination fails the same; a timed-out send gives the message back with its rights', async () => {
    const { k, a, b, abi } = await setup();
    const bad = msgBytes(abi, { dest: 0x777, destDisp: 19, id: 1 });
    expect((await k.msg(b, { options: MACH_SEND_MSG, send: bad, donate: true })).kr).toBe(MACH_SEND_INVALID_DEST);
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    expect(await k.portSetQlimit(a, p, 0)).toBe(0);
    const s = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
    const carried = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const m = msgBytes(abi, { dest: s, destDisp: 19, id: 9, items: [portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [carried])] });
    const r = await k.msg(b, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: 0, send: m, donate: true });
    expect(r.kr).toBe(MACH_SEND_TIMED_OUT);
    const back = decodeMessage(r.message!, abi);
    expect(back.header.remotePort).toBe(s);
    const it0 = back.items[0];
    expect(it0?.kind === 'ports' ? it0.names : []).toEqual([carried]);
    // The send right made for the message came back into b's space under the receive right's name.
    expect((await k.portGetRefs(b, carried, 0)).refs).toBe(1);
    sound(k);
  });
});

/**
 * Notifications are delivered from a per-ABI layout filled in at copyout
 * (ipc-kmsg.ts wordLayout) rather than through the codec: their bytes must be
 * the codec's encoding of what they say, payload included.
 */
describe('kernel notifications as delivered', () => {
  for (const abi of ['i386', 'x86_64'] as Abi[]) {
    it(`${abi}: port-deleted, no-senders and send-once are the codec's encoding, with a protected payload too`, async () => {
      const { k, a, b } = await setup(abi);
      const notify = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
      const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
      const s = (await k.portExtractRight(a, p, MACH_MSG_TYPE_MAKE_SEND, b)).name;
      // port-deleted: a dead-name request on b's send right, then the right goes.
      const so = (await k.portExtractRight(a, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, b)).name;
      expect((await k.portRequestNotification(b, s, MACH_NOTIFY_DEAD_NAME, 0, so, MACH_MSG_TYPE_MOVE_SEND_ONCE)).kr).toBe(0);
      expect(await k.portDeallocate(b, s)).toBe(0);
      // no-senders: p has no senders left now.
      expect((await k.portRequestNotification(a, p, MACH_NOTIFY_NO_SENDERS, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(0);
      // send-once: a send-once right destroyed unused, after a protected payload is set on notify.
      expect(await k.portSetProtectedPayload(a, notify, 0x1122334455667788n)).toBe(0);
      const so2 = (await k.portExtractRight(a, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, b)).name;
      expect(await k.portDeallocate(b, so2)).toBe(0);
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await k.msg(a, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: notify, timeout: 0 });
        expect(r.kr).toBe(0);
        const m = decodeMessage(r.message!, abi);
        ids.push(m.header.id);
        expect(hex(encodeMessage(m, abi))).toBe(hex(r.message!));
        expect(r.size).toBe(r.message!.length);
      }
      expect(ids).toEqual([MACH_NOTIFY_PORT_DELETED, MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_SEND_ONCE]);
      sound(k);
    });
  }
});
