import { HURD_TYPES_DEFS, MACH_TYPES_DEFS, skips } from './types.js';

/**
 * The Hurd's io interface (subsystem io, 21000): reading, writing and
 * describing an open object. The routines left out (async I/O ownership, the
 * shared-page "conch" protocol, io_revoke) are skipped so ids stay right.
 * Facts: hurd-fs-interfaces.md §4.4.
 */
export const IO_DEFS = `/* io: open objects (mach-msg built-in, partial). */
subsystem io 21000;
${MACH_TYPES_DEFS}${HURD_TYPES_DEFS}
/* 21000: write data at offset (-1: at the file pointer); amount written comes back. */
routine io_write(
	io_object	: io_t;
	data		: data_t;
	offset		: loff_t;
    out	amount		: vm_size_t);

/* 21001: read up to amount bytes at offset (-1: at the file pointer). */
routine io_read(
	io_object	: io_t;
    out	data		: data_t, dealloc;
	offset		: loff_t;
	amount		: vm_size_t);

/* 21002: whence is SEEK_SET, SEEK_CUR or SEEK_END. */
routine io_seek(
	io_object	: io_t;
	offset		: loff_t;
	whence		: integer_t;
    out	newp		: loff_t);

/* 21003: bytes readable without blocking. */
routine io_readable(
	io_object	: io_t;
    out	amount		: vm_size_t);

/* 21004-21007: the O_* open modes of this port. */
routine io_set_all_openmodes(
	io_object	: io_t;
	newbits		: integer_t);

routine io_get_openmodes(
	io_object	: io_t;
    out	bits		: integer_t);

routine io_set_some_openmodes(
	io_object	: io_t;
	bits_to_set	: integer_t);

routine io_clear_some_openmodes(
	io_object	: io_t;
	bits_to_clear	: integer_t);

${skips(4, '21008-21011: io_async, io_mod_owner, io_get_owner, io_get_icky_async_id')}

/* 21012: wait until one of the SELECT_* bits in select_type is ready. The
   reply right is the caller's own port, made a send right. */
routine io_select(
	io_object	: io_t;
	ureplyport reply	: mach_port_make_send_t;
	waittime timeout	: natural_t;
    inout select_type	: integer_t);

/* 21013 */
routine io_stat(
	stat_object	: io_t;
    out	stat_info	: io_statbuf_t);

/* 21014: one-way; the answer comes through the auth server's rendezvous. */
simpleroutine io_reauthenticate(
	auth_object	: io_t;
	rendezvous2	: mach_port_send_t);

/* 21015: a new port with at most these ids. */
routine io_restrict_auth(
	io_object	: io_t;
    out	new_object	: mach_port_send_t;
	uids		: idarray_t;
	gids		: idarray_t);

/* 21016 */
routine io_duplicate(
	io_object	: io_t;
    out	newport		: mach_port_send_t);

/* 21017 */
routine io_server_version(
	vers_object	: io_t;
    out	server_name	: string_t;
    out	server_major_version : integer_t;
    out	server_minor_version : integer_t;
    out	server_edit_level : integer_t);

/* 21018: memory objects for mapping the file for reading and for writing. */
routine io_map(
	io_object	: io_t;
    out	memobjrd	: mach_port_send_t;
    out	memobjwt	: mach_port_send_t);

/* 21019 */
routine io_map_cntl(
	io_object	: io_t;
    out	memobj		: mach_port_send_t);

${skips(8, '21020-21027: the shared-page conch protocol')}

/* 21028: name is a _PC_* number. */
routine io_pathconf(
	io_object	: io_t;
	name		: integer_t;
    out	value		: integer_t);

/* 21029: ports identifying the file and its file system, and its inode number. */
routine io_identity(
	io_object	: io_t;
    out	idport		: mach_port_send_t;
    out	fsidport	: mach_port_send_t;
    out	fileno		: ino64_t);

skip;	/* 21030: io_revoke */

/* 21031: io_select with a time limit. */
routine io_select_timeout(
	io_object	: io_t;
	ureplyport reply	: mach_port_make_send_t;
	timeout		: timespec_t;
    inout select_type	: integer_t);
`;
