/* Driver for a representative subset of GNU Mach's mach interface: port
 * out, out-of-line port arrays (^array[] of thread_t), inout words,
 * out-of-line data in and out (pointer_t), many outs, a struct out, a
 * bounded array out (thread_state_t), inline port arrays, polymorphic
 * reply_to ports. Written for this project; the .defs is used in place. */
#include "harness.h"
#include "mach_user.h"

#define TASK 0x3u

kern_return_t srv_task_create(mach_port_t t, boolean_t inherit, mach_port_t *child)
{
  jopen("server"); jport("target_task", t); jbool("inherit_memory", inherit); jclose();
  *child = 0x70;
  jopen("outs"); jport("child_task", *child); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_task_threads(mach_port_t t, thread_array_t *list, mach_msg_type_number_t *n)
{
  jopen("server"); jport("target_task", t); jclose();
  unsigned k = 3;
  *list = arena_server(k * sizeof(mach_port_t), 0);
  for (unsigned i = 0; i < k; i++) (*list)[i] = 0x80 + i;
  *n = k;
  jopen("outs"); jports("thread_list", *list, k); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_vm_allocate(mach_port_t t, vm_address_t *addr, vm_size_t size, boolean_t anywhere)
{
  jopen("server"); jport("target_task", t); jword("address", *addr); jword("size", size); jbool("anywhere", anywhere); jclose();
  *addr = (vm_address_t)0x40000000u;
  jopen("outs"); jword("address", *addr); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_vm_read(mach_port_t t, vm_address_t addr, vm_size_t size, vm_offset_t *data, mach_msg_type_number_t *n)
{
  jopen("server"); jport("target_task", t); jword("address", addr); jword("size", size); jclose();
  uint8_t *p = arena_server(size, 0);
  for (vm_size_t i = 0; i < size; i++) p[i] = (uint8_t)(i ^ 0x5a);
  *data = (vm_offset_t)p; *n = (mach_msg_type_number_t)size;
  jopen("outs"); jbytes("data", p, size); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_vm_write(mach_port_t t, vm_address_t addr, vm_offset_t data, mach_msg_type_number_t n)
{ jopen("server"); jport("target_task", t); jword("address", addr); jbytes("data", (const void *)data, n); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_vm_region(mach_port_t t, vm_address_t *addr, vm_size_t *size, vm_prot_t *prot, vm_prot_t *maxp,
                            vm_inherit_t *inh, boolean_t *shared, mach_port_t *obj, vm_offset_t *off)
{
  jopen("server"); jport("target_task", t); jword("address", *addr); jclose();
  *addr += 0x1000; *size = 0x20000; *prot = 3; *maxp = 7; *inh = 1; *shared = 1; *obj = 0x90; *off = 0x3000;
  jopen("outs"); jword("address", *addr); jword("size", *size); jint("protection", *prot); jint("max_protection", *maxp);
  jint("inheritance", *inh); jbool("is_shared", *shared); jport("object_name", *obj); jword("offset", *off);
  jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_vm_statistics(mach_port_t t, vm_statistics_data_t *s)
{
  jopen("server"); jport("target_task", t); jclose();
  integer_t *w = (integer_t *)s;
  for (unsigned i = 0; i < 13; i++) w[i] = (integer_t)(4096 + i * 17);
  jopen("outs"); jints("vm_stats", w, 13); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_ports_register(mach_port_t t, mach_port_array_t set, mach_msg_type_number_t n)
{ jopen("server"); jport("target_task", t); jports("init_port_set", set, n); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_memory_object_data_supply(mach_port_t c, vm_offset_t off, vm_offset_t data, mach_msg_type_number_t n,
                                            vm_prot_t lock, boolean_t precious, mach_port_t reply_to, mach_msg_type_name_t rp)
{
  jopen("server"); jport("memory_control", c); jword("offset", off); jbytes("data", (const void *)data, n);
  jint("lock_value", lock); jbool("precious", precious); jpoly("reply_to", reply_to, rp); jclose();
  SIMPLE_OUTS(0); return 0;
}
kern_return_t srv_memory_object_lock_request(mach_port_t c, vm_offset_t off, vm_size_t size, memory_object_return_t ret,
                                             boolean_t flush, vm_prot_t lock, mach_port_t reply_to, mach_msg_type_name_t rp)
{
  jopen("server"); jport("memory_control", c); jword("offset", off); jword("size", size); jint("should_return", ret);
  jbool("should_flush", flush); jint("lock_value", lock); jpoly("reply_to", reply_to, rp); jclose();
  SIMPLE_OUTS(0); return 0;
}
kern_return_t srv_memory_object_get_attributes(mach_port_t c, boolean_t *ready, boolean_t *may_cache,
                                               memory_object_copy_strategy_t *cs)
{
  jopen("server"); jport("memory_control", c); jclose();
  *ready = 1; *may_cache = 0; *cs = 2;
  jopen("outs"); jbool("object_ready", 1); jbool("may_cache", 0); jint("copy_strategy", 2); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_vm_map(mach_port_t t, vm_address_t *addr, vm_size_t size, vm_address_t mask, boolean_t anywhere,
                         mach_port_t obj, vm_offset_t off, boolean_t copy, vm_prot_t cur, vm_prot_t max, vm_inherit_t inh)
{
  jopen("server"); jport("target_task", t); jword("address", *addr); jword("size", size); jword("mask", mask);
  jbool("anywhere", anywhere); jport("memory_object", obj); jword("offset", off); jbool("copy", copy);
  jint("cur_protection", cur); jint("max_protection", max); jint("inheritance", inh); jclose();
  *addr = (vm_address_t)0x50000000u;
  jopen("outs"); jword("address", *addr); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_thread_get_state(mach_port_t th, int flavor, thread_state_t st, mach_msg_type_number_t *n)
{
  jopen("server"); jport("target_thread", th); jint("flavor", flavor); jclose();
  unsigned k = 17;
  for (unsigned i = 0; i < k; i++) st[i] = 0x1000 * i + (unsigned)flavor;
  *n = k;
  jopen("outs"); jints("old_state", (const int32_t *)st, k); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_task_set_special_port(mach_port_t t, int which, mach_port_t p)
{ jopen("server"); jport("task", t); jint("which_port", which); jport("special_port", p); jclose(); SIMPLE_OUTS(0); return 0; }

int main(void)
{
  kern_return_t r;
  { mach_port_t child = 0;
    call_begin("task_create", 0); jopen("args"); jport("target_task", TASK); jbool("inherit_memory", 1); jclose();
    r = task_create(TASK, 1, &child);
    jopen("client"); jport("child_task", child); jint("ret", r); jclose(); call_end(); }
  { thread_array_t list = 0; mach_msg_type_number_t n = 0;
    call_begin("task_threads", 0); jopen("args"); jport("target_task", TASK); jclose();
    r = task_threads(TASK, &list, &n);
    jopen("client"); jports("thread_list", list, n); jint("ret", r); jclose(); call_end(); }
  { vm_address_t a = 0x1000;
    call_begin("vm_allocate", 0); jopen("args"); jport("target_task", TASK); jword("address", a);
    jword("size", (vm_size_t)0x10000); jbool("anywhere", 1); jclose();
    r = vm_allocate(TASK, &a, 0x10000, 1);
    jopen("client"); jword("address", a); jint("ret", r); jclose(); call_end(); }
  { vm_offset_t d = 0; mach_msg_type_number_t n = 0;
    call_begin("vm_read", 0); jopen("args"); jport("target_task", TASK); jword("address", (vm_address_t)0x8000);
    jword("size", (vm_size_t)300); jclose();
    r = vm_read(TASK, 0x8000, 300, &d, &n);
    jopen("client"); jbytes("data", (const void *)d, n); jint("ret", r); jclose(); call_end(); }
  { uint8_t *p = arena_client(200, 0x100);
    for (unsigned i = 0; i < 200; i++) p[i] = (uint8_t)(255 - i);
    call_begin("vm_write", 0); jopen("args"); jport("target_task", TASK); jword("address", (vm_address_t)0x9000);
    jbytes("data", p, 200); jclose();
    r = vm_write(TASK, 0x9000, (vm_offset_t)p, 200); CLIENT_RET(r); call_end(); }
  { vm_address_t a = 0x7000; vm_size_t s = 0; vm_prot_t pr = 0, mp = 0; vm_inherit_t in = 0; boolean_t sh = 0;
    mach_port_t o = 0; vm_offset_t off = 0;
    call_begin("vm_region", 0); jopen("args"); jport("target_task", TASK); jword("address", a); jclose();
    r = vm_region(TASK, &a, &s, &pr, &mp, &in, &sh, &o, &off);
    jopen("client"); jword("address", a); jword("size", s); jint("protection", pr); jint("max_protection", mp);
    jint("inheritance", in); jbool("is_shared", sh); jport("object_name", o); jword("offset", off); jint("ret", r);
    jclose(); call_end(); }
  { vm_statistics_data_t st = {0};
    call_begin("vm_statistics", 0); jopen("args"); jport("target_task", TASK); jclose();
    r = vm_statistics(TASK, &st);
    jopen("client"); jints("vm_stats", (const int32_t *)&st, 13); jint("ret", r); jclose(); call_end(); }
  { /* mach_port_array_t is ^array[]: out-of-line, so from the arena. */
    mach_port_t *set = arena_client(3 * sizeof(mach_port_t), 0x10);
    set[0] = 0x31; set[1] = MACH_PORT_NULL; set[2] = 0x33;
    call_begin("mach_ports_register", 0); jopen("args"); jport("target_task", TASK); jports("init_port_set", set, 3); jclose();
    r = mach_ports_register(TASK, set, 3); CLIENT_RET(r); call_end(); }
  { uint8_t *p = arena_client(4096, 0);
    for (unsigned i = 0; i < 4096; i++) p[i] = (uint8_t)(i % 251);
    call_begin("memory_object_data_supply", 0); jopen("args"); jport("memory_control", 0x61);
    jword("offset", (vm_offset_t)0x4000); jbytes("data", p, 4096); jbool("dataDealloc", 1); jint("lock_value", 0);
    jbool("precious", 0); jport("reply_to", 0x65); jclose();
    r = memory_object_data_supply(0x61, 0x4000, (vm_offset_t)p, 4096, 1, 0, 0, 0x65);
    CLIENT_RET(r); call_end(); }
  { call_begin("memory_object_lock_request", 0); jopen("args"); jport("memory_control", 0x61);
    jword("offset", (vm_offset_t)0); jword("size", (vm_size_t)0x8000); jint("should_return", 1); jbool("should_flush", 1);
    jint("lock_value", 2); jport("reply_to", MACH_PORT_NULL); jclose();
    r = memory_object_lock_request(0x61, 0, 0x8000, 1, 1, 2, MACH_PORT_NULL);
    CLIENT_RET(r); call_end(); }
  { boolean_t rd = 0, mc = 1; memory_object_copy_strategy_t cs = 0;
    call_begin("memory_object_get_attributes", 0); jopen("args"); jport("memory_control", 0x61); jclose();
    r = memory_object_get_attributes(0x61, &rd, &mc, &cs);
    jopen("client"); jbool("object_ready", rd); jbool("may_cache", mc); jint("copy_strategy", cs); jint("ret", r);
    jclose(); call_end(); }
  { vm_address_t a = 0;
    call_begin("vm_map", 0); jopen("args"); jport("target_task", TASK); jword("address", a); jword("size", (vm_size_t)0x3000);
    jword("mask", (vm_address_t)0xfff); jbool("anywhere", 1); jport("memory_object", 0x60); jword("offset", (vm_offset_t)0x1000);
    jbool("copy", 0); jint("cur_protection", 3); jint("max_protection", 7); jint("inheritance", 1); jclose();
    r = vm_map(TASK, &a, 0x3000, 0xfff, 1, 0x60, 0x1000, 0, 3, 7, 1);
    jopen("client"); jword("address", a); jint("ret", r); jclose(); call_end(); }
  { static natural_t st[1024]; mach_msg_type_number_t n = 1024;
    call_begin("thread_get_state", 0); jopen("args"); jport("target_thread", 0x35); jint("flavor", 1); jclose();
    r = thread_get_state(0x35, 1, (thread_state_t)st, &n);
    jopen("client"); jints("old_state", (const int32_t *)st, n); jint("ret", r); jclose(); call_end(); }
  { call_begin("task_set_special_port", 0); jopen("args"); jport("task", TASK); jint("which_port", 3);
    jport("special_port", 0x36); jclose();
    r = task_set_special_port(TASK, 3, 0x36); CLIENT_RET(r); call_end(); }
  return 0;
}
