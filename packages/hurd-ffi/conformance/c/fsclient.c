/*
 * A real Mach client of a Hurd filesystem, run by the agent in a host task's
 * worker thread (agent.c, op FSCLIENT): dir_lookup, io_stat and io_read
 * with messages laid out as MIG's user stubs lay them out
 * (hurd-fs-interfaces.md sections 2-4: every item a type descriptor then its
 * data, the position rounded up to ALIGN; string_t a fixed c_string[1024];
 * loff_t I64; vm_size_t the word size; data_t long form, inline up to 2048
 * bytes, else out-of-line). Each call is one mach_msg(SEND|RCV) on a reply
 * port of this task, as a user stub makes it, so the server's answers
 * cross the real kernel.
 *
 * Results, as text lines (steps.h):
 *   R 0 <lookup kr or RetCode> <do_retry>   the dir_lookup
 *   R 1 <kr> then D 1 <stat words>           io_stat's io_statbuf_t item data
 *   R 2 <kr> <bytes>, D 2 <bytes>            io_read from offset 0 to EOF
 * A call that fails stops the sequence.
 */
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>
#include "mach.h"
#include "mach_port.h"
#include "steps.h"

#define ID_DIR_LOOKUP 20018
#define ID_IO_READ 21001
#define ID_IO_STAT 21013
#define O_READ_ 1
#define MIG_TYPE_ERROR_ (-300)
#define MIG_REPLY_MISMATCH_ (-301)
#define READ_CHUNK 8192
#define READ_MAX 32768

#define TD ((u32)sizeof(mach_msg_type_t))
#define RUP(x) (((x) + ALIGN - 1) & ~(u32)(ALIGN - 1))

static unsigned char cbuf[8192] __attribute__((aligned(16)));
static unsigned char data[READ_MAX];

/* One short-form descriptor at `off`; returns the offset of its data. */
static u32 put_type(u32 off, u32 name, u32 size, u32 number, int longform) {
  mach_msg_type_t *t = (mach_msg_type_t *)(cbuf + off);
  memset(t, 0, sizeof *t);
  t->msgt_name = name;
  t->msgt_size = size;
  t->msgt_number = number;
  t->msgt_inline = 1;
  t->msgt_longform = longform;
  return off + TD;
}

static void put_header(u32 size, mach_port_t dest, mach_port_t reply, u32 id) {
  mach_msg_header_t *h = (mach_msg_header_t *)cbuf;
  memset(h, 0, sizeof *h);
  h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  h->msgh_size = size;
  h->msgh_remote_port = dest;
  h->msgh_local_port = reply;
  h->msgh_id = id;
}

/* mach_msg(SEND|RCV) as a user stub does it; on success the reply's RetCode
   (or MIG_REPLY_MISMATCH for a reply that is not this call's). */
static kern_return_t rpc(u32 size, mach_port_t dest, u32 id) {
  mach_port_t reply = mig_get_reply_port();
  put_header(size, dest, reply, id);
  kern_return_t kr = mach_msg_trap((mach_msg_header_t *)cbuf, MACH_SEND_MSG | MACH_RCV_MSG, size, sizeof cbuf, reply, 0, 0);
  if (kr != MACH_MSG_SUCCESS) return kr;
  mach_msg_header_t *h = (mach_msg_header_t *)cbuf;
  if (h->msgh_id != id + 100) return MIG_REPLY_MISMATCH_;
  if (h->msgh_size < HDR_SIZE + TD + 4) return MIG_TYPE_ERROR_;
  return *(int *)(cbuf + HDR_SIZE + TD);
}

/* After RetCode: the offset of the next item. */
#define AFTER_RETCODE RUP(HDR_SIZE + TD + 4)

static kern_return_t dir_lookup_(mach_port_t dir, const char *path, u32 plen, u32 *retry, mach_port_t *result) {
  u32 o = put_type(HDR_SIZE, MACH_MSG_TYPE_STRING_C, 8, 1024, 0);
  memset(cbuf + o, 0, 1024);
  memcpy(cbuf + o, path, plen < 1023 ? plen : 1023);
  o = RUP(o + 1024);
  o = put_type(o, MACH_MSG_TYPE_INTEGER_32, 32, 1, 0);
  *(int *)(cbuf + o) = O_READ_;
  o = RUP(o + 4);
  o = put_type(o, MACH_MSG_TYPE_INTEGER_32, 32, 1, 0);
  *(int *)(cbuf + o) = 0;
  o = RUP(o + 4);
  kern_return_t kr = rpc(o, dir, ID_DIR_LOOKUP);
  if (kr != KERN_SUCCESS) return kr;
  u32 r = AFTER_RETCODE;
  *retry = *(u32 *)(cbuf + r + TD);
  r = RUP(r + TD + 4);
  r = RUP(r + TD + 1024); /* retry_name: the export answers "" for a plain lookup */
  *result = *(mach_port_t *)(cbuf + r + TD);
  return KERN_SUCCESS;
}

