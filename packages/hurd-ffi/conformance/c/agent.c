/*
 * The live agent: a freestanding bootstrap task on the real GNU Mach that
 * serves the host's MachKernel calls over the second UART (GNU Mach `com1`,
 * I/O ports 0x2f8-0x2ff; link.c), in one of two link modes (gnumach-serial-link.md):
 * - polled (default): the agent polls the UART from user space after
 *   i386_io_perm_create / i386_io_perm_modify grant the ports; the kernel tty
 *   driver is out of the path, so there is no 0x1b merge and QEMU's 16-byte
 *   FIFO gives real backpressure.
 * - tty (the word "tty" after the two ports on the module line): the kernel's
 *   com1 tty through device_read_inband / device_write_inband, with
 *   tt_ispeed = B0 (reads complete at once instead of after 2 ticks), the
 *   host->agent stream escaped (0x1b -> 1c 02, 0x1c -> 1c 01: comintr() merges
 *   runs of 0x1b), short writes looped on. The tty input queue drops bytes
 *   beyond 4 KiB and QEMU ignores RTS; the host sends one request and waits
 *   for its reply, and the agent reads without pause while a request
 *   arrives, so at most one frame is ever unconsumed (the credit window is
 *   one frame).
 *
 * Link protocol, after the line "HURD-FFI AGENT READY <abi>\n" (protocol.ts
 * has the full description; it is kept small because every byte crosses an
 * emulated UART, and agent->host every byte is one send() in QEMU):
 *   host -> agent  LEB128 len, then len bytes: tag (1 byte), then task, op,
 *                  nargs and nargs argument words, each LEB128, then the
 *                  request's data bytes (the rest of the frame)
 *   agent -> host  LEB128 len, then len bytes: the request's tag byte, then
 *                  lines in the binary form of steps.h (wire_binary)
 * `op` is a steps.c opcode, run on the name space of host task `task`, or
 * one of the agent's own:
 *   100 TASK_CREATE     -> R 0 kr task
 *   101 TASK_TERMINATE  -> R 0 kr
 *   102 PING            -> R 0 0
 *   103 INSERT_FROM to name from from_name disp -> R 0 kr
 *   104 EXTRACT_TO name disp to (frame task = from) -> R 0 kr name type
 * (103/104 move a right between two host tasks through the agent's own
 * space, with the task ports it holds: mach_port_extract_right puts the right
 * in the caller's space; 103 inserts it with mach_port_insert_right, 104
 * hands it to the target task's worker in a message, so that the kernel's
 * copyout picks or merges the name as a real extract_right reply would.)
 *   25 WATCH name on    (a step for the task's worker) -> R 0 kr
 *   105 FAULT seq slot op args...  (fault.c: thread `slot` of the task, 0
 *      for pager calls, 1.. for sends that may block) -> R 0 kr at once; the
 *      result comes later as an unasked frame "F <task> <seq>\n" + its lines.
 *      A send to an idle thread is waited for up to FAULT_WAIT_MS first:
 *      then its lines are the reply (senders.c fault_call).
 *   106 SEND_AFTER slot msg-args  a timeout-0 send, after thread `slot`'s (senders.c send_after)
 *   26 FSCLIENT dir len path...  (fsclient.c in the task's worker) -> R 0 kr
 *      at once (the kr of handing it to the worker); the client's results
 *      come later as an unasked frame "P <task>\n" + its lines, because its
 *      calls block on a server that the host serves through this same link.
 * A watched receive right joins the worker's port set; every message that
 * arrives on it is received there and sent to the host unasked, as a frame
 * with tag 0: "W <task> <name>\nM 0 <hex>\n" (the message as the task got it).
 *
 * Name spaces: every host task is a task this agent created with
 * task_create(inherit_memory = TRUE), so it holds a copy of this image, and a
 * thread started in worker_entry(). mach_msg acts on the caller's own space,
 * so a step has to run in a thread of the task it is for: the agent forwards
 * each request to that task's worker as a Mach message on a receive right the
 * agent allocated in the task before starting the thread, and the worker
 * replies with the lines on a send right to the agent's reply port (both
 * names and the host task id reach worker_main in registers). The port calls
 * that only take the task's port (direct_step) run in the agent itself.
 */
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>
#include <mach/thread_status.h>
#include "mach.h"
#include "mach_port.h"
#include "device.h"
#include "mach_i386.h"
#include <device/device_types.h>
#include <device/tty_status.h>

