/**
 * Releasing rights the kernel holds (ipc_object_destroy) and the death of a
 * port (ipc_port_destroy), with the notifications both produce.
 */
import {
  MACH_MSG_SUCCESS,
  MACH_MSG_TYPE_PORT_RECEIVE,
  MACH_MSG_TYPE_PORT_SEND,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_RCV_PORT_DIED,
} from 'mach-msg';
import type { IpcKernel } from './ipc-kernel.js';
import type { IpcPort } from './ipc-port.js';
import type { IpcPset } from './ipc-pset.js';
import { DEAD, type KPort, type Kmsg } from './ipc-kmsg-types.js';
import { notifyDeadName, notifyNoSenders, notifyPortDestroyed, notifySendOnce } from './ipc-notify.js';
import { kmsgDestroy } from './ipc-kmsg.js';
import { emitDestroyed } from './ipc-mqueue.js';

/**
 * ipc_port_check_circularity: would queueing the receive right of `port` on
 * `dest` make the port (transitively) contain itself?
 */
export function isCircular(port: IpcPort, dest: IpcPort): boolean {
  let cur: IpcPort | null = dest;
  for (let guard = 0; cur !== null && guard < 1_000_000; guard++) {
    if (cur === port) return true;
    if (cur.receiver !== null || !cur.active) return false;
    cur = cur.destination;
  }
  return false;
}

/** Drops one carried right of the given type (16, 17 or 18). */
export function releaseRight(k: IpcKernel, kp: KPort, type: number): void {
  if (kp === null || kp === DEAD) return;
  switch (type) {
    case MACH_MSG_TYPE_PORT_SEND:
      releaseSend(k, kp);
      return;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
      releaseSendOnce(k, kp);
      return;
    case MACH_MSG_TYPE_PORT_RECEIVE:
      portDestroy(k, kp);
      return;
    default:
      return;
  }
}

/** ipc_port_release_send: the last send right going triggers no-senders. */
export function releaseSend(k: IpcKernel, port: IpcPort): void {
  port.srights--;
  if (port.active && port.srights === 0) noSendersCheck(k, port);
}

/**
 * A send-once right destroyed unused becomes a send-once notification sent
 * on that very right (ipc_notify_send_once); to a dead port it just goes.
 */
export function releaseSendOnce(k: IpcKernel, port: IpcPort): void {
  if (port.active) notifySendOnce(k, port);
  else port.sorights--;
}

export function noSendersCheck(k: IpcKernel, port: IpcPort): void {
  const so = port.nsrequest;
  if (so !== null && port.srights === 0) {
    port.nsrequest = null;
    notifyNoSenders(k, so, port.mscount);
  }
}

/** Wakes a port's or set's blocked receivers with `kr`. */
export function failReceivers(waiters: { finish(out: { kr: number }): void }[], kr: number): void {
  if (waiters.length === 0) return;
  for (const w of waiters.splice(0)) w.finish({ kr });
}

export function psetRemove(port: IpcPort): void {
  const s = port.pset;
  if (s === null) return;
  s.members.delete(port);
  port.pset = null;
}

/**
 * The receive right leaves its space (ipc_port_clear_receiver): blocked
 * receivers get MACH_RCV_PORT_DIED, the port leaves its set, and the
 * make-send count and sequence number start again at 0.
 */
export function clearReceiver(port: IpcPort): void {
  psetRemove(port);
  failReceivers(port.receivers, MACH_RCV_PORT_DIED);
  port.receiver = null;
  port.receiverName = 0;
  // A kernel port that leaves the kernel is an ordinary port again.
  port.kobject = null;
  port.mscount = 0;
  port.seqno = 0;
}

/**
 * ipc_port_destroy: called with a receive right that no space holds any
 * more. A port-destroyed request takes the right instead; otherwise the port
 * dies: dead-name requests fire, the no-senders request's send-once right is
 * destroyed (a send-once notification), blocked senders return and the
 * queued messages are destroyed with the rights they carry.
 */
export function portDestroy(k: IpcKernel, port: IpcPort): void {
  if (!port.active) return;
  const pd = port.pdrequest;
  if (pd !== null) {
    port.pdrequest = null;
    clearReceiver(port);
    notifyPortDestroyed(k, pd, port);
    return;
  }
  clearReceiver(port);
  port.active = false;
  k.ports.delete(port);
  if (port.dnrequests.size > 0) {
    for (const e of [...port.dnrequests]) {
      const so = e.dnrequest;
      e.dnrequest = null;
      e.dnFired = true;
      if (so !== null) notifyDeadName(k, so, e.name);
    }
    port.dnrequests.clear();
  }
  const ns = port.nsrequest;
  port.nsrequest = null;
  if (ns !== null) releaseSendOnce(k, ns);
  if (port.blockedSenders.length > 0) {
    for (const w of port.blockedSenders.splice(0)) {
      // A sender blocked on a port that dies returns success; its message is
      // destroyed (ipc_mqueue_send finds the port inactive).
      emitDestroyed(k, w.kmsg, 'port-died');
      kmsgDestroy(k, w.kmsg);
      w.finish({ kr: MACH_MSG_SUCCESS });
    }
  }
  if (port.queue.length > 0) {
    for (const m of port.queue.splice(0)) {
      emitDestroyed(k, m, 'port-died');
      kmsgDestroy(k, m);
    }
  }
  port.kobject = null;
  // ipc_kobject_destroy: a pager port's death reaches its memory object.
  k.portDeathHook?.(port);
}

export function psetDestroy(k: IpcKernel, pset: IpcPset): void {
  if (!pset.active) return;
  pset.active = false;
  k.psets.delete(pset);
  for (const p of pset.members) p.pset = null;
  pset.members.clear();
  failReceivers(pset.receivers, MACH_RCV_PORT_DIED);
}

/** Every right a message holds is dropped (ipc_kmsg_destroy). */
export function kmsgRights(m: Kmsg): { kp: KPort; type: number }[] {
  const out: { kp: KPort; type: number }[] = [
    { kp: m.dest, type: m.destType },
    { kp: m.reply, type: m.replyType },
  ];
  for (const it of m.items) {
    if (it.kind === 'ports' || it.kind === 'oolports') for (const r of it.rights) out.push({ kp: r, type: it.type.name });
  }
  if (m.marequest !== null) out.push({ kp: m.marequest.notify, type: MACH_MSG_TYPE_PORT_SEND_ONCE });
  return out;
}
