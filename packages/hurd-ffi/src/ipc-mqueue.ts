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
import { DEAD, type Kmsg, type MaRequest } from './ipc-kmsg-types.js';
import type { DestroyReason, MsgEvent } from './observer.js';
import { kmsgCopyout, kmsgCopyoutDestOnly, kmsgCopyoutPseudo, kmsgDestroy, kmsgSize } from './ipc-kmsg.js';
import { marequestDone } from './ipc-notify.js';
import type { TimerHandle } from './clock.js';

export interface MsgOutcome {
  kr: number;
  /** The received message, or the sender's message returned by a failed send. */
  message?: Uint8Array;
  /** Size of the received message (with MACH_RCV_TOO_LARGE: the size needed). */
  size?: number;
}

export interface RcvWaiter {
  task: Task;
  object: IpcPort | IpcPset;
  maxSize: number;
  large: boolean;
  /** The name the task receives on (for observers). */
  rcvName?: number;
  finish(out: MsgOutcome): void;
}

export interface SendWaiter {
  task: Task;
  kmsg: Kmsg;
  finish(out: MsgOutcome): void;
}

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
    replyPort: phase === 'send' && r !== null && r !== DEAD ? r.id : 0,
    taskName: t === null || t.name === '' ? undefined : t.name,
  };
  for (const o of k.observers) o(ev);
}

/**
 * A message destroyed without any task receiving it (ipc_kmsg_destroy of a
 * queued or just-sent message): reported before its rights are released, so
 * that the notifications the release causes come after it.
 */
