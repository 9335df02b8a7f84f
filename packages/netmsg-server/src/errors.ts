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
  | 'timeout'
  /** The node's Mach kernel backend (`kernel: 'gnumach'`) cannot start here. */
  | 'kernel_unavailable'
  /** Remote memory: vm_map / a mapped read or write / a file pager failed (`kern` holds the kern_return_t). */
  | 'map_failed'
  /** `netmsg-server demo`: a check of the main-job demo failed. */
  | 'demo_failed'
  /** A message the receiving task's ABI cannot hold (a memory object offset or length over 4 GiB for an i386 task), refused at delivery (cluster/mig-abi.ts). */
  | 'abi_unfit'
  /** readInto: the file does not fit in the caller's buffer from the offset given. */
  | 'buffer_too_small'
  /** readInto: an offset that is not an integer from 0 to the buffer's length. */
  | 'bad_offset';

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
