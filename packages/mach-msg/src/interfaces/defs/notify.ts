import { MACH_TYPES_DEFS } from './types.js';

/**
 * GNU Mach's notifications (subsystem notify, 64): one-way messages the
 * kernel sends to a send-once right a task registered with
 * mach_port_request_notification (mach-abi.md §7).
 */
export const NOTIFY_DEFS = `/* notify: kernel notifications, all one-way (mach-msg built-in). */
subsystem notify 64;
${MACH_TYPES_DEFS}
/* The kernel always sends to a send-once right. */
type notify_port_t = MACH_MSG_TYPE_MOVE_SEND_ONCE;

skip;	/* 64: MACH_NOTIFY_FIRST, never sent */

/* 65: the name lost its right (the object died while a send-once right named it). */
simpleroutine mach_notify_port_deleted(
	notify	: notify_port_t;
	name	: mach_port_name_t);

/* 66: a message sent with MACH_SEND_NOTIFY was queued. */
simpleroutine mach_notify_msg_accepted(
	notify	: notify_port_t;
	name	: mach_port_name_t);

skip; skip;	/* 67, 68: retired ownership/receive-rights notifications */

/* 69: a receive right was destroyed; it comes back in the message. */
simpleroutine mach_notify_port_destroyed(
	notify	: notify_port_t;
	rights	: mach_port_receive_t);

/* 70: the port has no more senders; mscount is its make-send count. */
simpleroutine mach_notify_no_senders(
	notify	: notify_port_t;
	mscount	: natural_t);

/* 71: a send-once right was destroyed unused (a server died before replying). */
simpleroutine mach_notify_send_once(
	notify	: notify_port_t);

/* 72: the right under this name became a dead name. */
simpleroutine mach_notify_dead_name(
	notify	: notify_port_t;
	name	: mach_port_name_t);
`;
