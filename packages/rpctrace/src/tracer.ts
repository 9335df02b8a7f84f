/**
 * RpcTracer: the sans-IO core. Fed observed message events, it pairs each
 * request with its reply and returns records to print.
 *
 * Pairing follows the reply right (Mach: a MIG request carries a send-once
 * right to the caller's reply port in msgh_local_port; the server answers on
 * it). Names are per task space, so the tracer keys on what identifies the
 * right in each space:
 * - the request's send gives (client task, reply port name in its space);
 * - the server's receive of that request (Mach keeps per-port FIFO order, so
 *   it is the oldest unreceived send to that kernel port) gives the seqno and
 *   (server task, reply right name in the server's space);
 * - the server's reply send on that name gives the reply port's kernel id;
 * - the reply's receive is matched by that kernel id, else by
 *   (client task, msgh_local_port) as received.
 * When the kernel reports the reply port's kernel id at send (hurd-ffi's sim
 * kernel does: MsgEvent.replyPort), the request is keyed on it at once, so a
 * reply pairs even when the server's receive was never seen.
 *
 * Messages the kernel destroys unreceived (a port dying with a queue, ...)
 * end the call they belong to; receives that fail print on their own
 * (MACH_RCV_TIMED_OUT only with `-e status=failed`: polling loops time out
 * all the time, and a line each would drown the trace).
 */
import { MACH_RCV_TIMED_OUT, MIG_SERVER_DIED, type MachMessage } from 'mach-msg';
import { MessageDecoder, type DecodedMsg, type DecoderOptions } from './decoder.js';
import { TRACE_ALL, selects, statusSelects, type CallFilter } from './filter.js';
import { MAX_PENDING, PairingMap, TaskNameKeys } from './pairing-map.js';
import { SendQueues } from './send-queues.js';
import { PortKnowledge, SENT_REPLIES } from './port-names.js';
import type { Call, Destroyed, MessageRecord, RoutineStats, TraceEvent, TraceRecord } from './records.js';
import { IN_CHUNK, type WireEvent } from './wire-reader.js';
import { DESTROY_WHY, destroyedLone, invalidEvent, loneOf, messageRecord, rcvFailedLone, RECEIVE_ROUTINE } from './message-record.js';
import { TaskNames } from './task-names.js';

/** An event that may be the command's record read in place (WireEvent: its IN_CHUNK brand). */
type MaybeInChunk = TraceEvent & { readonly [IN_CHUNK]?: true };

/** `ev` is a WireEvent (a field load, not instanceof's walk of the prototype chain: wire-reader.ts IN_CHUNK). */
function inChunk(ev: TraceEvent): ev is WireEvent {
  return (ev as MaybeInChunk)[IN_CHUNK] === true;
}

/*
 * The held call's register (BENCHMARKS.md 2026-12-01 R6 section). A null
 * RPC's call was stored into five old objects (send queue, reply-port and
 * server-name map slots, #held, the session's records): each a call of
 * V8's write barrier (RecordWrite, ~51 instructions). The held call's own
 * pairings are bits instead, the call only in #held: its queue push
 * (DEFER_QUEUED), reply-port entry (DEFER_REPLY_PORT), server-name entry
 * (DEFER_SERVER, key #deferredKey). A bit is set only where its structure
 * is empty (the port's queue, the map), so its lookups are a compare; any
 * other use of that structure, and any change of #held, stores the bits
 * first (#store): same operations in the same order, same bounds.
 */
const DEFER_QUEUED = 1;
const DEFER_REPLY_PORT = 2;
const DEFER_SERVER = 4;

export { RECEIVE_ROUTINE } from './message-record.js';

export interface RpcTracerOptions extends DecoderOptions {
  filter?: CallFilter;
  /**
   * Decode every message's arguments for its `message` record (--json).
   * Otherwise a message whose arguments no line shows (a request as its
   * server receives it, a reply as its server sends it) is read header-only.
   */
  messageArgs?: boolean;
  /** Give a `message` record for every message (what --json prints); default true. */
  messages?: boolean;
  /** -y: learn what ports are from the replies that hand them out. */
  decorate?: boolean;
  /**
   * Give records at all (default true). False keeps only the summary()
   * counts (what -c prints): handle() then returns none, and builds none.
   */
  records?: boolean;
  /** handleInto returns the held call a reply completes, its record not built (TraceSession's lines render it). */
  direct?: boolean;
}

