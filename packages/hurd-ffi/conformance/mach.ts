/**
 * The GNU Mach numbers the conformance scenarios use (facts from
 * mach/message.h, mach/port.h, mach/kern_return.h; see mach-abi.md §3-7).
 * Kept here, not imported from mach-msg, so that the oracle does not share
 * a mistake with the code it checks.
 */
export const KR_NAMES: Readonly<Record<number, string>> = {
  0: 'SUCCESS',
  1: 'KERN_INVALID_ADDRESS', 2: 'KERN_PROTECTION_FAILURE', 3: 'KERN_NO_SPACE', 4: 'KERN_INVALID_ARGUMENT',
  5: 'KERN_FAILURE', 6: 'KERN_RESOURCE_SHORTAGE', 7: 'KERN_NOT_RECEIVER', 8: 'KERN_NO_ACCESS',
  12: 'KERN_NOT_IN_SET', 13: 'KERN_NAME_EXISTS', 15: 'KERN_INVALID_NAME', 16: 'KERN_INVALID_TASK',
  17: 'KERN_INVALID_RIGHT', 18: 'KERN_INVALID_VALUE', 19: 'KERN_UREFS_OVERFLOW', 20: 'KERN_INVALID_CAPABILITY',
  21: 'KERN_RIGHT_EXISTS', 26: 'KERN_TERMINATED', 27: 'KERN_TIMEDOUT',
  0x10000001: 'SEND_IN_PROGRESS', 0x10000002: 'SEND_INVALID_DATA', 0x10000003: 'SEND_INVALID_DEST',
  0x10000004: 'SEND_TIMED_OUT', 0x10000005: 'SEND_WILL_NOTIFY', 0x10000006: 'SEND_NOTIFY_IN_PROGRESS',
  0x10000007: 'SEND_INTERRUPTED', 0x10000008: 'SEND_MSG_TOO_SMALL', 0x10000009: 'SEND_INVALID_REPLY',
  0x1000000a: 'SEND_INVALID_RIGHT', 0x1000000b: 'SEND_INVALID_NOTIFY', 0x1000000c: 'SEND_INVALID_MEMORY',
  0x1000000d: 'SEND_NO_BUFFER', 0x1000000e: 'SEND_NO_NOTIFY', 0x1000000f: 'SEND_INVALID_TYPE',
  0x10000010: 'SEND_INVALID_HEADER',
  0x10004001: 'RCV_IN_PROGRESS', 0x10004002: 'RCV_INVALID_NAME', 0x10004003: 'RCV_TIMED_OUT',
  0x10004004: 'RCV_TOO_LARGE', 0x10004005: 'RCV_INTERRUPTED', 0x10004006: 'RCV_PORT_CHANGED',
  0x10004007: 'RCV_INVALID_NOTIFY', 0x10004008: 'RCV_INVALID_DATA', 0x10004009: 'RCV_PORT_DIED',
  0x1000400a: 'RCV_IN_SET', 0x1000400b: 'RCV_HEADER_ERROR', 0x1000400c: 'RCV_BODY_ERROR',
  [-300 >>> 0]: 'MIG_TYPE_ERROR', [-301 >>> 0]: 'MIG_REPLY_MISMATCH', [-303 >>> 0]: 'MIG_BAD_ID',
  [-304 >>> 0]: 'MIG_BAD_ARGUMENTS',
};

/** A return code as `NAME` (or hex), with the MACH_MSG_MASK special bits spelled out. */
export function krName(kr: number): string {
  const u = kr >>> 0;
  const known = KR_NAMES[u];
  if (known !== undefined) return known;
  const special = u & 0x3c00;
  const base = KR_NAMES[(u & ~0x3c00) >>> 0];
  if (special !== 0 && base !== undefined) return `${base}|0x${special.toString(16)}`;
  return `0x${u.toString(16)}`;
}

// mach_msg options
export const SEND = 0x1;
export const RCV = 0x2;
export const SEND_TIMEOUT = 0x10;
export const SEND_NOTIFY = 0x20;
export const RCV_TIMEOUT = 0x100;
export const RCV_LARGE = 0x800;

// Dispositions and received type names (MACH_MSG_TYPE_*)
export const PORT_NAME = 15;
export const MOVE_RECEIVE = 16;
export const MOVE_SEND = 17;
export const MOVE_SEND_ONCE = 18;
export const COPY_SEND = 19;
export const MAKE_SEND = 20;
export const MAKE_SEND_ONCE = 21;
export const INTEGER_32 = 2;
export const INTEGER_16 = 1;
export const BYTE = 9;
export const CHAR = 8;
export const INTEGER_64 = 11;
export const STRING_C = 12;

// MACH_PORT_RIGHT_*
export const RIGHT_SEND = 0;
export const RIGHT_RECEIVE = 1;
export const RIGHT_SEND_ONCE = 2;
export const RIGHT_PORT_SET = 3;
export const RIGHT_DEAD_NAME = 4;

// Notifications (notify.defs ids)
export const NOTIFY_PORT_DELETED = 0o101;
export const NOTIFY_PORT_DESTROYED = 0o105;
export const NOTIFY_NO_SENDERS = 0o106;
export const NOTIFY_SEND_ONCE = 0o107;
export const NOTIFY_DEAD_NAME = 0o110;

export const PORT_NULL = 0;
export const PORT_DEAD = 0xffffffff;
export const COMPLEX = 0x80000000;

export function isPortType(name: number): boolean {
  return name >= MOVE_RECEIVE && name <= MAKE_SEND_ONCE;
}