export function emitDestroyed(k: IpcKernel, kmsg: Kmsg, why: DestroyReason): void {
  if (k.observers.size === 0) return;
  const ev: MsgEvent = { phase: 'receive', task: 0, port: kmsg.dest.id, msgId: kmsg.id, bytes: null, abi: null, destroyed: why };
  for (const o of k.observers) o(ev);
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
  for (const o of k.observers) o(ev);
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
 * The blocked calls waiting on each AbortSignal. One 'abort' listener per
 * signal runs them all: adding and removing an EventTarget listener for
 * every blocked receive (a driver's receive loop passes the same signal each
 * time) cost about as much as the receive itself.
 */
const abortWaiters = new WeakMap<AbortSignal, Set<() => void>>();

function waitAbort(signal: AbortSignal, fn: () => void): Set<() => void> {
  let set = abortWaiters.get(signal);
  if (set === undefined) {
    const waiting = new Set<() => void>();
    set = waiting;
    abortWaiters.set(signal, waiting);
    signal.addEventListener(
      'abort',
      () => {
        // In the order the calls blocked; each finisher removes itself. One
        // that throws (an observer) does not keep the others blocked, as with
        // a listener each.
        let failure: { e: unknown } | undefined;
        for (const f of [...waiting]) {
          try {
            f();
          } catch (e) {
            failure ??= { e };
          }
        }
        waiting.clear();
        if (failure !== undefined) throw failure.e;
      },
      { once: true },
    );
  }
  set.add(fn);
  return set;
}

/**
 * Runs `start` with a finisher that settles once: it cancels the timer and
 * the abort registration and forgets the task's pending call. Kept lean:
 * this is on every blocking receive.
 */
function block(
  k: IpcKernel,
  task: Task,
  timeout: number | null,
  signal: AbortSignal | undefined,
  onTimeout: () => MsgOutcome,
  onAbort: () => MsgOutcome,
  onTerminate: () => MsgOutcome,
  start: (finish: (out: MsgOutcome) => void) => void,
): Promise<MsgOutcome> {
  return new Promise<MsgOutcome>((resolve) => {
    let done = false;
    let timer: TimerHandle | null = null;
    let abort: (() => void) | null = null;
    let aborters: Set<() => void> | null = null;
    const finish = (out: MsgOutcome): void => {
      if (done) return;
      done = true;
      if (timer !== null) timer.cancel();
      if (aborters !== null) aborters.delete(abort!);
      task.blocked.delete(terminate);
      resolve(out);
    };
    const terminate = (): void => {
      if (!done) finish(onTerminate());
    };
    task.blocked.add(terminate);
    start(finish);
    if (done) return;
    if (timeout !== null) {
      timer = k.clock.setTimer(timeout, () => {
        if (!done) {
          finish(onTimeout());
          k.flush();
        }
      });
    }
    if (signal !== undefined) {
      abort = (): void => {
        if (!done) {
          finish(onAbort());
          k.flush();
        }
      };
      if (signal.aborted) abort();
      else aborters = waitAbort(signal, abort);
    }
  });
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
  const giveBack = (kr: number) => (): MsgOutcome => {
    const i = port.blockedSenders.indexOf(waiter);
    if (i >= 0) port.blockedSenders.splice(i, 1);
    return { kr, message: kmsgCopyoutPseudo(k, task, kmsg) };
  };
  const waiter: SendWaiter = { task, kmsg, finish: () => undefined };
  if (timeout === 0) return giveBack(MACH_SEND_TIMED_OUT)();
  return block(
    k,
    task,
    timeout,
    signal,
    giveBack(MACH_SEND_TIMED_OUT),
    giveBack(MACH_SEND_INTERRUPTED),
    () => {
      const i = port.blockedSenders.indexOf(waiter);
      if (i >= 0) port.blockedSenders.splice(i, 1);
      emitDestroyed(k, kmsg, 'sender-terminated');
      kmsgDestroy(k, kmsg);
      return { kr: MACH_SEND_INTERRUPTED };
    },
    (finish) => {
      waiter.finish = finish;
      port.blockedSenders.push(waiter);
    },
  );
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

export interface ReceiveOptions {
  timeout: number | null;
  signal?: AbortSignal;
  large: boolean;
  maxSize: number;
  /** The name received on, in the task's space (for observers of failed receives). */
  name?: number;
}

export function userReceive(k: IpcKernel, task: Task, obj: IpcPort | IpcPset, opt: ReceiveOptions): MsgOutcome | Promise<MsgOutcome> {
  const name = opt.name ?? 0;
  const now = tryReceive(k, task, obj, opt.maxSize, opt.large, name);
  if (now !== null) return now;
  if (opt.timeout === 0) {
    // A poll that found nothing: reported too (tools choose whether to show it).
    emitRcvFailed(k, task, obj.id, name, MACH_RCV_TIMED_OUT);
    return { kr: MACH_RCV_TIMED_OUT };
  }
  const waiter: RcvWaiter = { task, object: obj, maxSize: opt.maxSize, large: opt.large, rcvName: name, finish: () => undefined };
  const leave = (kr: number, report: boolean) => (): MsgOutcome => {
    const i = obj.receivers.indexOf(waiter);
    if (i >= 0) obj.receivers.splice(i, 1);
    if (report) emitRcvFailed(k, task, obj.id, name, kr);
    return { kr };
  };
  // A terminated task's interrupted receive is not reported: nobody gets its return code.
  return block(k, task, opt.timeout, opt.signal, leave(MACH_RCV_TIMED_OUT, true), leave(MACH_RCV_INTERRUPTED, true), leave(MACH_RCV_INTERRUPTED, false), (finish) => {
    // Woken with a failure (MACH_RCV_PORT_DIED, MACH_RCV_PORT_CHANGED...): reported
    // (a MACH_RCV_TOO_LARGE was, by tryReceive). No wrapper when nobody observes:
    // this is on every blocking receive.
    waiter.finish =
      k.observers.size === 0
        ? finish
        : (out) => {
            if (out.kr !== MACH_MSG_SUCCESS && out.kr !== MACH_RCV_TOO_LARGE) emitRcvFailed(k, task, obj.id, name, out.kr);
            finish(out);
          };
    obj.receivers.push(waiter);
  });
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
