import { MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND_ONCE, type MachMessage } from 'mach-msg';
import type { NodeAction } from 'netmsg-wire';

/**
 * Whether `insertSendOnce` can be left to the send of the `deliver` after it:
 * that message carries the new send-once right as its reply right and
 * nothing else that may fail to copy in (data items only). The send then
 * names the one-shot port's receive right with MAKE_SEND_ONCE, as a MIG user
 * stub sends its reply port: the same right reaches the receiver, with one
 * kernel call instead of two, and a send that fails copies nothing in
 * (ipc_kmsg_copyin_header changes nothing unless both header rights copy in),
 * so deliver() makes the right then and destroys it as before.
 */
export function madeInSend(a: Extract<NodeAction, { type: 'insertSendOnce' }>, next: NodeAction | undefined): boolean {
  if (next?.type !== 'deliver') return false;
  const h = next.msg.header;
  if (h.localPort !== a.name || h.bits.local !== MACH_MSG_TYPE_MOVE_SEND_ONCE || h.remotePort === a.name) return false;
  for (const it of next.msg.items) if (it.kind !== 'data') return false;
  return true;
}

/** `msg` sent with its reply right made from `port` (netmsg's receive right of the one-shot proxy) by the send itself. */
export function withReplyMade(msg: MachMessage, port: number): MachMessage {
  return { header: { ...msg.header, bits: { ...msg.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE }, localPort: port }, items: msg.items };
}
