import { HURD_TYPES_DEFS, MACH_TYPES_DEFS, skips } from './types.js';

/**
 * The Hurd's fsys interface (subsystem fsys, 22000): a file system's control
 * port. Facts: hurd-fs-interfaces.md §4.1.
 */
export const FSYS_DEFS = `/* fsys: file system control (mach-msg built-in, partial). */
subsystem fsys 22000;
${MACH_TYPES_DEFS}${HURD_TYPES_DEFS}
/* 22000: a new translator introduces itself to its parent. */
routine fsys_startup(
	bootstrap	: mach_port_t;
	openflags	: integer_t;
	control_port	: mach_port_send_t;
    out	realnode	: mach_port_send_t);

/* 22001: flags are FSYS_GOAWAY_* bits. */
routine fsys_goaway(
	fsys		: fsys_t;
	flags		: integer_t);

/* 22002: the root directory, for a user with these ids. */
routine fsys_getroot(
	fsys		: fsys_t;
	dotdot_node	: mach_port_send_t;
	gen_uids	: idarray_t;
	gen_gids	: idarray_t;
	flags		: integer_t;
    out	do_retry	: retry_type;
    out	retry_name	: string_t;
    out	file		: mach_port_send_t);

skip;	/* 22003: fsys_getfile */

/* 22004 */
routine fsys_syncfs(
	fsys		: fsys_t;
	wait		: integer_t;
	do_children	: integer_t);

skip;	/* 22005: fsys_set_options */

/* 22006: privileged ports of a bootstrap file system. */
routine fsys_getpriv(
	fsys		: fsys_t;
    out	host_priv	: mach_port_send_t;
    out	device_master	: mach_port_send_t;
    out	fstask		: mach_port_send_t);

${skips(5, '22007-22011: init, forward, options, children, source')}
`;
