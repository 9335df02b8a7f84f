/** The package's one error family: stable string codes and a type guard. */
export type RpcTraceErrorCode =
  | 'invalid_option' // a bad -e expression, -s size, time style...
  | 'invalid_event' // an observed event the tracer cannot take (bad direction, task...)
  | 'defs_error' // a user .defs/.msgids file did not compile or parse
  | 'spawn_failed'; // the traced program could not be started

export class RpcTraceError extends Error {
  readonly code: RpcTraceErrorCode;
  constructor(code: RpcTraceErrorCode, message: string) {
    super(message);
    this.name = 'RpcTraceError';
    this.code = code;
  }
}

export function isRpcTraceError(e: unknown): e is RpcTraceError {
  return e instanceof RpcTraceError;
}
