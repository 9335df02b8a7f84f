/*
 * What the live agent's files share: agent.c (the link loop, the task
 * table and the workers), senders.c (message sends handed to a task's
 * sender threads), fault.c (those threads and the pager thread), link.c
 * (the host link). The protocol is described in agent.c and
 * src/gnumach/protocol.ts.
 */
#ifndef AGENT_H
#define AGENT_H
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>
#include "steps.h"

#define NTASKS 32
#define REQ_MAX (BUFSZ + 4096)
#define RESP_MAX (3 * BUFSZ)
#define OP_MSG 15
#define OP_WATCH 25
#define OP_FSCLIENT 26
#define OP_TASK_CREATE 100
#define OP_TASK_TERMINATE 101
#define OP_PING 102
#define OP_INSERT_FROM 103
#define OP_EXTRACT_TO 104
#define OP_FAULT 105
#define OP_SEND_AFTER 106 /* slot, then a msg step's words (send_after) */
#define KERN_INVALID_TASK_ 16 /* GNU Mach's KERN_INVALID_TASK */

/* Message ids between the agent and its tasks' threads. */
#define ID_REQUEST 0x4a47
#define ID_RIGHT 0x4a48
#define ID_EVENT 0x4a49 /* a worker's event, or a fault or sender thread's result */
#define ID_FAULT 0x4a4a /* a request to a fault or sender thread */

/* A request or reply between the agent and a task's thread: the header, the
   length of the payload, `pad` (0 from a worker; a fault or sender thread's
   result: which thread and which request, fault.c FT_PAD), the payload
   (request words or reply lines). */
typedef struct {
  mach_msg_header_t h;
  u32 len;
  u32 pad;
  unsigned char data[RESP_MAX];
} fwd_msg_t;

/* A fault or sender thread's result `pad`: the host's request seq in the
   low 20 bits (fault-thread.ts SEQ_MASK), the slot in the next 7, the host
   task (1..NTASKS-1) in the top 5; a worker's is 0. */
#define FT_PAD(task, slot, seq) (((seq) & 0xfffffu) | ((slot) & 0x7fu) << 20 | ((task) & 31u) << 27)
#define FT_PAD_SEQ(pad) ((pad) & 0xfffffu)
#define FT_PAD_SLOT(pad) (((pad) >> 20) & 0x7fu)
#define FT_PAD_TASK(pad) ((pad) >> 27)

/* agent.c: the one message buffer of the agent's thread, the reply port the
   task threads answer on, the reply being built. */
extern fwd_msg_t fwd;
extern mach_port_t fwd_reply;
extern char resp[];
extern u32 respn;
int task_live(u32 k);
void reply_kr(u32 kr, int with_value, u32 v);
void send_event(void);
void forward(u32 k, const unsigned char *req, u32 len);
/* Called by link.c while it waits for the host, and by senders.c. */
extern int watching;
void poll_events(void);
void idle_wait(void);

/* senders.c: message sends on a task's sender threads. */
void fault_call(u32 k, u32 slot, const unsigned char *w, u32 wlen, u32 seq);
void send_after(u32 k, u32 slot, const unsigned char *w, u32 wlen);

/* fault.c: each task's other threads, for the calls that may wait (for a pager, for room in a queue). */
void fault_init(void);
kern_return_t fault_thread_start(mach_port_t t, mach_port_t reply_name, u32 k);
kern_return_t fault_forward(u32 k, u32 s, const unsigned char *req, u32 len);
kern_return_t fault_port_of(u32 k, u32 s, mach_port_t *port);
void fault_forget(u32 k), fault_handed(u32 k, u32 s, int n), fault_result(u32 pad);
u32 fault_busy(u32 k, u32 s);
int fault_waiting(u32 k, u32 s);

/* link.c: the host link. */
void link_open(int tty, mach_port_t master);
unsigned char link_getc(void);
void link_flush(void);
void link_write(const void *p, u32 n);
u32 link_varint(int *bad);
void link_frame(unsigned char tag, const unsigned char *body, u32 n);

void fsclient_run(const u32 *args, u32 nwords);
#endif
