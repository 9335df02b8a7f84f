/**
 * hurd-ffi's one error family. Kernel calls never throw: they return Mach
 * return codes, as the real kernel does. A HurdFfiError is thrown only for
 * misuse of the library itself (asking for a backend this platform lacks,
 * bad options to openKernel) or when the real kernel behind the gnumach
 * backend cannot be reached at all (no QEMU, no kernel, boot timeout, link
 * lost): those are not Mach return codes any task could see.
 */
export type HurdFfiErrorCode =
  /** The requested kernel backend is not available here. */
  | 'backend_unavailable'
  /** openKernel was given an unknown backend or ABI. */
  | 'invalid_option'
  /** gnumach backend: no qemu-system-i386 / qemu-system-x86_64 on PATH. */
  | 'qemu_missing'
  /** gnumach backend: the Debian 13 kernel or the agent image could not be fetched or built. */
  | 'kernel_not_fetched'
  /** gnumach backend: the guest went silent (bootIdleMs) or overran bootTimeoutMs before the agent said READY. */
  | 'boot_timeout'
  /** gnumach backend: the link to the agent closed, failed, or carried garbage. */
  | 'link_lost';

export class HurdFfiError extends Error {
  override readonly name = 'HurdFfiError';
  readonly code: HurdFfiErrorCode;
  constructor(code: HurdFfiErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/** Type guard that also works across duplicated module copies. */
export function isHurdFfiError(e: unknown): e is HurdFfiError {
  if (e instanceof HurdFfiError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const o = e as { name?: unknown; code?: unknown };
  return o.name === 'HurdFfiError' && typeof o.code === 'string';
}
