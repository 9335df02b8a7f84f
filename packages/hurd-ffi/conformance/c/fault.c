/*
 * The fault thread of a host task: the calls that may wait for a pager.
 *
 * vm_map of a memory object, and any access to memory backed by one, can
 * block in the kernel until the object's pager answers (memory_object_ready,
 * data_supply ...). The pager may be a TypeScript server on this same
 * kernel, reached through the agent's one link, and the messages it is sent
 * reach it through a task's worker (watched ports). So such a call must block
 * neither the agent's main loop (the link) nor any worker: it runs here, in a
 * second thread of the task it is for (vm_map, mach_msg and task memory act on
 * the caller's task), and its result goes to the host unasked, as an event.
 *
 * A task has up to FT_SLOTS such threads: slot 0 for the calls that wait
 * for a pager, slots 1..FT_SENDERS for message sends that may block on a
 * full queue (the host gives each send the slot of its destination port
 * while a send of the task to that port is pending, so one port's messages
 * keep their order, else an idle slot, else a new one: a send blocked on
 * one port's qlimit holds back no send to another port, however many ports
 * wait at once, up to FT_SENDERS of them: fault-thread.ts). Slot 0 starts
 * with the task; a sender thread and its request port are made on its
 * first request and kept for reuse until the task ends.
 *
 * Request (a Mach message from the agent, on the slot's own port):
 *   105 n seq slot op arg...   op one of the steps.c opcodes below, args as there
 * Result (to the agent's reply port, its `pad` word FT_PAD(task, slot, seq):
 * the request's seq and the thread, so that the agent knows which thread
 * is free again: fault_result): the
 * lines, in the binary form of steps.h (wire_binary),
 *   F <task> <seq>\n  then  R 0 <kr> [v ...]\n  [D 0 <bytes>\n | M 0 <bytes>\n]
 * which the agent sends to the host as the request's reply when it came
 * within FAULT_WAIT_MS (senders.c fault_call, a message send), else as an
 * unasked tag-0 event frame.
 *   VM_MAP (27)        addr_lo addr_hi size anywhere object off_lo off_hi copy access
 *                      -> R 0 kr addr_lo addr_hi
 *   VM_DEALLOCATE (22), VM_READ (23), VM_WRITE (24): as steps.c (task word ignored)
 *   MSG (15): as steps.c with no blobs or patches (the host's raw bytes)
 *
 * This thread shares its task's memory with the worker but none of its
 * state: its own buffers, its own output, its own MIG reply port (build.sh
 * links a second copy of the mach.defs user stubs whose reply-port hooks are
 * the fault_mig_* below). Its ports are made by the agent before the task's
 * worker starts, so that the worker hides them from portNames like its own.
 */
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>
#include <mach/thread_status.h>
#include <mach/vm_inherit.h>
#include "mach.h"
#include "mach_port.h"
#include <mach/thread_info.h>
#include "agent.h"

int memcmp(const void *a, const void *b, __SIZE_TYPE__ n); /* steps.c */

#define NTASKS_F NTASKS
#define ID_EVENT_F ID_EVENT /* an event the agent passes on */
#define F_REQ_MAX REQ_MAX
/* A result: a few lines and at most one message or one 32 KiB read (and
   the buffer a request is received in, so no smaller than one). */
#define F_OUT_MAX REQ_MAX
#define OP_FAULT_VM_MAP 27
/* Threads per task: slot 0 (pager calls) and up to FT_SENDERS senders
   (steps.h SENDER_THREADS, fault-thread.ts SEND_THREADS). */
#define FT_SENDERS SENDER_THREADS
#define FT_SLOTS (1 + FT_SENDERS)

/* The stubs of machUser.c compiled again with the reply-port hooks renamed (build.sh). */
extern __typeof__(vm_map) fault_vm_map;
extern __typeof__(vm_write) fault_vm_write;
extern __typeof__(vm_deallocate) fault_vm_deallocate;
extern __typeof__(vm_copy) fault_vm_copy;

typedef struct {
  mach_msg_header_t h;
  u32 len;
  u32 pad;
  unsigned char data[F_REQ_MAX];
} fault_req_t;
typedef struct {
  mach_msg_header_t h;
  u32 len;
  u32 pad;
  char data[F_OUT_MAX];
} fault_out_t;

