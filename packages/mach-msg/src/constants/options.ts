/** `mach_msg` option bits (mach/message.h). */
export const MachMsgOption = {
  NONE: 0x00000000,
  SEND_MSG: 0x00000001,
  RCV_MSG: 0x00000002,
  SEND_TIMEOUT: 0x00000010,
  SEND_NOTIFY: 0x00000020,
  SEND_INTERRUPT: 0x00000040,
  SEND_CANCEL: 0x00000080,
  RCV_TIMEOUT: 0x00000100,
  RCV_NOTIFY: 0x00000200,
  RCV_INTERRUPT: 0x00000400,
  RCV_LARGE: 0x00000800,
  /** Kernel-internal: send even if the queue is full. */
  SEND_ALWAYS: 0x00010000,
} as const;

export const MACH_MSG_OPTION_NONE = MachMsgOption.NONE;
export const MACH_SEND_MSG = MachMsgOption.SEND_MSG;
export const MACH_RCV_MSG = MachMsgOption.RCV_MSG;
export const MACH_SEND_TIMEOUT = MachMsgOption.SEND_TIMEOUT;
export const MACH_SEND_NOTIFY = MachMsgOption.SEND_NOTIFY;
export const MACH_SEND_INTERRUPT = MachMsgOption.SEND_INTERRUPT;
export const MACH_SEND_CANCEL = MachMsgOption.SEND_CANCEL;
export const MACH_RCV_TIMEOUT = MachMsgOption.RCV_TIMEOUT;
export const MACH_RCV_NOTIFY = MachMsgOption.RCV_NOTIFY;
export const MACH_RCV_INTERRUPT = MachMsgOption.RCV_INTERRUPT;
export const MACH_RCV_LARGE = MachMsgOption.RCV_LARGE;
export const MACH_SEND_ALWAYS = MachMsgOption.SEND_ALWAYS;

/** `mach_msg_timeout_t` meaning "no timeout" (milliseconds). */
export const MACH_MSG_TIMEOUT_NONE = 0;
/** `(mach_msg_size_t) ~0`. */
export const MACH_MSG_SIZE_MAX = 0xffffffff;

/** mach_msg_trap and the other IPC traps' numbers (negative on GNU Mach). */
export const MachTrap = {
  mach_msg_trap: -25,
  mach_reply_port: -26,
  mach_thread_self: -27,
  mach_task_self: -28,
  mach_host_self: -29,
  mach_print: -30,
} as const;
