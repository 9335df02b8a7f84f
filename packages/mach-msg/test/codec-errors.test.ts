import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  encodeMessageInto,
  tryDecodeMessage,
  isMachMsgError,
  messageSize,
  MachMsgError,
  type Abi,
  type MachMessage,
  type MachMsgErrorCode,
  type MsgItem,
} from '../src/index.js';
import { hex } from './support/hex.js';


function codeOf(f: () => unknown): { code: MachMsgErrorCode; offset: number } | 'no error' {
  try {
    f();
  } catch (e) {
    if (!isMachMsgError(e)) throw e;
    return { code: e.code, offset: e.offset };
  }
  return 'no error';
}

const I386_HDR = '13000000 SSSSSSSS 05000000 00000000 00000000 e8030000';
const X64_HDR = '13000000 SSSSSSSS 0500000000000000 0000000000000000 00000000 e8030000';
/** A header for `abi` followed by body hex; msgh_size = header + body unless given. */
function msg(abi: Abi, body: string, size?: number): Uint8Array {
  const b = body.replace(/[\s|]/g, '');
  const total = size ?? (abi === 'i386' ? 24 : 32) + b.length / 2;
  const sz = Buffer.alloc(4);
  sz.writeUInt32LE(total >>> 0);
  return hex((abi === 'i386' ? I386_HDR : X64_HDR).replace('SSSSSSSS', sz.toString('hex')) + b);
}

describe('decode: sizes', () => {
  it('truncated header', () => {
    expect(codeOf(() => decodeMessage(new Uint8Array(23), 'i386'))).toEqual({ code: 'truncated_header', offset: 23 });
    expect(codeOf(() => decodeMessage(new Uint8Array(31), 'x86_64'))).toEqual({ code: 'truncated_header', offset: 31 });
    expect(codeOf(() => decodeMessage(new Uint8Array(0), 'x86_64'))).toMatchObject({ code: 'truncated_header' });
  });
  it('msgh_size smaller than the header', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '', 20), 'i386'))).toEqual({ code: 'size_too_small', offset: 4 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '', 24), 'x86_64'))).toEqual({ code: 'size_too_small', offset: 4 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '', 0), 'x86_64'))).toMatchObject({ code: 'size_too_small' });
  });
  it('misaligned msgh_size', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '02200110 07000000', 30), 'i386'))).toMatchObject({ code: 'size_misaligned' });
    // 36 is fine on i386 but not a multiple of 8 on x86_64.
    expect(codeOf(() => decodeMessage(msg('x86_64', '02200020 01000000 07000000 00000000', 36), 'x86_64'))).toMatchObject({
      code: 'size_misaligned',
    });
  });
  it('msgh_size over the buffer', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '02200110 07000000', 36), 'i386'))).toEqual({ code: 'size_over_buffer', offset: 4 });
  });
  it('bytes after msgh_size: error unless allowTrailing', () => {
    const b = msg('i386', '02200110 07000000 ffffffff', 32);
    expect(codeOf(() => decodeMessage(b, 'i386'))).toEqual({ code: 'trailing_bytes', offset: 32 });
    const m = decodeMessage(b, 'i386', { allowTrailing: true });
    expect(m.header.size).toBe(32);
    expect(m.items).toHaveLength(1);
  });
  it('size over the configurable limit (default 1 MiB)', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '02200110 07000000'), 'i386', { maxSize: 28 }))).toEqual({ code: 'size_limit', offset: 4 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '', 2 ** 20 + 8), 'x86_64'))).toMatchObject({ code: 'size_limit' });
    expect(codeOf(() => decodeMessage(msg('x86_64', '', 0xfffffff8), 'x86_64'))).toMatchObject({ code: 'size_limit' });
  });
});

