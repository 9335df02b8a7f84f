/**
 * Return codes: kern_return_t (mach/kern_return.h), mach_msg_return_t
 * (mach/message.h: IPC is system 4, send subsystem 0, receive subsystem 1)
 * and MIG's (mach/mig_errors.h). All are 32-bit; MIG's are negative.
 */
export const KernReturn = {
  SUCCESS: 0,
  INVALID_ADDRESS: 1,
  PROTECTION_FAILURE: 2,
  NO_SPACE: 3,
  INVALID_ARGUMENT: 4,
  FAILURE: 5,
  RESOURCE_SHORTAGE: 6,
  NOT_RECEIVER: 7,
  NO_ACCESS: 8,
  MEMORY_FAILURE: 9,
  MEMORY_ERROR: 10,
  NOT_IN_SET: 12,
  NAME_EXISTS: 13,
  ABORTED: 14,
  INVALID_NAME: 15,
  INVALID_TASK: 16,
  INVALID_RIGHT: 17,
  INVALID_VALUE: 18,
  UREFS_OVERFLOW: 19,
  INVALID_CAPABILITY: 20,
  RIGHT_EXISTS: 21,
  INVALID_HOST: 22,
  MEMORY_PRESENT: 23,
  WRITE_PROTECTION_FAILURE: 24,
  TERMINATED: 26,
  TIMEDOUT: 27,
  INTERRUPTED: 28,
} as const;

export const KERN_SUCCESS = KernReturn.SUCCESS;
export const KERN_INVALID_ADDRESS = KernReturn.INVALID_ADDRESS;
export const KERN_PROTECTION_FAILURE = KernReturn.PROTECTION_FAILURE;
export const KERN_NO_SPACE = KernReturn.NO_SPACE;
export const KERN_INVALID_ARGUMENT = KernReturn.INVALID_ARGUMENT;
export const KERN_FAILURE = KernReturn.FAILURE;
export const KERN_RESOURCE_SHORTAGE = KernReturn.RESOURCE_SHORTAGE;
export const KERN_NOT_RECEIVER = KernReturn.NOT_RECEIVER;
export const KERN_NO_ACCESS = KernReturn.NO_ACCESS;
export const KERN_MEMORY_FAILURE = KernReturn.MEMORY_FAILURE;
export const KERN_MEMORY_ERROR = KernReturn.MEMORY_ERROR;
export const KERN_NOT_IN_SET = KernReturn.NOT_IN_SET;
export const KERN_NAME_EXISTS = KernReturn.NAME_EXISTS;
export const KERN_ABORTED = KernReturn.ABORTED;
export const KERN_INVALID_NAME = KernReturn.INVALID_NAME;
export const KERN_INVALID_TASK = KernReturn.INVALID_TASK;
export const KERN_INVALID_RIGHT = KernReturn.INVALID_RIGHT;
export const KERN_INVALID_VALUE = KernReturn.INVALID_VALUE;
export const KERN_UREFS_OVERFLOW = KernReturn.UREFS_OVERFLOW;
export const KERN_INVALID_CAPABILITY = KernReturn.INVALID_CAPABILITY;
export const KERN_RIGHT_EXISTS = KernReturn.RIGHT_EXISTS;
export const KERN_INVALID_HOST = KernReturn.INVALID_HOST;
export const KERN_MEMORY_PRESENT = KernReturn.MEMORY_PRESENT;
export const KERN_WRITE_PROTECTION_FAILURE = KernReturn.WRITE_PROTECTION_FAILURE;
export const KERN_TERMINATED = KernReturn.TERMINATED;
export const KERN_TIMEDOUT = KernReturn.TIMEDOUT;
export const KERN_INTERRUPTED = KernReturn.INTERRUPTED;

