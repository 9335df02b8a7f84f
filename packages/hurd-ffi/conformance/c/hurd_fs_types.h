/*
 * The C types behind the names mach-msg's own io/fs declarations use
 * (packages/mach-msg/src/interfaces/defs/types.ts), for the user stubs the
 * real MIG generates from them (build.sh). Those declarations have no
 * `import` statements, so MIG's headers name these types without defining
 * them: build.sh force-includes this file before ioUser.c and fsUser.c, and
 * fsclient.c includes it before io.h and fs.h.
 *
 * Every size follows the wire type the declaration gives (MIG's generated
 * code checks them with _Static_assert): structures are flattened arrays of
 * their widest field (io_statbuf_t: struct stat64, 22 x int64 on x86_64,
 * 32 x int32 on i386; hurd-fs-interfaces.md section 2).
 */
#ifndef HURD_FS_TYPES_H
#define HURD_FS_TYPES_H
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>

/* Send rights a routine names by their disposition (MIG's polymorphic port
   types: the stub passes a name plus a disposition). */
typedef mach_port_t mach_port_send_t;
typedef mach_port_t mach_port_make_send_t;

/* Hurd objects: send rights. */
typedef mach_port_t io_t;
typedef mach_port_t file_t;
typedef mach_port_t fsys_t;
typedef mach_port_t auth_t;

/* Scalars: uint32 / int64 on the wire, whatever the ABI. */
typedef unsigned int mode_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned int retry_type;
typedef long long loff_t;
typedef long long ino64_t;

/* Variable arrays: a pointer plus a count (MIG's unbounded arrays). */
typedef char *data_t;
typedef const char *const_data_t;
typedef uid_t *idarray_t;
typedef const uid_t *const_idarray_t;
typedef int *intarray_t;
typedef loff_t *off_array_t;
typedef mach_port_t *portarray_t;
typedef const mach_port_t *const_portarray_t;

/* string_t: MIG's c_string[1024], a fixed 1024-byte buffer. */
typedef char string_t[1024];
typedef const char *const_string_t;

/* struct[2] of rpc_long_integer_t: tv_sec, tv_nsec (a C long, the word size). */
typedef struct { long tv_sec; long tv_nsec; } timespec_t;

#ifdef __x86_64__
typedef struct { long long w[22]; } io_statbuf_t;      /* struct stat64, 176 bytes */
typedef struct { long long w[14]; } fsys_statfsbuf_t;  /* struct statfs64, 112 bytes */
#else
typedef struct { int w[32]; } io_statbuf_t;            /* struct stat64, 128 bytes */
typedef struct { int w[22]; } fsys_statfsbuf_t;        /* struct statfs64, 88 bytes */
#endif
#endif
