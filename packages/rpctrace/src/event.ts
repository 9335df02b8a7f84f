/** hurd-ffi's observer event as the tracer's input. */
import type { MsgEvent } from 'hurd-ffi';
import type { TraceEvent } from './records.js';

/** The tracer's event for an observer event seen at `time` (ms). */
export function traceEventOf(e: MsgEvent, time: number): TraceEvent {
  const ev: TraceEvent = { direction: e.phase, task: e.task, port: e.port, msgId: e.msgId, bytes: e.bytes, abi: e.abi, time };
  if (e.kr !== undefined) ev.kr = e.kr;
  return ev;
}