#include "agent.h"

/* ---- the response text, collected from steps.c's output ---- */
char resp[RESP_MAX + 8] __attribute__((aligned(16)));
u32 respn;
static void resp_append(const char *p, unsigned n) {
  for (unsigned i = 0; i < n && respn < RESP_MAX; i++) resp[respn++] = p[i];
}
int watching;

fwd_msg_t fwd __attribute__((aligned(16)));

/* A right handed to a worker, so that the kernel's copyout puts it in the
   worker's space exactly as a reply to mach_port_extract_right would (the
   name of an existing send right to the same port is reused, its urefs
   merged): mach_port_insert_right cannot do that. */
typedef struct {
  mach_msg_header_t h;
  mach_msg_type_t t;
  mach_port_name_inlined_t port;
} right_msg_t;

static char worker_stack[1 << 16] __attribute__((aligned(16)));

/* ---- a worker: runs steps in its own task's space ---- */
void worker_entry(void);
__asm__(".text\n.globl worker_entry\nworker_entry:\n"
#ifdef __x86_64__
        "  movq %rax, %rdi\n  movq %rdx, %rsi\n  movq %rbx, %rdx\n"
#else
        "  pushl %ebx\n  pushl %edx\n  pushl %eax\n"
#endif
        "  call worker_main\n1: jmp 1b\n");

/* `port`: the receive right requests arrive on; `reply_to`: a send right to
   the agent's reply port. Requests carry no reply right, so that a step runs
   in a space holding only the names the step made (a send-once reply right
   would take the lowest free name, changing the names the step gets). */
__attribute__((noreturn, used)) void worker_main(mach_port_t port, mach_port_t reply_to, u32 host_id) {
  mach_port_t wset = MACH_PORT_NULL;
  /* Everything inherited from the agent names the agent's space, not ours. */
  reply_port = MACH_PORT_NULL;
  nhidden = 0;
  self = mach_task_self();
  agent_mode = 1;
  wire_binary = 1;
  target = MACH_PORT_NULL;
  out_sink = resp_append;
  /* Every worker's space starts alike, its own names made before any step:
     its request port, its task port, MIG's reply port. */
  (void)mig_get_reply_port();
  /* Requests and watched ports arrive on one port set. */
  if (mach_port_allocate(self, MACH_PORT_RIGHT_PORT_SET, &wset) == KERN_SUCCESS) mach_port_move_member(self, port, wset);
  hide_current_names();
  /* Each answer goes out in the same trap that waits for the next request
     (SEND|RCV): one kernel entry instead of two. */
  mach_msg_size_t answer = 0;
  for (;;) {
    mach_msg_return_t kr = mach_msg_trap((void *)&fwd, answer ? MACH_SEND_MSG | MACH_RCV_MSG : MACH_RCV_MSG, answer, sizeof fwd, wset, 0, 0);
    answer = 0;
    if (kr != MACH_MSG_SUCCESS) continue;
    if (fwd.h.msgh_local_port != port) {
      /* A message on a watched port: to the host, as this task received it. */
      u32 size = fwd.h.msgh_size > sizeof fwd ? (u32)sizeof fwd : fwd.h.msgh_size;
      respn = 0;
      putc_('W'); sp_hex(host_id); sp_hex(fwd.h.msgh_local_port); eol();
      putc_('M'); sp_hex(0); bytes_hex((const unsigned char *)&fwd, size); eol();
      fwd.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
      fwd.h.msgh_remote_port = reply_to;
      fwd.h.msgh_local_port = MACH_PORT_NULL;
      fwd.h.msgh_id = ID_EVENT;
      fwd.len = respn;
      fwd.pad = 0; /* not a fault thread's result (fault_call) */
      memcpy(fwd.data, resp, respn);
      fwd.h.msgh_size = (mach_msg_size_t)((sizeof fwd.h + 8 + respn + 7) & ~7u);
      answer = fwd.h.msgh_size;
      continue;
    }
    u32 len = fwd.len;
    if (len > REQ_MAX) len = 0;
    bp = (const u32 *)fwd.data;
    bend = bp + len / 4;
    respn = 0;
    if (fwd.h.msgh_id == ID_RIGHT && (fwd.h.msgh_bits & MACH_MSGH_BITS_COMPLEX)) {
      right_msg_t *m = (right_msg_t *)&fwd;
      putc_('R'); sp_hex(0); sp_hex(0); sp_hex(m->port.name); sp_hex(m->t.msgt_name); eol();
    } else if (len >= 8) {
      u32 op = word(), n = word();
      if (op == OP_FSCLIENT) {
        putc_('P'); sp_hex(host_id); eol();
        fsclient_run(bp + 1, n > 0 ? n - 1 : 0); /* after the step number, as run_step's args */
        fwd.h.msgh_id = ID_EVENT - 100; /* sent below as an event, not a reply */
      } else if (op == OP_WATCH) {
        u32 unused = word(); (void)unused;
        mach_port_t name = word(); u32 on = word();
        kern_return_t k = mach_port_move_member(self, name, on ? wset : MACH_PORT_NULL);
        putc_('R'); sp_hex(0); sp_hex(k); eol();
      } else run_step(0, op, bp + n);
      flush();
    }
    fwd.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    fwd.h.msgh_remote_port = reply_to;
    fwd.h.msgh_local_port = MACH_PORT_NULL;
    fwd.h.msgh_id += 100;
    fwd.len = respn;
    fwd.pad = 0; /* not a fault thread's result (fault_call) */
    memcpy(fwd.data, resp, respn);
    fwd.h.msgh_size = (mach_msg_size_t)((sizeof fwd.h + 8 + respn + 7) & ~7u);
    answer = fwd.h.msgh_size;
  }
}

