/** hurd-rpctrace: an strace for Mach RPCs. */
export { RpcTracer, RECEIVE_ROUTINE, type RpcTracerOptions } from './tracer.js';
export { TraceSession, type TraceOptions } from './session.js';
export { traceEventOf } from './event.js';
export { encodeWireEvent, writeWireEvent, wireEventSize, TRACE_FD_ENV, TRACE_FD_GLOBAL, WIRE_HEADER_BYTES, WIRE_MAX_RECORD } from './wire.js';
export { decodeWireEvent, fillWireEvent, newWireTarget, WireEventReader } from './wire-reader.js';
export { traceKernel, type KernelTrace, type TraceKernelOptions } from './trace-kernel.js';
export { MessageDecoder, type DecodedMsg, type DecoderOptions } from './decoder.js';
export { parseFilter, selects, statusSelects, inClass, TRACE_ALL, TRACE_CLASSES, type CallFilter, type StatusFilter, type TraceClass } from './filter.js';
export { LineRenderer, messageJson, formatSummary, taskLabel, DEFAULT_STRSIZE, type RenderOptions, type TimeStyle } from './render.js';
export { codeName } from './errno.js';
export { formatValue, valueToJson, quoteBytes, rightWord, type Json, type ValueContext } from './values.js';
export { loadUserDefs, type UserDefs } from './user-defs.js';
export { RpcTraceError, isRpcTraceError, type RpcTraceErrorCode } from './errors.js';
export type { Call, Destroyed, LinkEnds, LoneMessage, MessageRecord, ReplyInfo, RoutineStats, TraceEvent, TraceRecord } from './records.js';
export { traceLink, type LinkTrace, type TraceLinkOptions, type HostPort, type LinkFrameRecord } from './link/trace-link.js';
export { LinkSplice, type Side, type SpliceAction, type SpliceConfig } from './link/splice.js';
export { IdentityNames, crossingEvents, type LinkCrossing } from './link/link-events.js';
export { pcapngStart, pcapngPacket, framePacket, messagePacket, LINKTYPE_USER0, TRACE_HEADER_BYTES } from './pcap.js';
