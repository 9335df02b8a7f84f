/**
 * -f in the in-process mode: the -f socket (follow.ts) served on a worker
 * thread of its own, not on the program's event loop, which may be blocked
 * for as long as a child runs (spawnSync, execSync: the child's hello would
 * wait unanswered for the whole of its life). The worker accepts, checks
 * each hello and reads every stream whatever the program's thread does;
 * the bytes go to the main thread over `port` (cli/in-process-follow.ts),
 * in order, to be decoded there when the program's loop turns, or, at the
 * program's exit, taken synchronously (receiveMessageOnPort).
 *
 * Started when the program first makes a process (cli/in-process-follow.ts),
 * on the socket and token already in the program's environment (`place`):
 * `done[1]` is set (and woken) once it listens, 1, or could not, 2 (why:
 * a 'refused' message), since the main thread waits for it before the
 * process it makes can connect.
 *
 * From the main thread: 'stop' (the program's loop has ended: no new
 * processes, as the child mode stops taking them once the program has
 * exited; 'ended' once every stream has), 'left' (the program is exiting:
 * what the open streams hold now, then the pids still running, then
 * `done` is set and woken).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { FollowPlace } from './follow-place.js';
import { startFollowServer } from './follow.js';

/** What the worker sends on its port. */
export type FollowWorkerMessage =
  | { t: 'data'; id: number; pid: number; bytes: Uint8Array }
  | { t: 'refused'; why: string }
  | { t: 'ended' }
  | { t: 'left'; running: number[] };

export interface FollowWorkerData {
  port: MessagePort;
  /** [0]: set to 1 (and woken) once the 'left' answer is on the port; [1]: 1 listening, 2 failed. */
  done: Int32Array;
  /** The socket's path and token, in the program's environment already. */
  place: FollowPlace;
}

const { port, done, place } = workerData as FollowWorkerData;
const send = (m: FollowWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
const listening = (state: 1 | 2): void => {
  Atomics.store(done, 1, state);
  Atomics.notify(done, 1);
};

try {
  const server = await startFollowServer({
    // A copy of its own, moved (not copied again) to the main thread.
    data: (id, pid, bytes) => {
      const copy = new Uint8Array(bytes);
      send({ t: 'data', id, pid, bytes: copy }, [copy.buffer]);
    },
    refused: (why) => send({ t: 'refused', why }),
    ended: () => send({ t: 'ended' }),
  }, place);
  listening(1);
  parentPort?.on('message', (m: 'stop' | 'left') => {
    if (m === 'stop') server.stop();
    else {
      const running = server.readLeft();
      server.dispose();
      send({ t: 'left', running });
      Atomics.store(done, 0, 1);
      Atomics.notify(done, 0);
    }
  });
} catch (e) {
  send({ t: 'refused', why: e instanceof Error ? e.message : String(e) });
  listening(2);
  process.exit(1);
}