/* ---- the agent's task table ---- */
static struct { mach_port_t task, worker, thread; } tasks[NTASKS];
mach_port_t fwd_reply;

int task_live(u32 k) { return k > 0 && k < NTASKS && tasks[k].task != MACH_PORT_NULL; }

static void say(const char *s) {
  respn = 0;
  while (*s) resp_append(s++, 1);
}

void reply_kr(u32 kr, int with_value, u32 v) {
  respn = 0;
  out_sink = resp_append;
  putc_('R'); sp_hex(0); sp_hex(kr); if (with_value) sp_hex(v); eol();
}

static int send_to_worker(u32 k, const unsigned char *req, u32 len, int rcv, mach_msg_return_t *kr);
static mach_msg_return_t await_reply(void);

static kern_return_t task_fork(u32 *id) {
  u32 k = 1;
  while (k < NTASKS && tasks[k].task != MACH_PORT_NULL) k++;
  if (k == NTASKS) return KERN_RESOURCE_SHORTAGE;
  mach_port_t t = MACH_PORT_NULL, th = MACH_PORT_NULL, w = MACH_PORT_NULL;
  mach_msg_type_name_t ty = 0;
  kern_return_t kr = task_create(self, 1, &t);
  if (kr != KERN_SUCCESS) return kr;
  mach_port_t wname = MACH_PORT_NULL, rname = MACH_PORT_NULL;
  kr = mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &wname);
  if (kr == KERN_SUCCESS) kr = mach_port_extract_right(t, wname, MACH_MSG_TYPE_MAKE_SEND, &w, &ty);
  /* A name the kernel picks in t for the send right to our reply port. */
  if (kr == KERN_SUCCESS) kr = mach_port_allocate(t, MACH_PORT_RIGHT_DEAD_NAME, &rname);
  if (kr == KERN_SUCCESS) kr = mach_port_destroy(t, rname);
  if (kr == KERN_SUCCESS) kr = mach_port_insert_right(t, rname, fwd_reply, MACH_MSG_TYPE_MAKE_SEND);
  if (kr == KERN_SUCCESS) kr = thread_create(t, &th);
  if (kr == KERN_SUCCESS) {
    struct i386_thread_state st;
    mach_msg_type_number_t cnt = i386_THREAD_STATE_COUNT;
    memset(&st, 0, sizeof st);
    /* The user segment selectors are the ones this thread runs with (no
       thread_get_state: on a thread that never ran it waits for a stop). */
    unsigned short cs, ss, ds;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2" : "=r"(cs), "=r"(ss), "=r"(ds));
    uptr top = (uptr)(worker_stack + sizeof worker_stack);
    st.cs = cs; st.ss = ss;
#ifdef __x86_64__
    st.rip = (uptr)worker_entry;
    st.rax = wname;
    st.rdx = rname;
    st.rbx = k;
    st.ursp = top; /* worker_entry's call leaves rsp + 8 16-aligned */
    st.rfl = 0x202;
#else
    st.ds = st.es = st.fs = st.gs = ds;
    st.eip = (uptr)worker_entry;
    st.eax = wname;
    st.edx = rname;
    st.ebx = k;
    st.uesp = top - 4; /* after the pushes and the call: as the ABI wants */
    st.efl = 0x202;
#endif
    if (kr == KERN_SUCCESS) kr = thread_set_state(th, i386_THREAD_STATE, (thread_state_t)&st, cnt);
  }
  /* Before the worker runs, so that it hides the fault thread's ports as its own. */
  if (kr == KERN_SUCCESS) kr = fault_thread_start(t, rname, k);
  if (kr == KERN_SUCCESS) kr = thread_resume(th);
  if (kr != KERN_SUCCESS) {
    fault_forget(k);
    task_terminate(t);
    mach_port_deallocate(self, t);
    if (w != MACH_PORT_NULL) mach_port_deallocate(self, w);
    if (th != MACH_PORT_NULL) mach_port_deallocate(self, th);
    return kr;
  }
  tasks[k].task = t; tasks[k].worker = w; tasks[k].thread = th;
  *id = k;
  /* The worker records the names it starts with, to hide them from
     portNames, before its first receive. Port calls the agent runs directly
     on the task port (direct_step) must not come before that, or their names
     would be hidden too: an empty request, answered once the worker receives,
     is the barrier. */
  mach_msg_return_t mr;
  if (send_to_worker(k, (const unsigned char *)"", 0, 1, &mr) && mr == MACH_MSG_SUCCESS && fwd.h.msgh_id == ID_EVENT) {
    send_event();
    mr = await_reply();
  }
  respn = 0;
  return KERN_SUCCESS;
}

