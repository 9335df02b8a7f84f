/**
 * Introspection for tools (hurd-rpctrace): an observer sees every message
 * when it is sent (after copyin) and when it is received (after copyout),
 * and, on the simulated kernel, what happens to messages nobody receives and
 * receives that get no message (the gnumach backend reports those the host
 * takes part in: its own failed receives, and the messages queued on a
 * receive right it destroys, counted just before; a message it did not see
 * sent has msgId 0 there).
 *
 * Backwards compatibility: every field past `abi` is optional. An observer
 * that only wants delivered messages keeps the events with `phase: 'send'`
 * and no `kr`, and those with `phase: 'receive'`, no `kr` and no `destroyed`.
 */
import type { Abi } from 'mach-msg';

/**
 * Why the kernel destroyed a message no task received (ipc_kmsg_destroy):
 * - `port-died`: it was queued (or its sender blocked on a full queue) when
 *   the destination's receive right died (ipc_port_destroy);
 * - `dead-destination`: the destination was already dead at send time, so
 *   the "sent" message is destroyed at once (ipc_mqueue_send);
 * - `circular`: it carried the receive right of its own destination
 *   (MACH_MSGH_BITS_CIRCULAR), destroyed at send time;
 * - `sender-terminated`: its sender was blocked on a full queue and was
 *   terminated;
 * - `too-large`: a receiver without MACH_RCV_LARGE asked for fewer bytes than
 *   it needs (MACH_RCV_TOO_LARGE): it is dequeued and destroyed.
 */
export type DestroyReason = 'port-died' | 'dead-destination' | 'circular' | 'sender-terminated' | 'too-large';

export interface MsgEvent {
  /**
   * `send`: a task (or the kernel) sent a message; `receive`: a task got one.
   * Also `receive` (with `kr` or `destroyed` set, see below): a receive that
   * got no message, and a message destroyed unreceived.
   */
  phase: 'send' | 'receive';
  /** Sending or receiving task; 0 for messages the kernel itself makes (and for destroyed messages). */
  task: number;
  /** Kernel-wide id of the destination port (stable for the port's life). */
  port: number;
  msgId: number;
  /** The bytes as the task passed or got them; null for kernel-made messages at send and destroyed ones. */
  bytes: Uint8Array | null;
  abi: Abi | null;
  /**
   * At send: set on a send the kernel refused before queueing it (copyin
   * failed: MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_RIGHT...): the mach_msg
   * return code. Then `port` is 0 (no destination was found) and nobody
   * receives it.
   * At receive: set on a receive that failed (MACH_RCV_TIMED_OUT,
   * MACH_RCV_INTERRUPTED, MACH_RCV_TOO_LARGE, MACH_RCV_INVALID_NAME,
   * MACH_RCV_IN_SET, MACH_RCV_PORT_DIED): `port` is the kernel id of the port
   * or port set received on (0 when the name named none), `rcvName` the name
   * the task passed, `msgId` and `bytes` those of the message a
   * MACH_RCV_TOO_LARGE concerned (0 and null otherwise).
   */
  kr?: number;
  /**
   * At send, on the simulated kernel: the kernel-wide id of the port the
   * message's msgh_local_port carries a right to (the reply port of an RPC),
   * known once copyin resolved it; absent or 0 when there is none. A tool can
   * pair a reply with its request from the send alone, without the server's
   * receive.
   */
  replyPort?: number;
  /** The task's name, as given to taskCreate, when it has one (not on kernel-made or destroyed messages). */
  taskName?: string;
  /**
   * Set on a `receive` event for a message the kernel destroyed without any
   * task receiving it: why. Then `task` is 0, `bytes` and `abi` null, `port`
   * the destination's kernel id and `msgId` the message's id.
   */
  destroyed?: DestroyReason;
  /** On a failed receive: the name the task received on (a receive right or port set, in its space). */
  rcvName?: number;
}

/** msgh_id of a message's bytes, if they hold a header (offset 20 on i386, 28 on x86_64). */
export function msgIdOfBytes(bytes: Uint8Array, abi: Abi): number {
  const at = abi === 'i386' ? 20 : 28;
  if (bytes.length < at + 4) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(at, true);
}

export type MsgObserver = (e: MsgEvent) => void;
