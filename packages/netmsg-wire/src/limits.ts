/**
 * Every bound the protocol enforces is configuration, not a constant buried
 * in code: a peer that exceeds one gets a typed `limit_exceeded` error and an
 * orderly close, and nothing is allocated before the check.
 */
export interface WireLimits {
  /** Largest frame, length prefix excluded (bytes). */
  maxFrameBytes: number;
  /** Largest total of out-of-line bytes in one message. */
  maxOolBytes: number;
  /** Most port references (header + body) in one message. */
  maxPortsPerMessage: number;
  /** Most items in one message body. */
  maxItemsPerMessage: number;
  /**
   * Most live port identities one link may make a node allocate (proxies,
   * one-shot proxies, ports for arriving receive rights), counting those its
   * admitted but not yet processed messages will add (PROTOCOL.md §6).
   */
  maxPortsPerLink: number;
  /** Most bytes a node queues for one port (messages waiting for credit). */
  maxQueuedBytesPerPort: number;
  /** Most bytes a node queues for one link. */
  maxQueuedBytesPerLink: number;
  /**
   * Per-port credit window this node grants a peer: how many messages to one
   * port a peer may have in flight to us before a CREDIT frame returns them.
   * Mach's default queue limit (MACH_PORT_QLIMIT_DEFAULT) is 5.
   */
  portWindow: number;
}

export const DEFAULT_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxFrameBytes: 64 * 1024,
  maxOolBytes: 64 * 1024 * 1024,
  maxPortsPerMessage: 4096,
  maxItemsPerMessage: 1024,
  maxPortsPerLink: 1 << 20,
  maxQueuedBytesPerPort: 1 << 20,
  maxQueuedBytesPerLink: 16 << 20,
  portWindow: 5,
});

export function withLimits(partial?: Partial<WireLimits>): WireLimits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}
