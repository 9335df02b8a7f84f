import { MACH_TYPES_DEFS } from './types.js';

/**
 * GNU Mach's port-name-space calls (subsystem mach_port, 3200), every routine
 * of the interface. The target is the task's IPC space (its task port).
 */
export const MACH_PORT_DEFS = `/* mach_port: a task's port name space (mach-msg built-in). */
subsystem mach_port 3200;
${MACH_TYPES_DEFS}
type mach_port_right_t	= natural_t;	/* MACH_PORT_RIGHT_* */
type mach_port_type_t	= natural_t;	/* MACH_PORT_TYPE_* bits */
/* mach_port_status: pset, seqno, mscount, qlimit, msgcount, sorights,
   srights, pdrequest, nsrequest: nine 32-bit words. */
type mach_port_status_t	= struct[9] of natural_t;
/* Name lists the kernel always returns out of line. */
type mach_port_name_array_t	= ^array[] of mach_port_name_t;
type mach_port_type_array_t	= ^array[] of mach_port_type_t;

/* 3200: every name in the space with its type bits, both out of line. */
routine mach_port_names(
	task		: ipc_space_t;
    out	names		: mach_port_name_array_t;
    out	types		: mach_port_type_array_t);

/* 3201 */
routine mach_port_type(
	task		: ipc_space_t;
	name		: mach_port_name_t;
    out	ptype		: mach_port_type_t);

/* 3202 */
routine mach_port_rename(
	task		: ipc_space_t;
	old_name	: mach_port_name_t;
	new_name	: mach_port_name_t);

/* 3203: allocate a right under a name the caller chose. */
routine mach_port_allocate_name(
	task		: ipc_space_t;
	right		: mach_port_right_t;
	name		: mach_port_name_t);

/* 3204 */
routine mach_port_allocate(
	task		: ipc_space_t;
	right		: mach_port_right_t;
    out	name		: mach_port_name_t);

/* 3205 */
routine mach_port_destroy(
	task		: ipc_space_t;
	name		: mach_port_name_t);

/* 3206: drop one user reference of a send, send-once or dead-name right. */
routine mach_port_deallocate(
	task		: ipc_space_t;
	name		: mach_port_name_t);

/* 3207 */
routine mach_port_get_refs(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	right		: mach_port_right_t;
    out	refs		: natural_t);

/* 3208 */
routine mach_port_mod_refs(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	right		: mach_port_right_t;
	delta		: integer_t);

skip;	/* 3209: retired */

/* 3210 */
routine mach_port_set_qlimit(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	qlimit		: natural_t);

/* 3211 */
routine mach_port_set_mscount(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	mscount		: natural_t);

/* 3212: members of a port set, out of line. */
routine mach_port_get_set_status(
	task		: ipc_space_t;
	name		: mach_port_name_t;
    out	members		: mach_port_name_array_t);

/* 3213: move a receive right into (or, with after = 0, out of) a port set. */
routine mach_port_move_member(
	task		: ipc_space_t;
	member		: mach_port_name_t;
	after		: mach_port_name_t);

/* 3214: id is a MACH_NOTIFY_* number; the old request's right comes back. */
routine mach_port_request_notification(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	id		: integer_t;
	sync		: natural_t;
	notify		: mach_port_send_once_t;
    out	previous	: mach_port_send_once_t);

/* 3215: give the space a right under a chosen name. */
routine mach_port_insert_right(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	poly		: mach_port_poly_t);

/* 3216: take a right out of the space; msgt_name is the disposition wanted. */
routine mach_port_extract_right(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	msgt_name	: natural_t;
    out	poly		: mach_port_poly_t);

/* 3217 */
routine mach_port_get_receive_status(
	task		: ipc_space_t;
	name		: mach_port_name_t;
    out	status		: mach_port_status_t);

/* 3218 */
routine mach_port_set_seqno(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	seqno		: natural_t);

skip; skip;	/* 3219, 3220: retired */

/* 3221: messages to this port carry payload instead of the local name. */
routine mach_port_set_protected_payload(
	task		: ipc_space_t;
	name		: mach_port_name_t;
	payload		: rpc_uintptr_t);

/* 3222 */
routine mach_port_clear_protected_payload(
	task		: ipc_space_t;
	name		: mach_port_name_t);
`;
