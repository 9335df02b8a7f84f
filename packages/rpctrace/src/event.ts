/** hurd-ffi's observer event as the tracer's input. */
import type { MsgEvent } from 'hurd-ffi';
import type { TraceEvent } from './records.js';

/** The tracer's event for an observer event seen at `time` (ms); the optional fields are copied when set. */
export function traceEventOf(e: MsgEvent, time: number): TraceEvent {
  const ev: TraceEvent = { direction: e.phase, task: e.task, port: e.port, msgId: e.msgId, bytes: e.bytes, abi: e.abi, time };
  if (e.kr !== undefined) ev.kr = e.kr;
  if (e.replyPort !== undefined && e.replyPort !== 0) ev.replyPort = e.replyPort;
  if (e.taskName !== undefined) ev.taskName = e.taskName;
  if (e.destroyed !== undefined) ev.destroyed = e.destroyed;
  if (e.rcvName !== undefined) ev.rcvName = e.rcvName;
  return ev;
}
