/**
 * -f in the in-process mode (cli/in-process.ts): the program's own tasks
 * are traced in this process; its children, which get the preload in
 * NODE_OPTIONS as in the child mode, report to the -f socket, served by a
 * worker thread (cli/follow-worker.ts: the program's thread may block for
 * a child's whole life in spawnSync). The worker is unref'd: it never
 * keeps the program alive on its own. The socket's path and token are in
 * the program's environment from its start, but the worker (a second Node
 * environment: most of -f's fixed cost) starts only when the program first
 * makes a process (cli/spawn-watch.ts), which then waits until it listens:
 * a program that makes none never pays for it.
 *
 * The ends, against the child mode (whose command reads every stream to
 * its end after the program has exited):
 * - natural end (the program's loop empties): 'beforeExit' stops taking
 *   new processes, as the child mode does once the program has exited,
 *   and the worker is held (ref'd) until every open stream has ended: the
 *   same wait, the same trace; then 'exit' finishes it;
 * - process.exit(), an uncaught exception, a signal finished by
 *   in-process.ts: no loop any more, so nothing can be waited for. The
 *   worker reads what every open stream has received so far and the exit
 *   takes it synchronously; the processes still running are named (end's
 *   result), their later records are not read. (Waiting in 'exit' for them
 *   to end would hang any child that waits for its parent: a pipe from it,
 *   its stdin.)
 */
import { rmSync } from 'node:fs';
import { receiveMessageOnPort, MessageChannel, Worker } from 'node:worker_threads';
import { TRACE_SOCKET_ENV, TRACE_TOKEN_ENV } from '../wire.js';
import { followPlace } from './follow-place.js';
import type { FollowWorkerData, FollowWorkerMessage } from './follow-worker.js';
import { beforeFirstProcess } from './spawn-watch.js';

export interface InProcessFollow {
  /**
   * The program's exit: every stream's bytes received so far go to `feed`,
   * the socket is removed; returns the pids of the processes whose streams
   * are still open.
   */
  end(): number[];
}

/** How long the exit waits for the worker's last answer (a worker that cannot answer: what came is kept). */
const LEFT_WAIT_MS = 5000;
/** How long the program's first process waits for the worker to listen (a worker that never does: its processes run untraced). */
const LISTEN_WAIT_MS = 30_000;

/** Node's own Worker: spawn-watch.ts replaces the module's export (and this module's import of it) with a watched one. */
const NodeWorker = Worker;

/**
 * Puts the socket's path and token, and `childEnv` (NODE_OPTIONS with the
 * preload, the preload's settings), into process.env, so that the
 * program's children, and theirs, report to it; the worker that serves it
 * starts before the program's first process. Each stream's bytes go to
 * `feed` (ids 0, 1, ... as accepted), `refused` says why a connection was
 * closed, `failed` why the socket could not be served (the program's
 * processes then run untraced). Throws RpcTraceError (spawn_failed) if
 * there can be no socket (no directory for it, too long a path).
 */
export async function followInProcess(
  workerUrl: URL,
  feed: (id: number, pid: number, bytes: Uint8Array) => void,
  refused: (why: string) => void,
  failed: (why: string) => void,
  childEnv: Record<string, string>,
): Promise<InProcessFollow> {
  const place = await followPlace();
  Object.assign(process.env, childEnv, { [TRACE_SOCKET_ENV]: place.path, [TRACE_TOKEN_ENV]: place.token });

  let worker: Worker | null = null;
  const { port1, port2 } = new MessageChannel();
  const done = new Int32Array(new SharedArrayBuffer(8));
  let running: number[] | null = null;
  let ended = false;
  let stopped = false;
  const take = (m: FollowWorkerMessage): void => {
    if (m.t === 'data') feed(m.id, m.pid, m.bytes);
    else if (m.t === 'refused') refused(m.why);
    else if (m.t === 'left') running = m.running;
    else if (m.t === 'ended') {
      ended = true;
      worker?.unref();
      port1.unref();
    }
  };
  /** Starts the worker and waits until it listens (the process about to be made connects at once). */
  const start = (): void => {
    // The program's loop has ended (its 'beforeExit'): no new processes are taken, as before the socket was served.
    if (stopped) return;
    const data: FollowWorkerData = { port: port2, done, place };
    const w = new NodeWorker(workerUrl, { workerData: data, transferList: [port2], env: process.env, stdout: false, stderr: false });
    worker = w;
    Atomics.wait(done, 1, 0, LISTEN_WAIT_MS);
    if (Atomics.load(done, 1) !== 1) {
      // What the worker said (a 'refused' with why), or nothing: it never listened.
      const m = receiveMessageOnPort(port1)?.message as FollowWorkerMessage | undefined;
      failed(m?.t === 'refused' ? m.why : 'the socket\'s worker did not start');
      ended = true;
      w.unref();
      void w.terminate();
      rmSync(place.dir, { recursive: true, force: true });
      return;
    }
    port1.on('message', take);
    w.unref();
    port1.unref();
    // A worker gone (it cannot be, short of a bug): the exit does not wait for its answer.
    w.once('exit', () => (ended = true));
  };
  beforeFirstProcess(start);

  // The program's loop has ended: hold it for the streams still open (the program's own 'beforeExit' listeners, after this one, may start more work: hold is once).
  process.on('beforeExit', () => {
    if (stopped) return;
    stopped = true;
    if (worker === null || ended) return;
    worker.ref();
    port1.ref();
    worker.postMessage('stop');
  });
  return {
    end: () => {
      if (worker === null) {
        // No process was made: no socket, only its directory.
        rmSync(place.dir, { recursive: true, force: true });
        return [];
      }
      if (!ended) {
        worker.postMessage('left');
        Atomics.wait(done, 0, 0, LEFT_WAIT_MS);
      }
      // Everything still queued, in order, up to the 'left' answer.
      for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) take(m.message as FollowWorkerMessage);
      return running ?? [];
    },
  };
}
