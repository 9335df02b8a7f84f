/**
 * `msgt_name` values (MACH_MSG_TYPE_*), as GNU Mach's mach/message.h numbers
 * them. The same numbers serve as header dispositions (msgh_bits) and as the
 * names of typed body items.
 */
export const MachMsgType = {
  UNSTRUCTURED: 0,
  BIT: 0,
  BOOLEAN: 0,
  INTEGER_16: 1,
  INTEGER_32: 2,
  CHAR: 8,
  BYTE: 9,
  INTEGER_8: 9,
  REAL: 10,
  INTEGER_64: 11,
  STRING: 12,
  STRING_C: 12,
  PORT_NAME: 15,
  MOVE_RECEIVE: 16,
  MOVE_SEND: 17,
  MOVE_SEND_ONCE: 18,
  COPY_SEND: 19,
  MAKE_SEND: 20,
  MAKE_SEND_ONCE: 21,
  /** Received forms: the kernel rewrites dispositions to these on copyout. */
  PORT_RECEIVE: 16,
  PORT_SEND: 17,
  PORT_SEND_ONCE: 18,
  /** Only ever in the header's local bits of a received message. */
  PROTECTED_PAYLOAD: 23,
  LAST: 23,
  /** `(mach_msg_type_name_t) -1`: used inside MIG only, never on the wire. */
  POLYMORPHIC: 0xffffffff,
} as const;

export const MACH_MSG_TYPE_UNSTRUCTURED = MachMsgType.UNSTRUCTURED;
export const MACH_MSG_TYPE_BIT = MachMsgType.BIT;
export const MACH_MSG_TYPE_BOOLEAN = MachMsgType.BOOLEAN;
export const MACH_MSG_TYPE_INTEGER_16 = MachMsgType.INTEGER_16;
export const MACH_MSG_TYPE_INTEGER_32 = MachMsgType.INTEGER_32;
export const MACH_MSG_TYPE_CHAR = MachMsgType.CHAR;
export const MACH_MSG_TYPE_BYTE = MachMsgType.BYTE;
export const MACH_MSG_TYPE_INTEGER_8 = MachMsgType.INTEGER_8;
export const MACH_MSG_TYPE_REAL = MachMsgType.REAL;
export const MACH_MSG_TYPE_INTEGER_64 = MachMsgType.INTEGER_64;
export const MACH_MSG_TYPE_STRING = MachMsgType.STRING;
export const MACH_MSG_TYPE_STRING_C = MachMsgType.STRING_C;
export const MACH_MSG_TYPE_PORT_NAME = MachMsgType.PORT_NAME;
export const MACH_MSG_TYPE_MOVE_RECEIVE = MachMsgType.MOVE_RECEIVE;
export const MACH_MSG_TYPE_MOVE_SEND = MachMsgType.MOVE_SEND;
export const MACH_MSG_TYPE_MOVE_SEND_ONCE = MachMsgType.MOVE_SEND_ONCE;
export const MACH_MSG_TYPE_COPY_SEND = MachMsgType.COPY_SEND;
export const MACH_MSG_TYPE_MAKE_SEND = MachMsgType.MAKE_SEND;
export const MACH_MSG_TYPE_MAKE_SEND_ONCE = MachMsgType.MAKE_SEND_ONCE;
export const MACH_MSG_TYPE_PORT_RECEIVE = MachMsgType.PORT_RECEIVE;
export const MACH_MSG_TYPE_PORT_SEND = MachMsgType.PORT_SEND;
export const MACH_MSG_TYPE_PORT_SEND_ONCE = MachMsgType.PORT_SEND_ONCE;
export const MACH_MSG_TYPE_PROTECTED_PAYLOAD = MachMsgType.PROTECTED_PAYLOAD;
export const MACH_MSG_TYPE_LAST = MachMsgType.LAST;
export const MACH_MSG_TYPE_POLYMORPHIC = MachMsgType.POLYMORPHIC;

/** MACH_MSG_TYPE_PORT_ANY: any port disposition or received right, 16..21. */
export function isPortAny(name: number): boolean {
  return name >= MACH_MSG_TYPE_MOVE_RECEIVE && name <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

/** MACH_MSG_TYPE_PORT_ANY_SEND: the dispositions that yield a send or send-once right, 17..21. */
export function isPortAnySend(name: number): boolean {
  return name >= MACH_MSG_TYPE_MOVE_SEND && name <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

/** MACH_MSG_TYPE_PORT_ANY_RIGHT: the received forms (moves), 16..18. */
export function isPortAnyRight(name: number): boolean {
  return name >= MACH_MSG_TYPE_MOVE_RECEIVE && name <= MACH_MSG_TYPE_MOVE_SEND_ONCE;
}

/**
 * The rewrite the kernel applies to a port disposition on copyout
 * (ipc_object_copyin_type): MOVE_RECEIVE -> PORT_RECEIVE; MOVE_SEND,
 * COPY_SEND, MAKE_SEND -> PORT_SEND; MOVE_SEND_ONCE, MAKE_SEND_ONCE ->
 * PORT_SEND_ONCE. Other values are returned unchanged.
 */
export function receivedPortType(disposition: number): number {
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      return MACH_MSG_TYPE_PORT_RECEIVE;
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MAKE_SEND:
      return MACH_MSG_TYPE_PORT_SEND;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      return MACH_MSG_TYPE_PORT_SEND_ONCE;
    default:
      return disposition;
  }
}

/**
 * Type names that may appear as `msgt_name` of a body item: the data types
 * and the port dispositions 16..21. PROTECTED_PAYLOAD (23) belongs only to
 * the header, and POLYMORPHIC never reaches the wire.
 */
const BODY_TYPE_NAMES: readonly boolean[] = (() => {
  const known = new Array<boolean>(256).fill(false);
  for (const n of [0, 1, 2, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 20, 21]) known[n] = true;
  return known;
})();

/** True if `name` is a msgt_name GNU Mach defines for body items. */
export function isKnownBodyTypeName(name: number): boolean {
  return BODY_TYPE_NAMES[name] === true;
}

/** The canonical spelling of each body type name (first alias wins: UNSTRUCTURED, BYTE, STRING_C...). */
export const MACH_MSG_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'MACH_MSG_TYPE_UNSTRUCTURED',
  1: 'MACH_MSG_TYPE_INTEGER_16',
  2: 'MACH_MSG_TYPE_INTEGER_32',
  8: 'MACH_MSG_TYPE_CHAR',
  9: 'MACH_MSG_TYPE_BYTE',
  10: 'MACH_MSG_TYPE_REAL',
  11: 'MACH_MSG_TYPE_INTEGER_64',
  12: 'MACH_MSG_TYPE_STRING_C',
  15: 'MACH_MSG_TYPE_PORT_NAME',
  16: 'MACH_MSG_TYPE_MOVE_RECEIVE',
  17: 'MACH_MSG_TYPE_MOVE_SEND',
  18: 'MACH_MSG_TYPE_MOVE_SEND_ONCE',
  19: 'MACH_MSG_TYPE_COPY_SEND',
  20: 'MACH_MSG_TYPE_MAKE_SEND',
  21: 'MACH_MSG_TYPE_MAKE_SEND_ONCE',
  23: 'MACH_MSG_TYPE_PROTECTED_PAYLOAD',
};

/** Name of a msgt_name value, or its decimal number if GNU Mach defines none. */
export function msgTypeName(name: number): string {
  return MACH_MSG_TYPE_NAMES[name] ?? String(name);
}
