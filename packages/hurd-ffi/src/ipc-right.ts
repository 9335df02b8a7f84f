/**
 * Rights in a space (ipc_right): the lazy dead-name check, copyin and
 * copyout of one right, dead-name requests, and the user-visible operations
 * on a name (deallocate, mod_refs, destroy).
 */
import {
  KERN_INVALID_NAME,
  KERN_INVALID_RIGHT,
  KERN_INVALID_VALUE,
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
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_PORT_DEAD,
  MACH_PORT_NULL,
  MACH_PORT_RIGHT_DEAD_NAME,
  MACH_PORT_RIGHT_PORT_SET,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_PORT_RIGHT_SEND_ONCE,
} from 'mach-msg';
import type { IpcKernel } from './ipc-kernel.js';
import type { IpcPort } from './ipc-port.js';
import {
  T_DEAD_NAME,
  T_PORT_SET,
  T_RECEIVE,
  T_SEND,
  T_SEND_ONCE,
  UREFS_MAX,
  urefsOverflow,
  type IpcEntry,
  type IpcSpace,
} from './ipc-space.js';
import { DEAD, type KPort } from './ipc-kmsg-types.js';
import { notifyPortDeleted } from './ipc-notify.js';
import { clearReceiver, portDestroy, psetDestroy, releaseSend, releaseSendOnce } from './ipc-object.js';

export function isValidName(name: number): boolean {
  return name !== MACH_PORT_NULL && name >>> 0 !== MACH_PORT_DEAD;
}

/**
 * ipc_right_check: a send or send-once right whose port has died becomes a
 * dead name (send urefs kept, 1 for send-once), plus one uref if a dead-name
 * request was registered, because its notification holds that reference.
 */
export function entryCheck(space: IpcSpace, e: IpcEntry): void {
  const obj = e.object;
  if (obj === null || obj.kind !== 'port' || obj.active) return;
  if ((e.type & (T_SEND | T_SEND_ONCE)) === 0) return;
  let urefs = e.type & T_SEND ? e.urefs : 1;
  if (e.type & T_SEND) obj.srights--;
  else obj.sorights--;
  if (e.dnFired || e.dnrequest !== null) urefs++;
  e.dnFired = false;
  e.dnrequest = null;
  if (space.reverse.get(obj) === e) space.reverse.delete(obj);
  e.object = null;
  e.type = T_DEAD_NAME;
  e.urefs = Math.min(urefs, UREFS_MAX);
}

/** Looks a name up, applying the lazy dead-name check. */
export function lookup(space: IpcSpace, name: number): IpcEntry | undefined {
  const e = space.entries.get(name >>> 0);
  if (e !== undefined) entryCheck(space, e);
  return e;
}

export function entryPort(e: IpcEntry): IpcPort | null {
  return e.object !== null && e.object.kind === 'port' ? e.object : null;
}

/** Cancels a dead-name request, returning its send-once right. */
export function dnCancel(e: IpcEntry): IpcPort | null {
  const so = e.dnrequest;
  if (so === null) return null;
  e.dnrequest = null;
  const p = entryPort(e);
  if (p !== null) p.dnrequests.delete(e);
  return so;
}

/** Removes an entry; a pending dead-name request gets port-deleted. */
function removeWithPortDeleted(k: IpcKernel, space: IpcSpace, e: IpcEntry): void {
  const so = dnCancel(e);
  e.dnFired = false;
  space.removeEntry(e);
  if (so !== null) notifyPortDeleted(k, so, e.name);
}

/** What a disposition needs from an entry (ipc_right_copyin_check). */
export function canCopyin(type: number, urefs: number, disp: number, deadOk: boolean): boolean {
  if (type & T_DEAD_NAME) {
    return (
      deadOk &&
      (disp === MACH_MSG_TYPE_COPY_SEND || disp === MACH_MSG_TYPE_MOVE_SEND || disp === MACH_MSG_TYPE_MOVE_SEND_ONCE)
    );
  }
  switch (disp) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      return (type & T_RECEIVE) !== 0;
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MOVE_SEND:
      return (type & T_SEND) !== 0 && urefs > 0;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      return (type & T_SEND_ONCE) !== 0;
    default:
      return false;
  }
}

/** The entry state after a copyin, for checking two copyins of one name. */
export function afterCopyin(type: number, urefs: number, disp: number): { type: number; urefs: number } {
  if (type & T_DEAD_NAME) {
    if (disp === MACH_MSG_TYPE_COPY_SEND) return { type, urefs };
    return urefs > 1 ? { type, urefs: urefs - 1 } : { type: 0, urefs: 0 };
  }
  switch (disp) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      return { type: type & ~T_RECEIVE, urefs };
    case MACH_MSG_TYPE_MOVE_SEND:
      return urefs > 1 ? { type, urefs: urefs - 1 } : { type: type & ~T_SEND, urefs: 0 };
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      return { type: 0, urefs: 0 };
    default:
      return { type, urefs };
  }
}

