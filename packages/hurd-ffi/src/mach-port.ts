/**
 * The mach_port_* calls (GNU Mach's mach_port.c) on the simulated kernel's
 * core. Each returns a Mach return code; none throws.
 */
import {
  KERN_INVALID_ARGUMENT,
  KERN_INVALID_CAPABILITY,
  KERN_INVALID_NAME,
  KERN_INVALID_RIGHT,
  KERN_INVALID_VALUE,
  KERN_NAME_EXISTS,
  KERN_NOT_IN_SET,
  KERN_RIGHT_EXISTS,
  KERN_SUCCESS,
  KERN_UREFS_OVERFLOW,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_MSG_TYPE_PORT_RECEIVE,
  MACH_MSG_TYPE_PORT_SEND,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_PORT_QLIMIT_MAX,
  MACH_PORT_RIGHT_DEAD_NAME,
  MACH_PORT_RIGHT_PORT_SET,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_PORT_RIGHT_SEND_ONCE,
  MACH_RCV_PORT_CHANGED,
  MACH_SEND_INVALID_RIGHT,
  MIG_BAD_ARGUMENTS,
} from 'mach-msg';
import type { IpcKernel, Task } from './ipc-kernel.js';
import type { IpcPort } from './ipc-port.js';
import { T_DEAD_NAME, T_PORT_SET, T_RECEIVE, T_SEND, T_SEND_ONCE, urefsOverflow, type IpcEntry } from './ipc-space.js';
import {
  canCopyin,
  carriedType,
  dnCancel,
  entryCheck,
  entryPort,
  entryUserType,
  isValidName,
  lookup,
  rightCopyin,
  rightCopyout,
  rightDestroy,
} from './ipc-right.js';
import { DEAD, type KPort } from './ipc-kmsg-types.js';
import { failReceivers, psetRemove, releaseRight, releaseSendOnce } from './ipc-object.js';
import { notifyDeadName, notifyNoSenders } from './ipc-notify.js';
import { vmDeallocateRange } from './vm-ops.js';
import { VM_MAX_ADDRESS } from './vm-map.js';

export function portAllocate(k: IpcKernel, task: Task, right: number): { kr: number; name: number } {
  const space = task.space;
  switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
      const port = k.newPort();
      const e = space.newEntry(T_RECEIVE, 0, port);
      space.reverse.set(port, e);
      port.receiver = space;
      port.receiverName = e.name;
      return { kr: KERN_SUCCESS, name: e.name };
    }
    case MACH_PORT_RIGHT_PORT_SET: {
      const name = space.allocName();
      const pset = k.newPset(name);
      space.claimName(name);
      space.entries.set(name, { name, type: T_PORT_SET, urefs: 0, object: pset, dnrequest: null, dnFired: false });
      return { kr: KERN_SUCCESS, name };
    }
    case MACH_PORT_RIGHT_DEAD_NAME:
      return { kr: KERN_SUCCESS, name: space.newEntry(T_DEAD_NAME, 1, null).name };
    default:
      return { kr: KERN_INVALID_VALUE, name: 0 };
  }
}

export function portNames(task: Task): { kr: number; names: number[]; types: number[] } {
  const space = task.space;
  const names = [...space.entries.keys()].sort((a, b) => a - b);
  const types = names.map((n) => {
    const e = space.entries.get(n)!;
    entryCheck(space, e);
    return entryUserType(e);
  });
  return { kr: KERN_SUCCESS, names, types };
}

export function portType(task: Task, name: number): { kr: number; type: number } {
  if (!isValidName(name)) return { kr: KERN_INVALID_NAME, type: 0 };
  const e = lookup(task.space, name);
  if (e === undefined) return { kr: KERN_INVALID_NAME, type: 0 };
  return { kr: KERN_SUCCESS, type: entryUserType(e) };
}

export function portGetRefs(task: Task, name: number, right: number): { kr: number; refs: number } {
  if (!Number.isInteger(right) || right < MACH_PORT_RIGHT_SEND || right > MACH_PORT_RIGHT_DEAD_NAME) {
    return { kr: KERN_INVALID_VALUE, refs: 0 };
  }
  if (!isValidName(name)) {
    // MACH_PORT_NULL and MACH_PORT_DEAD act as one send or send-once ref.
    if (right === MACH_PORT_RIGHT_SEND || right === MACH_PORT_RIGHT_SEND_ONCE) return { kr: KERN_SUCCESS, refs: 1 };
    return { kr: KERN_INVALID_NAME, refs: 0 };
  }
  const e = lookup(task.space, name);
  if (e === undefined) return { kr: KERN_INVALID_NAME, refs: 0 };
  const t = e.type;
  switch (right) {
    case MACH_PORT_RIGHT_SEND:
      return { kr: KERN_SUCCESS, refs: t & T_SEND ? e.urefs : 0 };
    case MACH_PORT_RIGHT_RECEIVE:
      return { kr: KERN_SUCCESS, refs: t & T_RECEIVE ? 1 : 0 };
    case MACH_PORT_RIGHT_SEND_ONCE:
      return { kr: KERN_SUCCESS, refs: t & T_SEND_ONCE ? 1 : 0 };
    case MACH_PORT_RIGHT_PORT_SET:
      return { kr: KERN_SUCCESS, refs: t & T_PORT_SET ? 1 : 0 };
    default:
      return { kr: KERN_SUCCESS, refs: t & T_DEAD_NAME ? e.urefs : 0 };
  }
}

