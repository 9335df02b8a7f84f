/**
 * traceKernel({ worker: true }): the program's thread only captures. Each
 * observed message is written as a trace-pipe record (wire.ts: the same
 * bytes the command's tap writes) into a batch; a full batch (and the
 * partial one, once per turn of the event loop) is handed to a worker
 * thread, without a copy (its buffer is transferred), and the worker
 * decodes, pairs and renders (TraceSession) and sends the text back, which
 * the program's thread writes when its event loop next turns. With two
 * CPUs the decoding runs beside the program.
 *
 * stop() and summary() stay synchronous: they hand over the last batch,
 * wait for the worker's answer (Atomics.wait on a shared flag) and take
 * every text message that came before it, in order (receiveMessageOnPort),
 * so stop() has written the whole trace when it returns, as without a
 * worker. At the program's exit ('exit' event) the text so far is written
 * the same way if stop() was not called.
 *
 * The worker is this same module, loaded again (the bundle's own file, so
 * it needs the built package: dist/index.js or index.cjs); its options are
 * cloned, so the options that are functions or class instances
 * (`interfaces`, `catalog`, `portName`) are refused with it.
 */
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { MachKernel } from 'hurd-ffi';
import { RpcTraceError } from './errors.js';
import type { RoutineStats } from './records.js';
import { TraceSession, type TraceOptions } from './session.js';
import { WIRE_HEADER_BYTES, observedSize, taskNameBytes, writeObserved } from './wire.js';
import { fillWireEvent, newWireTarget } from './wire-reader.js';

const WORKER_KEY = 'hurd-rpctrace.trace-kernel-worker';
const BATCH = 256 * 1024;
/** How long stop() and summary() wait for the worker before giving up on it (it died). */
const SYNC_TIMEOUT_MS = 60_000;

type ToWorker = { type: 'records'; buf: ArrayBuffer; used: number } | { type: 'stop' | 'summary' | 'drain' };
type FromWorker =
  | { type: 'text'; text: string }
  | { type: 'stop'; text: string; summary: RoutineStats[] }
  | { type: 'summary'; summary: RoutineStats[] }
  | { type: 'drain' };

interface WorkerData {
  [WORKER_KEY]: true;
  options: TraceOptions;
  port: MessagePort;
  flag: Int32Array;
}

/** The file this code runs from: the worker loads it again. */
function selfFile(): string | null {
  // In the CommonJS build import.meta is empty; there __filename is this bundle.
  if (typeof __filename === 'string') return __filename;
  const url = (import.meta as { url?: string }).url;
  return url === undefined ? null : fileURLToPath(url);
}

export interface WorkerTrace {
  stop(): void;
  summary(): RoutineStats[];
}

