/*
 * The agent's end of the host link (agent.c describes the protocol): the
 * second UART (GNU Mach `com1`, I/O ports 0x2f8-0x2ff), polled from user
 * space, or the kernel's com1 tty (agent.c, "link modes"). Byte and frame
 * I/O only; while the agent waits for the host it passes workers' events on
 * (`watching`, poll_events, idle_wait: agent.c).
 */
#include <mach/mach_types.h>
#include <mach/message.h>
#include "mach.h"
#include "device.h"
#include "mach_i386.h"
#include "steps.h"
#include <device/device_types.h>
#include <device/tty_status.h>

#define COM1 0x2f8 /* GNU Mach com1 = the PC's COM2 */
#define LSR_DR 0x01
#define LSR_THRE 0x20

static inline unsigned char inb(unsigned short p) {
  unsigned char v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p));
  return v;
}
static inline void outb(unsigned short p, unsigned char v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }

extern int watching; /* agent.c: events are passed on while the link waits */
void poll_events(void);
void idle_wait(void);

/* Spins on the UART while the host is busy; after IDLE_SPINS polls without a
   byte it sleeps a clock tick at a time (idle_wait), so that an idle link
   does not keep a host CPU busy running QEMU. */
#define IDLE_SPINS 200000u
static int tty_mode;
static mach_port_t ttydev;
static unsigned char rbuf[128], obuf[128];
static u32 rpos, rlen, on;

/* The tty mode's credit (link.ts, TTY_WINDOW): the kernel's tty input queue
   has no flow control towards QEMU, and what it cannot hold is dropped, so
   a request longer than the queue (a vm_write of 5000 bytes) was cut short
   whenever the host's bytes came in faster than this agent took them. The
   host sends at most its window beyond the bytes this agent has said it
   took: an empty frame (one 0x00 byte, which no reply begins with) for
   each TTY_CREDIT bytes taken from the tty. */
#define TTY_CREDIT 512u
static u32 tty_taken;
/* The MIG stub's parameter is an inband buffer (128 bytes); it copies only
   the count given, 1 here, but a smaller object draws gcc's overread warning. */
static char tty_zero[128];
static void tty_credit(void) {
  int w = 0;
  /* obuf is empty here: replies and event frames are flushed whole. */
  while (device_write_inband(ttydev, 0, 0, tty_zero, 1, &w) == KERN_SUCCESS && w != 1) {}
}

static int tty_fill(int wait) {
  mach_msg_type_number_t cnt = sizeof rbuf;
  if (device_read_inband(ttydev, wait ? 0 : D_NOWAIT, 0, sizeof rbuf, (char *)rbuf, &cnt) != KERN_SUCCESS) return 0;
  rpos = 0;
  rlen = cnt > sizeof rbuf ? sizeof rbuf : cnt;
  return rlen > 0;
}
static unsigned char tty_rawc(void) {
  u32 misses = 0;
  while (rpos == rlen) {
    if (!watching) { tty_fill(1); continue; }
    /* Watching: no blocking read, events must get out meanwhile. */
    if (tty_fill(0)) break;
    poll_events();
    if (++misses >= 64) idle_wait();
  }
  if (++tty_taken == TTY_CREDIT) {
    tty_taken = 0;
    tty_credit();
  }
  return rbuf[rpos++];
}
static void tty_flush(void) {
  u32 off = 0;
  while (off < on) {
    int w = 0;
    if (device_write_inband(ttydev, 0, 0, (char *)obuf + off, on - off, &w) != KERN_SUCCESS || w <= 0) break;
    off += (u32)w;
  }
  on = 0;
}

unsigned char link_getc(void) {
  if (tty_mode) {
    unsigned char c = tty_rawc();
    if (c != 0x1c) return c;
    return tty_rawc() == 2 ? 0x1b : 0x1c;
  }
  u32 spins = 0;
  while (!(inb(COM1 + 5) & LSR_DR)) {
    ++spins;
    if (spins >= IDLE_SPINS) idle_wait();
    else if (watching && (spins & 1023) == 0) poll_events();
  }
  return inb(COM1);
}
/* Polled transmit: LSR.THRE says the transmit FIFO is empty, so up to 16
   bytes may follow without another look (16550: THRE = "transmitter holding
   register/FIFO empty"). One LSR read per 16 bytes instead of per byte; each
   port access is a trip through QEMU's device emulation. */
