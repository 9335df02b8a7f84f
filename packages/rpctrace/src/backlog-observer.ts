/**
 * The observer that turns a kernel's messages into trace records in a
 * backlog, shared by the preload's tap (tap.ts) and `-p`'s agent
 * (attach/agent.ts). It runs inside the kernel's send and receive paths, so
 * it only copies: each record is written straight from hurd-ffi's event
 * into the backlog's batch (wire.ts), no object per message.
 */
import type { MsgObserver } from 'hurd-ffi';
import { DEFAULT_BACKLOG, type TraceBacklog } from './trace-backlog.js';
import { TRACE_BACKLOG_ENV, TRACE_EAGER_ENV, observedSize, taskNameBytes, writeObserved } from './wire.js';

/** HURD_RPCTRACE_BACKLOG: the queue's bound in bytes (default 64 MiB). */
export function backlogLimit(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[TRACE_BACKLOG_ENV] ?? '');
  return env[TRACE_BACKLOG_ENV] !== undefined && Number.isSafeInteger(v) && v >= 0 ? v : DEFAULT_BACKLOG;
}

/** HURD_RPCTRACE_EAGER: `1` full batches leave at once, `0` they wait for the event loop; else at once with more than one CPU. */
export function batchesEager(cpus: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[TRACE_EAGER_ENV];
  return v === '1' ? true : v === '0' ? false : cpus > 1;
}

/**
 * With a coarse clock, the clock is read again after this many messages (and
 * at the first message after each flush of the backlog).
 */
export const COARSE_CLOCK_EVERY = 256;

/**
 * An observer writing kernel number `kernel`'s messages into `b`, calling
 * `written` after each (the caller schedules the batch's flush). A task's
 * name crosses once: the tracer remembers it. `clock` (tests: a virtual
 * clock) replaces the time origin plus performance.now().
 *
 * `coarse`: the trace shows no time (hurd-rpctrace without -T, -t, -r,
 * --json, --pcap or a -c counted from records: TRACE_CLOCK_ENV), so each
 * record's time need not be its own: the clock is read at the first message
 * after each flush of the backlog (an event-loop turn, or a batch written
 * when full) and then every COARSE_CLOCK_EVERY messages, and the records in
 * between carry the last reading. In a storm performance.now() was about a
 * third of the observer's own instructions (four per RPC); the records stay
 * valid (a finite time, never decreasing) and the lines identical.
 */
export function backlogObserver(b: TraceBacklog, kernel: number, written: () => void, clock?: () => number, coarse = false): MsgObserver {
  // Tasks whose name was sent, by task id (small integers): an element load per message, where a Set's lookup was a hash probe.
  const named: (true | undefined)[] = [];
  // Read once: performance.timeOrigin is a getter costing about as much as performance.now() itself.
  const origin = performance.timeOrigin;
  // The object itself, kept: the global \`performance\` is a lazy getter in Node 20, and reading it
  // per call made a clock read about 410 instructions instead of 210 (cachegrind, 1M calls).
  const perf = performance;
  const now = clock ?? (() => origin + perf.now());
  // The coarse clock's last reading, how many more messages may carry it, and the flush it was read after.
  let time = 0;
  let left = 0;
  let flushes = -1;
  return (e) => {
    if (b.broken) return;
    let name: Uint8Array | null = null;
    if (e.taskName !== undefined && named[e.task] !== true) {
      named[e.task] = true;
      name = taskNameBytes(e.taskName);
    }
    const at = b.reserve(observedSize(e, name));
    if (!coarse) time = now();
    else if (--left < 0 || flushes !== b.flushes) {
      time = now();
      left = COARSE_CLOCK_EVERY - 1;
      flushes = b.flushes;
    }
    b.used = writeObserved(kernel, e, time, name, b.buf, at);
    written();
  };
}
