/**
 * Message queues (ipc_mqueue): FIFO per port, queue limits that block
 * senders, blocked receivers on ports and port sets, timeouts through the
 * injected clock, cancellation through an AbortSignal.
 */
import {
  MACH_MSG_SUCCESS,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_RCV_INTERRUPTED,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TOO_LARGE,
  MACH_SEND_INTERRUPTED,
  MACH_SEND_TIMED_OUT,
  MACH_SEND_WILL_NOTIFY,
} from 'mach-msg';
import type { IpcKernel, Task } from './ipc-kernel.js';
import type { IpcPort } from './ipc-port.js';
import type { IpcPset } from './ipc-pset.js';
import type { Kmsg, MaRequest } from './ipc-kmsg-types.js';
import type { DestroyReason, MsgEvent } from './observer.js';
import { kmsgCopyout, kmsgCopyoutDestOnly, kmsgCopyoutPseudo, kmsgDestroy, kmsgSize } from './ipc-kmsg.js';
import { marequestDone } from './ipc-notify.js';
import { BlockedCall, type MsgOutcome } from './ipc-wait.js';

export type { MsgOutcome } from './ipc-wait.js';

/** A receiver blocked on a port or port set; `finish` wakes it with an outcome. */
export interface RcvWaiter {
  readonly task: Task;
  readonly object: IpcPort | IpcPset;
  readonly maxSize: number;
  readonly large: boolean;
  /** The name the task receives on (for observers). */
  readonly rcvName: number;
  finish(out: MsgOutcome): void;
}

/** A sender blocked on a full queue, holding its copied-in message; `finish` ends the wait. */
export interface SendWaiter {
  readonly task: Task;
  readonly kmsg: Kmsg;
  finish(out: MsgOutcome): void;
}

/**
 * A message sent or received, to the observers (the array, not the Set: see
 * IpcKernel.observerList). When V8 inlines a tracer's observer here, the
 * event object is never made: its fields reach the observer's code as
 * values. Whether it does depends on which of the two it optimises first
 * (hurd-rpctrace's BENCHMARKS.md, 2026-11-30 15:42 section).
 */
function emit(k: IpcKernel, phase: 'send' | 'receive', task: number, kmsg: Kmsg, bytes: Uint8Array | null, t: Task | null): void {
  if (k.observers.size === 0) return;
  // The reply port's identity is known once copyin resolved msgh_local_port:
  // tools pair a reply with its request from the send alone.
  const r = kmsg.reply;
  const ev: MsgEvent = {
    phase,
    task,
    port: kmsg.dest.id,
    msgId: kmsg.id,
    bytes,
    abi: t === null ? null : t.abi,
    // typeof, not `r !== DEAD`: a port compared with a string was a generic StrictEqual call per send.
    replyPort: phase === 'send' && typeof r === 'object' && r !== null ? r.id : 0,
    taskName: t === null || t.name === '' ? undefined : t.name,
  };
  const list = k.observerList;
  for (let i = 0; i < list.length; i++) list[i]!(ev);
}

/**
 * A message destroyed without any task receiving it (ipc_kmsg_destroy of a
 * queued or just-sent message): reported before its rights are released, so
 * that the notifications the release causes come after it.
 */
export function emitDestroyed(k: IpcKernel, kmsg: Kmsg, why: DestroyReason): void {
  if (k.observers.size === 0) return;
  const ev: MsgEvent = { phase: 'receive', task: 0, port: kmsg.dest.id, msgId: kmsg.id, bytes: null, abi: null, destroyed: why };
  const list = k.observerList;
  for (let i = 0; i < list.length; i++) list[i]!(ev);
}

/** A receive that got no message (mach_msg's MACH_RCV_* return codes). */
export function emitRcvFailed(k: IpcKernel, task: Task, port: number, rcvName: number, kr: number, kmsg?: Kmsg, bytes?: Uint8Array, destroyed?: DestroyReason): void {
  if (k.observers.size === 0) return;
  const ev: MsgEvent = {
    phase: 'receive',
    task: task.id,
    port,
    msgId: kmsg === undefined ? 0 : kmsg.id,
    bytes: bytes ?? null,
    abi: task.abi,
    kr,
    rcvName,
    taskName: task.name === '' ? undefined : task.name,
    destroyed,
  };
  const list = k.observerList;
  for (let i = 0; i < list.length; i++) list[i]!(ev);
}

export function enqueue(k: IpcKernel, kmsg: Kmsg): void {
  kmsg.stamp = k.stamp();
  kmsg.dest.queue.push(kmsg);
  k.schedule(kmsg.dest);
}

/** ipc_mqueue_send_always: kernel messages ignore the queue limit. */
export function kernelSend(k: IpcKernel, kmsg: Kmsg): void {
  emit(k, 'send', 0, kmsg, null, null);
  if (!kmsg.dest.active || kmsg.circular === true) {
    emitDestroyed(k, kmsg, kmsg.circular === true ? 'circular' : 'dead-destination');
    kmsgDestroy(k, kmsg);
    return;
  }
  enqueue(k, kmsg);
}