#define TX_FIFO 16
static u32 tx_room;
static void link_putc(unsigned char c) {
  if (tty_mode) {
    if (on == sizeof obuf) tty_flush();
    obuf[on++] = c;
    return;
  }
  if (tx_room == 0) {
    while (!(inb(COM1 + 5) & LSR_THRE)) {}
    tx_room = TX_FIFO;
  }
  tx_room--;
  outb(COM1, c);
}
/* The end of a frame: whatever the tty path holds goes out. */
void link_flush(void) {
  if (tty_mode) tty_flush();
  /* Polled: bytes written since the last THRE are still in the FIFO or
     sent; the next burst looks at THRE again. */
  tx_room = 0;
}
void link_write(const void *p, u32 n) {
  const unsigned char *b = p;
  for (u32 i = 0; i < n; i++) link_putc(b[i]);
}
/* A frame length: LEB128, 7 bits a byte, low first (protocol.ts). At most
   5 bytes; anything longer is not a frame this agent takes. */
u32 link_varint(int *bad) {
  u32 v = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    unsigned char c = link_getc();
    v |= (u32)(c & 0x7f) << shift;
    if (!(c & 0x80)) return v;
  }
  *bad = 1;
  return 0;
}
static void link_put_varint(u32 v) {
  while (v >= 0x80) { link_putc((unsigned char)(v | 0x80)); v >>= 7; }
  link_putc((unsigned char)v);
}
/* A frame to the host: its length, the request's tag byte, the lines; the
   last line's '\n' is left out (the frame's end ends it: a byte less on
   every reply). */
void link_frame(unsigned char tag, const unsigned char *body, u32 n) {
  if (n > 0 && body[n - 1] == '\n') n--;
  link_put_varint(n + 1);
  link_putc(tag);
  link_write(body, n);
  link_flush();
}


/* Opens the link: the com1 tty (`tty`), or the UART's ports granted to this
   task and set up for polling. Never returns if that fails (no link, no
   host to tell). */
void link_open(int tty, mach_port_t master) {
  static mach_port_t perm;
  tty_mode = tty;
  if (tty_mode) {
    char name[128];
    memset(name, 0, sizeof name);
    memcpy(name, "com1", 5);
    if (device_open(master, D_READ | D_WRITE, name, &ttydev) != KERN_SUCCESS) for (;;);
    struct tty_status ts;
    mach_msg_type_number_t cnt = TTY_STATUS_COUNT;
    memset(&ts, 0, sizeof ts);
    if (device_get_status(ttydev, TTY_STATUS, (dev_status_t)&ts, &cnt) != KERN_SUCCESS) for (;;);
    ts.tt_ispeed = B0; /* no pseudo-DMA input buffering; ospeed (and the divisor) kept */
    if (device_set_status(ttydev, TTY_STATUS, (dev_status_t)&ts, TTY_STATUS_COUNT) != KERN_SUCCESS) for (;;);
  } else {
    if (i386_io_perm_create(master, COM1, COM1 + 7, &perm) != KERN_SUCCESS) for (;;);
    if (i386_io_perm_modify(self, perm, 1) != KERN_SUCCESS) for (;;);
    outb(COM1 + 1, 0x00); /* no UART interrupts: the kernel's driver stays out */
    outb(COM1 + 3, 0x03); /* 8N1 */
    /* FIFO on, both cleared, receive trigger level 14: QEMU hands the UART
       at most (trigger level - FIFO count) bytes per main-loop turn, so a
       trigger of 1 byte cuts host->agent to ~15 KiB/s (gnumach-serial-link.md,
       "Where the time goes"); at 14 it is ~250 KiB/s. The polled agent sees
       LSR.DR with any byte in the FIFO, so the level costs no latency. */
    outb(COM1 + 2, 0xc7);
    outb(COM1 + 4, 0x03); /* DTR, RTS */
  }
}
