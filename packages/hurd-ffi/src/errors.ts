/**
 * hurd-ffi's one error family. Kernel calls never throw: they return Mach
 * return codes, as the real kernel does. A HurdFfiError is thrown only for
 * misuse of the library itself (asking for a backend this platform lacks,
 * bad options to openKernel).
 */
export type HurdFfiErrorCode =
  /** The requested kernel backend is not available here. */
  | 'backend_unavailable'
  /** openKernel was given an unknown backend or ABI. */
  | 'invalid_option';

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
