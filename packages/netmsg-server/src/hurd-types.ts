/**
 * Hurd constants and on-the-wire structs the export and the client share
 * (hurd-fs-interfaces.md §7–§10): open flags, retry types, `struct stat64`
 * as `io_statbuf_t`, `struct dirent64` records.
 */
export const O_READ = 0x0001;
export const O_WRITE = 0x0002;
export const O_EXEC = 0x0004;
export const O_NONBLOCK = 0x0008;
export const O_CREAT = 0x0010;
export const O_EXCL = 0x0020;
export const O_NOLINK = 0x0040;
export const O_NOTRANS = 0x0080;
export const O_APPEND = 0x0100;
export const O_TRUNC = 0x00010000;
export const O_ASYNC = 0x0200;
export const O_FSYNC = 0x0400;
export const O_NOATIME = 0x0800;
export const O_SHLOCK = 0x00020000;
export const O_EXLOCK = 0x00040000;
/** Client side only: glibc turns it into O_NOTRANS plus an io_stat check (§5.3). */
export const O_NOFOLLOW = 0x00100000;
export const O_DIRECTORY = 0x00200000;
/** The bits io servers understand (glibc's O_HURD); fsys_getroot masks with it. */
export const O_HURD = 0xffff | O_EXLOCK | O_SHLOCK;
/** Open modes io_set_all/some/clear_openmodes may change (libiohelp's HONORED_STATE_MODES). */
export const HONORED_STATE_MODES = O_APPEND | O_ASYNC | O_FSYNC | O_NONBLOCK | O_NOATIME;
/** Lookup-only bits libdiskfs drops from the stored open modes after an open (§5.2 rule 6). */
export const OPENONLY_STATE_MODES = O_CREAT | O_EXCL | O_NOLINK | O_NOTRANS | O_NONBLOCK | O_EXLOCK | O_SHLOCK;

export const FS_RETRY_NORMAL = 1;
export const FS_RETRY_REAUTH = 2;
export const FS_RETRY_MAGICAL = 3;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

export const FSTYPE_MISC = 0x16;
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;
/** tv_nsec (file_utimens) or microseconds (file_utimes) meaning "now" / "leave unchanged". */
export const UTIME_NOW = -1;
export const UTIME_OMIT = -2;
/** Hurd extra mode bit: root of a filesystem. */
export const S_IROOT = 0o40000000;

/** Mode bits kept after an open: access bits plus the honoured state modes (O_NONBLOCK is lookup-only for libdiskfs). */
export const OPEN_MODE_KEEP = O_READ | O_WRITE | O_EXEC | O_APPEND | O_ASYNC | O_FSYNC | O_NOATIME;

/** The Hurd `struct stat64` fields a client reads. */
export interface HurdStat {
  fstype: number;
  fsid: bigint;
  ino: bigint;
  gen: number;
  rdev: bigint;
  mode: number;
  nlink: bigint;
  uid: number;
  gid: number;
  size: bigint;
  atime: { sec: bigint; nsec: bigint };
  mtime: { sec: bigint; nsec: bigint };
  ctime: { sec: bigint; nsec: bigint };
  blksize: bigint;
  blocks: bigint;
  author: number;
  flags: number;
}

const M64 = (1n << 64n) - 1n;
const lo32 = (w: bigint): number => Number(w & 0xffffffffn);
const hi32 = (w: bigint): number => Number((w >> 32n) & 0xffffffffn);
const pair = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** x86_64 `io_statbuf_t`: 22 int64 words (§8; 4-byte fields share a word, low half first). */
export function packStatX86_64(s: HurdStat): bigint[] {
  const w = [
    BigInt(s.fstype >>> 0), s.fsid, s.ino, BigInt(s.gen >>> 0), s.rdev, BigInt(s.mode >>> 0), s.nlink,
    pair(s.uid, s.gid), s.size,
    s.atime.sec, s.atime.nsec, s.mtime.sec, s.mtime.nsec, s.ctime.sec, s.ctime.nsec,
    s.blksize, s.blocks, pair(s.author, s.flags), 0n, 0n, 0n, 0n,
  ];
  return w.map((x) => x & M64);
}

export function unpackStatX86_64(words: readonly bigint[]): HurdStat {
  if (words.length !== 22) throw new RangeError(`io_statbuf_t has 22 words on x86_64, got ${words.length}`);
  const w = (i: number): bigint => BigInt.asUintN(64, words[i]!);
  const s = (i: number): bigint => BigInt.asIntN(64, words[i]!);
  return {
    fstype: lo32(w(0)), fsid: w(1), ino: w(2), gen: lo32(w(3)), rdev: w(4), mode: lo32(w(5)), nlink: w(6),
    uid: lo32(w(7)), gid: hi32(w(7)), size: s(8),
    atime: { sec: s(9), nsec: s(10) }, mtime: { sec: s(11), nsec: s(12) }, ctime: { sec: s(13), nsec: s(14) },
    blksize: s(15), blocks: s(16), author: lo32(w(17)), flags: hi32(w(17)),
  };
}

