/*
 * A real Mach client of a Hurd filesystem, run by the agent in a host task's
 * worker thread (agent.c, op FSCLIENT). It calls dir_lookup, io_stat,
 * io_write and io_read through the user stubs that the real MIG generated
 * (build.sh) from the project's own declarations of the fs and io
 * interfaces (mach-msg's built-in .defs): the messages are laid out by MIG,
 * not by us, and every call is the stub's one mach_msg(SEND|RCV) on this
 * task's reply port, so the server's answers cross the real kernel and are
 * type-checked by MIG's own checks (MIG_TYPE_ERROR on any disagreement).
 *
 * Arguments (words after the step number):
 *   dir flags mode plen write wlen off_lo off_hi path[plen, padded] data[wlen, padded]
 * dir: a send right to the directory to look up in; flags, mode:
 * dir_lookup's; write: 1 to call io_write(data, offset) after io_stat.
 *
 * Results, as text lines (steps.h):
 *   R 0 <kr> <do_retry>          dir_lookup (mach_msg's return or the RetCode)
 *   R 1 <kr>, D 1 <stat bytes>   io_stat: the io_statbuf_t as the stub returned it
 *   R 3 <kr> <amount>            io_write, when asked
 *   R 2 <kr> <bytes>, D 2 <bytes> io_read from offset 0 to EOF (at most READ_MAX)
 * A failed dir_lookup ends the sequence; the other calls run whatever the
 * one before them answered, so that each error shows.
 */
#include "hurd_fs_types.h"
#include "mach.h"
#include "mach_port.h"
#include "io.h"
#include "fs.h"
#include "steps.h"

#define READ_CHUNK 8192
#define READ_MAX 32768
#define WRITE_MAX 16384

static unsigned char data[READ_MAX];
static char path[1024];

/* io_read from 0 to EOF into data[]; returns the last call's kr. The stub
   hands back its own buffer when the data fits, else the out-of-line pages
   the kernel mapped into this task (or pages it allocated), which we free. */
static kern_return_t read_all(io_t file, u32 *total) {
  kern_return_t kr;
  static char chunk[READ_CHUNK];
  *total = 0;
  for (;;) {
    data_t got = chunk;
    mach_msg_type_number_t n = sizeof chunk;
    kr = io_read(file, &got, &n, (loff_t)*total, READ_CHUNK);
    if (kr != KERN_SUCCESS) return kr;
    u32 take = n < READ_MAX - *total ? n : READ_MAX - *total;
    memcpy(data + *total, got, take);
    if (got != chunk) vm_deallocate(self, (vm_address_t)got, n);
    *total += take;
    if (n == 0 || *total >= READ_MAX) return KERN_SUCCESS;
  }
}

void fsclient_run(const u32 *args, u32 nwords) {
  if (nwords < 8) { putc_('X'); puts_(" fsclient args"); eol(); return; }
  mach_port_t dir = args[0];
  int flags = (int)args[1];
  mode_t mode = args[2];
  u32 plen = args[3], dowrite = args[4], wlen = args[5];
  loff_t woff = (loff_t)((u64)args[6] | (u64)args[7] << 32);
  u32 pwords = (plen + 3) / 4, wwords = (wlen + 3) / 4;
  if (plen > sizeof path - 1 || wlen > WRITE_MAX || 8 + pwords + wwords > nwords) {
    putc_('X'); puts_(" fsclient lengths"); eol(); return;
  }
  memset(path, 0, sizeof path);
  memcpy(path, args + 8, plen);
  const char *wdata = (const char *)(args + 8 + pwords);

  retry_type retry = 0;
  string_t retry_name;
  mach_port_t file = MACH_PORT_NULL;
  kern_return_t kr = dir_lookup(dir, path, flags, mode, &retry, retry_name, &file);
  putc_('R'); sp_hex(0); sp_hex((u32)kr); sp_hex(retry); eol();
  if (kr != KERN_SUCCESS) return;

  io_statbuf_t st;
  memset(&st, 0, sizeof st);
  kr = io_stat(file, &st);
  putc_('R'); sp_hex(1); sp_hex((u32)kr); eol();
  if (kr == KERN_SUCCESS) { putc_('D'); sp_hex(1); bytes_hex((const unsigned char *)&st, sizeof st); eol(); }

  if (dowrite) {
    vm_size_t amount = 0;
    kr = io_write(file, wdata, wlen, woff, &amount);
    putc_('R'); sp_hex(3); sp_hex((u32)kr); sp_hex((u32)amount); eol();
  }

  u32 total = 0;
  kr = read_all(file, &total);
  putc_('R'); sp_hex(2); sp_hex((u32)kr); sp_hex(total); eol();
  putc_('D'); sp_hex(2); bytes_hex(data, total); eol();
  mach_port_deallocate(self, file);
}
