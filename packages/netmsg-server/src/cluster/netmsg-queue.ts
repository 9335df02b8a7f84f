/**
 * Pieces of the driver's work on netmsg's own receive rights that need only
 * the kernel (netmsg-driver.ts): a reclaimed port's queue drained and sent
 * again, netmsg's PORT_DELETED notices recognised from their raw header, and
 * whether two of netmsg's names denote one port.
 */
import {
  decodeMessage,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_PORT_DELETED, MACH_NOTIFY_SEND_ONCE, MACH_RCV_MSG, MACH_RCV_TIMEOUT,
  type Abi, type MachMessage,
} from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';
import { oolPortNames, type ReceiveStatus } from 'netmsg-wire';

/**
 * Takes every message queued on `name` without waiting, dropping netmsg's
 * own notifications (§4.5): `dropSendOnce` send-once notifications, and its
 * no-senders notification when `nsSelf`. The rest, in queue order.
 */
export async function drainQueue(
  k: MachKernel, t: TaskId, name: number, rcvSize: number, dropSendOnce: number, nsSelf: boolean,
): Promise<{ msg: MachMessage; bytes: Uint8Array }[]> {
  const drained: { msg: MachMessage; bytes: Uint8Array }[] = [];
  for (;;) {
    const r = await k.msg(t, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, rcvSize, timeout: 0 });
    if (r.kr !== 0 || !r.message) break;
    const m = decodeMessage(r.message, k.abi);
    if (dropSendOnce > 0 && m.header.id === MACH_NOTIFY_SEND_ONCE && m.header.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE) {
      dropSendOnce--;
      continue;
    }
    if (nsSelf && m.header.id === MACH_NOTIFY_NO_SENDERS && m.header.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE) continue;
    drained.push({ msg: m, bytes: r.message });
  }
  return drained;
}

/** A received message in send form again, to the port `name` itself; OOL pages and body rights are re-sent as received. */
export function requeued(msg: MachMessage, name: number): MachMessage {
  const h = msg.header;
  const viaSendOnce = h.bits.local === MACH_MSG_TYPE_PORT_SEND_ONCE;
  return {
    header: {
      ...h,
      bits: { ...h.bits, remote: viaSendOnce ? MACH_MSG_TYPE_MAKE_SEND_ONCE : MACH_MSG_TYPE_MAKE_SEND, local: h.bits.remote },
      remotePort: name,
      localPort: h.remotePort,
    },
    items: msg.items,
  };
}

/**
 * A PORT_DELETED notification on netmsg's notify port, from its raw header:
 * a by-product of netmsg's own bookkeeping (a right with its dead-name
 * request was used up), which the driver drops. Not COMPLEX, so it holds no
 * right and no memory to free: dropped without being decoded.
 */
export function isPortDeletedNotice(abi: Abi, notifyPort: number, b: Uint8Array): boolean {
  const i386 = abi === 'i386';
  const local = i386 ? 12 : 16;
  const id = i386 ? 20 : 28;
  if (b.length < id + 4 || (b[3]! & 0x80) !== 0) return false;
  const u32 = (o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  return u32(id) === MACH_NOTIFY_PORT_DELETED && u32(local) === notifyPort;
}

/**
 * Whether send-once right `so` denotes the port whose receive right is `rcv`
 * (both in the task's space): the kernel's port identities, as the task's
 * last port_names saw them. A backend that cannot tell says no: the request
 * then travels as a send-once right like any other.
 */
export async function denotesPort(k: MachKernel, t: TaskId, so: number, rcv: number): Promise<boolean> {
  await k.portNames(t);
  const names = k.snapshot(t)?.names ?? [];
  const a = names.find((e) => e.name === so)?.port ?? 0;
  return a !== 0 && a === (names.find((e) => e.name === rcv)?.port ?? -1);
}

/**
 * The receive rights `msg` carried into netmsg's space: inline port items
 * and out-of-line port arrays (`ool[i]`: the i-th out-of-line item's bytes,
 * read by netmsg-wire's oolPortNames, as toWireMessage reads them).
 */
function receiveNames(msg: MachMessage, ool: readonly Uint8Array[]): number[] {
  const out: number[] = [];
  let oolIndex = 0;
  for (const it of msg.items) {
    if (it.kind === 'data') continue;
    const bytes = it.kind === 'ool' ? ool[oolIndex++] : undefined;
    if (it.type.name !== MACH_MSG_TYPE_MOVE_RECEIVE) continue;
    if (it.kind === 'ports') out.push(...it.names);
    else if (bytes) out.push(...oolPortNames(bytes));
  }
  return out;
}

/**
 * Receive rights that reached netmsg in `msg` (the driver's received();
 * `ool`: its out-of-line items' bytes, for receive rights in port arrays):
 * each one's status as §7 asks, the application's no-senders request
 * taken off the port (its send-once right travels; one that notified the
 * port itself travels as "self", and the SEND_ONCE notification freeing it
 * makes is counted in `selfSoNotices` for the driver to swallow), and the
 * right joined to netmsg's port set (the port becomes a proxy, §4.5).
 */
export async function takeReceiveRights(
  k: MachKernel, t: TaskId, msg: MachMessage, ool: readonly Uint8Array[], portSet: number, selfSoNotices: Map<number, number>,
): Promise<Record<number, ReceiveStatus>> {
  const status: Record<number, ReceiveStatus> = {};
  for (const n of receiveNames(msg, ool)) {
    if (n === 0 || n >>> 0 === 0xffffffff) continue;
    const st = await k.portGetReceiveStatus(t, n);
    if (st.kr !== 0 || !st.status) continue;
    // senders (mps_srights): with none, the new home holds no send right of its own (PROTOCOL.md §4.5).
    const rs: ReceiveStatus = { mscount: st.status.mscount, qlimit: st.status.qlimit, queued: st.status.msgcount, senders: st.status.srights };
    // Take the application's no-senders request off the port; its send-once right travels.
    const prev = await k.portRequestNotification(t, n, MACH_NOTIFY_NO_SENDERS, 0, 0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    if (prev.kr === 0 && prev.previous !== 0) {
      if (await denotesPort(k, t, prev.previous, n)) {
        // The request notified the port itself (test5a): it travels as "self" and the new home
        // makes its own right. Freeing the one we took sends its SEND_ONCE notification to the
        // port, behind what was queued: netmsg swallows it (received()).
        rs.noSendersSelf = true;
        selfSoNotices.set(n, (selfSoNotices.get(n) ?? 0) + 1);
        await k.portDeallocate(t, prev.previous);
      } else rs.noSendersNotify = prev.previous;
      rs.noSendersSync = 0;
    }
    // Send-once rights to the port not yet received from (mps_sorights: rights held anywhere, netmsg's
    // own for send-once rights that left this node among them, and the destination rights of queued
    // messages). Their messages will come to the proxy and must follow the right (PROTOCOL.md §4.5);
    // the request's right that notified the port itself is netmsg's, freed above, and not one of them.
    const sendOnce = st.status.sorights - (rs.noSendersSelf ? 1 : 0);
    if (sendOnce > 0) rs.sendOnce = sendOnce;
    status[n] = rs;
    // The right is netmsg's now (the port becomes a proxy, §4.5): take its messages like any proxy's.
    await k.portMoveMember(t, n, portSet);
  }
  return status;
}
