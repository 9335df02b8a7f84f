/* Driver for conformance.defs: calls every routine of the project's test
 * interface through MIG's user stubs with fixed arguments, and implements
 * the server side with deterministic results. Written for this project. */
#include "harness.h"
#include "conformance_types.h"
#include "conformance_user.h"
#include <stdio.h>
#include <string.h>


static void fill(void *p, size_t n, unsigned seed)
{
  uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)(i * seed + seed / 3 + 1);
}

static void outs_ret(kern_return_t r) { jint("ret", r); jclose(); }

/* ---- server routines ---------------------------------------------------- */

kern_return_t srv_conf_scalars(mach_port_t server, int i, int64_t w, boolean_t flag,
                               char_t ch, byte_t by, short_t sh, int *o_i, int64_t *o_w,
                               boolean_t *o_flag, short_t *o_sh)
{
  jopen("server"); jport("server", server); jint("i", i); jint64("w", w); jbool("flag", flag);
  jint("ch", (unsigned char)ch); jint("by", by); jint("sh", sh); jclose();
  if (i == -1) {
    jopen("outs"); outs_ret(KERN_INVALID_ARGUMENT);
    return KERN_INVALID_ARGUMENT;
  }
  *o_i = (int)((unsigned)i * 2u);
  *o_w = (int64_t)((uint64_t)w + 1u);
  *o_flag = !flag;
  *o_sh = (short_t)(sh - 1);
  jopen("outs"); jint("o_i", *o_i); jint64("o_w", *o_w); jbool("o_flag", *o_flag);
  jint("o_sh", *o_sh); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_strings(mach_port_t server, const_name16_t fixed, const_path_t var,
                               name16_t o_fixed, path_t o_var)
{
  jopen("server"); jport("server", server); jstr("fixed", fixed, 16); jstr("var", var, 64); jclose();
  snprintf(o_fixed, 16, "srv:%s", fixed);
  size_t n = strnlen(var, 63);
  for (size_t k = 0; k < n; k++)
    o_var[k] = var[n - 1 - k];
  o_var[n] = '\0';
  jopen("outs"); jstr("o_fixed", o_fixed, 16); jstr("o_var", o_var, 64); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

static void jpairs(const char *k, const pair_t *p, size_t n)
{
  /* An array of struct[2] of int: an array of two-element arrays. */
  printf(",\"%s\":[", k);
  for (size_t i = 0; i < n; i++)
    printf("%s[%d,%d]", i ? "," : "", p[i].v[0], p[i].v[1]);
  printf("]");
}

kern_return_t srv_conf_arrays(mach_port_t server, const intvec_t vec, mach_msg_type_number_t vecCnt,
                              const quad4_t quad, pair_t pair, const pairs_t pairs,
                              mach_msg_type_number_t pairsCnt, record_t rec, const wide_t wide,
                              mach_msg_type_number_t wideCnt, const shortvec_t shorts,
                              mach_msg_type_number_t shortsCnt, intvec_t o_vec,
                              mach_msg_type_number_t *o_vecCnt, record_t *o_rec)
{
  jopen("server"); jport("server", server); jints("vec", vec, vecCnt); jints("quad", quad, 4);
  jints("pair", pair.v, 2); jpairs("pairs", pairs, pairsCnt);
  int32_t r[3] = {rec.a, rec.b, rec.c};
  jints("rec", r, 3); jint64s("wide", wide, wideCnt); jshorts("shorts", shorts, shortsCnt); jclose();
  unsigned n = vecCnt + 2 > 8 ? 8 : vecCnt + 2;
  for (unsigned k = 0; k < n; k++)
    o_vec[k] = (int)(k * 1000 + 7) * (k % 2 ? -1 : 1);
  *o_vecCnt = n;
  o_rec->a = rec.c; o_rec->b = rec.b; o_rec->c = rec.a;
  int32_t orr[3] = {o_rec->a, o_rec->b, o_rec->c};
  jopen("outs"); jints("o_vec", o_vec, n); jints("o_rec", orr, 3); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_data(mach_port_t server, const_data_t data, mach_msg_type_number_t dataCnt,
                            ool_t ool, mach_msg_type_number_t oolCnt, data_t *o_data,
                            mach_msg_type_number_t *o_dataCnt, ool_t *o_ool,
                            mach_msg_type_number_t *o_oolCnt)
{
  jopen("server"); jport("server", server); jbytes("data", data, dataCnt);
  jbytes("ool", (const void *)ool, oolCnt); jclose();
  /* Reply sizes chosen from the request: data echoes dataCnt+7 bytes
     (out-of-line once that passes MIG's 2048-byte inline buffer), ool is
     the request's ool size times 30. */
  unsigned n = dataCnt + 7;
  if (dataCnt == 2048)
    n = 2048;
  if (n > *o_dataCnt)
    *o_data = arena_server(n, 0x40);
  fill(*o_data, n, 13);
  *o_dataCnt = n;
  unsigned m = oolCnt * 30;
  *o_ool = m ? (ool_t)arena_server(m, 0x80) : 0;
  if (m)
    fill((void *)*o_ool, m, 29);
  *o_oolCnt = m;
  jopen("outs"); jbytes("o_data", *o_data, n); jbytes("o_ool", (const void *)*o_ool, m);
  outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_ports(mach_port_t server, mach_port_t cs, mach_port_t ms, mach_port_t mv,
                             mach_port_t mso, mach_port_t mr, mach_port_t poly,
                             mach_msg_type_name_t polyPoly, mach_port_t *o_port,
                             mach_port_t *o_poly, mach_msg_type_name_t *o_polyPoly)
{
  jopen("server"); jport("server", server); jport("cs", cs); jport("ms", ms); jport("mv", mv);
  jport("mso", mso); jport("mr", mr); jpoly("poly", poly, polyPoly); jclose();
  *o_port = 0x41;
  *o_poly = polyPoly == MACH_MSG_TYPE_PORT_RECEIVE ? poly : 0x42;
  *o_polyPoly = polyPoly == MACH_MSG_TYPE_PORT_RECEIVE ? MACH_MSG_TYPE_MOVE_RECEIVE
                                                       : MACH_MSG_TYPE_MAKE_SEND_ONCE;
  jopen("outs"); jport("o_port", *o_port); jpoly("o_poly", *o_poly, *o_polyPoly);
  outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_port_arrays(mach_port_t server, const_portvec_t ports,
                                   mach_msg_type_number_t portsCnt, const_namevec_t names,
                                   mach_msg_type_number_t namesCnt, portvec_t *o_ports,
                                   mach_msg_type_number_t *o_portsCnt, namevec_t *o_names,
                                   mach_msg_type_number_t *o_namesCnt)
{
  jopen("server"); jport("server", server); jports("ports", ports, portsCnt);
  jports("names", names, namesCnt); jclose();
  unsigned np = portsCnt / 2, nn = namesCnt + 1;
  if (np > *o_portsCnt)
    *o_ports = arena_server(np * sizeof(mach_port_t), 0);
  if (nn > *o_namesCnt)
    *o_names = arena_server(nn * sizeof(mach_port_name_t), 0);
  for (unsigned k = 0; k < np; k++)
    (*o_ports)[k] = 0x300 + k;
  for (unsigned k = 0; k < nn; k++)
    (*o_names)[k] = 0x500 + 3 * k;
  *o_portsCnt = np;
  *o_namesCnt = nn;
  jopen("outs"); jports("o_ports", *o_ports, np); jports("o_names", *o_names, nn);
  outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_inout(mach_port_t server, int *counter, int64_t *wide, quad4_t quad)
{
  jopen("server"); jport("server", server); jint("counter", *counter); jint64("wide", *wide);
  jints("quad", quad, 4); jclose();
  *counter += 1;
  *wide = (int64_t)((uint64_t)*wide * (uint64_t)-2);
  int t = quad[0]; quad[0] = quad[3]; quad[3] = t;
  jopen("outs"); jint("counter", *counter); jint64("wide", *wide); jints("quad", quad, 4);
  outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_oneway(mach_port_t server, int value, const_name16_t tag)
{
  jopen("server"); jport("server", server); jint("value", value); jstr("tag", tag, 16); jclose();
  jopen("outs"); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_sreply(mach_port_t server, mach_port_t reply, mach_port_seqno_t seqno,
                              int value, int *result)
{
  jopen("server"); jport("server", server); jport("reply", reply); jint("seqno", seqno);
  jint("value", value); jclose();
  *result = value * 100 + (int)seqno;
  jopen("outs"); jint("result", *result); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_ureply(mach_port_t server, int value)
{
  jopen("server"); jport("server", server); jint("value", value); jclose();
  /* The answer would go later to the reply port: no reply now. */
  jopen("outs"); outs_ret(MIG_NO_REPLY);
  return MIG_NO_REPLY;
}

kern_return_t srv_conf_read(mach_port_t io, offset64_t offset, natural_t amount, data_t *data,
                            mach_msg_type_number_t *dataCnt)
{
  jopen("server"); jport("io", io); jint64("offset", offset); jint("amount", amount); jclose();
  if (amount > *dataCnt)
    *data = arena_server(amount, 0);
  fill(*data, amount, (unsigned)(offset & 0xff) | 1);
  *dataCnt = amount;
  jopen("outs"); jbytes("data", *data, amount); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_read_block(mach_port_t io, offset64_t offset, natural_t amount,
                                  block8k_t data, mach_msg_type_number_t *dataCnt)
{
  jopen("server"); jport("io", io); jint64("offset", offset); jint("amount", amount); jclose();
  if (amount > *dataCnt)
    amount = *dataCnt;
  fill(data, amount, (unsigned)(offset & 0xff) | 1);
  *dataCnt = amount;
  jopen("outs"); jbytes("data", data, amount); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_port_block(mach_port_t server, const_portvec_t ports,
                                  mach_msg_type_number_t portsCnt)
{
  jopen("server"); jport("server", server); jports("ports", ports, portsCnt); jclose();
  jopen("outs"); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_poly_arrays(mach_port_t server, const_polyvec_t ports,
                                   mach_msg_type_name_t portsPoly, mach_msg_type_number_t portsCnt,
                                   polyool_t oports, mach_msg_type_name_t oportsPoly,
                                   mach_msg_type_number_t oportsCnt, polyvec_t *o_ports,
                                   mach_msg_type_name_t *o_portsPoly,
                                   mach_msg_type_number_t *o_portsCnt, polyool_t *o_ool,
                                   mach_msg_type_name_t *o_oolPoly, mach_msg_type_number_t *o_oolCnt)
{
  jopen("server"); jport("server", server); jpolys("ports", ports, portsCnt, portsPoly);
  jpolys("oports", oports, oportsCnt, oportsPoly); jclose();
  /* Reply sizes chosen from the request: o_ports has oportsCnt * 100 + 1
     rights (out-of-line once that passes the 2048-byte inline buffer: 256
     rights on x86_64, 512 on i386), none when ports was empty (an empty
     inline array still sends its disposition), o_ool portsCnt % 7 + 1;
     each array's disposition depends on the request's. */
  unsigned np = portsCnt ? oportsCnt * 100 + 1 : 0, no = portsCnt % 7 + 1;
  if (np > *o_portsCnt)
    *o_ports = arena_server(np * sizeof(mach_port_t), 0);
  for (unsigned k = 0; k < np; k++)
    (*o_ports)[k] = 0x700 + k;
  *o_portsCnt = np;
  *o_portsPoly = portsPoly == MACH_MSG_TYPE_PORT_RECEIVE ? MACH_MSG_TYPE_MAKE_SEND_ONCE : MACH_MSG_TYPE_MAKE_SEND;
  *o_ool = arena_server(no * sizeof(mach_port_t), 0x60);
  for (unsigned k = 0; k < no; k++)
    (*o_ool)[k] = 0x800 + 5 * k;
  *o_oolCnt = no;
  *o_oolPoly = oportsCnt ? MACH_MSG_TYPE_MOVE_SEND : MACH_MSG_TYPE_COPY_SEND;
  jopen("outs"); jpolys("o_ports", *o_ports, np, *o_portsPoly); jpolys("o_ool", *o_ool, no, *o_oolPoly);
  outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t srv_conf_poly_block(mach_port_t server, const_polyvec_t ports,
                                  mach_msg_type_name_t portsPoly, mach_msg_type_number_t portsCnt)
{
  jopen("server"); jport("server", server); jpolys("ports", ports, portsCnt, portsPoly); jclose();
  jopen("outs"); outs_ret(KERN_SUCCESS);
  return KERN_SUCCESS;
}

/* ---- the calls ---------------------------------------------------------- */

#define SERVER_PORT 0x11u

static void scalars(int i, int64_t w, boolean_t flag, char ch, uint8_t by, short sh)
{
  call_begin("conf_scalars", 7300);
  jopen("args"); jport("server", SERVER_PORT); jint("i", i); jint64("w", w); jbool("flag", flag);
  jint("ch", (unsigned char)ch); jint("by", by); jint("sh", sh); jclose();
  int o_i = 0; int64_t o_w = 0; boolean_t o_flag = 0; short_t o_sh = 0;
  kern_return_t r = conf_scalars(SERVER_PORT, i, w, flag, ch, by, sh, &o_i, &o_w, &o_flag, &o_sh);
  jopen("client");
  if (r == KERN_SUCCESS) {
    jint("o_i", o_i); jint64("o_w", o_w); jbool("o_flag", o_flag); jint("o_sh", o_sh);
  }
  jint("ret", r); jclose();
  call_end();
}

static void strings(const char *fixed, const char *var)
{
  call_begin("conf_strings", 7301);
  jopen("args"); jport("server", SERVER_PORT); jstr("fixed", fixed, 16); jstr("var", var, 64); jclose();
  name16_t o_fixed = {0}; path_t o_var = {0};
  kern_return_t r = conf_strings(SERVER_PORT, fixed, var, o_fixed, o_var);
  jopen("client"); jstr("o_fixed", o_fixed, 16); jstr("o_var", o_var, 64); jint("ret", r); jclose();
  call_end();
}

static void arrays(unsigned nvec, unsigned npairs, unsigned nwide, unsigned nshorts)
{
  intvec_t vec; quad4_t quad = {1, -2, 0x7fffffff, (int)0x80000000};
  pair_t pair = {{10, 20}};
  pairs_t pairs; record_t rec = {-5, 6, 0x12345678};
  wide_t wide; shortvec_t shorts;
  for (unsigned k = 0; k < 8; k++) vec[k] = (int)(k * 11 + 1);
  for (unsigned k = 0; k < 6; k++) { pairs[k].v[0] = (int)k; pairs[k].v[1] = -(int)k - 100; }
  for (unsigned k = 0; k < 4; k++) wide[k] = (int64_t)0x0102030405060708ll * (k + 1) * (k % 2 ? -1 : 1);
  for (unsigned k = 0; k < 5; k++) shorts[k] = (short_t)(k * 3000 - 6000);
  call_begin("conf_arrays", 7302);
  jopen("args"); jport("server", SERVER_PORT); jints("vec", vec, nvec); jints("quad", quad, 4);
  jints("pair", pair.v, 2); jpairs("pairs", pairs, npairs);
  int32_t r3[3] = {rec.a, rec.b, rec.c};
  jints("rec", r3, 3); jint64s("wide", wide, nwide); jshorts("shorts", shorts, nshorts); jclose();
  intvec_t o_vec = {0}; mach_msg_type_number_t o_vecCnt = 8; record_t o_rec = {0};
  kern_return_t r = conf_arrays(SERVER_PORT, vec, nvec, quad, pair, pairs, npairs, rec, wide, nwide,
                                shorts, nshorts, o_vec, &o_vecCnt, &o_rec);
  int32_t orr[3] = {o_rec.a, o_rec.b, o_rec.c};
  jopen("client"); jints("o_vec", o_vec, o_vecCnt); jints("o_rec", orr, 3); jint("ret", r); jclose();
  call_end();
}

static void data(unsigned ndata, unsigned nool)
{
  /* Caller buffers live in the client arena so their addresses print
     the same on every run. */
  char_t *d = arena_client(ndata ? ndata : 1, 0x10);
  fill(d, ndata, 7);
  uint8_t *o = nool ? arena_client(nool, 0x20) : 0;
  if (nool) fill(o, nool, 5);
  call_begin("conf_data", 7303);
  jopen("args"); jport("server", SERVER_PORT); jbytes("data", d, ndata); jbytes("ool", o, nool); jclose();
  static char_t inbuf[2048];
  data_t o_data = inbuf; mach_msg_type_number_t o_dataCnt = sizeof inbuf;
  ool_t o_ool = 0; mach_msg_type_number_t o_oolCnt = 0;
  kern_return_t r = conf_data(SERVER_PORT, d, ndata, (ool_t)o, nool, &o_data, &o_dataCnt, &o_ool, &o_oolCnt);
  jopen("client"); jbytes("o_data", o_data, o_dataCnt); jbytes("o_ool", (const void *)o_ool, o_oolCnt);
  jint("ret", r); jclose();
  call_end();
}

static void ports(mach_port_t mv, mach_port_t poly, unsigned polyPoly)
{
  call_begin("conf_ports", 7304);
  jopen("args"); jport("server", SERVER_PORT); jport("cs", 0x21); jport("ms", 0x22); jport("mv", mv);
  jport("mso", 0x24); jport("mr", 0x25); jpoly("poly", poly, polyPoly); jclose();
  mach_port_t o_port = 0, o_poly = 0; mach_msg_type_name_t o_polyPoly = 0;
  kern_return_t r = conf_ports(SERVER_PORT, 0x21, 0x22, mv, 0x24, 0x25, poly, polyPoly,
                               &o_port, &o_poly, &o_polyPoly);
  jopen("client"); jport("o_port", o_port); jpoly("o_poly", o_poly, o_polyPoly); jint("ret", r); jclose();
  call_end();
}

static void port_arrays(unsigned np, unsigned nn)
{
  mach_port_t *p = arena_client(np * sizeof *p + 4, 0x30);
  mach_port_name_t *n = arena_client(nn * sizeof *n + 4, 0x40);
  for (unsigned k = 0; k < np; k++) p[k] = 0x100 + k;
  for (unsigned k = 0; k < nn; k++) n[k] = 0x7000 + 5 * k;
  if (nn) n[0] = MACH_PORT_DEAD;
  call_begin("conf_port_arrays", 7305);
  jopen("args"); jport("server", SERVER_PORT); jports("ports", p, np); jports("names", n, nn); jclose();
  static mach_port_t pbuf[2048 / sizeof(mach_port_t)];
  static mach_port_name_t nbuf[512];
  portvec_t o_ports = pbuf; mach_msg_type_number_t o_portsCnt = sizeof pbuf / sizeof pbuf[0];
  namevec_t o_names = nbuf; mach_msg_type_number_t o_namesCnt = 512;
  kern_return_t r = conf_port_arrays(SERVER_PORT, p, np, n, nn, &o_ports, &o_portsCnt, &o_names, &o_namesCnt);
  jopen("client"); jports("o_ports", o_ports, o_portsCnt); jports("o_names", o_names, o_namesCnt);
  jint("ret", r); jclose();
  call_end();
}

static void inout(void)
{
  int counter = 41; int64_t wide = 1ll << 40; quad4_t quad = {9, 8, 7, 6};
  call_begin("conf_inout", 7306);
  jopen("args"); jport("server", SERVER_PORT); jint("counter", counter); jint64("wide", wide);
  jints("quad", quad, 4); jclose();
  kern_return_t r = conf_inout(SERVER_PORT, &counter, &wide, quad);
  jopen("client"); jint("counter", counter); jint64("wide", wide); jints("quad", quad, 4);
  jint("ret", r); jclose();
  call_end();
}

static void oneway(void)
{
  call_begin("conf_oneway", 7307);
  jopen("args"); jport("server", SERVER_PORT); jint("value", 77); jstr("tag", "one-way", 16); jclose();
  kern_return_t r = conf_oneway(SERVER_PORT, 77, "one-way");
  jopen("client"); jint("ret", r); jclose();
  call_end();
}

static void sreply(void)
{
  call_begin("conf_sreply", 7309);
  jopen("args"); jport("server", SERVER_PORT); jint("value", 9); jclose();
  int result = 0;
  kern_return_t r = conf_sreply(SERVER_PORT, 9, &result);
  jopen("client"); jint("result", result); jint("ret", r); jclose();
  call_end();
}

static void ureply(void)
{
  call_begin("conf_ureply", 7310);
  jopen("args"); jport("server", SERVER_PORT); jport("reply", 0x51); jint("value", 3); jclose();
  kern_return_t r = conf_ureply(SERVER_PORT, 0x51, 3);
  jopen("client"); jint("ret", r); jclose();
  call_end();
}

static void rd(int64_t offset, unsigned amount)
{
  call_begin("conf_read", 7311);
  jopen("args"); jport("io", SERVER_PORT); jint64("offset", offset); jint("amount", amount); jclose();
  static char_t buf[2048];
  data_t d = buf; mach_msg_type_number_t n = sizeof buf;
  kern_return_t r = conf_read(SERVER_PORT, offset, amount, &d, &n);
  jopen("client"); jbytes("data", d, n); jint("ret", r); jclose();
  call_end();
}

static void rd_block(int64_t offset, unsigned amount)
{
  call_begin("conf_read_block", 7312);
  jopen("args"); jport("io", SERVER_PORT); jint64("offset", offset); jint("amount", amount); jclose();
  static block8k_t buf;
  mach_msg_type_number_t n = sizeof buf;
  kern_return_t r = conf_read_block(SERVER_PORT, offset, amount, buf, &n);
  jopen("client"); jbytes("data", buf, n); jint("ret", r); jclose();
  call_end();
}

static void port_block(unsigned np)
{
  mach_port_t *p = arena_client(np * sizeof *p + 4, 0);
  for (unsigned k = 0; k < np; k++) p[k] = 0x400 + 2 * k;
  call_begin("conf_port_block", 7313);
  jopen("args"); jport("server", SERVER_PORT); jports("ports", p, np); jclose();
  kern_return_t r = conf_port_block(SERVER_PORT, p, np);
  jopen("client"); jint("ret", r); jclose();
  call_end();
}

static void poly_arrays(unsigned np, unsigned npPoly, unsigned no, unsigned noPoly, int noDealloc)
{
  mach_port_t *p = arena_client(np * sizeof *p + 4, 0x50);
  mach_port_t *o = no ? arena_client(no * sizeof *o, 0x70) : 0;
  for (unsigned k = 0; k < np; k++) p[k] = 0x600 + k;
  if (np > 2) { p[0] = MACH_PORT_DEAD; p[1] = MACH_PORT_NULL; }
  for (unsigned k = 0; k < no; k++) o[k] = 0x900 + 3 * k;
  call_begin("conf_poly_arrays", 7314);
  jopen("args"); jport("server", SERVER_PORT); jpolys("ports", p, np, npPoly);
  jpolys("oports", o, no, noPoly); jbool("oportsDealloc", noDealloc); jclose();
  static mach_port_t pbuf[2048 / sizeof(mach_port_t)];
  polyvec_t o_ports = pbuf; mach_msg_type_number_t o_portsCnt = sizeof pbuf / sizeof pbuf[0];
  mach_msg_type_name_t o_portsPoly = 0, o_oolPoly = 0;
  polyool_t o_ool = 0; mach_msg_type_number_t o_oolCnt = 0;
  kern_return_t r = conf_poly_arrays(SERVER_PORT, p, npPoly, np, o, noPoly, no, noDealloc, &o_ports,
                                     &o_portsPoly, &o_portsCnt, &o_ool, &o_oolPoly, &o_oolCnt);
  jopen("client"); jpolys("o_ports", o_ports, o_portsCnt, o_portsPoly);
  jpolys("o_ool", o_ool, o_oolCnt, o_oolPoly); jint("ret", r); jclose();
  call_end();
}

static void poly_block(unsigned np, unsigned poly)
{
  mach_port_t *p = arena_client(np * sizeof *p + 4, 0);
  for (unsigned k = 0; k < np; k++) p[k] = 0xa00 + 7 * k;
  call_begin("conf_poly_block", 7315);
  jopen("args"); jport("server", SERVER_PORT); jpolys("ports", p, np, poly); jclose();
  kern_return_t r = conf_poly_block(SERVER_PORT, p, poly, np);
  jopen("client"); jint("ret", r); jclose();
  call_end();
}

int main(void)
{
  scalars(-123456, -0x123456789ll, 1, 'Z', 0xfe, -2);
  scalars(0x7fffffff, 0x7fffffffffffffffll, 0, '\n', 0, 32767);
  scalars(-1, 0, 1, 0, 1, 0); /* the server fails: an error reply */
  strings("fixed-name", "/var/lib/some/path");
  strings("exactly15chars!", "");
  arrays(3, 2, 2, 3);
  arrays(0, 0, 0, 0);
  arrays(8, 6, 4, 5);
  data(10, 100);
  data(3000, 0);
  data(2048, 1);
  data(0, 70);
  ports(0x23, 0x26, MACH_MSG_TYPE_MAKE_SEND);
  ports(MACH_PORT_NULL, 0x27, MACH_MSG_TYPE_MOVE_RECEIVE);
  ports(MACH_PORT_DEAD, 0x28, MACH_MSG_TYPE_COPY_SEND);
  port_arrays(3, 4);
  port_arrays(0, 0);
  port_arrays(600, 700);
  inout();
  oneway();
  sreply();
  sreply();
  ureply();
  rd(4096, 100);
  rd(0x123456789ll, 4100);
  rd_block(8192, 8192);
  rd_block(16, 16);
  port_block(256);
  port_block(257);
  /* Polymorphic port arrays: inline on both ABIs / out-of-line on x86_64
     only / on both, and an empty ^array[]. */
  poly_arrays(3, MACH_MSG_TYPE_MAKE_SEND, 2, MACH_MSG_TYPE_COPY_SEND, 0);
  poly_arrays(300, MACH_MSG_TYPE_MOVE_SEND, 0, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1);
  poly_arrays(600, MACH_MSG_TYPE_COPY_SEND, 6, MACH_MSG_TYPE_MOVE_RECEIVE, 1);
  poly_arrays(4, MACH_MSG_TYPE_MOVE_RECEIVE, 1, MACH_MSG_TYPE_MAKE_SEND, 0);
  /* A port right's disposition makes the message complex, PORT_NAME not. */
  poly_block(3, MACH_MSG_TYPE_MAKE_SEND);
  poly_block(4, MACH_MSG_TYPE_PORT_NAME);
  /* Empty inline arrays: the stub still writes the xxxPoly into msgt_name
     (and a port right's makes the message complex). */
  poly_block(0, MACH_MSG_TYPE_MOVE_SEND);
  poly_block(0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  poly_block(0, MACH_MSG_TYPE_PORT_NAME);
  poly_arrays(0, MACH_MSG_TYPE_MOVE_RECEIVE, 2, MACH_MSG_TYPE_COPY_SEND, 0);
  return 0;
}
