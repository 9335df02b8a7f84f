/*
 * Message sends on a task's sender threads (fault.c), as the agent's link
 * loop hands them over: a send that may wait for room in a full queue
 * (fault_call), and a send that must not wait, made once the task's earlier
 * sends to the same port are in the kernel (send_after). A task has as
 * many sender threads as it has ports with sends pending at once (the host
 * picks the slot: src/gnumach/fault-thread.ts), so a send blocked on one
 * port's queue holds back no send to another port.
 */
#include "agent.h"

/* How long the agent waits for a message send it handed to a sender thread
   before it answers "handed over" and lets the result come as an event
   (fault_call): two clock ticks at hz = 100, so that a send that completes
   at once is answered in its own exchange, and one blocked on a full queue
   holds the link no longer than that. A send handed to a thread that is
   still busy with an earlier one is not waited for at all. */
#define FAULT_WAIT_MS 20

/*
 * A message send on one of task k's sender threads (request words
 * 105 n seq slot 15 ...).
 *
 * A send without MACH_SEND_TIMEOUT (or with a timeout) blocks while the
 * destination's queue is full (msgcount >= qlimit: Mach's flow control; a
 * sender waits, it is not refused). The call that makes room is a receive
 * by some task, which the host sends through this same link: if this loop
 * waited for the send, nothing on the node would move again. So the send
 * runs on a second thread of the task, and this loop waits for it at most
 * FAULT_WAIT_MS, passing workers' events on meanwhile:
 * - the result came (the common case, a queue with room): it is the reply
 *   to the request, one exchange, as a worker's would be;
 * - it did not (the send is blocked, or only slow): the reply is "R 0 0",
 *   handed over, and the result comes later as an event "F <task> <seq>".
 * The host tells the two apart by the F line. A thread still busy with an
 * earlier request runs this one after it: answered "handed over" at once.
 * The host keeps fewer requests per thread in flight than its port holds
 * (fault-thread.ts MAX_IN_FLIGHT), so the hand-over itself never waits.
 */
void fault_call(u32 k, u32 slot, const unsigned char *w, u32 wlen, u32 seq) {
  mach_port_t fp = MACH_PORT_NULL;
  /* No such task, or no thread for the slot (fault.c's cap, or no resources for one). */
  kern_return_t pk = task_live(k) ? fault_port_of(k, slot, &fp) : KERN_INVALID_TASK_;
  if (pk != KERN_SUCCESS) { reply_kr(pk, 0, 0); return; }
  if (wlen > sizeof fwd.data) { reply_kr(KERN_INVALID_ARGUMENT, 0, 0); return; }
  int busy = fault_busy(k, slot) != 0;
  fwd.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  fwd.h.msgh_remote_port = fp;
  fwd.h.msgh_local_port = MACH_PORT_NULL;
  fwd.h.msgh_id = ID_FAULT;
  fwd.len = wlen;
  fwd.pad = 0;
  memcpy(fwd.data, w, wlen);
  fwd.h.msgh_size = (mach_msg_size_t)((sizeof fwd.h + 8 + wlen + 7) & ~7u);
  fault_handed(k, slot, 1);
  if (busy) {
    mach_msg_return_t kr = mach_msg_trap((void *)&fwd, MACH_SEND_MSG | MACH_SEND_TIMEOUT, fwd.h.msgh_size, 0, 0, 0, 0);
    if (kr != MACH_MSG_SUCCESS) fault_handed(k, slot, -1);
    else watching = 1;
    reply_kr(kr, 0, 0);
    return;
  }
  /* Hand over and wait in one trap (the kernel can switch straight to the
     thread); the send's timeout only bounds a queue that is never full. */
  mach_msg_return_t kr = mach_msg_trap((void *)&fwd, MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                                       fwd.h.msgh_size, sizeof fwd, fwd_reply, FAULT_WAIT_MS, 0);
  for (;;) {
    if (kr == MACH_MSG_SUCCESS && fwd.h.msgh_id == ID_EVENT && FT_PAD_SEQ(fwd.pad) == (seq & 0xfffffu) && FT_PAD_TASK(fwd.pad) != 0) {
      fault_result(fwd.pad);
      u32 n = fwd.len > RESP_MAX ? RESP_MAX : fwd.len;
      memcpy(resp, fwd.data, n);
      respn = n;
      return;
    }
    if (kr == MACH_MSG_SUCCESS) {
      /* A worker's event, or an earlier result the host already awaits as one. */
      if (fwd.h.msgh_id == ID_EVENT) send_event();
    } else if ((kr & 0xffffff00u) == 0x10000000u) {
      fault_handed(k, slot, -1);
      reply_kr(kr, 0, 0); /* not handed over (MACH_SEND_*): no result will come */
      return;
    } else {
      /* MACH_RCV_TIMED_OUT: still running; the result comes as an event. */
      watching = 1;
      reply_kr(KERN_SUCCESS, 0, 0);
      return;
    }
    kr = mach_msg_trap((void *)&fwd, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof fwd, fwd_reply, FAULT_WAIT_MS, 0);
  }
}

/*
 * A send that never waits (MACH_SEND_TIMEOUT 0) to a port that has an
 * earlier send of the same task still on sender thread `slot` (the host
 * knows: fault-thread.ts). Mach keeps one sender's messages to one port in
 * order, and a MACH_SEND_TIMEOUT 0 send is answered at once, never queued
 * behind the sender's other calls: so it runs on the task's worker, at the
 * moment the earlier sends are in the kernel. That is once the thread has
 * no request left, or once it is seen waiting in the kernel, and after
 * that the reply port drained and the thread still waiting: it is then not
 * waiting for room on our reply port (a drained port has room), so it is
 * waiting in a send to the destination, whose queue is then full (the
 * earlier send is among its blocked senders, and this one is answered
 * MACH_SEND_TIMED_OUT as the kernel answers it), or for its next request
 * (all done). The host sends this only when every request before the
 * port's last one on that thread is to the same port (else the send waits
 * its turn on the thread, fault_call).
 */
void send_after(u32 k, u32 slot, const unsigned char *w, u32 wlen) {
  for (u32 rounds = 0; rounds < 100000 && fault_busy(k, slot) != 0; rounds++) {
    poll_events();
    if (fault_busy(k, slot) == 0) break;
    u32 before = fault_busy(k, slot);
    if (fault_waiting(k, slot)) {
      poll_events();
      if (fault_busy(k, slot) == before && fault_waiting(k, slot)) break;
      continue;
    }
    /* Running or about to: give it the CPU (one clock tick at most), taking any event meanwhile. */
    mach_msg_return_t kr = mach_msg_trap((void *)&fwd, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof fwd, fwd_reply, 1, 0);
    if (kr == MACH_MSG_SUCCESS && fwd.h.msgh_id == ID_EVENT) send_event();
  }
  forward(k, w, wlen);
}
