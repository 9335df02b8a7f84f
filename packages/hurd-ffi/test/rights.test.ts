import { describe, expect, it } from 'vitest';
import {
  KERN_INVALID_NAME,
  KERN_INVALID_RIGHT,
  KERN_INVALID_VALUE,
  KERN_SUCCESS,
  KERN_UREFS_OVERFLOW,
  KERN_NAME_EXISTS,
  KERN_RIGHT_EXISTS,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  KERN_NOT_IN_SET,
  MACH_SEND_INVALID_RIGHT,
  MACH_MSG_TYPE_MOVE_SEND,
  KERN_INVALID_ARGUMENT,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DELETED,
  MACH_NOTIFY_SEND_ONCE,
  MACH_PORT_DEAD,
  MACH_PORT_NULL,
  MACH_PORT_RIGHT_DEAD_NAME,
  MACH_PORT_RIGHT_PORT_SET,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_PORT_RIGHT_SEND_ONCE,
  MACH_PORT_TYPE_DEAD_NAME,
  MACH_PORT_TYPE_DNREQUEST,
  MACH_PORT_TYPE_PORT_SET,
  MACH_PORT_TYPE_RECEIVE,
  MACH_PORT_TYPE_SEND,
  MACH_PORT_TYPE_SEND_ONCE,
  MACH_RCV_TIMED_OUT,
} from 'mach-msg';
import { intOf, poll, setup, sound } from './helpers.js';

