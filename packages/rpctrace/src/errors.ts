/** The package's one error family: stable string codes and a type guard. */
export type RpcTraceErrorCode =
  | 'invalid_option' // a bad -e expression, -s size, time style...
  | 'invalid_event' // an observed event the tracer cannot take (bad direction, task...)
  | 'defs_error' // a user .defs/.msgids file did not compile or parse
  | 'spawn_failed' // the traced program could not be started
  | 'no_such_process' // -p: no process has that pid
  | 'not_permitted' // -p: the process is another user's (no signal, no /proc/PID/exe)
  | 'not_node' // -p: the process is not a Node program (it is not signalled)
  | 'inspector_unavailable' // -p: the target's inspector did not open (--disable-sigusr1, port in use)
  | 'no_kernel' // -p: the target has no hurd-ffi kernel registry (it does not use hurd-ffi, or an old one)
  | 'attach_failed'; // -p: the inspector connection or the agent failed (WebSocket, CDP, already traced)

export class RpcTraceError extends Error {
  readonly code: RpcTraceErrorCode;
  constructor(code: RpcTraceErrorCode, message: string) {
    super(message);
    this.name = 'RpcTraceError';
    this.code = code;
  }
}

const CODES: ReadonlySet<string> = new Set<RpcTraceErrorCode>([
  'invalid_option', 'invalid_event', 'defs_error', 'spawn_failed', 'no_such_process', 'not_permitted', 'not_node', 'inspector_unavailable', 'no_kernel', 'attach_failed',
]);

/**
 * True for an RpcTraceError, including one of another copy of this module:
 * the built command loads parts of itself from files of their own (link
 * mode, -p, the tracer side: cli/run.ts), each with its own copy of this
 * class.
 */
export function isRpcTraceError(e: unknown): e is RpcTraceError {
  if (e instanceof RpcTraceError) return true;
  return e instanceof Error && e.name === 'RpcTraceError' && CODES.has((e as { code?: unknown }).code as string);
}