const MOVABLE = new Set<number>([
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
]);

/**
 * Copies a right in from `from` (as the kernel copies in the poly argument
 * of a MIG call): MACH_SEND_INVALID_RIGHT when the name does not hold it.
 */
function copyinPoly(k: IpcKernel, from: Task, name: number, disp: number): { kr: number; kp: KPort } {
  if (!MOVABLE.has(disp)) return { kr: KERN_INVALID_VALUE, kp: null };
  if (name === 0) return { kr: KERN_SUCCESS, kp: null };
  if (name >>> 0 === 0xffffffff) return { kr: KERN_SUCCESS, kp: DEAD };
  const e = lookup(from.space, name);
  if (e === undefined || !canCopyin(e.type, e.urefs, disp, true)) return { kr: MACH_SEND_INVALID_RIGHT, kp: null };
  return { kr: KERN_SUCCESS, kp: rightCopyin(k, from.space, e, disp) };
}

/**
 * mach_port_insert_right: the right named `fromName` in `from` (with a
 * disposition) is put into `task` under exactly `name`
 * (ipc_object_copyout_name). As through the MIG server, the right is copied
 * in first; if the insertion then fails the right is destroyed, with the
 * notifications that brings.
 */
export function portInsertRight(k: IpcKernel, task: Task, name: number, from: Task, fromName: number, disp: number): number {
  if (!MOVABLE.has(disp)) return MIG_BAD_ARGUMENTS;
  const c = copyinPoly(k, from, fromName, disp);
  if (c.kr !== KERN_SUCCESS) return c.kr;
  const type = carriedType(disp);
  const kp = c.kp;
  const fail = (kr: number): number => {
    releaseRight(k, kp, type);
    return kr;
  };
  if (!isValidName(name)) return fail(KERN_INVALID_VALUE);
  if (kp === null || kp === DEAD) return fail(KERN_INVALID_CAPABILITY);
  const space = task.space;
  const existing = lookup(space, name);
  const other = space.reverse.get(kp);
  if (type === MACH_MSG_TYPE_PORT_SEND || type === MACH_MSG_TYPE_PORT_RECEIVE) {
    if (existing !== undefined && existing.object !== kp) return fail(KERN_NAME_EXISTS);
    if (other !== undefined && other.name !== name) return fail(KERN_RIGHT_EXISTS);
    if (existing !== undefined && type === MACH_MSG_TYPE_PORT_SEND && existing.type & T_SEND && urefsOverflow(existing.urefs, 1)) {
      return fail(KERN_UREFS_OVERFLOW);
    }
    if (existing !== undefined && type === MACH_MSG_TYPE_PORT_RECEIVE && existing.type & T_RECEIVE) return fail(KERN_RIGHT_EXISTS);
  } else if (existing !== undefined) {
    return fail(KERN_NAME_EXISTS);
  }
  if (!kp.active) return fail(KERN_INVALID_CAPABILITY);
  if (existing === undefined) {
    // Claim the name and give it the right.
    const e = space.newEntry(0, 0, kp, name);
    if (type === MACH_MSG_TYPE_PORT_SEND) {
      e.type = T_SEND;
      e.urefs = 1;
      space.reverse.set(kp, e);
    } else if (type === MACH_MSG_TYPE_PORT_RECEIVE) {
      e.type = T_RECEIVE;
      space.reverse.set(kp, e);
      kp.receiver = space;
      kp.receiverName = name;
    } else {
      e.type = T_SEND_ONCE;
      e.urefs = 1;
    }
    return KERN_SUCCESS;
  }
  rightCopyout(k, space, kp, type);
  return KERN_SUCCESS;
}

