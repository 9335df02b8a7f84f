/* C side of the mach-msg benchmark: the real MIG's stubs for
 * conformance/defs/conformance.defs (x86_64), timed building and parsing
 * the same three messages bench/run.mjs times in TypeScript.
 * Written for this project (Apache-2.0). Reads the received messages as
 * hex lines on stdin ("<label> <hex>"), prints medians as one JSON line.
 * Usage: mig-bench [iterations [runs [operation]]] */
#define _GNU_SOURCE 1
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "conformance_types.h"
#include "conformance_user.h"

extern boolean_t srv_conformance_server(mach_msg_header_t *, mach_msg_header_t *);

volatile uint32_t sink;

/* ---- what glibc would provide ------------------------------------------ */
mach_port_t mig_get_reply_port(void) { return 0x31; }
void mig_dealloc_reply_port(mach_port_t p) { (void)p; }
void mig_put_reply_port(mach_port_t p) { (void)p; }
void mig_allocate(vm_offset_t *a, vm_size_t n) { *a = (vm_offset_t)malloc(n); }
void mig_deallocate(vm_offset_t a, vm_size_t n) { (void)n; free((void *)a); }
size_t mig_strncpy(char *d, const char *s, size_t n) { return (size_t)(stpncpy(d, s, n) - d); }

/* mach_msg: returns at once after a send, or hands back a canned reply
 * (the kernel's copyout into the receive buffer). */
static const uint8_t *canned;
static size_t canned_len;
mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify)
{
  (void)send_size; (void)rcv_size; (void)rcv_name; (void)timeout; (void)notify;
  sink += ((const uint8_t *)msg)[4];
  if (!(option & MACH_RCV_MSG))
    return MACH_MSG_SUCCESS;
  if (!canned)
    return MACH_SEND_INVALID_DEST; /* the request is built; stop there */
  memcpy(msg, canned, canned_len);
  return MACH_MSG_SUCCESS;
}

/* ---- server routines ---------------------------------------------------- */
static int build_reply;
static char block_src[8192];

kern_return_t srv_conf_read(mach_port_t io, offset64_t offset, natural_t amount, data_t *data,
                            mach_msg_type_number_t *dataCnt)
{
  (void)data; (void)dataCnt;
  sink += io + (uint32_t)offset + amount;
  return MIG_NO_REPLY;
}

kern_return_t srv_conf_read_block(mach_port_t io, offset64_t offset, natural_t amount, block8k_t data,
                                  mach_msg_type_number_t *dataCnt)
{
  sink += io + (uint32_t)offset;
  if (!build_reply)
    return MIG_NO_REPLY;
  memcpy(data, block_src, amount);
  *dataCnt = amount;
  return KERN_SUCCESS;
}

kern_return_t srv_conf_port_block(mach_port_t server, const_portvec_t ports, mach_msg_type_number_t n)
{
  sink += server + ports[0] + n;
  return MIG_NO_REPLY;
}

/* ---- the operations ----------------------------------------------------- */
static union { mach_msg_header_t h; uint8_t b[16384]; } read_rcvd, block_req, block_reply, ports_rcvd, out;
static size_t block_reply_len;
static mach_port_t ports[256];
static block8k_t user_block;

static void op_read_encode(void) { canned = 0; sink += conf_read(0x11, 4096, 100, 0, 0); }
static void op_read_decode(void) { sink += srv_conformance_server(&read_rcvd.h, &out.h); }
static void op_block_encode(void) { build_reply = 1; sink += srv_conformance_server(&block_req.h, &out.h); build_reply = 0; }
static void op_block_decode(void)
{
  mach_msg_type_number_t n = sizeof user_block;
  canned = block_reply.b; canned_len = block_reply_len;
  sink += conf_read_block(0x11, 8192, 8192, user_block, &n) + n;
  canned = 0;
}
static void op_ports_encode(void) { sink += conf_port_block(0x11, ports, 256); }
static void op_ports_decode(void) { sink += srv_conformance_server(&ports_rcvd.h, &out.h); }

