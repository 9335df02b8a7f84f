/**
 * The tracer's records of single messages: the `message` record --json
 * prints for every message, and the `lone` lines of messages outside any
 * traced request (a notification, a message the kernel destroyed
 * unreceived, a failed receive). Pure builders, out of tracer.ts so that
 * the tracer keeps the pairing (a file per concept, under 700 lines).
 * Their fields are in the order they always had: --json prints them so.
 */
import type { DecodedMsg } from './decoder.js';
import { RpcTraceError } from './errors.js';
import type { LoneMessage, MessageRecord, TraceEvent } from './records.js';

/** The routine name receive failures are filed under (for -e trace= and -c). */
export const RECEIVE_ROUTINE = 'mach_msg';

/** hurd-ffi's DestroyReason in words. */
export const DESTROY_WHY: { readonly [k: string]: string } = {
  'port-died': 'port died',
  'dead-destination': 'destination dead at send',
  circular: 'circular: carried its own receive right',
  'sender-terminated': 'sender terminated while blocked',
  'too-large': 'too large for the receive buffer',
};

/** RpcTracer.handleInto's error for an event it cannot take. */
export function invalidEvent(ev: TraceEvent): RpcTraceError {
  if (ev.direction !== 'send' && ev.direction !== 'receive') return new RpcTraceError('invalid_event', `event direction must be 'send' or 'receive', got ${String(ev.direction)}`);
  return new RpcTraceError('invalid_event', `event time must be a finite number, got ${String(ev.time)}`);
}

/** The `message` record of an event (--json): its callId and latency are filled by the tracer once known. */
export function messageRecord(ev: TraceEvent, d: DecodedMsg): MessageRecord {
  const h = d.message?.header;
  return {
    type: 'message',
    event: ev,
    routine: d.routine,
    subsystem: d.subsystem,
    kind: d.kind,
    // A link has no msgh_seqno: the receiving node's kernel assigns it.
    seqno: ev.direction === 'receive' && h !== undefined && ev.link === undefined ? h.seqno : null,
    remotePort: h?.remotePort ?? null,
    localPort: h?.localPort ?? null,
    callId: null,
    args: d.args,
    elementBytes: d.elementBytes,
    retCode: d.retCode,
    notification: d.notification,
    latency: null,
    note: d.note,
  };
}

/** A message the kernel destroyed unreceived that belongs to no traced call (`why` in words). */
export function destroyedLone(ev: TraceEvent, d: DecodedMsg, why: string): LoneMessage {
  return {
    direction: 'receive',
    time: ev.time,
    task: 0,
    port: ev.port,
    // The catalog names a reply by its routine: say it is the reply.
    routine: d.kind === 'reply' ? `${d.routine} reply` : d.routine,
    subsystem: d.subsystem,
    msgId: ev.msgId,
    seqno: null,
    args: null,
    elementBytes: d.elementBytes,
    retCode: null,
    notification: null,
    note: null,
    destroyed: why,
  };
}

/** A receive that failed with `kr` (`why`: the message it concerned was destroyed, in words). */
export function rcvFailedLone(ev: TraceEvent, d: DecodedMsg, kr: number, why: string | null): LoneMessage {
  return {
    direction: 'receive',
    time: ev.time,
    task: ev.task,
    port: ev.port,
    routine: RECEIVE_ROUTINE,
    subsystem: null,
    msgId: ev.msgId,
    seqno: null,
    args: null,
    elementBytes: d.elementBytes,
    retCode: kr,
    notification: null,
    // The message a MACH_RCV_TOO_LARGE concerned.
    note: ev.msgId === 0 ? null : why === null ? `${d.routine} left queued` : `${d.routine} destroyed`,
    rcvName: ev.rcvName ?? 0,
  };
}

/** Any other message outside a traced request (a notification, a stray reply, bytes that do not decode). */
export function loneOf(ev: TraceEvent, d: DecodedMsg): LoneMessage {
  const h = d.message?.header;
  return {
    direction: ev.direction,
    time: ev.time,
    task: ev.task,
    port: ev.port,
    routine: d.routine,
    subsystem: d.subsystem,
    msgId: ev.msgId,
    seqno: h?.seqno ?? null,
    args: d.args,
    elementBytes: d.elementBytes,
    retCode: d.retCode,
    notification: d.notification,
    note: d.note,
  };
}
