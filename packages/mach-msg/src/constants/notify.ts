/**
 * Notification message ids (mach/notify.h, subsystem `notify` 64 = 0100).
 * 0103 and 0104 are unused; MACH_NOTIFY_LAST is 0115.
 */
export const MachNotify = {
  FIRST: 0o100,
  PORT_DELETED: 0o101,
  MSG_ACCEPTED: 0o102,
  PORT_DESTROYED: 0o105,
  NO_SENDERS: 0o106,
  SEND_ONCE: 0o107,
  DEAD_NAME: 0o110,
  LAST: 0o115,
} as const;

export const MACH_NOTIFY_FIRST = MachNotify.FIRST;
export const MACH_NOTIFY_PORT_DELETED = MachNotify.PORT_DELETED;
export const MACH_NOTIFY_MSG_ACCEPTED = MachNotify.MSG_ACCEPTED;
export const MACH_NOTIFY_PORT_DESTROYED = MachNotify.PORT_DESTROYED;
export const MACH_NOTIFY_NO_SENDERS = MachNotify.NO_SENDERS;
export const MACH_NOTIFY_SEND_ONCE = MachNotify.SEND_ONCE;
export const MACH_NOTIFY_DEAD_NAME = MachNotify.DEAD_NAME;
export const MACH_NOTIFY_LAST = MachNotify.LAST;
