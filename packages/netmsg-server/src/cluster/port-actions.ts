/**
 * The NetmsgNode actions that are one or two mach_port_* calls on netmsg's
 * own space and nothing else (no link, no delivery, no driver state): the
 * driver hands them here (netmsg-driver.ts `perform`).
 */
import {
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND, MACH_PORT_TYPE_DEAD_NAME,
} from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';
import type { NodeAction, NodeEvent } from 'netmsg-wire';

export interface PortActionContext {
  kernel: MachKernel;
  /** The netmsg task. */
  task: TaskId;
  /** netmsg's notify port (dead-name notifications come there). */
  notifyPort: number;
  /** The port set netmsg receives from. */
  portSet: number;
  /** Reports a failed kernel call (the driver's `check`). */
  check: (what: string, kr: number) => void;
}

export type PortAction = Extract<
  NodeAction,
  { type: 'allocatePort' | 'makeSend' | 'addSendRef' | 'deallocate' | 'requestNoSenders' | 'requestAppNoSenders' | 'requestDeadName' | 'setPortStatus' }
>;

/** Performs `a`; a port found dead before its dead-name request could be made adds a `deadName` event to `work`. */
export async function performPortAction(ctx: PortActionContext, a: PortAction, work: NodeEvent[]): Promise<void> {
  const { kernel: k, task: t, check } = ctx;
  switch (a.type) {
      case 'allocatePort': {
        // mach_port_allocate_name: allocate anywhere, then move the receive right to the chosen name.
        const r = await k.portAllocate(t, MACH_PORT_RIGHT_RECEIVE);
        if (r.kr !== 0) return check('allocate', r.kr);
        check(`allocate_name ${a.name}`, await k.portInsertRight(t, a.name, r.name, MACH_MSG_TYPE_MOVE_RECEIVE));
        check(`add ${a.name} to the port set`, await k.portMoveMember(t, a.name, ctx.portSet));
        return;
      }
      case 'makeSend':
        check(`make-send ${a.name}`, await k.portInsertRight(t, a.name, a.name, MACH_MSG_TYPE_MAKE_SEND));
        return;
      case 'addSendRef':
        check(`add send ref ${a.name}`, await k.portModRefs(t, a.name, MACH_PORT_RIGHT_SEND, 1));
        return;
      case 'deallocate':
        check(`deallocate ${a.name}`, await k.portDeallocate(t, a.name));
        return;
      case 'requestNoSenders': {
        // Notify the proxy itself: the notification arrives in the port's own queue, after the messages
        // before it. With `notify`, netmsg's dedicated port instead: send-once rights made before the
        // proxy's receive right moved may still send to the proxy, so none of its messages is netmsg's (§4.5).
        const r = await k.portRequestNotification(t, a.name, MACH_NOTIFY_NO_SENDERS, a.sync, a.notify ?? a.name, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        check(`request no-senders ${a.name}`, r.kr);
        if (r.kr === 0 && r.previous !== 0) await k.portDeallocate(t, r.previous);
        return;
      }
      case 'requestAppNoSenders': {
        const notify = a.notify === 'self' ? a.name : a.notify;
        // 'self': a send-once right made from the port; else the carried send-once right itself.
        const disp = a.notify === 'self' ? MACH_MSG_TYPE_MAKE_SEND_ONCE : MACH_MSG_TYPE_MOVE_SEND_ONCE;
        const r = await k.portRequestNotification(t, a.name, MACH_NOTIFY_NO_SENDERS, a.sync, notify, disp);
        check(`request app no-senders ${a.name}`, r.kr);
        if (r.kr === 0 && r.previous !== 0) await k.portDeallocate(t, r.previous);
        return;
      }
      case 'requestDeadName': {
        const r = await k.portRequestNotification(t, a.name, MACH_NOTIFY_DEAD_NAME, 0, ctx.notifyPort, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        if (r.kr !== 0) {
          // The port died before the request could be made: tell the machine now.
          const ty = await k.portType(t, a.name);
          if (ty.kr === 0 && ty.type & MACH_PORT_TYPE_DEAD_NAME) work.push({ type: 'deadName', name: a.name });
          else check(`request dead-name ${a.name}`, r.kr);
        } else if (r.previous !== 0) await k.portDeallocate(t, r.previous);
        return;
      }
      case 'setPortStatus':
        check(`set mscount ${a.name}`, await k.portSetMscount(t, a.name, a.mscount));
        check(`set qlimit ${a.name}`, await k.portSetQlimit(t, a.name, a.qlimit));
        return;
  }
}
