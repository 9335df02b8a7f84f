/*
 * The step executor shared by the scenario interpreter (interp.c, steps read
 * from a bundle linked into the image, results printed on the console) and
 * the live agent (agent.c, steps read from frames on a serial link, results
 * sent back in frames). A step is `opcode nwords arg[nwords]` in 32-bit
 * little-endian words (conformance/bundle.ts); its results are lines
 * (R, N, M, O, D): hex text on the console (interp), or the same lines with
 * each number and byte string in binary (wire_binary, the agent's link:
 * half the bytes of hex or less, and no hex work on either side).
 */
#ifndef STEPS_H
#define STEPS_H
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr;

#ifdef __x86_64__
#define HDR_SIZE 32
#define ALIGN 8
#else
#define HDR_SIZE 24
#define ALIGN 4
#endif
#define PAGE 4096
#define NSLOTS 64
#define BUFSZ 65536

extern mach_port_t mach_reply_port(void);
extern mach_port_t mach_task_self(void);
extern mach_port_t mach_thread_self(void);

extern mach_port_t self, host_port, master_port;
/* Where whole lines of output go: the console (interp) or a reply (agent). */
extern void (*out_sink)(const char *p, unsigned n);
/* Agent mode: received out-of-line memory stays in the task for the host to
   read (vm_read) and free, and a received message is always reported. */
extern int agent_mode;
/* The binary form of the lines (the agent's link, src/gnumach/protocol.ts):
   the kind letter and any text as is; sp_hex(v) as one value, v < 64 the
   byte 0x80|v, else 0xc0|z<<3|k then k little-endian bytes m (k = 1..4,
   z = 0..3, v = m << 8z: z whole zero bytes at the low end not sent);
   bytes_hex(p, n) as 0xd0, the value n, then the n bytes; eol() '\n'. */
extern int wire_binary;
/* The task the executor's own-task steps act on (task_of(0)), when it is
   not the caller's: the agent runs the port calls that take a task port and
   act on nothing of the caller's space in its main thread, on the task's
   port (agent.c), instead of forwarding them to the task's worker.
   MACH_PORT_NULL: the caller's own task (self). */
extern mach_port_t target;
extern u32 scen_bytes;
extern mach_port_t slots[NSLOTS];
extern unsigned nrnames;
extern mach_port_t hidden[32];
/* The agent's sender threads (fault.c): at most SENDER_THREADS per task,
   each receiving its requests on a port the agent names SENDER_NAME_BASE +
   slot in the task when the thread starts (after the task's own names are
   recorded, so these are hidden by range). The base is far above the names
   the kernel picks (the lowest free ones) or a test chooses. */
#define SENDER_THREADS 64
#define SENDER_NAME_BASE 0x30000u
extern unsigned nhidden;
extern mach_port_t reply_port;

/* The word cursor run_step reads its arguments from. */
extern const u32 *bp, *bend;
u32 word(void);

void *memcpy(void *d, const void *s, __SIZE_TYPE__ n);
void *memset(void *d, int c, __SIZE_TYPE__ n);
void putc_(char c);
void puts_(const char *s);
void sp_hex(u32 v);
void bytes_hex(const unsigned char *p, u32 n);
void eol(void);
void flush(void);
/* Records every name now in this task as the executor's own (never reported). */
void hide_current_names(void);
mach_port_t mig_get_reply_port(void);
void run_step(u32 step, u32 op, const u32 *next);
void cleanup(void);
u32 atou(const char *s);
#endif