/** A full queue blocks senders, except on a send-once right (and kernel ports). */
function queueFull(port: IpcPort, kmsg: Kmsg): boolean {
  return port.kobject === null && kmsg.destType !== MACH_MSG_TYPE_PORT_SEND_ONCE && port.queue.length >= port.qlimit;
}

/**
 * MACH_SEND_NOTIFY: creates the msg-accepted request when the queue turns out
 * full (ipc_marequest_create), or says why it cannot (a MACH_SEND_* code).
 */
export type NotifyThunk = (dest: IpcPort) => MaRequest | number;

/** ipc_mqueue_send for a user message already copied in. */
export function userSend(
  k: IpcKernel,
  task: Task,
  kmsg: Kmsg,
  bytes: Uint8Array,
  timeout: number | null,
  signal: AbortSignal | undefined,
  notify: NotifyThunk | null,
): MsgOutcome | Promise<MsgOutcome> {
  emit(k, 'send', task.id, kmsg, bytes, task);
  const port = kmsg.dest;
  // A dead destination, or a message that would make a port contain itself
  // (MACH_MSGH_BITS_CIRCULAR): "sent", then destroyed at once (ipc_kmsg_send).
  if (!port.active || kmsg.circular === true) {
    emitDestroyed(k, kmsg, kmsg.circular === true ? 'circular' : 'dead-destination');
    kmsgDestroy(k, kmsg);
    return { kr: MACH_MSG_SUCCESS };
  }
  if (!queueFull(port, kmsg)) {
    enqueue(k, kmsg);
    return { kr: MACH_MSG_SUCCESS };
  }
  if (notify !== null) {
    // MACH_SEND_NOTIFY: queued anyway; msg-accepted follows on dequeue. If
    // the request cannot be made the message comes back (copyout_pseudo).
    const ma = notify(port);
    if (typeof ma === 'number') return { kr: ma, message: kmsgCopyoutPseudo(k, task, kmsg) };
    kmsg.marequest = ma;
    enqueue(k, kmsg);
    return { kr: MACH_SEND_WILL_NOTIFY };
  }
  const w = new SendWait(k, task, kmsg, port);
  if (timeout === 0) return w.giveBack(MACH_SEND_TIMED_OUT);
  return w.block(timeout, signal);
}

/** ipc_mqueue_send blocked on a full queue (ipc_thread_block with the message held). */
class SendWait extends BlockedCall implements SendWaiter {
  constructor(
    k: IpcKernel,
    task: Task,
    readonly kmsg: Kmsg,
    readonly port: IpcPort,
  ) {
    super(k, task);
  }

  protected enter(): void {
    this.port.blockedSenders.push(this);
  }

  /** Queued (a slot freed) or its port died: the waker already dealt with the message. */
  finish(out: MsgOutcome): void {
    this.settle(out);
  }

  private leave(): void {
    const i = this.port.blockedSenders.indexOf(this);
    if (i >= 0) this.port.blockedSenders.splice(i, 1);
  }

  /** Timed out or interrupted: the message comes back with its rights (ipc_kmsg_copyout_pseudo). */
  giveBack(kr: number): MsgOutcome {
    this.leave();
    return { kr, message: kmsgCopyoutPseudo(this.k, this.task, this.kmsg) };
  }

  protected timedOut(): MsgOutcome {
    return this.giveBack(MACH_SEND_TIMED_OUT);
  }

  protected interrupted(): MsgOutcome {
    return this.giveBack(MACH_SEND_INTERRUPTED);
  }

  protected terminated(): MsgOutcome {
    this.leave();
    emitDestroyed(this.k, this.kmsg, 'sender-terminated');
    kmsgDestroy(this.k, this.kmsg);
    return { kr: MACH_SEND_INTERRUPTED };
  }
}

/** The next message for a port, or for a set: the oldest among its members. */
function head(obj: IpcPort | IpcPset): IpcPort | null {
  if (obj.kind === 'port') return obj.queue.length > 0 ? obj : null;
  let best: IpcPort | null = null;
  for (const p of obj.members) {
    const m = p.queue[0];
    if (m !== undefined && (best === null || m.stamp < best.queue[0]!.stamp)) best = p;
  }
  return best;
}

function dequeue(k: IpcKernel, port: IpcPort): Kmsg {
  const kmsg = port.queue.shift()!;
  // A freed slot lets one blocked sender in (ipc_mqueue_release_msgcount).
  if (port.blockedSenders.length > 0 && port.queue.length < port.qlimit) {
    const w = port.blockedSenders.shift()!;
    enqueue(k, w.kmsg);
    w.finish({ kr: MACH_MSG_SUCCESS });
  }
  return kmsg;
}

