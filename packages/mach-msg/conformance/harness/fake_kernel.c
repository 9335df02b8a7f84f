/* An imitation of GNU Mach's ipc_kmsg copyin/copyout for the conformance
 * harness, for the i386 ABI (built with -m32) and the x86_64 ABI.
 * Written for this project (Apache-2.0). The rules it follows are listed in
 * the project's reference notes (mach-abi.md §3-§4):
 *  - header: the receiver sees bits MACH_MSGH_BITS(reply_type, dest_type)
 *    with the dispositions in their received form, remote = the reply
 *    right's name, local = the receive right's name, seqno set;
 *  - body: port dispositions become MOVE_RECEIVE -> 16, *_SEND -> 17,
 *    *_SEND_ONCE -> 18; port names (not PORT_NAME data) are renamed; on
 *    x86_64 every inline port is written as a full 8-byte name;
 *  - out-of-line items are copied into the receiver's space keeping the
 *    sender's page offset, and arrive with msgt_deallocate set (inline items
 *    with it clear); a zero-length item arrives as address 0;
 *  - COMPLEX is cleared when the body has no port and no out-of-line item. */
#define _GNU_SOURCE 1
#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ABI64 (sizeof(void *) == 8)
#define ALIGN_UP(x) (ABI64 ? (((x) + 7u) & ~7u) : (((x) + 3u) & ~3u))
#define HDR_SIZE (ABI64 ? 32u : 24u)
#define PAGE 4096u

/* ---- the fixed arena ---------------------------------------------------- */

#define CLIENT_BASE 0x20000000ul
#define SERVER_BASE 0x24000000ul
#define REGION (64ul << 20)

static uintptr_t client_next = CLIENT_BASE, server_next = SERVER_BASE;
static int in_server;

