import { MACH_TYPES_DEFS, skips } from './types.js';

/**
 * A part of GNU Mach's kernel interface (subsystem mach, 2000): the task and
 * VM calls a pager or a loader needs, and the pager -> kernel half of the
 * external memory management protocol. Ids the kernel has but we leave out
 * are skipped so every id stays right (msgids: gnumach.msgids).
 */
export const MACH_DEFS = `/* mach: task, VM and pager -> kernel calls (mach-msg built-in, partial). */
subsystem mach 2000;
${MACH_TYPES_DEFS}
${skips(7, '2000-2006: not assigned')}

/* 2007: a new task, sharing the parent's memory if inherit_memory. */
routine task_create(
	target_task	: task_t;
	inherit_memory	: boolean_t;
    out	child_task	: task_t);

/* 2008 */
routine task_terminate(
	target_task	: task_t);

${skips(12, '2009-2020: emulation vectors, threads, task and thread info and state')}

/* 2021: allocate zero-filled memory; with anywhere, the kernel picks address. */
routine vm_allocate(
	target_task	: vm_task_t;
    inout address	: vm_address_t;
	size		: vm_size_t;
	anywhere	: boolean_t);

skip;	/* 2022: not assigned */

/* 2023 */
routine vm_deallocate(
	target_task	: vm_task_t;
	address		: vm_address_t;
	size		: vm_size_t);

/* 2024 */
routine vm_protect(
	target_task	: vm_task_t;
	address		: vm_address_t;
	size		: vm_size_t;
	set_maximum	: boolean_t;
	new_protection	: vm_prot_t);

/* 2025 */
routine vm_inherit(
	target_task	: vm_task_t;
	address		: vm_address_t;
	size		: vm_size_t;
	new_inheritance	: vm_inherit_t);

/* 2026: the bytes come back out of line. */
routine vm_read(
	target_task	: vm_task_t;
	address		: vm_address_t;
	size		: vm_size_t;
    out	data		: pointer_t);

/* 2027 */
routine vm_write(
	target_task	: vm_task_t;
	address		: vm_address_t;
	data		: pointer_t);

/* 2028 */
routine vm_copy(
	target_task	: vm_task_t;
	source_address	: vm_address_t;
	size		: vm_size_t;
	dest_address	: vm_address_t);

${skips(10, '2029-2038: vm_region, vm_statistics, mach_ports_*')}

/* 2039: the pager has no data for this range: the kernel zero-fills it. */
simpleroutine memory_object_data_unavailable(
	memory_control	: memory_object_control_t;
	offset		: vm_offset_t;
	size		: vm_size_t);

/* 2040 */
routine memory_object_get_attributes(
	memory_control	: memory_object_control_t;
    out	object_ready	: boolean_t;
    out	may_cache	: boolean_t;
    out	copy_strategy	: memory_object_copy_strategy_t);

${skips(3, '2041-2043: vm_set_default_memory_manager and retired calls')}

/* 2044: clean, flush or lock a range; lock_completed goes to reply_to. */
simpleroutine memory_object_lock_request(
	memory_control	: memory_object_control_t;
	offset		: vm_offset_t;
	size		: vm_size_t;
	should_return	: memory_object_return_t;
	should_flush	: boolean_t;
	lock_value	: vm_prot_t;
	reply_to	: mach_reply_to_t);

${skips(11, '2045-2055: retired and unassigned')}

/* 2056 */
routine task_suspend(
	target_task	: task_t);

/* 2057 */
routine task_resume(
	target_task	: task_t);

/* 2058: which_port is a TASK_*_PORT number. */
routine task_get_special_port(
	task		: task_t;
	which_port	: integer_t;
    out	special_port	: mach_port_t);

/* 2059 */
routine task_set_special_port(
	task		: task_t;
	which_port	: integer_t;
	special_port	: mach_port_t);

${skips(29, '2060-2088: threads, emulation, RAS and unassigned')}

/* 2089: map a memory object (or anonymous memory) into a task. */
routine vm_map(
	target_task	: vm_task_t;
    inout address	: vm_address_t;
	size		: vm_size_t;
	mask		: vm_address_t;
	anywhere	: boolean_t;
	memory_object	: memory_object_t;
	offset		: vm_offset_t;
	copy		: boolean_t;
	cur_protection	: vm_prot_t;
	max_protection	: vm_prot_t;
	inheritance	: vm_inherit_t);

/* 2090: the pager cannot supply this range; faults on it fail with error_value. */
simpleroutine memory_object_data_error(
	memory_control	: memory_object_control_t;
	offset		: vm_offset_t;
	size		: vm_size_t;
	error_value	: kern_return_t);

skip;	/* 2091: retired */

/* 2092: shut the object down; reason is passed to its users. */
simpleroutine memory_object_destroy(
	memory_control	: memory_object_control_t;
	reason		: kern_return_t);

/* 2093: page-in answer: the data, out of line, locked against lock_value. */
simpleroutine memory_object_data_supply(
	memory_control	: memory_object_control_t;
	offset		: vm_offset_t;
	data		: pointer_t, Dealloc[];
	lock_value	: vm_prot_t;
	precious	: boolean_t;
	reply_to	: mach_reply_to_t);

/* 2094: the pager is ready for requests on this object. */
simpleroutine memory_object_ready(
	memory_control	: memory_object_control_t;
	may_cache	: boolean_t;
	copy_strategy	: memory_object_copy_strategy_t);

/* 2095: change_completed goes to reply_to. */
simpleroutine memory_object_change_attributes(
	memory_control	: memory_object_control_t;
	may_cache	: boolean_t;
	copy_strategy	: memory_object_copy_strategy_t;
	reply_to	: mach_reply_to_t);
`;