static kern_return_t task_end(u32 k) {
  if (k == 0 || k >= NTASKS || tasks[k].task == MACH_PORT_NULL) return KERN_INVALID_TASK_;
  kern_return_t kr = task_terminate(tasks[k].task);
  fault_forget(k);
  mach_port_deallocate(self, tasks[k].task);
  mach_port_deallocate(self, tasks[k].worker);
  mach_port_deallocate(self, tasks[k].thread);
  tasks[k].task = tasks[k].worker = tasks[k].thread = MACH_PORT_NULL;
  return kr;
}

static mach_port_t task_port(u32 k) {
  return k > 0 && k < NTASKS ? tasks[k].task : MACH_PORT_NULL;
}

static kern_return_t insert_from(u32 to, mach_port_t name, u32 from, mach_port_t from_name, u32 disp) {
  mach_port_t tt = task_port(to), ft = task_port(from), got = MACH_PORT_NULL;
  mach_msg_type_name_t ty = 0;
  if (tt == MACH_PORT_NULL || ft == MACH_PORT_NULL) return KERN_INVALID_TASK_;
  kern_return_t kr = mach_port_extract_right(ft, from_name, disp, &got, &ty);
  if (kr != KERN_SUCCESS) return kr;
  kr = mach_port_insert_right(tt, name, got, ty);
  if (kr != KERN_SUCCESS) mach_port_destroy(self, got);
  return kr;
}

