import { describe, expect, it } from 'vitest';
import {
  returnCodeName,
  MACH_MSGH_BITS,
  MACH_MSGH_BITS_REMOTE,
  MACH_MSGH_BITS_LOCAL,
  MACH_MSGH_BITS_PORTS,
  MACH_MSGH_BITS_OTHER,
  MACH_MSGH_BITS_IS_COMPLEX,
  MACH_MSGH_BITS_COMPLEX,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_MSG_TYPE_PORT_SEND,
  MACH_MSG_TYPE_POLYMORPHIC,
  MACH_MSG_TYPE_STRING_C,
  MACH_MSG_TYPE_STRING,
  MachMsgType,
  isPortAny,
  isPortAnySend,
  isPortAnyRight,
  receivedPortType,
  isKnownBodyTypeName,
  msgTypeName,
  MACH_RCV_BODY_ERROR,
  MACH_MSG_VM_SPACE,
  MACH_MSG_IPC_SPACE,
  MACH_SEND_INVALID_DEST,
  MACH_SEND_MSG,
  MACH_RCV_MSG,
  MACH_RCV_LARGE,
  MACH_SEND_TIMEOUT,
  MIG_SERVER_DIED,
  MIG_BAD_ID,
  KERN_SUCCESS,
  KERN_INTERRUPTED,
  MACH_PORT_NULL,
  MACH_PORT_DEAD,
  MACH_PORT_VALID,
  MACH_PORT_TYPE,
  MACH_PORT_RIGHT_DEAD_NAME,
  MACH_PORT_TYPE_DEAD_NAME,
  MACH_PORT_TYPE_SEND_RIGHTS,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_LAST,
  KernReturn,
  MachMsgReturn,
  MigReturn,
  I386_LAYOUT,
  X86_64_LAYOUT,
  abiLayout,
  inlinePortBits,
} from '../src/index.js';

describe('msgh_bits helpers', () => {
  it('MACH_MSGH_BITS packs remote | local << 8', () => {
    expect(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE)).toBe(0x1513);
    expect((MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX) >>> 0).toBe(0x80001513);
    expect(MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND)).toBe(0x1112);
    expect(MACH_MSGH_BITS(0, 18)).toBe(0x1200);
  });
  it('getters split bits', () => {
    const b = 0x80001513;
    expect(MACH_MSGH_BITS_REMOTE(b)).toBe(19);
    expect(MACH_MSGH_BITS_LOCAL(b)).toBe(21);
    expect(MACH_MSGH_BITS_PORTS(b)).toBe(0x1513);
    expect(MACH_MSGH_BITS_OTHER(b)).toBe(0x80000000);
    expect(MACH_MSGH_BITS_IS_COMPLEX(b)).toBe(true);
    expect(MACH_MSGH_BITS_IS_COMPLEX(0x1513)).toBe(false);
  });
});

describe('type names', () => {
  it('aliases and special values', () => {
    expect(MACH_MSG_TYPE_STRING).toBe(MACH_MSG_TYPE_STRING_C);
    expect(MachMsgType.BYTE).toBe(MachMsgType.INTEGER_8);
    expect(MachMsgType.BIT).toBe(0);
    expect(MACH_MSG_TYPE_POLYMORPHIC).toBe(0xffffffff);
    expect(msgTypeName(12)).toBe('MACH_MSG_TYPE_STRING_C');
    expect(msgTypeName(3)).toBe('3');
  });
  it('PORT_ANY ranges', () => {
    const all = Array.from({ length: 30 }, (_, i) => i);
    expect(all.filter(isPortAny)).toEqual([16, 17, 18, 19, 20, 21]);
    expect(all.filter(isPortAnySend)).toEqual([17, 18, 19, 20, 21]);
    expect(all.filter(isPortAnyRight)).toEqual([16, 17, 18]);
    expect(all.filter(isKnownBodyTypeName)).toEqual([0, 1, 2, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 20, 21]);
  });
  it('received forms of dispositions', () => {
    expect([16, 17, 18, 19, 20, 21, 15].map(receivedPortType)).toEqual([16, 17, 18, 17, 17, 18, 15]);
  });
});