static void arena_init(void)
{
  static int done;
  if (done)
    return;
  done = 1;
  void *c = mmap((void *)CLIENT_BASE, 2 * REGION, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (c != (void *)CLIENT_BASE) {
    perror("harness: mmap of the fixed arena");
    exit(2);
  }
}

static void *arena_take(uintptr_t *next, uintptr_t base, size_t n, unsigned off)
{
  arena_init();
  uintptr_t a = *next + (off % PAGE);
  size_t span = ((off % PAGE) + n + PAGE - 1) / PAGE * PAGE;
  if (span == 0)
    span = PAGE;
  if (*next + span > base + REGION) {
    fprintf(stderr, "harness: arena exhausted\n");
    exit(2);
  }
  *next += span;
  memset((void *)a, 0, n);
  return (void *)a;
}

void *arena_client(size_t n, unsigned off) { return arena_take(&client_next, CLIENT_BASE, n, off); }
void *arena_server(size_t n, unsigned off) { return arena_take(&server_next, SERVER_BASE, n, off); }

/* ---- MIG support routines (what glibc provides on the Hurd) ------------- */

mach_port_t mig_get_reply_port(void) { return HARNESS_REPLY_PORT; }
void mig_dealloc_reply_port(mach_port_t p) { (void)p; }
void mig_put_reply_port(mach_port_t p) { (void)p; }
void mig_allocate(vm_offset_t *addr, vm_size_t size)
{
  *addr = (vm_offset_t)(in_server ? arena_server(size, 0) : arena_client(size, 0));
}
void mig_deallocate(vm_offset_t addr, vm_size_t size) { (void)addr; (void)size; }
void mig_reply_setup(const mach_msg_header_t *in, mach_msg_header_t *out) { (void)in; (void)out; abort(); }
/* glibc's semantics: copy at most len-1 characters, zero-fill up to len-1,
 * always terminate, and return the length of the copied string (without the
 * NUL). MIG's stubs turn that into msgt_number = length + 1. */
size_t mig_strncpy(char *dst, const char *src, size_t len)
{
  size_t n = 0;
  if (len == 0)
    return 0;
  while (n < len - 1 && src[n] != '\0') {
    dst[n] = src[n];
    n++;
  }
  memset(dst + n, 0, len - n);
  return n;
}

/* ---- byte helpers ------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uintptr_t rdptr(const uint8_t *p) { uintptr_t v; memcpy(&v, p, sizeof v); return v; }
static void wrptr(uint8_t *p, uintptr_t v) { memcpy(p, &v, sizeof v); }

static void hex(const void *p, size_t n)
{
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    printf("%02x", b[i]);
}

/* ---- descriptors -------------------------------------------------------- */

struct desc {
  unsigned name, size, number, inl, longf, dealloc, len;
};

static void read_desc(const uint8_t *p, struct desc *d)
{
  uint32_t w = rd32(p);
  d->name = w & 0xff;
  if (ABI64) {
    d->size = (w >> 8) & 0xffff;
    d->inl = (w >> 29) & 1;
    d->longf = (w >> 30) & 1;
    d->dealloc = (w >> 31) & 1;
    d->number = rd32(p + 4);
    d->len = 8;
  } else {
    d->size = (w >> 8) & 0xff;
    d->number = (w >> 16) & 0xfff;
    d->inl = (w >> 28) & 1;
    d->longf = (w >> 29) & 1;
    d->dealloc = (w >> 30) & 1;
    d->len = 4;
    if (d->longf) {
      d->name = rd16(p + 4);
      d->size = rd16(p + 6);
      d->number = rd32(p + 8);
      d->len = 12;
    }
  }
}

static void set_name(uint8_t *p, const struct desc *d, unsigned name)
{
  if (!ABI64 && d->longf)
    wr16(p + 4, (uint16_t)name);
  else
    p[0] = (uint8_t)name;
}

static void set_dealloc(uint8_t *p, unsigned v)
{
  uint32_t w = rd32(p);
  uint32_t bit = ABI64 ? (1u << 31) : (1u << 30);
  wr32(p, v ? (w | bit) : (w & ~bit));
}

static int is_port(unsigned name) { return name >= 16 && name <= 21; }

/* The form a right takes when it arrives (ipc_object_copyin_type). */
static unsigned received(unsigned disp)
{
  switch (disp) {
  case MACH_MSG_TYPE_MOVE_RECEIVE: return MACH_MSG_TYPE_PORT_RECEIVE;
  case MACH_MSG_TYPE_MOVE_SEND:
  case MACH_MSG_TYPE_COPY_SEND:
  case MACH_MSG_TYPE_MAKE_SEND: return MACH_MSG_TYPE_PORT_SEND;
  case MACH_MSG_TYPE_MOVE_SEND_ONCE:
  case MACH_MSG_TYPE_MAKE_SEND_ONCE: return MACH_MSG_TYPE_PORT_SEND_ONCE;
  default: return disp;
  }
}

static uint32_t rename_port(uint32_t n, uint32_t offset)
{
  return (n == MACH_PORT_NULL || n == (uint32_t)MACH_PORT_DEAD) ? n : n + offset;
}

/* ---- walking and printing ----------------------------------------------- */

static void print_msg(const char *label, const uint8_t *m)
{
  uint32_t size = rd32(m + 4);
  printf("%s ", label);
  hex(m, size);
  printf("\n");
  for (uint32_t off = HDR_SIZE; off < size;) {
    struct desc d;
    read_desc(m + off, &d);
    off += d.len;
    size_t bytes = ((size_t)d.number * d.size + 7) / 8;
    if (d.inl) {
      off += bytes;
    } else {
      uintptr_t a = rdptr(m + off);
      printf("ool %s %lx ", label, (unsigned long)a);
      if (a)
        hex((const void *)a, bytes);
      printf("\n");
      off += sizeof(void *);
    }
    off = ALIGN_UP(off);
  }
}

static uint32_t seqno_server, seqno_client;

/* Copy a message from one task to the other the way the kernel does. */
static void transfer(const uint8_t *src, uint8_t *dst, int to_server, uint32_t dest_name)
{
  uint32_t size = rd32(src + 4);
  uint32_t offset = to_server ? HARNESS_TO_SERVER : HARNESS_TO_CLIENT;
  memcpy(dst, src, size);

  uint32_t bits = rd32(src);
  unsigned remote = bits & 0xff, local = (bits >> 8) & 0xff;
  uint32_t local_port = rd32(src + (ABI64 ? 16 : 12));
  uint32_t nbits = (bits & 0x80000000u) | received(local) | (received(remote) << 8);
  uint32_t new_remote = local ? rename_port(local_port, offset) : 0;
  if (ABI64) {
    uint64_t r = new_remote, l = dest_name;
    memcpy(dst + 8, &r, 8);
    memcpy(dst + 16, &l, 8);
    wr32(dst + 24, to_server ? seqno_server++ : seqno_client++);
  } else {
    wr32(dst + 8, new_remote);
    wr32(dst + 12, dest_name);
    wr32(dst + 16, to_server ? seqno_server++ : seqno_client++);
  }

  int complex_items = 0;
  for (uint32_t off = HDR_SIZE; off < size;) {
    struct desc d;
    uint8_t *dp = dst + off;
    read_desc(dp, &d);
    off += d.len;
    size_t bytes = ((size_t)d.number * d.size + 7) / 8;
    if (is_port(d.name)) {
      complex_items = 1;
      set_name(dp, &d, received(d.name));
    }
    if (d.inl) {
      set_dealloc(dp, 0);
      if (is_port(d.name)) {
        size_t step = d.size / 8;
        for (size_t i = 0; i < d.number; i++) {
          uint8_t *e = dst + off + i * step;
          uint32_t n = rename_port(rd32(e), offset);
          memset(e, 0, step);
          wr32(e, n);
        }
      }
      off += bytes;
    } else {
      complex_items = 1;
      uintptr_t a = rdptr(src + off), na = 0;
      if (bytes) {
        uint8_t *copy = to_server ? arena_server(bytes, a % PAGE) : arena_client(bytes, a % PAGE);
        memcpy(copy, (const void *)a, bytes);
        if (is_port(d.name))
          for (size_t i = 0; i < d.number; i++)
            wr32(copy + 4 * i, rename_port(rd32(copy + 4 * i), offset));
        na = (uintptr_t)copy;
      }
      wrptr(dst + off, na);
      set_dealloc(dp, 1);
      off += sizeof(void *);
    }
    off = ALIGN_UP(off);
  }
  if (!complex_items)
    nbits &= ~0x80000000u;
  wr32(dst, nbits);
}

/* The driver's MIG server demux, named on the command line. */
extern boolean_t HARNESS_DEMUX(mach_msg_header_t *, mach_msg_header_t *);
boolean_t harness_demux(mach_msg_header_t *in, mach_msg_header_t *out)
{
  return HARNESS_DEMUX(in, out);
}

/* ---- mach_msg ----------------------------------------------------------- */

static union {
  mach_msg_header_t h;
  uint8_t b[65536];
} rcvd, reply, reply_rcvd;

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
                           mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                           mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify)
{
  (void)timeout;
  (void)notify;
  if (!(option & MACH_SEND_MSG) || msg->msgh_size != send_size) {
    fprintf(stderr, "harness: unexpected mach_msg call (option %x, size %u/%u)\n",
            option, msg->msgh_size, send_size);
    exit(2);
  }
  const uint8_t *m = (const uint8_t *)msg;
  printf("id %d\n", (int)msg->msgh_id);
  print_msg("send", m);

  uint32_t remote_port = rd32(m + 8);
  memset(&rcvd, 0, sizeof rcvd);
  transfer(m, rcvd.b, 1, rename_port(remote_port, HARNESS_TO_SERVER));
  print_msg("rcvd", rcvd.b);

  memset(&reply, 0, sizeof reply);
  in_server = 1;
  boolean_t ok = harness_demux(&rcvd.h, &reply.h);
  in_server = 0;
  mig_reply_header_t *r = (mig_reply_header_t *)reply.b;
  if (!ok)
    printf("demux false\n");
  if (r->Head.msgh_remote_port == MACH_PORT_NULL || r->RetCode == MIG_NO_REPLY) {
    printf("noreply\n");
    if (option & MACH_RCV_MSG) {
      fprintf(stderr, "harness: an RPC got no reply\n");
      exit(2);
    }
    return MACH_MSG_SUCCESS;
  }
  print_msg("reply", reply.b);
  memset(&reply_rcvd, 0, sizeof reply_rcvd);
  /* The reply goes to the send-once right the client made from its reply
   * port; it arrives on that receive right, whose name the client knows. */
  uint32_t reply_dest = rd32(reply.b + 8) - HARNESS_TO_SERVER;
  transfer(reply.b, reply_rcvd.b, 0, reply_dest);
  print_msg("reply_rcvd", reply_rcvd.b);
  if (!(option & MACH_RCV_MSG))
    return MACH_MSG_SUCCESS;
  if (rcv_name != reply_dest) {
    fprintf(stderr, "harness: reply for %x received on %x\n", reply_dest, rcv_name);
    exit(2);
  }
  if (reply_rcvd.h.msgh_size > rcv_size)
    return MACH_RCV_TOO_LARGE;
  memcpy(msg, reply_rcvd.b, reply_rcvd.h.msgh_size);
  return MACH_MSG_SUCCESS;
}

