import { MIG_BAD_ARGUMENTS } from 'mach-msg';
import { HurdErrno, hurdErrnoOf } from '../errno.js';

/**
 * A failure a routine answers with: its RetCode (a Hurd error_t, or a MIG
 * code). The export turns it into MIG's bare error reply.
 */
export class HurdError extends Error {
  constructor(readonly errno: number, msg = '') {
    super(msg);
  }
}

/** A host (Node.js) error as the RetCode the Hurd would send. */
export function retCodeOf(e: unknown): number | undefined {
  if (e instanceof HurdError) return e.errno;
  if (typeof (e as { code?: unknown } | null)?.code === 'string') return hurdErrnoOf(e);
  return undefined;
}

export function fail(errno: keyof typeof HurdErrno, msg = ''): never {
  throw new HurdError(HurdErrno[errno], msg);
}

// Decoded MIG arguments: I32 items arrive as numbers, I64 items as bigints
// (unsigned on x86_64), vm_size_t as either depending on the ABI.

export function num(v: unknown): number {
  if (typeof v === 'number') return v | 0;
  if (typeof v === 'bigint') return Number(BigInt.asIntN(32, v));
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new HurdError(MIG_BAD_ARGUMENTS);
}

export function big(v: unknown, signed = false): bigint {
  const b = typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined;
  if (b === undefined) throw new HurdError(MIG_BAD_ARGUMENTS);
  return signed ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
}

/** vm_size_t: I64 on x86_64 (unsigned), I32 on i386 (unsigned too). */
export function size(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v >>> 0);
  return big(v);
}

export function str(v: unknown): string {
  if (typeof v !== 'string') throw new HurdError(MIG_BAD_ARGUMENTS);
  return v;
}

export function ids(v: unknown): number[] {
  if (!Array.isArray(v)) throw new HurdError(MIG_BAD_ARGUMENTS);
  return v.map((x) => Number(BigInt.asUintN(32, BigInt(x as number | bigint))));
}

/** A port argument as the export's name for it (0 = MACH_PORT_NULL). */
export function portName(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'number') return (v as { name: number }).name;
  throw new HurdError(MIG_BAD_ARGUMENTS);
}

/** A struct flattened to words (timespec_t, time_value_t): signed values. */
export function words(v: unknown, n: number, bits: 32 | 64): bigint[] {
  if (!Array.isArray(v) || v.length !== n) throw new HurdError(MIG_BAD_ARGUMENTS);
  return v.map((x) => BigInt.asIntN(bits, BigInt(x as number | bigint)));
}