/** The type a right has once copied in (MACH_MSG_TYPE_PORT_*). */
export function carriedType(disp: number): number {
  switch (disp) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      return MACH_MSG_TYPE_PORT_RECEIVE;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      return MACH_MSG_TYPE_PORT_SEND_ONCE;
    default:
      return MACH_MSG_TYPE_PORT_SEND;
  }
}

/**
 * ipc_right_copyin, once canCopyin said yes: takes the right out of the
 * entry (or makes it) and returns the carried object.
 */
export function rightCopyin(k: IpcKernel, space: IpcSpace, e: IpcEntry, disp: number): KPort {
  if (e.type & T_DEAD_NAME) {
    if (disp !== MACH_MSG_TYPE_COPY_SEND) {
      e.urefs--;
      if (e.urefs === 0) space.removeEntry(e);
    }
    return DEAD;
  }
  const port = entryPort(e);
  if (port === null) return null;
  switch (disp) {
    case MACH_MSG_TYPE_MAKE_SEND:
      port.mscount++;
      port.srights++;
      return port;
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      port.sorights++;
      return port;
    case MACH_MSG_TYPE_COPY_SEND:
      port.srights++;
      return port;
    case MACH_MSG_TYPE_MOVE_SEND:
      e.urefs--;
      if (e.urefs === 0) {
        // The entry's own send right moves into the message.
        e.type &= ~T_SEND;
        if (e.type === 0) removeWithPortDeleted(k, space, e);
      } else {
        // The entry keeps its send right; the message gets another one.
        port.srights++;
      }
      return port;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      removeWithPortDeleted(k, space, e);
      return port;
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      e.type &= ~T_RECEIVE;
      clearReceiver(port);
      if (e.type === 0) removeWithPortDeleted(k, space, e);
      return port;
    default:
      return null;
  }
}

/**
 * ipc_object_copyout: puts a carried right (type 16, 17 or 18) into a space
 * and returns its name. Send and receive rights for one port share a name;
 * each send-once right gets its own. A right to a dead port arrives as
 * MACH_PORT_DEAD. Send urefs that would overflow stay pegged at the maximum.
 */
export function rightCopyout(k: IpcKernel, space: IpcSpace, kp: KPort, type: number): number {
  if (kp === null) return MACH_PORT_NULL;
  if (kp === DEAD) return MACH_PORT_DEAD;
  const port = kp;
  if (!port.active) {
    if (type === MACH_MSG_TYPE_PORT_SEND) port.srights--;
    else if (type === MACH_MSG_TYPE_PORT_SEND_ONCE) port.sorights--;
    return MACH_PORT_DEAD;
  }
  if (type === MACH_MSG_TYPE_PORT_SEND_ONCE) {
    return space.newEntry(T_SEND_ONCE, 1, port).name;
  }
  const existing = space.reverse.get(port);
  if (type === MACH_MSG_TYPE_PORT_SEND) {
    if (existing !== undefined) {
      if (existing.type & T_SEND) {
        // The entry already accounts for one send right: merge.
        port.srights--;
        // At the limit the urefs stay pegged (ipc_right_copyout).
        if (!urefsOverflow(existing.urefs, 1)) existing.urefs++;
      } else {
        existing.type |= T_SEND;
        existing.urefs = 1;
      }
      return existing.name;
    }
    const e = space.newEntry(T_SEND, 1, port);
    space.reverse.set(port, e);
    return e.name;
  }
  // Receive right.
  port.receiver = space;
  if (existing !== undefined) {
    existing.type |= T_RECEIVE;
    port.receiverName = existing.name;
    // A receiver cannot ask for its own port's death: drop the request.
    const so = dnCancel(existing);
    if (so !== null) notifyPortDeleted(k, so, existing.name);
    return existing.name;
  }
  const e = space.newEntry(T_RECEIVE, 0, port);
  space.reverse.set(port, e);
  port.receiverName = e.name;
  return e.name;
}

/** Destroys a receive right held by entry `e` (which may also hold send). */
function destroyReceive(k: IpcKernel, space: IpcSpace, e: IpcEntry, port: IpcPort): void {
  if (e.type & T_SEND) {
    // The send right turns into a dead name at once; the port dies "first",
    // so there is no no-senders notification. A dead-name request stays
    // registered, fires from ipc_port_destroy, and its notification holds
    // one more uref of the dead name (ipc_right_delta).
    e.type = T_DEAD_NAME;
    if (e.dnrequest !== null) e.urefs++;
    space.reverse.delete(port);
    e.object = null;
    port.srights--;
    port.receiver = null;
    portDestroy(k, port);
    e.dnFired = false;
    e.dnrequest = null;
    return;
  }
  const so = dnCancel(e);
  space.removeEntry(e);
  if (so !== null) notifyPortDeleted(k, so, e.name);
  port.receiver = null;
  portDestroy(k, port);
}

