/**
 * Why a scenario disagrees, as analysed by hand; shown in CONFORMANCE.md next
 * to the diff. An entry only appears in the report while its scenario still
 * disagrees.
 */
export const DISAGREEMENT_NOTES: Readonly<Record<string, string>> = {};
