/* Stand-in for glibc's Hurd-only <mach/mig_support.h>: just the helper
 * declarations that MIG-generated stubs call. The conformance harness
 * (fake_kernel.c) provides the definitions. Written for this project. */
#ifndef CONFORMANCE_MIG_SUPPORT_H
#define CONFORMANCE_MIG_SUPPORT_H

#include <mach/port.h>
#include <mach/message.h>
#include <mach/machine/vm_types.h>
#include <stddef.h>
#include <string.h>

extern mach_port_t mig_get_reply_port(void);
extern void mig_dealloc_reply_port(mach_port_t);
extern void mig_put_reply_port(mach_port_t);
extern void mig_allocate(vm_offset_t *, vm_size_t);
extern void mig_deallocate(vm_offset_t, vm_size_t);
extern void mig_reply_setup(const mach_msg_header_t *, mach_msg_header_t *);
extern size_t mig_strncpy(char *, const char *, size_t);

#endif