describe('decode: items', () => {
  it('truncated descriptor: cut by the buffer or by msgh_size', () => {
    // msgh_size is checked to be aligned first, and descriptors are exactly
    // one alignment unit, so a short descriptor always shows as a size error.
    const whole = msg('x86_64', '02200020 01000000 07000000 00000000');
    expect(codeOf(() => decodeMessage(whole.subarray(0, 36), 'x86_64'))).toEqual({ code: 'size_over_buffer', offset: 4 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '02200020', 36), 'x86_64'))).toEqual({ code: 'size_misaligned', offset: 4 });
    expect(codeOf(() => decodeMessage(msg('i386', '0220', 26), 'i386'))).toEqual({ code: 'size_misaligned', offset: 4 });
  });
  it('truncated long descriptor (i386: 12 bytes, msgh_size ends after 4 or 8)', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '00000030'), 'i386'))).toEqual({ code: 'truncated_long_descriptor', offset: 24 });
    expect(codeOf(() => decodeMessage(msg('i386', '00000030 02002000'), 'i386'))).toEqual({ code: 'truncated_long_descriptor', offset: 24 });
  });
  it('truncated data: inline bytes, port names, out-of-line pointer', () => {
    // x86_64 int whose value is missing: msgh_size 40 ends right after the descriptor.
    expect(codeOf(() => decodeMessage(msg('x86_64', '02200020 01000000'), 'x86_64'))).toEqual({ code: 'truncated_data', offset: 40 });
    expect(codeOf(() => decodeMessage(msg('i386', '02200310 01000000 02000000'), 'i386'))).toEqual({ code: 'truncated_data', offset: 28 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '11400020 02000000 0500000000000000'), 'x86_64'))).toEqual({
      code: 'truncated_data',
      offset: 40,
    });
    // OOL pointer missing
    expect(codeOf(() => decodeMessage(msg('i386', '09080000'), 'i386'))).toEqual({ code: 'truncated_data', offset: 28 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '09080000 01000000'), 'x86_64'))).toEqual({ code: 'truncated_data', offset: 40 });
    // Huge counts are refused before anything is allocated.
    expect(codeOf(() => decodeMessage(msg('x86_64', '11400020 ffffffff'), 'x86_64'))).toMatchObject({ code: 'truncated_data' });
    expect(codeOf(() => decodeMessage(msg('x86_64', '0200ff20 ffffffff'), 'x86_64'))).toMatchObject({ code: 'truncated_data' });
    expect(codeOf(() => decodeMessage(msg('i386', '00000030 0900 0800 ffffffff'), 'i386'))).toMatchObject({ code: 'truncated_data' });
  });
  it('unknown type name', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '03200110 00000000'), 'i386'))).toEqual({ code: 'unknown_type_name', offset: 24 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '17200020 01000000 00000000 00000000'), 'x86_64'))).toEqual({
      code: 'unknown_type_name',
      offset: 32,
    });
    // long form with a 16-bit name over 255
    expect(codeOf(() => decodeMessage(msg('i386', '00000030 0001 2000 00000000'), 'i386'))).toMatchObject({ code: 'unknown_type_name' });
  });
  it('non-zero msgt_unused: i386 bit 31, x86_64 bits 24-28', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '02200190 07000000'), 'i386'))).toEqual({ code: 'type_unused_bits', offset: 24 });
    for (const bit of [24, 25, 26, 27, 28]) {
      const w = (0x20002002 | (1 << bit)) >>> 0;
      const le = Buffer.alloc(4);
      le.writeUInt32LE(w);
      expect(codeOf(() => decodeMessage(msg('x86_64', le.toString('hex') + '01000000 07000000 00000000'), 'x86_64'))).toEqual({
        code: 'type_unused_bits',
        offset: 32,
      });
    }
  });
  it('i386 long form with non-zero short fields', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '02000030 0200 2000 01000000 07000000'), 'i386'))).toEqual({
      code: 'longform_short_fields',
      offset: 24,
    });
    expect(codeOf(() => decodeMessage(msg('i386', '00000130 0200 2000 01000000 07000000'), 'i386'))).toMatchObject({ code: 'longform_short_fields' });
  });
  it('inline item with deallocate set', () => {
    expect(codeOf(() => decodeMessage(msg('i386', '02200150 07000000'), 'i386'))).toEqual({ code: 'inline_deallocate', offset: 24 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '022000a0 01000000 07000000 00000000'), 'x86_64'))).toEqual({
      code: 'inline_deallocate',
      offset: 32,
    });
  });
  it('wrong inline port size', () => {
    // 64-bit ports on i386, 32-bit ports on x86_64
    expect(codeOf(() => decodeMessage(msg('i386', '11400110 05000000 00000000'), 'i386'))).toEqual({ code: 'bad_port_size', offset: 24 });
    expect(codeOf(() => decodeMessage(msg('x86_64', '11200020 01000000 05000000 00000000'), 'x86_64'))).toEqual({
      code: 'bad_port_size',
      offset: 32,
    });
  });
  it('wrong out-of-line port size (must be 32 on both)', () => {
    expect(codeOf(() => decodeMessage(msg('x86_64', '11400040 02000000 0010000000000000'), 'x86_64'))).toEqual({
      code: 'bad_ool_port_size',
      offset: 32,
    });
    expect(codeOf(() => decodeMessage(msg('i386', '00000020 1100 1000 02000000 00100000'), 'i386'))).toMatchObject({ code: 'bad_ool_port_size' });
    // 0 is the kernel's form after a failed copyout (address 0, MACH_MSG_VM_SPACE)
    expect(decodeMessage(msg('x86_64', '11000040 02000000 0000000000000000'), 'x86_64').items[0]).toMatchObject({ kind: 'ool', type: { size: 0 } });
    // size 32 is right, on both
    expect(decodeMessage(msg('x86_64', '11200040 02000000 0010000000000000'), 'x86_64').items[0]).toMatchObject({ kind: 'ool', address: 0x1000n });
    expect(decodeMessage(msg('i386', '00000020 1100 2000 02000000 00100000'), 'i386').items[0]).toMatchObject({ kind: 'ool', address: 0x1000n });
  });
  it('PORT_NAME is plain data, and OOL data may carry dealloc', () => {
    const m = decodeMessage(msg('x86_64', '0f200020 01000000 0f000000 00000000 | 09080080 10000000 8000090800000000'), 'x86_64');
    expect(m.items[0]).toMatchObject({ kind: 'data', data: new Uint8Array([15, 0, 0, 0]) });
    expect(m.items[1]).toMatchObject({ kind: 'ool', address: 0x08090080n, type: { deallocate: true, number: 16 } });
  });
  it('ignores x86_64 high halves of header ports and inline port names; encode zeroes them', () => {
    const b = hex(
      '13150080 30000000 05000000deadbeef 06000000cafebabe 00000000 e8030000 | 11400020 01000000 07000000 01020304',
    );
    const m = decodeMessage(b, 'x86_64');
    expect(m.header).toMatchObject({ remotePort: 5, localPort: 6 });
    expect(m.items[0]).toMatchObject({ kind: 'ports', names: [7] });
    const e = encodeMessage(m, 'x86_64');
    expect(Buffer.from(e).toString('hex')).toBe(
      '13150080300000000500000000000000060000000000000000000000e8030000' + '11400020010000000700000000000000',
    );
  });
  it('protected payload: local bits 23 give a bigint payload', () => {
    const b = hex('12170000 20000000 0000000000000000 7856341200ffeedd 03000000 e8030000');
    const m = decodeMessage(b, 'x86_64');
    expect(m.header.protectedPayload).toBe(0xddeeff0012345678n);
    expect(m.header.localPort).toBe(0x12345678);
    expect(Buffer.from(encodeMessage(m, 'x86_64')).equals(Buffer.from(b))).toBe(true);
    const i = decodeMessage(hex('12170000 18000000 00000000 78563412 03000000 e8030000'), 'i386');
    expect(i.header.protectedPayload).toBe(0x12345678n);
  });
});

