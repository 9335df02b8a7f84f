import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAC_BYTES } from './schemas.js';

/**
 * Challenge-response authentication (PROTOCOL.md §2). Each side's proof is
 * HMAC-SHA-256(secret, label | prover's HELLO | verifier's HELLO). The
 * verifier's HELLO carries a nonce it just drew, so a proof recorded from an
 * earlier connection never verifies again; both HELLOs are covered, so a
 * man in the middle cannot change versions, ABIs or windows. A reflected
 * HELLO (same nonce or same node id as ours) is refused before any proof is
 * checked, because with identical HELLOs the two proofs would be equal.
 */
const LABEL = new TextEncoder().encode('netmsg-wire/1 auth');

export function authProof(secret: Uint8Array, proverHello: Uint8Array, verifierHello: Uint8Array): Uint8Array {
  const h = createHmac('sha256', secret);
  h.update(LABEL);
  const len = new Uint8Array(8);
  const v = new DataView(len.buffer);
  v.setUint32(0, proverHello.length, true);
  v.setUint32(4, verifierHello.length, true);
  h.update(len);
  h.update(proverHello);
  h.update(verifierHello);
  return new Uint8Array(h.digest());
}

export function proofMatches(expected: Uint8Array, got: Uint8Array): boolean {
  return got.length === MAC_BYTES && expected.length === MAC_BYTES && timingSafeEqual(expected, got);
}

/** Highest version in both ranges, or undefined. */
export function chooseVersion(a: { vmin: number; vmax: number }, b: { vmin: number; vmax: number }): number | undefined {
  const hi = Math.min(a.vmax, b.vmax);
  const lo = Math.max(a.vmin, b.vmin);
  return hi >= lo ? hi : undefined;
}
