import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect as netConnect, type Server } from 'node:net';
import { NetmsgServerError } from '../errors.js';

/**
 * A Unix-socket listener's file: only this user may connect (mode 0600, the
 * socket file's permission is what the kernel checks on connect), a stale
 * file left by a node that died is replaced, a live one or a non-socket is
 * never touched.
 */

/** Is someone accepting on `path`? ECONNREFUSED means the file is stale. */
function probe(path: string): Promise<'live' | 'stale' | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const s = netConnect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve('live');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'stale' : e));
  });
}

/** Make `path` free to bind: absent, or a stale socket we remove. */
export async function clearStaleSocket(path: string): Promise<'absent' | 'removed'> {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new NetmsgServerError('bad_option', `option 'listen': ${path}: ${(e as Error).message}`);
  }
  if (!st.isSocket()) throw new NetmsgServerError('bad_option', `option 'listen': ${path} exists and is not a socket; refusing to replace it`);
  const r = await probe(path);
  if (r === 'live') throw new NetmsgServerError('bad_option', `option 'listen': another process is accepting on ${path}`);
  if (r !== 'stale') throw new NetmsgServerError('bad_option', `option 'listen': cannot tell whether ${path} is in use: ${r.message}`);
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new NetmsgServerError('bad_option', `option 'listen': cannot remove stale socket ${path}: ${(e as Error).message}`);
  }
  return 'removed';
}

/**
 * `server.listen({ path })` binds and listens synchronously, so a umask of
 * 0177 around the call creates the file 0600 with no window in which another
 * user could connect. Worker threads cannot change the umask: there the file
 * is chmod-ed right after, in the same tick (before any connection is accepted
 * by this process, though the kernel may queue one).
 */
export function listenUnixPrivate(server: Server, path: string): void {
  let old: number | undefined;
  try {
    old = process.umask(0o177);
  } catch {
    old = undefined;
  }
  try {
    server.listen({ path });
  } finally {
    if (old !== undefined) process.umask(old);
  }
  try {
    chmodSync(path, 0o600);
  } catch {
    // The bind failed; the 'error' event reports it.
  }
}

/** Remove the socket file if it is still the one we bound (same inode). */
export function removeSocketFile(path: string, ino: number | undefined): void {
  try {
    const st = lstatSync(path);
    if (st.isSocket() && (ino === undefined || st.ino === ino)) unlinkSync(path);
  } catch {
    // Already gone (libuv unlinks the path when the handle closes).
  }
}
