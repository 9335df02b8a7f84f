import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  messageSize,
  MACH_MSG_TYPE_INTEGER_32,
  MACH_MSG_TYPE_INTEGER_64,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_STRING_C,
  MACH_MSG_TYPE_BYTE,
  type MachMessage,
} from '../src/index.js';
import { hex, toHex } from './support/hex.js';


describe('mach-abi.md §4 descriptor examples', () => {
  it('i386 long form array[] of int, 3 elements: 00000030 0200 2000 03000000', () => {
    const bytes = hex('13000000 30000000 05000000 00000000 00000000 e8030000 | 00000030 0200 2000 03000000 | 01000000 02000000 03000000');
    const m = decodeMessage(bytes, 'i386');
    expect(m.items).toHaveLength(1);
    const it0 = m.items[0]!;
    expect(it0.type).toEqual({ name: MACH_MSG_TYPE_INTEGER_32, size: 32, number: 3, inline: true, longform: true, deallocate: false });
    expect(it0.kind).toBe('data');
    expect(toHex(encodeMessage(m, 'i386'))).toBe(toHex(bytes));
  });

  it('x86_64 int: 02200020 01000000 (descriptor 8 + value 4 + pad 4)', () => {
    const msg: MachMessage = {
      header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex: false, other: 0 }, remotePort: 5, localPort: 0, seqno: 0, id: 1000 },
      items: [{ kind: 'data', type: { name: MACH_MSG_TYPE_INTEGER_32, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: new Uint8Array([7, 0, 0, 0]) }],
    };
    const b = encodeMessage(msg, 'x86_64');
    expect(b.length).toBe(48);
    expect(toHex(b.subarray(32))).toBe('0220002001000000' + '0700000000000000');
    expect(messageSize(msg, 'x86_64')).toBe(48);
    // Same message on i386: descriptor 4 + value 4.
    expect(toHex(encodeMessage(msg, 'i386').subarray(24))).toBe('02200110' + '07000000');
  });

  it('dev_name_t: x86_64 0c000460 01000000, i386 needs the long form', () => {
    const data = new Uint8Array(128);
    data.set([0x2f, 0x64, 0x65, 0x76]);
    const msg: MachMessage = {
      header: { bits: { remote: 19, local: 21, complex: false, other: 0 }, remotePort: 1, localPort: 2, seqno: 0, id: 2800 },
      items: [{ kind: 'data', type: { name: MACH_MSG_TYPE_STRING_C, size: 1024, number: 1, inline: true, longform: true, deallocate: false }, data }],
    };
    const x = encodeMessage(msg, 'x86_64');
    expect(toHex(x.subarray(32, 40))).toBe('0c00046001000000');
    expect(x.length).toBe(32 + 8 + 128);
    const i = encodeMessage(msg, 'i386');
    expect(toHex(i.subarray(24, 36))).toBe('00000030' + '0c00' + '0004' + '01000000');
    expect(i.length).toBe(24 + 12 + 128);
    expect(decodeMessage(i, 'i386').items[0]!.type).toEqual(msg.items[0]!.type);
    expect(decodeMessage(x, 'x86_64').items[0]!.type).toEqual(msg.items[0]!.type);
  });

  it('^array[] of byte (pointer_t) on x86_64: 09080040 <n> <ptr>', () => {
    const msg: MachMessage = {
      header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: 1, localPort: 0, seqno: 0, id: 2208 },
      items: [{ kind: 'ool', type: { name: MACH_MSG_TYPE_BYTE, size: 8, number: 4096, inline: false, longform: true, deallocate: false }, address: 0x7f0000001000n }],
    };
    const b = encodeMessage(msg, 'x86_64');
    expect(toHex(b.subarray(32))).toBe('09080040' + '00100000' + '00100000007f0000');
    expect(decodeMessage(b, 'x86_64').items[0]).toEqual(msg.items[0]);
  });
});

