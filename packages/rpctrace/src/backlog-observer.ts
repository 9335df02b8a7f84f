/**
 * The observer that turns a kernel's messages into trace records in a
 * backlog, shared by the preload's tap (tap.ts) and `-p`'s agent
 * (attach/agent.ts). It runs inside the kernel's send and receive paths, so
 * it only copies: each record is written straight from hurd-ffi's event
 * into the backlog's batch (wire.ts), no object per message.
 */
import type { MsgObserver } from 'hurd-ffi';
import { DEFAULT_BACKLOG, type TraceBacklog } from './trace-backlog.js';
import { TRACE_BACKLOG_ENV, observedSize, taskNameBytes, writeObserved } from './wire.js';

/** HURD_RPCTRACE_BACKLOG: the queue's bound in bytes (default 64 MiB). */
export function backlogLimit(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[TRACE_BACKLOG_ENV] ?? '');
  return env[TRACE_BACKLOG_ENV] !== undefined && Number.isSafeInteger(v) && v >= 0 ? v : DEFAULT_BACKLOG;
}

/**
 * An observer writing kernel number `kernel`'s messages into `b`, calling
 * `written` after each (the caller schedules the batch's flush). A task's
 * name crosses once: the tracer remembers it. `clock` (tests: a virtual
 * clock) replaces the time origin plus performance.now().
 */
export function backlogObserver(b: TraceBacklog, kernel: number, written: () => void, clock?: () => number): MsgObserver {
  const named = new Set<number>();
  // Read once: performance.timeOrigin is a getter costing about as much as performance.now() itself.
  const origin = performance.timeOrigin;
  const now = clock ?? (() => origin + performance.now());
  return (e) => {
    if (b.broken) return;
    let name: Uint8Array | null = null;
    if (e.taskName !== undefined && !named.has(e.task)) {
      named.add(e.task);
      name = taskNameBytes(e.taskName);
    }
    const at = b.reserve(observedSize(e, name));
    b.used = writeObserved(kernel, e, now(), name, b.buf, at);
    written();
  };
}