static double now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_ns(void (*fn)(void), long iters, int runs)
{
  double r[64];
  for (long i = 0; i < iters / 10; i++) fn(); /* warm up */
  for (int k = 0; k < runs; k++) {
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) fn();
    r[k] = (now_ns() - t0) / (double)iters;
  }
  qsort(r, (size_t)runs, sizeof r[0], cmp);
  return r[runs / 2];
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
  size_t n = strlen(s) / 2;
  if (n > max) { fprintf(stderr, "bench: message too large\n"); exit(2); }
  for (size_t i = 0; i < n; i++) { unsigned v; sscanf(s + 2 * i, "%2x", &v); out[i] = (uint8_t)v; }
  return n;
}

int main(int argc, char **argv)
{
  long iters = argc > 1 ? atol(argv[1]) : 200000;
  int runs = argc > 2 ? atoi(argv[2]) : 9;
  if (runs < 1 || runs > 64) runs = 9;
  static char line[65536];
  while (fgets(line, sizeof line, stdin)) {
    char *sp = strchr(line, ' ');
    if (!sp) continue;
    *sp = 0;
    char *hex = sp + 1;
    hex[strcspn(hex, "\r\n")] = 0;
    if (!strcmp(line, "read_rcvd")) unhex(hex, read_rcvd.b, sizeof read_rcvd.b);
    else if (!strcmp(line, "block_req_rcvd")) unhex(hex, block_req.b, sizeof block_req.b);
    else if (!strcmp(line, "block_reply_rcvd")) block_reply_len = unhex(hex, block_reply.b, sizeof block_reply.b);
    else if (!strcmp(line, "ports_rcvd")) unhex(hex, ports_rcvd.b, sizeof ports_rcvd.b);
  }
  for (int i = 0; i < 256; i++) ports[i] = 0x400 + 2 * (unsigned)i;
  for (int i = 0; i < 8192; i++) block_src[i] = (char)i;

  /* Each parse must succeed, or the numbers mean nothing. */
  op_read_decode();
  if (((mig_reply_header_t *)out.b)->RetCode != MIG_NO_REPLY) { fprintf(stderr, "bench: conf_read request rejected\n"); return 1; }
  op_ports_decode();
  if (((mig_reply_header_t *)out.b)->RetCode != MIG_NO_REPLY) { fprintf(stderr, "bench: conf_port_block request rejected\n"); return 1; }
  op_block_encode();
  if (((mig_reply_header_t *)out.b)->RetCode != KERN_SUCCESS || out.h.msgh_size != block_reply_len) {
    fprintf(stderr, "bench: conf_read_block reply not built (%d)\n", ((mig_reply_header_t *)out.b)->RetCode); return 1;
  }
  {
    mach_msg_type_number_t n = sizeof user_block;
    canned = block_reply.b; canned_len = block_reply_len;
    kern_return_t r = conf_read_block(0x11, 8192, 8192, user_block, &n);
    canned = 0;
    if (r != KERN_SUCCESS || n != 8192) { fprintf(stderr, "bench: conf_read_block reply rejected (%d)\n", r); return 1; }
  }

  static const struct { const char *name; void (*fn)(void); long div; } ops[] = {
    {"io_read_request_encode", op_read_encode, 1}, {"io_read_request_decode", op_read_decode, 1},
    {"read_8k_reply_encode", op_block_encode, 4},  {"read_8k_reply_decode", op_block_decode, 4},
    {"ports_256_encode", op_ports_encode, 4},      {"ports_256_decode", op_ports_decode, 4},
  };
  const char *only = argc > 3 ? argv[3] : 0;
  int first = 1;
  printf("{");
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (only && strcmp(only, ops[i].name))
      continue;
    printf("%s\"%s\":%.1f", first ? "" : ",", ops[i].name, median_ns(ops[i].fn, iters / ops[i].div, runs));
    first = 0;
  }
  printf("}\n");
  return 0;
}
