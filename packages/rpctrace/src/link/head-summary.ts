/**
 * Link mode's -c from message heads alone (message-heads.ts): the table
 * the lines' path gives (crossingEvents into a summary-only TraceSession),
 * counted by the lean SummaryCounter the traced program's -c uses
 * (summary-count.ts), fed what it reads of a message: its header and a
 * reply's RetCode. A crossing is still one send (at the sending node) and
 * one receive (at the receiving node) with the same identities named once
 * (link-events.ts); here each event's header is written, in the sender's
 * ABI (mach-abi.md §2: x86_64 32 bytes, i386 24; a RetCode as mach-msg
 * encodes a MIG reply's first item, §6), into one scratch buffer the
 * counter reads at its fixed places, instead of a MachMessage built from
 * the whole decoded body. test/link-head-summary.test.ts checks the tables
 * are the same on recorded links.
 */
import { MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE, type Abi } from 'mach-msg';
import { callFilterOf } from '../filter.js';
import type { RoutineStats } from '../records.js';
import type { TraceOptions } from '../session.js';
import { SummaryCounter } from '../summary-count.js';
import type { RpcTracerOptions } from '../tracer.js';
import type { IdentityNames } from './link-events.js';
import type { MessageHead } from './message-heads.js';

const MACH_PORT_DEAD = 0xffffffff;
const REPLY_SEND = 2;
const REPLY_SEND_ONCE = 3;

export interface HeadEnds {
  fromNode: number;
  fromAbi: Abi;
  toNode: number;
}

export class LinkHeadSummary {
  readonly #counter: SummaryCounter;
  readonly #names: IdentityNames;
  /** One header (and RetCode) at a time, for the counter to read. */
  readonly #buf = new Uint8Array(48);
  readonly #view = new DataView(this.#buf.buffer);
  #time = 0;
  readonly #clock = (): number => this.#time;

  constructor(options: Pick<TraceOptions, 'filter' | 'interfaces' | 'catalog'>, names: IdentityNames) {
    // summary-tap.ts's summaryTracerOptions, from the session's options.
    const o: RpcTracerOptions = { args: false, records: false, messages: false };
    const filter = callFilterOf(options.filter);
    if (filter !== undefined) o.filter = filter;
    if (options.interfaces !== undefined) o.interfaces = options.interfaces;
    if (options.catalog !== undefined) o.catalog = options.catalog;
    this.#counter = new SummaryCounter(o);
    this.#names = names;
  }

  /** One message that crossed from `ends.fromNode` to `ends.toNode` at `time`: its send, then its receive. */
  crossing(ends: HeadEnds, head: MessageHead, time: number): void {
    const names = this.#names;
    const dest = names.nameOf(head.destNode, head.destSerial);
    const tag = head.replyTag;
    const reply = tag === REPLY_SEND || tag === REPLY_SEND_ONCE ? names.nameOf(head.replyNode, head.replySerial) : tag === 1 ? MACH_PORT_DEAD : 0;
    // fromWireMessage's dispositions: the destination copied (send) or moved (send-once), the reply moved.
    const destBits = head.destOnce ? MACH_MSG_TYPE_MOVE_SEND_ONCE : MACH_MSG_TYPE_COPY_SEND;
    const replyBits = reply === 0 ? 0 : tag === REPLY_SEND ? MACH_MSG_TYPE_MOVE_SEND : MACH_MSG_TYPE_MOVE_SEND_ONCE;
    this.#time = time;
    const abi = ends.fromAbi;
    // As the sender passed it (remote: the destination, local: the reply right)...
    let n = this.#write(abi, destBits, replyBits, dest, reply, head);
    this.#counter.count(true, ends.fromNode, dest, head.msgId, this.#buf.subarray(0, n), abi, this.#clock, undefined, undefined, undefined);
    // ...and as the receiver got it (Mach's copyout swaps the header ports).
    n = this.#write(abi, replyBits, destBits, reply, dest, head);
    this.#counter.count(false, ends.toNode, dest, head.msgId, this.#buf.subarray(0, n), abi, this.#clock, undefined, undefined, undefined);
  }

  summary(): RoutineStats[] {
    return this.#counter.summary();
  }

  /** The header (and a RetCode item) in `abi`'s layout; returns its size. */
  #write(abi: Abi, remoteBits: number, localBits: number, remote: number, local: number, head: MessageHead): number {
    const v = this.#view;
    const x64 = abi === 'x86_64';
    const hsize = x64 ? 32 : 24;
    const size = head.firstInt === null ? hsize : hsize + (x64 ? 12 : 8);
    v.setUint32(0, remoteBits | (localBits << 8), true);
    v.setUint32(4, size, true);
    if (x64) {
      // 64-bit names, little-endian: the 32-bit name and a zero high word.
      v.setUint32(8, remote, true);
      v.setUint32(12, 0, true);
      v.setUint32(16, local, true);
      v.setUint32(20, 0, true);
      v.setUint32(24, 0, true);
      v.setInt32(28, head.msgId, true);
    } else {
      v.setUint32(8, remote, true);
      v.setUint32(12, local, true);
      v.setUint32(16, 0, true);
      v.setInt32(20, head.msgId, true);
    }
    if (head.firstInt !== null) {
      // mach_msg_type_t INTEGER_32, 32 bits, 1 element, inline, short form (x86_64: the count in a word of its own).
      if (x64) {
        v.setUint32(hsize, 0x20002002, true);
        v.setUint32(hsize + 4, 1, true);
        v.setInt32(hsize + 8, head.firstInt, true);
      } else {
        v.setUint32(hsize, 0x10012002, true);
        v.setInt32(hsize + 4, head.firstInt, true);
      }
    }
    return size;
  }
}