/* Extracts a right from one host task and hands it to another's worker in a
   message (right_msg_t); the worker's text reply names it. */
static void extract_to(u32 from, mach_port_t name, u32 disp, u32 to) {
  mach_port_t ft = task_port(from), got = MACH_PORT_NULL;
  mach_msg_type_name_t ty = 0;
  respn = 0;
  if (task_port(to) == MACH_PORT_NULL || ft == MACH_PORT_NULL) { reply_kr(KERN_INVALID_TASK_, 0, 0); return; }
  kern_return_t kr = mach_port_extract_right(ft, name, disp, &got, &ty);
  if (kr != KERN_SUCCESS) { reply_kr(kr, 0, 0); return; }
  right_msg_t *m = (right_msg_t *)&fwd;
  memset(m, 0, sizeof *m);
  m->h.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m->h.msgh_size = sizeof *m;
  m->h.msgh_remote_port = tasks[to].worker;
  m->h.msgh_local_port = MACH_PORT_NULL;
  m->h.msgh_id = ID_RIGHT;
  m->t.msgt_name = ty;
  m->t.msgt_size = 8 * sizeof(mach_port_name_inlined_t);
  m->t.msgt_number = 1;
  m->t.msgt_inline = 1;
  m->port.name = got;
  kr = mach_msg_trap((void *)m, MACH_SEND_MSG, sizeof *m, 0, 0, 0, 0);
  if (kr == MACH_MSG_SUCCESS) kr = await_reply();
  if (kr != MACH_MSG_SUCCESS) { mach_port_destroy(self, got); say("X worker "); sp_hex(kr); eol(); return; }
  u32 n = fwd.len > RESP_MAX ? RESP_MAX : fwd.len;
  memcpy(resp, fwd.data, n);
  respn = n;
}

/* Sends request words to task k's worker, and with `rcv` waits for the
   first message on the reply port in the same trap (SEND|RCV: one kernel
   entry, and the kernel can hand the CPU straight to the worker). Returns 0
   (after answering KERN_INVALID_TASK) when there is no such task, else 1
   with mach_msg's return code in *kr. */
static int send_to_worker(u32 k, const unsigned char *req, u32 len, int rcv, mach_msg_return_t *kr) {
  if (k == 0 || k >= NTASKS || tasks[k].task == MACH_PORT_NULL) { reply_kr(KERN_INVALID_TASK_, 0, 0); return 0; }
  fwd.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  fwd.h.msgh_remote_port = tasks[k].worker;
  fwd.h.msgh_local_port = MACH_PORT_NULL;
  fwd.h.msgh_id = ID_REQUEST;
  fwd.len = len;
  memcpy(fwd.data, req, len);
  fwd.h.msgh_size = (mach_msg_size_t)((sizeof fwd.h + 8 + len + 7) & ~7u);
  if (rcv) *kr = mach_msg_trap((void *)&fwd, MACH_SEND_MSG | MACH_RCV_MSG, fwd.h.msgh_size, sizeof fwd, fwd_reply, 0, 0);
  else *kr = mach_msg_trap((void *)&fwd, MACH_SEND_MSG, fwd.h.msgh_size, 0, 0, 0, 0);
  return 1;
}

/* Sends request words to task k's worker and waits for its text. */
void forward(u32 k, const unsigned char *req, u32 len) {
  mach_msg_return_t kr;
  if (!send_to_worker(k, req, len, 1, &kr)) return;
  if (kr == MACH_MSG_SUCCESS && fwd.h.msgh_id == ID_EVENT) {
    send_event(); /* an event came first: pass it on, then wait for the answer */
    kr = await_reply();
  }
  respn = 0;
  if (kr != MACH_MSG_SUCCESS) { say("X worker "); out_sink = resp_append; sp_hex(kr); eol(); return; }
  u32 n = fwd.len > RESP_MAX ? RESP_MAX : fwd.len;
  memcpy(resp, fwd.data, n);
  respn = n;
}

/* Hands request words to task k's worker without waiting for its answer
   (FSCLIENT): the answer comes back as an event. */
