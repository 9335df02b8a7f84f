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
export const O_DIRECTORY = 0x00200000;

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
/** Hurd extra mode bit: root of a filesystem. */
export const S_IROOT = 0o40000000;

/** Mode bits libdiskfs keeps after an open (it drops the lookup-only ones). */
export const OPEN_MODE_KEEP = O_READ | O_WRITE | O_EXEC | O_APPEND | 0x0200 | 0x0400 | 0x0800;

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