/** mach_msg returns. MACH_MSG_SUCCESS equals KERN_SUCCESS. */
export const MachMsgReturn = {
  MSG_SUCCESS: 0,
  SEND_IN_PROGRESS: 0x10000001,
  SEND_INVALID_DATA: 0x10000002,
  SEND_INVALID_DEST: 0x10000003,
  SEND_TIMED_OUT: 0x10000004,
  SEND_WILL_NOTIFY: 0x10000005,
  SEND_NOTIFY_IN_PROGRESS: 0x10000006,
  SEND_INTERRUPTED: 0x10000007,
  SEND_MSG_TOO_SMALL: 0x10000008,
  SEND_INVALID_REPLY: 0x10000009,
  SEND_INVALID_RIGHT: 0x1000000a,
  SEND_INVALID_NOTIFY: 0x1000000b,
  SEND_INVALID_MEMORY: 0x1000000c,
  SEND_NO_BUFFER: 0x1000000d,
  SEND_NO_NOTIFY: 0x1000000e,
  SEND_INVALID_TYPE: 0x1000000f,
  SEND_INVALID_HEADER: 0x10000010,
  RCV_IN_PROGRESS: 0x10004001,
  RCV_INVALID_NAME: 0x10004002,
  RCV_TIMED_OUT: 0x10004003,
  RCV_TOO_LARGE: 0x10004004,
  RCV_INTERRUPTED: 0x10004005,
  RCV_PORT_CHANGED: 0x10004006,
  RCV_INVALID_NOTIFY: 0x10004007,
  RCV_INVALID_DATA: 0x10004008,
  RCV_PORT_DIED: 0x10004009,
  RCV_IN_SET: 0x1000400a,
  RCV_HEADER_ERROR: 0x1000400b,
  RCV_BODY_ERROR: 0x1000400c,
} as const;

export const MACH_MSG_SUCCESS = MachMsgReturn.MSG_SUCCESS;
export const MACH_SEND_IN_PROGRESS = MachMsgReturn.SEND_IN_PROGRESS;
export const MACH_SEND_INVALID_DATA = MachMsgReturn.SEND_INVALID_DATA;
export const MACH_SEND_INVALID_DEST = MachMsgReturn.SEND_INVALID_DEST;
export const MACH_SEND_TIMED_OUT = MachMsgReturn.SEND_TIMED_OUT;
export const MACH_SEND_WILL_NOTIFY = MachMsgReturn.SEND_WILL_NOTIFY;
export const MACH_SEND_NOTIFY_IN_PROGRESS = MachMsgReturn.SEND_NOTIFY_IN_PROGRESS;
export const MACH_SEND_INTERRUPTED = MachMsgReturn.SEND_INTERRUPTED;
export const MACH_SEND_MSG_TOO_SMALL = MachMsgReturn.SEND_MSG_TOO_SMALL;
export const MACH_SEND_INVALID_REPLY = MachMsgReturn.SEND_INVALID_REPLY;
export const MACH_SEND_INVALID_RIGHT = MachMsgReturn.SEND_INVALID_RIGHT;
export const MACH_SEND_INVALID_NOTIFY = MachMsgReturn.SEND_INVALID_NOTIFY;
export const MACH_SEND_INVALID_MEMORY = MachMsgReturn.SEND_INVALID_MEMORY;
export const MACH_SEND_NO_BUFFER = MachMsgReturn.SEND_NO_BUFFER;
export const MACH_SEND_NO_NOTIFY = MachMsgReturn.SEND_NO_NOTIFY;
export const MACH_SEND_INVALID_TYPE = MachMsgReturn.SEND_INVALID_TYPE;
export const MACH_SEND_INVALID_HEADER = MachMsgReturn.SEND_INVALID_HEADER;
export const MACH_RCV_IN_PROGRESS = MachMsgReturn.RCV_IN_PROGRESS;
export const MACH_RCV_INVALID_NAME = MachMsgReturn.RCV_INVALID_NAME;
export const MACH_RCV_TIMED_OUT = MachMsgReturn.RCV_TIMED_OUT;
export const MACH_RCV_TOO_LARGE = MachMsgReturn.RCV_TOO_LARGE;
export const MACH_RCV_INTERRUPTED = MachMsgReturn.RCV_INTERRUPTED;
export const MACH_RCV_PORT_CHANGED = MachMsgReturn.RCV_PORT_CHANGED;
export const MACH_RCV_INVALID_NOTIFY = MachMsgReturn.RCV_INVALID_NOTIFY;
export const MACH_RCV_INVALID_DATA = MachMsgReturn.RCV_INVALID_DATA;
export const MACH_RCV_PORT_DIED = MachMsgReturn.RCV_PORT_DIED;
export const MACH_RCV_IN_SET = MachMsgReturn.RCV_IN_SET;
export const MACH_RCV_HEADER_ERROR = MachMsgReturn.RCV_HEADER_ERROR;
export const MACH_RCV_BODY_ERROR = MachMsgReturn.RCV_BODY_ERROR;

