/**
 * Introspection for tools (hurd-rpctrace): an observer sees every message
 * when it is sent (after copyin) and when it is received (after copyout).
 */
import type { Abi } from 'mach-msg';

export interface MsgEvent {
  phase: 'send' | 'receive';
  /** Sending or receiving task; 0 for messages the kernel itself makes. */
  task: number;
  /** Kernel-wide id of the destination port (stable for the port's life). */
  port: number;
  msgId: number;
  /** The bytes as the task passed or got them; null for kernel-made messages at send. */
  bytes: Uint8Array | null;
  abi: Abi | null;
  /**
   * Set on a send the kernel refused before queueing it (copyin failed:
   * MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_RIGHT...): the mach_msg return
   * code. Then `port` is 0 (no destination was found) and nobody receives it.
   */
  kr?: number;
}

/** msgh_id of a message's bytes, if they hold a header (offset 20 on i386, 28 on x86_64). */
export function msgIdOfBytes(bytes: Uint8Array, abi: Abi): number {
  const at = abi === 'i386' ? 20 : 28;
  if (bytes.length < at + 4) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(at, true);
}

export type MsgObserver = (e: MsgEvent) => void;
