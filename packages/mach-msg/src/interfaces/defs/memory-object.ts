import { MACH_TYPES_DEFS } from './types.js';

/**
 * The external pager interface (subsystem memory_object, 2200): what the
 * kernel asks of a memory manager. All one-way; the pager answers with the
 * routines of the mach subsystem (see mach.ts). Facts: mach-abi.md §9.
 */
export const MEMORY_OBJECT_DEFS = `/* memory_object: kernel -> pager calls (mach-msg built-in). */
subsystem memory_object 2200;
${MACH_TYPES_DEFS}
/* Dispositions the kernel uses for the rights it hands the pager. */
type mo_make_send_t	= MACH_MSG_TYPE_MAKE_SEND;
type mo_move_send_t	= MACH_MSG_TYPE_MOVE_SEND;
type mo_move_receive_t	= MACH_MSG_TYPE_MOVE_RECEIVE;
/* Replies to pager requests go to the reply_to right the pager gave. */
type mo_reply_port_t	= MACH_MSG_TYPE_PORT_SEND_ONCE | polymorphic;

/* 2200: a task mapped the object; here are its control and name ports. */
simpleroutine memory_object_init(
	memory_object		: memory_object_t;
	memory_control		: mo_make_send_t;
	memory_object_name	: mo_make_send_t;
	memory_object_page_size	: vm_size_t);

/* 2201: the kernel is done with the object; the rights come back. */
simpleroutine memory_object_terminate(
	memory_object		: mo_move_send_t;
	memory_control		: mo_move_receive_t;
	memory_object_name	: mo_move_receive_t);

/* 2202: a copy-on-write copy was made into new_memory_object. */
simpleroutine memory_object_copy(
	old_memory_object	: memory_object_t;
	old_memory_control	: mo_make_send_t;
	offset			: vm_offset_t;
	length			: vm_size_t;
	new_memory_object	: mo_move_receive_t);

/* 2203: page-in: supply [offset, offset+length) with at least desired_access. */
simpleroutine memory_object_data_request(
	memory_object		: memory_object_t;
	memory_control		: mo_make_send_t;
	offset			: vm_offset_t;
	length			: vm_size_t;
	desired_access		: vm_prot_t);

/* 2204: a locked range is wanted with more access. */
simpleroutine memory_object_data_unlock(
	memory_object		: memory_object_t;
	memory_control		: mo_make_send_t;
	offset			: vm_offset_t;
	length			: vm_size_t;
	desired_access		: vm_prot_t);

skip;	/* 2205: retired data_write */

/* 2206: a memory_object_lock_request finished. */
simpleroutine memory_object_lock_completed(
	memory_object		: mo_reply_port_t;
	memory_control		: mo_make_send_t;
	offset			: vm_offset_t;
	length			: vm_size_t);

/* 2207: a memory_object_data_supply finished. */
simpleroutine memory_object_supply_completed(
	memory_object		: mo_reply_port_t;
	memory_control		: mo_make_send_t;
	offset			: vm_offset_t;
	length			: vm_size_t;
	result			: kern_return_t;
	error_offset		: vm_offset_t);

/* 2208: page-out: dirty (or precious) pages, out of line. */
simpleroutine memory_object_data_return(
	memory_object		: memory_object_t;
	memory_control		: mo_make_send_t;
	offset			: vm_offset_t;
	data			: pointer_t;
	dirty			: boolean_t;
	kernel_copy		: boolean_t);

/* 2209: a memory_object_change_attributes finished. */
simpleroutine memory_object_change_completed(
	memory_object		: mo_reply_port_t;
	may_cache		: boolean_t;
	copy_strategy		: memory_object_copy_strategy_t);
`;
