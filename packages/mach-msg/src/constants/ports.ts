/** Port names and rights (mach/port.h). Names are 32-bit unsigned on both ABIs. */
export const MACH_PORT_NULL = 0;
/** `~0` as a `mach_port_name_t`. */
export const MACH_PORT_DEAD = 0xffffffff;
export const MACH_PORT_NAME_NULL = 0;
export const MACH_PORT_NAME_DEAD = 0xffffffff;

/** MACH_PORT_VALID(name): neither NULL nor DEAD. */
export function MACH_PORT_VALID(name: number): boolean {
  return name !== MACH_PORT_NULL && name >>> 0 !== MACH_PORT_DEAD;
}

export const MachPortRight = {
  SEND: 0,
  RECEIVE: 1,
  SEND_ONCE: 2,
  PORT_SET: 3,
  DEAD_NAME: 4,
  NUMBER: 5,
} as const;

export const MACH_PORT_RIGHT_SEND = MachPortRight.SEND;
export const MACH_PORT_RIGHT_RECEIVE = MachPortRight.RECEIVE;
export const MACH_PORT_RIGHT_SEND_ONCE = MachPortRight.SEND_ONCE;
export const MACH_PORT_RIGHT_PORT_SET = MachPortRight.PORT_SET;
export const MACH_PORT_RIGHT_DEAD_NAME = MachPortRight.DEAD_NAME;
export const MACH_PORT_RIGHT_NUMBER = MachPortRight.NUMBER;

/** MACH_PORT_TYPE(right) = 1 << (right + 16), as an unsigned 32-bit number. */
export function MACH_PORT_TYPE(right: number): number {
  return (1 << (right + 16)) >>> 0;
}

export const MACH_PORT_TYPE_NONE = 0;
export const MACH_PORT_TYPE_SEND = 0x00010000;
export const MACH_PORT_TYPE_RECEIVE = 0x00020000;
export const MACH_PORT_TYPE_SEND_ONCE = 0x00040000;
export const MACH_PORT_TYPE_PORT_SET = 0x00080000;
export const MACH_PORT_TYPE_DEAD_NAME = 0x00100000;
export const MACH_PORT_TYPE_SEND_RECEIVE = MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE;
export const MACH_PORT_TYPE_SEND_RIGHTS = MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE;
export const MACH_PORT_TYPE_PORT_RIGHTS = MACH_PORT_TYPE_SEND_RIGHTS | MACH_PORT_TYPE_RECEIVE;
export const MACH_PORT_TYPE_PORT_OR_DEAD = MACH_PORT_TYPE_PORT_RIGHTS | MACH_PORT_TYPE_DEAD_NAME;
export const MACH_PORT_TYPE_ALL_RIGHTS = MACH_PORT_TYPE_PORT_OR_DEAD | MACH_PORT_TYPE_PORT_SET;
/** Request bits kept in a port type word. */
export const MACH_PORT_TYPE_DNREQUEST = 0x80000000;
export const MACH_PORT_TYPE_MAREQUEST = 0x40000000;
export const MACH_PORT_TYPE_COMPAT = 0x20000000;

export const MachPortType = {
  NONE: MACH_PORT_TYPE_NONE,
  SEND: MACH_PORT_TYPE_SEND,
  RECEIVE: MACH_PORT_TYPE_RECEIVE,
  SEND_ONCE: MACH_PORT_TYPE_SEND_ONCE,
  PORT_SET: MACH_PORT_TYPE_PORT_SET,
  DEAD_NAME: MACH_PORT_TYPE_DEAD_NAME,
  SEND_RECEIVE: MACH_PORT_TYPE_SEND_RECEIVE,
  SEND_RIGHTS: MACH_PORT_TYPE_SEND_RIGHTS,
  PORT_RIGHTS: MACH_PORT_TYPE_PORT_RIGHTS,
  PORT_OR_DEAD: MACH_PORT_TYPE_PORT_OR_DEAD,
  ALL_RIGHTS: MACH_PORT_TYPE_ALL_RIGHTS,
  DNREQUEST: MACH_PORT_TYPE_DNREQUEST,
  MAREQUEST: MACH_PORT_TYPE_MAREQUEST,
  COMPAT: MACH_PORT_TYPE_COMPAT,
} as const;

/** Default and maximum queue limits (mach/port.h). */
export const MACH_PORT_QLIMIT_DEFAULT = 5;
export const MACH_PORT_QLIMIT_MAX = 16;
