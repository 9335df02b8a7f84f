/*
 * The step executor shared by the conformance interpreter (interp.c) and the
 * live agent (agent.c); see steps.h. Every step is a real trap or MIG call
 * on the running GNU Mach, and its result is printed as a text line:
 *   R <step> <kr> [v ...]     the result of a step (hex words)
 *   N <step> <name> <type>    one mach_port_names entry
 *   M <step> <hex>            the message buffer after mach_msg, if it changed
 *   O <step> <item> <hex>     the bytes of a received out-of-line item
 *   D <step> <hex>            bytes read by VM_READ (agent)
 */
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>
#include <mach/notify.h>
#include <mach/mig_errors.h>
#include "mach.h"
#include "mach_port.h"
#include "device.h"
#include "steps.h"

#define REF_TAG 0x5e000000u

/* ---- libc pieces the compiler and MIG expect ---- */
void *memcpy(void *d, const void *s, __SIZE_TYPE__ n) {
  unsigned char *dd = d; const unsigned char *ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
void *memset(void *d, int c, __SIZE_TYPE__ n) {
  unsigned char *dd = d;
  while (n--) *dd++ = (unsigned char)c;
  return d;
}
int memcmp(const void *a, const void *b, __SIZE_TYPE__ n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++) if (*x != *y) return *x - *y;
  return 0;
}

mach_port_t reply_port;
mach_port_t mig_get_reply_port(void) {
  if (reply_port == MACH_PORT_NULL) reply_port = mach_reply_port();
  return reply_port;
}
static void note(const char *s);
/* MIG calls this when a reply may still arrive on the port later (glibc
   destroys the port); the next call makes a fresh one. */
void mig_dealloc_reply_port(mach_port_t p) {
  reply_port = MACH_PORT_NULL;
  note("# reply port reset\n");
  mach_port_destroy(mach_task_self(), p);
}
void mig_put_reply_port(mach_port_t p) { (void)p; }
/* Used by stubs whose out-of-line reply may come back inline. */
void mig_allocate(vm_address_t *addr, vm_size_t size) {
  if (vm_allocate(mach_task_self(), addr, size, 1) != KERN_SUCCESS) *addr = 0;
}
void mig_deallocate(vm_address_t addr, vm_size_t size) { vm_deallocate(mach_task_self(), addr, size); }
__SIZE_TYPE__ mig_strncpy(char *d, const char *s, __SIZE_TYPE__ n) {
  __SIZE_TYPE__ i = 0;
  for (; i < n && s[i]; i++) d[i] = s[i];
  for (__SIZE_TYPE__ j = i; j < n; j++) d[j] = 0;
  return i;
}
mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify) {
  return mach_msg_trap((void *)msg, option, send_size, rcv_size, rcv_name, timeout, notify);
}

/* ---- output, in whole lines, to out_sink ---- */
mach_port_t self, host_port, master_port;
void (*out_sink)(const char *p, unsigned n);
int agent_mode;
int wire_binary;
mach_port_t target;
static char out[128];
static unsigned outn;