const U32 = 0xffffffff;
const w32 = (x: bigint): number => Number(BigInt.asIntN(32, x));

/**
 * i386 `io_statbuf_t`: 32 int32 words (§8 i386 column). 64-bit fields
 * (fsid, ino, size, blocks) take two words, low first; dev_t, nlink_t,
 * time_t, long and blksize_t are 4 bytes there, so wider values are cut to
 * their low 32 bits, as a 32-bit Hurd server's struct would hold them.
 */
export function packStatI386(s: HurdStat): number[] {
  const lo = (x: bigint): number => Number(x & 0xffffffffn) | 0;
  const hi = (x: bigint): number => Number((x >> 32n) & 0xffffffffn) | 0;
  const w = [
    s.fstype | 0, lo(s.fsid), hi(s.fsid), lo(s.ino), hi(s.ino), s.gen | 0, lo(s.rdev), s.mode | 0, lo(s.nlink),
    s.uid | 0, s.gid | 0, lo(s.size), hi(s.size),
    w32(s.atime.sec), w32(s.atime.nsec), w32(s.mtime.sec), w32(s.mtime.nsec), w32(s.ctime.sec), w32(s.ctime.nsec),
    w32(s.blksize), lo(s.blocks), hi(s.blocks), s.author | 0, s.flags | 0,
    0, 0, 0, 0, 0, 0, 0, 0,
  ];
  return w;
}

export function unpackStatI386(words: readonly (number | bigint)[]): HurdStat {
  if (words.length !== 32) throw new RangeError(`io_statbuf_t has 32 words on i386, got ${words.length}`);
  const u = (i: number): number => Number(BigInt.asUintN(32, BigInt(words[i]!))) & U32;
  const ui = (i: number): number => u(i) >>> 0;
  const s = (i: number): bigint => BigInt.asIntN(32, BigInt(words[i]!));
  const q = (i: number): bigint => (BigInt(ui(i + 1)) << 32n) | BigInt(ui(i));
  return {
    fstype: ui(0), fsid: q(1), ino: q(3), gen: ui(5), rdev: BigInt(ui(6)), mode: ui(7), nlink: BigInt(ui(8)),
    uid: ui(9), gid: ui(10), size: BigInt.asIntN(64, q(11)),
    atime: { sec: s(13), nsec: s(14) }, mtime: { sec: s(15), nsec: s(16) }, ctime: { sec: s(17), nsec: s(18) },
    blksize: s(19), blocks: BigInt.asIntN(64, q(20)), author: ui(22), flags: ui(23),
  };
}

/** `io_statbuf_t` words for `abi`. */
export function packStat(s: HurdStat, abi: 'x86_64' | 'i386'): bigint[] | number[] {
  return abi === 'i386' ? packStatI386(s) : packStatX86_64(s);
}

export function unpackStat(words: readonly (number | bigint)[], abi: 'x86_64' | 'i386'): HurdStat {
  return abi === 'i386' ? unpackStatI386(words) : unpackStatX86_64(words.map((w) => BigInt(w)));
}

export interface DirEntry {
  ino: bigint;
  /** DT_* value: (mode & S_IFMT) >> 12, 0 unknown. */
  type: number;
  name: string;
}

/** One `struct dirent64` record, reclen rounded up to `align` (8 on x86_64, 4 on i386; §9). */
export function encodeDirent(e: DirEntry, align: number): Uint8Array {
  const name = new TextEncoder().encode(e.name);
  if (name.length > 255) throw new RangeError('d_namlen is one byte: name longer than 255 bytes');
  const reclen = Math.ceil((12 + name.length + 1) / align) * align;
  const out = new Uint8Array(reclen);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, e.ino, true);
  v.setUint16(8, reclen, true);
  out[10] = e.type;
  out[11] = name.length;
  out.set(name, 12);
  return out;
}

/** Walk packed records by d_reclen (never assume alignment; §9). Throws RangeError on a malformed buffer. */
export function decodeDirents(buf: Uint8Array, count: number): DirEntry[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: DirEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 12 > buf.length) throw new RangeError(`dirent ${i} truncated at ${at}`);
    const reclen = v.getUint16(at + 8, true);
    const namlen = buf[at + 11]!;
    if (reclen < 12 + namlen + 1 || at + reclen > buf.length) throw new RangeError(`dirent ${i} has bad d_reclen ${reclen}`);
    const ino = v.getBigUint64(at, true);
    const name = new TextDecoder().decode(buf.subarray(at + 12, at + 12 + namlen));
    if (ino !== 0n) out.push({ ino, type: buf[at + 10]!, name });
    at += reclen;
  }
  return out;
}
