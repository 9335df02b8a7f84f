/* Stand-in for glibc's Hurd-only <mach/mig_support.h>: the few helpers MIG's
   user stubs call, implemented in steps.c. */
#ifndef CONF_MIG_SUPPORT_H
#define CONF_MIG_SUPPORT_H
#include <mach/port.h>
extern mach_port_t mig_get_reply_port(void);
extern void mig_dealloc_reply_port(mach_port_t);
extern void mig_put_reply_port(mach_port_t);
extern __SIZE_TYPE__ mig_strncpy(char *, const char *, __SIZE_TYPE__);
#include <mach/mach_types.h>
extern void mig_allocate(vm_address_t *, vm_size_t);
extern void mig_deallocate(vm_address_t, vm_size_t);
extern void *memcpy(void *, const void *, __SIZE_TYPE__);
extern void *memset(void *, int, __SIZE_TYPE__);
#endif
