/**
 * Return-code names. Mach and MIG codes come from mach-msg; the Hurd's errno
 * values are 0x40000000 + n (glibc's _HURD_ERRNO: system 0x10, subsystem 0,
 * BSD numbering), so an RPC failing with EACCES returns 0x4000000d.
 */
import { returnCodeName } from 'mach-msg';

const HURD_ERRNO_BASE = 0x40000000;

/** BSD/Hurd errno numbers (facts from the Hurd's errno table). */
const ERRNO_NAMES: ReadonlyArray<readonly [number, string]> = [
  [1, 'EPERM'], [2, 'ENOENT'], [3, 'ESRCH'], [4, 'EINTR'], [5, 'EIO'], [6, 'ENXIO'], [7, 'E2BIG'],
  [8, 'ENOEXEC'], [9, 'EBADF'], [10, 'ECHILD'], [11, 'EDEADLK'], [12, 'ENOMEM'], [13, 'EACCES'],
  [14, 'EFAULT'], [15, 'ENOTBLK'], [16, 'EBUSY'], [17, 'EEXIST'], [18, 'EXDEV'], [19, 'ENODEV'],
  [20, 'ENOTDIR'], [21, 'EISDIR'], [22, 'EINVAL'], [23, 'EMFILE'], [24, 'ENFILE'], [25, 'ENOTTY'],
  [26, 'ETXTBSY'], [27, 'EFBIG'], [28, 'ENOSPC'], [29, 'ESPIPE'], [30, 'EROFS'], [31, 'EMLINK'],
  [32, 'EPIPE'], [33, 'EDOM'], [34, 'ERANGE'], [35, 'EAGAIN'], [36, 'EINPROGRESS'], [37, 'EALREADY'],
  [38, 'ENOTSOCK'], [39, 'EDESTADDRREQ'], [40, 'EMSGSIZE'], [41, 'EPROTOTYPE'], [42, 'ENOPROTOOPT'],
  [43, 'EPROTONOSUPPORT'], [44, 'ESOCKTNOSUPPORT'], [45, 'EOPNOTSUPP'], [46, 'EPFNOSUPPORT'],
  [47, 'EAFNOSUPPORT'], [48, 'EADDRINUSE'], [49, 'EADDRNOTAVAIL'], [50, 'ENETDOWN'], [51, 'ENETUNREACH'],
  [52, 'ENETRESET'], [53, 'ECONNABORTED'], [54, 'ECONNRESET'], [55, 'ENOBUFS'], [56, 'EISCONN'],
  [57, 'ENOTCONN'], [58, 'ESHUTDOWN'], [59, 'ETOOMANYREFS'], [60, 'ETIMEDOUT'], [61, 'ECONNREFUSED'],
  [62, 'ELOOP'], [63, 'ENAMETOOLONG'], [64, 'EHOSTDOWN'], [65, 'EHOSTUNREACH'], [66, 'ENOTEMPTY'],
  [67, 'EPROCLIM'], [68, 'EUSERS'], [69, 'EDQUOT'], [70, 'ESTALE'], [71, 'EREMOTE'], [72, 'EBADRPC'],
  [73, 'ERPCMISMATCH'], [74, 'EPROGUNAVAIL'], [75, 'EPROGMISMATCH'], [76, 'EPROCUNAVAIL'], [77, 'ENOLCK'],
  [78, 'ENOSYS'], [79, 'EFTYPE'], [80, 'EAUTH'], [81, 'ENEEDAUTH'],
];
const BY_CODE = new Map(ERRNO_NAMES.map(([n, name]) => [HURD_ERRNO_BASE + n, name]));

/** Names a reply's return code: 0, a Hurd errno (EACCES), or a Mach/MIG code (MIG_BAD_ID); hex otherwise. */
export function codeName(code: number): string {
  if (code === 0) return '0';
  return BY_CODE.get(code) ?? returnCodeName(code);
}
