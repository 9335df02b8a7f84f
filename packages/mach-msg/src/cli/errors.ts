/**
 * Errors of the command line itself: bad arguments, bad hex, bad JSON. The
 * library's own errors (MachMsgError, MigError, CatalogError) pass through
 * and are reported by `reportError`.
 */
export type CliErrorCode =
  /** An argument or option is missing or malformed. */
  | 'usage'
  /** The hex text has a non-hex character or an odd number of digits. */
  | 'bad_hex'
  /** The JSON on stdin does not parse, or is not a message. */
  | 'bad_json'
  /** A file could not be read. */
  | 'read_failed';

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  /** Where in the input (a byte of the hex, a JSON path) the problem is. */
  readonly at: string | undefined;

  constructor(code: CliErrorCode, message: string, at?: string) {
    super(message);
    this.code = code;
    this.at = at;
  }
}

export function isCliError(e: unknown): e is CliError {
  return e instanceof Error && e.name === 'CliError' && typeof (e as { code?: unknown }).code === 'string';
}