describe('tryDecodeMessage', () => {
  it('returns ok/message or ok:false/error, never throws on bytes', () => {
    const good = tryDecodeMessage(msg('i386', '02200110 07000000'), 'i386');
    expect(good.ok && good.message.items.length).toBe(1);
    const bad = tryDecodeMessage(new Uint8Array(3), 'i386');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error).toBeInstanceOf(MachMsgError);
      expect(bad.error.code).toBe('truncated_header');
      expect(bad.error.message).toMatch(/3 bytes cannot hold a 24-byte i386 header/);
    }
  });
  it('an invalid ABI is a MachMsgError too', () => {
    const r = tryDecodeMessage(new Uint8Array(32), 'sparc' as Abi);
    expect(!r.ok && r.error.code).toBe('invalid_abi');
  });
});

describe('isMachMsgError', () => {
  it('recognises the class and structurally equal objects only', () => {
    expect(isMachMsgError(new MachMsgError('size_limit', 1, 'x'))).toBe(true);
    expect(isMachMsgError({ name: 'MachMsgError', code: 'size_limit', offset: 0 })).toBe(true);
    expect(isMachMsgError(new Error('x'))).toBe(false);
    expect(isMachMsgError(null)).toBe(false);
    expect(isMachMsgError('MachMsgError')).toBe(false);
  });
});

