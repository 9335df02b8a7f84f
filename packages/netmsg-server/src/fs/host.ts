import { closeSync, existsSync, fstatSync, lstatSync, openSync, readlinkSync, type BigIntStats, constants as FS } from 'node:fs';
import { join, sep } from 'node:path';
import { HurdErrno } from '../errno.js';
import { HurdError } from './hurd-error.js';

/**
 * The host directory tree behind an export, reached without ever letting
 * the host resolve a symlink or a `..` for us.
 *
 * Node.js has no openat(2), so a directory handle is an fd and a child is
 * named `/proc/self/fd/N/child`: the kernel resolves `/proc/self/fd/N` to
 * the open directory itself, wherever it has moved since, so a rename of an
 * ancestor racing with a request cannot redirect it outside the export. Every
 * component is opened with O_NOFOLLOW, so a symlink swapped in for a
 * directory fails the walk instead of being followed. Without procfs the
 * handles fall back to joined paths, and only the per-component lstat and
 * the O_NOFOLLOW of the last component protect.
 */
export interface Dir {
  readonly fd: number;
  /** Path as joined from the export root (logs; the no-procfs fallback). */
  readonly path: string;
}

const DIR_FLAGS = FS.O_RDONLY | FS.O_DIRECTORY | FS.O_NOFOLLOW;

export class HostTree {
  readonly procfs: boolean;

  constructor(readonly root: string) {
    this.procfs = existsSync('/proc/self/fd');
  }

  /** The path naming `name` inside the open directory `d` (one component, never `.`/`..`). */
  at(d: Dir, name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new HurdError(HurdErrno.EINVAL, `bad name component '${name}'`);
    }
    return this.procfs ? `/proc/self/fd/${d.fd}/${name}` : join(d.path, name);
  }

  /** Open the directory at `rel` (components under the root), one component at a time. */
  openDir(rel: readonly string[]): Dir {
    return this.walk(rel, true);
  }

  /**
   * The walk of openDir; `check`: prove the directory reached is inside the
   * root. openFd skips that proof for the parent, because it proves the node
   * it opens there, and whatever is under a directory outside the export is
   * outside too: one readlink per open instead of two (run 30C).
   */
  private walk(rel: readonly string[], check: boolean): Dir {
    let d: Dir = { fd: openSync(this.root, DIR_FLAGS), path: this.root };
    try {
      for (const c of rel) {
        const next: Dir = { fd: openSync(this.at(d, c), DIR_FLAGS), path: join(d.path, c) };
        closeSync(d.fd);
        d = next;
      }
      if (check) this.checkInside(d.fd, rel);
      return d;
    } catch (e) {
      closeSync(d.fd);
      throw e;
    }
  }

  close(d: Dir): void {
    closeSync(d.fd);
  }

  withDir<T>(rel: readonly string[], f: (d: Dir) => T): T {
    const d = this.openDir(rel);
    try {
      return f(d);
    } finally {
      closeSync(d.fd);
    }
  }

  /** The node itself (a symlink is not followed), by its parent directory. */
  lstat(rel: readonly string[]): BigIntStats {
    if (rel.length === 0) return lstatSync(this.root, { bigint: true });
    return this.withDir(rel.slice(0, -1), (d) => lstatSync(this.at(d, rel[rel.length - 1]!), { bigint: true }));
  }

  /**
   * Open the node at `rel` with host `flags` (never following a symlink,
   * never blocking on a FIFO), check it is still inside the export, run `f`.
   */
  withFd<T>(rel: readonly string[], flags: number, f: (fd: number, st: BigIntStats) => T): T {
    const { fd, st } = this.openFd(rel, flags);
    try {
      return f(fd, st);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * withFd's open and checks, the fd left open for the caller to close (an
   * asynchronous read keeps it past the request's synchronous checks).
   */
  openFd(rel: readonly string[], flags: number): { fd: number; st: BigIntStats } {
    const open = (path: string): number => openSync(path, flags | FS.O_NOFOLLOW | FS.O_NONBLOCK);
    let fd: number;
    if (rel.length === 0) fd = open(this.root);
    else {
      const d = this.walk(rel.slice(0, -1), false);
      try {
        fd = open(this.at(d, rel[rel.length - 1]!));
      } finally {
        closeSync(d.fd);
      }
    }
    try {
      this.checkInside(fd, rel);
      return { fd, st: fstatSync(fd, { bigint: true }) };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Prove an open fd lies under the root (catches a directory moved out of
   * the export by someone on the host between our walk and our use).
   */
  private checkInside(fd: number, rel: readonly string[]): void {
    if (!this.procfs) return;
    let actual: string;
    try {
      actual = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return;
    }
    if (actual !== this.root && !actual.startsWith(this.root + sep)) {
      throw new HurdError(HurdErrno.EACCES, `${rel.join('/')} is outside the export`);
    }
  }
}