/* Each task's window for task memory, in one region every task shares with
   the agent (VM_INHERIT_SHARE before any task is made: fault_init). Pages
   are copied in with vm_copy, whose overwrite of a shared destination is a
   physical copy (vm_fault_copy): a page of a delayed copy of a COPY_DELAY
   object is then faulted in by the kernel, which turns a pager's data_error
   into a return code. Reading a vm_read result instead would fault in user
   mode here, and a data_error would be an exception that ends the task. */
#define F_SLICE (BUFSZ / 2 + 2 * PAGE) /* a 32 KiB host chunk, page-rounded */
static unsigned char fault_window[NTASKS_F][F_SLICE] __attribute__((aligned(4096)));
static unsigned char *window;
/* What vm_write sends back: private to the task, so that the window is
   never the source of a kernel copy (vm_map_copyin would mark the shared
   window copy-on-write, and a later copy into it stalled the thread). */
static unsigned char wbuf[F_SLICE] __attribute__((aligned(4096)));

/* ---- each thread's own state (each host task has its own copy of this image) ---- */
typedef struct {
  fault_req_t in;
  fault_out_t out;
  unsigned char mbuf[BUFSZ];
  unsigned char mbefore[BUFSZ];
  const u32 *fp, *fend;
} fthread_t;
static fthread_t fthr[FT_SLOTS] __attribute__((aligned(16)));
static char fault_stack[FT_SLOTS][1 << 16] __attribute__((aligned(16)));
static mach_port_t fself, freply;

/* MIG's reply port for slot 0 only (the senders make no MIG call): a
   receive right the agent made for it. After a failed exchange MIG asks for
   a fresh one; a second kernel call from that thread cannot be in flight, so
   the same right is kept. */
mach_port_t fault_mig_get_reply_port(void) { return freply; }
void fault_mig_dealloc_reply_port(mach_port_t p) { (void)p; }
void fault_mig_put_reply_port(mach_port_t p) { (void)p; }

static u32 fword(fthread_t *t) { return t->fp < t->fend ? *t->fp++ : 0; }
static vm_address_t faddr(fthread_t *t) {
  u64 lo = fword(t), hi = fword(t);
  return (vm_address_t)(lo | hi << 32);
}

static void oc(fthread_t *t, char c) {
  if (t->out.len < F_OUT_MAX) t->out.data[t->out.len++] = c;
}
/* Numbers and byte strings in the binary form of steps.h (wire_binary), as
   the workers write them: a result may go back to the host as the reply to
   its request (fault_call in senders.c), which must be binary, and a message
   crosses the link in half the bytes of hex. */
static void ohex(fthread_t *t, u32 v) {
  if (v < 64) { oc(t, (char)(0x80 | v)); return; }
  unsigned z = 0;
  while (z < 3 && (v & 0xff) == 0) { v >>= 8; z++; }
  unsigned k = v < 0x100u ? 1 : v < 0x10000u ? 2 : v < 0x1000000u ? 3 : 4;
  oc(t, (char)(0xc0 | z << 3 | k));
  for (unsigned i = 0; i < k; i++, v >>= 8) oc(t, (char)(v & 0xff));
}
static void obytes(fthread_t *t, const unsigned char *p, u32 n) {
  oc(t, (char)0xd0); ohex(t, n);
  for (u32 i = 0; i < n; i++) oc(t, (char)p[i]);
}
static void oresult(fthread_t *t, kern_return_t kr) { oc(t, 'R'); ohex(t, 0); ohex(t, kr); }

/* Whole pages into this task's window (vm_copy): an unmapped address or a
   pager's data_error is a return code, never a fault here. */
static kern_return_t fread_pages(vm_address_t a, vm_size_t n, vm_offset_t *data, vm_address_t *base, vm_size_t *len) {
  *base = a & ~(vm_address_t)(PAGE - 1);
  *len = ((a + n + PAGE - 1) & ~(vm_address_t)(PAGE - 1)) - *base;
  if (*len > F_SLICE) return KERN_INVALID_ARGUMENT;
  *data = (vm_offset_t)window;
  return fault_vm_copy(fself, *base, *len, (vm_address_t)window);
}