describe('encode: invalid message objects', () => {
  const int = (over: Partial<MsgItem['type']> = {}, data = new Uint8Array(4)): MsgItem => ({
    kind: 'data',
    type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false, ...over },
    data,
  });
  const base = (items: MsgItem[]): MachMessage => ({
    header: { bits: { remote: 19, local: 0, complex: false, other: 0 }, remotePort: 1, localPort: 0, seqno: 0, id: 1 },
    items,
  });
  const enc = (m: MachMessage, abi: Abi = 'i386') => codeOf(() => encodeMessage(m, abi));

  it('data length must be ceil(number*size/8)', () => {
    expect(enc(base([int({}, new Uint8Array(3))]))).toEqual({ code: 'length_mismatch', offset: 24 });
    expect(enc(base([int({ number: 3, size: 1 }, new Uint8Array(1))]))).toBe('no error');
    expect(enc(base([int({ number: 9, size: 1 }, new Uint8Array(1))]))).toMatchObject({ code: 'length_mismatch' });
  });
  it('i386 short form limits: number > 4095 or size > 255 need the long form', () => {
    expect(enc(base([int({ name: 9, size: 8, number: 4096 }, new Uint8Array(4096))]))).toMatchObject({ code: 'field_out_of_range' });
    expect(() => encodeMessage(base([int({ name: 9, size: 8, number: 4096 }, new Uint8Array(4096))]), 'i386')).toThrow(/use longform/);
    expect(enc(base([int({ name: 9, size: 8, number: 4096, longform: true }, new Uint8Array(4096))]))).toBe('no error');
    expect(enc(base([int({ name: 12, size: 1024, number: 1 }, new Uint8Array(128))]))).toMatchObject({ code: 'field_out_of_range' });
    // x86_64 has 16-bit sizes and 32-bit numbers in its only form
    expect(enc(base([int({ name: 9, size: 8, number: 4096 }, new Uint8Array(4096))]), 'x86_64')).toBe('no error');
    expect(enc(base([int({ size: 65536 }, new Uint8Array(8192))]), 'x86_64')).toMatchObject({ code: 'field_out_of_range' });
  });
  it('fields must be integers of the right range', () => {
    expect(enc(base([int({ number: -1 })]))).toMatchObject({ code: 'field_out_of_range' });
    expect(enc(base([int({ number: 1.5 })]))).toMatchObject({ code: 'field_out_of_range' });
    const m = base([]);
    m.header.remotePort = 2 ** 32;
    expect(enc(m)).toMatchObject({ code: 'field_out_of_range', offset: 8 });
    const m2 = base([]);
    m2.header.bits.remote = 256;
    expect(enc(m2)).toMatchObject({ code: 'field_out_of_range', offset: 0 });
    const m3 = base([]);
    m3.header.bits.other = 0x1;
    expect(enc(m3)).toMatchObject({ code: 'field_out_of_range' });
    const m4 = base([]);
    m4.header.id = 2 ** 40;
    expect(enc(m4)).toMatchObject({ code: 'field_out_of_range' });
    const m5 = base([]);
    m5.header.id = -1;
    expect(new DataView(encodeMessage(m5, 'i386').buffer).getInt32(20, true)).toBe(-1);
  });
  it('unknown type names and kind/descriptor disagreements', () => {
    expect(enc(base([int({ name: 3 })]))).toMatchObject({ code: 'unknown_type_name' });
    expect(enc(base([int({ name: 23 })]))).toMatchObject({ code: 'unknown_type_name' });
    expect(enc(base([int({ inline: false })]))).toMatchObject({ code: 'item_kind_mismatch' });
    expect(enc(base([int({ name: 17 })]))).toMatchObject({ code: 'item_kind_mismatch' });
    expect(enc(base([int({ deallocate: true })]))).toMatchObject({ code: 'inline_deallocate' });
    const ports: MsgItem = { kind: 'ports', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, names: [1] };
    expect(enc(base([ports]))).toMatchObject({ code: 'item_kind_mismatch' });
    const ool: MsgItem = { kind: 'ool', type: { name: 9, size: 8, number: 1, inline: true, longform: false, deallocate: false }, address: 0n };
    expect(enc(base([ool]))).toMatchObject({ code: 'item_kind_mismatch' });
    expect(enc(base([{ kind: 'weird' } as unknown as MsgItem]))).toMatchObject({ code: 'invalid_message' });
  });
  it('port items: size per ABI, names count, names range', () => {
    const p = (size: number, names: number[], number = names.length): MsgItem => ({
      kind: 'ports',
      type: { name: 19, size, number, inline: true, longform: false, deallocate: false },
      names,
    });
    expect(enc(base([p(64, [1])]), 'i386')).toMatchObject({ code: 'bad_port_size' });
    expect(enc(base([p(32, [1])]), 'x86_64')).toMatchObject({ code: 'bad_port_size' });
    expect(enc(base([p(32, [1, 2], 3)]), 'i386')).toMatchObject({ code: 'length_mismatch' });
    expect(enc(base([p(32, [-5])]), 'i386')).toMatchObject({ code: 'field_out_of_range' });
  });
  it('ool items: address range per ABI, port array size 32', () => {
    const o = (address: bigint, name = 9, size = 8): MsgItem => ({
      kind: 'ool',
      type: { name, size, number: 1, inline: false, longform: false, deallocate: true },
      address,
    });
    expect(enc(base([o(2n ** 32n)]), 'i386')).toMatchObject({ code: 'field_out_of_range' });
    expect(enc(base([o(2n ** 32n)]), 'x86_64')).toBe('no error');
    expect(enc(base([o(2n ** 64n)]), 'x86_64')).toMatchObject({ code: 'field_out_of_range' });
    expect(enc(base([o(-1n)]), 'x86_64')).toMatchObject({ code: 'field_out_of_range' });
    expect(enc(base([o(0n, 17, 64)]), 'x86_64')).toMatchObject({ code: 'bad_ool_port_size' });
    expect(enc(base([o(0n, 17, 32)]), 'x86_64')).toBe('no error');
  });
  it('protected payload needs local bits 23 and fits the field', () => {
    const m = base([]);
    m.header.protectedPayload = 5n;
    expect(enc(m)).toMatchObject({ code: 'invalid_message' });
    m.header.bits.local = 23;
    expect(enc(m)).toBe('no error');
    m.header.protectedPayload = 2n ** 32n;
    expect(enc(m, 'i386')).toMatchObject({ code: 'field_out_of_range' });
    expect(enc(m, 'x86_64')).toBe('no error');
  });
  it('messageSize validates and matches the encoded length', () => {
    const m = base([int(), int({ name: 11, size: 64 }, new Uint8Array(8))]);
    expect(messageSize(m, 'i386')).toBe(24 + 8 + 12);
    expect(messageSize(m, 'x86_64')).toBe(32 + 16 + 16);
    expect(encodeMessage(m, 'x86_64').length).toBe(64);
    expect(codeOf(() => messageSize(null as unknown as MachMessage, 'i386'))).toMatchObject({ code: 'invalid_message' });
    expect(codeOf(() => messageSize(m, 'mips' as Abi))).toMatchObject({ code: 'invalid_abi' });
  });
});

