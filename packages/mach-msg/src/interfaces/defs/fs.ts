import { HURD_TYPES_DEFS, MACH_TYPES_DEFS, skips } from './types.js';

/**
 * The Hurd's fs interface (subsystem fs, 20000): files and directories. The
 * routines left out are skipped so ids stay right. Facts:
 * hurd-fs-interfaces.md §4.2-§4.3.
 */
export const FS_DEFS = `/* fs: files and directories (mach-msg built-in, partial). */
subsystem fs 20000;
${MACH_TYPES_DEFS}${HURD_TYPES_DEFS}
skip;	/* 20000: file_exec */

/* 20001: -1 leaves the owner or group unchanged. */
routine file_chown(
	chown_file	: file_t;
	new_owner	: uid_t;
	new_group	: gid_t);

skip;	/* 20002: file_chauthor */

/* 20003 */
routine file_chmod(
	chmod_file	: file_t;
	new_mode	: mode_t);

skip;	/* 20004: file_chflags */

/* 20005: old call; microseconds -1 means now. */
routine file_utimes(
	utimes_file	: file_t;
	new_atime	: time_value_t;
	new_mtime	: time_value_t);

/* 20006: truncate or extend. */
routine file_set_size(
	trunc_file	: file_t;
	new_size	: loff_t);

skip; skip;	/* 20007, 20008: file_lock, file_lock_stat */

/* 20009: the O_READ/O_WRITE/O_EXEC bits the caller could open with. */
routine file_check_access(
	file		: file_t;
    out	allowed		: integer_t);

skip;	/* 20010: file_notice_changes */

/* 20011: the file system's control port. */
routine file_getcontrol(
	file		: file_t;
    out	control		: mach_port_send_t);

/* 20012 */
routine file_statfs(
	file		: file_t;
    out	info		: fsys_statfsbuf_t);

/* 20013 */
routine file_sync(
	file		: file_t;
	wait		: integer_t;
	omit_metadata	: integer_t);

/* 20014 */
routine file_syncfs(
	file		: file_t;
	wait		: integer_t;
	do_children	: integer_t);

/* 20015: the store behind the file: ports, ints, offsets and class data. */
routine file_get_storage_info(
	file		: file_t;
    out	ports		: portarray_t, dealloc;
    out	ints		: intarray_t, dealloc;
    out	offsets		: off_array_t, dealloc;
    out	data		: data_t, dealloc);

skip; skip;	/* 20016, 20017: file_getlinknode, file_getfh */

/* 20018: resolve file_name (several components allowed); the answer may
   ask the client to retry elsewhere (do_retry, retry_name). */
routine dir_lookup(
	start_dir	: file_t;
	file_name	: string_t;
	flags		: integer_t;
	mode		: mode_t;
    out	do_retry	: retry_type;
    out	retry_name	: string_t;
    out	result		: mach_port_send_t);

/* 20019: packed directory entries from index entry on. */
routine dir_readdir(
	dir		: file_t;
    out	data		: data_t, dealloc[];
	entry		: integer_t;
	nentries	: integer_t;
	bufsiz		: vm_size_t;
    out	amount		: integer_t);

/* 20020 */
routine dir_mkdir(
	directory	: file_t;
	name		: string_t;
	mode		: mode_t);

/* 20021 */
routine dir_rmdir(
	directory	: file_t;
	name		: string_t);

/* 20022 */
routine dir_unlink(
	directory	: file_t;
	name		: string_t);

/* 20023: a new hard link to file, which must belong to the same server. */
routine dir_link(
	dir		: file_t;
	file		: file_t;
	name		: string_t;
	excl		: integer_t);

/* 20024 */
routine dir_rename(
	olddirectory	: file_t;
	oldname		: string_t;
	newdirectory	: file_t;
	newname		: string_t;
	excl		: integer_t);

/* 20025: an unnamed new file in the directory. */
routine dir_mkfile(
	directory	: file_t;
	flags		: integer_t;
	mode		: mode_t;
    out	newnode		: mach_port_send_t);

/* 20026: send dir_changed messages to port. */
routine dir_notice_changes(
	directory	: file_t;
	port		: mach_port_send_t);

/* 20027: passive is an argz string; active a control port or null. */
routine file_set_translator(
	file		: file_t;
	passive_flags	: integer_t;
	active_flags	: integer_t;
	oldtrans_flags	: integer_t;
	passive		: data_t;
	active		: mach_port_send_t);

/* 20028: the passive translator's argz string. */
routine file_get_translator(
	file		: file_t;
    out	translator	: data_t, dealloc);

${skips(6, '20029-20034: translator control, fs options, reparent, unassigned, exec paths')}

/* 20035: tv_nsec UTIME_NOW (-1) or UTIME_OMIT (-2) are special. */
routine file_utimens(
	utimes_file	: file_t;
	new_atime	: timespec_t;
	new_mtime	: timespec_t);
`;
