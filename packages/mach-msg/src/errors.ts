/**
 * The codec's one error family. Every bad input, to the decoder or the
 * encoder, ends in a MachMsgError with a stable `code` and the byte `offset`
 * the problem was found at (for encode errors: the offset the item would
 * have had, or 0 for header problems).
 */
export type MachMsgErrorCode =
  // --- decode: sizes ---------------------------------------------------
  /** Fewer bytes than a header (24 / 32). */
  | 'truncated_header'
  /** msgh_size is smaller than the header. */
  | 'size_too_small'
  /** msgh_size is not a multiple of the ABI's alignment (4 / 8). */
  | 'size_misaligned'
  /** msgh_size claims more bytes than the buffer holds. */
  | 'size_over_buffer'
  /** The buffer holds bytes after msgh_size and `allowTrailing` is off. */
  | 'trailing_bytes'
  /** The buffer or msgh_size is over `maxSize`. */
  | 'size_limit'
  // --- decode: items ---------------------------------------------------
  /** A type descriptor runs past msgh_size. */
  | 'truncated_descriptor'
  /** An i386 long-form descriptor's extra 8 bytes run past msgh_size. */
  | 'truncated_long_descriptor'
  /** Inline data, port names or an out-of-line pointer run past msgh_size. */
  | 'truncated_data'
  /** msgt_name is not a body type GNU Mach defines. */
  | 'unknown_type_name'
  /** msgt_unused is not zero (the kernel's MACH_SEND_INVALID_TYPE). */
  | 'type_unused_bits'
  /** i386 long form with non-zero name/size/number in the short word. */
  | 'longform_short_fields'
  /** msgt_deallocate on an inline item (the kernel's MACH_SEND_INVALID_TYPE). */
  | 'inline_deallocate'
  /** Inline port item whose msgt_size is not 32 (i386) / 64 (x86_64). */
  | 'bad_port_size'
  /** Out-of-line port array whose msgt_size is not 32 (nor 0, the kernel's copyout-failure form). */
  | 'bad_ool_port_size'
  // --- encode ----------------------------------------------------------
  /** encodeMessageInto: the target buffer is too small. */
  | 'buffer_too_small'
  /** The ABI is neither 'i386' nor 'x86_64'. */
  | 'invalid_abi'
  /** A number does not fit its wire field (or is not an integer). */
  | 'field_out_of_range'
  /** data.length is not ceil(number*size/8), or names.length is not number. */
  | 'length_mismatch'
  /** The item's kind does not agree with its descriptor (inline flag, port type). */
  | 'item_kind_mismatch'
  /** A value of the wrong JavaScript type where the contract wants another. */
  | 'invalid_message'
  /** A message with a notification id whose body is not that notification's. */
  | 'invalid_notification';

export class MachMsgError extends Error {
  override readonly name = 'MachMsgError';
  readonly code: MachMsgErrorCode;
  /** Byte offset in the message where the problem is. */
  readonly offset: number;

  constructor(code: MachMsgErrorCode, offset: number, message: string) {
    super(`${message} (${code} at offset ${offset})`);
    this.code = code;
    this.offset = offset;
  }
}

/** Type guard that also works across realms / duplicated module copies. */
export function isMachMsgError(e: unknown): e is MachMsgError {
  if (e instanceof MachMsgError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const o = e as { name?: unknown; code?: unknown; offset?: unknown };
  return o.name === 'MachMsgError' && typeof o.code === 'string' && typeof o.offset === 'number';
}
