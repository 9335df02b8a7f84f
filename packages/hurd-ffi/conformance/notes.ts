/**
 * Why a scenario disagrees, as analysed by hand; shown in CONFORMANCE.md next
 * to the diff. An entry only appears in the report while its scenario still
 * disagrees.
 */
export const DISAGREEMENT_NOTES: Readonly<Record<string, string>> = {
  'body-truncated-complex':
    'i386: send_size cuts the message after the inline port descriptor, before its 4-byte name. GNU Mach ' +
    'returns MACH_SEND_MSG_TOO_SMALL (nothing is queued, the port keeps mscount 0); the simulated kernel ' +
    'reads past the end of the send buffer and throws a RangeError out of msg() instead of returning a code.',
};
