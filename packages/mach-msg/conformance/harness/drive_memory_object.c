/* Driver for GNU Mach's memory_object interface (all routines). Written for
 * this project; the .defs is used in place from gnumach-dev. */
#include "harness.h"
#include "memory_object_user.h"
#include <stdio.h>

#define SRV_BEGIN(obj) jopen("server"); jport("memory_object", (obj))
#define SRV_END() jclose(); SIMPLE_OUTS(0); return 0

kern_return_t srv_memory_object_init(mach_port_t o, mach_port_t c, mach_port_t n, vm_size_t ps)
{ SRV_BEGIN(o); jport("memory_control", c); jport("memory_object_name", n); jword("memory_object_page_size", ps); SRV_END(); }
kern_return_t srv_memory_object_terminate(mach_port_t o, mach_port_t c, mach_port_t n)
{ SRV_BEGIN(o); jport("memory_control", c); jport("memory_object_name", n); SRV_END(); }
kern_return_t srv_memory_object_copy(mach_port_t o, mach_port_t c, vm_offset_t off, vm_size_t len, mach_port_t n)
{ jopen("server"); jport("old_memory_object", o); jport("old_memory_control", c); jword("offset", off);
  jword("length", len); jport("new_memory_object", n); SRV_END(); }
kern_return_t srv_memory_object_data_request(mach_port_t o, mach_port_t c, vm_offset_t off, vm_size_t len, vm_prot_t a)
{ SRV_BEGIN(o); jport("memory_control", c); jword("offset", off); jword("length", len); jint("desired_access", a); SRV_END(); }
kern_return_t srv_memory_object_data_unlock(mach_port_t o, mach_port_t c, vm_offset_t off, vm_size_t len, vm_prot_t a)
{ SRV_BEGIN(o); jport("memory_control", c); jword("offset", off); jword("length", len); jint("desired_access", a); SRV_END(); }
kern_return_t srv_memory_object_lock_completed(mach_port_t o, mach_port_t c, vm_offset_t off, vm_size_t len)
{ SRV_BEGIN(o); jport("memory_control", c); jword("offset", off); jword("length", len); SRV_END(); }
kern_return_t srv_memory_object_supply_completed(mach_port_t o, mach_port_t c, vm_offset_t off, vm_size_t len, kern_return_t res, vm_offset_t eo)
{ SRV_BEGIN(o); jport("memory_control", c); jword("offset", off); jword("length", len); jint("result", res);
  jword("error_offset", eo); SRV_END(); }
kern_return_t srv_memory_object_data_return(mach_port_t o, mach_port_t c, vm_offset_t off, vm_offset_t data, mach_msg_type_number_t n, boolean_t dirty, boolean_t kc)
{ SRV_BEGIN(o); jport("memory_control", c); jword("offset", off); jbytes("data", (const void *)data, n);
  jbool("dirty", dirty); jbool("kernel_copy", kc); SRV_END(); }
kern_return_t srv_memory_object_change_completed(mach_port_t o, boolean_t mc, memory_object_copy_strategy_t cs)
{ SRV_BEGIN(o); jbool("may_cache", mc); jint("copy_strategy", cs); SRV_END(); }

#define OBJ 0x60u
#define CTL 0x61u
#define NAME 0x62u

int main(void)
{
  kern_return_t r;
  call_begin("memory_object_init", 2200);
  jopen("args"); jport("memory_object", OBJ); jport("memory_control", CTL); jport("memory_object_name", NAME);
  jword("memory_object_page_size", (vm_size_t)4096); jclose();
  r = memory_object_init(OBJ, CTL, NAME, 4096); CLIENT_RET(r); call_end();

  call_begin("memory_object_terminate", 2201);
  jopen("args"); jport("memory_object", OBJ); jport("memory_control", CTL); jport("memory_object_name", NAME); jclose();
  r = memory_object_terminate(OBJ, CTL, NAME); CLIENT_RET(r); call_end();

  call_begin("memory_object_copy", 2202);
  jopen("args"); jport("old_memory_object", OBJ); jport("old_memory_control", CTL);
  jword("offset", (vm_offset_t)0x3000); jword("length", (vm_size_t)0x2000); jport("new_memory_object", 0x63); jclose();
  r = memory_object_copy(OBJ, CTL, 0x3000, 0x2000, 0x63); CLIENT_RET(r); call_end();

  call_begin("memory_object_data_request", 2203);
  jopen("args"); jport("memory_object", OBJ); jport("memory_control", CTL); jword("offset", (vm_offset_t)0x10000);
  jword("length", (vm_size_t)4096); jint("desired_access", 3); jclose();
  r = memory_object_data_request(OBJ, CTL, 0x10000, 4096, 3); CLIENT_RET(r); call_end();

  call_begin("memory_object_data_unlock", 2204);
  jopen("args"); jport("memory_object", OBJ); jport("memory_control", CTL); jword("offset", (vm_offset_t)0x2000);
  jword("length", (vm_size_t)8192); jint("desired_access", 2); jclose();
  r = memory_object_data_unlock(OBJ, CTL, 0x2000, 8192, 2); CLIENT_RET(r); call_end();

  call_begin("memory_object_lock_completed", 2206);
  jopen("args"); jpoly("memory_object", OBJ, MACH_MSG_TYPE_MAKE_SEND_ONCE); jport("memory_control", CTL);
  jword("offset", (vm_offset_t)0); jword("length", (vm_size_t)0x4000); jclose();
  r = memory_object_lock_completed(OBJ, MACH_MSG_TYPE_MAKE_SEND_ONCE, CTL, 0, 0x4000); CLIENT_RET(r); call_end();

  call_begin("memory_object_supply_completed", 2207);
  jopen("args"); jpoly("memory_object", OBJ, MACH_MSG_TYPE_COPY_SEND); jport("memory_control", CTL);
  jword("offset", (vm_offset_t)0x1000); jword("length", (vm_size_t)0x1000); jint("result", KERN_MEMORY_PRESENT);
  jword("error_offset", (vm_offset_t)0x1800); jclose();
  r = memory_object_supply_completed(OBJ, MACH_MSG_TYPE_COPY_SEND, CTL, 0x1000, 0x1000, KERN_MEMORY_PRESENT, 0x1800);
  CLIENT_RET(r); call_end();

  uint8_t *page = arena_client(4096, 0);
  for (unsigned i = 0; i < 4096; i++) page[i] = (uint8_t)(i * 7 + 3);
  call_begin("memory_object_data_return", 2208);
  jopen("args"); jport("memory_object", OBJ); jport("memory_control", CTL); jword("offset", (vm_offset_t)0x5000);
  jbytes("data", page, 4096); jbool("dirty", 1); jbool("kernel_copy", 0); jclose();
  r = memory_object_data_return(OBJ, CTL, 0x5000, (vm_offset_t)page, 4096, 1, 0); CLIENT_RET(r); call_end();

  call_begin("memory_object_change_completed", 2209);
  jopen("args"); jpoly("memory_object", OBJ, MACH_MSG_TYPE_MAKE_SEND_ONCE); jbool("may_cache", 1);
  jint("copy_strategy", 2); jclose();
  r = memory_object_change_completed(OBJ, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1, 2); CLIENT_RET(r); call_end();
  return 0;
}