/**
 * Bits the kernel ORs into a mach_msg return to say which resource ran out
 * (a send that failed in the receiver's space, a copyout that lost memory).
 */
export const MachMsgSpecialBits = {
  MASK: 0x00003c00,
  IPC_SPACE: 0x00002000,
  VM_SPACE: 0x00001000,
  IPC_KERNEL: 0x00000800,
  VM_KERNEL: 0x00000400,
} as const;

export const MACH_MSG_MASK = MachMsgSpecialBits.MASK;
export const MACH_MSG_IPC_SPACE = MachMsgSpecialBits.IPC_SPACE;
export const MACH_MSG_VM_SPACE = MachMsgSpecialBits.VM_SPACE;
export const MACH_MSG_IPC_KERNEL = MachMsgSpecialBits.IPC_KERNEL;
export const MACH_MSG_VM_KERNEL = MachMsgSpecialBits.VM_KERNEL;

export const MigReturn = {
  TYPE_ERROR: -300,
  REPLY_MISMATCH: -301,
  REMOTE_ERROR: -302,
  BAD_ID: -303,
  BAD_ARGUMENTS: -304,
  NO_REPLY: -305,
  EXCEPTION: -306,
  ARRAY_TOO_LARGE: -307,
  SERVER_DIED: -308,
  DESTROY_REQUEST: -309,
} as const;

export const MIG_TYPE_ERROR = MigReturn.TYPE_ERROR;
export const MIG_REPLY_MISMATCH = MigReturn.REPLY_MISMATCH;
export const MIG_REMOTE_ERROR = MigReturn.REMOTE_ERROR;
export const MIG_BAD_ID = MigReturn.BAD_ID;
export const MIG_BAD_ARGUMENTS = MigReturn.BAD_ARGUMENTS;
export const MIG_NO_REPLY = MigReturn.NO_REPLY;
export const MIG_EXCEPTION = MigReturn.EXCEPTION;
export const MIG_ARRAY_TOO_LARGE = MigReturn.ARRAY_TOO_LARGE;
export const MIG_SERVER_DIED = MigReturn.SERVER_DIED;
export const MIG_DESTROY_REQUEST = MigReturn.DESTROY_REQUEST;

/** Build value -> name from a prefixed table; the first name for a value wins. */
function nameTable(...tables: Array<[string, Readonly<Record<string, number>>]>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [prefix, table] of tables) {
    for (const [key, value] of Object.entries(table)) {
      if (!out.has(value)) out.set(value, prefix + key);
    }
  }
  return out;
}

/** Whole codes: KERN_* (0 is named KERN_SUCCESS), MIG_*, MACH_SEND_*, MACH_RCV_*. */
const CODE_NAMES = nameTable(['KERN_', KernReturn], ['MIG_', MigReturn], ['MACH_', MachMsgReturn]);

const SPECIAL_BITS: ReadonlyArray<readonly [number, string]> = [
  [MACH_MSG_IPC_SPACE, 'MACH_MSG_IPC_SPACE'],
  [MACH_MSG_VM_SPACE, 'MACH_MSG_VM_SPACE'],
  [MACH_MSG_IPC_KERNEL, 'MACH_MSG_IPC_KERNEL'],
  [MACH_MSG_VM_KERNEL, 'MACH_MSG_VM_KERNEL'],
];

/**
 * Names a kern_return_t / mach_msg_return_t / MIG return code. A mach_msg
 * return with special bits is named as its base code plus the bits, e.g.
 * `MACH_RCV_BODY_ERROR|MACH_MSG_VM_SPACE`. Unknown codes come back as hex
 * (`0x12345678`, or `-0x1f` for negative ones) so that a tracer can always
 * print something.
 */
export function returnCodeName(code: number): string {
  const c = code | 0;
  const direct = CODE_NAMES.get(c);
  if (direct !== undefined) return direct;
  // Special bits only qualify IPC (system 4) returns.
  if ((c & 0xfc000000) === 0x10000000 && (c & MACH_MSG_MASK) !== 0) {
    const base = CODE_NAMES.get(c & ~MACH_MSG_MASK);
    if (base !== undefined && base.startsWith('MACH_')) {
      let name = base;
      for (const [bit, bitName] of SPECIAL_BITS) if ((c & bit) !== 0) name += '|' + bitName;
      return name;
    }
  }
  return c < 0 ? '-0x' + (-c).toString(16) : '0x' + c.toString(16).padStart(8, '0');
}