/** mach_port_extract_right: the right leaves `task` and arrives in `to`. */
export function portExtractRight(k: IpcKernel, task: Task, name: number, disp: number, to: Task): { kr: number; name: number; type: number } {
  if (!MOVABLE.has(disp)) return { kr: KERN_INVALID_VALUE, name: 0, type: 0 };
  if (!isValidName(name)) return { kr: KERN_INVALID_NAME, name: 0, type: 0 };
  const e = lookup(task.space, name);
  if (e === undefined) return { kr: KERN_INVALID_NAME, name: 0, type: 0 };
  if (!canCopyin(e.type, e.urefs, disp, true)) return { kr: KERN_INVALID_RIGHT, name: 0, type: 0 };
  const type = carriedType(disp);
  const kp = rightCopyin(k, task.space, e, disp);
  return { kr: KERN_SUCCESS, name: rightCopyout(k, to.space, kp, type), type };
}

export function portDestroy(k: IpcKernel, task: Task, name: number): number {
  return rightDestroy(k, task.space, name);
}

function receiveEntry(task: Task, name: number): { kr: number; e?: IpcEntry; port?: IpcPort } {
  if (!isValidName(name)) return { kr: KERN_INVALID_NAME };
  const e = lookup(task.space, name);
  if (e === undefined) return { kr: KERN_INVALID_NAME };
  const port = entryPort(e);
  if (!(e.type & T_RECEIVE) || port === null) return { kr: KERN_INVALID_RIGHT };
  return { kr: KERN_SUCCESS, e, port };
}

/** mach_port_move_member: into the set `after`, or out of any set (NULL). */
export function portMoveMember(k: IpcKernel, task: Task, member: number, after: number): number {
  const r = receiveEntry(task, member);
  if (r.port === undefined) return r.kr;
  const port = r.port;
  if (after === 0) {
    if (port.pset === null) return KERN_NOT_IN_SET;
    psetRemove(port);
    return KERN_SUCCESS;
  }
  if (!isValidName(after)) return KERN_INVALID_NAME;
  const se = lookup(task.space, after);
  if (se === undefined) return KERN_INVALID_NAME;
  if (!(se.type & T_PORT_SET) || se.object === null || se.object.kind !== 'pset') return KERN_INVALID_RIGHT;
  const pset = se.object;
  psetRemove(port);
  pset.members.add(port);
  port.pset = pset;
  // Threads receiving on the port itself must look again.
  failReceivers(port.receivers, MACH_RCV_PORT_CHANGED);
  if (port.queue.length > 0) k.schedule(port);
  return KERN_SUCCESS;
}

export function portSetQlimit(k: IpcKernel, task: Task, name: number, qlimit: number): number {
  const r = receiveEntry(task, name);
  if (r.port === undefined) return r.kr;
  if (!Number.isInteger(qlimit) || qlimit < 0 || qlimit > MACH_PORT_QLIMIT_MAX) return KERN_INVALID_VALUE;
  const port = r.port;
  port.qlimit = qlimit;
  // A larger limit lets blocked senders in.
  while (port.blockedSenders.length > 0 && port.queue.length < port.qlimit) {
    const w = port.blockedSenders.shift()!;
    w.kmsg.stamp = k.stamp();
    port.queue.push(w.kmsg);
    w.finish({ kr: KERN_SUCCESS });
  }
  k.schedule(port);
  return KERN_SUCCESS;
}

export function portSetMscount(task: Task, name: number, mscount: number): number {
  const r = receiveEntry(task, name);
  if (r.port === undefined) return r.kr;
  if (!Number.isInteger(mscount) || mscount < 0 || mscount > 0xffffffff) return KERN_INVALID_VALUE;
  r.port.mscount = mscount;
  return KERN_SUCCESS;
}

export interface PortStatus {
  /** Name of the containing port set in this space, or 0. */
  pset: number;
  seqno: number;
  mscount: number;
  qlimit: number;
  msgcount: number;
  sorights: number;
  srights: boolean;
  pdrequest: boolean;
  nsrequest: boolean;
}

export function portGetReceiveStatus(task: Task, name: number): { kr: number; status: PortStatus | null } {
  const r = receiveEntry(task, name);
  if (r.port === undefined) return { kr: r.kr, status: null };
  const p = r.port;
  return {
    kr: KERN_SUCCESS,
    status: {
      pset: p.pset === null ? 0 : p.pset.name,
      seqno: p.seqno,
      mscount: p.mscount,
      qlimit: p.qlimit,
      msgcount: p.queue.length,
      sorights: p.sorights,
      srights: p.srights > 0,
      pdrequest: p.pdrequest !== null,
      nsrequest: p.nsrequest !== null,
    },
  };
}

