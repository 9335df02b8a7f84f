/* Driver for a representative subset of GNU Mach's mach_port interface:
 * plain words, port names, out name arrays (inline and out-of-line),
 * polymorphic ports in and out, a struct out, rpc_uintptr_t, and an error
 * reply. Written for this project; the .defs is used in place. */
#include "harness.h"
#include "mach_port_user.h"
#include <mach/notify.h>

#define TASK 0x3u

static void names_out(const char *k, const mach_port_name_t *v, unsigned n) { jports(k, v, n); }

kern_return_t srv_mach_port_names(mach_port_t task, mach_port_name_array_t *names, mach_msg_type_number_t *namesCnt,
                                  mach_port_type_array_t *types, mach_msg_type_number_t *typesCnt)
{
  jopen("server"); jport("task", task); jclose();
  unsigned n = 5;
  /* Both arrays are ^array[]: always out-of-line, in the server's memory. */
  *names = arena_server(n * sizeof(mach_port_name_t), 0);
  *types = arena_server(n * sizeof(mach_port_type_t), 0);
  for (unsigned i = 0; i < n; i++) { (*names)[i] = 0x10 + i; (*types)[i] = (mach_port_type_t)(1u << (16 + i % 5)); }
  *namesCnt = n; *typesCnt = n;
  jopen("outs"); names_out("names", *names, n); jints("types", (const int32_t *)*types, n); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_port_type(mach_port_t task, mach_port_name_t name, mach_port_type_t *ptype)
{
  jopen("server"); jport("task", task); jport("name", name); jclose();
  if (name == 0x999) { SIMPLE_OUTS(KERN_INVALID_NAME); return KERN_INVALID_NAME; }
  *ptype = MACH_PORT_TYPE_SEND_RECEIVE;
  jopen("outs"); jint("ptype", *ptype); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_name_t *name)
{
  jopen("server"); jport("task", task); jint("right", right); jclose();
  *name = 0x77;
  jopen("outs"); jport("name", *name); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_port_deallocate(mach_port_t task, mach_port_name_t name)
{ jopen("server"); jport("task", task); jport("name", name); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_mach_port_mod_refs(mach_port_t task, mach_port_name_t name, mach_port_right_t right, mach_port_delta_t delta)
{ jopen("server"); jport("task", task); jport("name", name); jint("right", right); jint("delta", delta); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_mach_port_get_set_status(mach_port_t task, mach_port_name_t name, mach_port_name_array_t *members,
                                           mach_msg_type_number_t *membersCnt)
{
  jopen("server"); jport("task", task); jport("name", name); jclose();
  unsigned n = name == 0x51 ? 600 : 3;
  if (n > *membersCnt) *members = arena_server(n * sizeof(mach_port_name_t), 0);
  for (unsigned i = 0; i < n; i++) (*members)[i] = 0x1000 + i;
  *membersCnt = n;
  jopen("outs"); names_out("members", *members, n); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_port_request_notification(mach_port_t task, mach_port_name_t name, mach_msg_id_t id,
                                                 mach_port_mscount_t sync, mach_port_t notify, mach_port_t *previous,
                                                 mach_msg_type_name_t *previousPoly)
{
  jopen("server"); jport("task", task); jport("name", name); jint("id", id); jint("sync", sync);
  jport("notify", notify); jclose();
  *previous = 0x88; *previousPoly = MACH_MSG_TYPE_MOVE_SEND_ONCE;
  jopen("outs"); jpoly("previous", *previous, *previousPoly); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_port_insert_right(mach_port_t task, mach_port_name_t name, mach_port_t poly, mach_msg_type_name_t polyPoly)
{ jopen("server"); jport("task", task); jport("name", name); jpoly("poly", poly, polyPoly); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_mach_port_extract_right(mach_port_t task, mach_port_name_t name, mach_msg_type_name_t msgt_name,
                                          mach_port_t *poly, mach_msg_type_name_t *polyPoly)
{
  jopen("server"); jport("task", task); jport("name", name); jint("msgt_name", msgt_name); jclose();
  *poly = 0x99; *polyPoly = msgt_name;
  jopen("outs"); jpoly("poly", *poly, *polyPoly); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_port_get_receive_status(mach_port_t task, mach_port_name_t name, mach_port_status_t *s)
{
  jopen("server"); jport("task", task); jport("name", name); jclose();
  s->mps_pset = 0x44; s->mps_seqno = 7; s->mps_mscount = 2; s->mps_qlimit = 5; s->mps_msgcount = 1;
  s->mps_sorights = 3; s->mps_srights = 1; s->mps_pdrequest = 0; s->mps_nsrequest = 1;
  jopen("outs"); jbytes("status", s, sizeof *s); jint("ret", 0); jclose();
  return 0;
}
kern_return_t srv_mach_port_set_protected_payload(mach_port_t task, mach_port_name_t name, rpc_uintptr_t payload)
{ jopen("server"); jport("task", task); jport("name", name); jword("payload", payload); jclose(); SIMPLE_OUTS(0); return 0; }

int main(void)
{
  kern_return_t r;
  {
    call_begin("mach_port_names", 3200);
    jopen("args"); jport("task", TASK); jclose();
    mach_port_name_array_t names = 0; mach_port_type_array_t types = 0;
    mach_msg_type_number_t nn = 0, nt = 0;
    r = mach_port_names(TASK, &names, &nn, &types, &nt);
    jopen("client"); names_out("names", names, nn); jints("types", (const int32_t *)types, nt); jint("ret", r); jclose();
    call_end();
  }
  for (int k = 0; k < 2; k++) {
    mach_port_name_t name = k ? 0x999 : 0x20;
    call_begin("mach_port_type", 3201);
    jopen("args"); jport("task", TASK); jport("name", name); jclose();
    mach_port_type_t t = 0;
    r = mach_port_type(TASK, name, &t);
    jopen("client"); if (!r) jint("ptype", t); jint("ret", r); jclose(); call_end();
  }
  {
    call_begin("mach_port_allocate", 3204);
    jopen("args"); jport("task", TASK); jint("right", MACH_PORT_RIGHT_RECEIVE); jclose();
    mach_port_name_t n = 0;
    r = mach_port_allocate(TASK, MACH_PORT_RIGHT_RECEIVE, &n);
    jopen("client"); jport("name", n); jint("ret", r); jclose(); call_end();
  }
  call_begin("mach_port_deallocate", 3206);
  jopen("args"); jport("task", TASK); jport("name", 0x21); jclose();
  r = mach_port_deallocate(TASK, 0x21); CLIENT_RET(r); call_end();

  call_begin("mach_port_mod_refs", 3208);
  jopen("args"); jport("task", TASK); jport("name", 0x22); jint("right", MACH_PORT_RIGHT_SEND); jint("delta", -3); jclose();
  r = mach_port_mod_refs(TASK, 0x22, MACH_PORT_RIGHT_SEND, -3); CLIENT_RET(r); call_end();

  for (int k = 0; k < 2; k++) {
    mach_port_name_t set = k ? 0x51 : 0x50;
    call_begin("mach_port_get_set_status", 3214);
    jopen("args"); jport("task", TASK); jport("name", set); jclose();
    static mach_port_name_t mb[512];
    mach_port_name_array_t m = mb; mach_msg_type_number_t n = 512;
    r = mach_port_get_set_status(TASK, set, &m, &n);
    jopen("client"); names_out("members", m, n); jint("ret", r); jclose(); call_end();
  }
  {
    call_begin("mach_port_request_notification", 3216);
    jopen("args"); jport("task", TASK); jport("name", 0x23); jint("id", MACH_NOTIFY_NO_SENDERS); jint("sync", 1);
    jpoly("notify", 0x24, MACH_MSG_TYPE_MAKE_SEND_ONCE); jclose();
    mach_port_t prev = 0;
    r = mach_port_request_notification(TASK, 0x23, MACH_NOTIFY_NO_SENDERS, 1, 0x24, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
    jopen("client"); jport("previous", prev); jint("ret", r); jclose(); call_end();
  }
  call_begin("mach_port_insert_right", 3217);
  jopen("args"); jport("task", TASK); jport("name", 0x25); jpoly("poly", 0x25, MACH_MSG_TYPE_MAKE_SEND); jclose();
  r = mach_port_insert_right(TASK, 0x25, 0x25, MACH_MSG_TYPE_MAKE_SEND); CLIENT_RET(r); call_end();
  {
    call_begin("mach_port_extract_right", 3218);
    jopen("args"); jport("task", TASK); jport("name", 0x26); jint("msgt_name", MACH_MSG_TYPE_MOVE_RECEIVE); jclose();
    mach_port_t p = 0; mach_msg_type_name_t pp = 0;
    r = mach_port_extract_right(TASK, 0x26, MACH_MSG_TYPE_MOVE_RECEIVE, &p, &pp);
    jopen("client"); jpoly("poly", p, pp); jint("ret", r); jclose(); call_end();
  }
  {
    call_begin("mach_port_get_receive_status", 3219);
    jopen("args"); jport("task", TASK); jport("name", 0x27); jclose();
    mach_port_status_t s = {0};
    r = mach_port_get_receive_status(TASK, 0x27, &s);
    jopen("client"); jbytes("status", &s, sizeof s); jint("ret", r); jclose(); call_end();
  }
  call_begin("mach_port_set_protected_payload", 3222);
  jopen("args"); jport("task", TASK); jport("name", 0x28); jword("payload", (rpc_uintptr_t)0xdeadbeefcafef00dull); jclose();
  r = mach_port_set_protected_payload(TASK, 0x28, (rpc_uintptr_t)0xdeadbeefcafef00dull); CLIENT_RET(r); call_end();
  return 0;
}