static void f_vm_map(fthread_t *t) {
  vm_address_t a = faddr(t);
  vm_size_t size = fword(t);
  u32 anywhere = fword(t);
  mach_port_t object = fword(t);
  vm_offset_t offset = (vm_offset_t)faddr(t);
  u32 copy = fword(t), access = fword(t);
  /* The host's `access` is the maximum; the mapping starts with all of it. */
  kern_return_t kr = fault_vm_map(fself, &a, size, 0, anywhere != 0, object, offset, copy != 0, access, access, VM_INHERIT_COPY);
  oresult(t, kr); ohex(t, kr == KERN_SUCCESS ? (u32)a : 0); ohex(t, kr == KERN_SUCCESS ? (u32)((u64)a >> 32) : 0); oc(t, '\n');
}

static void f_vm_read(fthread_t *t) {
  (void)fword(t);
  vm_address_t a = faddr(t);
  vm_size_t n = fword(t);
  vm_offset_t data = 0; vm_address_t base; vm_size_t len;
  kern_return_t kr = n == 0 ? KERN_SUCCESS : fread_pages(a, n, &data, &base, &len);
  oresult(t, kr); oc(t, '\n');
  if (kr != KERN_SUCCESS || n == 0) return;
  oc(t, 'D'); ohex(t, 0); obytes(t, (const unsigned char *)data + (a - base), (u32)n); oc(t, '\n');
}

static void f_vm_write(fthread_t *t) {
  (void)fword(t);
  vm_address_t a = faddr(t);
  vm_size_t n = fword(t);
  const unsigned char *src = (const unsigned char *)t->fp;
  vm_offset_t data = 0; vm_address_t base; vm_size_t len;
  kern_return_t kr = n == 0 ? KERN_SUCCESS : fread_pages(a, n, &data, &base, &len);
  if (kr == KERN_SUCCESS && n != 0) {
    memcpy(wbuf, (const unsigned char *)data, len);
    memcpy(wbuf + (a - base), src, n);
    kr = fault_vm_write(fself, base, (vm_offset_t)wbuf, len);
  }
  oresult(t, kr); oc(t, '\n');
}

static void f_vm_deallocate(fthread_t *t) {
  (void)fword(t);
  vm_address_t a = faddr(t);
  vm_size_t n = fword(t);
  kern_return_t kr = fault_vm_deallocate(fself, a, n);
  oresult(t, kr); oc(t, '\n');
}

/* mach_msg with the host's bytes: a send that waits for room in a full
   queue, or whose out-of-line data lies in mapped memory (faulted in during
   copyin), waits here. */
static void f_msg(fthread_t *t) {
  (void)fword(t);
  u32 options = fword(t), send_size = fword(t), rcv_size = fword(t);
  mach_port_t rcv_name = fword(t);
  u32 timeout = fword(t);
  mach_port_t notify = fword(t);
  u32 tlen = fword(t);
  (void)fword(t); (void)fword(t); /* no blobs, no patches */
  unsigned char *mbuf = t->mbuf;
  if (send_size > BUFSZ) send_size = BUFSZ;
  if (rcv_size > BUFSZ) rcv_size = BUFSZ;
  u32 region = send_size > rcv_size ? send_size : rcv_size;
  if (region < HDR_SIZE) region = HDR_SIZE;
  /* Only the region the kernel reads or writes is compared afterwards:
     filling just that leaves the rest of a sender's buffer untouched (no
     pages of it faulted in for a small message). */
  memset(mbuf, 0xdb, region);
  if (tlen > BUFSZ) tlen = BUFSZ;
  if ((u32)((const unsigned char *)t->fend - (const unsigned char *)t->fp) < tlen) tlen = (u32)((const unsigned char *)t->fend - (const unsigned char *)t->fp);
  memcpy(mbuf, t->fp, tlen);
  memcpy(t->mbefore, mbuf, region);
  mach_msg_return_t kr = mach_msg_trap((void *)mbuf, options, send_size, rcv_size, rcv_name, timeout, notify);
  oresult(t, kr); oc(t, '\n');
  int received = (options & MACH_RCV_MSG) && (kr == MACH_MSG_SUCCESS || (kr & ~0x3c00u) == MACH_MSG_SUCCESS);
  if (received || kr == MACH_RCV_TOO_LARGE || memcmp(t->mbefore, mbuf, region) != 0) {
    u32 n = mbuf[4] | mbuf[5] << 8 | mbuf[6] << 16 | (u32)mbuf[7] << 24;
    if (n < HDR_SIZE || n > region || kr == MACH_RCV_TOO_LARGE) n = HDR_SIZE;
    oc(t, 'M'); ohex(t, 0); obytes(t, mbuf, n); oc(t, '\n');
  }
}

