/** Stable codes of every error pager-core throws. */
export type PagerCoreErrorCode =
  | 'bad-config'
  | 'bad-event'
  | 'bad-message'
  | 'unknown-msgid';

/** The one error family of pager-core. */
export class PagerCoreError extends Error {
  override readonly name = 'PagerCoreError';
  constructor(
    readonly code: PagerCoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isPagerCoreError(x: unknown): x is PagerCoreError {
  return (
    x instanceof Error &&
    (x as { name?: unknown }).name === 'PagerCoreError' &&
    typeof (x as { code?: unknown }).code === 'string'
  );
}
