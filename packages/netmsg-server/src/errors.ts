/** The package's one error family: a stable string `code` per failure. */
export type NetmsgServerErrorCode =
  | 'bad_option'
  | 'insecure_listen'
  | 'secret'
  | 'connect_failed'
  | 'link_closed'
  | 'rpc_failed'
  | 'bad_reply'
  | 'bad_url'
  | 'timeout';

export class NetmsgServerError extends Error {
  override readonly name = 'NetmsgServerError';
  constructor(
    readonly code: NetmsgServerErrorCode,
    message: string,
    /** For `rpc_failed`: the Hurd error_t / MIG return code the server answered. */
    readonly kern?: number,
  ) {
    super(message);
  }
}

export function isNetmsgServerError(e: unknown): e is NetmsgServerError {
  return e instanceof NetmsgServerError;
}
