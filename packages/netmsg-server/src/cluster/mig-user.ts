import {
  decodeMessage, encodeMessage, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_NOTIFY_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_IN_PROGRESS, MACH_RCV_INTERRUPTED, MACH_RCV_MSG, MACH_RCV_TIMED_OUT, MACH_RCV_TIMEOUT,
  MACH_SEND_MSG, type MachMessage,
} from 'mach-msg';
import type { MachKernel, MsgResult, TaskId } from 'hurd-ffi';
import { placeOol, RECEIVED, takeOol, unplaceOol } from './task-memory.js';

const hasOol = (msg: MachMessage): boolean => msg.items.some((it) => it.kind === 'ool');

/** How a call ended without a reply message. */
export type CallFailure =
  | { kind: 'timeout' }
  | { kind: 'interrupted' }
  /** The reply right was destroyed unused (MIG_SERVER_DIED): the server or the link went away. */
  | { kind: 'serverDied' };

export class CallFailed extends Error {
  constructor(readonly failure: CallFailure) {
    super(failure.kind);
  }
}

/** MIG's bare error reply: what a user stub returns when mach_msg itself fails. */
export function sendErrorReply(request: MachMessage, kr: number): MachMessage {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, kr, true);
  return {
    header: { bits: { remote: 0, local: 0, complex: false, other: 0 }, remotePort: 0, localPort: 0, seqno: 0, id: request.header.id + 100 },
    items: [{ kind: 'data', type: { name: MACH_MSG_TYPE_INTEGER_32, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data }],
  };
}

/**
 * A task acting as a MIG user: each call allocates a reply port, sends the
 * request with COPY_SEND to the destination and MAKE_SEND_ONCE of the reply
 * port (mach_msg SEND|RCV, as a user stub does), and receives the reply.
 * Rights in the reply land in the task; the caller names them afterwards.
 */
export class MigUser {
  private readonly stop = new AbortController();
  /** Reply ports free for the next call (glibc's mig_get_reply_port keeps one per thread). */
  private readonly spare: number[] = [];

  constructor(readonly kernel: MachKernel, readonly task: TaskId) {}

  /** `bindReply`: told the reply port's name just before the request is sent (reply-landing.ts). */
  call(msg: MachMessage, ool: readonly Uint8Array[], timeoutMs: number, bindReply?: (task: TaskId, rp: number) => void): Promise<{ msg: MachMessage; ool: Uint8Array[] }> {
    const rp = this.spare.length > 0 && !hasOol(msg) ? this.spare.pop()! : 0;
    if (rp === 0) return this.callSlow(msg, ool, timeoutMs, bindReply);
    bindReply?.(this.task, rp);
    // A spare reply port and nothing to place (most calls): the send|receive is
    // the only kernel call to wait for, its reply taken in one handler, with no
    // async layer of its own (the same checks and outcomes as callSlow).
    const k = this.kernel;
    let r: Promise<MsgResult>;
    try {
      r = k.msg(this.task, {
        options: MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
        send: encodeMessage(this.request(msg, rp), k.abi),
        donate: true,
        rcvName: rp,
        rcvSize: 4 << 20,
        timeout: timeoutMs,
        signal: this.stop.signal,
      });
    } catch (e) {
      return this.done(rp, false).then(() => Promise.reject(e));
    }
    return r.then((got) => this.answered(msg, rp, got));
  }

  /** The request as a user stub sends it: COPY_SEND of the destination, MAKE_SEND_ONCE of reply port `rp`. */
  private request(msg: MachMessage, rp: number): MachMessage {
    return {
      header: { ...msg.header, bits: { ...msg.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: MACH_MSG_TYPE_MAKE_SEND_ONCE }, localPort: rp },
      items: msg.items,
    };
  }

  /** call()'s outcome for a request with nothing placed: as callSlow's. */
  private answered(msg: MachMessage, rp: number, r: MsgResult): Promise<{ msg: MachMessage; ool: Uint8Array[] }> | { msg: MachMessage; ool: Uint8Array[] } {
    const k = this.kernel;
    if (r.kr === MACH_RCV_TIMED_OUT) return this.done(rp, false).then(() => Promise.reject(new CallFailed({ kind: 'timeout' })));
    if (r.kr === MACH_RCV_INTERRUPTED) return this.done(rp, false).then(() => Promise.reject(new CallFailed({ kind: 'interrupted' })));
    if (r.kr !== 0 || !r.message) {
      // A send error (MACH_SEND_*, below the MACH_RCV_* range): the message was not sent, the port is clean.
      const sendError = r.kr >>> 0 < MACH_RCV_IN_PROGRESS;
      return this.done(rp, sendError).then(() => ({ msg: sendErrorReply(msg, r.kr), ool: [] }));
    }
    let got: MachMessage;
    try {
      // The reply's buffer is this task's alone (mach_msg handed it over): its data items are views of it.
      got = decodeMessage(r.message, k.abi, RECEIVED);
    } catch (e) {
      return this.done(rp, false).then(() => Promise.reject(e));
    }
    if (hasOol(got)) {
      return takeOol(k, this.task, got).then(
        (gotOol) => this.done(rp, true).then(() => (got.header.id === MACH_NOTIFY_SEND_ONCE ? Promise.reject(new CallFailed({ kind: 'serverDied' })) : { msg: got, ool: gotOol })),
        (e: unknown) => this.done(rp, false).then(() => Promise.reject(e)),
      );
    }
    if (this.keep(rp, true)) return got.header.id === MACH_NOTIFY_SEND_ONCE ? Promise.reject(new CallFailed({ kind: 'serverDied' })) : { msg: got, ool: [] };
    return this.done(rp, true).then(() => (got.header.id === MACH_NOTIFY_SEND_ONCE ? Promise.reject(new CallFailed({ kind: 'serverDied' })) : { msg: got, ool: [] }));
  }

