/* Conformance harness: an imitation of GNU Mach's message copyin/copyout
 * that sits between MIG's user stubs and MIG's server stubs in one process,
 * and prints every message as hex. Written for this project (Apache-2.0).
 *
 * Output is a line protocol that conformance/scripts/to-json.mjs turns into
 * the JSON fixtures; see conformance/README.md. */
#ifndef CONFORMANCE_HARNESS_H
#define CONFORMANCE_HARNESS_H

#include <mach/message.h>
#include <mach/port.h>
#include <mach/mig_errors.h>
#include <mach/machine/vm_types.h>
#include <stddef.h>
#include <stdint.h>

/* The port name every user stub gets from mig_get_reply_port(). */
#define HARNESS_REPLY_PORT 0x31u
/* How the imitation kernel renames a right: the receiver's name is the
 * sender's plus this offset (MACH_PORT_NULL and MACH_PORT_DEAD stay). */
#define HARNESS_TO_SERVER 0x1000u
#define HARNESS_TO_CLIENT 0x2000u

/* Calls the MIG server demux named by -DHARNESS_DEMUX=srv_<subsystem>_server. */
extern boolean_t harness_demux(mach_msg_header_t *in, mach_msg_header_t *out);

/* Start / end one vector. */
void call_begin(const char *routine, int id);
void call_end(void);

/* Memory in the fixed arena of the client (the stub caller) or the server,
 * so that printed addresses are stable. page_offset keeps a sub-page offset
 * the way the kernel keeps the sender's. */
void *arena_client(size_t n, unsigned page_offset);
void *arena_server(size_t n, unsigned page_offset);

/* One JSON object per line: jopen("args"); jint("x", 1); ...; jclose(); */
void jopen(const char *label);
void jclose(void);
void jint(const char *k, long long v);
void jint64(const char *k, long long v);      /* as a decimal string */
void jbool(const char *k, int v);
void jstr(const char *k, const char *s, size_t max);
void jbytes(const char *k, const void *p, size_t n);
void jints(const char *k, const int32_t *v, size_t n);
void jint64s(const char *k, const int64_t *v, size_t n);
void jshorts(const char *k, const int16_t *v, size_t n);
void jport(const char *k, mach_port_t name);
void jports(const char *k, const mach_port_t *v, size_t n);
void jpoly(const char *k, mach_port_t name, unsigned disposition);
/* A polymorphic port array: {"names": [...], "disposition": d}. */
void jpolys(const char *k, const mach_port_t *v, size_t n, unsigned disposition);
void jnull(const char *k);

#endif

/* A vm_size_t-like word: a decimal string when it is 64-bit on this ABI. */
#define jword(k, v) (sizeof(v) == 8 ? jint64((k), (long long)(v)) : jint((k), (long long)(v)))
#define SIMPLE_OUTS(r) do { jopen("outs"); jint("ret", (r)); jclose(); } while (0)
#define CLIENT_RET(r) do { jopen("client"); jint("ret", (r)); jclose(); } while (0)
