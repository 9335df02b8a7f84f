/**
 * The MIG compiler's one error family. Every failure of the preprocessor,
 * the parser, the layout engine and the runtime codecs is a `MigError` with a
 * stable string `code`; source errors also carry the file, line and column
 * they were found at, and runtime errors the MIG return code (`kern`) that a
 * real MIG stub would have returned (mach/mig_errors.h).
 */

/** Stable error codes of the MIG compiler and its codecs. */
export type MigErrorCode =
  /** Lexical error: a character or literal the .defs language does not have. */
  | 'MIG_LEX'
  /** Preprocessor error: bad directive, unbalanced #if, missing include. */
  | 'MIG_PREPROCESS'
  /** Grammar error: the token stream is not a valid .defs statement. */
  | 'MIG_SYNTAX'
  /** The statements parse but mean nothing: unknown type, bad size, ... */
  | 'MIG_SEMANTIC'
  /** Runtime: a message's descriptor does not match the routine (MIG_TYPE_ERROR, -300). */
  | 'MIG_TYPE_ERROR'
  /** Runtime: a reply's id is not the request id + 100 (MIG_REPLY_MISMATCH, -301). */
  | 'MIG_REPLY_MISMATCH'
  /** Runtime: no routine has this msgh_id (MIG_BAD_ID, -303). */
  | 'MIG_BAD_ID'
  /** Runtime: the caller's arguments are missing or of the wrong shape (MIG_BAD_ARGUMENTS, -304). */
  | 'MIG_BAD_ARGUMENTS'
  /** Runtime: a bounded array was given more elements than its bound (MIG_ARRAY_TOO_LARGE, -307). */
  | 'MIG_ARRAY_TOO_LARGE'
  /** Runtime: the reply is the kernel's send-once notification (MIG_SERVER_DIED, -308). */
  | 'MIG_SERVER_DIED';

/** MIG return codes (mach/mig_errors.h), as a real stub would return them. */
export const MIG_RETURN_CODES: Readonly<Partial<Record<MigErrorCode, number>>> = Object.freeze({
  MIG_TYPE_ERROR: -300,
  MIG_REPLY_MISMATCH: -301,
  MIG_BAD_ID: -303,
  MIG_BAD_ARGUMENTS: -304,
  MIG_ARRAY_TOO_LARGE: -307,
  MIG_SERVER_DIED: -308,
});

/** A position in a .defs source (1-based line and column). */
export interface SourceLoc {
  file: string;
  line: number;
  column: number;
}

/** The typed error thrown by every part of the MIG compiler and codecs. */
export class MigError extends Error {
  override readonly name = 'MigError';
  /** Stable code; see `MigErrorCode`. */
  readonly code: MigErrorCode;
  /** Source file of a compile-time error ('' for runtime errors). */
  readonly file: string;
  /** 1-based line of a compile-time error (0 for runtime errors). */
  readonly line: number;
  /** 1-based column of a compile-time error (0 for runtime errors). */
  readonly column: number;
  /** The MIG return code a real stub would give (runtime errors only). */
  readonly kern: number | undefined;

  constructor(code: MigErrorCode, message: string, loc?: SourceLoc) {
    super(loc ? `${loc.file}:${loc.line}:${loc.column}: ${message}` : message);
    this.code = code;
    this.file = loc?.file ?? '';
    this.line = loc?.line ?? 0;
    this.column = loc?.column ?? 0;
    this.kern = MIG_RETURN_CODES[code];
  }
}

/** Type guard for `MigError`. */
export function isMigError(e: unknown): e is MigError {
  return e instanceof MigError;
}