/* `port`: requests from the agent; `reply_to`: a send right to the agent's
   reply port; `who`: host task id | slot << 16; `mig_reply`: slot 0's MIG
   reply port. */
__attribute__((noreturn, used)) void fault_main(mach_port_t port, mach_port_t reply_to, u32 who, mach_port_t mig_reply) {
  u32 host_id = who & 0xffff, slot = who >> 16;
  fthread_t *t = &fthr[slot < FT_SLOTS ? slot : 0];
  if (slot == 0) {
    freply = mig_reply;
    fself = mach_task_self();
    window = fault_window[host_id < NTASKS_F ? host_id : 0];
  }
  /* Each result goes out in the same trap that waits for the next request
     (SEND|RCV, as the workers do: one kernel entry instead of two). The
     request lands in `out`, the one buffer of that trap; it is copied to
     `in` before the result is written there. */
  mach_msg_size_t answer = 0;
  for (;;) {
    mach_msg_return_t kr = mach_msg_trap((void *)&t->out, answer ? MACH_SEND_MSG | MACH_RCV_MSG : MACH_RCV_MSG, answer, sizeof t->out, port, 0, 0);
    answer = 0;
    if (kr != MACH_MSG_SUCCESS || t->out.h.msgh_id != ID_FAULT) continue;
    u32 len = t->out.len > F_REQ_MAX ? F_REQ_MAX : t->out.len;
    memcpy(t->in.data, t->out.data, len);
    t->fp = (const u32 *)t->in.data;
    t->fend = t->fp + len / 4;
    (void)fword(t); /* 105 */
    (void)fword(t); /* its word count */
    u32 seq = fword(t);
    (void)fword(t); /* the slot: this thread's */
    u32 op = fword(t);
    t->out.len = 0;
    oc(t, 'F'); ohex(t, host_id); ohex(t, seq); oc(t, '\n');
    switch (slot == 0 ? op : op == 15 ? 15 : 0) {
    case OP_FAULT_VM_MAP: f_vm_map(t); break;
    case 22: f_vm_deallocate(t); break;
    case 23: f_vm_read(t); break;
    case 24: f_vm_write(t); break;
    case 15: f_msg(t); break;
    default: { const char *s = "X unsupported fault op\n"; while (*s) oc(t, *s++); }
    }
    t->out.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    t->out.h.msgh_remote_port = reply_to;
    t->out.h.msgh_local_port = MACH_PORT_NULL;
    t->out.h.msgh_id = ID_EVENT_F;
    /* How the agent knows the result it waits for, and that this thread is free again (fault_result). */
    t->out.pad = FT_PAD(host_id, slot, seq);
    t->out.h.msgh_size = (mach_msg_size_t)((sizeof t->out.h + 8 + t->out.len + 7) & ~7u);
    answer = t->out.h.msgh_size;
  }
}

void fault_entry(void);
__asm__(".text\n.globl fault_entry\nfault_entry:\n"
#ifdef __x86_64__
        "  movq %rax, %rdi\n  movq %rdx, %rsi\n  movq %rbx, %rdx\n" /* the 4th argument is already in rcx */
#else
        "  pushl %ecx\n  pushl %ebx\n  pushl %edx\n  pushl %eax\n"
#endif
        "  call fault_main\n1: jmp 1b\n");

/* ---- the agent's side ---- */
/* Per task and slot: the agent's send right to the thread's request port,
   the thread (MACH_PORT_NULL until its first request: the senders start
   when first used), the task's name for the request port, and the requests
   handed over whose result the agent has not yet seen. */
static struct {
  mach_port_t port, thread, rcv;
  u32 busy;
} fslot[NTASKS_F][FT_SLOTS];
static mach_port_t ftask[NTASKS_F], freply_name[NTASKS_F];
static fault_req_t fsend __attribute__((aligned(16)));

/* Before the first task: the windows are shared with every task made later. */
void fault_init(void) {
  vm_inherit(self, (vm_address_t)fault_window, sizeof fault_window, VM_INHERIT_SHARE);
}