  /** Reply port `rp` back to the pool after a clean exchange (true), if it has room and the user is not stopped. */
  private keep(rp: number, clean: boolean): boolean {
    if (!clean || this.stop.signal.aborted || this.spare.length >= 8) return false;
    this.spare.push(rp);
    return true;
  }

  /** Reply port `rp` kept (keep) or destroyed, as callSlow's finally does. */
  private async done(rp: number, clean: boolean): Promise<void> {
    if (!this.keep(rp, clean)) await this.kernel.portModRefs(this.task, rp, MACH_PORT_RIGHT_RECEIVE, -1);
  }

  /** call() allocating its reply port or placing out-of-line data first. */
  private async callSlow(
    msg: MachMessage, ool: readonly Uint8Array[], timeoutMs: number, bindReply?: (task: TaskId, rp: number) => void,
  ): Promise<{ msg: MachMessage; ool: Uint8Array[] }> {
    const k = this.kernel;
    let rp = { kr: 0, name: this.spare.pop() ?? 0 };
    if (rp.name === 0) rp = await k.portAllocate(this.task, MACH_PORT_RIGHT_RECEIVE);
    if (rp.kr !== 0) throw new Error(`reply port: kr ${rp.kr}`);
    // A reply port goes back to the pool only after a clean exchange; after a
    // timeout or an interruption a late reply could still arrive on it, so it
    // is destroyed (as mig_dealloc_reply_port does).
    let clean = false;
    try {
      const req: MachMessage = {
        header: { ...msg.header, bits: { ...msg.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: MACH_MSG_TYPE_MAKE_SEND_ONCE }, localPort: rp.name },
        items: msg.items,
      };
      // No out-of-line item (most calls): nothing to place, no kernel call to wait for.
      const placed = hasOol(req) ? await placeOol(k, this.task, req, ool) : req;
      bindReply?.(this.task, rp.name);
      const r = await k.msg(this.task, {
        options: MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
        send: encodeMessage(placed, k.abi),
        rcvName: rp.name,
        rcvSize: 4 << 20,
        timeout: timeoutMs,
        signal: this.stop.signal,
      });
      if (r.kr === MACH_RCV_TIMED_OUT) throw new CallFailed({ kind: 'timeout' });
      if (r.kr === MACH_RCV_INTERRUPTED) throw new CallFailed({ kind: 'interrupted' });
      if (r.kr !== 0 || !r.message) {
        // The user stub returns mach_msg's code. A send error (MACH_SEND_*, below the
        // MACH_RCV_* range): the message was not sent and its pages are still ours.
        const sendError = r.kr >>> 0 < MACH_RCV_IN_PROGRESS;
        if (sendError) await unplaceOol(k, this.task, placed);
        clean = sendError;
        return { msg: sendErrorReply(msg, r.kr), ool: [] };
      }
      const got = decodeMessage(r.message, k.abi);
      const gotOol = hasOol(got) ? await takeOol(k, this.task, got) : [];
      clean = true;
      if (got.header.id === MACH_NOTIFY_SEND_ONCE) throw new CallFailed({ kind: 'serverDied' });
      return { msg: got, ool: gotOol };
    } finally {
      if (clean && !this.stop.signal.aborted && this.spare.length < 8) this.spare.push(rp.name);
      else await k.portModRefs(this.task, rp.name, MACH_PORT_RIGHT_RECEIVE, -1);
    }
  }

  /** Destroy the spare reply ports (the task keeps no name for this user afterwards). */
  async dispose(): Promise<void> {
    for (const n of this.spare.splice(0)) await this.kernel.portModRefs(this.task, n, MACH_PORT_RIGHT_RECEIVE, -1);
  }

  /** Interrupt every call in progress (their receive returns MACH_RCV_INTERRUPTED). */
  interrupt(): void {
    this.stop.abort();
  }
}
