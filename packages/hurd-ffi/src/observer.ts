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
}

export type MsgObserver = (e: MsgEvent) => void;