describe('names and rights', () => {
  it('allocates names 1, 2, 3 and reuses a freed name first (LIFO free list)', async () => {
    const { k, a } = await setup();
    const n1 = await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE);
    const n2 = await k.portAllocate(a, MACH_PORT_RIGHT_PORT_SET);
    const n3 = await k.portAllocate(a, MACH_PORT_RIGHT_DEAD_NAME);
    expect([n1, n2, n3].map((r) => r.name)).toEqual([1, 2, 3]);
    expect(await k.portDestroy(a, 1)).toBe(KERN_SUCCESS);
    expect(await k.portDestroy(a, 3)).toBe(KERN_SUCCESS);
    expect((await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name).toBe(3);
    expect((await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name).toBe(1);
    expect((await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name).toBe(4);
    sound(k);
  });

  it('gives receive and send one name, with urefs counting send references', async () => {
    const { k, a } = await setup();
    const { name } = await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE);
    expect(await k.portInsertRight(a, name, name, MACH_MSG_TYPE_MAKE_SEND)).toBe(KERN_SUCCESS);
    expect(await k.portInsertRight(a, name, name, MACH_MSG_TYPE_MAKE_SEND)).toBe(KERN_SUCCESS);
    expect(await k.portType(a, name)).toEqual({ kr: KERN_SUCCESS, type: MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE });
    expect(await k.portGetRefs(a, name, MACH_PORT_RIGHT_SEND)).toEqual({ kr: KERN_SUCCESS, refs: 2 });
    expect(await k.portGetRefs(a, name, MACH_PORT_RIGHT_RECEIVE)).toEqual({ kr: KERN_SUCCESS, refs: 1 });
    const st = await k.portGetReceiveStatus(a, name);
    expect(st.status).toMatchObject({ mscount: 2, srights: true, msgcount: 0, qlimit: 5, seqno: 0 });
    expect(await k.portDeallocate(a, name)).toBe(KERN_SUCCESS);
    expect(await k.portDeallocate(a, name)).toBe(KERN_SUCCESS);
    // Only the receive right is left: deallocate has nothing to drop.
    expect(await k.portDeallocate(a, name)).toBe(KERN_INVALID_RIGHT);
    expect(await k.portType(a, name)).toEqual({ kr: KERN_SUCCESS, type: MACH_PORT_TYPE_RECEIVE });
    sound(k);
  });

  it('checks mod_refs arguments; a name holds at most 65534 user references (GNU Mach)', async () => {
    const { k, a } = await setup();
    const { name } = await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE);
    expect(await k.portModRefs(a, name, MACH_PORT_RIGHT_SEND, 1)).toBe(KERN_INVALID_RIGHT);
    await k.portInsertRight(a, name, name, MACH_MSG_TYPE_MAKE_SEND);
    expect(await k.portModRefs(a, name, MACH_PORT_RIGHT_SEND, 65534)).toBe(KERN_UREFS_OVERFLOW);
    expect(await k.portModRefs(a, name, MACH_PORT_RIGHT_SEND, 65533)).toBe(KERN_SUCCESS);
    expect(await k.portGetRefs(a, name, MACH_PORT_RIGHT_SEND)).toEqual({ kr: KERN_SUCCESS, refs: 65534 });
    expect(await k.portModRefs(a, name, MACH_PORT_RIGHT_SEND, 1)).toBe(KERN_UREFS_OVERFLOW);
    expect(await k.portInsertRight(a, name, name, MACH_MSG_TYPE_MAKE_SEND)).toBe(KERN_UREFS_OVERFLOW);
    // A send right arriving by message leaves the count pegged at the limit.
    const o = await k.portExtractRight(a, name, MACH_MSG_TYPE_MAKE_SEND);
    expect(o.name).toBe(name);
    expect(await k.portGetRefs(a, name, MACH_PORT_RIGHT_SEND)).toEqual({ kr: KERN_SUCCESS, refs: 65534 });
    expect(await k.portModRefs(a, name, MACH_PORT_RIGHT_SEND, -65536)).toBe(KERN_INVALID_VALUE);
    expect(await k.portModRefs(a, name, MACH_PORT_RIGHT_RECEIVE, 1)).toBe(KERN_INVALID_VALUE);
    expect(await k.portModRefs(a, name, 7, 0)).toBe(KERN_INVALID_VALUE);
    expect(await k.portModRefs(a, 77, MACH_PORT_RIGHT_SEND, -1)).toBe(KERN_INVALID_NAME);
    expect(await k.portModRefs(a, name, MACH_PORT_RIGHT_SEND, -65534)).toBe(KERN_SUCCESS);
    expect(await k.portGetRefs(a, name, MACH_PORT_RIGHT_SEND)).toEqual({ kr: KERN_SUCCESS, refs: 0 });
    sound(k);
  });

  it('treats MACH_PORT_NULL and MACH_PORT_DEAD as Mach does', async () => {
    const { k, a } = await setup();
    expect(await k.portDeallocate(a, MACH_PORT_NULL)).toBe(KERN_SUCCESS);
    expect(await k.portDeallocate(a, MACH_PORT_DEAD)).toBe(KERN_SUCCESS);
    expect(await k.portModRefs(a, MACH_PORT_DEAD, MACH_PORT_RIGHT_SEND, -1)).toBe(KERN_SUCCESS);
    expect(await k.portGetRefs(a, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND)).toEqual({ kr: KERN_SUCCESS, refs: 1 });
    expect((await k.portGetRefs(a, MACH_PORT_NULL, MACH_PORT_RIGHT_RECEIVE)).kr).toBe(KERN_INVALID_NAME);
    expect((await k.portType(a, MACH_PORT_DEAD)).kr).toBe(KERN_INVALID_NAME);
    // insert_right copies the right in first (MIG), then refuses the name: the
    // made send right is destroyed again, but the make-send count stays.
    expect(await k.portInsertRight(a, MACH_PORT_NULL, 1, MACH_MSG_TYPE_MAKE_SEND)).toBe(MACH_SEND_INVALID_RIGHT);
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    expect(await k.portInsertRight(a, MACH_PORT_NULL, p, MACH_MSG_TYPE_MAKE_SEND)).toBe(KERN_INVALID_VALUE);
    expect((await k.portGetReceiveStatus(a, p)).status).toMatchObject({ mscount: 1, srights: false });
    sound(k);
  });

  it('gives each send-once right its own name', async () => {
    const { k, a } = await setup();
    const { name } = await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE);
    const x = await k.portExtractRight(a, name, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    const y = await k.portExtractRight(a, name, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect(x.name).not.toBe(y.name);
    expect(x.name).not.toBe(name);
    expect(x.type).toBe(18);
    expect((await k.portType(a, x.name)).type).toBe(MACH_PORT_TYPE_SEND_ONCE);
    expect(await k.portGetRefs(a, x.name, MACH_PORT_RIGHT_SEND_ONCE)).toEqual({ kr: KERN_SUCCESS, refs: 1 });
    expect((await k.portGetReceiveStatus(a, name)).status?.sorights).toBe(2);
    // A send-once right destroyed unused sends a send-once notification.
    expect(await k.portDeallocate(a, x.name)).toBe(KERN_SUCCESS);
    const n = await poll(k, a, name, 'x86_64');
    expect(n.msg?.header.id).toBe(MACH_NOTIFY_SEND_ONCE);
    expect(n.msg?.header.bits).toEqual({ remote: 0, local: 18, complex: false, other: 0 });
    expect(n.bytes?.length).toBe(32);
    sound(k);
  });

  it('insert_right refuses taken names and second names for one port', async () => {
    const { k, a } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    const q = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    expect(await k.portInsertRight(a, q, p, MACH_MSG_TYPE_MAKE_SEND)).toBe(KERN_NAME_EXISTS);
    expect(await k.portInsertRight(a, 100, p, MACH_MSG_TYPE_MAKE_SEND)).toBe(KERN_RIGHT_EXISTS);
    expect(await k.portInsertRight(a, 100, p, MACH_MSG_TYPE_MAKE_SEND_ONCE)).toBe(KERN_SUCCESS);
    expect((await k.portType(a, 100)).type).toBe(MACH_PORT_TYPE_SEND_ONCE);
    sound(k);
  });

  it('turns send rights into dead names, with the urefs they had', async () => {
    const { k, a, b } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portInsertRight(a, p, p, MACH_MSG_TYPE_MAKE_SEND);
    expect(await k.portInsertRight(b, 40, p, MACH_MSG_TYPE_MAKE_SEND, a)).toBe(KERN_SUCCESS);
    expect(await k.portInsertRight(b, 40, p, MACH_MSG_TYPE_MAKE_SEND, a)).toBe(KERN_SUCCESS);
    expect(await k.portInsertRight(b, 41, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, a)).toBe(KERN_SUCCESS);
    expect(await k.portModRefs(a, p, MACH_PORT_RIGHT_RECEIVE, -1)).toBe(KERN_SUCCESS);
    // a's own send right became a dead name at once.
    expect(await k.portType(a, p)).toEqual({ kr: KERN_SUCCESS, type: MACH_PORT_TYPE_DEAD_NAME });
    expect(await k.portGetRefs(a, p, MACH_PORT_RIGHT_DEAD_NAME)).toEqual({ kr: KERN_SUCCESS, refs: 1 });
    expect(await k.portNames(b)).toEqual({ kr: KERN_SUCCESS, names: [40, 41], types: [MACH_PORT_TYPE_DEAD_NAME, MACH_PORT_TYPE_DEAD_NAME] });
    expect(await k.portGetRefs(b, 40, MACH_PORT_RIGHT_DEAD_NAME)).toEqual({ kr: KERN_SUCCESS, refs: 2 });
    expect(await k.portGetRefs(b, 41, MACH_PORT_RIGHT_DEAD_NAME)).toEqual({ kr: KERN_SUCCESS, refs: 1 });
    expect(await k.portModRefs(b, 40, MACH_PORT_RIGHT_DEAD_NAME, -2)).toBe(KERN_SUCCESS);
    expect((await k.portType(b, 40)).kr).toBe(KERN_INVALID_NAME);
    sound(k);
  });

  it('fires dead-name with one extra uref, and at once on an already dead name', async () => {
    const { k, a, b, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    expect(await k.portInsertRight(b, 7, p, MACH_MSG_TYPE_MAKE_SEND, a)).toBe(KERN_SUCCESS);
    const d = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    const r = await k.portRequestNotification(b, 7, MACH_NOTIFY_DEAD_NAME, 0, d, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect(r).toEqual({ kr: KERN_SUCCESS, previous: 0 });
    expect((await k.portType(b, 7)).type).toBe((MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST) >>> 0);
    await k.portDestroy(a, p);
    const n = await poll(k, b, d, abi);
    expect(n.msg?.header.id).toBe(MACH_NOTIFY_DEAD_NAME);
    expect(intOf(n.msg?.items[0])).toBe(7);
    expect(n.bytes?.length).toBe(48);
    expect(await k.portGetRefs(b, 7, MACH_PORT_RIGHT_DEAD_NAME)).toEqual({ kr: KERN_SUCCESS, refs: 2 });
    // On a dead name, sync != 0 asks for the notification immediately.
    const again = await k.portRequestNotification(b, 7, MACH_NOTIFY_DEAD_NAME, 1, d, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect(again).toEqual({ kr: KERN_SUCCESS, previous: 0 });
    const n2 = await poll(k, b, d, abi);
    expect(n2.msg?.header.id).toBe(MACH_NOTIFY_DEAD_NAME);
    expect(await k.portGetRefs(b, 7, MACH_PORT_RIGHT_DEAD_NAME)).toEqual({ kr: KERN_SUCCESS, refs: 3 });
    expect((await k.portRequestNotification(b, 7, MACH_NOTIFY_DEAD_NAME, 0, d, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(KERN_INVALID_ARGUMENT);
    sound(k);
  });

  it('returns the previous request as a send-once right, and port-deleted when the name goes', async () => {
    const { k, a, b, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portInsertRight(b, 9, p, MACH_MSG_TYPE_MAKE_SEND, a);
    const d = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portRequestNotification(b, 9, MACH_NOTIFY_DEAD_NAME, 0, d, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    const r = await k.portRequestNotification(b, 9, MACH_NOTIFY_DEAD_NAME, 0, d, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect(r.kr).toBe(KERN_SUCCESS);
    expect((await k.portType(b, r.previous)).type).toBe(MACH_PORT_TYPE_SEND_ONCE);
    expect(await k.portDeallocate(b, 9)).toBe(KERN_SUCCESS);
    const n = await poll(k, b, d, abi);
    expect(n.msg?.header.id).toBe(MACH_NOTIFY_PORT_DELETED);
    expect(intOf(n.msg?.items[0])).toBe(9);
    expect((await poll(k, b, d, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    sound(k);
  });

  it('port sets: receive through the set, RCV_IN_SET on the member, NOT_IN_SET', async () => {
    const { k, a } = await setup();
    const s = (await k.portAllocate(a, MACH_PORT_RIGHT_PORT_SET)).name;
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    expect(await k.portMoveMember(a, p, 0)).toBe(KERN_NOT_IN_SET);
    expect(await k.portMoveMember(a, p, s)).toBe(KERN_SUCCESS);
    expect((await k.portGetReceiveStatus(a, p)).status?.pset).toBe(s);
    expect((await k.portType(a, s)).type).toBe(MACH_PORT_TYPE_PORT_SET);
    expect(await k.portMoveMember(a, s, p)).toBe(KERN_INVALID_RIGHT);
    expect(await k.portModRefs(a, s, MACH_PORT_RIGHT_PORT_SET, -1)).toBe(KERN_SUCCESS);
    expect((await k.portGetReceiveStatus(a, p)).status?.pset).toBe(0);
    sound(k);
  });

  it('MAKE_SEND from a receive right, MOVE_RECEIVE and COPY_SEND validity', async () => {
    const { k, a, b } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    expect((await k.portExtractRight(a, p, MACH_MSG_TYPE_COPY_SEND, b)).kr).toBe(KERN_INVALID_RIGHT);
    const moved = await k.portExtractRight(a, p, MACH_MSG_TYPE_MOVE_RECEIVE, b);
    expect(moved.kr).toBe(KERN_SUCCESS);
    expect((await k.portType(a, p)).kr).toBe(KERN_INVALID_NAME);
    expect((await k.portType(b, moved.name)).type).toBe(MACH_PORT_TYPE_RECEIVE);
    const s = await k.portExtractRight(b, moved.name, MACH_MSG_TYPE_MAKE_SEND, a);
    const s2 = await k.portExtractRight(b, moved.name, MACH_MSG_TYPE_MAKE_SEND, a);
    expect(s2.name).toBe(s.name);
    expect(await k.portGetRefs(a, s.name, MACH_PORT_RIGHT_SEND)).toEqual({ kr: KERN_SUCCESS, refs: 2 });
    const mv = await k.portExtractRight(a, s.name, MACH_MSG_TYPE_MOVE_SEND, b);
    // Sent back to the receiver's space, the send right joins the receive name.
    expect(mv.name).toBe(moved.name);
    expect((await k.portGetReceiveStatus(b, moved.name)).status).toMatchObject({ mscount: 2, srights: true });
    sound(k);
  });
});

describe('no-senders', () => {
  it('delivers the byte-exact real-kernel vector (x86_64 and i386)', async () => {
    for (const abi of ['x86_64', 'i386'] as const) {
      const { k, a } = await setup(abi);
      const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
      await k.portInsertRight(a, p, p, MACH_MSG_TYPE_MAKE_SEND);
      let n = 0;
      while (n < 15) n = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
      expect(n).toBe(0xf);
      await k.portRequestNotification(a, p, MACH_NOTIFY_NO_SENDERS, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      expect(await k.portDeallocate(a, p)).toBe(KERN_SUCCESS);
      const got = await poll(k, a, n, abi);
      // mach-abi.md §7: what the trixie kernel delivered (name 0xf, mscount 1).
      const want =
        abi === 'x86_64'
          ? '00120000' + '30000000' + '0000000000000000' + '0f00000000000000' + '00000000' + '46000000' + '02200020' + '01000000' + '01000000' + '00000000'
          : '00120000' + '20000000' + '00000000' + '0f000000' + '00000000' + '46000000' + '02200110' + '01000000';
      expect(Buffer.from(got.bytes!).toString('hex')).toBe(want);
      sound(k);
    }
  });

  it('fires at once when requested with sync <= mscount and no senders; not when sync is larger', async () => {
    const { k, a, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portInsertRight(a, p, p, MACH_MSG_TYPE_MAKE_SEND);
    await k.portDeallocate(a, p);
    const n = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portRequestNotification(a, p, MACH_NOTIFY_NO_SENDERS, 2, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect((await poll(k, a, n, abi)).kr).toBe(MACH_RCV_TIMED_OUT);
    expect((await k.portGetReceiveStatus(a, p)).status?.nsrequest).toBe(true);
    const r = await k.portRequestNotification(a, p, MACH_NOTIFY_NO_SENDERS, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect(r.previous).not.toBe(0);
    const got = await poll(k, a, n, abi);
    expect(got.msg?.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
    expect(intOf(got.msg?.items[0])).toBe(1);
    // Destroying the previous request's send-once right: a send-once notification.
    await k.portDeallocate(a, r.previous);
    expect((await poll(k, a, n, abi)).msg?.header.id).toBe(MACH_NOTIFY_SEND_ONCE);
    sound(k);
  });

  it('the port-set-mscount call changes the count the notification carries', async () => {
    const { k, a, abi } = await setup();
    const p = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portSetMscount(a, p, 41);
    await k.portInsertRight(a, p, p, MACH_MSG_TYPE_MAKE_SEND);
    const n = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
    await k.portRequestNotification(a, p, MACH_NOTIFY_NO_SENDERS, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    await k.portModRefs(a, p, MACH_PORT_RIGHT_SEND, -1);
    expect(intOf((await poll(k, a, n, abi)).msg?.items[0])).toBe(42);
    sound(k);
  });
});
