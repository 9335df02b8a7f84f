/**
 * -f: the tracer's end of the Unix socket every process of the traced tree
 * reports to (wire.ts describes the stream). A stream is accepted only after
 * a hello line with the run's random token; anything else is closed unread,
 * and said once on stderr. Pure of tracing: it hands each accepted stream's
 * bytes, with the pid its hello gave, to the caller.
 */
import { readSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { RpcTraceError } from '../errors.js';
import { followPlace, type FollowPlace } from './follow-place.js';
import { FOLLOW_HELLO_MAX, FOLLOW_OK, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV, parseFollowHello } from '../wire.js';

export interface FollowStreams {
  /** Accepted stream `stream` (0, 1, ...) of process `pid` sent `bytes`. */
  data(stream: number, pid: number, bytes: Uint8Array): void;
  /** A connection was refused: why (bad hello or token). */
  refused(why: string): void;
  /** Every accepted stream ended after stop(): the trace is complete. */
  ended(): void;
}

export interface FollowServer {
  /** What the traced program's environment needs (the socket and the token). */
  env: Record<string, string>;
  /** No new processes: each stream already accepted is read to its end, then `ended`. */
  stop(): void;
  /**
   * -p's detach: ends our side of every accepted stream (the attach agent
   * then removes its observers, writes what it holds and closes its side);
   * `force` destroys them instead (an agent that did not close in time).
   */
  hangUp(force: boolean): void;
  /** -p: writes `line` to every accepted stream (the attach agent's commands: agent.ts). */
  tell(line: string): void;
  /**
   * The in-process mode's exit (cli/follow-worker.ts): reads what every
   * open stream has already received, synchronously, up to what its
   * process has not written yet; gives it to `data`, and returns the pids
   * of the streams that are still open (their processes run on).
   */
  readLeft(): number[];
  /** Removes the socket's directory now (the process is exiting: no close callback will run). */
  dispose(): void;
}

/** Serves `place` (made now if not given: the in-process mode makes it before, cli/in-process-follow.ts). */
export async function startFollowServer(on: FollowStreams, place?: FollowPlace): Promise<FollowServer> {
  const { dir, path, token } = place ?? (await followPlace());
  // node:crypto loads only for -f (and -p): about 3% of the command's start-up otherwise.
  const { timingSafeEqual } = await import('node:crypto');
  const open = new Set<Socket>();
  /** The accepted streams' number and pid, for readLeft. */
  const accepted = new Map<Socket, { stream: number; pid: number }>();
  let streams = 0;
  let stopping = false;
  let done = false;
  const finish = (): void => {
    if (!stopping || done || open.size > 0) return;
    done = true;
    on.ended();
  };
  const server: Server = createServer((s) => {
    if (stopping) {
      s.destroy();
      return;
    }
    open.add(s);
    let hello = '';
    let stream = -1;
    let pid = 0;
    const refuse = (why: string): void => {
      on.refused(why);
      s.destroy();
    };
    s.on('data', (chunk: Buffer) => {
      if (stream >= 0) {
        on.data(stream, pid, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        return;
      }
      hello += chunk.toString('latin1');
      const nl = hello.indexOf('\n');
      if (nl < 0) {
        if (hello.length > FOLLOW_HELLO_MAX) refuse('a connection sent no hello line');
        return;
      }
      const h = parseFollowHello(hello.slice(0, nl));
      if (h === null) return refuse('a connection sent a bad hello line');
      const a = Buffer.from(h.token);
      const b = Buffer.from(token);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return refuse(`process ${h.pid} gave a wrong token`);
      stream = streams++;
      pid = h.pid;
      accepted.set(s, { stream, pid });
      s.write(FOLLOW_OK);
      const rest = Buffer.from(hello.slice(nl + 1), 'latin1');
      if (rest.length > 0) on.data(stream, pid, new Uint8Array(rest.buffer, rest.byteOffset, rest.byteLength));
    });
    s.on('error', () => s.destroy());
    s.on('close', () => {
      open.delete(s);
      accepted.delete(s);
      finish();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new RpcTraceError('spawn_failed', `cannot listen on ${path} for -f: ${e.message}`)));
    server.listen(path, () => resolve());
  }).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  return {
    env: { [TRACE_SOCKET_ENV]: path, [TRACE_TOKEN_ENV]: token },
    stop() {
      if (stopping) return;
      stopping = true;
      server.close();
      // No process may connect from now on, so the socket's directory has
      // no use left: removed now, not when the last stream ends, so that a
      // tracer killed outright while a stream is open (-p: the attached
      // program's, for as long as it is traced) leaves nothing in TMPDIR.
      rmSync(dir, { recursive: true, force: true });
      finish();
    },
    tell(line) {
      for (const s of open) if (!s.destroyed) s.write(line);
    },
    readLeft() {
      const running: number[] = [];
      for (const [s, { stream, pid }] of accepted) {
        if (readToNow(s, (bytes) => on.data(stream, pid, bytes))) running.push(pid);
      }
      return running;
    },
    dispose() {
      done = true;
      rmSync(dir, { recursive: true, force: true });
    },
    hangUp(force) {
      for (const s of open) {
        if (force) s.destroy();
        else s.end();
      }
    },
  };
}

/**
 * Reads `s`'s descriptor synchronously (read(2) on the non-blocking socket
 * libuv opened) until it has nothing more for now; gives each piece to
 * `data`. True if the stream is still open (EAGAIN: its writer runs on),
 * false if it ended (end of file, or an error: the writer is gone).
 */
function readToNow(s: Socket, data: (bytes: Uint8Array) => void): boolean {
  const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return false;
  for (;;) {
    // A buffer per read: the record reader may keep a piece of it (a record cut in two).
    const b = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, b, 0, b.length, null);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EAGAIN';
    }
    if (n === 0) return false;
    data(new Uint8Array(b.buffer, b.byteOffset, n));
  }
}