void flush(void) {
  if (outn) out_sink(out, outn);
  outn = 0;
}
u32 scen_bytes; /* bytes a scenario printed, checked by the parser */
void putc_(char c) {
  if (outn == sizeof out) flush();
  out[outn++] = c;
  scen_bytes++;
}
void puts_(const char *s) { while (*s) putc_(*s++); }
static void hex(u32 v) {
  char t[8]; int n = 0;
  do { t[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
  while (n) putc_(t[--n]);
}
/* A number in the binary form (steps.h, wire_binary). Port types and
   rights are bits high in the word (MACH_PORT_TYPE_RECEIVE = 1 << 17), so
   whole zero bytes at the low end are counted, not sent. */
static void bin_value(u32 v) {
  if (v < 64) { putc_((char)(0x80 | v)); return; }
  unsigned z = 0;
  while (z < 3 && (v & 0xff) == 0) { v >>= 8; z++; }
  unsigned k = v < 0x100u ? 1 : v < 0x10000u ? 2 : v < 0x1000000u ? 3 : 4;
  putc_((char)(0xc0 | z << 3 | k));
  for (unsigned i = 0; i < k; i++, v >>= 8) putc_((char)(v & 0xff));
}
void sp_hex(u32 v) {
  if (wire_binary) { bin_value(v); return; }
  putc_(' '); hex(v);
}
void bytes_hex(const unsigned char *p, u32 n) {
  if (wire_binary) {
    putc_((char)0xd0); bin_value(n);
    for (u32 i = 0; i < n; i++) putc_((char)p[i]);
    return;
  }
  putc_(' ');
  for (u32 i = 0; i < n; i++) { putc_("0123456789abcdef"[p[i] >> 4]); putc_("0123456789abcdef"[p[i] & 15]); }
}
/* A line goes out whole before the next kernel call, so that the kernel's
   own console messages never split one of ours. */
void eol(void) { putc_('\n'); flush(); }
static void note(const char *s) { puts_(s); }

/* ---- bundle reading ---- */
const u32 *bp, *bend;
u32 word(void) { return bp < bend ? *bp++ : 0; }

mach_port_t slots[NSLOTS];
static mach_port_t task2, old_task2;
mach_port_t hidden[32];
unsigned nhidden;

static mach_port_t ref(u32 w) {
  if ((w & 0xff000000u) == REF_TAG) return slots[(w & 0xffff) % NSLOTS];
  return w;
}
static mach_port_t task_of(u32 t) { return t == 1 ? task2 : target != MACH_PORT_NULL ? target : self; }
static void put_slot(u32 s, mach_port_t v) { if (s < NSLOTS) slots[s] = v; }
static int is_hidden(mach_port_t n) {
  for (unsigned i = 0; i < nhidden; i++) if (hidden[i] == n) return 1;
  if (agent_mode && n > SENDER_NAME_BASE && n <= SENDER_NAME_BASE + SENDER_THREADS) return 1;
  if (n == reply_port && reply_port != MACH_PORT_NULL) return 1;
  if (n == old_task2 && old_task2 != MACH_PORT_NULL) return 1;
  return n == task2 && task2 != MACH_PORT_NULL;
}

/* ---- the message buffer and the last received message ---- */
static unsigned char buf[BUFSZ] __attribute__((aligned(16)));
static unsigned char before[BUFSZ] __attribute__((aligned(16)));
static mach_port_t rnames[256];
unsigned nrnames;

static u32 rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static void wr32(unsigned char *p, u32 v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
static uptr rdptr(const unsigned char *p) {
  uptr v = rd32(p);
#ifdef __x86_64__
  v |= (uptr)rd32(p + 4) << 32;
#endif
  return v;
}
static void wrptr(unsigned char *p, u64 v) {
  wr32(p, (u32)v);
#ifdef __x86_64__
  wr32(p + 4, (u32)(v >> 32));
#endif
}
static void addname(mach_port_t n) { if (nrnames < 256) rnames[nrnames++] = n; }

/* Walks a received body (mach-abi.md section 4): records every port name it
   carries (inline, out-of-line, PORT_NAME) for BIND, dumps and frees
   out-of-line regions. */
static void walk_received(u32 step, u32 size) {
  nrnames = 0;
  addname(rd32(buf + 8));
  addname(rd32(buf + (HDR_SIZE == 32 ? 16 : 12)));
  u32 pos = HDR_SIZE, item = 0;
  if (size > BUFSZ) size = BUFSZ;
  while (pos + 4 <= size) {
    u32 w = rd32(buf + pos), name, bits, number, inl;
#ifdef __x86_64__
    if (pos + 8 > size) break;
    name = w & 0xff; bits = (w >> 8) & 0xffff; inl = (w >> 29) & 1; number = rd32(buf + pos + 4);
    pos += 8;
#else
    name = w & 0xff; bits = (w >> 8) & 0xff; number = (w >> 16) & 0xfff; inl = (w >> 28) & 1;
    if ((w >> 29) & 1) {
      if (pos + 12 > size) break;
      name = rd32(buf + pos + 4) & 0xffff; bits = rd32(buf + pos + 4) >> 16; number = rd32(buf + pos + 8);
      pos += 12;
    } else pos += 4;
#endif
    int isport = (name >= 15 && name <= 21);
    u64 nbytes = ((u64)number * bits + 7) / 8;
    if (inl) {
      if (isport && bits >= 32)
        for (u32 i = 0; i < number && pos + (u64)i * (bits / 8) + 4 <= size; i++) addname(rd32(buf + pos + i * (bits / 8)));
      pos += (u32)nbytes;
    } else {
      if (pos + sizeof(uptr) > size) break;
      uptr addr = rdptr(buf + pos);
      pos += sizeof(uptr);
      if (addr != 0 && nbytes > 0 && nbytes <= 1u << 20) {
        const unsigned char *p = (const unsigned char *)addr;
        putc_('O'); sp_hex(step); sp_hex(item);
        bytes_hex(p, (u32)nbytes); eol();
        if (isport && bits == 32)
          for (u32 i = 0; i < number; i++) addname(rd32(p + 4 * i));
        vm_deallocate(self, addr, (vm_size_t)nbytes);
      }
    }
    pos = (pos + ALIGN - 1) & ~(u32)(ALIGN - 1);
    item++;
  }
}

static vm_address_t oolmem[16];
static vm_size_t oolsize[16];
static unsigned nool;

static void op_msg(u32 step) {
  u32 task = word(); (void)task;
  u32 options = word(), send_size = word(), rcv_size = word();
  mach_port_t rcv_name = ref(word());
  u32 timeout = word();
  mach_port_t notify = ref(word());
  u32 tlen = word(), nblobs = word(), npatches = word();
  const u32 *blobs[16]; u32 bloblen[16];
  memset(buf, 0xdb, BUFSZ);
  if (tlen > BUFSZ) tlen = BUFSZ;
  memcpy(buf, bp, tlen);
  bp += (tlen + 3) / 4;
  for (u32 i = 0; i < nblobs; i++) {
    u32 len = word();
    if (i < 16) { blobs[i] = bp; bloblen[i] = len; }
    bp += (len + 3) / 4;
  }
  nool = 0;
  for (u32 i = 0; i < npatches; i++) {
    u32 kind = word(), off = word(), a = word(), b = word();
    if (off + 8 > BUFSZ) continue;
    if (kind == 1) wr32(buf + off, ref(a));
    else if (kind == 4) wrptr(buf + off, (u64)a | (u64)b << 32);
    else if ((kind == 2 || kind == 3) && a < nblobs && a < 16 && nool < 16) {
      vm_address_t addr = 0;
      vm_size_t sz = (b + bloblen[a] + PAGE - 1) & ~(vm_size_t)(PAGE - 1);
      if (sz == 0) sz = PAGE;
      if (vm_allocate(self, &addr, sz, 1) != KERN_SUCCESS) continue;
      oolmem[nool] = addr; oolsize[nool] = sz; nool++;
      unsigned char *p = (unsigned char *)addr + b;
      if (kind == 2) memcpy(p, blobs[a], bloblen[a]);
      else for (u32 k = 0; k < bloblen[a] / 4; k++) wr32(p + 4 * k, ref(blobs[a][k]));
      wrptr(buf + off, (u64)(uptr)p);
    }
  }
  u32 region = send_size > rcv_size ? send_size : rcv_size;
  if (region < HDR_SIZE) region = HDR_SIZE;
  if (region > BUFSZ) region = BUFSZ;
  memcpy(before, buf, region);
  mach_msg_return_t kr = mach_msg_trap((void *)buf, options, send_size, rcv_size, rcv_name, timeout, notify);
  putc_('R'); sp_hex(step); sp_hex(kr); eol();
  int received = (options & MACH_RCV_MSG) && (kr == MACH_MSG_SUCCESS || (kr & ~0x3c00u) == MACH_MSG_SUCCESS);
  if (memcmp(before, buf, region) != 0 || (agent_mode && (received || kr == MACH_RCV_TOO_LARGE))) {
    u32 n = rd32(buf + 4);
    if (n < HDR_SIZE || n > region || kr == MACH_RCV_TOO_LARGE) n = HDR_SIZE;
    putc_('M'); sp_hex(step); bytes_hex(buf, n); eol();
    if (received && !agent_mode) walk_received(step, n);
  }
  for (unsigned i = 0; i < nool; i++) vm_deallocate(self, oolmem[i], oolsize[i]);
}

/* ---- task memory (agent): whole pages through vm_read/vm_write, so that an
   unmapped or protected address is an error code, never a fault here ---- */
static vm_address_t arg_addr(void) {
  u64 lo = word(), hi = word();
  return (vm_address_t)(lo | hi << 32);
}
static kern_return_t read_pages(mach_port_t t, vm_address_t a, vm_size_t n, vm_offset_t *data, vm_address_t *base, vm_size_t *len) {
  *base = a & ~(vm_address_t)(PAGE - 1);
  *len = ((a + n + PAGE - 1) & ~(vm_address_t)(PAGE - 1)) - *base;
  mach_msg_type_number_t cnt = 0;
  kern_return_t kr = vm_read(t, *base, *len, data, &cnt);
  if (kr == KERN_SUCCESS && cnt < *len) { vm_deallocate(self, *data, cnt); kr = KERN_INVALID_ADDRESS; }
  return kr;
}
static void op_vm_read(u32 step) {
  mach_port_t t = task_of(word()); vm_address_t a = arg_addr(); vm_size_t n = word();
  vm_offset_t data = 0; vm_address_t base; vm_size_t len;
  kern_return_t kr = n == 0 ? KERN_SUCCESS : read_pages(t, a, n, &data, &base, &len);
  putc_('R'); sp_hex(step); sp_hex(kr); eol();
  if (kr != KERN_SUCCESS || n == 0) return;
  putc_('D'); sp_hex(step); bytes_hex((const unsigned char *)data + (a - base), (u32)n); eol();
  vm_deallocate(self, data, len);
}
static void op_vm_write(u32 step) {
  mach_port_t t = task_of(word()); vm_address_t a = arg_addr(); vm_size_t n = word();
  const unsigned char *src = (const unsigned char *)bp;
  vm_offset_t data = 0; vm_address_t base; vm_size_t len;
  kern_return_t kr = n == 0 ? KERN_SUCCESS : read_pages(t, a, n, &data, &base, &len);
  if (kr == KERN_SUCCESS && n != 0) {
    memcpy((unsigned char *)data + (a - base), src, n);
    kr = vm_write(t, base, data, len);
    vm_deallocate(self, data, len);
  }
  putc_('R'); sp_hex(step); sp_hex(kr); eol();
}

static void op_names(u32 step, mach_port_t task) {
  mach_port_name_array_t names = 0; mach_port_type_array_t types = 0;
  mach_msg_type_number_t nn = 0, nt = 0;
  kern_return_t kr = mach_port_names(task, &names, &nn, &types, &nt);
  putc_('R'); sp_hex(step); sp_hex(kr); eol();
  if (kr != KERN_SUCCESS) return;
  for (u32 i = 0; i < nn && i < nt; i++) {
    if (task == self && is_hidden(names[i])) continue;
    putc_('N'); sp_hex(step); sp_hex(names[i]); sp_hex(types[i]); eol();
  }
  if (nn) vm_deallocate(self, (vm_address_t)names, nn * sizeof *names);
  if (nt) vm_deallocate(self, (vm_address_t)types, nt * sizeof *types);
}

/* Destroys every name a scenario left behind, so the next one starts from
   the same space. */
void cleanup(void) {
  if (old_task2 != MACH_PORT_NULL) {
    mach_port_destroy(self, old_task2);
    old_task2 = MACH_PORT_NULL;
  }
  if (task2 != MACH_PORT_NULL) {
    task_terminate(task2);
    mach_port_destroy(self, task2);
    task2 = MACH_PORT_NULL;
  }
  for (int round = 0; round < 6; round++) {
    mach_port_name_array_t names = 0; mach_port_type_array_t types = 0;
    mach_msg_type_number_t nn = 0, nt = 0;
    if (mach_port_names(self, &names, &nn, &types, &nt) != KERN_SUCCESS) return;
    int left = 0;
    for (u32 i = 0; i < nn; i++)
      if (!is_hidden(names[i])) { mach_port_destroy(self, names[i]); left = 1; }
    if (nn) vm_deallocate(self, (vm_address_t)names, nn * sizeof *names);
    if (nt) vm_deallocate(self, (vm_address_t)types, nt * sizeof *types);
    if (!left) return;
  }
}

void run_step(u32 step, u32 op, const u32 *next) {
  kern_return_t kr;
  switch (op) {
  case 1: { /* ALLOC task right slot */
    mach_port_t t = task_of(word()); u32 right = word(), s = word();
    mach_port_t n = 0;
    kr = mach_port_allocate(t, right, &n);
    if (kr == KERN_SUCCESS) put_slot(s, n);
    putc_('R'); sp_hex(step); sp_hex(kr); sp_hex(kr == KERN_SUCCESS ? n : 0); eol();
    break;
  }
  case 2: { mach_port_t t = task_of(word()); kr = mach_port_deallocate(t, ref(word()));
    putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 3: { mach_port_t t = task_of(word()); mach_port_t n = ref(word()); u32 r = word(); int d = (int)word();
    kr = mach_port_mod_refs(t, n, r, d); putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 4: { mach_port_t t = task_of(word()); mach_port_t n = ref(word()); u32 r = word();
    mach_port_urefs_t refs = 0; kr = mach_port_get_refs(t, n, r, &refs);
    putc_('R'); sp_hex(step); sp_hex(kr); sp_hex(kr == KERN_SUCCESS ? refs : 0); eol(); break; }
  case 5: { /* INSERT task name fromName disp (fromName in this task's space) */
    mach_port_t t = task_of(word()); mach_port_t n = ref(word()); mach_port_t from = ref(word()); u32 disp = word();
    kr = mach_port_insert_right(t, n, from, disp); putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 6: { /* EXTRACT task name disp slot */
    mach_port_t t = task_of(word()); mach_port_t n = ref(word()); u32 disp = word(), s = word();
    mach_port_t got = 0; mach_msg_type_name_t ty = 0;
    kr = mach_port_extract_right(t, n, disp, &got, &ty);
    if (kr == KERN_SUCCESS) put_slot(s, got);
    putc_('R'); sp_hex(step); sp_hex(kr); sp_hex(kr == KERN_SUCCESS ? got : 0); sp_hex(kr == KERN_SUCCESS ? ty : 0); eol(); break; }
  case 7: op_names(step, task_of(word())); break;
  case 8: { mach_port_t t = task_of(word()); mach_port_type_t ty = 0; kr = mach_port_type(t, ref(word()), &ty);
    putc_('R'); sp_hex(step); sp_hex(kr); sp_hex(kr == KERN_SUCCESS ? ty : 0); eol(); break; }
  case 9: { mach_port_t t = task_of(word()); kr = mach_port_destroy(t, ref(word()));
    putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 10: { mach_port_t t = task_of(word()); mach_port_t m = ref(word()); mach_port_t a = ref(word());
    kr = mach_port_move_member(t, m, a); putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 11: { mach_port_t t = task_of(word()); mach_port_t n = ref(word()); u32 q = word();
    kr = mach_port_set_qlimit(t, n, q); putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 12: { mach_port_t t = task_of(word()); mach_port_t n = ref(word()); u32 m = word();
    kr = mach_port_set_mscount(t, n, m); putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 13: { mach_port_t t = task_of(word()); mach_port_t n = ref(word()); mach_port_status_t st;
    memset(&st, 0, sizeof st);
    kr = mach_port_get_receive_status(t, n, &st);
    putc_('R'); sp_hex(step); sp_hex(kr);
    if (kr == KERN_SUCCESS) {
      sp_hex(st.mps_pset); sp_hex(st.mps_seqno); sp_hex(st.mps_mscount); sp_hex(st.mps_qlimit); sp_hex(st.mps_msgcount);
      sp_hex(st.mps_sorights); sp_hex(st.mps_srights); sp_hex(st.mps_pdrequest); sp_hex(st.mps_nsrequest);
    }
    eol(); break; }
  case 14: { /* REQNOTIFY task name variant sync notify notifyDisp */
    mach_port_t t = task_of(word()); mach_port_t n = ref(word()); u32 variant = word(), sync = word();
    mach_port_t nt = ref(word()); u32 disp = word(); mach_port_t prev = 0;
    kr = mach_port_request_notification(t, n, variant, sync, nt, disp, &prev);
    putc_('R'); sp_hex(step); sp_hex(kr); sp_hex(kr == KERN_SUCCESS ? prev : 0); eol(); break; }
  case 15: op_msg(step); break;
  case 16: { /* BIND slot index: a name from the last received message */
    u32 s = word(), i = word();
    put_slot(s, i < nrnames ? rnames[i] : MACH_PORT_NULL);
    putc_('R'); sp_hex(step); sp_hex(i < nrnames ? 0 : 5); eol(); break; }
  case 17: { /* TASK2: a second name space */
    kr = task_create(self, 0, &task2);
    putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 18: { mach_port_t t = task_of(word()); mach_port_t n = ref(word()); u32 lo = word(), hi = word();
    kr = mach_port_set_protected_payload(t, n, (unsigned long)((u64)lo | (u64)hi << 32));
    putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 19: { mach_port_t t = task_of(word()); kr = mach_port_clear_protected_payload(t, ref(word()));
    putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 20: { /* TASK2_TERMINATE: the second space goes away with all its rights */
    kr = task_terminate(task2);
    /* The name stays (now dead) until the scenario ends: freeing it here
       would hand it to the next right the scenario receives. */
    old_task2 = task2;
    task2 = MACH_PORT_NULL;
    putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 21: { /* VM_ALLOCATE task addr_lo addr_hi size anywhere */
    mach_port_t t = task_of(word()); vm_address_t a = arg_addr(); vm_size_t n = word(); u32 anywhere = word();
    kr = vm_allocate(t, &a, n, anywhere != 0);
    putc_('R'); sp_hex(step); sp_hex(kr); sp_hex((u32)a); sp_hex((u32)((u64)a >> 32)); eol(); break; }
  case 22: { mach_port_t t = task_of(word()); vm_address_t a = arg_addr(); vm_size_t n = word();
    kr = vm_deallocate(t, a, n); putc_('R'); sp_hex(step); sp_hex(kr); eol(); break; }
  case 23: op_vm_read(step); break;
  case 24: op_vm_write(step); break;
  default:
    putc_('R'); sp_hex(step); puts_(" unsupported"); eol();
  }
  bp = next;
}


void hide_current_names(void) {
  mach_port_name_array_t names = 0; mach_port_type_array_t types = 0;
  mach_msg_type_number_t nn = 0, nt = 0;
  if (mach_port_names(self, &names, &nn, &types, &nt) != KERN_SUCCESS) return;
  for (u32 i = 0; i < nn && nhidden < 32; i++)
    if (names[i] != reply_port) hidden[nhidden++] = names[i];
  if (nn) vm_deallocate(self, (vm_address_t)names, nn * sizeof *names);
  if (nt) vm_deallocate(self, (vm_address_t)types, nt * sizeof *types);
}

u32 atou(const char *s) {
  u32 v = 0;
  while (s && *s >= '0' && *s <= '9') v = v * 10 + (u32)(*s++ - '0');
  return v;
}