/* Starts thread `s` of task k at fault_entry. */
static kern_return_t fault_thread_run(u32 k, u32 s, mach_port_t mreply) {
  mach_port_t th = MACH_PORT_NULL;
  kern_return_t kr = thread_create(ftask[k], &th);
  if (kr == KERN_SUCCESS) {
    struct i386_thread_state st;
    memset(&st, 0, sizeof st);
    unsigned short cs, ss, ds;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2" : "=r"(cs), "=r"(ss), "=r"(ds));
    uptr top = (uptr)(fault_stack[s] + sizeof fault_stack[s]);
    u32 who = k | s << 16;
    st.cs = cs; st.ss = ss;
#ifdef __x86_64__
    st.rip = (uptr)fault_entry;
    st.rax = fslot[k][s].rcv; st.rdx = freply_name[k]; st.rbx = who; st.rcx = mreply;
    st.ursp = top; /* after the call, rsp + 8 is 16-aligned */
    st.rfl = 0x202;
#else
    st.ds = st.es = st.fs = st.gs = ds;
    st.eip = (uptr)fault_entry;
    st.eax = fslot[k][s].rcv; st.edx = freply_name[k]; st.ebx = who; st.ecx = mreply;
    st.uesp = top; /* four pushes and the call: 16-aligned at the call, as the ABI wants */
    st.efl = 0x202;
#endif
    kr = thread_set_state(th, i386_THREAD_STATE, (thread_state_t)&st, i386_THREAD_STATE_COUNT);
  }
  if (kr == KERN_SUCCESS) kr = thread_resume(th);
  if (kr != KERN_SUCCESS) {
    if (th != MACH_PORT_NULL) { thread_terminate(th); mach_port_deallocate(self, th); }
    return kr;
  }
  fslot[k][s].thread = th;
  return KERN_SUCCESS;
}

/* Makes the request port of task k's thread `s`: a receive right in the
   task (named `name`, or by the kernel when 0) whose queue has room for
   every request the host keeps in flight (fault-thread.ts MAX_IN_FLIGHT, below
   MACH_PORT_QLIMIT_MAX), and the agent's send right to it. */
static kern_return_t fault_port_make(u32 k, u32 s, mach_port_t name) {
  mach_port_t t = ftask[k], fw = MACH_PORT_NULL;
  mach_msg_type_name_t ty = 0;
  kern_return_t kr = name != MACH_PORT_NULL ? mach_port_allocate_name(t, MACH_PORT_RIGHT_RECEIVE, name)
                                            : mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &name);
  if (kr == KERN_SUCCESS) kr = mach_port_set_qlimit(t, name, MACH_PORT_QLIMIT_MAX);
  if (kr == KERN_SUCCESS) kr = mach_port_extract_right(t, name, MACH_MSG_TYPE_MAKE_SEND, &fw, &ty);
  if (kr != KERN_SUCCESS) {
    if (name != MACH_PORT_NULL) mach_port_destroy(t, name);
    return kr;
  }
  fslot[k][s].port = fw;
  fslot[k][s].rcv = name;
  return KERN_SUCCESS;
}

/* Makes slot 0's request port and starts its thread (called by the agent
   before t's worker runs, so that the worker hides these names as its
   own). The sender slots are empty until their first request (fault_port_of).
   `reply_name`: t's name for the send right to the agent's reply port. */
kern_return_t fault_thread_start(mach_port_t t, mach_port_t reply_name, u32 k) {
  if (k >= NTASKS_F) return KERN_INVALID_ARGUMENT;
  mach_port_t mreply = MACH_PORT_NULL;
  ftask[k] = t;
  freply_name[k] = reply_name;
  for (u32 s = 0; s < FT_SLOTS; s++) {
    fslot[k][s].port = fslot[k][s].thread = fslot[k][s].rcv = MACH_PORT_NULL;
    fslot[k][s].busy = 0;
  }
  kern_return_t kr = fault_port_make(k, 0, MACH_PORT_NULL);
  if (kr == KERN_SUCCESS) kr = mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &mreply);
  if (kr == KERN_SUCCESS) kr = fault_thread_run(k, 0, mreply);
  return kr;
}

/* The request port of task k's thread `s` (a send right of the agent's) in
   *port. A sender slot's port and thread are made on its first request:
   the port named SENDER_NAME_BASE + s in the task (a name the task's worker
   hides: steps.c is_hidden; a name the kernel picked now would change the
   names the task's own later calls get). KERN_INVALID_TASK: no such task;
   KERN_RESOURCE_SHORTAGE: a slot beyond FT_SENDERS (the host's cap is the
   same); else why the port or the thread could not be made. */
