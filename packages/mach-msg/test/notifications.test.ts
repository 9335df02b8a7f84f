import { describe, expect, it } from 'vitest';
import {
  ABIS,
  decodeMessage,
  encodeMessage,
  isMachMsgError,
  makeDeadNameNotification,
  makeMsgAcceptedNotification,
  makeNoSendersNotification,
  makeNotification,
  makePortDeletedNotification,
  makePortDestroyedNotification,
  makeSendOnceNotification,
  parseNotification,
  notificationKind,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_NOTIFY_SEND_ONCE,
  type Notification,
} from '../src/index.js';
import { hex } from './support/hex.js';

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// The two no-senders notifications the trixie kernel really delivered (mach-abi.md §7).
const NO_SENDERS_X86_64 = hex(
  '00120000 30000000 0000000000000000 0f00000000000000 00000000 46000000 | 02200020 01000000 01000000 00000000',
);
const NO_SENDERS_I386 = hex('00120000 20000000 00000000 0f000000 00000000 46000000 | 02200110 01000000');

describe('real kernel no-senders vectors', () => {
  it('x86_64: builder encodes byte for byte', () => {
    const m = makeNoSendersNotification({ notifyPort: 0xf, mscount: 1 }, 'x86_64');
    expect(toHex(encodeMessage(m, 'x86_64'))).toBe(toHex(NO_SENDERS_X86_64));
  });
  it('i386: builder encodes byte for byte', () => {
    const m = makeNoSendersNotification({ notifyPort: 0xf, mscount: 1 }, 'i386');
    expect(toHex(encodeMessage(m, 'i386'))).toBe(toHex(NO_SENDERS_I386));
  });
  it('both parse back to the notification', () => {
    for (const [abi, bytes] of [['x86_64', NO_SENDERS_X86_64], ['i386', NO_SENDERS_I386]] as const) {
      const m = decodeMessage(bytes, abi);
      expect(m.header.bits).toEqual({ remote: 0, local: 18, complex: false, other: 0 });
      expect(m.header.id).toBe(MACH_NOTIFY_NO_SENDERS);
      expect(parseNotification(m)).toEqual({ kind: 'no-senders', notifyPort: 0xf, mscount: 1, seqno: 0 });
    }
  });
});

describe('every notification, both ABIs', () => {
  const cases: Array<{ n: Notification; i386: number; x86_64: number; bits: number }> = [
    { n: { kind: 'port-deleted', notifyPort: 7, name: 0x1234 }, i386: 32, x86_64: 48, bits: 0x1200 },
    { n: { kind: 'msg-accepted', notifyPort: 7, name: 0x99 }, i386: 32, x86_64: 48, bits: 0x1200 },
    { n: { kind: 'port-destroyed', notifyPort: 7, rights: 0x55 }, i386: 32, x86_64: 48, bits: 0x80001200 },
    { n: { kind: 'no-senders', notifyPort: 7, mscount: 0xdeadbeef }, i386: 32, x86_64: 48, bits: 0x1200 },
    { n: { kind: 'send-once', notifyPort: 7 }, i386: 24, x86_64: 32, bits: 0x1200 },
    { n: { kind: 'dead-name', notifyPort: 7, name: 0xffffffff }, i386: 32, x86_64: 48, bits: 0x1200 },
  ];
  for (const abi of ABIS) {
    for (const c of cases) {
      it(`${c.n.kind} on ${abi}: size ${c[abi]}, bits 0x${c.bits.toString(16)}, round trip`, () => {
        const m = makeNotification(c.n, abi);
        const b = encodeMessage(m, abi);
        expect(b.length).toBe(c[abi]);
        expect(new DataView(b.buffer).getUint32(0, true)).toBe(c.bits);
        expect(new DataView(b.buffer).getUint32(4, true)).toBe(c[abi]);
        const back = decodeMessage(b, abi);
        expect(parseNotification(back)).toEqual({ ...c.n, seqno: 0 });
        expect(toHex(encodeMessage(back, abi))).toBe(toHex(b));
      });
    }
  }

  it('port-destroyed on x86_64 lays the receive right out as an 8-byte inline port', () => {
    const b = encodeMessage(makePortDestroyedNotification({ notifyPort: 0xf, rights: 0x2a }, 'x86_64'), 'x86_64');
    expect(toHex(b.subarray(32))).toBe('10400020' + '01000000' + '2a00000000000000');
    const i = encodeMessage(makePortDestroyedNotification({ notifyPort: 0xf, rights: 0x2a }, 'i386'), 'i386');
    expect(toHex(i.subarray(24))).toBe('10200110' + '2a000000');
  });

  it('the specific builders agree with makeNotification and set ids', () => {
    expect(makePortDeletedNotification({ notifyPort: 1, name: 2 }, 'i386').header.id).toBe(0o101);
    expect(makeMsgAcceptedNotification({ notifyPort: 1, name: 2 }, 'i386').header.id).toBe(0o102);
    expect(makeDeadNameNotification({ notifyPort: 1, name: 2 }, 'i386').header.id).toBe(0o110);
    expect(makeSendOnceNotification({ notifyPort: 1, seqno: 9 }, 'x86_64').header).toMatchObject({ id: MACH_NOTIFY_SEND_ONCE, seqno: 9 });
    expect(makePortDestroyedNotification({ notifyPort: 1, rights: 2 }, 'x86_64').header.id).toBe(MACH_NOTIFY_PORT_DESTROYED);
  });
});

describe('parseNotification on other messages', () => {
  it('returns undefined for non-notification ids', () => {
    const m = makeNoSendersNotification({ notifyPort: 1, mscount: 1 }, 'i386');
    m.header.id = 2200;
    expect(parseNotification(m)).toBeUndefined();
    expect(notificationKind(0o103)).toBeUndefined();
    expect(notificationKind(0o106)).toBe('no-senders');
  });
  it('throws invalid_notification on a malformed body', () => {
    const m = makeNoSendersNotification({ notifyPort: 1, mscount: 1 }, 'i386');
    m.items = [];
    let err: unknown;
    try {
      parseNotification(m);
    } catch (e) {
      err = e;
    }
    expect(isMachMsgError(err) && err.code).toBe('invalid_notification');
    const d = makeDeadNameNotification({ notifyPort: 1, name: 1 }, 'x86_64');
    d.items[0]!.type.name = 2;
    expect(() => parseNotification(d)).toThrow(/expected one 32-bit element/);
    const s = makeSendOnceNotification({ notifyPort: 1 }, 'x86_64');
    s.items = d.items;
    expect(() => parseNotification(s)).toThrow(/has a body/);
  });
  it('rejects out-of-range builder arguments', () => {
    expect(() => makeNoSendersNotification({ notifyPort: -1, mscount: 1 }, 'i386')).toThrow(/notifyPort/);
    expect(() => makeDeadNameNotification({ notifyPort: 1, name: 2 ** 32 }, 'i386')).toThrow(/name/);
  });
});