static void forward_detached(u32 k, const unsigned char *req, u32 len) {
  mach_msg_return_t kr;
  if (!send_to_worker(k, req, len, 0, &kr)) return;
  reply_kr(kr, 0, 0);
}

static u32 req[REQ_MAX / 4 + 4];
static unsigned char raw[REQ_MAX];

/* A request frame's body (protocol.ts encodeRequest): tag byte, then task,
   op and nargs as LEB128, the nargs argument words as LEB128, and the rest
   of the frame raw data bytes. Laid out in req as the step the executor
   reads: op, nwords, args, the data padded to whole words. 0 if malformed. */
static u32 rawpos, rawlen;
static int raw_varint(u32 *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (rawpos >= rawlen) return 0;
    unsigned char c = raw[rawpos++];
    *v |= (u32)(c & 0x7f) << shift;
    if (!(c & 0x80)) return 1;
  }
  return 0;
}
static int decode_request(u32 len, u32 *task, u32 *op, u32 *nargs, u32 *nwords) {
  rawpos = 1;
  rawlen = len;
  if (!raw_varint(task) || !raw_varint(op) || !raw_varint(nargs)) return 0;
  if (*nargs > REQ_MAX / 4) return 0;
  for (u32 i = 0; i < *nargs; i++)
    if (!raw_varint(&req[2 + i])) return 0;
  u32 dlen = len - rawpos, dwords = (dlen + 3) / 4;
  if ((2 + *nargs + dwords) * 4 > sizeof req) return 0;
  if (dwords) req[2 + *nargs + dwords - 1] = 0; /* the last word's padding */
  memcpy(req + 2 + *nargs, raw + rawpos, dlen);
  *nwords = *nargs + dwords;
  req[0] = *op;
  req[1] = *nwords;
  return 1;
}

/* The steps that take a task port and touch nothing of the caller's space:
   no right or name passes between the caller and the task (insert_right's
   poly right, extract_right's and request_notification's returned rights,
   mach_msg all do), no memory is mapped in the caller (vm_read, vm_write),
   and names need no hiding (mach_port_names hides the worker's own names).
   The kernel runs them alike whoever holds the task port, so the agent runs
   them here on the task's port, sparing the Mach message pair to and from
   the task's worker and two address-space switches. */
static int direct_step(u32 op) {
  switch (op) {
  case 1: case 2: case 3: case 4: case 8: case 9: case 10: case 11: case 12: case 13:
  case 18: case 19: case 21: case 22:
    return 1;
  default:
    return 0;
  }
}
static void run_direct(u32 k, u32 op, const u32 *args, u32 n) {
  if (k == 0 || k >= NTASKS || tasks[k].task == MACH_PORT_NULL) { reply_kr(KERN_INVALID_TASK_, 0, 0); return; }
  respn = 0;
  out_sink = resp_append;
  target = tasks[k].task;
  bp = args;
  bend = args + n;
  run_step(0, op, args + n);
  flush();
  target = MACH_PORT_NULL;
}

/* An event from a worker goes straight to the host as a tag-0 frame; the
   host tells it from replies by the tag. */
void send_event(void) {
  fault_result(fwd.pad);
  u32 n = fwd.len > RESP_MAX ? RESP_MAX : fwd.len;
  link_frame(0, fwd.data, n);
}

/* Between requests: any event waiting on the reply port, without blocking. */
void poll_events(void) {
  for (;;) {
    mach_msg_return_t kr = mach_msg_trap((void *)&fwd, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof fwd, fwd_reply, 0, 0);
    if (kr != MACH_MSG_SUCCESS) return;
    if (fwd.h.msgh_id == ID_EVENT) send_event();
  }
}

/* One tick's sleep (the shortest mach_msg timeout at hz = 100), in a
   receive on the reply port so that an event ends it at once. */
void idle_wait(void) {
  mach_msg_return_t kr = mach_msg_trap((void *)&fwd, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof fwd, fwd_reply, 1, 0);
  if (kr == MACH_MSG_SUCCESS && fwd.h.msgh_id == ID_EVENT) send_event();
}