export class RpcTracer {
  readonly #decoder: MessageDecoder;
  readonly #filter: CallFilter;
  /** The filter has no trace= part (selects() is true for every call): #start asks selects() only when it has one. */
  readonly #everyCall: boolean;
  #nextId = 1;
  /** Sends not yet received, per destination kernel port, oldest first (send-queues.ts: the bounds, and why emptied queues stay). */
  readonly #inFlight = new SendQueues<Call>();
  /** Calls awaiting a reply, by (client task, reply port name): key(). */
  readonly #byClientName = new PairingMap(MAX_PENDING);
  /** Calls received by a server, by (server task, reply right name): key(). */
  readonly #byServerName = new PairingMap(MAX_PENDING);
  /** Calls whose reply was sent, by the reply port's kernel id. */
  readonly #byReplyPort = new PairingMap(MAX_PENDING);
  /** The call whose line is held back waiting for its reply. */
  #held: Call | null = null;
  /** #held's pairings not stored yet (DEFER_* bits, 0: none; never set while #held is null), and DEFER_SERVER's key. */
  #deferred = 0;
  #deferredKey = NaN;
  /** Calls printed as unfinished, waiting for their reply. */
  readonly #unfinished = new Set<Call>();
  readonly #stats = new Map<string, RoutineStats>();
  readonly #ports: PortKnowledge | null;
  /*
   * The options below are tested as `=== true` / `=== false` on the
   * per-message path: TurboFan knows a field only as "some object", so
   * `if (!this.#records)` compiled to a ToBoolean of four or five
   * compares (false, '', a number's map, a BigInt's map...) per test,
   * where a compare with the one boolean is one (BENCHMARKS.md
   * 2026-12-01 section). Each is set from a boolean expression.
   */
  readonly #messageArgs: boolean;
  readonly #messages: boolean;
  readonly #args: boolean;
  readonly #records: boolean;
  readonly #direct: boolean; // RpcTracerOptions.direct, lines only (no message records)
  /** Where a summary-only tracer's (discarded) records would go: one array, not one per message. */
  readonly #scratch: TraceRecord[] = [];
  /** The pairing maps' (task, port name) keys. */
  readonly #keys = new TaskNameKeys();
  /** Task names the kernel reported (task-names.ts). */
  readonly #names = new TaskNames();
  /**
   * #statsOf's last two routines and their entries (by the string itself: a
   * routine's name is the decoder's one string for its id). A call's stats
   * entry is looked up at its request and again at its reply.
   */
  #statsKey0: string | null = null;
  #stats0: RoutineStats | null = null;
  #statsKey1: string | null = null;
  #stats1: RoutineStats | null = null;

  constructor(options: RpcTracerOptions = {}) {
    this.#decoder = new MessageDecoder(options);
    this.#filter = options.filter ?? TRACE_ALL;
    this.#everyCall = this.#filter.names === null && this.#filter.classes.size === 0;
    this.#ports = options.decorate === true ? new PortKnowledge() : null;
    this.#args = options.args !== false;
    this.#messageArgs = this.#args && options.messageArgs === true;
    this.#records = options.records !== false;
    this.#messages = this.#records && options.messages !== false;
    this.#direct = this.#records && !this.#messages && options.direct === true;
  }

  /**
   * The arguments, when a line will show them: a header-only decode is redone
   * in full. The result may be the decoder's reused one (decodeFull): read
   * it here, keep none of it but its arguments.
   */
  #full(ev: TraceEvent, d: DecodedMsg): DecodedMsg {
    if (d.headerOnly !== true || this.#args === false) return d;
    if (ev.message !== undefined && ev.abi !== null) return this.#decoder.decodeParsed(ev.message, ev.abi);
    // The command's records: the message read where it lies in the chunk (no view made of it).
    if (inChunk(ev) && ev.src !== null && ev.abi !== null) return this.#decoder.decodeFullAt(ev.src, ev.srcAt, ev.srcLen, ev.abi, ev.msgId, ev.srcView);
    return this.#decoder.decodeFull(ev.bytes, ev.abi, ev.msgId);
  }

  /** The name the kernel reported for `task` (taskCreate's), if any. */
  taskName(task: number): string | undefined {
    return this.#names.taskName(task);
  }

  /** -y: what the name `name` of `task`'s space is, if a reply told. */
  describePort(task: number, name: number): string | undefined {
    return this.#ports?.describe(task, name);
  }

  /** Takes one observed message; returns the records it completes, in order. */
  handle(ev: TraceEvent): TraceRecord[] {
    const out: TraceRecord[] = [];
    const done = this.handleInto(ev, out);
    if (done !== null) out.push({ type: 'call', state: 'complete', call: done });
    return out;
  }