static kern_return_t io_stat_(mach_port_t io, unsigned char *st, u32 *stlen) {
  kern_return_t kr = rpc(HDR_SIZE, io, ID_IO_STAT);
  if (kr != KERN_SUCCESS) return kr;
  mach_msg_header_t *h = (mach_msg_header_t *)cbuf;
  u32 at = AFTER_RETCODE + TD;
  *stlen = h->msgh_size > at ? h->msgh_size - at : 0;
  if (*stlen > 256) *stlen = 256;
  memcpy(st, cbuf + at, *stlen);
  return KERN_SUCCESS;
}

/* One io_read; the data lands in `into`, out-of-line pages freed. */
static kern_return_t io_read_(mach_port_t io, u64 offset, u32 amount, unsigned char *into, u32 room, u32 *got) {
  u32 o = put_type(HDR_SIZE, MACH_MSG_TYPE_INTEGER_64, 64, 1, 0);
  memcpy(cbuf + o, &offset, 8);
  o = RUP(o + 8);
#ifdef __x86_64__
  o = put_type(o, MACH_MSG_TYPE_INTEGER_64, 64, 1, 0);
  { u64 a = amount; memcpy(cbuf + o, &a, 8); }
  o = RUP(o + 8);
#else
  o = put_type(o, MACH_MSG_TYPE_INTEGER_32, 32, 1, 0);
  *(u32 *)(cbuf + o) = amount;
  o = RUP(o + 4);
#endif
  kern_return_t kr = rpc(o, io, ID_IO_READ);
  if (kr != KERN_SUCCESS) return kr;
  u32 at = AFTER_RETCODE;
  mach_msg_type_t *t = (mach_msg_type_t *)(cbuf + at);
  u32 n, dat;
#ifdef __x86_64__
  n = t->msgt_number; /* x86_64: the long form is the short form with longform set */
  dat = at + TD;
#else
  mach_msg_type_long_t *lt = (mach_msg_type_long_t *)t;
  n = lt->msgtl_number;
  dat = at + (u32)sizeof(mach_msg_type_long_t);
#endif
  const unsigned char *src = cbuf + dat;
  uptr ool = 0;
  if (!t->msgt_inline) {
    ool = *(uptr *)(cbuf + dat);
    src = (const unsigned char *)ool;
  }
  u32 take = n < room ? n : room;
  memcpy(into, src, take);
  if (ool != 0) vm_deallocate(self, (vm_address_t)ool, n);
  *got = take;
  return KERN_SUCCESS;
}

/* Arguments: dir name, path length, then the path's bytes in words. */
void fsclient_run(const u32 *args, u32 nwords) {
  if (nwords < 2) { putc_('X'); puts_(" fsclient args"); eol(); return; }
  mach_port_t dir = args[0];
  u32 plen = args[1];
  if (plen > 1023 || (plen + 3) / 4 > nwords - 2) { putc_('X'); puts_(" fsclient path"); eol(); return; }
  u32 retry = 0;
  mach_port_t file = MACH_PORT_NULL;
  kern_return_t kr = dir_lookup_(dir, (const char *)(args + 2), plen, &retry, &file);
  putc_('R'); sp_hex(0); sp_hex((u32)kr); sp_hex(retry); eol();
  if (kr != KERN_SUCCESS) return;
  unsigned char st[256];
  u32 stlen = 0;
  kr = io_stat_(file, st, &stlen);
  putc_('R'); sp_hex(1); sp_hex((u32)kr); eol();
  if (kr == KERN_SUCCESS) { putc_('D'); sp_hex(1); bytes_hex(st, stlen); eol(); }
  u32 total = 0;
  for (;;) {
    u32 got = 0;
    kr = io_read_(file, total, READ_CHUNK, data + total, READ_MAX - total, &got);
    if (kr != KERN_SUCCESS || got == 0 || total + got >= READ_MAX) { total += kr == KERN_SUCCESS ? got : 0; break; }
    total += got;
  }
  putc_('R'); sp_hex(2); sp_hex((u32)kr); sp_hex(total); eol();
  putc_('D'); sp_hex(2); bytes_hex(data, total); eol();
  mach_port_deallocate(self, file);
}
