/* Driver for GNU Mach's notify interface (all routines). Written for this
 * project; the .defs is used in place from gnumach-dev. */
#include "harness.h"
#include "notify_user.h"

kern_return_t srv_do_mach_notify_port_deleted(mach_port_t notify, mach_port_name_t name)
{ jopen("server"); jport("notify", notify); jport("name", name); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_do_mach_notify_msg_accepted(mach_port_t notify, mach_port_name_t name)
{ jopen("server"); jport("notify", notify); jport("name", name); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_do_mach_notify_port_destroyed(mach_port_t notify, mach_port_t rights)
{ jopen("server"); jport("notify", notify); jport("rights", rights); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_do_mach_notify_no_senders(mach_port_t notify, mach_port_mscount_t mscount)
{ jopen("server"); jport("notify", notify); jint("mscount", mscount); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_do_mach_notify_send_once(mach_port_t notify)
{ jopen("server"); jport("notify", notify); jclose(); SIMPLE_OUTS(0); return 0; }
kern_return_t srv_do_mach_notify_dead_name(mach_port_t notify, mach_port_name_t name)
{ jopen("server"); jport("notify", notify); jport("name", name); jclose(); SIMPLE_OUTS(0); return 0; }

#define N 0xfu

int main(void)
{
  kern_return_t r;
  call_begin("mach_notify_port_deleted", 65);
  jopen("args"); jport("notify", N); jport("name", 0x123); jclose();
  r = mach_notify_port_deleted(N, 0x123); CLIENT_RET(r); call_end();

  call_begin("mach_notify_msg_accepted", 66);
  jopen("args"); jport("notify", N); jport("name", 0x124); jclose();
  r = mach_notify_msg_accepted(N, 0x124); CLIENT_RET(r); call_end();

  call_begin("mach_notify_port_destroyed", 69);
  jopen("args"); jport("notify", N); jpoly("rights", 0x125, MACH_MSG_TYPE_MOVE_RECEIVE); jclose();
  r = mach_notify_port_destroyed(N, 0x125, MACH_MSG_TYPE_MOVE_RECEIVE); CLIENT_RET(r); call_end();

  call_begin("mach_notify_no_senders", 70);
  jopen("args"); jport("notify", N); jint("mscount", 1); jclose();
  r = mach_notify_no_senders(N, 1); CLIENT_RET(r); call_end();

  call_begin("mach_notify_no_senders", 70);
  jopen("args"); jport("notify", N); jint("mscount", 0xfffffffeu); jclose();
  r = mach_notify_no_senders(N, 0xfffffffeu); CLIENT_RET(r); call_end();

  call_begin("mach_notify_send_once", 71);
  jopen("args"); jport("notify", N); jclose();
  r = mach_notify_send_once(N); CLIENT_RET(r); call_end();

  call_begin("mach_notify_dead_name", 72);
  jopen("args"); jport("notify", N); jport("name", 0x126); jclose();
  r = mach_notify_dead_name(N, 0x126); CLIENT_RET(r); call_end();
  return 0;
}
