/**
 * -f in the in-process mode (cli/in-process.ts): the program's own tasks
 * are traced in this process; its children, which get the preload in
 * NODE_OPTIONS as in the child mode, report to the -f socket, served by a
 * worker thread (cli/follow-worker.ts: the program's thread may block for
 * a child's whole life in spawnSync). The worker is unref'd: it never
 * keeps the program alive on its own.
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
import { receiveMessageOnPort, MessageChannel, Worker } from 'node:worker_threads';
import { RpcTraceError } from '../errors.js';
import type { FollowWorkerData, FollowWorkerMessage } from './follow-worker.js';

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

/**
 * Starts the worker: each stream's bytes go to `feed` (ids 0, 1, ... as
 * accepted), `refused` says why a connection was closed. `childEnv`
 * (NODE_OPTIONS with the preload, the preload's settings) and the socket's
 * path and token go into process.env, so that the program's children, and
 * theirs, report to it.
 */
export async function followInProcess(
  workerUrl: URL,
  feed: (id: number, pid: number, bytes: Uint8Array) => void,
  refused: (why: string) => void,
  childEnv: Record<string, string>,
): Promise<InProcessFollow> {
  const { port1, port2 } = new MessageChannel();
  const done = new Int32Array(new SharedArrayBuffer(4));
  const data: FollowWorkerData = { port: port2, done };
  const worker = new Worker(workerUrl, { workerData: data, transferList: [port2], env: process.env, stdout: false, stderr: false });
  let running: number[] | null = null;
  let ended = false;
  const take = (m: FollowWorkerMessage): void => {
    if (m.t === 'data') feed(m.id, m.pid, m.bytes);
    else if (m.t === 'refused') refused(m.why);
    else if (m.t === 'left') running = m.running;
    else if (m.t === 'ended') {
      ended = true;
      worker.unref();
      port1.unref();
    }
  };
  const env = await new Promise<Record<string, string>>((resolve, reject) => {
    const first = (m: FollowWorkerMessage): void => {
      if (m.t === 'env') {
        port1.on('message', take);
        resolve(m.env);
      } else reject(new RpcTraceError('spawn_failed', `cannot listen for -f: ${m.t === 'refused' ? m.why : m.t}`));
    };
    port1.once('message', first);
    worker.once('error', (e) => reject(new RpcTraceError('spawn_failed', `cannot listen for -f: ${e.message}`)));
  });
  worker.unref();
  port1.unref();
  // A worker gone (it cannot be, short of a bug): the exit does not wait for its answer.
  worker.once('exit', () => (ended = true));
  Object.assign(process.env, childEnv, env);

  let stopped = false;
  // The program's loop has ended: hold it for the streams still open (the program's own 'beforeExit' listeners, after this one, may start more work: hold is once).
  process.on('beforeExit', () => {
    if (stopped) return;
    stopped = true;
    worker.ref();
    port1.ref();
    worker.postMessage('stop');
  });
  return {
    end: () => {
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
