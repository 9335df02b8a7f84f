import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { FsClient } from '../client.js';
import { O_CREAT, O_READ, O_TRUNC, O_WRITE } from '../hurd-types.js';

/** Bytes per io_read / io_write in get and put: the client's pieces, so memory stays bounded whatever the file size. */
export const COPY_CHUNK = 256 * 1024;

/**
 * A progress line on a terminal: "\r<label> 42% 1.2 MiB / 2.9 MiB",
 * redrawn when the whole percentage changes (not on a clock, so the output
 * for a given transfer is always the same), ended with a newline.
 */
export function progressLine(write: (s: string) => void, label: string, total: number): { update(bytes: number): void; done(): void } {
  let last = -1;
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
  const draw = (bytes: number): void => {
    const pct = total > 0 ? Math.floor((bytes * 100) / total) : 100;
    if (pct === last) return;
    last = pct;
    write(`\r${label} ${pct}% ${mib(bytes)} / ${mib(total)}`);
  };
  return {
    update: draw,
    done: () => {
      if (last >= 0) write('\n');
    },
  };
}

export interface CopyOptions {
  /** Draw a progress line through this writer (the CLI passes stderr when it is a terminal). */
  progress?: (s: string) => void;
}

/**
 * `get`: the remote file to `local` (default: its base name), through a
 * temporary name renamed into place, so a failed copy leaves no half file.
 */
export async function getFile(c: FsClient, remote: string, local: string | undefined, o: CopyOptions = {}): Promise<{ local: string; bytes: number }> {
  const dest = local ?? (basename(remote.replace(/\/+$/, '')) || 'download');
  const port = await c.open(remote, O_READ);
  const tmp = `${dest}.netmsg-part`;
  const fd = openSync(tmp, 'w', 0o644);
  let bytes = 0;
  try {
    const total = Number((await c.statPort(port)).size);
    const bar = o.progress && total >= COPY_CHUNK ? progressLine(o.progress, `get ${remote}`, total) : undefined;
    bar?.update(0);
    for (;;) {
      const r = await c.call(port, 'io_read', { offset: -1n, amount: BigInt(COPY_CHUNK) }, `read ${remote}`);
      const d = r.args['data'];
      const chunk = d instanceof Uint8Array ? d : (r.ool[0] ?? new Uint8Array(0));
      if (chunk.length === 0) break;
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at);
      bytes += chunk.length;
      bar?.update(bytes);
    }
    bar?.done();
    closeSync(fd);
    renameSync(tmp, dest);
    return { local: dest, bytes };
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    c.release(port);
  }
}

/** `put`: the local file to `remote` (created or truncated), in COPY_CHUNK writes. */
export async function putFile(c: FsClient, local: string, remote: string, o: CopyOptions = {}): Promise<{ bytes: number }> {
  const fd = openSync(local, 'r');
  try {
    const st = fstatSync(fd);
    const port = await c.open(remote, O_WRITE | O_CREAT | O_TRUNC, st.mode & 0o777);
    try {
      const total = st.size;
      const bar = o.progress && total >= COPY_CHUNK ? progressLine(o.progress, `put ${remote}`, total) : undefined;
      bar?.update(0);
      const buf = Buffer.alloc(COPY_CHUNK);
      let bytes = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        await c.writePort(port, new Uint8Array(buf.buffer, buf.byteOffset, n), BigInt(bytes));
        bytes += n;
        bar?.update(bytes);
      }
      bar?.done();
      return { bytes };
    } finally {
      c.release(port);
    }
  } finally {
    closeSync(fd);
  }
}
