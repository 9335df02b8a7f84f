/**
 * Random traces for the session's property tests: real io messages with
 * random header names, tasks, ports and reply ports, refused sends, failed
 * receives and destroyed messages, as TraceEvents.
 */
import fc from 'fast-check';
import { encodeMessage, getBuiltinInterface, type Abi } from 'mach-msg';
import type { TraceEvent } from '../../src/records.js';

export const abi: Abi = 'x86_64';
const io = getBuiltinInterface('io', abi);
export const MSGS: Uint8Array[] = [
  io.routine('io_readable').encodeRequest({ io_object: 0x70 }),
  io.routine('io_readable').encodeReply({ retCode: 0, amount: 12n }),
  io.routine('io_read').encodeRequest({ io_object: 5, offset: -1n, amount: 4096 }),
  io.routine('io_read').encodeReply({ retCode: 0, data: new TextEncoder().encode('hello\n') }),
  io.routine('io_read').encodeReply({ retCode: 1073741826 }),
].map((m) => encodeMessage(m, abi));

/** The fields of one random step, task names drawn from `names`; a test adds its own fields to the record. */
export function stepFields(names: readonly (string | undefined)[]) {
  return {
    msg: fc.nat(MSGS.length - 1),
    send: fc.boolean(),
    task: fc.integer({ min: 1, max: 3 }),
    port: fc.integer({ min: 5, max: 9 }),
    remote: fc.integer({ min: 0, max: 4 }),
    local: fc.integer({ min: 0, max: 4 }),
    replyPort: fc.constantFrom(0, 0, 8, 9),
    // 0: a plain message; 1: a refused send / failed receive; 2: destroyed unreceived
    odd: fc.constantFrom(0, 0, 0, 0, 1, 2),
    name: fc.constantFrom(...names),
  };
}

export interface Step {
  msg: number;
  send: boolean;
  task: number;
  port: number;
  remote: number;
  local: number;
  replyPort: number;
  odd: number;
  name: string | undefined;
}

/** Step `i` of a trace as the event the tap reports. */
export function eventOf(s: Step, i: number): TraceEvent {
  const bytes = (MSGS[s.msg] as Uint8Array).slice();
  const v = new DataView(bytes.buffer);
  v.setUint32(8, s.remote, true);
  v.setUint32(16, s.local, true);
  v.setUint32(24, i, true);
  const ev: TraceEvent = { direction: s.send ? 'send' : 'receive', task: s.task, port: s.port, msgId: v.getInt32(28, true), bytes, abi, time: 1000 + i * 0.25 };
  if (s.name !== undefined) ev.taskName = s.name;
  if (s.send && s.replyPort !== 0) ev.replyPort = s.replyPort;
  if (s.odd === 1) {
    ev.kr = s.send ? 0x10000003 : 0x10004003;
    if (!s.send) ev.rcvName = s.local;
  } else if (s.odd === 2) {
    ev.direction = 'receive';
    ev.task = 0;
    ev.bytes = null;
    ev.abi = null;
    ev.destroyed = 'port-died';
  }
  return ev;
}