/** mach_port_deallocate (ipc_right_dealloc). */
export function rightDealloc(k: IpcKernel, space: IpcSpace, name: number): number {
  if (!isValidName(name)) return KERN_SUCCESS;
  const e = lookup(space, name);
  if (e === undefined) return KERN_INVALID_NAME;
  const port = entryPort(e);
  if (e.type & T_DEAD_NAME) {
    e.urefs--;
    if (e.urefs === 0) space.removeEntry(e);
    return KERN_SUCCESS;
  }
  if (e.type & T_SEND_ONCE && port !== null) {
    removeWithPortDeleted(k, space, e);
    releaseSendOnce(k, port);
    return KERN_SUCCESS;
  }
  if (e.type & T_SEND && port !== null) {
    e.urefs--;
    if (e.urefs === 0) {
      e.type &= ~T_SEND;
      if (e.type === 0) removeWithPortDeleted(k, space, e);
      releaseSend(k, port);
    }
    return KERN_SUCCESS;
  }
  return KERN_INVALID_RIGHT;
}

/** mach_port_mod_refs (ipc_right_delta). */
export function rightDelta(k: IpcKernel, space: IpcSpace, name: number, right: number, delta: number): number {
  if (!Number.isInteger(delta) || !Number.isInteger(right)) return KERN_INVALID_VALUE;
  if (right < MACH_PORT_RIGHT_SEND || right > MACH_PORT_RIGHT_DEAD_NAME) return KERN_INVALID_VALUE;
  if (!isValidName(name)) return KERN_SUCCESS;
  const e = lookup(space, name);
  if (e === undefined) return KERN_INVALID_NAME;
  const port = entryPort(e);
  switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
      if (!(e.type & T_RECEIVE) || port === null) return KERN_INVALID_RIGHT;
      if (delta === 0) return KERN_SUCCESS;
      if (delta !== -1) return KERN_INVALID_VALUE;
      destroyReceive(k, space, e, port);
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_PORT_SET: {
      if (!(e.type & T_PORT_SET) || e.object === null || e.object.kind !== 'pset') return KERN_INVALID_RIGHT;
      if (delta === 0) return KERN_SUCCESS;
      if (delta !== -1) return KERN_INVALID_VALUE;
      const pset = e.object;
      space.removeEntry(e);
      psetDestroy(k, pset);
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_SEND_ONCE: {
      if (!(e.type & T_SEND_ONCE) || port === null) return KERN_INVALID_RIGHT;
      if (delta === 0) return KERN_SUCCESS;
      if (delta !== -1) return KERN_INVALID_VALUE;
      removeWithPortDeleted(k, space, e);
      releaseSendOnce(k, port);
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_DEAD_NAME: {
      if (!(e.type & T_DEAD_NAME)) return KERN_INVALID_RIGHT;
      const u = e.urefs + delta;
      if (u < 0) return KERN_INVALID_VALUE;
      if (urefsOverflow(e.urefs, delta)) return KERN_UREFS_OVERFLOW;
      e.urefs = u;
      if (u === 0) space.removeEntry(e);
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_SEND:
    default: {
      if (!(e.type & T_SEND) || port === null) return KERN_INVALID_RIGHT;
      const u = e.urefs + delta;
      if (u < 0) return KERN_INVALID_VALUE;
      if (urefsOverflow(e.urefs, delta)) return KERN_UREFS_OVERFLOW;
      e.urefs = u;
      if (u === 0) {
        e.type &= ~T_SEND;
        if (e.type === 0) removeWithPortDeleted(k, space, e);
        releaseSend(k, port);
      }
      return KERN_SUCCESS;
    }
  }
}

/** mach_port_destroy (ipc_right_destroy): every right under the name goes. */
export function rightDestroy(k: IpcKernel, space: IpcSpace, name: number): number {
  if (!isValidName(name)) return KERN_SUCCESS;
  const e = lookup(space, name);
  if (e === undefined) return KERN_INVALID_NAME;
  const obj = e.object;
  if (e.type & T_DEAD_NAME || obj === null) {
    space.removeEntry(e);
    return KERN_SUCCESS;
  }
  if (obj.kind === 'pset') {
    space.removeEntry(e);
    psetDestroy(k, obj);
    return KERN_SUCCESS;
  }
  const port = obj;
  const type = e.type;
  // ipc_right_destroy cancels the dead-name request first (port-deleted).
  removeWithPortDeleted(k, space, e);
  if (type & T_SEND_ONCE) {
    releaseSendOnce(k, port);
  } else if (type & T_RECEIVE) {
    if (type & T_SEND) port.srights--;
    port.receiver = null;
    portDestroy(k, port);
  } else if (type & T_SEND) {
    releaseSend(k, port);
  }
  return KERN_SUCCESS;
}

/** Snapshot of one entry's user-visible type (mach_port_type). */
export function entryUserType(e: IpcEntry): number {
  return (e.type | (e.dnrequest !== null ? 0x80000000 : 0) | (e.marequest === true ? 0x40000000 : 0)) >>> 0;
}