describe('returnCodeName', () => {
  it('names kern, mach_msg and MIG codes', () => {
    expect(returnCodeName(KERN_SUCCESS)).toBe('KERN_SUCCESS');
    expect(returnCodeName(KERN_INTERRUPTED)).toBe('KERN_INTERRUPTED');
    expect(returnCodeName(MACH_SEND_INVALID_DEST)).toBe('MACH_SEND_INVALID_DEST');
    expect(returnCodeName(0x1000400c)).toBe('MACH_RCV_BODY_ERROR');
    expect(returnCodeName(MIG_SERVER_DIED)).toBe('MIG_SERVER_DIED');
    expect(returnCodeName(MIG_BAD_ID)).toBe('MIG_BAD_ID');
  });
  it('combines the special bits', () => {
    expect(returnCodeName(MACH_RCV_BODY_ERROR | MACH_MSG_VM_SPACE)).toBe('MACH_RCV_BODY_ERROR|MACH_MSG_VM_SPACE');
    expect(returnCodeName(MACH_RCV_BODY_ERROR | MACH_MSG_VM_SPACE | MACH_MSG_IPC_SPACE)).toBe(
      'MACH_RCV_BODY_ERROR|MACH_MSG_IPC_SPACE|MACH_MSG_VM_SPACE',
    );
    expect(returnCodeName(0x10000003 | 0x800)).toBe('MACH_SEND_INVALID_DEST|MACH_MSG_IPC_KERNEL');
    expect(returnCodeName(0x1000400c | 0x400)).toBe('MACH_RCV_BODY_ERROR|MACH_MSG_VM_KERNEL');
  });
  it('every table entry names itself, and unknown codes come back as hex', () => {
    for (const [k, v] of Object.entries(KernReturn)) expect(returnCodeName(v)).toBe('KERN_' + k);
    for (const [k, v] of Object.entries(MigReturn)) expect(returnCodeName(v)).toBe('MIG_' + k);
    for (const [k, v] of Object.entries(MachMsgReturn)) if (v !== 0) expect(returnCodeName(v)).toBe('MACH_' + k);
    expect(returnCodeName(11)).toBe('0x0000000b');
    expect(returnCodeName(0x10004099)).toBe('0x10004099');
    expect(returnCodeName(-1)).toBe('-0x1');
    expect(returnCodeName(0x1000)).toBe('0x00001000');
  });
});

describe('options, ports, notifications', () => {
  it('values from mach/message.h, port.h, notify.h', () => {
    expect([MACH_SEND_MSG, MACH_RCV_MSG, MACH_SEND_TIMEOUT, MACH_RCV_LARGE]).toEqual([1, 2, 0x10, 0x800]);
    expect(MACH_PORT_NULL).toBe(0);
    expect(MACH_PORT_DEAD).toBe(0xffffffff);
    expect([MACH_PORT_VALID(0), MACH_PORT_VALID(0xffffffff), MACH_PORT_VALID(5)]).toEqual([false, false, true]);
    expect(MACH_PORT_TYPE(MACH_PORT_RIGHT_DEAD_NAME)).toBe(MACH_PORT_TYPE_DEAD_NAME);
    expect(MACH_PORT_TYPE_SEND_RIGHTS).toBe(0x50000);
    expect([MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_LAST]).toEqual([70, 72, 77]);
  });
});

describe('ABI layout records (mach-abi.md §2, §4)', () => {
  it('header offsets and sizes', () => {
    expect(I386_LAYOUT.headerSize).toBe(24);
    expect(X86_64_LAYOUT.headerSize).toBe(32);
    expect(I386_LAYOUT.offsets).toEqual({ bits: 0, size: 4, remotePort: 8, localPort: 12, seqno: 16, id: 20 });
    expect(X86_64_LAYOUT.offsets).toEqual({ bits: 0, size: 4, remotePort: 8, localPort: 16, seqno: 24, id: 28 });
    expect([I386_LAYOUT.type.size, I386_LAYOUT.type.longSize, X86_64_LAYOUT.type.size, X86_64_LAYOUT.type.longSize]).toEqual([4, 12, 8, 8]);
    expect([inlinePortBits('i386'), inlinePortBits('x86_64')]).toEqual([32, 64]);
    expect(abiLayout('x86_64')).toBe(X86_64_LAYOUT);
  });
});
