/** traceKernel: trace every RPC of a kernel's tasks through its observer hook. */
import type { MachKernel } from 'hurd-ffi';
import { RpcTraceError } from './errors.js';
import { callFilterOf } from './filter.js';
import type { RoutineStats, TraceEvent } from './records.js';
import { TraceSession, type TraceOptions } from './session.js';
import { SummaryCounter } from './summary-count.js';
import { formatSummary } from './summary-table.js';
import { traceKernelOnWorker } from './trace-worker.js';

export interface TraceKernelOptions extends TraceOptions {
  /** Where the text goes (default: process.stderr, like strace). */
  write?: (text: string) => void;
  /** Milliseconds for each event (default Date.now); inject a virtual clock for reproducible traces. */
  now?: () => number;
  /**
   * Decode and render on a worker thread (trace-worker.ts): the program's
   * thread only copies each message into a batch. The text is the same;
   * `write` gets it when the program's event loop turns (and all of it by
   * stop()). Needs the built package; not with `interfaces`, `catalog` or
   * `portName` (they cannot be sent to a thread).
   */
  worker?: boolean;
}

export interface KernelTrace {
  /** Stops observing; writes what is left (the held call, the -c table). */
  stop(): void;
  /** Per-routine counts and times so far. */
  summary(): RoutineStats[];
}

export function traceKernel(kernel: MachKernel, options: TraceKernelOptions = {}): KernelTrace {
  const write = options.write ?? ((t: string) => void process.stderr.write(t));
  const now = options.now ?? Date.now;
  if (options.worker === true) {
    const { write: _w, now: _n, worker: _k, ...rest } = options;
    return traceKernelOnWorker(kernel, rest, write, now);
  }
  if (options.summary === true) return summaryOnly(kernel, options, write, now);
  const session = new TraceSession(options);
  // One event, refilled per message: the session reads it within feed() and
  // keeps none of it (a call copies what it needs), so a storm allocates no
  // event of its own; every field is always set, so the tracer sees one shape.
  const ev: TraceEvent = { direction: 'send', task: 0, port: 0, msgId: 0, bytes: null, abi: null, time: 0, kr: undefined, replyPort: undefined, taskName: undefined, destroyed: undefined, rcvName: undefined };
  const remove = kernel.observe((e) => {
    // The observer runs inside the kernel's send and receive paths: a tracer
    // fault must never become the traced program's fault.
    let text: string;
    try {
      ev.direction = e.phase;
      ev.task = e.task;
      ev.port = e.port;
      ev.msgId = e.msgId;
      ev.bytes = e.bytes;
      ev.abi = e.abi;
      ev.time = now();
      // As traceEventOf: a replyPort of 0 is none.
      ev.kr = e.kr;
      ev.replyPort = e.replyPort === 0 ? undefined : e.replyPort;
      ev.taskName = e.taskName;
      ev.destroyed = e.destroyed;
      ev.rcvName = e.rcvName;
      text = session.feed(ev);
    } catch (err) {
      text = cannotTrace(e, err);
    }
    if (text !== '') write(text);
  });
  return stopOnce(remove, () => {
    const text = session.finish();
    if (text !== '') write(text);
  }, () => session.summary());
}

/**
 * -c in-process: the table TraceSession({ summary: true }) prints at the
 * end (it prints nothing before), counted by SummaryCounter (the same table,
 * without the records and event objects: summary-count.ts). Each event is
 * given as TraceSession.feed would be given it here, its time read at once
 * and checked as the tracer checks it, so that a fault (a clock that gives
 * no number) writes the same line per message as the session path.
 */
function summaryOnly(kernel: MachKernel, options: TraceKernelOptions, write: (text: string) => void, now: () => number): KernelTrace {
  const filter = callFilterOf(options.filter);
  const counter = new SummaryCounter({
    ...(filter === undefined ? {} : { filter }),
    ...(options.interfaces === undefined ? {} : { interfaces: options.interfaces }),
    ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
  });
  // The message's time, read once per message (before the counter runs) and given back to it.
  let time = 0;
  const clock = (): number => time;
  const remove = kernel.observe((e) => {
    try {
      time = now();
      const phase = e.phase as string;
      if (phase !== 'send' && phase !== 'receive') throw new RpcTraceError('invalid_event', `event direction must be 'send' or 'receive', got ${String(phase)}`);
      if (!Number.isFinite(time)) throw new RpcTraceError('invalid_event', `event time must be a finite number, got ${String(time)}`);
      // As traceKernel's session path: a replyPort of 0 is none.
      counter.count(phase === 'send', e.task, e.port, e.msgId, e.bytes, e.abi, clock, e.kr, e.replyPort === 0 ? undefined : e.replyPort, e.destroyed);
    } catch (err) {
      write(cannotTrace(e, err));
    }
  });
  return stopOnce(remove, () => write(formatSummary(counter.summary())), () => counter.summary());
}

/** The line for a message the tracer could not take (the trace goes on). */
function cannotTrace(e: { msgId: number; task: unknown }, err: unknown): string {
  return `hurd-rpctrace: cannot trace message ${e.msgId} of task ${String(e.task)}: ${err instanceof Error ? err.message : String(err)}\n`;
}

/** A KernelTrace whose first stop() stops observing (`remove`) and writes what is left (`last`); later ones do nothing. */
function stopOnce(remove: () => void, last: () => void, summary: () => RoutineStats[]): KernelTrace {
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      remove();
      last();
    },
    summary,
  };
}