/* Waits for a worker's reply, passing events on meanwhile. */
static mach_msg_return_t await_reply(void) {
  for (;;) {
    mach_msg_return_t kr = mach_msg_trap((void *)&fwd, MACH_RCV_MSG, 0, sizeof fwd, fwd_reply, 0, 0);
    if (kr != MACH_MSG_SUCCESS || fwd.h.msgh_id != ID_EVENT) return kr;
    send_event();
  }
}

void cmain(uptr *sp) {
  uptr argc = sp[0];
  char **argv = (char **)(sp + 1);
  self = mach_task_self();
  host_port = argc > 1 ? atou(argv[1]) : 0;
  master_port = argc > 2 ? atou(argv[2]) : 0;
  out_sink = resp_append;
  link_open(argc > 3 && argv[3][0] == 't' && argv[3][1] == 't' && argv[3][2] == 'y' && argv[3][3] == 0, master_port);
  if (mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &fwd_reply) != KERN_SUCCESS) for (;;);
  fault_init();
  const char *ready = "\nHURD-FFI AGENT READY " ABI_NAME "\n";
  u32 rl = 0;
  while (ready[rl]) rl++;
  link_write(ready, rl);
  link_flush();
  wire_binary = 1; /* after READY every line is binary; the workers inherit it */
  for (;;) {
    int bad = 0;
    u32 len = link_varint(&bad);
    /* A frame too long, too short or with a bad length has no tag to answer
       with: 0xff (never 0, which would make the answer an unasked event the
       host does not wait for; the host fails the link on it). */
    unsigned char tag = 0xff;
    if (bad || len > REQ_MAX || len < 4) {
      if (!bad) for (u32 i = 0; i < len; i++) (void)link_getc();
      say("X frame\n");
    } else {
      for (u32 i = 0; i < len; i++) raw[i] = link_getc();
      tag = raw[0];
      u32 task = 0, op = 0, nargs = 0, n = 0;
      if (!decode_request(len, &task, &op, &nargs, &n)) {
        say("X frame\n");
      } else {
        /* req = op nwords arg[nwords]: a step as steps.c and the workers take it. */
        const u32 *a = req + 2;
        unsigned char *w = (unsigned char *)req;
        u32 wlen = (2 + n) * 4;
        if (op == OP_TASK_CREATE) {
          u32 id = 0;
          kern_return_t kr = task_fork(&id);
          reply_kr(kr, 1, kr == KERN_SUCCESS ? id : 0);
        } else if (op == OP_TASK_TERMINATE) {
          reply_kr(task_end(task), 0, 0);
        } else if (op == OP_INSERT_FROM && nargs >= 5) {
          reply_kr(insert_from(a[0], a[1], a[2], a[3], a[4]), 0, 0);
        } else if (op == OP_EXTRACT_TO && nargs >= 3) {
          extract_to(task, a[0], a[1], a[2]);
        } else if (op == OP_PING) {
          reply_kr(0, 0, 0);
        } else if (op == OP_FAULT && nargs >= 3 && a[2] == OP_MSG && a[1] != 0) {
          fault_call(task, a[1], w, wlen, a[0]);
        } else if (op == OP_FAULT && nargs >= 3) {
          watching = 1; /* the result comes as an event: keep passing events on */
          reply_kr(fault_forward(task, a[1], w, wlen), 0, 0);
        } else if (op == OP_SEND_AFTER && nargs >= 2) {
          /* req = 106 n slot args...: the worker takes 15 n-1 args... */
          req[1] = OP_MSG;
          req[2] = n - 1;
          send_after(task, a[0], (const unsigned char *)(req + 1), (1 + n) * 4);
        } else if (op == OP_FSCLIENT) {
          watching = 1; /* the answer is an event: keep passing events on */
          forward_detached(task, w, wlen);
        } else if (direct_step(op)) {
          run_direct(task, op, a, n);
        } else {
          if (op == OP_WATCH) watching = 1;
          forward(task, w, wlen);
        }
      }
    }
    link_frame(tag, (const unsigned char *)resp, respn);
  }
}