  /**
   * handle(), appending the records to `out` (a caller's array, reused from
   * one message to the next: a storm gives no record for most messages, and
   * an array each was garbage). With `records: false` nothing is appended.
   * With `direct`, a reply completing the held call returns it (after
   * whatever was appended), its record not built: an allocation and a
   * write barrier per RPC (BENCHMARKS.md 2026-12-01 R6 section). Else null.
   *
   * Kept over V8's inlining limit for one function (460 bytes of bytecode;
   * it was 443): the command's record loop (wire-reader.ts eachInto, which
   * V8 optimises first) then calls it rather than taking it in, and
   * handleInto, optimised on its own, takes in decodeHeaderAt with
   * headerOnlyDv and #static. Inlined into eachInto, it used up eachInto's
   * budget (920 bytes in all) with feedInto and decodeHeaderAt, and
   * headerOnlyDv and #static were called per record (`--trace-turbo-inlining`;
   * BENCHMARKS.md 2026-11-30 21:14 section: -o FILE at 100,000 null RPCs
   * -43M instructions). V8's inlining is its own (another Node's V8 may
   * choose otherwise), so it is checked by hand, not by a test: BENCHMARKS.md
   * gives the command.
   */
  handleInto(ev: TraceEvent, out: TraceRecord[]): Call | null {
    // A record read in place was checked by its reader (wire-reader.ts: direction from a bit, a finite time): not again here.
    const wire = inChunk(ev);
    if (!wire && ((ev.direction !== 'send' && ev.direction !== 'receive') || !Number.isFinite(ev.time))) throw invalidEvent(ev);
    // Every event repeats its task's name (the command's records once per task).
    if (ev.taskName !== undefined && ev.task !== 0) this.#names.nameTask(ev.task, ev.taskName);
    if (ev.destroyed !== undefined || (ev.direction === 'receive' && ev.kr !== undefined)) {
      this.#lost(ev, out);
      return null;
    }
    const d =
      // Read within this event only (nothing below keeps it): the decoder reuses it.
      wire && ev.src !== null && ev.abi !== null && this.#messageArgs === false
        ? this.#decoder.decodeHeaderAt(ev.src, ev.srcAt, ev.srcLen, ev.abi, ev.msgId, ev.srcView)
        : this.#decodeEvent(ev);
    if (this.#records === false) {
      // -c (counted from records): no records, #scratch emptied. Written here, not a method of its own: see below.
      const scratch = this.#scratch;
      if (ev.direction === 'send') this.#onSend(ev, d, null, scratch);
      else this.#onReceive(ev, d, null, scratch);
      while (scratch.length !== 0) scratch.pop();
      return null;
    }
    // Message records are for --json only: in a storm their allocation alone
    // was a third of the tracer's time, so lines and -c go without.
    const rec = this.#messages === true ? messageRecord(ev, d) : null;
    // The message's own record goes first: its place is kept, filled once known.
    const at = out.length;
    if (rec !== null) out.push(rec);
    if (ev.direction === 'send') this.#onSend(ev, d, rec, out);
    // With `direct` (no message records): the call a reply completes, if returned.
    else if (this.#direct === true) return this.#onReceive(ev, d, null, out);
    else this.#onReceive(ev, d, rec, out);
    if (rec !== null && !selects(this.#filter, rec.routine, rec.subsystem)) out.splice(at, 1);
    return null;
  }

  /*
   * handleInto's rarer steps, each a method of its own: V8 optimises a
   * function after a number of runs that grows with its bytecode's length,
   * and inlines only short ones, so handleInto keeps what every message
   * of the command's records runs.
   */

  /** A message destroyed unreceived, or a failed receive (#onLost; with -c its records dropped). */
  #lost(ev: TraceEvent, out: TraceRecord[]): void {
    if (this.#deferred !== 0) this.#store();
    if (this.#records) {
      this.#onLost(ev, out);
      return;
    }
    this.#onLost(ev, this.#scratch);
    // pop(), not `length = 0` (a runtime call that frees the store): see TraceSession.feed.
    while (this.#scratch.length !== 0) this.#scratch.pop();
  }

  /** The decode of an event other than a command's record read header-only (decodeHeaderAt). */
  #decodeEvent(ev: TraceEvent): DecodedMsg {
    if (ev.message !== undefined && ev.abi !== null) {
      // A link's message: its arguments are decoded when a line shows them (#full), as for bytes.
      return this.#messageArgs || !this.#args ? this.#decoder.decodeParsed(ev.message, ev.abi) : this.#decoder.decodeParsedHeader(ev.message, ev.abi);
    }
    if (this.#messageArgs) return this.#decoder.decode(ev.bytes, ev.abi, ev.msgId, true);
    return this.#decoder.decodeHeader(ev.bytes, ev.abi, ev.msgId);
  }

  /** At the end of a trace: the held call (unfinished if it awaits a reply). */
  flush(): TraceRecord[] {
    const out: TraceRecord[] = [];
    this.#release(out);
    return out;
  }

  /** Per-routine counts and request-to-reply times (for -c), by routine name. */
  summary(): RoutineStats[] {
    return [...this.#stats.values()].map((s) => ({ ...s }));
  }

  #onSend(ev: TraceEvent, d: DecodedMsg, rec: MessageRecord | null, out: TraceRecord[]): void {
    const h = d.message?.header;
    if (ev.kr !== undefined && ev.kr !== 0) {
      this.#refused(ev, d, rec, out);
      return;
    }
    if (h !== undefined) {
      // A reply on a reply right a server got with a request (the id tells, even for ids no catalog knows).
      // No key made while no server holds one (a request's send, in a trace of one RPC at a time).
      let key = 0;
      const call = this.#byServerName.size === 0 && (this.#deferred & DEFER_SERVER) === 0 ? undefined : this.#serverCall((key = this.#keys.key(ev.task, h.remotePort)));
      if (call !== undefined && (d.kind === 'reply' || ev.msgId === call.msgId + 100)) {
        this.#serverForget(key);
        if (rec !== null) rec.callId = call.id;
        // Already there when the request's send said its reply port.
        if (this.#replyCall(ev.port) !== call) {
          if (this.#deferred !== 0) this.#store();
          this.#byReplyPort.remember(ev.port, call);
        }
        // -y: a reply's rights as its server names them (io_map's memory objects, which the kernel's requests to it name).
        if (this.#ports !== null && SENT_REPLIES.has(call.routine)) {
          const full = this.#full(ev, d);
          this.#ports.learnSent(call, ev.task, full.retCode, full.args);
        }
        // A reply to the kernel is never received by a task: it ends here.
        if (call.task === 0) this.#complete(call, ev, d, out, false);
        return;
      }
    }
    if (d.kind === 'notification' || d.kind === 'reply') return;
    // A request (or unknown message) a task sends; kernel-made ones are taken at receive.
    if (ev.task === 0) return;
    if (h === undefined) {
      // Bytes that do not decode still print, with why.
      this.#lone(ev, d, out);
      return;
    }
    // Read once: the header is read where it lies (the decoder's InPlaceHeader), a load per read.
    const replyName = h.localPort;
    const call = this.#newCall(ev, d, replyName);
    if (ev.link !== undefined) call.link = ev.link;
    // Read by lines and -y only: -c alone goes without.
    if (this.#records === true || this.#ports !== null) call.dest = { arg: d.destArg, name: h.remotePort, disposition: h.bits.remote };
    // The reply port's identity from the send: the reply pairs without the server's receive.
    if (ev.replyPort !== undefined && ev.replyPort !== 0 && replyName !== 0) call.replyPort = ev.replyPort;
    if (rec !== null) rec.callId = call.id;
    // #startAny's case of a call with a reply port, no trace= part, lines, status=all and nothing held (a
    // storm's reply ended the held call): held, its queue and reply-port entry kept as bits (DEFER_QUEUED).
    if (this.#held === null && call.replyPort !== undefined && this.#everyCall === true && this.#records === true && this.#filter.status === 'all' && this.#byReplyPort.size === 0 && this.#inFlight.idle(ev.port)) {
      const routine = call.routine;
      (routine === this.#statsKey0 ? (this.#stats0 as RoutineStats) : this.#statsOf(routine)).calls++;
      this.#held = call;
      this.#deferred = DEFER_QUEUED | DEFER_REPLY_PORT;
      return;
    }
    this.#sendAny(call, out);
  }

  /** A request's send but the register's case: its pairings stored, then #start. */
  #sendAny(call: Call, out: TraceRecord[]): void {
    if (this.#deferred !== 0) this.#store();
    if (call.replyPort !== undefined) this.#byReplyPort.remember(call.replyPort, call);
    this.#inFlight.push(call.port, call);
    this.#start(call, out);
  }

  /** The held call's deferred pairings stored (DEFER_QUEUED: before any other use of their structures, and before #held changes). */
  #store(): void {
    const c = this.#held as Call;
    const bits = this.#deferred;
    this.#deferred = 0;
    if ((bits & DEFER_QUEUED) !== 0) this.#inFlight.push(c.port, c);
    if ((bits & DEFER_REPLY_PORT) !== 0) this.#byReplyPort.remember(c.replyPort as number, c);
    if ((bits & DEFER_SERVER) !== 0) this.#byServerName.remember(this.#deferredKey, c);
  }

  /** #byReplyPort.get(port), the register's entry first (with DEFER_REPLY_PORT the map is empty). */
  #replyCall(port: number): Call | undefined {
    if ((this.#deferred & DEFER_REPLY_PORT) === 0) return this.#byReplyPort.get(port);
    const c = this.#held as Call;
    return port === c.replyPort ? c : undefined;
  }

  /** `port`'s reply-port entry forgotten if it is `call`. */
  #replyForget(port: number, call: Call): void {
    if ((this.#deferred & DEFER_REPLY_PORT) === 0) {
      if (this.#byReplyPort.get(port) === call) this.#byReplyPort.delete(port);
    } else if (call === this.#held && port === call.replyPort) this.#deferred &= ~DEFER_REPLY_PORT;
  }

  /** #byServerName.get(key), the register's entry first (with DEFER_SERVER the map is empty). */
  #serverCall(key: number): Call | undefined {
    if ((this.#deferred & DEFER_SERVER) === 0) return this.#byServerName.get(key);
    return key === this.#deferredKey ? (this.#held as Call) : undefined;
  }

  /** #byServerName.delete(key), the register's entry first. */
  #serverForget(key: number): void {
    if ((this.#deferred & DEFER_SERVER) === 0) this.#byServerName.delete(key);
    else if (key === this.#deferredKey) this.#deferred &= ~DEFER_SERVER;
  }

  /** #inFlight.take(port, msgId), the register's push first (with DEFER_QUEUED the held call is alone in its port's queue). */
  #take(port: number, msgId: number): Call | undefined {
    if ((this.#deferred & DEFER_QUEUED) !== 0) {
      const c = this.#held as Call;
      if (port === c.port) {
        if (c.msgId !== msgId) return undefined;
        this.#deferred &= ~DEFER_QUEUED;
        return c;
      }
    }
    return this.#inFlight.take(port, msgId);
  }

  /** A send the kernel refused (MACH_SEND_INVALID_DEST...): a failed call, ended here (#onSend's rare path, a method of its own). */
  #refused(ev: TraceEvent, d: DecodedMsg, rec: MessageRecord | null, out: TraceRecord[]): void {
    if (this.#deferred !== 0) this.#store();
    const h = d.message?.header;
    const kr = ev.kr as number;
    const call = this.#newCall(ev, d, 0);
    if (h !== undefined) call.dest = { arg: d.destArg, name: h.remotePort, disposition: h.bits.remote };
    if (rec !== null) rec.callId = call.id;
    if (rec !== null) rec.retCode = kr;
    if (!selects(this.#filter, call.routine, call.subsystem)) return;
    this.#statsOf(call.routine).calls++;
    this.#complete(call, { ...ev, bytes: null }, { ...d, retCode: kr, args: null, notification: null, note: 'refused at send: never queued', headerOnly: false }, out, false);
    if (this.#filter.status === 'all') {
      this.#release(out);
      out.push({ type: 'call', state: 'complete', call });
    }
  }

  /** A call sent by `task` (default the event's; 0 for a kernel-made request seen at its receive). */
  #newCall(ev: TraceEvent, decoded: DecodedMsg, replyName: number, task: number = ev.task): Call {
    const d = this.#full(ev, decoded);
    return {
      id: this.#nextId++,
      time: ev.time,
      task,
      port: ev.port,
      dest: null,
      routine: d.routine,
      subsystem: d.subsystem,
      msgId: ev.msgId,
      args: d.args,
      elementBytes: d.elementBytes,
      replyName,
      seqno: null,
      receiver: null,
      note: d.note,
      reply: null,
      // Set on most sends (the sim kernel reports it): present from the start, so a call keeps one shape.
      replyPort: undefined,
    };
  }

  /**
   * A new request: count it, and hold its line until its reply (or, for one that expects none, its receipt).
   *
   * Every request runs this, inlined into #onSend, whose inlining budget
   * (V8: 920 bytes of bytecode in all) it shared with the send queue's push
   * and the pairing map's remember, so that #newCall, the reply's key, get
   * and delete, and this step's selects, #statsOf and #release stayed calls.
   * Hence only the common request is done here: its reply port known from
   * the send (no key by name), no trace= part, the last routine's stats
   * entry, lines, status=all, nothing held (a storm's reply ended the held
   * call); it is then held. Anything else is #startAny, the whole step.
   * BENCHMARKS.md 2026-11-30 22:10 section.
   */
  #start(call: Call, out: TraceRecord[]): void {
    if (call.replyPort === undefined || call.replyName === 0 || this.#everyCall === false || call.routine !== this.#statsKey0 || this.#held !== null || this.#records === false || this.#filter.status !== 'all') {
      this.#startAny(call, out);
      return;
    }
    (this.#stats0 as RoutineStats).calls++;
    this.#held = call;
  }

  /** #start in full. */
  #startAny(call: Call, out: TraceRecord[]): void {
    // Keyed by name only when the reply port's identity is not known (it is on hurd-ffi's sim kernel).
    if (call.task !== 0 && call.replyName !== 0 && call.replyPort === undefined) this.#byClientName.remember(this.#keys.key(call.task, call.replyName), call);
    if (!selects(this.#filter, call.routine, call.subsystem)) return;
    const s = this.#statsOf(call.routine);
    s.calls++;
    if (!this.#records) return;
    if (call.replyName === 0) {
      if (this.#filter.status === 'failed') return; // no reply, so it cannot fail
      // Held until its receiver gets it (for the seqno), or until another line prints.
      this.#release(out);
      if (call.receiver !== null || this.#filter.status !== 'all') out.push({ type: 'call', state: 'oneway', call });
      else this.#held = call;
      return;
    }
    if (this.#filter.status !== 'all') return; // printed when the reply shows whether it failed
    this.#release(out);
    this.#held = call;
  }

  #onReceive(ev: TraceEvent, d: DecodedMsg, rec: MessageRecord | null, out: TraceRecord[]): Call | null {
    const h = d.message?.header;
    // The reply to a traced request?
    const viaPort = this.#replyCall(ev.port);
    const call =
      viaPort !== undefined && viaPort.task === ev.task ? viaPort : h === undefined || this.#byClientName.size === 0 ? undefined : this.#byClientName.get(this.#keys.key(ev.task, h.localPort));
    // A send-once notification on the reply port means the server dropped the reply right:
    // MIG's user stub returns MIG_SERVER_DIED for it, and so does the trace.
    const died = d.notification?.kind === 'send-once';
    if (call !== undefined && call.task === ev.task && (d.kind === 'reply' || died || ev.msgId === call.msgId + 100)) {
      this.#replyForget(ev.port, call);
      if (call.replyPort === undefined) this.#byClientName.delete(this.#keys.key(call.task, call.replyName));
      if (rec !== null) rec.callId = call.id;
      if (rec !== null) rec.latency = ev.time - call.time;
      return this.#complete(call, ev, d, out, this.#direct);
    }
    // A request arriving at its server: the oldest unreceived send to this port.
    // Sends ahead of it that never arrive were consumed unseen (a kernel port, a destroyed
    // queue): they are dropped from the queue so that they do not shadow later ones.
    const sent = this.#take(ev.port, ev.msgId);
    if (sent !== undefined) {
      sent.seqno = h?.seqno ?? null;
      sent.receiver = ev.task;
      if (rec !== null) rec.callId = sent.id;
      if (h !== undefined && h.remotePort !== 0) {
        const key = this.#keys.key(ev.task, h.remotePort);
        // A call of the register's (its reply port's bit set) keeps its server entry as a bit too, into an empty map only.
        if (sent === this.#held && (this.#deferred & DEFER_REPLY_PORT) !== 0 && (this.#deferred & DEFER_SERVER) === 0 && this.#byServerName.size === 0) {
          this.#deferred |= DEFER_SERVER;
          this.#deferredKey = key;
        } else {
          if (this.#deferred !== 0) this.#store();
          this.#byServerName.remember(key, sent);
        }
      }
      if (this.#held === sent && sent.replyName === 0) {
        if (this.#deferred !== 0) this.#store();
        this.#held = null;
        out.push({ type: 'call', state: 'oneway', call: sent });
      }
      return null;
    }
    // A kernel-made request (memory_object_init, ...): the call starts at its receive.
    if (d.kind === 'request' && h !== undefined) {
      this.#kernelRequest(ev, d, h, rec, out);
      return null;
    }
    // Anything else prints on its own: notifications, stray replies.
    this.#lone(ev, d, out);
    return null;
  }

  /** A kernel-made request at its receive (#onReceive's rare path, a method of its own). */
  #kernelRequest(ev: TraceEvent, d: DecodedMsg, h: MachMessage['header'], rec: MessageRecord | null, out: TraceRecord[]): void {
    if (this.#deferred !== 0) this.#store();
    const kcall = this.#newCall(ev, d, 0, 0);
    kcall.seqno = h.seqno;
    kcall.dest = { arg: d.destArg, name: h.localPort, disposition: undefined };
    kcall.receiver = ev.task;
    this.#ports?.learnKernelRequest(kcall);
    if (rec !== null) rec.callId = kcall.id;
    if (h.remotePort !== 0) {
      this.#byServerName.remember(this.#keys.key(ev.task, h.remotePort), kcall);
      kcall.replyName = h.remotePort;
    }
    this.#start(kcall, out);
  }

  /**
   * A message that reached no task (destroyed by the kernel), or a receive
   * that got none (MACH_RCV_*). Only the id is known of the message: it is
   * named, not decoded.
   */
  #onLost(ev: TraceEvent, out: TraceRecord[]): void {
    const d = this.#decoder.decode(null, null, ev.msgId);
    const failed = ev.direction === 'receive' && ev.kr !== undefined && ev.kr !== 0;
    const why = ev.destroyed === undefined ? null : (DESTROY_WHY[ev.destroyed] ?? ev.destroyed);
    const rec = this.#messages ? messageRecord(ev, d) : null;
    if (rec !== null) {
      if (failed) rec.retCode = ev.kr ?? null;
      rec.note = why === null ? 'receive failed' : failed ? `receive failed; message destroyed: ${why}` : `destroyed unreceived: ${why}`;
      if (failed ? statusSelects(this.#filter, ev.kr ?? null) && (ev.kr !== MACH_RCV_TIMED_OUT || this.#filter.status === 'failed') && selects(this.#filter, RECEIVE_ROUTINE, null) : selects(this.#filter, rec.routine, rec.subsystem)) out.push(rec);
    }
    if (failed) this.#rcvFailed(ev, d, why, out);
    if (why === null) return;
    // The call the message belonged to: an unreceived request, else a reply on its way back.
    const request = ev.msgId !== 0 ? this.#inFlight.take(ev.port, ev.msgId) : undefined;
    if (request !== undefined) {
      if (rec !== null) rec.callId = request.id;
      this.#endDestroyed(request, ev, { what: 'request', why, time: ev.time }, out);
      return;
    }
    const call = this.#byReplyPort.get(ev.port);
    if (call !== undefined && call.reply === null && (d.kind === 'reply' || ev.msgId === call.msgId + 100)) {
      if (rec !== null) rec.callId = call.id;
      this.#endDestroyed(call, ev, { what: 'reply', why, time: ev.time }, out);
      return;
    }
    if (failed) return; // the failure's line said it
    // A destroyed message is a failure of whoever sent it: shown unless status=successful.
    if (!selects(this.#filter, d.routine, d.subsystem) || this.#filter.status === 'successful') return;
    const lone = destroyedLone(ev, d, why);
    this.#release(out);
    out.push({ type: 'lone', message: lone });
  }

  /** A receive that failed: a line of its own (timeouts only with status=failed), counted under mach_msg. */
  #rcvFailed(ev: TraceEvent, d: DecodedMsg, why: string | null, out: TraceRecord[]): void {
    const kr = ev.kr as number;
    if (kr === MACH_RCV_TIMED_OUT && this.#filter.status !== 'failed') return;
    if (!selects(this.#filter, RECEIVE_ROUTINE, null) || !statusSelects(this.#filter, kr)) return;
    const s = this.#statsOf(RECEIVE_ROUTINE);
    s.calls++;
    s.errors++;
    const lone = rcvFailedLone(ev, d, kr, why);
    this.#release(out);
    out.push({ type: 'lone', message: lone });
  }

  /** A call whose request or reply the kernel destroyed: it ends here, as a failed call. */
  #endDestroyed(call: Call, ev: TraceEvent, destroyed: Destroyed, out: TraceRecord[]): void {
    if (call.task !== 0 && call.replyName !== 0 && this.#byClientName.get(this.#keys.key(call.task, call.replyName)) === call) {
      this.#byClientName.delete(this.#keys.key(call.task, call.replyName));
    }
    if (call.replyPort !== undefined && this.#byReplyPort.get(call.replyPort) === call) this.#byReplyPort.delete(call.replyPort);
    if (this.#byReplyPort.get(ev.port) === call) this.#byReplyPort.delete(ev.port);
    call.destroyed = destroyed;
    if (!selects(this.#filter, call.routine, call.subsystem)) return;
    const s = this.#statsOf(call.routine);
    s.errors++;
    this.#emitEnd(call, out, this.#filter.status !== 'all' && this.#filter.status !== 'successful');
  }

  #lone(ev: TraceEvent, decoded: DecodedMsg, out: TraceRecord[]): void {
    if (!this.#records) return; // a line only: -c counts calls
    const d = this.#full(ev, decoded);
    const h = d.message?.header;
    if (!selects(this.#filter, d.routine, d.subsystem)) return;
    if (!statusSelects(this.#filter, d.retCode)) return;
    const lone = loneOf(ev, d);
    if (ev.link !== undefined) lone.link = ev.link;
    this.#release(out);
    out.push({ type: 'lone', message: lone });
  }

  /** A call's reply: counted, and its line given (`direct`: the held call returned, its record not built; else null). */
  #complete(call: Call, ev: TraceEvent, decoded: DecodedMsg, out: TraceRecord[], direct: boolean): Call | null {
    const d = this.#full(ev, decoded);
    const died = d.notification?.kind === 'send-once';
    const retCode = died ? MIG_SERVER_DIED : d.retCode;
    const note = died ? 'send-once notification: the server dropped the reply right' : d.note;
    call.reply = { time: ev.time, task: ev.task, retCode, args: d.args, elementBytes: d.elementBytes, note };
    this.#ports?.learn(call);
    // The common cases tested before calling, as in #start: #onReceive takes
    // this step in, and then calls what it calls (its inlining budget spent).
    if (this.#everyCall === false && !selects(this.#filter, call.routine, call.subsystem)) return null;
    const routine = call.routine;
    const s = routine === this.#statsKey0 ? (this.#stats0 as RoutineStats) : this.#statsOf(routine);
    if (retCode !== null && retCode !== 0) s.errors++;
    const ms = ev.time - call.time;
    s.replied++;
    s.totalMs += ms;
    s.maxMs = Math.max(s.maxMs, ms);
    if (this.#records === false) return null;
    if (this.#held === call) {
      // #emitEnd's first case: the call held since its request (its pairings normally all undone by now).
      if (this.#deferred !== 0) this.#store();
      this.#held = null;
      if (direct === true) return call;
      out.push({ type: 'call', state: 'complete', call });
      return null;
    }
    this.#emitEnd(call, out, this.#filter.status !== 'all' && statusSelects(this.#filter, retCode));
    return null;
  }

  /**
   * A call ends: printed whole if it is the one held back, as `<... resumed>`
   * if it went out unfinished, and, when only a status filter kept it from
   * printing at its request, whole now if `nowSelected`.
   */
  #emitEnd(call: Call, out: TraceRecord[], nowSelected: boolean): void {
    if (this.#held === call) {
      if (this.#deferred !== 0) this.#store();
      this.#held = null;
      out.push({ type: 'call', state: 'complete', call });
    } else if (this.#unfinished.delete(call)) {
      this.#release(out);
      out.push({ type: 'resumed', call });
    } else if (nowSelected) {
      this.#release(out);
      out.push({ type: 'call', state: 'complete', call });
    }
  }

  /** Something else must print: the held call goes out as unfinished. */
  #release(out: TraceRecord[]): void {
    const held = this.#held;
    if (held === null) return;
    if (this.#deferred !== 0) this.#store();
    this.#held = null;
    if (held.replyName === 0) {
      out.push({ type: 'call', state: 'oneway', call: held });
      return;
    }
    this.#unfinished.add(held);
    if (this.#unfinished.size > MAX_PENDING) {
      const oldest = this.#unfinished.values().next();
      if (oldest.done !== true) this.#unfinished.delete(oldest.value);
    }
    out.push({ type: 'call', state: 'unfinished', call: held });
  }

  #statsOf(routine: string): RoutineStats {
    if (routine === this.#statsKey0) return this.#stats0 as RoutineStats;
    if (routine === this.#statsKey1) return this.#stats1 as RoutineStats;
    let s = this.#stats.get(routine);
    if (s === undefined) this.#stats.set(routine, (s = { routine, calls: 0, errors: 0, replied: 0, totalMs: 0, maxMs: 0 }));
    this.#statsKey1 = this.#statsKey0;
    this.#stats1 = this.#stats0;
    this.#statsKey0 = routine;
    this.#stats0 = s;
    return s;
  }
}
