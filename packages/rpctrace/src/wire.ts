/**
 * The line protocol between a traced program (the preload's tap) and the
 * hurd-rpctrace process: one JSON object per observed message, on a pipe
 * the parent opens as the child's file descriptor (HURD_RPCTRACE_FD).
 * Writes are synchronous, so nothing is lost when the program exits.
 */
import type { Abi } from 'mach-msg';
import { RpcTraceError } from './errors.js';
import type { TraceEvent } from './records.js';

export const TRACE_FD_ENV = 'HURD_RPCTRACE_FD';
/** Where the preload leaves the descriptor for the tap (same thread, no environment). */
export const TRACE_FD_GLOBAL: unique symbol = Symbol.for('hurd-rpctrace.fd');

/** One line: k = kernel number in the program (1, 2, ...), the event, bytes in base64. */
export interface WireEvent {
  k: number;
  d: 's' | 'r';
  t: number;
  p: number;
  m: number;
  a: Abi | null;
  b: string | null;
  ts: number;
}

export function encodeWireEvent(kernel: number, ev: TraceEvent): string {
  const w: WireEvent = {
    k: kernel,
    d: ev.direction === 'send' ? 's' : 'r',
    t: ev.task,
    p: ev.port,
    m: ev.msgId,
    a: ev.abi,
    b: ev.bytes === null ? null : Buffer.from(ev.bytes.buffer, ev.bytes.byteOffset, ev.bytes.byteLength).toString('base64'),
    ts: ev.time,
  };
  return JSON.stringify(w) + '\n';
}

export function decodeWireEvent(line: string): { kernel: number; event: TraceEvent } {
  let w: WireEvent;
  try {
    w = JSON.parse(line) as WireEvent;
  } catch {
    throw new RpcTraceError('invalid_event', `bad trace line from the traced program: ${line.slice(0, 80)}`);
  }
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (
    typeof w !== 'object' || w === null || !num(w.k) || (w.d !== 's' && w.d !== 'r') || !num(w.t) || !num(w.p) || !num(w.m) || !num(w.ts) ||
    (w.a !== null && w.a !== 'i386' && w.a !== 'x86_64') || (w.b !== null && typeof w.b !== 'string')
  ) {
    throw new RpcTraceError('invalid_event', `bad trace line from the traced program: ${line.slice(0, 80)}`);
  }
  return {
    kernel: w.k,
    event: {
      direction: w.d === 's' ? 'send' : 'receive',
      task: w.t,
      port: w.p,
      msgId: w.m,
      abi: w.a,
      bytes: w.b === null ? null : new Uint8Array(Buffer.from(w.b, 'base64')),
      time: w.ts,
    },
  };
}