/* ---- vectors and JSON lines --------------------------------------------- */

void call_begin(const char *routine, int id)
{
  arena_init();
  printf("call %s %d\n", routine, id);
}

void call_end(void) { printf("end\n"); fflush(stdout); }

static int jfirst;

void jopen(const char *label) { printf("%s {", label); jfirst = 1; }
void jclose(void) { printf("}\n"); }

static void key(const char *k)
{
  printf("%s\"%s\":", jfirst ? "" : ",", k);
  jfirst = 0;
}

void jint(const char *k, long long v) { key(k); printf("%lld", v); }
void jint64(const char *k, long long v) { key(k); printf("\"%lld\"", v); }
void jbool(const char *k, int v) { key(k); printf(v ? "true" : "false"); }
void jnull(const char *k) { key(k); printf("null"); }
void jstr(const char *k, const char *s, size_t max)
{
  key(k);
  putchar('"');
  for (size_t i = 0; i < max && s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}
void jbytes(const char *k, const void *p, size_t n)
{
  key(k);
  printf("{\"hex\":\"");
  if (n)
    hex(p, n);
  printf("\"}");
}
void jints(const char *k, const int32_t *v, size_t n)
{
  key(k);
  putchar('[');
  for (size_t i = 0; i < n; i++)
    printf("%s%d", i ? "," : "", v[i]);
  putchar(']');
}
void jint64s(const char *k, const int64_t *v, size_t n)
{
  key(k);
  putchar('[');
  for (size_t i = 0; i < n; i++)
    printf("%s\"%lld\"", i ? "," : "", (long long)v[i]);
  putchar(']');
}
void jshorts(const char *k, const int16_t *v, size_t n)
{
  key(k);
  putchar('[');
  for (size_t i = 0; i < n; i++)
    printf("%s%d", i ? "," : "", v[i]);
  putchar(']');
}
void jport(const char *k, mach_port_t name) { key(k); printf("%u", (unsigned)name); }
void jports(const char *k, const mach_port_t *v, size_t n)
{
  key(k);
  putchar('[');
  for (size_t i = 0; i < n; i++)
    printf("%s%u", i ? "," : "", (unsigned)v[i]);
  putchar(']');
}
void jpoly(const char *k, mach_port_t name, unsigned disposition)
{
  key(k);
  printf("{\"name\":%u,\"disposition\":%u}", (unsigned)name, disposition);
}
void jpolys(const char *k, const mach_port_t *v, size_t n, unsigned disposition)
{
  key(k);
  printf("{\"names\":[");
  for (size_t i = 0; i < n; i++)
    printf("%s%u", i ? "," : "", (unsigned)v[i]);
  printf("],\"disposition\":%u}", disposition);
}