/**
 * mach_port_request_notification, in the order GNU Mach (through its MIG
 * server) does things: the notify right is copied in first, as a
 * send-once right (MAKE_SEND_ONCE or MOVE_SEND_ONCE; any other disposition
 * fails the server's type check, MIG_BAD_ARGUMENTS, and the right it carried
 * is destroyed); then the routine runs, and when it fails the notify right
 * is destroyed too, which sends a send-once notification. On success the
 * previous send-once right comes back into the task's space.
 */
export function portRequestNotification(
  k: IpcKernel,
  task: Task,
  name: number,
  variant: number,
  sync: number,
  notifyName: number,
  notifyDisp: number,
): { kr: number; previous: number } {
  const space = task.space;
  if (notifyDisp !== MACH_MSG_TYPE_MAKE_SEND_ONCE && notifyDisp !== MACH_MSG_TYPE_MOVE_SEND_ONCE) {
    if (MOVABLE.has(notifyDisp)) {
      const c = copyinPoly(k, task, notifyName, notifyDisp);
      if (c.kr !== KERN_SUCCESS) return { kr: c.kr, previous: 0 };
      releaseRight(k, c.kp, carriedType(notifyDisp));
    }
    return { kr: MIG_BAD_ARGUMENTS, previous: 0 };
  }
  const c = copyinPoly(k, task, notifyName, notifyDisp);
  if (c.kr !== KERN_SUCCESS) return { kr: c.kr, previous: 0 };
  const notify = c.kp === null || c.kp === DEAD ? null : c.kp;
  const fail = (kr: number): { kr: number; previous: number } => {
    if (notify !== null) releaseSendOnce(k, notify);
    return { kr, previous: 0 };
  };
  if (!isValidName(name)) return fail(KERN_INVALID_NAME);
  const e = lookup(space, name);
  if (e === undefined) return fail(KERN_INVALID_NAME);
  const port = entryPort(e);
  let previous: IpcPort | null = null;
  switch (variant) {
    case MACH_NOTIFY_PORT_DESTROYED: {
      if (!(e.type & T_RECEIVE) || port === null) return fail(KERN_INVALID_RIGHT);
      if (sync !== 0) return fail(KERN_INVALID_VALUE);
      previous = port.pdrequest;
      port.pdrequest = notify;
      break;
    }
    case MACH_NOTIFY_NO_SENDERS: {
      if (!(e.type & T_RECEIVE) || port === null) return fail(KERN_INVALID_RIGHT);
      // ipc_port_nsrequest: with no senders and sync <= mscount the
      // notification goes at once.
      previous = port.nsrequest;
      if (notify !== null && port.srights === 0 && sync >>> 0 <= port.mscount) {
        port.nsrequest = null;
        notifyNoSenders(k, notify, port.mscount);
      } else {
        port.nsrequest = notify;
      }
      break;
    }
    case MACH_NOTIFY_DEAD_NAME: {
      if (e.type & T_DEAD_NAME) {
        // A dead name: with sync the notification goes at once and holds a
        // uref; without, the request is refused.
        if (sync === 0) return fail(KERN_INVALID_ARGUMENT);
        if (urefsOverflow(e.urefs, 1)) return fail(KERN_UREFS_OVERFLOW);
        if (notify !== null) {
          e.urefs++;
          notifyDeadName(k, notify, name);
        }
        break;
      }
      if (!(e.type & (T_SEND | T_RECEIVE | T_SEND_ONCE)) || port === null) return fail(KERN_INVALID_RIGHT);
      previous = dnCancel(e);
      if (notify !== null) {
        e.dnrequest = notify;
        port.dnrequests.add(e);
      }
      break;
    }
    default:
      return fail(KERN_INVALID_VALUE);
  }
  const prevName = previous === null ? 0 : rightCopyout(k, space, previous, carriedType(MACH_MSG_TYPE_MOVE_SEND_ONCE));
  return { kr: KERN_SUCCESS, previous: prevName };
}

export function portSetProtectedPayload(task: Task, name: number, payload: bigint | null): number {
  const r = receiveEntry(task, name);
  if (r.port === undefined) return r.kr;
  r.port.protectedPayload = payload === null ? null : BigInt.asUintN(64, payload);
  return KERN_SUCCESS;
}

/** task_terminate: every right in the space goes, then the memory. */
export function taskTerminate(k: IpcKernel, task: Task): void {
  if (!task.active) return;
  task.active = false;
  for (const c of task.blocked.toArray()) c.terminate();
  const space = task.space;
  for (const name of [...space.entries.keys()].sort((a, b) => a - b)) {
    if (space.entries.has(name)) rightDestroy(k, space, name);
  }
  space.active = false;
  vmDeallocateRange(k, task, 0, VM_MAX_ADDRESS);
  k.tasks.delete(task.id);
}
