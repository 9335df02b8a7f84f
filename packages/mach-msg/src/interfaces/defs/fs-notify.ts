import { HURD_TYPES_DEFS, MACH_TYPES_DEFS } from './types.js';

/**
 * The Hurd's change notifications (subsystem fs_notify, 20500): one-way
 * messages a file system sends to the port given to dir_notice_changes or
 * file_notice_changes. Facts: hurd-fs-interfaces.md §4.2 (dir_notice_changes).
 * The real servers send them with MACH_SEND_TIMEOUT 0, which does not change
 * the wire.
 */
export const FS_NOTIFY_DEFS = `/* fs_notify: file system change notifications (mach-msg built-in). */
subsystem fs_notify 20500;
${MACH_TYPES_DEFS}${HURD_TYPES_DEFS}
type dir_changed_type_t	= uint32_t;	/* DIR_CHANGED_*: NULL 0 (sent first), NEW, UNLINK, RENUMBER */
type file_changed_type_t	= uint32_t;	/* FILE_CHANGED_*: NULL 0, WRITE, EXTEND, TRUNCATE, META */

/* 20500: entry name of the directory changed; tickno counts the messages. */
simpleroutine dir_changed(
	notify_port	: mach_port_t;
	tickno		: natural_t;
	change		: dir_changed_type_t;
	name		: string_t);

/* 20501: bytes [start, end) of the file changed. */
simpleroutine file_changed(
	notify_port	: mach_port_t;
	tickno		: natural_t;
	change		: file_changed_type_t;
	start		: loff_t;
	end		: loff_t);
`;
