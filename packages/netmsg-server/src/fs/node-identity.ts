import { closeSync, fstatSync, futimesSync, mkdtempSync, openSync, rmSync, type BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Which host node a peropen was made for: device, inode number and birth
 * time. The inode number alone names no node for long: ext4 gives a file
 * created right after an unlink the number just freed, so a port opened on
 * the removed file would read and write the new one. A Hurd port names its
 * node, never whatever later takes its name (libdiskfs); an NFS server tells
 * a reused inode apart by its generation number, which Linux does not show
 * to stat; the birth time (statx btime) does the same job.
 */
export interface NodeIdentity {
  dev: bigint;
  ino: bigint;
  /** statx btime in ns; 0 where the host gives none (then ino and dev alone). */
  birth: bigint;
}

let birthIsReal: boolean | undefined;

/**
 * Whether this process sees real birth times. Where statx is missing, libuv
 * reports ctime as the birth time (Node's fs.Stats docs), which every chmod
 * or write moves: counting it would make every port stale after its first
 * write. So once per process, on a scratch file: move its ctime (the
 * kernel's coarse clock may need a few ms) and see whether the birth time
 * stayed. Undecided counts as no.
 */
function realBirth(): boolean {
  if (birthIsReal !== undefined) return birthIsReal;
  birthIsReal = false;
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'netmsg-btime-'));
    const fd = openSync(join(dir, 'probe'), 'w');
    try {
      const first = fstatSync(fd, { bigint: true });
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 50; i++) {
        futimesSync(fd, i + 1, i + 1);
        const now = fstatSync(fd, { bigint: true });
        if (now.ctimeNs !== first.ctimeNs) {
          birthIsReal = first.birthtimeNs !== 0n && now.birthtimeNs === first.birthtimeNs;
          break;
        }
        Atomics.wait(pause, 0, 0, 1);
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    birthIsReal = false;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
  return birthIsReal;
}

/** The identity of the node `st` describes. */
export function nodeIdentity(st: BigIntStats): NodeIdentity {
  return { dev: st.dev, ino: st.ino, birth: realBirth() ? st.birthtimeNs : 0n };
}

/** Is `st` the node `id` was made for (not another that took its name, or its inode number)? */
export function sameNode(st: BigIntStats, id: NodeIdentity): boolean {
  return st.ino === id.ino && st.dev === id.dev && (id.birth === 0n || st.birthtimeNs === id.birth);
}
