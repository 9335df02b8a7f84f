/*
 * Conformance scenario interpreter for the real GNU Mach kernel.
 *
 * A freestanding bootstrap task (no libc): the kernel starts it from the boot
 * script with the host and device master ports as argv[1] and argv[2]. It
 * walks the scenario bundle linked into its image (conformance/bundle.ts),
 * performs every step with steps.c (the executor the live agent shares), and
 * prints each result on the console as the text lines steps.c documents,
 * framed by:
 *   S <scenario>              a scenario starts
 *   E <scenario> <bytes>      the scenario ended (its names were destroyed);
 *                             <bytes> counts what it printed, to detect loss
 *   DONE                      the bundle is finished
 */
#include <mach/mach_types.h>
#include <mach/message.h>
#include "mach.h"
#include "mach_port.h"
#include "device.h"
#include "steps.h"

extern const unsigned char bundle_start[], bundle_end[];
static mach_port_t console;

/* The console through device_write_inband, looping on short writes. */
static void console_write(const char *p, unsigned n) {
  int written;
  unsigned off = 0;
  while (off < n) {
    written = 0;
    if (device_write_inband(console, 0, 0, (char *)p + off, n - off, &written) != KERN_SUCCESS || written <= 0) break;
    off += (unsigned)written;
  }
}

void cmain(uptr *sp) {
  uptr argc = sp[0];
  char **argv = (char **)(sp + 1);
  self = mach_task_self();
  host_port = argc > 1 ? atou(argv[1]) : 0;
  master_port = argc > 2 ? atou(argv[2]) : 0;
  out_sink = console_write;
  char name[128];
  memset(name, 0, sizeof name);
  memcpy(name, "console", 8);
  if (device_open(master_port, D_READ | D_WRITE, name, &console) != KERN_SUCCESS) for (;;);
  puts_("\nCONFORMANCE BEGIN " ABI_NAME "\n");
  flush();
  /* Every name present now belongs to the interpreter, not to a scenario. */
  hide_current_names();
  bp = (const u32 *)bundle_start; bend = (const u32 *)bundle_end;
  u32 magic = word(), nscen = word();
  if (magic != 0x464e4f43u) { puts_("BADBUNDLE\n"); nscen = 0; }
  for (u32 s = 0; s < nscen && bp < bend; s++) {
    u32 nsteps = word();
    memset(slots, 0, sizeof slots);
    nrnames = 0;
    putc_('S'); sp_hex(s); eol();
    scen_bytes = 0;
    for (u32 i = 0; i < nsteps && bp < bend; i++) {
      u32 op = word(), len = word();
      const u32 *next = bp + len;
      run_step(i, op, next);
    }
    cleanup();
    u32 nbytes = scen_bytes;
    putc_('E'); sp_hex(s); sp_hex(nbytes); eol();
    flush();
  }
  puts_("DONE\n");
  flush();
  task_terminate(self);
  for (;;);
}