describe('encodeMessageInto', () => {
  const m: MachMessage = {
    header: { bits: { remote: 19, local: 0, complex: true, other: 0 }, remotePort: 5, localPort: 0, seqno: 0, id: 9 },
    items: [
      { kind: 'data', type: { name: 8, size: 8, number: 3, inline: true, longform: false, deallocate: false }, data: new Uint8Array([1, 2, 3]) },
      { kind: 'ports', type: { name: 20, size: 64, number: 2, inline: true, longform: false, deallocate: false }, names: [7, 8] },
    ],
  };
  it('writes every byte (padding, high halves) over a dirty buffer, at an offset', () => {
    const want = encodeMessage(m, 'x86_64');
    const buf = new Uint8Array(want.length + 10).fill(0xee);
    expect(encodeMessageInto(m, 'x86_64', buf, 5)).toBe(want.length);
    expect(Buffer.from(buf.subarray(5, 5 + want.length)).equals(Buffer.from(want))).toBe(true);
    expect(buf[4]).toBe(0xee);
    expect(buf[5 + want.length]).toBe(0xee);
  });
  it('refuses a target that is too small', () => {
    expect(codeOf(() => encodeMessageInto(m, 'x86_64', new Uint8Array(10)))).toMatchObject({ code: 'buffer_too_small' });
    expect(codeOf(() => encodeMessageInto(m, 'x86_64', new Uint8Array(100), 90))).toMatchObject({ code: 'buffer_too_small' });
    expect(codeOf(() => encodeMessageInto(m, 'x86_64', new Uint8Array(100), -1))).toMatchObject({ code: 'buffer_too_small' });
  });
});

describe('decoded data is a copy', () => {
  it('is a plain Uint8Array independent of the input, also for a Node Buffer', () => {
    const src = Buffer.from(msg('i386', '02200110 07000000'));
    const m = decodeMessage(src, 'i386');
    const item = m.items[0]!;
    src[28] = 0x55;
    expect(item.kind === 'data' && Array.from(item.data)).toEqual([7, 0, 0, 0]);
    expect(item.kind === 'data' && item.data.constructor).toBe(Uint8Array);
  });
});
