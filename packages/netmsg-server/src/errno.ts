/**
 * Hurd error_t values. On the wire a Hurd server's RetCode is the Hurd
 * errno, `0x40000000 | n` (hurd-fs-interfaces.md §10), not Linux's errno;
 * MIG and Mach codes pass through unchanged.
 */
export const HurdErrno = {
  EPERM: 0x40000001,
  ENOENT: 0x40000002,
  EINTR: 0x40000004,
  EIO: 0x40000005,
  EBADF: 0x40000009,
  ENOMEM: 0x4000000c,
  EACCES: 0x4000000d,
  EBUSY: 0x40000010,
  EEXIST: 0x40000011,
  EXDEV: 0x40000012,
  ENOTDIR: 0x40000014,
  EISDIR: 0x40000015,
  EINVAL: 0x40000016,
  ENFILE: 0x40000017,
  EMFILE: 0x40000018,
  EFBIG: 0x4000001b,
  ENOSPC: 0x4000001c,
  ESPIPE: 0x4000001d,
  EROFS: 0x4000001e,
  EOPNOTSUPP: 0x4000002d,
  ELOOP: 0x4000003e,
  ENAMETOOLONG: 0x4000003f,
  ENOTEMPTY: 0x40000042,
  ENOSYS: 0x4000004e,
  EOVERFLOW: 0x40000073,
  ENXIO: 0x40000006,
  EFAULT: 0x4000000e,
  ENODEV: 0x40000013,
  ENOTTY: 0x40000019,
  EMLINK: 0x4000001f,
  EAGAIN: 0x40000023,
  EDQUOT: 0x40000045,
  ESTALE: 0x40000046,
  ENOLCK: 0x4000004d,
  EFTYPE: 0x4000004f,
  EDIED: 0x40000065,
  EGRATUITOUS: 0x40000069,
  EILSEQ: 0x4000006a,
  ENOTSUP: 0x40000076,
} as const;
export type HurdErrnoName = keyof typeof HurdErrno;

const BY_VALUE = new Map<number, string>(Object.entries(HurdErrno).map(([k, v]) => [v, k]));

/** Symbolic name of a Hurd error_t, MIG code or other return code. */
export function hurdErrorName(code: number): string {
  const e = BY_VALUE.get(code);
  if (e) return e;
  const mig: Record<number, string> = {
    [-300]: 'MIG_TYPE_ERROR', [-301]: 'MIG_REPLY_MISMATCH', [-302]: 'MIG_REMOTE_ERROR',
    [-303]: 'MIG_BAD_ID', [-304]: 'MIG_BAD_ARGUMENTS', [-305]: 'MIG_NO_REPLY',
    [-306]: 'MIG_EXCEPTION', [-307]: 'MIG_ARRAY_TOO_LARGE', [-308]: 'MIG_SERVER_DIED', [-309]: 'MIG_DESTROY_REQUEST',
  };
  return mig[code] ?? `0x${(code >>> 0).toString(16)}`;
}

/** A Node.js system error (`err.code` like 'ENOENT') as the Hurd encodes it; EIO if unknown. */
export function hurdErrnoOf(e: unknown): number {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in HurdErrno) return HurdErrno[code as HurdErrnoName];
  // Linux spells a few differently from the Hurd.
  if (code === 'EWOULDBLOCK') return HurdErrno.EAGAIN;
  if (code === 'ETXTBSY') return HurdErrno.EBUSY;
  return HurdErrno.EIO;
}