/** ipc_mqueue_receive without blocking: null when nothing is queued. */
export function tryReceive(k: IpcKernel, task: Task, obj: IpcPort | IpcPset, maxSize: number, large: boolean, rcvName = 0): MsgOutcome | null {
  const port = head(obj);
  if (port === null) return null;
  const kmsg = port.queue[0]!;
  const size = kmsgSize(kmsg, task.abi);
  if (size < 0 || size > maxSize) {
    if (large) {
      emitRcvFailed(k, task, obj.id, rcvName, MACH_RCV_TOO_LARGE, kmsg);
      return { kr: MACH_RCV_TOO_LARGE, size };
    }
    dequeue(k, port);
    // Reported before the copyout destroys it (and the notifications that causes).
    emitRcvFailed(k, task, obj.id, rcvName, MACH_RCV_TOO_LARGE, kmsg, undefined, 'too-large');
    const message = kmsgCopyoutDestOnly(k, task, kmsg, port.seqno++, size);
    return { kr: MACH_RCV_TOO_LARGE, size, message };
  }
  dequeue(k, port);
  const seqno = port.seqno++;
  const ma = kmsg.marequest;
  kmsg.marequest = null;
  const message = kmsgCopyout(k, task, kmsg, seqno);
  if (ma !== null) marequestDone(k, ma, port);
  emit(k, 'receive', task.id, kmsg, message, task);
  return { kr: MACH_MSG_SUCCESS, message, size: message.length };
}

/**
 * ipc_mqueue_receive: a queued message now, else (unless `timeout` is 0, a
 * poll) the task blocks until one comes, the wait fails, or it times out.
 * `name` is the name received on, in the task's space (for observers).
 */
export function userReceive(
  k: IpcKernel,
  task: Task,
  obj: IpcPort | IpcPset,
  timeout: number | null,
  signal: AbortSignal | undefined,
  large: boolean,
  maxSize: number,
  name: number,
): MsgOutcome | Promise<MsgOutcome> {
  const now = tryReceive(k, task, obj, maxSize, large, name);
  if (now !== null) return now;
  if (timeout === 0) {
    // A poll that found nothing: reported too (tools choose whether to show it).
    emitRcvFailed(k, task, obj.id, name, MACH_RCV_TIMED_OUT);
    return { kr: MACH_RCV_TIMED_OUT };
  }
  return new ReceiveWait(k, task, obj, maxSize, large, name).block(timeout, signal);
}

/** A receiver blocked in ipc_mqueue_receive. */
class ReceiveWait extends BlockedCall implements RcvWaiter {
  /**
   * Whether a wakeup with a failure (MACH_RCV_PORT_DIED, MACH_RCV_PORT_CHANGED...)
   * is reported: when someone observed at the time it blocked (a
   * MACH_RCV_TOO_LARGE was, by tryReceive).
   */
  private readonly report: boolean;

  constructor(
    k: IpcKernel,
    task: Task,
    readonly object: IpcPort | IpcPset,
    readonly maxSize: number,
    readonly large: boolean,
    readonly rcvName: number,
  ) {
    super(k, task);
    this.report = k.observers.size > 0;
  }

  protected enter(): void {
    this.object.receivers.push(this);
  }

  finish(out: MsgOutcome): void {
    if (this.settled) return;
    if (this.report && out.kr !== MACH_MSG_SUCCESS && out.kr !== MACH_RCV_TOO_LARGE) emitRcvFailed(this.k, this.task, this.object.id, this.rcvName, out.kr);
    this.settle(out);
  }

  private leave(kr: number, report: boolean): MsgOutcome {
    const waiters = this.object.receivers;
    const i = waiters.indexOf(this);
    if (i >= 0) waiters.splice(i, 1);
    if (report) emitRcvFailed(this.k, this.task, this.object.id, this.rcvName, kr);
    return { kr };
  }

  protected timedOut(): MsgOutcome {
    return this.leave(MACH_RCV_TIMED_OUT, true);
  }

  protected interrupted(): MsgOutcome {
    return this.leave(MACH_RCV_INTERRUPTED, true);
  }

  /** A terminated task's interrupted receive is not reported: nobody gets its return code. */
  protected terminated(): MsgOutcome {
    return this.leave(MACH_RCV_INTERRUPTED, false);
  }
}

function serve(k: IpcKernel, waiters: RcvWaiter[], obj: IpcPort | IpcPset): void {
  while (waiters.length > 0) {
    const w = waiters[0]!;
    const out = tryReceive(k, w.task, obj, w.maxSize, w.large, w.rcvName);
    if (out === null) return;
    waiters.shift();
    w.finish(out);
  }
}

/** Hands queued messages to blocked receivers of a port and of its set. */
export function serveWaiters(k: IpcKernel, port: IpcPort): void {
  if (port.kobject !== null) {
    const handler = port.kobject;
    while (port.queue.length > 0 && port.kobject === handler) {
      const m = port.queue.shift()!;
      port.seqno++;
      handler(m);
    }
    return;
  }
  serve(k, port.receivers, port);
  if (port.pset !== null) serve(k, port.pset.receivers, port.pset);
}
