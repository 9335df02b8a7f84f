/**
 * Errors of the message-id catalog: a `.msgids` text that does not follow the
 * format. Each carries a stable `code` and the 1-based line it refers to.
 */
export type CatalogErrorCode =
  /** A line does not have the six fields, or a field has the wrong form. */
  | 'msgids_syntax'
  /** A number is outside the range of a msgh_id (0 .. 2^31-1). */
  | 'msgids_range'
  /** request_id is not base + index, as MIG always numbers routines. */
  | 'msgids_inconsistent'
  /** One subsystem gives the same id to two different routines. */
  | 'msgids_conflict';

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  readonly code: CatalogErrorCode;
  /** 1-based line of the `.msgids` text. */
  readonly line: number;
  /** Name of the text (a file name) when the caller gave one. */
  readonly source: string | undefined;

  constructor(code: CatalogErrorCode, message: string, line: number, source?: string) {
    super(`${source === undefined ? '' : `${source}:`}${line}: ${message}`);
    this.code = code;
    this.line = line;
    this.source = source;
  }
}

/** Type guard that does not depend on class identity (two bundled copies still match). */
export function isCatalogError(e: unknown): e is CatalogError {
  return (
    e instanceof Error &&
    e.name === 'CatalogError' &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { line?: unknown }).line === 'number'
  );
}
