/**
 * The type declarations our built-in interfaces share, in the .defs language.
 * Written for this package from the wire facts (mach-abi.md §4-§5,
 * hurd-fs-interfaces.md §2): each name gets the MIG wire type that GNU Mach's
 * and the Hurd's own stubs use, so our layouts match theirs byte for byte.
 *
 * `uintptr_t` is MIG's built-in pointer-sized integer (INTEGER_64 on x86_64,
 * INTEGER_32 on i386). `__x86_64__` is defined by the preprocessor when the
 * compiler targets the x86_64 ABI, as `gcc -E` does for the real MIG.
 */

/** Mach's scalar, pointer-sized and port types. */
export const MACH_TYPES_DEFS = `
/* ---- scalars ---------------------------------------------------------- */
type int32_t	= MACH_MSG_TYPE_INTEGER_32;
type uint32_t	= MACH_MSG_TYPE_INTEGER_32;
type int64_t	= MACH_MSG_TYPE_INTEGER_64;
type uint64_t	= MACH_MSG_TYPE_INTEGER_64;
type boolean_t	= MACH_MSG_TYPE_BOOLEAN;	/* a 32-bit word on the wire */
type natural_t	= uint32_t;
type integer_t	= int32_t;
type kern_return_t = integer_t;

/* Widths that follow the ABI: 8 bytes on x86_64, 4 on i386. */
type vm_address_t	= uintptr_t;
type vm_offset_t	= uintptr_t;
type vm_size_t		= uintptr_t;
type rpc_uintptr_t	= uintptr_t;
#ifdef __x86_64__
type rpc_long_integer_t = int64_t;
#else
type rpc_long_integer_t = int32_t;
#endif

type vm_prot_t				= integer_t;
type vm_inherit_t			= integer_t;
type memory_object_copy_strategy_t	= integer_t;
type memory_object_return_t		= integer_t;

/* Out-of-line bytes, always sent by reference. */
type pointer_t = ^array[] of MACH_MSG_TYPE_BYTE;

/* ---- ports ------------------------------------------------------------ */
type mach_port_t		= MACH_MSG_TYPE_COPY_SEND;
type mach_port_name_t		= MACH_MSG_TYPE_PORT_NAME;	/* a plain number */
type mach_port_send_t		= MACH_MSG_TYPE_PORT_SEND;	/* sender picks the disposition */
type mach_port_send_once_t	= MACH_MSG_TYPE_PORT_SEND_ONCE;
type mach_port_receive_t	= MACH_MSG_TYPE_PORT_RECEIVE;
type mach_port_make_send_t	= MACH_MSG_TYPE_MAKE_SEND;
type mach_port_move_send_t	= MACH_MSG_TYPE_MOVE_SEND;
type mach_port_move_receive_t	= MACH_MSG_TYPE_MOVE_RECEIVE;
type mach_port_poly_t		= polymorphic;
/* A reply right the caller may pass as any send-once disposition. */
type mach_reply_to_t		= MACH_MSG_TYPE_MAKE_SEND_ONCE | polymorphic;

/* Kernel objects named by a send right. */
type task_t			= mach_port_t;
type vm_task_t			= mach_port_t;
type ipc_space_t		= mach_port_t;
type memory_object_t		= mach_port_t;
type memory_object_control_t	= mach_port_t;
type memory_object_name_t	= mach_port_t;
`;

/** The Hurd's file-system types (hurd_types.defs facts), on top of Mach's. */
export const HURD_TYPES_DEFS = `
/* ---- Hurd scalars ----------------------------------------------------- */
type mode_t		= uint32_t;
type uid_t		= uint32_t;
type gid_t		= uint32_t;
type retry_type		= uint32_t;	/* FS_RETRY_* */
type loff_t		= int64_t;	/* 4-aligned data on i386 */
type ino64_t		= int64_t;

/* ---- Hurd objects: send rights, passed as COPY_SEND ------------------- */
type file_t	= mach_port_t;
type io_t	= mach_port_t;
type fsys_t	= mach_port_t;
type auth_t	= mach_port_t;

/* ---- strings and arrays ----------------------------------------------- */
type string_t		= c_string[1024];			/* always 1024 bytes */
type data_t		= array[] of char;	/* inline up to 2048 bytes; MIG wants a named element type (its predefined char: CHAR, 8 bits) */
type idarray_t		= array[] of uid_t;
type intarray_t		= array[] of int32_t;
type off_array_t	= array[] of loff_t;
type portarray_t	= array[] of mach_port_send_t;

/* ---- structures, sent flattened as arrays of their widest field ------- */
type timespec_t		= struct[2] of rpc_long_integer_t;	/* tv_sec, tv_nsec */
type time_value_t	= struct[2] of rpc_long_integer_t;	/* seconds, microseconds */
#ifdef __x86_64__
type io_statbuf_t	= struct[22] of int64_t;	/* struct stat64: 176 bytes */
type fsys_statfsbuf_t	= struct[14] of int64_t;	/* struct statfs64: 112 bytes */
#else
type io_statbuf_t	= struct[32] of int32_t;	/* struct stat64: 128 bytes */
type fsys_statfsbuf_t	= struct[22] of int32_t;	/* struct statfs64: 88 bytes */
#endif
`;

/**
 * `count` consecutive `skip;` statements: ids the interface reserves but our
 * declarations leave out (MIG counts a skip as a routine, so the ids of the
 * routines after it stay right).
 */
export function skips(count: number, why: string): string {
  return `${'skip; '.repeat(count).trimEnd()}\t/* ${why} */`;
}
