/**
 * netmsg-wire's one error family. Every malformed, oversized or out-of-state
 * input ends in a WireError with a stable `code`; a connection that hits one
 * closes in order with a CLOSE frame carrying the same code (PROTOCOL.md §6).
 */
export type WireErrorCode =
  /** A frame's length prefix is over `limits.maxFrameBytes` or under 1. */
  | 'frame_too_large'
  /** A frame or field ends before its declared length. */
  | 'truncated'
  /** The frame kind byte is not one this version defines. */
  | 'unknown_frame_kind'
  /** A control frame is not valid msgpack or fails its zod schema. */
  | 'bad_control'
  /** A MESSAGE frame body is malformed (unknown tag, bad count, trailing bytes). */
  | 'bad_message'
  /** A configured limit (ports, out-of-line bytes, queued bytes) is exceeded. */
  | 'limit_exceeded'
  /** A valid frame that the protocol does not allow in the current state. */
  | 'out_of_state'
  /** The peer failed challenge-response authentication. */
  | 'auth_failed'
  /** No protocol version both sides support. */
  | 'version_mismatch'
  /** The peer replayed or reflected handshake material (same nonce or node id). */
  | 'handshake_replay'
  /** The peer closed the connection with a CLOSE frame. */
  | 'peer_closed'
  /** Use of a connection after it closed. */
  | 'closed'
  /** A message cannot be expressed on the wire or in the target ABI. */
  | 'unencodable';

export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

const CODES: ReadonlySet<string> = new Set<WireErrorCode>([
  'frame_too_large', 'truncated', 'unknown_frame_kind', 'bad_control', 'bad_message',
  'limit_exceeded', 'out_of_state', 'auth_failed', 'version_mismatch', 'handshake_replay',
  'peer_closed', 'closed', 'unencodable',
]);

/** Type guard that also works across duplicated module copies. */
export function isWireError(e: unknown): e is WireError {
  if (e instanceof WireError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const r = e as { name?: unknown; code?: unknown };
  return r.name === 'WireError' && typeof r.code === 'string' && CODES.has(r.code);
}
