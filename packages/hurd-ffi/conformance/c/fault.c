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
 * Request (a Mach message from the agent, on the thread's own port):
 *   105 n seq op arg...     op one of the steps.c opcodes below, args as there
 * Result (to the agent's reply port, its `pad` word the request's seq): the
 * lines, in the binary form of steps.h (wire_binary),
 *   F <task> <seq>\n  then  R 0 <kr> [v ...]\n  [D 0 <bytes>\n | M 0 <bytes>\n]
 * which the agent sends to the host as the request's reply when it came
 * within FAULT_WAIT_MS (agent.c fault_call, a message send), else as an
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
#include "steps.h"

int memcmp(const void *a, const void *b, __SIZE_TYPE__ n); /* steps.c */

#define NTASKS_F 32 /* agent.c's NTASKS */
#define ID_FAULT 0x4a4a
#define ID_EVENT_F 0x4a49 /* agent.c's ID_EVENT: an event the agent passes on */
#define F_REQ_MAX (BUFSZ + 4096)
#define F_OUT_MAX (3 * BUFSZ)
#define OP_FAULT_VM_MAP 27

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

/* ---- the thread's own state (each host task has its own copy of this image) ---- */
static fault_req_t in __attribute__((aligned(16)));
static fault_out_t out __attribute__((aligned(16)));
static unsigned char mbuf[BUFSZ] __attribute__((aligned(16)));
static unsigned char mbefore[BUFSZ] __attribute__((aligned(16)));
static char fault_stack[1 << 16] __attribute__((aligned(16)));
static mach_port_t fself, freply;
static const u32 *fp, *fend;

/* MIG's reply port for this thread only: a receive right the agent made for
   it. After a failed exchange MIG asks for a fresh one; a second kernel call
   from this thread cannot be in flight, so the same right is kept. */
mach_port_t fault_mig_get_reply_port(void) { return freply; }
void fault_mig_dealloc_reply_port(mach_port_t p) { (void)p; }
void fault_mig_put_reply_port(mach_port_t p) { (void)p; }

static u32 fword(void) { return fp < fend ? *fp++ : 0; }
static vm_address_t faddr(void) {
  u64 lo = fword(), hi = fword();
  return (vm_address_t)(lo | hi << 32);
}

static void oc(char c) {
  if (out.len < F_OUT_MAX) out.data[out.len++] = c;
}
/* Numbers and byte strings in the binary form of steps.h (wire_binary), as
   the workers write them: a result may go back to the host as the reply to
   its request (fault_call in agent.c), which must be binary, and a message
   crosses the link in half the bytes of hex. */
static void ohex(u32 v) {
  if (v < 64) { oc((char)(0x80 | v)); return; }
  unsigned z = 0;
  while (z < 3 && (v & 0xff) == 0) { v >>= 8; z++; }
  unsigned k = v < 0x100u ? 1 : v < 0x10000u ? 2 : v < 0x1000000u ? 3 : 4;
  oc((char)(0xc0 | z << 3 | k));
  for (unsigned i = 0; i < k; i++, v >>= 8) oc((char)(v & 0xff));
}
static void obytes(const unsigned char *p, u32 n) {
  oc((char)0xd0); ohex(n);
  for (u32 i = 0; i < n; i++) oc((char)p[i]);
}
static void oresult(kern_return_t kr) { oc('R'); ohex(0); ohex(kr); }

/* Whole pages into this task's window (vm_copy): an unmapped address or a
   pager's data_error is a return code, never a fault here. */
static kern_return_t fread_pages(vm_address_t a, vm_size_t n, vm_offset_t *data, vm_address_t *base, vm_size_t *len) {
  *base = a & ~(vm_address_t)(PAGE - 1);
  *len = ((a + n + PAGE - 1) & ~(vm_address_t)(PAGE - 1)) - *base;
  if (*len > F_SLICE) return KERN_INVALID_ARGUMENT;
  *data = (vm_offset_t)window;
  return fault_vm_copy(fself, *base, *len, (vm_address_t)window);
}

static void f_vm_map(void) {
  vm_address_t a = faddr();
  vm_size_t size = fword();
  u32 anywhere = fword();
  mach_port_t object = fword();
  vm_offset_t offset = (vm_offset_t)faddr();
  u32 copy = fword(), access = fword();
  /* The host's `access` is the maximum; the mapping starts with all of it. */
  kern_return_t kr = fault_vm_map(fself, &a, size, 0, anywhere != 0, object, offset, copy != 0, access, access, VM_INHERIT_COPY);
  oresult(kr); ohex(kr == KERN_SUCCESS ? (u32)a : 0); ohex(kr == KERN_SUCCESS ? (u32)((u64)a >> 32) : 0); oc('\n');
}

static void f_vm_read(void) {
  (void)fword();
  vm_address_t a = faddr();
  vm_size_t n = fword();
  vm_offset_t data = 0; vm_address_t base; vm_size_t len;
  kern_return_t kr = n == 0 ? KERN_SUCCESS : fread_pages(a, n, &data, &base, &len);
  oresult(kr); oc('\n');
  if (kr != KERN_SUCCESS || n == 0) return;
  oc('D'); ohex(0); obytes((const unsigned char *)data + (a - base), (u32)n); oc('\n');
}

static void f_vm_write(void) {
  (void)fword();
  vm_address_t a = faddr();
  vm_size_t n = fword();
  const unsigned char *src = (const unsigned char *)fp;
  vm_offset_t data = 0; vm_address_t base; vm_size_t len;
  kern_return_t kr = n == 0 ? KERN_SUCCESS : fread_pages(a, n, &data, &base, &len);
  if (kr == KERN_SUCCESS && n != 0) {
    memcpy(wbuf, (const unsigned char *)data, len);
    memcpy(wbuf + (a - base), src, n);
    kr = fault_vm_write(fself, base, (vm_offset_t)wbuf, len);
  }
  oresult(kr); oc('\n');
}

static void f_vm_deallocate(void) {
  (void)fword();
  vm_address_t a = faddr();
  vm_size_t n = fword();
  kern_return_t kr = fault_vm_deallocate(fself, a, n);
  oresult(kr); oc('\n');
}

/* mach_msg with the host's bytes: a send whose out-of-line data lies in
   mapped memory faults it in during copyin, here. */
static void f_msg(void) {
  (void)fword();
  u32 options = fword(), send_size = fword(), rcv_size = fword();
  mach_port_t rcv_name = fword();
  u32 timeout = fword();
  mach_port_t notify = fword();
  u32 tlen = fword();
  (void)fword(); (void)fword(); /* no blobs, no patches */
  memset(mbuf, 0xdb, BUFSZ);
  if (tlen > BUFSZ) tlen = BUFSZ;
  if ((u32)((const unsigned char *)fend - (const unsigned char *)fp) < tlen) tlen = (u32)((const unsigned char *)fend - (const unsigned char *)fp);
  memcpy(mbuf, fp, tlen);
  if (send_size > BUFSZ) send_size = BUFSZ;
  if (rcv_size > BUFSZ) rcv_size = BUFSZ;
  u32 region = send_size > rcv_size ? send_size : rcv_size;
  if (region < HDR_SIZE) region = HDR_SIZE;
  memcpy(mbefore, mbuf, region);
  mach_msg_return_t kr = mach_msg_trap((void *)mbuf, options, send_size, rcv_size, rcv_name, timeout, notify);
  oresult(kr); oc('\n');
  int received = (options & MACH_RCV_MSG) && (kr == MACH_MSG_SUCCESS || (kr & ~0x3c00u) == MACH_MSG_SUCCESS);
  if (received || kr == MACH_RCV_TOO_LARGE || memcmp(mbefore, mbuf, region) != 0) {
    u32 n = mbuf[4] | mbuf[5] << 8 | mbuf[6] << 16 | (u32)mbuf[7] << 24;
    if (n < HDR_SIZE || n > region || kr == MACH_RCV_TOO_LARGE) n = HDR_SIZE;
    oc('M'); ohex(0); obytes(mbuf, n); oc('\n');
  }
}

/* `port`: requests from the agent; `reply_to`: a send right to the agent's
   reply port; `mig_reply`: this thread's MIG reply port. */
__attribute__((noreturn, used)) void fault_main(mach_port_t port, mach_port_t reply_to, u32 host_id, mach_port_t mig_reply) {
  freply = mig_reply;
  fself = mach_task_self();
  window = fault_window[host_id < NTASKS_F ? host_id : 0];
  /* Each result goes out in the same trap that waits for the next request
     (SEND|RCV, as the workers do: one kernel entry instead of two). The
     request lands in `out`, the one buffer of that trap; it is copied to
     `in` before the result is written there. */
  mach_msg_size_t answer = 0;
  for (;;) {
    mach_msg_return_t kr = mach_msg_trap((void *)&out, answer ? MACH_SEND_MSG | MACH_RCV_MSG : MACH_RCV_MSG, answer, sizeof out, port, 0, 0);
    answer = 0;
    if (kr != MACH_MSG_SUCCESS || out.h.msgh_id != ID_FAULT) continue;
    u32 len = out.len > F_REQ_MAX ? F_REQ_MAX : out.len;
    memcpy(in.data, out.data, len);
    fp = (const u32 *)in.data;
    fend = fp + len / 4;
    (void)fword(); /* 105 */
    (void)fword(); /* its word count */
    u32 seq = fword(), op = fword();
    out.len = 0;
    oc('F'); ohex(host_id); ohex(seq); oc('\n');
    switch (op) {
    case OP_FAULT_VM_MAP: f_vm_map(); break;
    case 22: f_vm_deallocate(); break;
    case 23: f_vm_read(); break;
    case 24: f_vm_write(); break;
    case 15: f_msg(); break;
    default: { const char *s = "X unsupported fault op\n"; while (*s) oc(*s++); }
    }
    out.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    out.h.msgh_remote_port = reply_to;
    out.h.msgh_local_port = MACH_PORT_NULL;
    out.h.msgh_id = ID_EVENT_F;
    out.pad = seq; /* how the agent knows the result it waits for (fault_call) */
    out.h.msgh_size = (mach_msg_size_t)((sizeof out.h + 8 + out.len + 7) & ~7u);
    answer = out.h.msgh_size;
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
static mach_port_t fault_port[NTASKS_F], fault_thread[NTASKS_F];
static fault_req_t fsend __attribute__((aligned(16)));

/* Before the first task: the windows are shared with every task made later. */
void fault_init(void) {
  vm_inherit(self, (vm_address_t)fault_window, sizeof fault_window, VM_INHERIT_SHARE);
}

/* Starts task t's fault thread (called by the agent before t's worker runs).
   `reply_name`: t's name for the send right to the agent's reply port. */
kern_return_t fault_thread_start(mach_port_t t, mach_port_t reply_name, u32 k) {
  if (k >= NTASKS_F) return KERN_INVALID_ARGUMENT;
  mach_port_t fname = MACH_PORT_NULL, mreply = MACH_PORT_NULL, fw = MACH_PORT_NULL, th = MACH_PORT_NULL;
  mach_msg_type_name_t ty = 0;
  kern_return_t kr = mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &fname);
  /* Room for every request the host keeps in flight (fault-thread.ts MAX_IN_FLIGHT, below this). */
  if (kr == KERN_SUCCESS) kr = mach_port_set_qlimit(t, fname, MACH_PORT_QLIMIT_MAX);
  if (kr == KERN_SUCCESS) kr = mach_port_extract_right(t, fname, MACH_MSG_TYPE_MAKE_SEND, &fw, &ty);
  if (kr == KERN_SUCCESS) kr = mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &mreply);
  if (kr == KERN_SUCCESS) kr = thread_create(t, &th);
  if (kr == KERN_SUCCESS) {
    struct i386_thread_state st;
    memset(&st, 0, sizeof st);
    unsigned short cs, ss, ds;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2" : "=r"(cs), "=r"(ss), "=r"(ds));
    uptr top = (uptr)(fault_stack + sizeof fault_stack);
    st.cs = cs; st.ss = ss;
#ifdef __x86_64__
    st.rip = (uptr)fault_entry;
    st.rax = fname; st.rdx = reply_name; st.rbx = k; st.rcx = mreply;
    st.ursp = top; /* after the call, rsp + 8 is 16-aligned */
    st.rfl = 0x202;
#else
    st.ds = st.es = st.fs = st.gs = ds;
    st.eip = (uptr)fault_entry;
    st.eax = fname; st.edx = reply_name; st.ebx = k; st.ecx = mreply;
    st.uesp = top; /* four pushes and the call: 16-aligned at the call, as the ABI wants */
    st.efl = 0x202;
#endif
    kr = thread_set_state(th, i386_THREAD_STATE, (thread_state_t)&st, i386_THREAD_STATE_COUNT);
  }
  if (kr == KERN_SUCCESS) kr = thread_resume(th);
  if (kr != KERN_SUCCESS) {
    if (fw != MACH_PORT_NULL) mach_port_deallocate(self, fw);
    if (th != MACH_PORT_NULL) mach_port_deallocate(self, th);
    return kr;
  }
  fault_port[k] = fw;
  fault_thread[k] = th;
  return KERN_SUCCESS;
}

/* Task k's fault thread's request port (a send right of the agent's), or MACH_PORT_NULL. */
mach_port_t fault_port_of(u32 k) {
  return k > 0 && k < NTASKS_F ? fault_port[k] : MACH_PORT_NULL;
}

/* The task is gone (its threads with it): drop our rights. */
void fault_forget(u32 k) {
  if (k >= NTASKS_F) return;
  if (fault_port[k] != MACH_PORT_NULL) mach_port_deallocate(self, fault_port[k]);
  if (fault_thread[k] != MACH_PORT_NULL) mach_port_deallocate(self, fault_thread[k]);
  fault_port[k] = fault_thread[k] = MACH_PORT_NULL;
}

/* Hands request words (105 n seq op args...) to task k's fault thread and
   returns at once: the send's return code. MACH_SEND_TIMEOUT 0: the host
   keeps fewer requests per task in flight than the port's qlimit, so the
   queue is never full, and if it were the link must not wait. */
kern_return_t fault_forward(u32 k, const unsigned char *req, u32 len) {
  if (k == 0 || k >= NTASKS_F || fault_port[k] == MACH_PORT_NULL) return 16; /* KERN_INVALID_TASK */
  if (len > F_REQ_MAX) return KERN_INVALID_ARGUMENT;
  fsend.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  fsend.h.msgh_remote_port = fault_port[k];
  fsend.h.msgh_local_port = MACH_PORT_NULL;
  fsend.h.msgh_id = ID_FAULT;
  fsend.len = len;
  memcpy(fsend.data, req, len);
  fsend.h.msgh_size = (mach_msg_size_t)((sizeof fsend.h + 8 + len + 7) & ~7u);
  return mach_msg_trap((void *)&fsend, MACH_SEND_MSG | MACH_SEND_TIMEOUT, fsend.h.msgh_size, 0, 0, 0, 0);
}