export function traceKernelOnWorker(kernel: MachKernel, options: TraceOptions, write: (text: string) => void, now: () => number): WorkerTrace {
  for (const k of ['interfaces', 'catalog', 'portName'] as const) {
    if (options[k] !== undefined) throw new RpcTraceError('invalid_option', `worker: the option '${k}' cannot go to a worker thread (trace without worker)`);
  }
  const file = selfFile();
  if (file === null || !/\.(c|m)?js$/.test(file)) throw new RpcTraceError('invalid_option', 'worker: needs the built package (dist), not its TypeScript sources');
  // Checks the options here, on the program's thread, as traceKernel without a worker does.
  new TraceSession(options);
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const data: WorkerData = { [WORKER_KEY]: true, options, port: port2, flag };
  const worker = new Worker(file, { workerData: data, transferList: [port2] });
  worker.unref();
  let dead: string | null = null;
  worker.on('error', (e) => (dead = e.message));
  port1.on('message', (m: FromWorker) => {
    if (m.type === 'text') write(m.text);
  });
  port1.unref();

  let buf = new Uint8Array(BATCH);
  let used = 0;
  let scheduled = false;
  const post = (): void => {
    scheduled = false;
    if (used === 0) return;
    const m: ToWorker = { type: 'records', buf: buf.buffer as ArrayBuffer, used };
    port1.postMessage(m, [buf.buffer as ArrayBuffer]);
    buf = new Uint8Array(BATCH);
    used = 0;
  };
  /** Asks the worker `type` after every batch; writes the text before the answer; returns the answer. */
  const sync = <T extends FromWorker['type']>(type: T & ToWorker['type']): Extract<FromWorker, { type: T }> | null => {
    post();
    Atomics.store(flag, 0, 0);
    port1.postMessage({ type } satisfies ToWorker);
    for (;;) {
      const got = receiveMessageOnPort(port1) as { message: FromWorker } | undefined;
      if (got === undefined) {
        if (dead !== null || Atomics.wait(flag, 0, 0, SYNC_TIMEOUT_MS) === 'timed-out') {
          write(`hurd-rpctrace: the trace's worker thread stopped answering${dead === null ? '' : `: ${dead}`}\n`);
          return null;
        }
        Atomics.store(flag, 0, 0);
        continue;
      }
      const m = got.message;
      if (m.type === 'text') write(m.text);
      else if (m.type === type) return m as Extract<FromWorker, { type: T }>;
    }
  };

  const named = new Set<number>();
  const remove = kernel.observe((e) => {
    let name: Uint8Array | null = null;
    if (e.taskName !== undefined && !named.has(e.task)) {
      named.add(e.task);
      name = taskNameBytes(e.taskName);
    }
    const size = observedSize(e, name);
    if (used + size > buf.length) {
      post();
      if (size > buf.length) buf = new Uint8Array(size);
    }
    used = writeObserved(1, e, now(), name, buf, used);
    if (!scheduled) {
      scheduled = true;
      setImmediate(post).unref();
    }
  });
  const onExit = (): void => void sync('drain');
  process.on('exit', onExit);
  let stopped = false;
  let last: RoutineStats[] = [];
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      remove();
      process.off('exit', onExit);
      const m = sync('stop');
      if (m !== null && m.text !== '') write(m.text);
      if (m !== null) last = m.summary;
      port1.close();
      void worker.terminate();
    },
    summary() {
      if (stopped) return last;
      return sync('summary')?.summary ?? [];
    },
  };
}

/** The worker's side: records in, text out. */
function runWorker(d: WorkerData): void {
  const session = new TraceSession(d.options);
  const ev = newWireTarget();
  const port = d.port;
  const answer = (m: FromWorker): void => {
    port.postMessage(m);
    Atomics.store(d.flag, 0, 1);
    Atomics.notify(d.flag, 0);
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'records') {
      const bytes = new Uint8Array(m.buf, 0, m.used);
      const view = new DataView(m.buf);
      let text = '';
      for (let at = 0; at < m.used; ) {
        const size = view.getUint32(at, true);
        // Our own writer's records: a bad length would be a bug here, not the program's; stop the batch.
        if (size < WIRE_HEADER_BYTES || at + size > m.used) break;
        const rec = at;
        at += size;
        try {
          // In place, into one refilled event (the session keeps none of it).
          fillWireEvent(bytes, rec, size, view, 0, ev);
          text += session.feed(ev);
        } catch (err) {
          // As traceKernel without a worker: a tracer fault is a line, never the program's fault.
          text += `hurd-rpctrace: cannot trace message ${view.getInt32(rec + 20, true)} of task ${view.getUint32(rec + 12, true)}: ${err instanceof Error ? err.message : String(err)}\n`;
        }
      }
      if (text !== '') port.postMessage({ type: 'text', text } satisfies FromWorker);
    } else if (m.type === 'stop') {
      const text = session.finish();
      answer({ type: 'stop', text, summary: session.summary() });
      port.close();
    } else if (m.type === 'summary') answer({ type: 'summary', summary: session.summary() });
    else answer({ type: 'drain' });
  });
}

if (!isMainThread && (workerData as Partial<WorkerData> | null)?.[WORKER_KEY] === true) runWorker(workerData as WorkerData);