kern_return_t fault_port_of(u32 k, u32 s, mach_port_t *port) {
  *port = MACH_PORT_NULL;
  if (k == 0 || k >= NTASKS_F || ftask[k] == MACH_PORT_NULL) return KERN_INVALID_TASK_;
  if (s >= FT_SLOTS) return KERN_RESOURCE_SHORTAGE;
  if (fslot[k][s].port == MACH_PORT_NULL) {
    if (s == 0) return KERN_INVALID_TASK_; /* made with the task: gone with it */
    kern_return_t kr = fault_port_make(k, s, SENDER_NAME_BASE + s);
    if (kr != KERN_SUCCESS) return kr;
  }
  if (fslot[k][s].thread == MACH_PORT_NULL) {
    kern_return_t kr = fault_thread_run(k, s, MACH_PORT_NULL);
    if (kr != KERN_SUCCESS) return kr;
  }
  *port = fslot[k][s].port;
  return KERN_SUCCESS;
}

/* The task is gone (its threads with it): drop our rights. */
void fault_forget(u32 k) {
  if (k >= NTASKS_F) return;
  for (u32 s = 0; s < FT_SLOTS; s++) {
    if (fslot[k][s].port != MACH_PORT_NULL) mach_port_deallocate(self, fslot[k][s].port);
    if (fslot[k][s].thread != MACH_PORT_NULL) mach_port_deallocate(self, fslot[k][s].thread);
    fslot[k][s].port = fslot[k][s].thread = fslot[k][s].rcv = MACH_PORT_NULL;
    fslot[k][s].busy = 0;
  }
  ftask[k] = freply_name[k] = MACH_PORT_NULL;
}

/* Requests handed to thread s of task k whose result has not come back. */
u32 fault_busy(u32 k, u32 s) {
  return k < NTASKS_F && s < FT_SLOTS ? fslot[k][s].busy : 0;
}
void fault_handed(u32 k, u32 s, int n) {
  if (k >= NTASKS_F || s >= FT_SLOTS) return;
  if (n > 0) fslot[k][s].busy++;
  else if (fslot[k][s].busy > 0) fslot[k][s].busy--;
}
/* A message on the agent's reply port: if it is a thread's result (its
   `pad`, see fault_main; a worker's is 0), that thread has one request less. */
void fault_result(u32 pad) {
  if (FT_PAD_TASK(pad) != 0) fault_handed(FT_PAD_TASK(pad), FT_PAD_SLOT(pad), -1);
}

/* Whether thread s of task k is waiting in the kernel (a mach_msg that
   waits for room in a full queue, or for its next request, or for a page). */
int fault_waiting(u32 k, u32 s) {
  if (k >= NTASKS_F || s >= FT_SLOTS || fslot[k][s].thread == MACH_PORT_NULL) return 0;
  struct thread_basic_info info;
  mach_msg_type_number_t n = THREAD_BASIC_INFO_COUNT;
  if (thread_info(fslot[k][s].thread, THREAD_BASIC_INFO, (thread_info_t)&info, &n) != KERN_SUCCESS) return 0;
  return info.run_state == TH_STATE_WAITING;
}

/* Hands request words (105 n seq slot op args...) to thread s of task k and
   returns at once: the send's return code. MACH_SEND_TIMEOUT 0: the host
   keeps fewer requests per thread in flight than the port's qlimit, so the
   queue is never full, and if it were the link must not wait. */
kern_return_t fault_forward(u32 k, u32 s, const unsigned char *req, u32 len) {
  mach_port_t p = MACH_PORT_NULL;
  kern_return_t pk = fault_port_of(k, s, &p);
  if (pk != KERN_SUCCESS) return pk;
  if (len > F_REQ_MAX) return KERN_INVALID_ARGUMENT;
  fsend.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  fsend.h.msgh_remote_port = p;
  fsend.h.msgh_local_port = MACH_PORT_NULL;
  fsend.h.msgh_id = ID_FAULT;
  fsend.len = len;
  memcpy(fsend.data, req, len);
  fsend.h.msgh_size = (mach_msg_size_t)((sizeof fsend.h + 8 + len + 7) & ~7u);
  kern_return_t kr = mach_msg_trap((void *)&fsend, MACH_SEND_MSG | MACH_SEND_TIMEOUT, fsend.h.msgh_size, 0, 0, 0, 0);
  if (kr == KERN_SUCCESS) fault_handed(k, s, 1);
  return kr;
}