describe('mach-abi.md §9 memory_object_init, x86_64, byte for byte', () => {
  const vector = hex(
    '13000080 50000000 6000000000000000 0000000000000000 00000000 98080000 | 14400020 01000000 6100000000000000 | 14400020 01000000 6200000000000000 | 0b400020 01000000 0010000000000000',
  );
  const msg: MachMessage = {
    header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex: true, other: 0 }, remotePort: 0x60, localPort: 0, seqno: 0, id: 2200 },
    items: [
      { kind: 'ports', type: { name: MACH_MSG_TYPE_MAKE_SEND, size: 64, number: 1, inline: true, longform: false, deallocate: false }, names: [0x61] },
      { kind: 'ports', type: { name: MACH_MSG_TYPE_MAKE_SEND, size: 64, number: 1, inline: true, longform: false, deallocate: false }, names: [0x62] },
      {
        kind: 'data',
        type: { name: MACH_MSG_TYPE_INTEGER_64, size: 64, number: 1, inline: true, longform: false, deallocate: false },
        data: new Uint8Array([0, 0x10, 0, 0, 0, 0, 0, 0]),
      },
    ],
  };
  it('encodes to the vector', () => {
    expect(toHex(encodeMessage(msg, 'x86_64'))).toBe(toHex(vector));
  });
  it('decodes to the message', () => {
    expect(decodeMessage(vector, 'x86_64')).toEqual({ ...msg, header: { ...msg.header, size: 0x50 } });
  });
});

describe('boundaries', () => {
  const hdr = { bits: { remote: 19, local: 0, complex: false, other: 0 }, remotePort: 1, localPort: 0, seqno: 0, id: 1 };
  const data = (size: number, number: number, longform = false): MachMessage => ({
    header: hdr,
    items: [{ kind: 'data', type: { name: 9, size, number, inline: true, longform, deallocate: false }, data: new Uint8Array(Math.ceil((size * number) / 8)) }],
  });
  it('header-only messages: 24 and 32 bytes', () => {
    const m: MachMessage = { header: { ...hdr, bits: { remote: 0, local: 18, complex: false, other: 0x40000000 } }, items: [] };
    const i = encodeMessage(m, 'i386');
    const x = encodeMessage(m, 'x86_64');
    expect([i.length, x.length]).toEqual([24, 32]);
    expect(toHex(i.subarray(0, 4))).toBe('00120040');
    expect(decodeMessage(i, 'i386').header.bits.other).toBe(0x40000000);
    expect(decodeMessage(x, 'x86_64').items).toEqual([]);
  });
  it('i386 short form holds number 4095 and size 255 exactly', () => {
    const a = encodeMessage(data(8, 4095), 'i386');
    expect(toHex(a.subarray(24, 28))).toBe('0908ff1f');
    const b = encodeMessage(data(255, 1), 'i386');
    expect(toHex(b.subarray(24, 28))).toBe('09ff0110');
    expect(() => encodeMessage(data(256, 1), 'i386')).toThrow(/use longform/);
    expect(toHex(encodeMessage(data(256, 1, true), 'i386').subarray(24, 36))).toBe('00000030' + '0900' + '0001' + '01000000');
  });
  it('x86_64 holds size 65535 in the short form', () => {
    const b = encodeMessage(data(65535, 1), 'x86_64');
    expect(toHex(b.subarray(32, 40))).toBe('09ffff20' + '01000000');
    expect(decodeMessage(b, 'x86_64').items[0]!.type.size).toBe(65535);
  });
  it('bit-sized elements: 9 x 1 bit is 2 bytes, padded to the alignment', () => {
    const m: MachMessage = {
      header: hdr,
      items: [{ kind: 'data', type: { name: 0, size: 1, number: 9, inline: true, longform: false, deallocate: false }, data: new Uint8Array([0xff, 0x01]) }],
    };
    expect(toHex(encodeMessage(m, 'i386').subarray(24))).toBe('00010910' + 'ff010000');
    expect(toHex(encodeMessage(m, 'x86_64').subarray(32))).toBe('00010020' + '09000000' + 'ff01000000000000');
  });
  it('maxSize is inclusive', () => {
    const b = encodeMessage(data(8, 4), 'i386');
    expect(decodeMessage(b, 'i386', { maxSize: b.length }).header.size).toBe(b.length);
    expect(() => decodeMessage(b, 'i386', { maxSize: b.length - 1 })).toThrow(/over the limit/);
  });
  it('x86_64 longform bit on a short item is kept as a flag', () => {
    const b = hex('13000000 30000000 0100000000000000 0000000000000000 00000000 01000000 | 02200060 01000000 05000000 00000000');
    const m = decodeMessage(b, 'x86_64');
    expect(m.items[0]!.type).toMatchObject({ longform: true, size: 32, number: 1 });
    expect(toHex(encodeMessage(m, 'x86_64'))).toBe(toHex(b));
  });
});
