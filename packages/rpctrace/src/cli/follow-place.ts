/**
 * Where a -f socket goes (cli/follow.ts serves it): a directory of its own
 * (mkdtemp makes it 0700: only this user can reach the socket) and the
 * random token every stream's hello must give. Apart from the server so
 * that the in-process mode can put both in the program's environment at
 * once while starting the server (a worker thread) only when the program
 * first makes a process (cli/in-process-follow.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcTraceError } from '../errors.js';

export interface FollowPlace {
  /** The socket's directory, removed when the server ends. */
  dir: string;
  /** The socket's path, in `dir`. */
  path: string;
  /** What each process's hello line must carry (32 hex digits). */
  token: string;
}

/** A Unix socket's path holds at most 107 bytes (sun_path, NUL-terminated): a longer one cannot be listened on. */
const SOCKET_PATH_MAX = 107;

export async function followPlace(): Promise<FollowPlace> {
  // node:crypto loads only for -f (and -p): about 3% of the command's start-up otherwise.
  const { randomBytes } = await import('node:crypto');
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'hurd-rpctrace-'));
  } catch (e) {
    throw new RpcTraceError('spawn_failed', `cannot make a directory for the -f socket: ${(e as Error).message}`);
  }
  const path = join(dir, 'trace.sock');
  if (Buffer.byteLength(path) > SOCKET_PATH_MAX) {
    rmSync(dir, { recursive: true, force: true });
    throw new RpcTraceError('spawn_failed', `cannot listen on ${path} for -f: the path is longer than a Unix socket's ${SOCKET_PATH_MAX} bytes (a shorter TMPDIR)`);
  }
  return { dir, path, token: randomBytes(16).toString('hex') };
}
