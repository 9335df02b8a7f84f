import { closeSync, fstatSync, readSync, writeSync } from 'node:fs';

/**
 * The backing store of a file pager: one host file, read and written by
 * page through an open descriptor (pager_read_page / pager_write_page of
 * the Hurd's libpager, seed-system.md §3).
 *
 * Reads past the end of the file give zeros (the Hurd's pagers zero-fill
 * the tail of the last page and whole pages past EOF). Writes are clipped to
 * the file's size at the time of the write: a mapping never grows a file,
 * as in the Hurd, where only io_write / file_set_size change the size.
 */
export class FileStore {
  private closed = false;

  constructor(
    private readonly fd: number,
    readonly pageSize: number,
    /** A read-only store refuses every write (the export's EROFS). */
    readonly readOnly: boolean,
  ) {}

  /** Current size of the file in bytes. */
  size(): number {
    return fstatSync(this.fd).size;
  }

  /** Pages covering the file now (at least one, so an empty file can be mapped). */
  pages(): number {
    return Math.max(1, Math.ceil(this.size() / this.pageSize));
  }

  readPage(page: number): Uint8Array {
    const out = new Uint8Array(this.pageSize);
    let done = 0;
    while (done < out.length) {
      const n = readSync(this.fd, out, done, out.length - done, page * this.pageSize + done);
      if (n === 0) break; // EOF: the rest stays zero
      done += n;
    }
    return out;
  }

  /** Writes `data` at `page`, clipped to the file size; returns the bytes written. */
  writePage(page: number, data: Uint8Array): number {
    if (this.readOnly) throw Object.assign(new Error('read-only store'), { code: 'EROFS' });
    const at = page * this.pageSize;
    const room = Math.max(0, Math.min(data.length, this.size() - at));
    let done = 0;
    while (done < room) done += writeSync(this.fd, data, done, room - done, at + done);
    return room;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
